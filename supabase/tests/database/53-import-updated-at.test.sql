-- An import's updated_at (20261202090000): the row trigger that forces it runs only when an update
-- leaves another value than now(), so an update that does not set it, or sets it to another time,
-- still ends with now(), for the table's owner and the service role alike. Each case fails against
-- a WHEN clause that skips the trigger too often (on an unchanged column, or on any change).
begin;
select plan(3);
\ir 00-helpers.sql

insert into public.music_video_metric_imports (id, source)
values ('00000000-0000-4000-8000-00000000e001', 'broadcast');

-- A time in the past, written with the trigger off (as if the row had been updated long ago).
alter table public.music_video_metric_imports disable trigger set_updated_at;
update public.music_video_metric_imports set updated_at = '2020-01-01 00:00:00+00'
where id = '00000000-0000-4000-8000-00000000e001';
alter table public.music_video_metric_imports enable trigger set_updated_at;

update public.music_video_metric_imports set attempts = attempts + 1
where id = '00000000-0000-4000-8000-00000000e001';
select is(
  (select updated_at from public.music_video_metric_imports where id = '00000000-0000-4000-8000-00000000e001'),
  now(), 'an update that does not set updated_at ends with now()'
);

update public.music_video_metric_imports set updated_at = '2020-01-01 00:00:00+00'
where id = '00000000-0000-4000-8000-00000000e001';
select is(
  (select updated_at from public.music_video_metric_imports where id = '00000000-0000-4000-8000-00000000e001'),
  now(), 'an update cannot set it to another time'
);

set local role service_role;
update public.music_video_metric_imports set updated_at = '2030-01-01 00:00:00+00', attempts = 0
where id = '00000000-0000-4000-8000-00000000e001';
reset role;
select is(
  (select updated_at from public.music_video_metric_imports where id = '00000000-0000-4000-8000-00000000e001'),
  now(), 'nor can the service role (a PATCH through PostgREST)'
);

select * from finish();
rollback;
