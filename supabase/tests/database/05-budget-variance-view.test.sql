-- The budget variance view (spec 2.4): correct arithmetic, security_invoker, and it shows a
-- user only their own videos.
begin;
select plan(5);
\ir 00-helpers.sql

update public.music_videos
set budget_band_id = (select id from public.music_video_budgets where name = 'Standard'),
    budget_estimate = 30000
where id = '00000000-0000-4000-8000-0000000000f1';
insert into public.music_video_budget_line_items (music_video_id, category, amount) values
  ('00000000-0000-4000-8000-0000000000f1', 'cinematography', 20000),
  ('00000000-0000-4000-8000-0000000000f1', 'post', 12000);
insert into public.music_videos (id, release_id, title) values
  ('00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000b1', 'Other video');

select ok(
  (select 'security_invoker=true' = any (c.reloptions) from pg_class as c
   where c.oid = 'public.music_video_budget_variance'::regclass),
  'the view runs with the caller''s rights'
);
select results_eq(
  $$select total_allocation, cast_cost, budget_variance, budget_variance_pct
    from public.music_video_budget_variance where music_video_id = '00000000-0000-4000-8000-0000000000f1'$$,
  $$values (33000::bigint, 500::bigint, 3000::bigint, 10.00::numeric)$$,
  'allocations 1000+20000+12000 against an estimate of 30000: +3000 (10%)'
);

select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
select results_eq(
  $$select music_video_id from public.music_video_budget_variance$$,
  $$values ('00000000-0000-4000-8000-0000000000f1'::uuid)$$,
  'the owner sees only their own video'
);
reset role;
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000b')::text, true);
set local role authenticated;
select results_eq(
  $$select music_video_id from public.music_video_budget_variance$$,
  $$values ('00000000-0000-4000-8000-0000000000f2'::uuid)$$,
  'another user sees only theirs'
);
reset role;
set local role anon;
select throws_ok($$select 1 from public.music_video_budget_variance$$, '42501', null, 'anon is refused');
reset role;

select * from finish();
rollback;
