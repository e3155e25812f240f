"""Partner pushes (``sync_strategy = 'webhook'``): the pure parsers and the ``webhook`` job handler.

The HTTP service (:mod:`workers.service`) verifies and stores a push and enqueues the job; this
folder turns the stored push into metric samples. docs/webhooks.md describes the formats.
"""
