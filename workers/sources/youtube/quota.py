"""The shared YouTube quota count: units spent per API key and quota day, in the database.

Every worker process reserves a call's unit through ``private.spend_youtube_units`` before it
calls (the key's own budget and the day's total, ``MV_YOUTUBE_DAILY_UNITS``, both hold), and
marks a key YouTube answered ``quotaExceeded`` for with ``private.exhaust_youtube_key``; the
nightly planner reads what is left (``private.youtube_units_left``). The quota day is the
Pacific-time date, as YouTube resets it (:func:`workers.sources.youtube.parser.next_quota_reset`).

Units reserved ahead (:meth:`DbQuotaLedger.reserve_ahead`, for the batches of a claim) are real
reservations, counted in the database when reserved, and kept as credits of the ledger (per key
and quota day) that the calls take without a round trip. The rule for a unit reserved ahead whose
call does not happen lives here and only here: it stays a credit for a later call of that key the
same day; it is given back (``private.refund_youtube_units``) when YouTube says the key is spent
(``exhaust``) and when the worker stops (``release``); a credit of a past quota day is dropped
(that day's budget has been reset). Until then, and if the worker dies, the shared count runs
ahead of the calls made, by at most the batches a worker had claimed, never behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from workers.config import DEFAULT_KEY_NAME, Settings
from workers.sources.youtube.client import ApiKey
from workers.sources.youtube.parser import quota_day

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
        self._credits: dict[str, tuple[date, int]] = {}  # key name -> (quota day, units reserved ahead, unused)
        self._lock = threading.Lock()

    def spend(self, key: ApiKey, units: int = 1) -> bool:
        """Reserve ``units`` of ``key`` before a call: from the units reserved ahead for it today, if
        enough are left, else in the database (:meth:`_reserve`)."""
        today = quota_day(datetime.now(UTC))
        with self._lock:
            day, left = self._credits.get(key.name, (today, 0))
            if day == today and left >= units:
                self._credits[key.name] = (day, left - units)
                return True
        return self._reserve(key, units)

    def reserve_ahead(self, key: ApiKey, calls: int) -> bool:
        """Reserve the units of ``calls`` calls of ``key`` not made yet, in one statement; the calls'
        :meth:`spend` then takes them without a round trip (the module says what becomes of one
        whose call never happens). False, nothing reserved, when the budgets cannot hold them all:
        each call then reserves its own unit, as before."""
        if calls < 1:
            return False
        today = quota_day(datetime.now(UTC))
        if not self._reserve(key, calls):
            return False
        with self._lock:
            day, left = self._credits.get(key.name, (today, 0))
            self._credits[key.name] = (today, (left if day == today else 0) + calls)
        return True

    def _reserve(self, key: ApiKey, units: int) -> bool:
        """Count ``units`` of ``key`` in the database if its budget and the day's hold them. Commits
        asynchronously (``synchronous_commit`` off for this one statement's transaction): the day's
        rows are serialised by one advisory lock, held until the commit, and with a durable commit
        every call of every worker queued behind the previous call's WAL flush. A server crash can
        lose the last few reservations; the count is then a few units low, and YouTube's own
        ``quotaExceeded`` still stops us."""
        with self.pool.connection() as conn:
            row = conn.execute("select set_config('synchronous_commit', 'off', true),"
                               " private.spend_youtube_units(%s, %s, %s, %s) as ok",
                               (key.name, key.daily_units, self.daily_units, units)).fetchone()
        return bool(row["ok"] if isinstance(row, Mapping) else row[0])

    def exhaust(self, key: ApiKey) -> None:
        """YouTube said ``key`` is spent: mark it for every process, give back its unused credits."""
        with self.pool.connection() as conn:
            conn.execute("select private.exhaust_youtube_key(%s)", (key.name,))
        self._refund(key.name)

    def release(self) -> None:
        """Give back every unused credit (the worker stops)."""
        with self._lock:
            names = list(self._credits)
        for name in names:
            self._refund(name)

    def _refund(self, name: str) -> None:
        today = quota_day(datetime.now(UTC))
        with self._lock:
            day, left = self._credits.pop(name, (today, 0))
        if day == today and left > 0:
            with self.pool.connection() as conn:
                conn.execute("select private.refund_youtube_units(%s, %s)", (name, left))
