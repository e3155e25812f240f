-- set_updated_at keeps updated_at accurate on every table that has it, and the board's
-- status history records every status change.
begin;
select plan(6);
\ir 00-helpers.sql

select is_empty(
  $$select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'
      and exists (select 1 from pg_attribute as a where a.attrelid = c.oid and a.attname = 'updated_at')
      and c.relname like 'music\_video%'
      and not exists (
        select 1 from pg_trigger as t
        where t.tgrelid = c.oid and t.tgname = 'set_updated_at' and not t.tgisinternal
          and t.tgfoid = 'private.set_updated_at()'::regprocedure
          and (t.tgtype & 2) = 2   -- BEFORE
          and (t.tgtype & 16) = 16 -- UPDATE
      )$$,
  'every music_video table with updated_at has a before-update set_updated_at trigger'
);

-- now() is frozen inside a transaction, so age the rows first to see the trigger move them.
update public.music_videos set updated_at = '2000-01-01' where id = '00000000-0000-4000-8000-0000000000f1';
update public.music_video_metrics set updated_at = '2000-01-01' where id = '00000000-0000-4000-8000-000000000106';
update public.music_videos set narrative_outline = 'A story' where id = '00000000-0000-4000-8000-0000000000f1';
update public.music_video_metrics set views_total = 99 where id = '00000000-0000-4000-8000-000000000106';
select is((select updated_at from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'),
          now(), 'updating a video refreshes updated_at');
select is((select updated_at from public.music_video_metrics where id = '00000000-0000-4000-8000-000000000106'),
          now(), 'updating a metric refreshes updated_at');

-- Status history, as the owner through a PostgREST-like request. Submitting (draft -> planned)
-- runs the full plan validation, so complete the plan first.
update public.music_videos
set video_theme_id = (select id from public.music_video_themes where name = 'Neon Nights'),
    art_style_id = (select id from public.music_video_art_styles where name = 'Vintage Film'),
    budget_band_id = (select id from public.music_video_budgets where name = 'Micro'),
    quality_tier = 'indie',
    target_release_date = current_date + 60
where id = '00000000-0000-4000-8000-0000000000f1';
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
update public.music_videos set status = 'planned' where id = '00000000-0000-4000-8000-0000000000f1';
update public.music_videos set title = 'Renamed' where id = '00000000-0000-4000-8000-0000000000f1';
reset role;

select results_eq(
  $$select from_status::text, to_status::text, changed_by from public.music_video_status_history
    where music_video_id = '00000000-0000-4000-8000-0000000000f1' order by changed_at, from_status nulls first$$,
  $$values (null::text, 'draft'::text, null::uuid),
           ('draft', 'planned', '00000000-0000-4000-8000-00000000000a'::uuid)$$,
  'creation (by the set-up, no JWT) and the owner''s move are recorded with who'
);
select is((select count(*)::int from public.music_video_status_history), 1 + 1,
          'no history row for an update that does not touch status');
select ok((select changed_at is not null from public.music_video_status_history
           where to_status = 'planned'), 'the move is time-stamped');

select * from finish();
rollback;
