-- The five enums of the spec (section 2.2), with exactly its labels.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Board lanes of a music video, in order: a plan moves forward (or back one lane).
create type public.video_status_enum as enum (
  'draft', 'planned', 'in_production', 'post_production', 'released', 'archived'
);

-- Production quality; also the key of music_video_quality_tiers.
create type public.quality_tier_enum as enum ('indie', 'standard', 'premium', 'cinematic');

-- Distribution platforms a video targets and that metrics are collected for.
create type public.platform_enum as enum (
  'youtube', 'mtv', 'vevo', 'tiktok', 'instagram', 'regional_tv', 'other'
);

-- How metrics are collected for a video: by hand, by the nightly job, or pushed by a partner.
create type public.sync_strategy_enum as enum ('manual', 'scheduled', 'webhook');

-- Lifecycle of an import job (music_video_metric_imports is the job queue).
create type public.import_status_enum as enum (
  'pending', 'processing', 'succeeded', 'failed', 'partially_failed'
);
