"""The YouTube job handler (spec 3.1): up to 50 claimed jobs -> one ``videos.list`` call.

The pure parser (:mod:`.parser`) and the httpx client (:mod:`.client`) sit beside this module,
which runs them for queue jobs:

* a claimed batch holds at most 50 jobs (``batch_size``), one per video; their YouTube ids come
  from ``music_video_platform_targets.external_id``. One call serves the batch, so 100 due
  videos cost 2 calls;
* the runtime hands the batches of a claim to :meth:`YouTubeHandler.prepare` as soon as they are
  claimed: their YouTube ids are looked up and their calls' units reserved (:mod:`.quota`) in one
  statement each for the whole claim, so a slot goes from one answer to its next call without
  either round trip;
* the raw response is kept in Storage (``music-video-raw-payloads/youtube/...``) and its path
  recorded on every job of the batch (``metadata.raw_payload``), with ``collected_at``, so
  :func:`replay_youtube` can re-parse it later without calling the API;
* each returned id becomes a :class:`~workers.metrics.MetricSample` (views, likes, comments,
  favorites; a count YouTube left out stays null); an id missing from ``items`` fails that
  job with "video not found or private" and is not retried; a count beyond bigint (YouTube
  sends uint64) fails that job alone, naming the field and value;
* if Storage is down when the raw response is kept, the response waits in the local spool
  (``ctx.keep_raw``, :mod:`workers.raw_spool`) and the metrics are stored anyway: the batch is
  not retried, so YouTube is never called twice for one fetch;
* errors are the client's exception classes, and the runtime applies them to the batch:
  ``quotaExceeded`` defers every YouTube job to midnight Pacific Time, rate limits, 5xx and
  timeouts back off, a bad key fails the batch with a clear message.

The API keys come from settings (``MV_YOUTUBE_API_KEYS``, each with its daily budget, rotated on
``quotaExceeded`` by the client; or the one ``MV_YOUTUBE_API_KEY``) or, when deployed, from the
Supabase Vault secret named by ``MV_YOUTUBE_API_KEY_SECRET``. Each call's unit is counted in the
database (:mod:`.quota`), shared by every worker process. Keys are never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from workers.config import Settings
from workers.errors import ConfigError, FeedRejected, SourceAuthError
from workers.metrics import MetricSample, UpsertCounts, upsert_samples
from workers.queue.handler import Job, JobContext, JobOutcome
from workers.sources.youtube.client import MAX_IDS_PER_CALL, Answer, YouTubeClient
from workers.sources.youtube.parser import SOURCE, YouTubeStats, parse_videos_list
from workers.sources.youtube.quota import DbQuotaLedger, api_keys
from workers.sync import enqueue_syncs

__all__ = ["YouTubeHandler", "queue_youtube_sync", "replay_youtube", "resolve_youtube_key"]

log = logging.getLogger("workers.jobs")

NOT_FOUND = ("video not found or private: YouTube returned no item for id {ext} (deleted, private or "
             "never existed); check the video's YouTube launch URL")
BEYOND_BIGINT = ("YouTube reported {key} = {value} for id {ext}, beyond the largest count that can be stored "
                 "(9223372036854775807); this video's sample was not stored")
NO_TARGET = ("no YouTube video id for this video: add its YouTube launch URL to the platform targets "
             "(music_video_platform_targets.external_id)")


def queue_youtube_sync(conn: psycopg.Connection, music_video_id: UUID | str) -> UUID:
    """Enqueue one YouTube sync job for a video, as the RPC does (a live job is reused)."""
    req = enqueue_syncs(conn, video_id=music_video_id, trigger="manual", sources=[SOURCE])
    if not req.import_ids:
        raise ValueError(f"music video {music_video_id} has no YouTube video id to sync")
    return req.import_ids[0]


def resolve_youtube_key(settings: Settings, conn: psycopg.Connection | None = None) -> str:
    """The API key: ``MV_YOUTUBE_API_KEY``, else the Vault secret ``MV_YOUTUBE_API_KEY_SECRET``."""
    if settings.youtube_api_key is not None and settings.youtube_api_key.get_secret_value():
        return settings.youtube_api_key.get_secret_value()
    name = settings.youtube_api_key_secret
    if name and conn is not None:
        try:
            row = conn.execute("select decrypted_secret from vault.decrypted_secrets where name = %s",
                               (name,)).fetchone()
        except psycopg.errors.UndefinedTable as exc:
            raise ConfigError("MV_YOUTUBE_API_KEY_SECRET is set but this database has no Supabase Vault "
                              "(vault.decrypted_secrets)") from exc
        value = (row["decrypted_secret"] if isinstance(row, Mapping) else row[0]) if row else None
        if not value:
            raise ConfigError(f"the Vault secret {name!r} (MV_YOUTUBE_API_KEY_SECRET) is missing or empty")
        return value
    raise ConfigError("YouTube API key is not configured: set MV_YOUTUBE_API_KEY, or "
                      "MV_YOUTUBE_API_KEY_SECRET to the name of a Supabase Vault secret")


def _sample(job_id: UUID, video_id: UUID, stats: YouTubeStats, collected_at: datetime) -> MetricSample:
    return MetricSample(
        music_video_id=video_id, platform="youtube", collected_at=collected_at, source=SOURCE,
        views_total=stats.view_count, likes_total=stats.like_count, comments_total=stats.comment_count,
        favorites_total=stats.favorite_count, external_reference=stats.video_id, import_batch_id=job_id,
        detail={"unknown": [k for k in ("view_count", "like_count", "comment_count", "favorite_count")
                            if getattr(stats, k) is None]})


_BIGINT_MAX = 2**63 - 1
_API_KEYS = {"view_count": "viewCount", "like_count": "likeCount", "comment_count": "commentCount",
             "favorite_count": "favoriteCount"}


def _beyond_bigint(stats: YouTubeStats) -> tuple[str, int] | None:
    """The first count (API key, value) that a bigint column cannot hold, if any.

    The parser accepts YouTube's uint64 range; the metrics columns are bigint. One such count in
    a batch's upsert would fail the whole batch ("bigint out of range"), so it fails its own job.
    """
    for attr, key in _API_KEYS.items():
        value = getattr(stats, attr)
        if value is not None and value > _BIGINT_MAX:
            return key, value
    return None


def _targets(conn: psycopg.Connection, video_ids: Iterable[UUID]) -> dict[UUID, str]:
    # The ids go as a binary array (%b: no per-element text escaping in Python) and the rows come
    # back as tuples (no dict per row): a claim's look-up is hundreds of ids.
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "select t.music_video_id, t.external_id from public.music_video_platform_targets as t"
            " where t.platform = 'youtube' and t.external_id is not null and t.music_video_id = any(%b::uuid[])",
            (list(video_ids),)).fetchall()
    return dict(rows)


class YouTubeHandler:
    """``videos.list?part=statistics`` for up to 50 jobs per call."""

    batch_size = MAX_IDS_PER_CALL

    @staticmethod
    def cannot_serve(settings: Settings) -> str | None:
        """Why a worker with these settings cannot run YouTube jobs (None: it can)."""
        if settings.youtube_api_keys:
            return None  # MV_YOUTUBE_API_KEYS: several keys, rotated on quotaExceeded
        if settings.youtube_api_key is not None and settings.youtube_api_key.get_secret_value():
            return None
        if settings.youtube_api_key_secret:
            return None  # read from Supabase Vault with the first batch
        return ("MV_YOUTUBE_API_KEY (or MV_YOUTUBE_API_KEYS, or MV_YOUTUBE_API_KEY_SECRET, a Vault secret's name)"
                " is not set")

    def __init__(self, settings: Settings, *, client: YouTubeClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._own_client = client is None
        self._lock = threading.Lock()
        self._ledger: DbQuotaLedger | None = None
        # job id -> its YouTube id (None: no target), looked up by prepare(); taken by process()
        self._ahead: dict[UUID, str | None] = {}
        single = settings.youtube_api_key.get_secret_value() if settings.youtube_api_key is not None else None
        if client is None and (keys := api_keys(settings, single)):
            # Build the HTTP client now rather than inside the first batch (a Vault key waits for a job).
            self._client = YouTubeClient(keys, base_url=settings.youtube_base_url, timeout=settings.http_timeout)

    def close(self) -> None:
        with self._lock:
            self._ahead.clear()
            ledger, self._ledger = self._ledger, None
        if ledger is not None:
            try:
                ledger.release()  # the units reserved ahead and not used (quota.py)
            except Exception as exc:  # the database or the pool is gone: the units stay counted
                log.warning("could not give back the YouTube units reserved ahead", extra={"error": str(exc)[:300]})
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    def _get_client(self, ctx: JobContext) -> YouTubeClient:
        with self._lock:
            if self._client is None:
                with ctx.pool.connection() as conn:
                    key = resolve_youtube_key(self.settings, conn)
                self._client = YouTubeClient(api_keys(self.settings, key), base_url=self.settings.youtube_base_url,
                                             timeout=self.settings.http_timeout)
            return self._client

    def _ledger_for(self, ctx: JobContext) -> DbQuotaLedger:
        """The quota ledger of this worker's pool (one per pool: it keeps the units reserved ahead)."""
        with self._lock:
            if self._ledger is None or self._ledger.pool is not ctx.pool:
                self._ledger = DbQuotaLedger(ctx.pool, self.settings.youtube_daily_units)
            return self._ledger

    AHEAD_MAX = 10_000  # ids kept from prepare() (batches deferred after it leave theirs behind)

    def prepare(self, ctx: JobContext, batches: Sequence[Sequence[Job]]) -> None:
        """Batches just claimed (the runtime calls this before running them): look their YouTube ids
        up and reserve their calls' units, one statement each for all of them. A batch that then
        runs finds both ready; one that does not leaves its unit to a later call (:mod:`.quota`)."""
        jobs = [j for b in batches for j in b]
        with ctx.pool.connection() as conn:
            targets = _targets(conn, {j.music_video_id for j in jobs if j.music_video_id})
        with self._lock:
            if len(self._ahead) > self.AHEAD_MAX:
                self._ahead.clear()  # a lost entry only costs process() its own look-up
            self._ahead.update((j.id, targets.get(j.music_video_id) if j.music_video_id else None) for j in jobs)
        calls = sum(1 for b in batches if any(j.music_video_id in targets for j in b))
        key = self._get_client(ctx).next_key() if calls else None
        if key is not None:
            self._ledger_for(ctx).reserve_ahead(key, calls)

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome]:
        done = self.call(ctx, jobs)
        return done() if callable(done) else done

    def call(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome] | Callable[[], list[JobOutcome]]:
        """The batch up to its ``videos.list`` answer; returns the outcomes when there was no answer to
        read, else the function that reads it (keeps the raw body, builds the outcomes), which the
        runtime runs off the slot so that the slot's next call goes out first."""
        outcomes: list[JobOutcome] = []
        with self._lock:
            known = {j.id: self._ahead.pop(j.id) for j in jobs if j.id in self._ahead}
        missing = {j.music_video_id for j in jobs if j.music_video_id and j.id not in known}
        if missing:
            with ctx.pool.connection() as conn:
                targets = _targets(conn, missing)
            known.update((j.id, targets.get(j.music_video_id)) for j in jobs if j.music_video_id in targets)
        wanted: dict[str, list[Job]] = {}
        for job in jobs:
            ext = known.get(job.id) if job.music_video_id else None
            if ext is None:
                outcomes.append(JobOutcome.failed(job, NO_TARGET))
            else:
                wanted.setdefault(ext, []).append(job)
        if not wanted:
            return outcomes
        client = self._get_client(ctx)
        try:
            answer = client.fetch_answer(list(wanted), ledger=self._ledger_for(ctx))
        except SourceAuthError:
            with self._lock:  # re-read the key next time: it may have been rotated
                if self._own_client and self._client is client:
                    self._client = None
                    client.close()
            raise
        return lambda: outcomes + self._read(ctx, wanted, answer)

    @staticmethod
    def _read(ctx: JobContext, wanted: Mapping[str, list[Job]], answer: Answer) -> list[JobOutcome]:
        """The outcomes of an answered call: one sample per returned id, a failure per missing one;
        a 200 that is not a videos.list answer fails the batch, its body kept for audit."""
        try:
            fetched = answer.parse()
        except FeedRejected as exc:
            meta = {"raw_payload": ctx.keep_raw(SOURCE, answer.raw, fetched_at=ctx.now())}
            return [JobOutcome.failed(job, str(exc), meta) for js in wanted.values() for job in js]
        outcomes: list[JobOutcome] = []
        collected_at = ctx.now()
        # Kept even through a Storage outage (spooled locally, "pending"): retrying the batch
        # would spend quota on the same fetch again.
        raw_ref = ctx.keep_raw(SOURCE, fetched.raw, fetched_at=collected_at)
        common = {"raw_payload": raw_ref, "collected_at": collected_at.isoformat(),
                  "api": {"calls": 1, "ids_in_call": len(wanted), "http_status": fetched.status}}
        result = fetched.result
        for ext, js in wanted.items():
            stats = result.stats.get(ext)
            for job in js:
                meta = {**common, "youtube_video_id": ext}
                if stats is None:
                    outcomes.append(JobOutcome.failed(job, NOT_FOUND.format(ext=ext), meta))
                elif (beyond := _beyond_bigint(stats)) is not None:
                    key, value = beyond
                    outcomes.append(JobOutcome.failed(job, BEYOND_BIGINT.format(key=key, value=value, ext=ext),
                                                      {**meta, "out_of_range": {key: str(value)}}))
                else:
                    sample = _sample(job.id, job.music_video_id, stats, collected_at)
                    meta["counts"] = {"views": stats.view_count, "likes": stats.like_count,
                                      "comments": stats.comment_count, "favorites": stats.favorite_count}
                    outcomes.append(JobOutcome.succeeded(job, [sample], meta))
        return outcomes


