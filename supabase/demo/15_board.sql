-- DEMO DATA (see 00_users_and_releases.sql). The plans' life so far: the past submits, the
-- moves along the board, the timeline, the shot list and the budget actuals, then the other
-- user's own draft. Video ids come from 10_plans.sql (the demo.* settings of this transaction).

-- ---------------------------------------------------------------------------------------------
-- The other plans were submitted in the past, before their shoots, which the API cannot do
-- today (a submit refuses a shoot that already started). The database owner records those
-- submits as history; everything after the submit goes through the API again below.
select pg_temp.demo_act_as('owner');
update public.music_videos as v
set status = 'planned', submitted_at = s.submitted_at
from (
  values
  (current_setting('demo.midnight_signal')::uuid, now() - interval '460 days'),
  (current_setting('demo.paper_planes')::uuid, now() - interval '345 days'),
  (current_setting('demo.glass_city')::uuid, now() - interval '60 days'),
  (current_setting('demo.afterglow')::uuid, now() - interval '30 days'),
  (current_setting('demo.coastline')::uuid, now() - interval '420 days')
) as s (id, submitted_at)
where v.id = s.id;

-- ---------------------------------------------------------------------------------------------
-- As the demo user again: the cards move along the board one lane at a time ("move a card"),
-- each move judged by the status rules and, at commit, by the plan rules.
select pg_temp.demo_act_as('authenticated', 'd3e0d3e0-0000-4000-8000-000000000001', 'demo@example.com');
select
  pg_temp.demo_rpc('update_music_video', jsonb_build_object(
    'id', current_setting('demo.' || m.video), 'patch', jsonb_build_object('status', m.status)
  ))
from (
  values
  (1, 'midnight_signal', 'in_production'), (2, 'midnight_signal', 'post_production'),
  (3, 'midnight_signal', 'released'),
  (4, 'coastline', 'in_production'), (5, 'coastline', 'post_production'), (6, 'coastline', 'released'),
  (7, 'paper_planes', 'in_production'), (8, 'paper_planes', 'post_production'),
  (9, 'paper_planes', 'released'), (10, 'paper_planes', 'archived'),
  (11, 'glass_city', 'in_production'), (12, 'glass_city', 'post_production'),
  (13, 'afterglow', 'in_production')
) as m (step, video, status)
order by m.step;

-- The planning timeline: milestones and promo events of the videos still ahead of release.
select
  pg_temp.demo_rpc('add_music_video_milestone', jsonb_build_object(
    'music_video_id', current_setting('demo.' || m.video), 'kind', m.kind, 'due_date', current_date + m.due_in,
    'label', m.label, 'owner_id', 'd3e0d3e0-0000-4000-8000-000000000001'
  ))
from (
  values
  ('glass_city', 'edit_lock', 10, 'Picture lock with the label'),
  ('glass_city', 'delivery', 20, 'Masters to YouTube and Vevo'),
  ('afterglow', 'edit_lock', 25, null),
  ('afterglow', 'delivery', 40, 'Deliver 4K master'),
  ('wildfire', 'edit_lock', 70, null),
  ('wildfire', 'delivery', 100, 'Masters and vertical cut-downs')
) as m (video, kind, due_in, label);

select
  pg_temp.demo_rpc('schedule_music_video_promo', jsonb_build_object(
    'music_video_id', current_setting('demo.' || p.video), 'platform', p.platform, 'kind', p.kind,
    'starts_at', (current_date + p.days_in)::timestamp + p.at_time, 'time_zone', 'America/New_York',
    'notes', p.notes
  ))
from (
  values
  ('glass_city', 'instagram', 'teaser', 23, time '18:00', '15-second teaser, vertical'),
  ('glass_city', 'youtube', 'premiere', 30, time '12:00', 'Premiere with live chat'),
  ('afterglow', 'tiktok', 'teaser', 50, time '17:00', null),
  ('afterglow', 'youtube', 'premiere', 60, time '12:00', null),
  ('afterglow', 'mtv', 'tv_spot', 62, time '20:00', 'MTV Push rotation'),
  ('wildfire', 'youtube', 'premiere', 120, time '12:00', null)
) as p (video, platform, kind, days_in, at_time, notes);

-- The shot list of the video being shot (cast linked to the assignments).
select
  pg_temp.demo_rpc('add_music_video_shot', jsonb_build_object(
    'music_video_id', current_setting('demo.afterglow'), 'description', s.description, 'scene', s.scene,
    'shot_size', s.shot_size, 'angle', s.angle, 'movement', s.movement, 'lens', s.lens,
    'location', 'Point Dume beach', 'duration_seconds', s.seconds, 'status', s.status,
    'cast_assignment_ids', (
      select coalesce(jsonb_agg(ca.id), '[]'::jsonb)
      from public.music_video_cast_assignments as ca
      inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
      where ca.music_video_id = current_setting('demo.afterglow')::uuid and co.name = any(s.cast_names)
    )
  ))
from (
  values
  (
    1, 'Sunset wide, dancers silhouetted against the haze', '1', 'EWS', 'eye level', 'static', '24mm', 12,
    'shot', array['Studio Ritmo Dancers (8)']
  ),
  (2, 'Slow push-in on the mirror line', '1', 'WS', 'low', 'dolly in', '35mm', 8, 'shot', array[]::text[]),
  (
    3, 'Dancers break formation, slow motion', '2', 'MS', 'eye level', 'handheld', '50mm', 10, 'planned',
    array['Studio Ritmo Dancers (8)']
  ),
  (4, 'Close-up of hands through smoke', '2', 'CU', 'high', 'static', '85mm', 5, 'planned', array[]::text[]),
  (5, 'Last light: drone pull-out', '3', 'EWS', 'aerial', 'crane up', '24mm', 15, 'planned', array[]::text[])
) as s (n, description, scene, shot_size, angle, movement, lens, seconds, status, cast_names)
order by s.n;

-- Budget actuals of the finished productions (variance shows in get_music_video and the export).
select pg_temp.demo_rpc('set_music_video_budget_actuals', jsonb_build_object(
  'music_video_id', current_setting('demo.midnight_signal'),
  'actuals', jsonb_build_object('direction', 31500, 'cinematography', 21000, 'post', 19800, 'marketing', 9000)
));
select pg_temp.demo_rpc('set_music_video_budget_actuals', jsonb_build_object(
  'music_video_id', current_setting('demo.glass_city'),
  'actuals', jsonb_build_object('direction', 58000, 'cinematography', 54000)
));

-- ---------------------------------------------------------------------------------------------
-- The other user: one release with a draft of their own, and no access to the demo user's.
select pg_temp.demo_act_as('authenticated', 'd3e0d3e0-0000-4000-8000-000000000002', 'other@example.com');
select pg_temp.demo_rpc('save_music_video_draft', jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000b1', 'wizard_step', 'concept',
  'patch', jsonb_build_object('title', 'Garage Session')
));

select pg_temp.demo_act_as('owner');
