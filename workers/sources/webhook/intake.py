"""The SQL of accepting a verified push (the service runs it; docs/webhooks.md has the flow).

One transaction per push, so a refused or failed push leaves nothing behind:

1. :data:`CLAIM_SQL` records the delivery under its unique ``(source, webhook_id)`` key and, in
   the same statement, resolves the push's video references. A second delivery of the same id
   waits for the first transaction and then conflicts (``fresh`` false): a replay, answered
   with the jobs :data:`REPLAY_SQL` reads back, whichever service process took the first.
2. :func:`judge_references` turns the resolution into problems: an unknown reference (404),
   a video whose ``sync_strategy`` is not ``webhook`` or that has no target on the platform (422).
3. The raw body goes to Storage; then :data:`ENQUEUE_IMPORT_SQL` (broadcast partners: one
   ``webhook`` import job) or :data:`ENQUEUE_SYNC_SQL` (YouTube: a sync of the named videos
   through ``private.enqueue_music_video_syncs``) and the delivery's job ids, in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workers.sources.webhook.parser import problem

__all__ = ["CLAIM_SQL", "ENQUEUE_IMPORT_SQL", "ENQUEUE_SYNC_SQL", "REPLAY_SQL", "judge_references"]

# Record the delivery (fresh = not seen before) and resolve each reference, in order: a target
# of this platform whose external_id is the reference (the partner's own id for the video, or
# the YouTube video id), else a video whose id is the reference.
CLAIM_SQL = """
with d as (
  insert into private.metrics_webhook_deliveries (source, webhook_id)
  values (%(source)s, %(webhook_id)s)
  on conflict do nothing
  returning true as fresh
)
select
  coalesce((select d.fresh from d), false) as fresh,
  coalesce(jsonb_agg(jsonb_build_object(
    'reference', r.ref, 'music_video_id', m.id, 'sync_strategy', m.sync_strategy, 'targeted', m.targeted)
    order by r.n), '[]'::jsonb) as videos
from unnest(%(refs)s::text[]) with ordinality as r (ref, n)
left join lateral (
  select x.id, x.sync_strategy, x.targeted
  from (
    select v.id, v.sync_strategy::text as sync_strategy, true as targeted, 0 as rank
    from public.music_video_platform_targets as t
    inner join public.music_videos as v on t.music_video_id = v.id
    where t.platform = %(platform)s::public.platform_enum and t.external_id = r.ref
    union all
    select v.id, v.sync_strategy::text, exists (
      select 1 from public.music_video_platform_targets as t
      where t.music_video_id = v.id and t.platform = %(platform)s::public.platform_enum
    ), 1
    from public.music_videos as v
    where v.id = private.try_uuid(r.ref)
  ) as x
  order by x.rank
  limit 1
) as m on true
"""

# The jobs of an earlier delivery of the same id (a new statement: it sees the first commit).
REPLAY_SQL = """
select d.import_ids, d.received_at
from private.metrics_webhook_deliveries as d
where d.source = %(source)s and d.webhook_id = %(webhook_id)s
"""

# A broadcast push: one `webhook` import job naming the stored body and the resolved videos.
ENQUEUE_IMPORT_SQL = """
with j as (
  insert into public.music_video_metric_imports (music_video_id, platform, source, metadata)
  values (%(music_video_id)s, %(platform)s::public.platform_enum, 'webhook', %(metadata)s)
  returning id
)
update private.metrics_webhook_deliveries as d
set import_ids = array(select j.id from j), raw_payload_path = %(path)s
where d.source = %(source)s and d.webhook_id = %(webhook_id)s
returning d.import_ids
"""

# A YouTube notification: a sync of the named videos (a live YouTube job of a video is reused).
ENQUEUE_SYNC_SQL = """
with e as (
  select e.import_id
  from private.enqueue_music_video_syncs(%(video_ids)s::uuid[], 'webhook', false, null, array['youtube']) as e
)
update private.metrics_webhook_deliveries as d
set import_ids = array(select e.import_id from e), raw_payload_path = %(path)s
where d.source = %(source)s and d.webhook_id = %(webhook_id)s
returning d.import_ids
"""


def judge_references(videos: Sequence[Mapping[str, Any]], platform: str) -> tuple[int, list[dict[str, str]]]:
    """(HTTP status, problems) of the resolved references; (202, []) when every one may push.

    404 when some reference names no video; 422 when a video does not take pushes for the
    platform (its ``sync_strategy`` is not ``webhook``, or it has no target on the platform).
    """
    problems: list[dict[str, str]] = []
    unknown = False
    for v in videos:
        ref = v["reference"]
        if v["music_video_id"] is None:
            unknown = True
            problems.append(
                problem("video_reference", "unknown_video", f"no music video has the {platform} reference {ref!r}")
            )
        elif v["sync_strategy"] != "webhook":
            problems.append(
                problem(
                    "video_reference",
                    "wrong_sync_strategy",
                    f"music video {v['music_video_id']} ({ref}) syncs '{v['sync_strategy']}', "
                    "not 'webhook': it does not accept pushes",
                )
            )
        elif not v["targeted"]:
            problems.append(
                problem(
                    "video_reference",
                    "platform_not_targeted",
                    f"music video {v['music_video_id']} ({ref}) has no {platform} platform target",
                )
            )
    if not problems:
        return 202, []
    return (404 if unknown else 422), problems