@dataclass
class ReplayReport:
    payloads: int
    imports: int
    not_found: int
    counts: UpsertCounts
    # imports left alone because an admin rolled them back (status failed with metadata.rollbacks)
    skipped_rolled_back: list[UUID] = field(default_factory=list)
    # import id -> (rows inserted, rows updated, rows whose values changed), in import order
    per_import: dict[UUID, tuple[int, int, int]] = field(default_factory=dict)
    dry_run: bool = False


_VALUES = "views_total, likes_total, shares_total, comments_total, favorites_total"


def _values(conn: psycopg.Connection, samples: Sequence[MetricSample]) -> dict[tuple, tuple]:
    """The live rows' values at the samples' keys: (video, platform, collected_at) -> values."""
    if not samples:
        return {}
    rows = conn.execute(
        f"select m.music_video_id, m.platform::text as platform, m.collected_at, {_VALUES}, m.import_batch_id"
        " from public.music_video_metrics as m"
        " join unnest(%s::uuid[], %s::text[], %s::timestamptz[]) as k(v, p, c)"
        "   on m.music_video_id = k.v and m.platform::text = k.p and m.collected_at = k.c"
        " where m.deleted_at is null",
        ([s.music_video_id for s in samples], [s.platform for s in samples],
         [s.collected_at for s in samples])).fetchall()
    return {(r["music_video_id"], r["platform"], r["collected_at"]):
            (r["views_total"], r["likes_total"], r["shares_total"], r["comments_total"], r["favorites_total"],
             r["import_batch_id"]) for r in rows}


