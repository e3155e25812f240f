-- import_broadcast_metrics(), music_video_import_errors() and the row-errors table,
-- override_music_video_metric() with its audit trail, rollback_music_video_import().
begin;
select plan(20);

-- The detail of the error a statement raises, as json (null when it raises none).
create function pg_temp.error_of(p_sql text) returns jsonb
language plpgsql as $$
declare
  v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end
$$;

insert into auth.users (id, email, raw_app_meta_data) values
  ('31000000-0000-0000-0000-000000000001', 'owner31@example.test', '{}'),
  ('31000000-0000-0000-0000-000000000002', 'stranger31@example.test', '{}'),
  ('31000000-0000-0000-0000-000000000003', 'admin31@example.test', '{"role": "admin"}');
insert into public.profiles (id) values ('31000000-0000-0000-0000-000000000001');
insert into public.releases (id, user_id, title) values
  ('31000000-0000-0000-0000-0000000000aa', '31000000-0000-0000-0000-000000000001', 'Thirty-one');
insert into public.music_videos (id, release_id, title) values
  ('31000000-0000-0000-0000-0000000000b1', '31000000-0000-0000-0000-0000000000aa', 'On TV');
insert into storage.objects (bucket_id, name) values
  ('music-video-broadcast-imports', '31000000-0000-0000-0000-0000000000aa/week.csv');
insert into public.music_video_metric_imports (id, music_video_id, platform, source, status) values
  ('31000000-0000-0000-0000-0000000000c1', '31000000-0000-0000-0000-0000000000b1', 'mtv', 'broadcast', 'succeeded');
insert into public.music_video_import_row_errors (import_id, music_video_id, line, column_name, raw_value, reason)
values
  ('31000000-0000-0000-0000-0000000000c1', '31000000-0000-0000-0000-0000000000b1', 3, 'viewers', 'N/A', 'missing value'),
  ('31000000-0000-0000-0000-0000000000c1', '31000000-0000-0000-0000-0000000000b1', 3, 'air_date', 'x', 'bad'),
  ('31000000-0000-0000-0000-0000000000c1', '31000000-0000-0000-0000-0000000000b1', 7, null, '=1+1', 'row has 2 fields');
insert into public.music_video_metrics (id, music_video_id, platform, collected_at, views_total, import_batch_id)
values
  ('31000000-0000-0000-0000-0000000000d1', '31000000-0000-0000-0000-0000000000b1', 'mtv', '2026-11-01 00:00+00', 100,
   '31000000-0000-0000-0000-0000000000c1');

