"""The sync coordinator (spec 3.4) and the handler protocol every source plugs into.

How a job runs
==============
``music_video_metric_imports`` rows are the jobs (ARCHITECTURE.md). The worker runtime
(:mod:`workers.queue`) claims due jobs of one source, up to that source's ``batch_size`` at a
time, and hands them to the source's :class:`Handler`::

    claim (FOR UPDATE SKIP LOCKED, lease)  ->  handler.process(ctx, jobs) -> [JobOutcome, ...]
      ->  ONE transaction: jobs finished (only those this worker still holds)
                           + upsert_samples(all succeeded/partial samples)      (workers.metrics)
                           + music_video.metrics_synced events of finished syncs (this module)

Handlers never write ``music_video_metrics`` or the job row themselves: they *return* samples
and outcomes, and the runtime commits them together with the job status. A worker that dies
mid-job therefore leaves nothing behind, and a worker whose lease was taken over cannot
commit a second copy (the finish only touches rows it still holds).

Plugging in a source (charts, broadcast ...)
============================================
Write a module ``workers/<source>_jobs.py`` (``charts_jobs`` and ``sources/broadcast/job`` are
already listed in :data:`HANDLER_MODULES`, so they are imported when present)::

    from workers.sync import Job, JobContext, JobOutcome, register_handler
    from workers.metrics import MetricSample

    @register_handler("charts")          # a source allowed by the imports' check constraint
    class ChartsHandler:
        batch_size = 20                   # max jobs per process() call
        def __init__(self, settings): ...
        def process(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome]:
            ...fetch (ctx.store_raw(...) the raw payload), parse, build MetricSample(...)...
            return [JobOutcome.succeeded(job, samples, metadata={...}), ...]
        def close(self): ...              # optional

Outcomes (one per job; a job left without one is retried as a handler bug):

* ``JobOutcome.succeeded(job, samples, metadata)``
* ``JobOutcome.partially_failed(job, error, samples, metadata)``: some rows/videos failed;
  put the per-item detail in ``metadata`` (e.g. ``{"row_errors": [...]}``).
* ``JobOutcome.failed(job, error, metadata)``: permanent; ``error`` is shown to operators.
* ``JobOutcome.retry(job, error, at=None, retry_after=None)``: transient; the runtime picks the
  backoff (exponential, jitter) unless ``at`` is given, and fails the job after ``max_attempts``.
* ``JobOutcome.defer(job, until, reason)``: not an attempt (e.g. waiting for a quota reset).

Exceptions raised by ``process`` apply to every job of the batch, by class (workers.errors):
``QuotaExceeded`` defers *all* pending jobs of the source until ``retry_at`` and pauses the
source for every worker (no further calls); ``TransientSourceError`` retries with backoff
(``retry_after`` honoured as a minimum); ``PermanentSourceError`` and ``ConfigError`` fail
the jobs with the exception's message; anything else is logged with its traceback and
retried as "unexpected error", so nothing is swallowed.

The coordinator
===============
:func:`sync_music_video_metrics` enqueues, for one video, a release, or every
``sync_strategy = 'scheduled'`` video, one job per source the video has (:data:`SOURCE_RULES`),
all sharing a ``sync_id`` in ``metadata``. When the last job of a sync finishes, the worker
writes one ``music_video.metrics_synced`` row into ``public.music_video_events`` (video,
sources, statuses, counts, duration) in the finishing transaction, and logs the same event as
a structured line.
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from workers.config import Settings
from workers.metrics import MetricSample

__all__ = [
    "HANDLERS",
    "HANDLER_MODULES",
    "SOURCE_RULES",
    "Handler",
    "Job",
    "JobContext",
    "JobOutcome",
    "SyncRequest",
    "build_handlers",
    "queue_sync",
    "record_sync_events",
    "register_handler",
    "sync_music_video_metrics",
]

log = logging.getLogger("workers.sync")

TERMINAL = ("succeeded", "failed", "partially_failed")
OutcomeStatus = Literal["succeeded", "failed", "partially_failed", "retry", "defer"]


# --------------------------------------------------------------------------- jobs and outcomes


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed import row, as the handler sees it."""

    id: UUID
    source: str
    music_video_id: UUID | None
    platform: str | None
    attempts: int  # including the current one
    max_attempts: int
    metadata: Mapping[str, Any]
    created_at: datetime
    started_at: datetime | None
    triggered_by: UUID | None = None
    dedupe_key: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        return cls(id=row["id"], source=row["source"], music_video_id=row["music_video_id"],
                   platform=row["platform"], attempts=row["attempts"], max_attempts=row["max_attempts"],
                   metadata=row["metadata"] or {}, created_at=row["created_at"], started_at=row["started_at"],
                   triggered_by=row.get("triggered_by"), dedupe_key=row.get("dedupe_key"))

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


