"""The shared YouTube quota count: units spent per API key and quota day, in the database.

Every worker process reserves a call's unit through ``private.spend_youtube_units`` before it
calls (the key's own budget and the day's total, ``MV_YOUTUBE_DAILY_UNITS``, both hold), and
marks a key YouTube answered ``quotaExceeded`` for with ``private.exhaust_youtube_key``; the
nightly planner reads what is left (``private.youtube_units_left``). The quota day is the
Pacific-time date, as YouTube resets it (:func:`workers.sources.youtube.parser.next_quota_reset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers.config import DEFAULT_KEY_NAME, Settings
from workers.sources.youtube.client import ApiKey

__all__ = ["DbQuotaLedger", "api_keys"]


def api_keys(settings: Settings, resolved_single_key: str | None) -> list[ApiKey]:
    """The keys to try, in order: ``MV_YOUTUBE_API_KEYS``, else the one key (env or Vault) as "default"."""
    if settings.youtube_api_keys:
        return [ApiKey(k.name, k.key.get_secret_value(), k.daily_units) for k in settings.youtube_api_keys]
    if not resolved_single_key:
        return []
    return [ApiKey(DEFAULT_KEY_NAME, resolved_single_key, settings.youtube_daily_units)]


class DbQuotaLedger:
    """:class:`~workers.sources.youtube.client.QuotaLedger` over a pool of autocommit connections."""

    def __init__(self, pool: Any, daily_units: int) -> None:
        self.pool = pool
        self.daily_units = daily_units

    def spend(self, key: ApiKey, units: int = 1) -> bool:
        """Reserve ``units`` of ``key`` before a call. Commits asynchronously (``synchronous_commit``
        off for this one statement's transaction): the day's rows are serialised by one advisory
        lock, held until the commit, and with a durable commit every call of every worker queued
        behind the previous call's WAL flush. A server crash can lose the last few reservations;
        the count is then a few units low, and YouTube's own ``quotaExceeded`` still stops us."""
        with self.pool.connection() as conn:
            row = conn.execute("select set_config('synchronous_commit', 'off', true),"
                               " private.spend_youtube_units(%s, %s, %s, %s) as ok",
                               (key.name, key.daily_units, self.daily_units, units)).fetchone()
        return bool(row["ok"] if isinstance(row, Mapping) else row[0])

    def exhaust(self, key: ApiKey) -> None:
        with self.pool.connection() as conn:
            conn.execute("select private.exhaust_youtube_key(%s)", (key.name,))