select is(
  (select prosecdef from pg_proc where oid = 'public.import_broadcast_metrics(text, platform_enum, text, jsonb)'::regprocedure),
  false, 'the exposed import RPC is security invoker'
);
select ok(
  (select relrowsecurity from pg_class where oid = 'public.music_video_import_row_errors'::regclass)
  and (select relrowsecurity from pg_class where oid = 'public.music_video_metric_overrides'::regclass),
  'RLS is on for the two new tables'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "31000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select is((select count(*)::int from public.music_video_import_row_errors), 0, 'a stranger reads no row errors');
select throws_ok(
  $$select * from public.music_video_import_errors('31000000-0000-0000-0000-0000000000c1')$$,
  'PT404', 'Import not found', 'a stranger gets PT404 for the errors page'
);
select throws_ok(
  $$select public.import_broadcast_metrics('31000000-0000-0000-0000-0000000000b1', 'mtv',
    '31000000-0000-0000-0000-0000000000aa/week.csv', '{"air_date": "d", "viewers": "v"}')$$,
  'PT404', 'Music video not found', 'a stranger cannot import for the video'
);

select set_config('request.jwt.claims',
  '{"sub": "31000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select is(
  (select count(*)::int from public.music_video_import_errors('31000000-0000-0000-0000-0000000000c1', null, 1)),
  2, 'a page never splits a line: both errors of line 3 come together'
);
select is(
  (select array_agg(e.next_after_line)
   from public.music_video_import_errors('31000000-0000-0000-0000-0000000000c1', null, 1) as e),
  array[null, 3], 'the cursor is the last line of the page, on its last row'
);
select throws_ok(
  $$insert into public.music_video_import_row_errors (import_id, line, reason)
    values ('31000000-0000-0000-0000-0000000000c1', 1, 'x')$$,
  '42501', 'permission denied for table music_video_import_row_errors', 'owners cannot write row errors'
);
select throws_ok(
  $$select public.import_broadcast_metrics('31000000-0000-0000-0000-0000000000b1', 'youtube',
    '31000000-0000-0000-0000-0000000000aa/week.csv', '{"air_date": "d", "viewers": "v"}')$$,
  '22023', 'Invalid broadcast import request', 'platform must be mtv or regional_tv'
);
select is(
  (select (pg_temp.error_of($$select public.import_broadcast_metrics('31000000-0000-0000-0000-0000000000b1',
    'youtube', '31000000-0000-0000-0000-0000000000aa/week.csv', '{"air_date": "d"}')$$)) -> 'problems'),
  '[{"code": "invalid_choice", "field": "platform", "message": "The platform of a broadcast import must be mtv or regional_tv."},
    {"code": "required", "field": "mapping.viewers", "message": "Name the CSV column (its header) that holds viewers."}]'::jsonb,
  'its detail is the one error shape: every problem with field, code and message'
);
select ok(
  public.import_broadcast_metrics('31000000-0000-0000-0000-0000000000b1', 'regional_tv',
    '31000000-0000-0000-0000-0000000000aa/week.csv', '{"air_date": "Date", "program": "Show", "viewers": "Audience"}')
  is not null,
  'the owner queues an import of an uploaded file'
);
select throws_ok(
  $$select public.override_music_video_metric('31000000-0000-0000-0000-0000000000d1', views_total => 5,
    reason => 'x')$$,
  'PT403', 'Only admins can override metrics', 'owners cannot override'
);
select throws_ok(
  $$select public.rollback_music_video_import('31000000-0000-0000-0000-0000000000c1', 'x')$$,
  'PT403', 'Only admins can roll back imports', 'owners cannot roll back'
);

select set_config('request.jwt.claims',
  '{"sub": "31000000-0000-0000-0000-000000000003", "role": "authenticated", "app_metadata": {"role": "admin"}}',
  true);
select is(
  pg_temp.error_of($$select public.override_music_video_metric('31000000-0000-0000-0000-0000000000d1', reason => ' ',
    views_total => -1)$$),
  '{"problems": [{"code": "negative", "field": "views_total", "message": "views_total cannot be negative."},
                 {"code": "required", "field": "reason", "message": "Say why the metric is changed."}]}'::jsonb,
  'an invalid override answers every problem in the one error shape'
);
select is(
  pg_temp.error_of($$select public.rollback_music_video_import('31000000-0000-0000-0000-0000000000c1', '')$$),
  '{"problems": [{"code": "required", "field": "reason", "message": "Say why the import is rolled back."}]}'::jsonb,
  'a rollback without a reason: the one error shape'
);
select is(
  (select (pg_temp.error_of(format($$select public.reimport_music_video_import(%L, 'resent')$$, i.id))) -> 'problems'
   from public.music_video_metric_imports as i
   where i.music_video_id = '31000000-0000-0000-0000-0000000000b1' and i.status = 'pending'),
  '[{"code": "not_finished", "field": "import_id", "status": "pending",
     "message": "The import is pending; wait until it has finished."}]'::jsonb,
  'a re-import of an unfinished import: PT409 in the one error shape, with the status'
);
select is(
  (select (public.override_music_video_metric('31000000-0000-0000-0000-0000000000d1', views_total => 150,
    reason => 'partner data incomplete')).views_total::text),
  '150', 'an admin overrides a value'
);
select is(
  (select previous from public.music_video_metric_overrides
   where metric_id = '31000000-0000-0000-0000-0000000000d1'),
  '{"views_total": 100}'::jsonb, 'the previous value is in the audit trail'
);
select is(
  (select (public.rollback_music_video_import('31000000-0000-0000-0000-0000000000c1', 'wrong file'))
    .rows_deleted::text),
  '1', 'an admin rolls the import back'
);
select ok(
  (select deleted_at is not null from public.music_video_metrics where id = '31000000-0000-0000-0000-0000000000d1')
  and (select status = 'failed' from public.music_video_metric_imports
       where id = '31000000-0000-0000-0000-0000000000c1'),
  'its rows are soft-deleted and the import is failed'
);

select * from finish();
rollback;
