-- Anonymous sign-ins (20261130150000): a JWT with is_anonymous = true gets the authenticated
-- role, but nothing beyond anon's rights, even on a release the anonymous user owns.
begin;
select plan(17);
\ir 00-helpers.sql

create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate;
  return v_state;
end
$$;

create temp table anon_claims as select
  tests.claims('00000000-0000-4000-8000-00000000000a') || '{"is_anonymous": true}' as owner_anonymous,
  tests.claims('00000000-0000-4000-8000-00000000000a') || '{"is_anonymous": false}' as owner_signed_in,
  tests.claims('00000000-0000-4000-8000-00000000000c', true) || '{"is_anonymous": true}' as admin_anonymous;
grant select on anon_claims to authenticated;
insert into storage.objects (bucket_id, name) values
  ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/board.png');

select is(
  pg_temp.outcome('authenticated', (select owner_anonymous from anon_claims), c.stmt),
  c.expected, c.label)
from (values
  ($q$select 1 from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$q$,
   'ok:0', 'an anonymous owner sees none of their videos'),
  ($q$select 1 from public.music_video_budget_line_items$q$, 'ok:0', '... nor line items'),
  ($q$select 1 from public.music_video_moodboards$q$, 'ok:0', '... nor moodboards'),
  ($q$select 1 from public.music_video_metrics$q$, 'ok:0', '... nor metrics'),
  ($q$select 1 from public.music_video_themes$q$, 'ok:0', '... nor the catalogs'),
  ($q$insert into public.music_videos (release_id, title) values ('00000000-0000-4000-8000-0000000000a1', 'x')$q$,
   'denied', 'cannot create a video in their release'),
  ($q$update public.music_videos set title = 'x' where id = '00000000-0000-4000-8000-0000000000f1'$q$,
   'ok:0', 'cannot change it'),
  ($q$delete from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$q$,
   'ok:0', 'cannot delete it'),
  ($q$select public.get_music_video(id => '00000000-0000-4000-8000-0000000000f1')$q$,
   'PT404', 'the read RPC answers not found'),
  ($q$select public.update_music_video(id => '00000000-0000-4000-8000-0000000000f1', patch => '{"title": "x"}')$q$,
   'PT404', 'the write RPC answers not found'),
  ($q$select public.create_music_video(release_id => '00000000-0000-4000-8000-0000000000a1', title => 'x',
    video_theme_id => null, art_style_id => null, budget_band_id => null, quality_tier => null,
    target_release_date => null, platform_targets => null)$q$,
   'PT404', 'creating through the RPC answers not found'),
  ($q$select 1 from storage.objects where bucket_id = 'music-video-moodboards'$q$,
   'ok:0', 'no moodboard object is readable'),
  ($q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/new.png')$q$,
   'denied', 'no upload into their release folder')
) as c (stmt, expected, label);

select is(
  pg_temp.outcome('authenticated', (select admin_anonymous from anon_claims),
    $q$select 1 from public.music_video_metric_imports$q$),
  'ok:0', 'an anonymous session is never an admin, whatever its app_metadata says');
select is(
  pg_temp.outcome('authenticated', (select owner_signed_in from anon_claims),
    $q$select 1 from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'ok:1', 'is_anonymous false: the owner as before');
select is(
  pg_temp.outcome('authenticated', (select owner_signed_in from anon_claims),
    $q$select 1 from public.music_video_themes limit 1$q$),
  'ok:1', '... who reads the catalogs');
select is(
  pg_temp.outcome('anon', '{"role": "anon"}', $q$select 1 from public.music_video_themes$q$),
  'denied', 'the anon role still has no rights at all');

select * from finish();
rollback;
