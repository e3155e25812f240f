"""The nightly trigger: APScheduler with a cron trigger plans the night, then enqueues its jobs.

APScheduler only decides *when*; :func:`enqueue_nightly` does the work in one idempotent call of
``private.plan_music_video_nightly`` (:func:`workers.sync.plan_nightly`): it counts the YouTube
calls the scheduled videos need against the units left today (``MV_YOUTUBE_DAILY_UNITS``, each
key's own budget in ``MV_YOUTUBE_API_KEYS``), picks the videos that fit when they do not all fit
(recent releases and videos near their view target every night, the rest round-robin), records
the plan (admins read it) and enqueues through ``private.enqueue_music_video_syncs`` (the one sync
rule, see :mod:`workers.sync`) as a scheduled run. The plan is logged. Every job it inserts carries ``dedupe_key =
nightly:<run date>:<video>:<source>`` (unique), and the run date is the date of the cron fire
time the run belongs to (not "today" at execution), so:

* two schedulers firing at once insert each job once (the second insert finds the keys and
  does nothing), and
* a restart at the wrong moment is harmless: on start the scheduler catches up on a fire time
  within ``MV_SYNC_CATCHUP_HOURS`` by re-running it, which only inserts what is missing.

A video whose job of the same source is still pending or processing keeps that job (the
imports' one-live-sync index); webhook and manual videos are never polled (only
``sync_strategy = 'scheduled'``), nor targets with ``auto_sync = false``.

Settings: ``MV_SYNC_CRON`` (5-field crontab, or 6 fields with seconds first), ``MV_SYNC_TIMEZONE``.

Beside it, the release timeline's stored lanes are rebuilt for the new day
(:func:`workers.timeline.refresh_timeline_lanes`) at :data:`TIMELINE_CRON` in UTC, just after the
day the RPC's default ``as_of`` uses begins, and once on start; idempotent, so a second scheduler
or a restart only repeats a scan.

The same scheduler purges the partner webhooks' delivery rows (the replay check) past
``MV_WEBHOOK_DELIVERY_RETENTION_SECONDS`` every ``MV_WEBHOOK_PURGE_INTERVAL_SECONDS``, in bounded
batches (:meth:`NightlyScheduler.purge_webhook_deliveries`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from psycopg.rows import dict_row

from workers.config import DEFAULT_KEY_NAME, YOUTUBE_DAILY_UNITS_DEFAULT, Settings
from workers.errors import ConfigError
from workers.sync import NightlyPlan, plan_nightly
from workers.timeline import LaneRefresh, refresh_timeline_lanes

__all__ = ["TIMELINE_CRON", "NightlyScheduler", "cron_trigger", "enqueue_nightly", "previous_fire_time"]

log = logging.getLogger("workers.scheduler")

# The timeline lanes' rebuild: a minute past midnight UTC ("today" of the timeline's overdue flags).
TIMELINE_CRON = "1 0 * * *"

# Statements per purge run: a backlog (a long outage of the scheduler) drains over several runs.
PURGE_MAX_BATCHES = 100


def enqueue_nightly(conn: psycopg.Connection, run_date: date, *, sources: Sequence[str] | None = None,
                    settings: Settings | None = None) -> NightlyPlan:
    """Plan and enqueue the nightly sync of the ``scheduled`` videos for ``run_date``; idempotent per date.

    The budget is ``settings``' (without settings: the default 10,000 units on one key).
    """
    if settings is None:
        units, keys = YOUTUBE_DAILY_UNITS_DEFAULT, {DEFAULT_KEY_NAME: YOUTUBE_DAILY_UNITS_DEFAULT}
    else:
        units, keys = settings.youtube_daily_units, settings.youtube_key_budgets()
    return plan_nightly(conn, run_date, daily_units=units, key_budgets=keys, sources=sources)


def cron_trigger(expr: str, timezone: str) -> CronTrigger:
    """A crontab expression (5 fields, or 6 with seconds first) in ``timezone``."""
    try:
        tz = ZoneInfo(timezone)
        fields = expr.split()
        if len(fields) == 6:
            second, minute, hour, day, month, dow = fields
            return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                               day_of_week=dow, timezone=tz)
        return CronTrigger.from_crontab(expr, timezone=tz)
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"invalid MV_SYNC_CRON {expr!r} or MV_SYNC_TIMEZONE {timezone!r}: {exc}") from exc


def previous_fire_time(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The latest fire time in ``(now - window, now]``, or None.

    Scans growing windows back from ``now`` so a per-second cron costs a few steps, not a day's.
    """
    span = min(window, timedelta(seconds=2))
    while True:
        t = trigger.get_next_fire_time(None, now - span)
        prev = None
        while t is not None and t <= now:
            prev = t
            t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
        if prev is not None or span >= window:
            return prev
        span = min(window, span * 4)


