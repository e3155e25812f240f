-- Shared set-up for the pgTAP files (included with \ir). Creates, inside the test's
-- transaction, three users (owner, other, admin), a release with one video and a row in every
-- table under it, and tests.try_as(): run one statement as a role with JWT claims, the way
-- PostgREST does, and report 'ok:<rows>' or 'denied', leaving nothing behind.

create schema tests;

create function tests.claims(p_user uuid, p_admin boolean default false) returns jsonb
language sql immutable as $$
  select jsonb_build_object(
    'sub', p_user, 'role', 'authenticated', 'aud', 'authenticated',
    'app_metadata', case when p_admin then '{"role": "admin"}'::jsonb else '{}'::jsonb end)
$$;

create function tests.try_as(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  n bigint;
begin
  begin
    perform set_config('request.jwt.claims', coalesce(p_claims, '{}'::jsonb)::text, true);
    execute format('set local role %I', p_role);
    execute p_sql;
    get diagnostics n = row_count;
    -- undo the statement's effects (and the role switch) by aborting the subtransaction
    raise exception using errcode = 'MVT01', message = n::text;
  exception
    when sqlstate 'MVT01' then
      return 'ok:' || sqlerrm;
    when insufficient_privilege then
      return 'denied';
  end;
end
$$;

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000000a', 'owner@example.test'),
  ('00000000-0000-4000-8000-00000000000b', 'other@example.test'),
  ('00000000-0000-4000-8000-00000000000c', 'admin@example.test');
insert into public.profiles (id) values
  ('00000000-0000-4000-8000-00000000000a'),
  ('00000000-0000-4000-8000-00000000000b'),
  ('00000000-0000-4000-8000-00000000000c');
insert into public.releases (id, user_id, title) values
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000000a', 'Owner release'),
  ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-00000000000b', 'Other release');
insert into public.music_videos (id, release_id, title, slug, created_by) values
  ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1', 'Owner video',
   'owner-video', '00000000-0000-4000-8000-00000000000a');
insert into public.music_video_budget_line_items (id, music_video_id, category, amount) values
  ('00000000-0000-4000-8000-000000000101', '00000000-0000-4000-8000-0000000000f1', 'direction', 1000);
insert into public.music_video_cast_assignments (id, music_video_id, cast_option_id, cost_estimate)
select '00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-0000000000f1', id, 500
from public.music_video_cast_options where name = 'Sam Okafor';
insert into public.music_video_shots (id, music_video_id, shot_number, description) values
  ('00000000-0000-4000-8000-000000000110', '00000000-0000-4000-8000-0000000000f1', 1, 'Opening wide'),
  ('00000000-0000-4000-8000-000000000111', '00000000-0000-4000-8000-0000000000f1', 2, 'Close on the singer');
insert into public.music_video_shot_cast (shot_id, cast_assignment_id, music_video_id) values
  ('00000000-0000-4000-8000-000000000110', '00000000-0000-4000-8000-000000000102',
   '00000000-0000-4000-8000-0000000000f1');
insert into public.music_video_platform_targets (id, music_video_id, platform, external_id) values
  ('00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-0000000000f1', 'youtube', 'dQw4w9WgXcQ');
insert into public.music_video_moodboards (id, music_video_id, storage_path) values
  ('00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-0000000000f1',
   '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/board.png');
insert into public.music_video_metric_imports (id, music_video_id, platform, source) values
  ('00000000-0000-4000-8000-000000000105', '00000000-0000-4000-8000-0000000000f1', 'youtube', 'youtube');
insert into public.music_video_metrics (id, music_video_id, platform, views_total, collected_at) values
  ('00000000-0000-4000-8000-000000000106', '00000000-0000-4000-8000-0000000000f1', 'youtube', 10,
   '2026-11-01T00:00:00Z');
insert into public.music_video_events (id, event, music_video_id, payload) values
  ('00000000-0000-4000-8000-000000000107', 'music_video.metrics_synced', '00000000-0000-4000-8000-0000000000f1',
   '{"sources": ["youtube"]}');
insert into public.music_video_import_row_errors (import_id, music_video_id, line, column_name, raw_value, reason)
values ('00000000-0000-4000-8000-000000000105', '00000000-0000-4000-8000-0000000000f1', 7, 'viewers', 'N/A',
        'missing value');
insert into public.music_video_metric_overrides (id, metric_id, music_video_id, previous, new, reason) values
  ('00000000-0000-4000-8000-000000000108', '00000000-0000-4000-8000-000000000106',
   '00000000-0000-4000-8000-0000000000f1', '{"views_total": 10}', '{"views_total": 12}', 'partner correction');
insert into public.music_video_alerts (id, music_video_id, release_id, kind, title, link_path, occurred_at, dedupe_key)
values ('00000000-0000-4000-8000-000000000109', '00000000-0000-4000-8000-0000000000f1',
        '00000000-0000-4000-8000-0000000000a1', 'chart_entry', 'Entered Billboard Hot 100 at #40',
        '/releases/00000000-0000-4000-8000-0000000000a1/music-video', '2026-11-02T00:00:00Z', 'helpers:chart_entry');
insert into public.music_video_chart_positions (id, music_video_id, chart, week_start, chart_rank) values
  ('00000000-0000-4000-8000-00000000010a', '00000000-0000-4000-8000-0000000000f1', 'billboard_hot_100',
   '2026-10-26', 40);
insert into public.music_video_milestones (id, music_video_id, kind, due_date) values
  ('00000000-0000-4000-8000-000000000110', '00000000-0000-4000-8000-0000000000f1', 'delivery', '2027-02-20');
insert into public.music_video_promo_events (id, music_video_id, platform, kind, starts_at, time_zone) values
  ('00000000-0000-4000-8000-000000000111', '00000000-0000-4000-8000-0000000000f1', 'youtube', 'premiere',
   '2027-02-28T18:00:00Z', 'UTC');
