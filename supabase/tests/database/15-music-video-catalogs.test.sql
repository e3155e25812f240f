-- music_video_catalogs(): every catalog in one body, an ETag that changes with any admin
-- change (insert, update, delete) and only then, 304 on a matching If-None-Match, and who may
-- call it.
begin;
select plan(20);

insert into auth.users (id, email, aud, role, raw_app_meta_data) values
  ('15000000-0000-0000-0000-000000000001', 'owner15@example.test', 'authenticated', 'authenticated',
   '{"provider": "email"}'),
  ('15000000-0000-0000-0000-000000000002', 'admin15@example.test', 'authenticated', 'authenticated',
   '{"provider": "email", "role": "admin"}');

create temp table etags (label text primary key, etag text) on commit drop;
grant all on etags to authenticated, anon, service_role;

select is(
  (select provolatile::text from pg_proc where oid = 'public.music_video_catalogs()'::regprocedure),
  's', 'music_video_catalogs is stable, so PostgREST serves it over GET'
);

-- anon may not call it.
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  'select * from public.music_video_catalogs()', '42501',
  'permission denied for function music_video_catalogs', 'anon gets permission denied'
);

-- A signed-in user gets every catalog and the ETag/Cache-Control headers.
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "15000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select set_config('request.headers', '{}', true);
create temp table body1 on commit drop as select (select to_jsonb(c) from public.music_video_catalogs() as c) as b;
select is(jsonb_array_length((select b -> 'themes' from body1)), 7, 'themes are all there');
select is(jsonb_array_length((select b -> 'art_styles' from body1)), 6, 'art styles are all there');
select is(jsonb_array_length((select b -> 'budgets' from body1)), 5, 'budget bands are all there');
select is(jsonb_array_length((select b -> 'quality_tiers' from body1)), 4, 'quality tiers are all there');
select is(jsonb_array_length((select b -> 'cast_options' from body1)), 8, 'cast options are all there');
select is(jsonb_array_length((select b -> 'chart_sources' from body1)), 4, 'chart sources are all there');
select is((select b -> 'settings' ->> 'budget_contingency_pct' from body1), '5', 'settings carry the contingency');
insert into etags
select 'first', (current_setting('response.headers')::jsonb -> 0 ->> 'ETag');
select is(
  (select b ->> 'etag' from body1), (select etag from etags where label = 'first'),
  'the body names the version the ETag header carries'
);
select is(
  current_setting('response.headers')::jsonb -> 1 ->> 'Cache-Control',
  'private, max-age=0, must-revalidate', 'Cache-Control makes the browser revalidate'
);
select is(nullif(current_setting('response.status', true), ''), null, 'a full answer keeps status 200');

-- If-None-Match with the current ETag (in a list, weak form) -> 304 and no body.
select set_config('request.headers', json_build_object(
  'if-none-match', '"v0-stale", W/' || (select etag from etags where label = 'first'))::text, true);
select is((select to_jsonb(c) from public.music_video_catalogs() as c), null, 'a matching If-None-Match gets no body');
select is(current_setting('response.status', true), '304', 'and status 304');
select set_config('response.status', '', true);

-- A non-admin cannot change a catalog; the version does not move.
select throws_ok(
  $$insert into public.music_video_themes (name) values ('Sneaky')$$, '42501',
  'new row violates row-level security policy for table "music_video_themes"',
  'a non-admin cannot add a theme'
);
update public.music_video_themes set description = 'hacked';
select set_config('request.headers', '{}', true);
select (select to_jsonb(c) from public.music_video_catalogs() as c) is not null as called;
select is(
  current_setting('response.headers')::jsonb -> 0 ->> 'ETag', (select etag from etags where label = 'first'),
  'an update a non-admin tries changes nothing, so the ETag stays'
);

-- An admin's update, insert and delete each change the ETag.
select set_config('request.jwt.claims', '{"sub": "15000000-0000-0000-0000-000000000002", '
  '"role": "authenticated", "app_metadata": {"role": "admin"}}', true);
update public.music_video_themes set description = 'Retold' where name = 'Dreamscape';
select (select to_jsonb(c) from public.music_video_catalogs() as c) is not null as called;
insert into etags select 'after_update', current_setting('response.headers')::jsonb -> 0 ->> 'ETag';
select isnt(
  (select etag from etags where label = 'after_update'), (select etag from etags where label = 'first'),
  'an admin update changes the ETag'
);
insert into public.music_video_chart_sources (id, label, provider) values ('uk_top_40', 'UK Top 40', 'occ');
select (select to_jsonb(c) from public.music_video_catalogs() as c) is not null as called;
insert into etags select 'after_insert', current_setting('response.headers')::jsonb -> 0 ->> 'ETag';
select isnt(
  (select etag from etags where label = 'after_insert'), (select etag from etags where label = 'after_update'),
  'an admin insert changes the ETag'
);
delete from public.music_video_chart_sources where id = 'uk_top_40';
select set_config('request.headers', json_build_object(
  'if-none-match', (select etag from etags where label = 'after_insert'))::text, true);
select isnt((select to_jsonb(c) from public.music_video_catalogs() as c), null, 'after an admin delete the old ETag no longer matches');

-- The service role reads them too.
set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select set_config('request.headers', '{}', true);
select is(jsonb_array_length((select to_jsonb(c) from public.music_video_catalogs() as c) -> 'themes'), 7, 'the service role reads the catalogs');

reset role;
select * from finish();
rollback;
