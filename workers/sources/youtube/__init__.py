"""YouTube Data API v3: the ``videos.list`` client, its pure parser and the job handler."""
