-- Odd data is flagged, not silently stored: each flag on its own, the settings that tune them,
-- soft-deleted neighbours, re-syncs, hand-written flags, and the flags in the history RPC.
begin;
select plan(19);

insert into auth.users (id, email) values ('41000000-0000-0000-0000-000000000001', 'owner41@example.test');
insert into public.releases (id, user_id, title) values
  ('41000000-0000-0000-0000-0000000000aa', '41000000-0000-0000-0000-000000000001', 'Forty-one');
insert into public.music_videos (id, release_id, title) values
  ('41000000-0000-0000-0000-0000000000b1', '41000000-0000-0000-0000-0000000000aa', 'Odd data');

create function pg_temp.put(p_platform text, p_day integer, p_views bigint) returns text[]
language sql as $$
  insert into public.music_video_metrics as m (music_video_id, platform, views_total, collected_at)
  values ('41000000-0000-0000-0000-0000000000b1', p_platform::public.platform_enum, p_views,
          timestamptz '2026-10-01 00:00+00' + p_day * interval '1 day')
  on conflict (music_video_id, platform, collected_at) do update
  set views_total = excluded.views_total, deleted_at = null
  returning m.flags
$$;
create function pg_temp.flags(p_platform text, p_day integer) returns text[]
language sql as $$
  select m.flags from public.music_video_metrics as m
  where m.music_video_id = '41000000-0000-0000-0000-0000000000b1' and m.platform = p_platform::public.platform_enum
    and m.collected_at = timestamptz '2026-10-01 00:00+00' + p_day * interval '1 day'
$$;

-- views going down
select pg_temp.put('youtube', 1, 100);
select is(pg_temp.put('youtube', 2, 90), '{views_decreased}', 'views below the previous sample: views_decreased');
select is(pg_temp.put('youtube', 3, 95), '{}', 'growing again: no flag (the sample is compared with the previous one)');

-- frozen for N = 3 consecutive syncs
select pg_temp.put('other', 1, 500);
select is(pg_temp.put('other', 2, 500), '{}', 'unchanged once: not yet frozen');
select is(pg_temp.put('other', 3, 500), '{views_frozen}', 'unchanged for 3 syncs: views_frozen');
select is(pg_temp.put('other', 4, 500), '{views_frozen}', 'and still frozen on the 4th');

-- TV platforms carry one air date's audience, not a running count (20261202020200): a smaller,
-- an equal or a much larger audience than the day before is normal, never flagged
select pg_temp.put('mtv', 1, 5000);
select is(
  (select array_agg(x.flags order by x.day)
   from (values (2, 3000), (3, 3000), (4, 3000), (5, 90000)) as d (day, views),
     lateral (select d.day, array_to_string(pg_temp.put('mtv', d.day, d.views), ',', '-') as flags) as x),
  array['', '', '', ''],
  'mtv: a drop, three equal days and a 30x spike carry no flag');
select pg_temp.put('regional_tv', 1, 800);
select is(pg_temp.put('regional_tv', 2, 10), '{}', 'regional_tv: a smaller audience is not views_decreased');
select is(
  (select array_agg(p.platform::text order by p.platform) from unnest(enum_range(null::public.platform_enum)) as p (platform)
   where not private.platform_views_are_cumulative(p.platform)),
  array['mtv', 'regional_tv'], 'the one rule: the TV platforms are the ones without a running count');

-- a jump beyond the factor (10 by default, strictly more than)
select pg_temp.put('vevo', 1, 100);
select is(pg_temp.put('vevo', 2, 1000), '{}', 'exactly 10x: not a jump');
select is(pg_temp.put('vevo', 3, 10001), '{views_jump}', 'more than 10x the previous sample: views_jump');

-- the admin settings tune them; a value that is not a sane number falls back to the default
update public.music_video_settings set value = '2' where key = 'odd_data_jump_factor';
select is(pg_temp.put('vevo', 4, 20003), '{views_jump}', 'jump factor 2: 20,003 after 10,001 is a jump');
update public.music_video_settings set value = '"ten"' where key = 'odd_data_jump_factor';
select is(pg_temp.put('vevo', 5, 40000), '{}', 'a jump factor that is not a number: the default 10 applies');
update public.music_video_settings set value = '2' where key = 'odd_data_frozen_syncs';
select is(pg_temp.put('vevo', 6, 40000), '{views_frozen}', 'frozen after 2 syncs when the setting says 2');

-- soft-deleted samples are not the "previous sample"
select pg_temp.put('tiktok', 1, 100);
select pg_temp.put('tiktok', 2, 5000);
update public.music_video_metrics set deleted_at = now()
where music_video_id = '41000000-0000-0000-0000-0000000000b1' and platform = 'tiktok'
  and collected_at = timestamptz '2026-10-03 00:00+00';
select is(pg_temp.put('tiktok', 3, 150), '{}', 'compared with the previous live sample, not a rolled-back one');

-- one statement writing a whole series is judged row after row
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
select '41000000-0000-0000-0000-0000000000b1', 'instagram', 7, timestamptz '2026-10-01 00:00+00' + d * interval '1 day'
from generate_series(1, 3) as d;
select is(pg_temp.flags('instagram', 2), '{views_frozen}', 'a bulk insert sees the rows before it (frozen at 2 with setting 2)');

-- a re-sync of the same data keeps the flag; a corrected value is judged again
select is(pg_temp.put('youtube', 2, 90), '{views_decreased}', 'a re-sync of the same sample keeps its flag');
select is(pg_temp.put('youtube', 2, 120), '{}', 'a corrected count is judged again');

-- flags are the database's finding: writing them by hand is undone
update public.music_video_metrics set flags = '{views_jump}'
where music_video_id = '41000000-0000-0000-0000-0000000000b1' and platform = 'youtube'
  and collected_at = timestamptz '2026-10-04 00:00+00';
select is(pg_temp.flags('youtube', 3), '{views_decreased}',
  'hand-written flags are replaced by recomputed ones (95 now follows the corrected 120)');

-- the history RPC shows the flags beside each row
set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select jsonb_agg(to_jsonb(r.flags) order by r.collected_at)
   from public.music_video_metrics_history(id => '41000000-0000-0000-0000-0000000000b1', platforms => '{other}') as r),
  '[[], [], ["views_frozen"], ["views_frozen"]]'::jsonb,
  'music_video_metrics_history returns each row''s flags'
);
reset role;

select * from finish();
rollback;
