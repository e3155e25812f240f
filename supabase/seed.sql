-- Catalog seed: realistic themes, art styles, budget bands (USD), the four quality tiers and
-- cast options. Idempotent: re-applying updates rows in place and never duplicates them.

insert into public.music_video_themes (name, description, visual_motifs, genre_tags)
values
  ('Neon Nights', 'After-dark city energy with reflections and motion blur',
   '["neon signage", "wet asphalt", "night drive"]', '{pop,electronic,synthwave,dance}'),
  ('Road Trip Americana', 'Open highways, diners and golden-hour landscapes',
   '["desert highway", "vintage car", "motel sign"]', '{country,rock,americana,folk}'),
  ('Concert Documentary', 'Backstage and live footage cut to the track',
   '["crowd shots", "backstage", "tour bus"]', '{rock,indie,hip-hop,pop,metal}'),
  ('Urban Storytelling', 'A narrative short set in the artist''s neighbourhood',
   '["street portraits", "rooftops", "corner store"]', '{hip-hop,rap,r&b,grime}'),
  ('Dreamscape', 'Surreal, slow-motion imagery and practical effects',
   '["floating objects", "fog", "mirrors"]', '{indie,dream-pop,ambient,alternative}'),
  ('Dance Performance', 'Choreography-led one-location performance piece',
   '["choreography", "single set", "wardrobe changes"]', '{k-pop,pop,dance,latin}'),
  ('Lyric Visualizer', 'Animated typography synced to the lyrics',
   '["kinetic type", "motion graphics"]', '{pop,singer-songwriter,electronic,indie}')
on conflict (name) do update
set description = excluded.description,
    visual_motifs = excluded.visual_motifs,
    genre_tags = excluded.genre_tags;

insert into public.music_video_art_styles
  (name, color_palette, lighting_profile, camera_techniques, moodboard_url)
values
  ('Cyberpunk Neon', '["#ff00a0", "#00e5ff", "#1a0033"]', 'Hard practical neon with haze',
   'Gimbal tracking, anamorphic flares', null),
  ('Vintage Film', '["#d9b38c", "#7a5c3e", "#f2e6d9"]', 'Soft tungsten, natural window light',
   '16mm handheld, film grain', null),
  ('High-Contrast Monochrome', '["#000000", "#ffffff"]', 'Single hard key, deep shadows',
   'Locked-off wides, slow push-ins', null),
  ('Pastel Pop', '["#ffd1dc", "#c1f0f6", "#fff5ba"]', 'High-key softbox',
   'Symmetrical framing, whip pans', null),
  ('Gritty Documentary', '["#4a4a4a", "#8c7b6b", "#c2b280"]', 'Available light',
   'Shoulder rig, long lens observation', null),
  ('Hand-Drawn Animation', '["#f4a261", "#2a9d8f", "#264653"]', 'Not applicable (animated)',
   'Frame-by-frame 2D animation', null)
on conflict (name) do update
set color_palette = excluded.color_palette,
    lighting_profile = excluded.lighting_profile,
    camera_techniques = excluded.camera_techniques,
    moodboard_url = excluded.moodboard_url;

insert into public.music_video_quality_tiers (tier, description, expected_turnaround, crew_size_hint)
values
  ('indie', 'One-day shoot, small crew, in-house edit', interval '2 weeks', 4),
  ('standard', 'Two-day shoot, dedicated DP and editor, basic grade', interval '4 weeks', 10),
  ('premium', 'Multi-location shoot, full grade, VFX cleanup', interval '8 weeks', 25),
  ('cinematic', 'Narrative production with cast, stunts and heavy post', interval '12 weeks', 60)
on conflict (tier) do update
set description = excluded.description,
    expected_turnaround = excluded.expected_turnaround,
    crew_size_hint = excluded.crew_size_hint;

insert into public.music_video_budgets (name, min_cost, max_cost, default_quality_tier, currency_code)
values
  ('Micro', 1000, 5000, 'indie', 'USD'),
  ('Indie', 5000, 25000, 'indie', 'USD'),
  ('Standard', 25000, 100000, 'standard', 'USD'),
  ('Premium', 100000, 500000, 'premium', 'USD'),
  ('Blockbuster', 500000, 2000000, 'cinematic', 'USD')
on conflict (name) do update
set min_cost = excluded.min_cost,
    max_cost = excluded.max_cost,
    default_quality_tier = excluded.default_quality_tier,
    currency_code = excluded.currency_code;

insert into public.music_video_cast_options (name, role, cost_multiplier, availability, requires_union)
values
  ('Maya Chen', 'director', 1.50,
   '{"unavailable": [{"from": "2027-01-10", "to": "2027-01-24", "reason": "festival jury"}]}', true),
  ('Luis Ortega', 'director of photography', 1.25,
   '{"unavailable": [{"from": "2026-12-20", "to": "2027-01-03", "reason": "holiday"}]}', true),
  ('Studio Ritmo Dancers (8)', 'dancers', 1.40, '{"unavailable": []}', true),
  ('Jordan Blake', 'choreographer', 1.10,
   '{"unavailable": [{"from": "2027-02-01", "to": "2027-02-14", "reason": "tour rehearsals"}]}', false),
  ('Priya Nair', 'lead actor', 1.30, '{"unavailable": []}', true),
  ('Sam Okafor', 'editor', 1.00, '{"unavailable": []}', false),
  ('Northlight Colour', 'colourist', 0.90, '{"unavailable": []}', false),
  ('Guest cameo (label roster)', 'cameo', 0.50, '{"unavailable": []}', false)
on conflict (name, role) do update
set cost_multiplier = excluded.cost_multiplier,
    availability = excluded.availability,
    requires_union = excluded.requires_union;
