-- music_video_metrics_history (20261124015200) also returns each row's odd-data flags
-- (20261130170000), so the Metrics History drawer shows a suspicious sample beside its value.
-- Output change: one added field per row ("flags", a JSON array of strings, empty when nothing is
-- odd); everything else is unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Same parameters, checks, order and paging as before; each row object gains "flags".
create or replace function public.music_video_metrics_history(
  id text default null,
  platforms text[] default null,
  collected_from timestamptz default null,
  collected_to timestamptz default null,
  cursor text default null,
  page_size integer default 100
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_video uuid := private.try_uuid(btrim(music_video_metrics_history.id));
  v_limit integer := music_video_metrics_history.page_size;
  v_from timestamptz := music_video_metrics_history.collected_from;
  v_to timestamptz := music_video_metrics_history.collected_to;
  v_platforms public.platform_enum[];
  v_unknown text[];
  v_key jsonb;
  v_after_platform public.platform_enum;
  v_after_collected timestamptz;
begin
  if v_video is null
     or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  if v_limit is null or v_limit < 1 or v_limit > 500 then
    raise exception using
      errcode = '22023',
      message = 'Invalid page size',
      detail = jsonb_build_object('page_size', 'must be between 1 and 500')::text;
  end if;

  if cardinality(music_video_metrics_history.platforms) > 0 then
    select array_agg(pl) filter (where pl not in (select unnest(enum_range(null::public.platform_enum))::text))
    into v_unknown
    from unnest(music_video_metrics_history.platforms) as pl;
    if v_unknown is not null then
      raise exception using
        errcode = '22023',
        message = 'Unknown platform filter',
        detail = jsonb_build_object('platforms', 'unknown platform: ' || array_to_string(v_unknown, ', '))::text,
        hint = 'Use youtube, mtv, vevo, tiktok, instagram, regional_tv or other.';
    end if;
    v_platforms := music_video_metrics_history.platforms::public.platform_enum[];
  end if;

  if v_from is not null and v_to is not null and v_from > v_to then
    raise exception using
      errcode = '22023',
      message = 'Invalid date range',
      detail = jsonb_build_object('collected_to', 'must not be before collected_from')::text;
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
      raise exception using
        errcode = '22023',
        message = 'Invalid page cursor',
        detail = jsonb_build_object('cursor', 'is not a cursor this endpoint returned')::text,
        hint = 'Pass the next_cursor of the previous page unchanged, or omit it for the first page.';
    end if;
  end if;

  return (
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
          and (v_to is null or m.collected_at <= v_to)
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
          and (v_to is null or m.collected_at <= v_to)
        order by m.platform, m.collected_at desc
        limit v_limit + 1
      )
    ),
    numbered as (
      select c.*, row_number() over (order by c.platform, c.collected_at desc) as n
      from candidates as c
    ),
    page as (
      select nb.*
      from numbered as nb
      where nb.n <= v_limit
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
          'detail', pg.detail,
          'flags', to_jsonb(pg.flags)
        ) order by pg.n) as rows
      from page as pg
      group by pg.platform
    )
    select jsonb_build_object(
      'music_video_id', v_video,
      'groups', coalesce((
        select jsonb_agg(jsonb_build_object('platform', g.platform, 'rows', g.rows) order by g.first_n)
        from grouped as g
      ), '[]'::jsonb),
      'count', (select count(*) from page),
      'next_cursor', (
        select private.encode_cursor(jsonb_build_object('p', pg.platform, 'c', pg.collected_at))
        from page as pg
        where pg.n = v_limit
          and exists (select 1 from numbered as nb where nb.n = v_limit + 1)
      )
    )
  );
end
$$;

revoke all on function public.music_video_metrics_history(text, text[], timestamptz, timestamptz, text, integer)
from public, anon;
grant execute on function public.music_video_metrics_history(text, text[], timestamptz, timestamptz, text, integer)
to authenticated, service_role;
