"""The ``music_video.metrics_synced`` event: written when the last job of a sync finishes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row

__all__ = ["LOCK_SYNCS_SQL", "record_locked_sync_events", "record_sync_events"]


# The groups arrive as arrays of (video, sync key, created_at) triples; a sync key is
# metadata.sync_id or, for a job without one, the job's own id. A sync's jobs are inserted by one
# statement (private.enqueue_music_video_syncs, the chart backfill), so they share the created_at of
# that transaction: each group's members are one exact range of the (music_video_id, created_at)
# index, read by a lateral aggregate, however many imports the video's history holds (a video
# synced nightly for a year has hundreds; the range on the video alone read them all, and a queue
# table analyzed before a big enqueue planned it as a bitmap scan of ~400 estimated rows per group:
# ~0.3 ms per job at 100,000 jobs, most of the server's time at that size).
_EVENT_SQL = """
with groups as (
  select distinct g.music_video_id, g.sync_id, g.created_at
  from unnest(%(videos)b::uuid[], %(syncs)b::text[], %(created)b::timestamptz[])
    as g(music_video_id, sync_id, created_at)
),
done as (
  select g.sync_id, g.music_video_id, d.payload
  from groups as g
  cross join lateral (
    select bool_and(m.status in ('succeeded', 'failed', 'partially_failed')) as ended,
           jsonb_build_object(
             'music_video_id', g.music_video_id,
             'sync_id', g.sync_id,
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
    from public.music_video_metric_imports as m
    where m.music_video_id = g.music_video_id
      and m.created_at = g.created_at
      and coalesce(m.metadata ->> 'sync_id', m.id::text) = g.sync_id
  ) as d
  where d.ended
)
insert into public.music_video_events (event, music_video_id, payload, dedupe_key)
select 'music_video.metrics_synced', d.music_video_id, d.payload, 'metrics_synced:' || d.sync_id
from done as d
on conflict (dedupe_key) where dedupe_key is not null do nothing
returning payload
"""

# The finished jobs' groups, by primary key (a join on the unnested ids: `id = any(array)` planned a
# sequential scan of the queue table once the array was a few hundred long).
_GROUPS_SQL = """
select j.music_video_id, coalesce(j.metadata ->> 'sync_id', j.id::text) as sync_key,
       j.metadata ->> 'sync_id' as sync_id, j.created_at
from unnest(%s::uuid[]) as i(id)
join public.music_video_metric_imports as j on j.id = i.id
where j.music_video_id is not null and j.status in ('succeeded', 'failed', 'partially_failed')
"""

# One lock per sync, taken in sorted order (two transactions locking overlapping syncs cannot deadlock).
LOCK_SYNCS_SQL = """
select pg_advisory_xact_lock(hashtextextended(s.sync_id, 4242))
from (select distinct u.sync_id from unnest(%s::text[]) as u(sync_id) where u.sync_id is not null order by 1) as s
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
    rows = conn.cursor(row_factory=tuple_row).execute(_GROUPS_SQL, (list(finished_ids),)).fetchall()
    if not rows:
        return []
    conn.execute(LOCK_SYNCS_SQL, ([r[2] for r in rows],))
    return record_locked_sync_events(conn, [r[0] for r in rows], [r[1] for r in rows], [r[3] for r in rows],
                                     payloads=payloads)


def record_locked_sync_events(conn: psycopg.Connection, videos: Sequence[UUID], sync_keys: Sequence[str],
                              created: Sequence[datetime], *, payloads: bool = True) -> list[dict[str, Any]]:
    """The events of the syncs ``(videos[i], sync_keys[i])`` (a sync key: ``metadata.sync_id``, or the
    job's id when it has none; ``created[i]``: a finished job's ``created_at``, which all the jobs of
    its sync share) whose jobs are all finished. The caller holds the syncs' advisory
    locks (:data:`LOCK_SYNCS_SQL`, or the lock the finish statement takes) and took them in an
    earlier statement, so this statement's snapshot sees what another worker committed meanwhile.
    """
    if not videos:
        return []
    params = {"videos": list(videos), "syncs": list(sync_keys), "created": list(created)}
    if not payloads:
        conn.execute(_EVENT_SQL.replace("returning payload", ""), params)
        return []
    rows = conn.execute(_EVENT_SQL, params).fetchall()
    return [r["payload"] if isinstance(r, Mapping) else r[0] for r in rows]
