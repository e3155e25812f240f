-- music_video_metrics_history as typed rows (issue 12, sections 1-2): the Metrics History
-- drawer's read returned {groups: [{platform, rows}], count, next_cursor} as jsonb. It now
-- returns one row per live metric sample (public.music_video_metric_sample), ordered by
-- platform then newest first, the page's last row carrying next_cursor when another page
-- follows; the drawer groups by platform itself. Parameters carry their real types: platforms
-- is platform_enum[], and the range is two dates, UTC calendar days, both inclusive: a
-- date-only collected_to keeps that whole day (the timestamptz bound it replaces cut the day at
-- 00:00 and dropped its rows). id stays text so a malformed id is the same PT404 as a missing
-- or foreign one.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One metric sample as the drawer shows it (music_video_metrics' columns minus the
-- bookkeeping ones).
create type public.music_video_metric_sample as (
  id uuid,
  platform public.platform_enum,
  views_total bigint,
  likes_total bigint,
  shares_total bigint,
  comments_total bigint,
  favorites_total bigint,
  chart_position integer,
  source text,
  collected_at timestamptz,
  synced_at timestamptz,
  external_reference text,
  import_batch_id uuid,
  detail jsonb,
  -- odd-data flags (views_decreased, views_frozen, views_jump), empty when nothing is odd
  flags text [],
  -- set on the page's last row only when another page follows: pass it as cursor
  next_cursor text
);
grant usage on type public.music_video_metric_sample to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_metrics_history(text, text[], timestamptz, timestamptz, text, integer);

-- security invoker: RLS decides what the caller reads; the explicit check turns "not yours"
-- into PT404. Keyset: (platform asc, collected_at desc); each branch is a range scan of
-- music_video_metrics_live_idx.
create function public.music_video_metrics_history(
  id text,
  platforms public.platform_enum[] default null,
  collected_from date default null,
  collected_to date default null,
  cursor text default null,
  page_size integer default 100
)
returns setof public.music_video_metric_sample
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_video uuid := private.try_uuid(btrim(music_video_metrics_history.id));
  v_limit integer := music_video_metrics_history.page_size;
  v_platforms public.platform_enum[];
  -- [v_from, v_to): the first day's 00:00 UTC to the day after the last day's 00:00 UTC
  v_from timestamptz := music_video_metrics_history.collected_from::timestamp at time zone 'UTC';
  v_to timestamptz := (music_video_metrics_history.collected_to + 1)::timestamp at time zone 'UTC';
  v_key jsonb;
  v_after_platform public.platform_enum;
  v_after_collected timestamptz;
begin
  if v_video is null
     or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;
  if v_limit is null or v_limit < 1 or v_limit > 500 then
    perform private.raise_bad_argument('page_size', 'out_of_range', 'page_size must be between 1 and 500.');
  end if;
  if music_video_metrics_history.collected_to < music_video_metrics_history.collected_from then
    perform private.raise_bad_argument('collected_to', 'before_start',
      'collected_to must not be before collected_from (both dates are inclusive).');
  end if;
  if cardinality(music_video_metrics_history.platforms) > 0 then
    v_platforms := music_video_metrics_history.platforms;
  end if;

  v_key := private.decode_cursor(music_video_metrics_history.cursor, 'cursor');
  if v_key is not null then
    begin
      v_after_platform := (v_key ->> 'p')::public.platform_enum;
      v_after_collected := (v_key ->> 'c')::timestamptz;
    exception
      when others then
        v_after_platform := null;
    end;
    if v_after_platform is null or v_after_collected is null then
      perform private.raise_bad_cursor('cursor');
    end if;
  end if;

  return query
  with candidates as (
    -- the rest of the cursor's platform, older than the cursor
    (
      select m.*
      from public.music_video_metrics as m
      where m.music_video_id = v_video
        and m.deleted_at is null
        and m.platform = v_after_platform
        and m.collected_at < v_after_collected
        and (v_platforms is null or m.platform = any(v_platforms))
        and (v_from is null or m.collected_at >= v_from)
        and (v_to is null or m.collected_at < v_to)
      order by m.collected_at desc
      limit v_limit + 1
    )
    union all
    -- then the following platforms (all of them on the first page)
    (
      select m.*
      from public.music_video_metrics as m
      where m.music_video_id = v_video
        and m.deleted_at is null
        and (v_after_platform is null or m.platform > v_after_platform)
        and (v_platforms is null or m.platform = any(v_platforms))
        and (v_from is null or m.collected_at >= v_from)
        and (v_to is null or m.collected_at < v_to)
      order by m.platform, m.collected_at desc
      limit v_limit + 1
    )
  ),
  numbered as (
    select c.*, row_number() over (order by c.platform, c.collected_at desc) as n
    from candidates as c
  ),
  more as (
    select count(*) > v_limit as more from numbered
  )
  select
    nb.id, nb.platform, nb.views_total, nb.likes_total, nb.shares_total, nb.comments_total,
    nb.favorites_total, nb.chart_position, nb.source, nb.collected_at, nb.synced_at,
    nb.external_reference, nb.import_batch_id, nb.detail, nb.flags,
    case when nb.n = v_limit and mr.more then
      private.encode_cursor(jsonb_build_object('p', nb.platform, 'c', nb.collected_at))
    end
  from numbered as nb
  cross join more as mr
  where nb.n <= v_limit
  order by nb.n;
end
$$;

revoke all on function public.music_video_metrics_history(
  text, public.platform_enum[], date, date, text, integer
) from public, anon;
grant execute on function public.music_video_metrics_history(
  text, public.platform_enum[], date, date, text, integer
) to authenticated, service_role;
