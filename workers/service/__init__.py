"""Our edge-style HTTP service (Starlette on uvicorn): partner webhooks, /healthz, /metrics.

``app.py`` builds the application, ``webhooks.py`` receives partner pushes, ``health.py`` answers
/healthz and /metrics, ``responses.py`` the one error shape, ``server.py`` runs uvicorn.
``music-videos service`` starts it; docs/webhooks.md describes it.
"""
