-- The board's moves, on the table itself: one lane forward or back, any -> archived, archived ->
-- the lane it came from; drafts submitted through a direct UPDATE are validated; new rows start
-- as drafts; the service role and the owner role are trusted; every move lands in the history.
begin;
select plan(16);

insert into auth.users (id, email) values ('12000000-0000-0000-0000-000000000001', 'owner12@example.test');
insert into public.releases (id, user_id, title) values
  ('12000000-0000-0000-0000-0000000000aa', '12000000-0000-0000-0000-000000000001', 'Twelve');
insert into public.music_videos (id, release_id, title, status) values
  ('12000000-0000-0000-0000-100000000001', '12000000-0000-0000-0000-0000000000aa', 'On the board', 'planned'),
  ('12000000-0000-0000-0000-100000000002', '12000000-0000-0000-0000-0000000000aa', 'A draft', 'draft');

select is(private.music_video_next_statuses('draft', null), array['planned', 'archived']::public.video_status_enum[],
  'draft -> planned or archived');
select is(private.music_video_next_statuses('post_production', null),
  array['in_production', 'released', 'archived']::public.video_status_enum[], 'one lane either way, or archived');
select is(private.music_video_next_statuses('archived', '12000000-0000-0000-0000-100000000001'),
  array['released']::public.video_status_enum[], 'archived with no history restores to released');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "12000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);

select throws_ok(
  $$update public.music_videos set status = 'released' where id = '12000000-0000-0000-0000-100000000001'$$,
  'PT422', 'The plan has 1 problem: A video cannot move from planned to released; from planned it can move to draft, in_production, archived.',
  'a direct PATCH cannot jump lanes');
select lives_ok(
  $$update public.music_videos set status = 'in_production' where id = '12000000-0000-0000-0000-100000000001'$$,
  'one lane forward');
select lives_ok(
  $$update public.music_videos set status = 'planned' where id = '12000000-0000-0000-0000-100000000001'$$,
  'one lane back');
select lives_ok(
  $$update public.music_videos set status = 'in_production' where id = '12000000-0000-0000-0000-100000000001'$$,
  'forward again');
select lives_ok(
  $$update public.music_videos set status = 'archived' where id = '12000000-0000-0000-0000-100000000001'$$,
  'archive from any lane');
select is(private.music_video_next_statuses('archived', '12000000-0000-0000-0000-100000000001'),
  array['in_production']::public.video_status_enum[], 'unarchive goes back to the lane it left');
select throws_ok(
  $$update public.music_videos set status = 'released' where id = '12000000-0000-0000-0000-100000000001'$$,
  'PT422', null, 'archived cannot jump to released');
select lives_ok(
  $$update public.music_videos set status = 'in_production' where id = '12000000-0000-0000-0000-100000000001'$$,
  'unarchive');
select throws_ok(
  $$update public.music_videos set status = 'planned' where id = '12000000-0000-0000-0000-100000000002'$$,
  'PT422', null, 'a direct PATCH submitting an incomplete draft is validated');
select throws_ok(
  $$insert into public.music_videos (release_id, title, status)
    values ('12000000-0000-0000-0000-0000000000aa', 'x', 'released')$$,
  'PT422', 'The plan has 1 problem: A new video starts as a draft, not released; submit it to plan it.',
  'a new video starts as a draft');

select is(
  (select array_agg(from_status::text || '>' || to_status::text order by from_status::text || '>' || to_status::text)
   from public.music_video_status_history
   where music_video_id = '12000000-0000-0000-0000-100000000001' and from_status is not null),
  array['archived>in_production', 'in_production>archived', 'in_production>planned', 'planned>in_production',
        'planned>in_production'],
  'every move is recorded, readable by the owner (one transaction here, so compared as a set)');
select is(
  (select count(*)::int from public.music_video_status_history
   where music_video_id = '12000000-0000-0000-0000-100000000001' and changed_by = '12000000-0000-0000-0000-000000000001'),
  5, '... with who moved it');

set local role service_role;
select lives_ok(
  $$update public.music_videos set status = 'archived' where id = '12000000-0000-0000-0000-100000000002'$$,
  'the service role is trusted');

select * from finish();
rollback;
