"""The ``music_video.metrics_synced`` event: written when the last job of a sync finishes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg

__all__ = ["record_sync_events"]


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