@dataclass(slots=True)
class JobOutcome:
    """What happened to one job. Build it with the class methods."""

    job_id: UUID
    status: OutcomeStatus
    error: str | None = None
    samples: list[MetricSample] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    run_after: datetime | None = None  # defer: when; retry: an explicit time (else backoff)
    retry_after: float | None = None  # retry: the server's hint, a minimum delay in seconds

    @classmethod
    def succeeded(cls, job: Job, samples: Iterable[MetricSample] = (),
                  metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "succeeded", samples=list(samples), metadata=dict(metadata or {}))

    @classmethod
    def partially_failed(cls, job: Job, error: str, samples: Iterable[MetricSample] = (),
                         metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "partially_failed", error=error, samples=list(samples),
                   metadata=dict(metadata or {}))

    @classmethod
    def failed(cls, job: Job, error: str, metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "failed", error=error, metadata=dict(metadata or {}))

    @classmethod
    def retry(cls, job: Job, error: str, *, at: datetime | None = None, retry_after: float | None = None,
              metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "retry", error=error, run_after=at, retry_after=retry_after,
                   metadata=dict(metadata or {}))

    @classmethod
    def defer(cls, job: Job, until: datetime, reason: str,
              metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        if until.tzinfo is None:
            raise ValueError("defer until must be timezone-aware")
        return cls(job.id, "defer", error=reason, run_after=until, metadata=dict(metadata or {}))


@dataclass
class JobContext:
    """What a handler may use. ``stopping`` is set on shutdown: finish quickly or return retries."""

    settings: Settings
    pool: Any  # psycopg_pool.ConnectionPool: autocommit connections with dict rows
    storage: Any  # workers.storage.Storage
    worker_id: str
    log: logging.Logger
    stopping: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock()

    def store_raw(self, source: str, data: bytes, *, content_type: str = "application/json",
                  ext: str = "json", fetched_at: datetime | None = None) -> dict[str, str]:
        """Keep a raw payload for audit and replay; returns ``{"bucket", "path"}`` for job metadata.

        Path: ``<source>/<YYYY>/<MM>/<DD>/<HHMMSS.ffffff>Z-<uuid>.<ext>`` in the raw-payload bucket.
        """
        from workers.storage import RAW_PAYLOAD_BUCKET

        at = (fetched_at or self.now()).astimezone(UTC)
        path = f"{source}/{at:%Y/%m/%d}/{at:%H%M%S.%f}Z-{uuid.uuid4().hex[:12]}.{ext}"
        self.storage.put(RAW_PAYLOAD_BUCKET, path, data, content_type)
        return {"bucket": RAW_PAYLOAD_BUCKET, "path": path}


@runtime_checkable
class Handler(Protocol):
    """A source adapter as the worker runtime drives it (see the module docstring)."""

    batch_size: int

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> Sequence[JobOutcome]: ...


HandlerFactory = Callable[[Settings], Handler]

# source -> factory(settings) -> Handler. Filled by @register_handler in the handler modules.
HANDLERS: dict[str, HandlerFactory] = {}

# Modules imported by build_handlers(); absent ones are skipped.
HANDLER_MODULES: tuple[str, ...] = ("workers.youtube_jobs", "workers.charts_jobs", "workers.sources.broadcast.job")


def register_handler(source: str) -> Callable[[HandlerFactory], HandlerFactory]:
    """Class or factory decorator: ``@register_handler("charts")``."""
    if source not in ("youtube", "charts", "broadcast"):
        raise ValueError(f"unknown job source {source!r} (music_video_metric_imports_source_known)")

    def deco(factory: HandlerFactory) -> HandlerFactory:
        HANDLERS[source] = factory
        return factory

    return deco


def load_handler_modules() -> None:
    for mod in HANDLER_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def build_handlers(settings: Settings, sources: Iterable[str] | None = None) -> dict[str, Handler]:
    """Instantiate the registered handlers (all, or only ``sources``)."""
    load_handler_modules()
    wanted = set(sources) if sources is not None else set(HANDLERS)
    missing = wanted - set(HANDLERS)
    if missing:
        from workers.errors import ConfigError

        raise ConfigError(f"no handler registered for source(s) {sorted(missing)}; "
                          f"known: {sorted(HANDLERS)}")
    return {s: HANDLERS[s](settings) for s in sorted(wanted)}


# --------------------------------------------------------------------------- the coordinator

# Which videos have which polled source. Each is a SQL condition on ``v`` (public.music_videos).
# Broadcast jobs come from CSV uploads, never from a sync. Webhook videos are pushed, not polled.
SOURCE_RULES: dict[str, tuple[str, str | None]] = {
    # source: (condition, platform of the job row)
    "youtube": (
        "exists (select 1 from public.music_video_platform_targets as t"
        " where t.music_video_id = v.id and t.platform = 'youtube' and t.external_id is not null"
        " and t.auto_sync)",
        "youtube",
    ),
    "charts": (
        "(v.spotify_track_uri is not null or v.apple_music_id is not null or v.isrc is not null"
        " or v.kpi_chart_target is not null)",
        None,
    ),
}


@dataclass(frozen=True)
class SyncRequest:
    """The jobs one sync request produced (or reused, when a live job already existed)."""

    import_ids: list[UUID]
    created: int
    reused: int
    by_video: dict[UUID, list[dict[str, Any]]]


def _enqueue(conn: psycopg.Connection, *, where: str, params: Mapping[str, Any], sources: Sequence[str],
             trigger: str, triggered_by: UUID | None, sync_prefix: str | None,
             dedupe_prefix: str | None) -> SyncRequest:
    """One insert per source for every video matching ``where``; existing live jobs are reused."""
    created_ids: list[UUID] = []
    by_video: dict[UUID, list[dict[str, Any]]] = {}
    reused = 0
    request_id = uuid.uuid4().hex
    with conn.transaction():
        for source in sources:
            cond, platform = SOURCE_RULES[source]
            # sync_id groups one video's jobs of one request; nightly runs key it by the run date.
            sync_id_sql = ("%(sync_prefix)s || ':' || v.id::text" if sync_prefix
                           else "%(request_id)s || ':' || v.id::text")
            dedupe_sql = (f"%(dedupe_prefix)s || ':' || v.id::text || ':{source}'" if dedupe_prefix
                          else "null")
            q = f"""
                with wanted as (
                  select v.id from public.music_videos as v where ({where}) and {cond}
                ),
                ins as (
                  insert into public.music_video_metric_imports
                    (music_video_id, platform, source, triggered_by, dedupe_key, metadata)
                  select v.id, %(platform)s::public.platform_enum, %(source)s, %(triggered_by)s,
                         {dedupe_sql},
                         jsonb_build_object('trigger', %(trigger)s::text, 'sync_id', {sync_id_sql})
                  from wanted as v
                  order by v.id
                  on conflict do nothing
                  returning id, music_video_id
                )
                select w.id as music_video_id, ins.id as created_id, live.id as live_id, live.status
                from wanted as w
                left join ins on ins.music_video_id = w.id
                left join lateral (
                  select i.id, i.status::text from public.music_video_metric_imports as i
                  where i.music_video_id = w.id and i.source = %(source)s
                    and i.status in ('pending', 'processing')
                  limit 1
                ) as live on ins.id is null
            """  # conditions are module constants; values are bound
            rows = conn.execute(q, {**params, "platform": platform, "source": source,
                                    "triggered_by": triggered_by, "trigger": trigger,
                                    "sync_prefix": sync_prefix, "request_id": request_id,
                                    "dedupe_prefix": dedupe_prefix}).fetchall()
            for r in rows:
                r = r if isinstance(r, Mapping) else dict(zip(("music_video_id", "created_id", "live_id",
                                                                "status"), r, strict=True))
                entry = {"source": source}
                if r["created_id"] is not None:
                    created_ids.append(r["created_id"])
                    entry.update(import_id=r["created_id"], created=True, status="pending")
                elif r["live_id"] is not None:
                    reused += 1
                    entry.update(import_id=r["live_id"], created=False, status=r["status"])
                else:  # a dedupe key from an earlier run of the same night: already done
                    entry.update(import_id=None, created=False, status="already_enqueued")
                by_video.setdefault(r["music_video_id"], []).append(entry)
    ids = [e["import_id"] for es in by_video.values() for e in es if e["import_id"] is not None]
    return SyncRequest(import_ids=ids, created=len(created_ids), reused=reused, by_video=by_video)


def sync_music_video_metrics(conn: psycopg.Connection, music_video_id: UUID | str | None = None, *,
                             release_id: UUID | str | None = None, scheduled: bool = False,
                             sources: Sequence[str] | None = None, triggered_by: UUID | None = None,
                             trigger: str = "manual") -> SyncRequest:
    """Enqueue a sync of every source the video (or release, or all scheduled videos) has.

    Exactly one of ``music_video_id``, ``release_id`` or ``scheduled=True``. The workers run the
    jobs; follow them through ``SyncRequest.import_ids``.
    """
    chosen = [x for x in (music_video_id, release_id, scheduled or None) if x is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of music_video_id, release_id or scheduled=True")
    if music_video_id is not None:
        where, params = "v.id = %(vid)s", {"vid": UUID(str(music_video_id))}
    elif release_id is not None:
        where, params = "v.release_id = %(rid)s", {"rid": UUID(str(release_id))}
    else:
        where, params = "v.sync_strategy = 'scheduled'", {}
    return _enqueue(conn, where=where, params=params, sources=list(sources or SOURCE_RULES),
                    trigger=trigger, triggered_by=triggered_by, sync_prefix=None, dedupe_prefix=None)


def queue_sync(conn: psycopg.Connection, music_video_id: UUID | str, source: str, *,
               triggered_by: UUID | None = None) -> UUID:
    """Enqueue one job of one source for one video, as the RPC does; reuse a live one if any.

    Unlike :func:`sync_music_video_metrics` it does not check that the video has the source.
    """
    vid = UUID(str(music_video_id))
    _cond, platform = SOURCE_RULES.get(source, ("", None))
    with conn.transaction():
        row = conn.execute(
            "insert into public.music_video_metric_imports"
            " (music_video_id, platform, source, triggered_by, metadata)"
            " values (%s, %s, %s, %s, %s) on conflict do nothing returning id",
            (vid, platform, source, triggered_by,
             Jsonb({"trigger": "manual", "sync_id": f"{uuid.uuid4().hex}:{vid}"}))).fetchone()
        if row is None:
            row = conn.execute(
                "select id from public.music_video_metric_imports where music_video_id = %s and source = %s"
                " and status in ('pending', 'processing') limit 1", (vid, source)).fetchone()
    if row is None:
        raise RuntimeError("could not enqueue nor find a live job")  # raced with a finishing job
    return row["id"] if isinstance(row, Mapping) else row[0]


# --------------------------------------------------------------------------- the analytics event

_EVENT_SQL = """
with groups as (
  select distinct j.music_video_id, coalesce(j.metadata ->> 'sync_id', j.id::text) as sync_id
  from public.music_video_metric_imports as j
  where j.id = any(%(ids)s) and j.music_video_id is not null
    and j.status in ('succeeded', 'failed', 'partially_failed')
),
members as (
  select g.sync_id, j.*
  from groups as g
  join public.music_video_metric_imports as j
    on j.music_video_id = g.music_video_id
    and coalesce(j.metadata ->> 'sync_id', j.id::text) = g.sync_id
),
done as (
  select m.sync_id, m.music_video_id,
         jsonb_build_object(
           'music_video_id', m.music_video_id,
           'sync_id', m.sync_id,
           'sources', jsonb_agg(distinct m.source),
           'import_ids', jsonb_agg(m.id order by m.source),
           'statuses', jsonb_object_agg(m.source, m.status),
           'counts', jsonb_build_object(
             'jobs', count(*),
             'succeeded', count(*) filter (where m.status = 'succeeded'),
             'failed', count(*) filter (where m.status = 'failed'),
             'partially_failed', count(*) filter (where m.status = 'partially_failed'),
             'samples_inserted', coalesce(sum((m.metadata #>> '{samples,inserted}')::int), 0),
             'samples_updated', coalesce(sum((m.metadata #>> '{samples,updated}')::int), 0)),
           'duration_ms', round(extract(epoch from max(m.completed_at) - min(m.created_at)) * 1000),
           'processing_ms', round(extract(epoch from max(m.completed_at) - min(m.started_at)) * 1000),
           'errors', coalesce(jsonb_object_agg(m.source, m.error_message)
                                filter (where m.error_message is not null), '{}'::jsonb)
         ) as payload
  from members as m
  group by m.music_video_id, m.sync_id
  having bool_and(m.status in ('succeeded', 'failed', 'partially_failed'))
)
insert into public.music_video_events (event, music_video_id, payload, dedupe_key)
select 'music_video.metrics_synced', d.music_video_id, d.payload, 'metrics_synced:' || d.sync_id
from done as d
on conflict (dedupe_key) where dedupe_key is not null do nothing
returning payload
"""


def record_sync_events(conn: psycopg.Connection, finished_ids: Sequence[UUID], *,
                       payloads: bool = True) -> list[dict[str, Any]]:
    """Write ``music_video.metrics_synced`` for every sync whose last job is among ``finished_ids``.

    A sync is the jobs of one video sharing ``metadata.sync_id`` (or a job alone without one);
    jobs without a video emit nothing. Call it inside the transaction that finished the jobs.
    Per-sync advisory locks make two workers finishing a sync's last two jobs at once see each
    other's result, and the event's dedupe key makes the write idempotent. Returns the payloads
    written (to log after commit).
    """
    if not finished_ids:
        return []
    ids = list(finished_ids)
    conn.execute(
        "select pg_advisory_xact_lock(hashtextextended(s.sync_id, 4242))"
        " from (select distinct j.metadata ->> 'sync_id' as sync_id"
        "       from public.music_video_metric_imports as j"
        "       where j.id = any(%s) and j.metadata ? 'sync_id' order by 1) as s", (ids,))
    if not payloads:
        conn.execute(_EVENT_SQL.replace("returning payload", ""), {"ids": ids})
        return []
    rows = conn.execute(_EVENT_SQL, {"ids": ids}).fetchall()
    return [r["payload"] if isinstance(r, Mapping) else r[0] for r in rows]
