-- GET /music-videos/:id/metrics/history (spec 2.3, acceptance criterion 6): the Metrics History
-- drawer's pages. Rows are grouped by platform (enum order) and newest first within a platform,
-- filtered by platform and an inclusive date range, soft-deleted rows excluded, and paged by a
-- keyset cursor on (platform, collected_at), which is unique per video
-- (music_video_metrics_video_platform_collected_key). Both branches of the page query walk
-- music_video_metrics_live_idx in its own order, so any page costs about one page of index.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function public.music_video_metrics_history(
  p_music_video_id uuid,
  p_platforms text[] default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_cursor text default null,
  p_limit integer default 100
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_platforms public.platform_enum[];
  v_unknown text[];
  v_key jsonb;
  v_after_platform public.platform_enum;
  v_after_collected timestamptz;
begin
  if p_music_video_id is null
     or not ((select auth.role()) = 'service_role' or private.can_access_video(p_music_video_id)) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  if p_limit is null or p_limit < 1 or p_limit > 500 then
    raise exception using
      errcode = '22023',
      message = 'Invalid page size',
      detail = jsonb_build_object('p_limit', 'must be between 1 and 500')::text;
  end if;

  if cardinality(p_platforms) > 0 then
    select array_agg(pl) filter (where pl not in (select unnest(enum_range(null::public.platform_enum))::text))
    into v_unknown
    from unnest(p_platforms) as pl;
    if v_unknown is not null then
      raise exception using
        errcode = '22023',
        message = 'Unknown platform filter',
        detail = jsonb_build_object('p_platforms', 'unknown platform: ' || array_to_string(v_unknown, ', '))::text,
        hint = 'Use youtube, mtv, vevo, tiktok, instagram, regional_tv or other.';
    end if;
    v_platforms := p_platforms::public.platform_enum[];
  end if;

  if p_from is not null and p_to is not null and p_from > p_to then
    raise exception using
      errcode = '22023',
      message = 'Invalid date range',
      detail = jsonb_build_object('p_to', 'must not be before p_from')::text;
  end if;

  v_key := private.decode_cursor(p_cursor, 'p_cursor');
  if v_key is not null then
    begin
      v_after_platform := (v_key ->> 'p')::public.platform_enum;
      v_after_collected := (v_key ->> 'c')::timestamptz;
    exception
      when others then
        v_after_platform := null;
    end;
    if v_after_platform is null or v_after_collected is null then
      raise exception using
        errcode = '22023',
        message = 'Invalid page cursor',
        detail = jsonb_build_object('p_cursor', 'is not a cursor this endpoint returned')::text,
        hint = 'Pass the next_cursor of the previous page unchanged, or omit it for the first page.';
    end if;
  end if;

  return (
    with candidates as (
      -- the rest of the cursor's platform, older than the cursor
      (
        select m.*
        from public.music_video_metrics as m
        where m.music_video_id = p_music_video_id
          and m.deleted_at is null
          and m.platform = v_after_platform
          and m.collected_at < v_after_collected
          and (v_platforms is null or m.platform = any(v_platforms))
          and (p_from is null or m.collected_at >= p_from)
          and (p_to is null or m.collected_at <= p_to)
        order by m.collected_at desc
        limit p_limit + 1
      )
      union all
      -- then the following platforms (all of them on the first page)
      (
        select m.*
        from public.music_video_metrics as m
        where m.music_video_id = p_music_video_id
          and m.deleted_at is null
          and (v_after_platform is null or m.platform > v_after_platform)
          and (v_platforms is null or m.platform = any(v_platforms))
          and (p_from is null or m.collected_at >= p_from)
          and (p_to is null or m.collected_at <= p_to)
        order by m.platform, m.collected_at desc
        limit p_limit + 1
      )
    ),
    numbered as (
      select c.*, row_number() over (order by c.platform, c.collected_at desc) as n
      from candidates as c
    ),
    page as (
      select nb.*
      from numbered as nb
      where nb.n <= p_limit
    ),
    grouped as (
      select
        pg.platform,
        min(pg.n) as first_n,
        jsonb_agg(jsonb_build_object(
          'id', pg.id,
          'platform', pg.platform,
          'views_total', pg.views_total,
          'likes_total', pg.likes_total,
          'shares_total', pg.shares_total,
          'comments_total', pg.comments_total,
          'favorites_total', pg.favorites_total,
          'chart_position', pg.chart_position,
          'source', pg.source,
          'collected_at', pg.collected_at,
          'synced_at', pg.synced_at,
          'external_reference', pg.external_reference,
          'import_batch_id', pg.import_batch_id,
          'detail', pg.detail
        ) order by pg.n) as rows
      from page as pg
      group by pg.platform
    )
    select jsonb_build_object(
      'music_video_id', p_music_video_id,
      'groups', coalesce((
        select jsonb_agg(jsonb_build_object('platform', g.platform, 'rows', g.rows) order by g.first_n)
        from grouped as g
      ), '[]'::jsonb),
      'count', (select count(*) from page),
      'next_cursor', (
        select private.encode_cursor(jsonb_build_object('p', pg.platform, 'c', pg.collected_at))
        from page as pg
        where pg.n = p_limit
          and exists (select 1 from numbered as nb where nb.n = p_limit + 1)
      )
    )
  );
end
$$;

revoke all on function public.music_video_metrics_history(uuid, text[], timestamptz, timestamptz, text, integer)
from public, anon;
grant execute on function public.music_video_metrics_history(uuid, text[], timestamptz, timestamptz, text, integer)
to authenticated, service_role;