class NightlyScheduler:
    """Fires :func:`enqueue_nightly` on the cron; ``start()`` returns at once (background thread)."""

    def __init__(self, settings: Settings, conninfo: str) -> None:
        self.settings = settings
        self.conninfo = conninfo
        self.tz = ZoneInfo(settings.sync_timezone)
        self.trigger = cron_trigger(settings.sync_cron, settings.sync_timezone)
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self.runs: list[tuple[date, NightlyPlan]] = []

    def run_for(self, run_date: date) -> NightlyPlan:
        with psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row,
                             application_name="mv-scheduler") as conn:
            plan = enqueue_nightly(conn, run_date, settings=self.settings)
        with self._lock:
            self.runs.append((run_date, plan))
        log.log(logging.INFO if plan.skipped_videos == 0 else logging.WARNING,
                "nightly sync planned and enqueued: %s", plan.summary(),
                extra={"nightly_plan": plan.log_fields()})
        return plan

    def refresh_timeline(self) -> LaneRefresh | None:
        """Rebuild the timeline lanes whose day has ended (for today, UTC); logged, never raised."""
        try:
            with psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row,
                                 application_name="mv-scheduler") as conn:
                done = refresh_timeline_lanes(conn)
        except psycopg.Error as exc:  # the read builds stale lanes live meanwhile: slower, still right
            log.error("timeline lane refresh failed", extra={"error": str(exc)})
            return None
        log.info("timeline lanes refreshed: %s", done.summary(),
                 extra={"lanes_rebuilt": done.lanes_rebuilt, "videos_seen": done.videos_seen})
        return done

    def _fire(self) -> None:
        now = datetime.now(self.tz)
        fired = previous_fire_time(self.trigger, now, timedelta(days=1, minutes=1)) or now
        try:
            self.run_for(fired.astimezone(self.tz).date())
        except psycopg.Error as exc:  # APScheduler would swallow it; say it loud and retry next fire
            log.error("nightly enqueue failed", extra={"error": str(exc), "fire_time": fired.isoformat()})

    def catch_up(self) -> NightlyPlan | None:
        """Re-run (idempotently) a fire time within the catch-up window, e.g. after a restart."""
        hours = self.settings.sync_catchup_hours
        if hours <= 0:
            return None
        prev = previous_fire_time(self.trigger, datetime.now(self.tz), timedelta(hours=hours))
        if prev is None:
            return None
        log.info("catching up on a recent nightly run", extra={"fire_time": prev.isoformat()})
        return self.run_for(prev.astimezone(self.tz).date())

    def purge_webhook_deliveries(self) -> int:
        """Delete the webhook deliveries past ``MV_WEBHOOK_DELIVERY_RETENTION_SECONDS`` (bounded
        batches, :func:`workers.sources.webhook.intake.purge_deliveries`); answers how many."""
        from workers.sources.webhook.intake import purge_deliveries

        s = self.settings
        with psycopg.connect(self.conninfo, autocommit=True, application_name="mv-scheduler") as conn:
            deleted = purge_deliveries(conn, timedelta(seconds=s.webhook_delivery_retention_seconds),
                                       batch=s.webhook_purge_batch, max_batches=PURGE_MAX_BATCHES)
        if deleted:
            log.info("purged webhook deliveries", extra={"deleted": deleted})
        return deleted

    def _purge(self) -> None:
        try:
            self.purge_webhook_deliveries()
        except psycopg.Error as exc:  # APScheduler would swallow it; the next interval retries
            log.error("webhook delivery purge failed", extra={"error": str(exc)[:300]})

    def start(self) -> None:
        self._scheduler = BackgroundScheduler(timezone=self.tz)
        self._scheduler.add_job(self._fire, self.trigger, id="nightly-metrics-sync", coalesce=True,
                                max_instances=1, misfire_grace_time=3600, replace_existing=True)
        self._scheduler.add_job(self.refresh_timeline, cron_trigger(TIMELINE_CRON, "UTC"), id="timeline-lanes",
                                coalesce=True, max_instances=1, misfire_grace_time=3600, replace_existing=True)
        self._scheduler.add_job(self._purge, IntervalTrigger(seconds=self.settings.webhook_purge_interval_seconds),
                                id="purge-webhook-deliveries", coalesce=True, max_instances=1, replace_existing=True)
        self._scheduler.start()
        try:
            self.catch_up()
        except psycopg.Error as exc:
            log.error("catch-up enqueue failed", extra={"error": str(exc)})
        self.refresh_timeline()
        job = self._scheduler.get_job("nightly-metrics-sync")
        log.info("scheduler started", extra={"cron": self.settings.sync_cron, "timezone": self.settings.sync_timezone,
                                             "next_run": job.next_run_time.isoformat() if job else None})

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
            log.info("scheduler stopped")