def replay_youtube(conn: psycopg.Connection, storage: Any, *, import_ids: Sequence[UUID] | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   video_ids: Sequence[UUID] | None = None, dry_run: bool = False) -> ReplayReport:
    """Re-parse stored ``videos.list`` payloads and upsert their samples again (no API call).

    Picks YouTube imports that recorded a raw payload (all, the given ids, the given videos, or
    those created in ``[since, until)``). Samples keep the ``collected_at`` of the original
    fetch, so a replay updates the same rows instead of adding new ones. Imports an admin rolled
    back (status failed with ``metadata.rollbacks``) are skipped and listed: a rollback is a
    person's decision, and only ``reimport``/an override changes it. ``dry_run``: the same upsert
    runs in a transaction that is rolled back, so the counts (per import: inserted, updated,
    values changed) are exactly what a real replay would do, triggers included; nothing is kept.
    """
    conds = ["j.source = 'youtube'", "j.metadata ? 'raw_payload'", "j.metadata ? 'youtube_video_id'",
             "not (j.metadata -> 'raw_payload' ? 'pending')",  # still in the local spool
             "j.music_video_id is not null"]
    params: list[Any] = []
    if import_ids is not None:
        conds.append("j.id = any(%s)")
        params.append(list(import_ids))
    if video_ids is not None:
        conds.append("j.music_video_id = any(%s)")
        params.append(list(video_ids))
    if since is not None:
        conds.append("j.created_at >= %s")
        params.append(since)
    if until is not None:
        conds.append("j.created_at < %s")
        params.append(until)
    found = conn.execute(
        "select j.id, j.music_video_id, j.metadata, (j.status = 'failed' and j.metadata ? 'rollbacks') as rolled_back"
        " from public.music_video_metric_imports as j where "
        + " and ".join(conds) + " order by j.created_at", params).fetchall()
    skipped = [r["id"] for r in found if r["rolled_back"]]
    rows = [r for r in found if not r["rolled_back"]]
    by_payload: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        ref = r["metadata"]["raw_payload"]
        by_payload.setdefault((ref["bucket"], ref["path"]), []).append(r)
    samples: list[MetricSample] = []
    not_found = 0
    for (bucket, path), imports in by_payload.items():
        raw = storage.get(bucket, path)
        ids = [i["metadata"]["youtube_video_id"] for i in imports]
        result = parse_videos_list(raw, ids)
        for imp in imports:
            stats = result.stats.get(imp["metadata"]["youtube_video_id"])
            if stats is None or _beyond_bigint(stats) is not None:
                not_found += 1
                continue
            collected_at = datetime.fromisoformat(imp["metadata"]["collected_at"])
            samples.append(_sample(imp["id"], imp["music_video_id"], stats, collected_at))
    tx = conn.transaction(force_rollback=dry_run)
    with tx:
        before = _values(conn, samples)
        counts = upsert_samples(conn, samples) if samples else UpsertCounts()
        after = _values(conn, samples)
        if rows and not dry_run:
            conn.execute("update public.music_video_metric_imports as j"
                         " set metadata = j.metadata || %s where j.id = any(%s)",
                         (Jsonb({"replayed_at": datetime.now().astimezone().isoformat()}),
                          [r["id"] for r in rows]))
    changed: dict[UUID, int] = {}
    for s in samples:
        old, new = before.get(s.key), after.get(s.key)
        if old is not None and new is not None and old[:5] != new[:5]:
            changed[s.import_batch_id] = changed.get(s.import_batch_id, 0) + 1
    per_import = {r["id"]: (*counts.by_import.get(r["id"], (0, 0)), changed.get(r["id"], 0)) for r in rows}
    return ReplayReport(payloads=len(by_payload), imports=len(rows), not_found=not_found, counts=counts,
                        skipped_rolled_back=skipped, per_import=per_import, dry_run=dry_run)
