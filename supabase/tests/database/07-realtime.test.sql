-- Board moves, new metrics and import progress reach viewers through Supabase Realtime.
begin;
select plan(2);

select set_eq(
  $$select tablename::text from pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename like 'music\_video%'
      and tablename in ('music_videos', 'music_video_metrics', 'music_video_metric_imports')$$,
  array['music_videos', 'music_video_metrics', 'music_video_metric_imports'],
  'music_videos, music_video_metrics and music_video_metric_imports are published'
);
select ok(
  not exists (select 1 from pg_publication_tables
              where pubname = 'supabase_realtime' and tablename in ('music_video_settings')),
  'configuration tables are not streamed'
);

select * from finish();
rollback;
