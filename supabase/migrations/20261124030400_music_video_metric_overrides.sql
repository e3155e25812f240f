-- Manual overrides of metric rows (spec 3.3 "Manual Overrides"): an admin corrects a row when
-- partner data is incomplete. Every change keeps the previous values in an audit trail
-- (music_video_metric_overrides) written in the same transaction. Owners of the video and
-- admins read the trail; only override_music_video_metric() writes it.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.music_video_metric_overrides (
  id uuid primary key default extensions.uuid_generate_v4(),
  metric_id uuid not null references public.music_video_metrics (id) on delete cascade,
  -- Copied from the metric row, so the read policy needs no join.
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  changed_by uuid references auth.users (id) on delete set null,
  changed_at timestamptz not null default now(),
  -- The overridden fields before and after, e.g. {"views_total": 100} -> {"views_total": 120}.
  previous jsonb not null,
  new jsonb not null,
  reason text not null,
  constraint music_video_metric_overrides_reason_not_blank check (btrim(reason) <> ''),
  constraint music_video_metric_overrides_previous_object check (jsonb_typeof(previous) = 'object'),
  constraint music_video_metric_overrides_new_object check (jsonb_typeof(new) = 'object')
);
create index music_video_metric_overrides_metric_idx
on public.music_video_metric_overrides (metric_id, changed_at desc);
create index music_video_metric_overrides_video_idx on public.music_video_metric_overrides (music_video_id);
create index music_video_metric_overrides_changed_by_idx on public.music_video_metric_overrides (changed_by);

alter table public.music_video_metric_overrides enable row level security;
revoke all on table public.music_video_metric_overrides from anon, authenticated;
grant select on table public.music_video_metric_overrides to authenticated;
grant select, insert, update, delete on table public.music_video_metric_overrides to service_role;

create policy "Release owners and admins read metric overrides" on public.music_video_metric_overrides
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- The checked write: admins (and the service role) only. Null arguments leave a field as it is;
-- at least one value and a reason are required. Soft-deleted (rolled back) rows cannot be edited.
create or replace function private.override_music_video_metric(
  p_metric_id uuid,
  p_views_total bigint,
  p_likes_total bigint,
  p_shares_total bigint,
  p_comments_total bigint,
  p_favorites_total bigint,
  p_chart_position integer,
  p_reason text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.music_video_metrics;
  v_new jsonb;
  v_previous jsonb;
  v_problems jsonb := '{}'::jsonb;
  v_changed_by uuid;
begin
  if not ((select auth.role()) = 'service_role' or (select private.is_admin())) then
    raise exception using
      errcode = 'PT403', message = 'Only admins can override metrics',
      hint = 'Ask an admin to correct this metric.';
  end if;
  select m.* into v_row
  from public.music_video_metrics as m
  where m.id = p_metric_id and m.deleted_at is null
  for update;
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Metric not found';
  end if;

  v_new := jsonb_strip_nulls(jsonb_build_object(
    'views_total', p_views_total, 'likes_total', p_likes_total, 'shares_total', p_shares_total,
    'comments_total', p_comments_total, 'favorites_total', p_favorites_total,
    'chart_position', p_chart_position
  ));
  if v_new = '{}'::jsonb then
    v_problems := v_problems || jsonb_build_object('values', 'give at least one value to change');
  end if;
  if exists (select 1 from jsonb_each(v_new) as e where e.key <> 'chart_position' and (e.value)::bigint < 0) then
    v_problems := v_problems || jsonb_build_object('values', 'counts cannot be negative');
  end if;
  if p_chart_position is not null and p_chart_position < 1 then
    v_problems := v_problems || jsonb_build_object('chart_position', 'must be 1 or more');
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    v_problems := v_problems || jsonb_build_object('reason', 'say why the metric is changed');
  end if;
  if v_problems <> '{}'::jsonb then
    raise exception using errcode = '22023', message = 'Invalid metric override', detail = v_problems::text;
  end if;

  select jsonb_object_agg(k, to_jsonb(v_row) -> k) into v_previous from jsonb_object_keys(v_new) as k;

  update public.music_video_metrics as m
  set views_total = coalesce(p_views_total, m.views_total),
    likes_total = coalesce(p_likes_total, m.likes_total),
    shares_total = coalesce(p_shares_total, m.shares_total),
    comments_total = coalesce(p_comments_total, m.comments_total),
    favorites_total = coalesce(p_favorites_total, m.favorites_total),
    chart_position = coalesce(p_chart_position, m.chart_position),
    detail = m.detail || jsonb_build_object('manual_override', jsonb_build_object(
      'at', now(), 'by', (select auth.uid()), 'reason', p_reason, 'fields', v_new
    ))
  where m.id = p_metric_id
  returning m.* into v_row;

  select u.id into v_changed_by from auth.users as u where u.id = (select auth.uid());
  insert into public.music_video_metric_overrides (metric_id, music_video_id, changed_by, previous, new, reason)
  values (p_metric_id, v_row.music_video_id, v_changed_by, v_previous, v_new, btrim(p_reason));

  return to_jsonb(v_row);
end
$$;
revoke all on function private.override_music_video_metric(uuid, bigint, bigint, bigint, bigint, bigint, integer, text)
from public;
grant execute on function private.override_music_video_metric(uuid, bigint, bigint, bigint, bigint, bigint, integer, text)
to authenticated, service_role;

-- PATCH /metrics/:id (admin): the exposed RPC, security invoker over the checked write above.
create or replace function public.override_music_video_metric(
  metric_id text,
  views_total bigint default null,
  likes_total bigint default null,
  shares_total bigint default null,
  comments_total bigint default null,
  favorites_total bigint default null,
  chart_position integer default null,
  reason text default null
)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.override_music_video_metric(
    private.try_uuid(metric_id), views_total, likes_total, shares_total, comments_total, favorites_total,
    chart_position, reason
  )
$$;
revoke all on function public.override_music_video_metric(text, bigint, bigint, bigint, bigint, bigint, integer, text)
from public, anon;
grant execute on function public.override_music_video_metric(text, bigint, bigint, bigint, bigint, bigint, integer, text)
to authenticated, service_role;
