-- The API reference's text: one COMMENT per public RPC (Markdown), read by
-- `python -m devtools contract generate` into docs/api-reference.md beside each function's
-- signature from pg_proc. Each comment has a one-line purpose, then `Endpoint:` (the spec
-- endpoint or README row it implements), `Input shapes:` (the JSON its jsonb parameters take),
-- `Returns:` (what the rows or the document mean, and how they page) and `Errors:` (SQLSTATE ->
-- when, with the problem codes of detail.problems).
--
-- Written against the API as of 20261201050300: typed parameters (20261201000500-0800), typed
-- rows for the reads (20261201010000-010800, 20261201050000, 20261201050300), the workspace
-- writes' row returns and read-only archived plans (20261201050100, 20261201050200). Every
-- error the functions raise themselves has one detail shape, {"problems": [{"field", "code",
-- "message", ...extra}]}; it is described once per comment by its SQLSTATE and problem codes.
-- A value of the wrong type for a typed parameter never reaches a function: PostgREST's
-- conversion of the body fails first (22P02, 22007), and a required parameter left out is
-- PostgREST's PGRST202 (no such function); the comments say so where it matters.
--
-- Keyed by function NAME, not signature, so the comments survive the RPCs being retyped
-- (drop + create with new parameter types): this file sorts after those migrations and comments
-- whatever signature each name has then. A listed name that does not exist fails the migration,
-- and tests/integration/test_contract.py fails when a public function has no comment or lacks a
-- section, so a new or renamed RPC cannot go undocumented. Parameter types, required/optional,
-- defaults and the columns of a row type are not repeated here: the reference takes them from
-- the catalog.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

do $do$
declare
  v_doc record;
  v_fn regprocedure;
  v_found boolean;
begin
  for v_doc in
    select d.name, d.markdown
    from (values
      ('list_music_video_sync_plans', $md$The nightly YouTube sync plans of the latest nights, newest first, for admins (issue 13: the nightly plans its run against the day's quota before it enqueues).

Endpoint: admin view of the nightly (spec 3.4 nightly sync; no spec endpoint).

Input shapes: none (`nights`: how many nights, 1-366, default 14).

Returns: a JSON array, one object per night: `run_date`, `quota_day` (the Pacific quota day), `daily_budget` and `units_left` (YouTube units), `scheduled_videos`, `calls_needed` (ceil(scheduled / 50)), `planned_videos`, `calls_planned`, `planned_by_reason` (`{recent_release, near_kpi_target, round_robin}`), `skipped_videos`, `skipped_by_reason` (`{recent_release_over_budget?, near_kpi_target_over_budget?, round_robin_waits_its_turn?}`), `round_robin_nights` (nights until every waiting video has had its turn), `weekly_rotation_met`, `jobs_created`, `jobs_reused`, `jobs_already_enqueued`, `runs`, `last_run_at`.

Errors:
- `PT403`: the caller is not an admin (message only).
- `22023`: `detail.problems` `nights` `out_of_range`.$md$),
      ('create_music_video', $md$Create a complete video plan (the video, its budget line items, cast assignments and platform targets) in one transaction, checked with every plan rule of spec 4.3 and stored as `planned`.

Endpoint: POST /music-videos (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- Scalars are typed parameters: PostgREST converts the JSON body before the function runs, so a value of the wrong type (a string for `budget_estimate` or `promo_only`, an unknown `quality_tier` / `primary_platform` / `sync_strategy` label, a malformed date) is PostgREST's cast error, not a field problem, and leaving out a required parameter is `PGRST202` (no such function). Ids (`release_id`, `video_theme_id`, `art_style_id`, `budget_band_id`) are text; `kpi_chart_target` is a chart source id. An empty or absent `slug` is generated from the title (`-2`, `-3` on a collision).
- `line_items`: `[{"category": "direction" | "cinematography" | "post" | "marketing", "amount": integer >= 0, "notes"?: string (<= 2000)}]`, one item per category; also accepted as an object `{"direction": 12000, ...}`.
- `cast_assignments`: `[{"cast_option_id": uuid of music_video_cast_options, "role"?: string (<= 200) | null, "role_override"?: string | null, "cost_estimate"?: integer >= 0 | null, "confirmed"?: boolean (default false), "notes"?: string (<= 2000) | null}]`, one item per cast option. `role` is the assignment's role: the cast option's own role (or null) means no override. `role_override` (the stored override, as documents return it) is accepted too and wins when both are sent, so an item echoed from a document keeps its override; a `role` that differs from both the option's role and `role_override` is `conflicting_role`. The document's read-only fields (`id`, `name`, `cost_multiplier`, `projected_cost`, `requires_union`) are ignored; other keys are `unknown_field`.
- `platform_targets`: `[{"platform": "youtube" | "mtv" | "vevo" | "tiktok" | "instagram" | "regional_tv" | "other", "auto_sync"?: boolean (default true), "priority"?: integer >= 0 | null, "launch_url"?: http(s) URL (<= 2048), "external_id"?: string (<= 200)}]`, one item per platform. On `youtube` the launch URL must be a YouTube video URL (its 11-character id becomes `external_id`; a different `external_id` is a `mismatch`).
- Each list holds at most 50 entries and names each category, cast option or platform once.

Returns: the plan document (one JSON object whose keys are the columns of `get_music_video`'s `music_video_panel` row): status `planned`, `slug` set, `open_problems` empty.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `PT422`: every problem at once in `detail.problems`, field names as paths (`line_items[0].amount`, `cast_assignments[1].role`): input codes `invalid_type`, `invalid_choice`, `invalid_format`, `unknown` (cast option), `unknown_field`, `unknown_chart_source`, `too_long`, `negative`, `required` (also a required parameter sent as null), `duplicate`, `too_many`, `read_only`, `invalid_url`, `invalid_youtube_url`, `mismatch`, `conflicting_role`; plan rules `required`, `youtube_required`, `before_start`, `in_past` (shoot start before today, UTC), `budget_below_band`, `budget_over_contingency`, `cast_unavailable`, `cast_double_booked`.
- `PT409`: the requested slug is taken in this release and nothing else is wrong (`slug` `slug_taken`).
- `22P02` / `22007` (PostgREST, before the function runs): a typed parameter of the wrong type or an unknown enum label.$md$),
      ('update_music_video', $md$Change fields of a video, its lists or its status (a board move) with a partial patch.

Endpoint: PATCH /music-videos/:id (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `patch`: an object of the fields to change: the plan fields of `create_music_video` (`title`, `slug`, `video_theme_id`, `art_style_id`, `budget_band_id`, `quality_tier`, `narrative_outline`, `budget_estimate`, dates as `YYYY-MM-DD`, `kpi_view_target`, `kpi_chart_target`, `primary_platform`, `sync_strategy`, `promo_only`, `isrc`, `spotify_track_uri`, `apple_music_id`, `artist_name`) as JSON values (numbers, booleans, enum labels, which the parser checks: wrong types are field problems here), `line_items`, `cast_assignments` and `platform_targets` (the shapes of `create_music_video`; each replaces that list whole), `wizard_state` (an object), `wizard_step` (a string) and `status`. `id`, `release_id`, `created_by`, `created_at`, `updated_at`, `submitted_at` are read-only. `null` clears a field (not `sync_strategy`, `promo_only`, `status`, `wizard_state`).
- `status` moves one lane along draft -> planned -> in_production -> post_production -> released (forward or back), to `archived` from anywhere, and from `archived` back to the lane it was archived from; draft -> planned is a submit (the full plan check runs, including `in_past`).

Returns: the plan document, as `create_music_video` returns it (the keys of `get_music_video`'s row).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: every problem at once in `detail.problems`: the input codes of `create_music_video`, `status` `invalid_transition` (with `from`, `to` and `allowed`), and, when the resulting status is past draft, the plan rules of spec 4.3 (`required`, `youtube_required`, `negative`, `before_start`, `in_past` (a submit, or a planned video's shoot start moved), `budget_below_band`, `budget_over_contingency`, `cast_unavailable`, `cast_double_booked`, `edit_lock_before_shoot_end`, `release_before_edit_lock`, `promo_before_release`).
- `PT409`: the video is archived and the patch changes anything but the status move back to its lane (`status` `archived`; the table rule binds signed-in callers, not the service role); or the slug is taken in this release and nothing else is wrong (`slug` `slug_taken`).$md$),
      ('submit_music_video', $md$Submit a draft plan: run every plan rule of spec 4.3 and move it to `planned`.

Endpoint: PATCH /music-videos/:id (the wizard's "Submit Plan"; spec 1.2, 2.3).

Returns: the plan document, as `create_music_video` returns it (status `planned`, `submitted_at` set).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is not a draft (archived ones included): `status` `not_a_draft`.
- `PT422`: the plan breaks rules, every one at once in `detail.problems`: `required` (title, release_id, video_theme_id, art_style_id, budget_band_id, quality_tier, target_release_date, platform_targets), `youtube_required`, `negative` (kpi_view_target), `before_start` (shoot_end_date), `in_past` (shoot_start_date before today, UTC), `budget_below_band`, `budget_over_contingency`, `cast_unavailable`, `cast_double_booked`, `edit_lock_before_shoot_end`, `release_before_edit_lock`, `promo_before_release`.$md$),
      ('save_music_video_draft', $md$Autosave the wizard: create a draft (no `id`, a `release_id`) or update one (an `id`), with the wizard's step, its form state and any plan fields; only the field types are checked.

Endpoint: PATCH /music-videos/:id (the wizard's autosave and "Save Draft"; spec 1.2, 4.1 PlanMusicVideoDialog).

Input shapes:
- `wizard_state`: any JSON object the frontend keeps (at most 64 KB as text, 1,000 keys in all, 20 levels deep); `music_video_resume_draft` (and the deep link's `resume_draft`) hand it back.
- `patch`: an object of plan fields, as in `update_music_video` (no `status`).

Returns: the plan document, as `create_music_video` returns it (a draft: `open_problems` lists what a submit would refuse).

Errors:
- `PT404`: the video id (when given) or the release id (when creating) is malformed, does not exist or is not the caller's.
- `PT409`: the video is not a draft (archived ones included): `status` `not_a_draft`; or the slug is taken and nothing else is wrong (`slug` `slug_taken`).
- `PT422`: field problems, every one at once in `detail.problems` (the input codes of `create_music_video`; `wizard_state` `too_large` / `too_deep` / `too_many_keys`).$md$),
      ('delete_music_video', $md$Delete a draft video and everything that hangs off it; its moodboard files are removed by a storage_cleanup job.

Endpoint: the card's delete action (spec 1.2 "contextual menu for delete/archive"); past draft, archive it with `update_music_video` instead.

Returns: `{"id": uuid, "release_id": uuid, "deleted": boolean, "storage_cleanup_job_id": uuid | null}` (`storage_cleanup_job_id` set when moodboard files are left to remove).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is past draft, archived included (`status` `not_a_draft`, with the video's `status`); archive it instead. The rule binds signed-in callers; the service role may delete any video.$md$),
      ('get_music_video', $md$One video plan with everything the workspace panel shows, as one typed row.

Endpoint: GET /music-videos/:id (spec 2.3; ARCHITECTURE.md's endpoint table). One row: call it with supabase-js `.single()`.

Returns: one `music_video_panel` row. Its first columns are the `music_videos` columns with their own types; the nested parts are jsonb columns: `theme` `{id, name}`, `art_style` `{id, name}`, `budget_band` `{id, name, min_cost, max_cost, currency_code}`, `chart_source` `{id, label, provider}` (each null when unset); `line_items` `[{id, category, amount, notes, actual_amount, variance}]` (variance = actual - amount); `cast_assignments` `[{id, cast_option_id, name, role, role_override, cost_estimate, cost_multiplier, projected_cost, confirmed, requires_union, notes}]`, where `role` is the cast option's own role and `role_override` the assignment's (the effective role is `role_override` ?? `role`); `platform_targets` `[{id, platform, auto_sync, priority, launch_url, external_id}]`; `moodboards` `[{id, storage_path, caption, created_at}]`; `latest_metrics` (the newest live `music_video_metrics` row per platform); `latest_imports` `[{id, source, platform, status, error_message, attempts, max_attempts, run_after, started_at, completed_at, created_at}]` (the newest job per source); `status_history` `[{from_status, to_status, changed_by, changed_at}]` (oldest first); `budget` `{budget_band_id, band, currency_code, min_cost, max_cost, contingency_pct, hard_limit, allocation_total, cast_cost_total, projected_total}`; `budget_actuals` `{currency_code, allocation_total, actual_total, variance_total}`; `milestones` (the `music_video_milestones` rows, by due date); `promo_events` (the `music_video_promo_events` rows, cancelled ones included, by start); `warnings` `[{field, code, message}]` (budget warnings, never raised); `availability_conflicts` `[{kind, cast_option_id, name, role, from, to, message, ...}]`; `open_problems` `[{field, code, message, ...}]` (what the plan rules say now; for a draft, what a submit would refuse). The write RPCs that return "the plan document" return these same keys as one JSON object. An archived plan is readable.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins included: only the owner and the service role read it).$md$),
      ('list_music_videos', $md$The board of a release: one page of video cards, newest first.

Endpoint: GET /music-videos?release_id (spec 2.3; ARCHITECTURE.md's endpoint table). The header counts and the draft to resume are the board's two other reads, `music_video_status_counts` and `music_video_resume_draft`.

Returns: `music_video_card` rows, one per video, newest first (`created_at` desc, then `id` desc), at most `page_size` (1..200, default 50). Keyset pages: only the page's last row carries `next_cursor`, and only when another page follows (null otherwise); pass it back unchanged as `cursor` for the next page. `status` filters by lanes (null or empty: all); `search` matches title or slug, case-insensitively, as a plain substring (`%` and `_` are literal). Per card: the theme, art style and budget band by name, `budget_currency_code` (the band's currency, the estimate's), `kpi_chart_target_label` (the chart source's label), `views_total` (the latest live views summed over platforms; null before any sample) and `views_by_platform` (`{"youtube": 123, ...}`, `{}` before any sample), `chart_position` / `chart_source` (the latest chart position and its chart), `last_sync_*` (the newest import job: status, source, created and completed times; null when none).

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `page_size` `out_of_range` (not 1..200), or `cursor` `invalid_cursor` (not a `next_cursor` this endpoint returned).
- `22P02` (PostgREST, before the function runs): an unknown status label in `status`.$md$),
      ('music_video_status_counts', $md$The board header's badges: how many of a release's videos are in each status.

Endpoint: GET /music-videos?release_id's counts (spec 2.3; the board header of spec 1.2), beside `list_music_videos`.

Returns: `music_video_status_count` rows, exactly one per status in the enum's order (draft, planned, in_production, post_production, released, archived), zeros included; `videos` is that status's count, unaffected by the board's filters. The total is the sum of the rows.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.$md$),
      ('music_video_resume_draft', $md$The draft the wizard's "resume draft" call to action reopens: the release's newest unsubmitted draft.

Endpoint: GET /music-videos?release_id's resume draft (spec 1.2 wizard, 4.1 PlanMusicVideoDialog), beside `list_music_videos`.

Returns: zero or one `music_video_draft_ref` row: the release's draft (status `draft`, never submitted) updated last, with its `wizard_step` and `wizard_state` as `save_music_video_draft` stored them; no row when the release has no such draft.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.$md$),
      ('music_video_deep_link', $md$What the deep link `/releases/:id/music-video` opens, in one call: the release's board, its counts and draft to resume, and the card to highlight (or the empty state).

Endpoint: deep link `/releases/:id/music-video` (spec 1.1, acceptance criterion 9). One row: call it with supabase-js `.single()`.

Returns: one `music_video_deep_link_view` row. `board`: the first page of `list_music_videos` (its cards, `page_size` of them at most, default 200; the last card carries `next_cursor` when more follow); `status_counts`: the rows of `music_video_status_counts`; `resume_draft`: the row of `music_video_resume_draft`, or null; `empty`: true when the release has no video. The highlighted card (`highlight_id`, `highlight_status`): the video the link names (`music_video_id`) when it is on this release (`highlight_reason` `requested`), otherwise the release's most recently updated video (`most_recent`); all null when the release is empty. `highlight_on_board`: whether that card is in `board` (false: it is on a later page, open it with `get_music_video`). `requested_id`: the id the link gave (trimmed; null when none), `requested_found`: whether it named a video of this release (null when none was given; a malformed, missing, foreign or other release's id is false).

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `page_size` `out_of_range` (not 1..200, as `list_music_videos`).$md$),
      ('request_music_video_metrics_sync', $md$"Sync Metrics": enqueue the video's import jobs (YouTube, charts) through the one sync rule and return them to poll.

Endpoint: POST /music-videos/:id/metrics/sync (spec 2.3, 3.4; ARCHITECTURE.md's endpoint table).

Returns: `{"music_video_id", "import_ids": [uuid], "imports": [{id, source, status, created: boolean}]}`; `created` is false when a job for that source was already waiting or running (poll `music_video_metric_imports` by id until it has finished).

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `PT422`: nothing to sync: `platform_targets` `nothing_to_sync` (no YouTube target with its video id) and `kpi_chart_target` `nothing_to_sync` (no chart target, ISRC, Spotify or Apple Music id). TV figures come from CSV imports instead.
- `PT409`: `music_video_id` `busy` (a sync job of the video changed while it was queued; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`, as `import_broadcast_metrics`).$md$),
      ('assign_music_video_cast', $md$Assign a cast option to a video; the plan rules then report availability conflicts.

Endpoint: POST /music-videos/:id/cast with cast_option_id, role, cost_estimate (spec 2.3; ARCHITECTURE.md's endpoint table).

Returns: the plan document (as `create_music_video` returns it) plus `assignment`: the new item of `cast_assignments`. `role` is the assignment's role: left out, null or equal to the cast option's own role, the assignment has no override (`role_override` null) and plays the option's role; another value is stored as `role_override`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: every problem at once in `detail.problems`: `cast_option_id` `unknown` (malformed or no such option) / `required`, `cost_estimate` `negative`, `role` / `notes` `too_long` (200 / 2,000 characters); when the video is past draft, also the plan rules (`cast_unavailable`, `cast_double_booked`, `budget_over_contingency`, ...).
- `PT409`: that cast option is already assigned to the video (`cast_option_id` `already_assigned`; change it with `update_music_video_cast_assignment`), or the video is archived (`status` `archived`; signed-in callers, not the service role).
- `22P02` (PostgREST, before the function runs): `cost_estimate` not an integer or `confirmed` not a boolean.$md$),
      ('update_music_video_cast_assignment', $md$Confirm, change or remove one cast assignment of a video.

Endpoint: PATCH /music-videos/:id/cast/:assignment_id (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `patch`: `{"confirmed"?: boolean, "cost_estimate"?: integer >= 0 | null, "role"?: string (<= 200) | null, "role_override"?: string | null, "notes"?: string (<= 2000) | null}`, `role` and `role_override` as in `create_music_video`'s cast items (`role` equal to the option's own role or null clears the override). `cast_option_id` may be echoed but not changed; the document's other read-only fields (`id`, `name`, `cost_multiplier`, `projected_cost`, `requires_union`) are ignored; other keys are `unknown_field`.
- `remove`: true deletes the assignment (the patch is then ignored).

Returns: the plan document (as `create_music_video` returns it) plus `assignment` (the changed item; null when removed) and, on removal, `removed_assignment_id`.

Errors:
- `PT404`: the video or assignment id is malformed, does not exist, is not the caller's, or the assignment belongs to another video.
- `PT422`: every problem at once in `detail.problems`: `patch` `invalid_type` (not an object), `cast_option_id` `read_only`, the cast item codes (`confirmed` / `cost_estimate` / `role` / `role_override` / `notes` `invalid_type`, `cost_estimate` `negative`, `too_long`, `role` `conflicting_role`, `unknown_field`), and when the video is past draft the plan rules.
- `PT409`: the video is archived (`status` `archived`), removal included (signed-in callers, not the service role).$md$),
      ('set_music_video_platform_targets', $md$Replace a video's distribution platforms and, optionally, its sync strategy.

Endpoint: POST /music-videos/:id/platform-targets (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `targets`: the `platform_targets` list of `create_music_video` (`[{platform, auto_sync?, priority?, launch_url?, external_id?}]`); the whole list, required (an empty list removes every target).

Returns: the plan document, as `create_music_video` returns it. `sync_strategy` left out (or null) keeps the video's.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: every problem at once in `detail.problems`: `platform_targets` `required` (`targets` null), the platform target codes of `create_music_video` (`invalid_choice`, `duplicate`, `too_many`, `invalid_url`, `invalid_youtube_url`, `invalid_format`, `mismatch`, ...); when the video is past draft also the plan rules (`required`, `youtube_required`).
- `PT409`: the video is archived (`status` `archived`; signed-in callers, not the service role).
- `22P02` (PostgREST, before the function runs): an unknown `sync_strategy` label.$md$),
      ('music_video_metrics_history', $md$The video's live metric samples, by platform then newest first, a page at a time (the MetricsHistoryDrawer).

Endpoint: GET /music-videos/:id/metrics/history (spec 2.3; ARCHITECTURE.md's endpoint table).

Returns: `music_video_metric_sample` rows, one per live sample (rolled-back rows are left out), ordered by platform (the enum's order) then `collected_at` newest first; the drawer groups them by platform. At most `page_size` rows (1..500, default 100); only the page's last row carries `next_cursor`, and only when another page follows: pass it back unchanged as `cursor`. `platforms` filters (null or empty: all). `collected_from` / `collected_to` are dates (UTC calendar days), both inclusive: `collected_to` keeps that whole day. `flags` lists the sample's odd-data flags (`views_decreased`, `views_frozen`, `views_jump`; empty when nothing is odd); `detail` is the row's detail (an admin correction is under `manual_override`).

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `page_size` `out_of_range` (not 1..500), `collected_to` `before_start` (before `collected_from`), or `cursor` `invalid_cursor` (not a `next_cursor` this endpoint returned).
- `22P02` / `22007` (PostgREST, before the function runs): an unknown platform label or a malformed date.$md$),
      ('music_video_catalogs', $md$The catalogs the wizard offers, in one row with a version for caching.

Endpoint: GET /music-video-catalogs (spec 2.3; ARCHITECTURE.md's endpoint table). One row: call it with supabase-js `.single()`. Always sends `ETag` and `Cache-Control: private, max-age=0, must-revalidate`; a request whose `If-None-Match` names the current ETag gets HTTP 304 and no row (keep the cached copy).

Returns: one `music_video_catalog_set` row: `version` (bumped by any catalog change) and `etag` (built from it); each catalog as an array of its table's rows (the columns of the tables listed below): `themes` and `art_styles` by name, `budgets` by min_cost then name, `quality_tiers` by tier, `cast_options` by role then name, `chart_sources` by provider then label; `settings` `{key: value}` of `music_video_settings` (free-form values). No row with HTTP 304.

Errors:
- `42501`: anonymous callers (executable by `authenticated` and `service_role` only); the function raises nothing itself.$md$),
      ('music_video_concept_suggestions', $md$Theme and art style pairings suggested for a release from its genres (the wizard's Concept & Theme step).

Endpoint: the wizard's suggested combinations (spec 1.2 "Provide suggested combinations based on release genre").

Returns: `music_video_concept_suggestion` rows, best first, at most `max_results` (1..100, default 12); `suggestion_rank` numbers them from 1. Each row pairs a theme (`theme_*`) with an art style (`art_style_*`); a theme's pairings rotate through the styles, and themes that match a genre come first. `score`: 3 per whole-genre match, 1 per matching word of a multi-word genre, 0 when nothing matched; `matched_tags`: the theme's tags that matched; `release_genres`: the release's genres the scores were computed from (the same on every row; empty when the release has none).

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `max_results` `out_of_range` (not 1..100).$md$),
      ('music_video_trends', $md$The MetricsPanel's trends: per platform, the daily view series, 7-day velocity, odd-data flags, and the video's KPI projection.

Endpoint: the MetricsPanel sparklines (spec 4.1 MetricsPanel, 5.1 criterion 6).

Returns: `music_video_trend` rows, one per platform that has a live sample (the enum's order), narrowed by `platforms` (null or empty: all); a video with no live sample returns no row. `range_from` / `range_to` / `days`: the window, `days` UTC calendar days (1..1095, default 90) ending today. `latest_at` / `latest_views`: the platform's newest sample with views. `velocity_*`: views gained per day since a base sample (the oldest within 7 days before the latest, else the newest up to 38 days before), its gain, the two samples' times and the span in days; null with no base sample. The series are parallel arrays, one element per UTC day in the window that has a sample (the day's last sample), oldest first: `dates`, `views_total`, `delta` (views minus the previous day with a sample, which may lie before the window; null for the very first), `gap_days` (days between the two), `per_day` (delta / gap, 2 decimals), `chart_position` (null when the platform has none in the window) and `source` (platform `other` only: the chart ids). `flagged` `[{date, flags}]` lists the days whose samples carry odd-data flags, `flagged_days` how many. `kpi_*`: the video's KPI projection over every platform (not narrowed by `platforms`; the same on every row): target, views, 7-day velocity, latest sample, `kpi_state` (`no_target`, `reached`, `insufficient_data`, `not_at_this_pace`, `on_pace`), views remaining, and, when on pace, days to target and the projected date.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins included).
- `22023`: `detail.problems` `days` `out_of_range` (not 1..1095).
- `22P02` (PostgREST, before the function runs): an unknown platform label in `platforms`.$md$),
      ('mark_music_video_alert_read', $md$Mark one alert of the caller's videos read (or unread again).

Endpoint: alerts (table `music_video_alerts`, read under RLS and realtime; this RPC is its one write).

Returns: the alert row as JSON (`music_video_alerts` columns): `read_at` set (kept when already read) for `read` true, the default, null for `read` false.

Errors:
- `PT404`: the alert id is malformed, does not exist or is not on the caller's video.
- `22023`: `read` sent as null (`detail.problems` `read` `required`).$md$),
      ('music_video_chart_history', $md$Weekly chart positions of a video: one row per week of its chart run, on or off the chart, each carrying the run's summary (peak, current, entry).

Endpoint: charts in the MetricsPanel (spec 3.2, 5.1 criterion 5).

Returns: `music_video_chart_week` rows, newest week first, every week (its Monday, `week_start`) from the first to the last charted week; a week without a position is `on_chart` false with null position, chart and entry kind, so drops and re-entries show. No charted week: no row. Per week: `chart_position` (the best rank among the charts asked for) and its `chart` id, `entry_kind` (`new`, `continuing`, `re_entry`), the ids of the chart metric row, its import and the per-chart position row, and the chart feed's own figures (`feed_*`; `feed_consistent` true only when one chart is asked for and they agree with the stored history). The summary, the same on every row: `first_week`, `last_week`, `peak_position` / `peak_week`, `weeks_on_chart`, `weeks_off_chart`, `current_entry_kind` (of the latest entry: `new` or `re_entry`), `current_position` (the latest week's), and the "since debut" figures (`since_debut_source` `chart`: the feed's peak and weeks when consistent, else `stored_history`: derived from stored weeks). `chart` narrows to one chart source id (null: the best of all charts). Admins and the service role may read any video.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins excepted).
- `22023`: `chart` is not a chart source id (`detail.problems` `chart` `unknown_chart`).$md$),
      ('request_music_video_chart_backfill', $md$Enqueue a charts job that fetches the video's past weeks of chart positions.

Endpoint: charts backfill (spec 3.2).

Returns: `{"import_id", "music_video_id", "status", "created": boolean, "backfill_weeks": integer}`; a waiting charts job is widened to the longer backfill instead of a second job (`created` false). `weeks` defaults to the `chart_backfill_weeks` setting.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins excepted).
- `22023`: `detail.problems` `weeks` `out_of_range` (not 1..520).
- `PT409`: `detail.problems` `music_video_id` `import_running` (a charts job of the video is being processed; ask again when it has finished) or `busy` (the job changed while it was queued; try again); `triggered_by` `too_many_live_imports` (the caller's imports waiting or running are at the limit, 50 by default; with `limit` and `live`).$md$),
      ('import_broadcast_metrics', $md$Enqueue the import of an uploaded TV/MTV CSV into a video's broadcast metrics.

Endpoint: TV/MTV CSV import (spec 3.3; ImportBroadcastDialog). Upload the file to the `music-video-broadcast-imports` bucket under `<release_id>/` first.

Input shapes:
- `mapping`: `{"air_date": "<CSV header>", "viewers": "<CSV header>" (or "*" in the wide layout), "program"?: "<CSV header>" | null, "layout"?: "long" (default: one row per airing) | "wide" (one column per programme; no program), "day_first"?: boolean (default: the worker's MV_BROADCAST_DAY_FIRST, false), "viewers_scale"?: number > 0 (default 1; 1000000 for figures in millions), "delimiter"?: "," | ";" | "\t" (default: sniffed), "decimal_separator"?: "." | "," (default "," for ";" files, else "."), "ignore"?: ["<CSV header>", ...] (wide layout: columns that are not programmes)}`; other keys are refused. Options the worker refuses fail the job with a message (import status `failed`).
- `platform` is a `platform_enum` label, and a broadcast one: `mtv` or `regional_tv`.

Returns: the import job's id (uuid); poll `music_video_metric_imports` and read failed rows with `music_video_import_errors`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's; or no uploaded file at `object_path` (`detail.problems` `object_path` `not_found`).
- `22023`: every problem at once in `detail.problems`: `platform` `invalid_choice` (not mtv or regional_tv), `mapping` `invalid_type` (not an object), `mapping.<key>` `unknown_field`, `mapping.air_date` / `mapping.viewers` `required` (name the header), `mapping.program` `invalid_type`, `mapping.layout` `invalid_choice`, `mapping.day_first` `invalid_type`, `mapping.viewers_scale` `not_positive`, `object_path` `required` / `invalid_format` / `outside_release_folder` / `invalid_extension` (not .csv, .tsv or .txt).
- `PT409`: too many live imports (`detail.problems` `too_many_live_imports` with `limit` and `live`: `music_video_id` for 5 broadcast imports waiting or running per video, `triggered_by` for 50 per user, by default).
- `22P02` (PostgREST, before the function runs): `platform` is not a platform label.$md$),
      ('music_video_import_errors', $md$The failed rows of an import, a page at a time (the actionable errors of spec 5.1 criterion 7).

Endpoint: TV/MTV CSV import's error report (spec 3.3, 5.1 criterion 7).

Returns: `music_video_import_error` rows, one per failed cell or record, by line: `line` (the physical line where the record starts; the header is line 1), `column_name` (their header; null for a record-level problem), `raw_value` (the cell as uploaded), `reason`, and `total` (every failed row of the import, not only this page's; the same on every row). A page holds about `page_size` rows (1..1000, default 100) but never splits a line, so it may hold a few more; only its last row carries `next_after_line`, and only when another page follows: pass it as `after_line`. No failed row (after `after_line`): no row. Admins and the service role read any import.

Errors:
- `PT404`: the import id is malformed, does not exist or is not visible to the caller.
- `22023`: `detail.problems` `page_size` `out_of_range` (not 1..1000).$md$),
      ('override_music_video_metric', $md$Admin: correct one metric sample by hand, with a reason; the correction sticks against later machine writes.

Endpoint: manual overrides (spec 3.3 "Admin UI to edit metrics entries").

Returns: the metric row as JSON (`music_video_metrics` columns; `detail.manual_override {at, by, reason, fields}`); the previous values go to `music_video_metric_overrides`. Values left out (null) keep theirs.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `PT404`: the metric id is malformed, does not exist or was rolled back.
- `22023`: every problem at once in `detail.problems`: `values` `required` (no value given), `<count>` `negative` (views_total, likes_total, shares_total, comments_total, favorites_total), `chart_position` `out_of_range` (below 1), `reason` `required` (empty).$md$),
      ('rollback_music_video_import', $md$Admin: roll back a finished import: its metric rows and chart positions are soft-deleted and it is marked failed.

Endpoint: rollback (spec 3.3 "Support rollback by marking import batch status failed and soft-deleting metrics rows").

Returns: `{"import_id", "status": "failed", "previous_status", "rows_deleted": integer, "chart_positions_deleted": integer}`.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `22023`: empty `reason` (`detail.problems` `reason` `required`).
- `PT404`: the import id is malformed or does not exist.
- `PT409`: the import has not finished (`detail.problems` `import_id` `not_finished`, with its `status`: pending or processing).$md$),
      ('reimport_music_video_import', $md$Admin: run a broadcast file again over rolled-back or overridden rows, as a new import job.

Endpoint: admin re-import (spec 3.3 manual overrides and rollback; README's admin row).

Returns: the new import job's id (uuid).

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `22023`: empty `reason` (`detail.problems` `reason` `required`).
- `PT404`: the import id is malformed, does not exist or is not a broadcast import.
- `PT409`: the import has not finished (`detail.problems` `import_id` `not_finished`, with its `status`); or too many live imports (`too_many_live_imports`, as `import_broadcast_metrics`).$md$),
      ('request_music_video_export', $md$Enqueue the analytics report of a release (CSV or PDF) as an export job.

Endpoint: analytics reports export (spec 5.1 criterion 8).

Returns: `{"id": job id, "release_id", "format": "csv" | "pdf", "status", "created": boolean}`; an equal export still waiting or running is returned instead of a second one (`created` false). When the job has succeeded, sign `metadata.output.object_path` in the private `music-video-exports` bucket.

Errors:
- `22023`: `format` sent as null (`detail.problems` `format` `required`).
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (`detail.problems` `format` `busy`: the same export changed meanwhile; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`).
- `22P02` (PostgREST, before the function runs): `format` is neither `csv` nor `pdf`.$md$),
      ('request_music_video_shotlist_export', $md$"Export Shotlist": enqueue the video's shot list as a CSV or PDF export job.

Endpoint: Export Shotlist (spec 1.2 action bar, 4.1 ShotlistExportButton).

Returns: `{"id": job id, "release_id", "format", "status", "created": boolean, "kind": "shotlist", "music_video_id"}`; an equal export still waiting or running is returned instead (`created` false). Poll the job, then sign `metadata.output.object_path` in the `music-video-exports` bucket.

Errors:
- `22023`: `format` sent as null (`detail.problems` `format` `required`).
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (`detail.problems` `format` `busy`; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`).
- `22P02` (PostgREST, before the function runs): `format` is neither `csv` nor `pdf`.$md$),
      ('add_music_video_milestone', $md$Add a timeline milestone (edit lock, picture lock, delivery, promo or a custom one) to a video.

Endpoint: timeline milestones (spec 1.2 "Timeline section mapping key milestones").

Returns: the new `music_video_milestones` row (the table's columns, as listed below).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or it already has its edit_lock, picture_lock or delivery milestone (`kind` `taken`; one each).
- `22023`: one problem in `detail.problems`: `kind` `required` / `invalid` / `derived_kind` (shoot_start, shoot_end and release are the video's own dates), `owner_id` `invalid` / `unknown_profile`, `due_date` `required`, `label` `required` (custom) / `too_long` (> 200).
- `PT422`: when the video is past draft, at commit, the timeline breaks a plan rule (`milestones` `edit_lock_before_shoot_end`, `target_release_date` `release_before_edit_lock`).$md$),
      ('update_music_video_milestone', $md$Move a milestone, rename it or change its owner.

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: the changed `music_video_milestones` row. Arguments left null keep their value; `clear_owner` true removes the owner.

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`).
- `22023`: one problem in `detail.problems`: `owner_id` `conflicting` (an owner and `clear_owner` together) / `invalid` / `unknown_profile`, `label` `too_long`.
- `PT422`: when the video is past draft, at commit, the timeline breaks a plan rule (`edit_lock_before_shoot_end`, `release_before_edit_lock`).$md$),
      ('complete_music_video_milestone', $md$Mark a milestone done (or not done again).

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: the `music_video_milestones` row; `done` true (the default) sets `done_at` and `done_by` (the server's), false clears them.

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`).
- `22023`: `done` sent as null (`detail.problems` `done` `required`).$md$),
      ('remove_music_video_milestone', $md$Remove a milestone from a video's timeline.

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: the removed `music_video_milestones` row, as it was.

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`).$md$),
      ('schedule_music_video_promo', $md$"Schedule Promo": add a promo event (premiere, teaser, TV spot, social push, interview) on a platform at a local time.

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the new `music_video_promo_events` row (the table's columns, as listed below).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`).
- `22023`: `detail.problems`: `platform` `required` / `invalid`, `kind` `required` / `invalid`, `starts_at` `required`, `time_zone` `required` (one at a time, in that order); then together `time_zone` `unknown_time_zone` (an IANA name such as Europe/Paris), `link` `invalid_url` (http(s), <= 2048), `notes` `too_long` (> 2000).
- `PT422`: an event other than a teaser or premiere before the video's release date (`starts_at` `before_release`, with `kind` and `release_date`).$md$),
      ('move_music_video_promo', $md$Move a promo event to another time (and optionally another time zone).

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the changed `music_video_promo_events` row; `time_zone` left null keeps the event's.

Errors:
- `PT404`: the event id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`); or the event was cancelled (`id` `cancelled`; schedule a new one).
- `22023`: `detail.problems`: `starts_at` `required`, `time_zone` `unknown_time_zone`.
- `PT422`: the move puts an event other than a teaser or premiere before the release date (`starts_at` `before_release`).$md$),
      ('cancel_music_video_promo', $md$Cancel a promo event (kept, with who and when; it leaves the timeline).

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the cancelled `music_video_promo_events` row (`cancelled_at`, `cancelled_by` set).

Errors:
- `PT404`: the event id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`); or the event is already cancelled (`id` `cancelled`).$md$),
      ('music_video_release_timeline', $md$The release's Timeline component: the videos' own dates, milestones and promo events as one list of dated items.

Endpoint: Timeline component (spec 1.2 "Timeline section ... reused from tour planner").

Returns: `music_video_timeline_item` rows, one per item, ordered by `date`, then the kinds' lifecycle order (shoot_start, shoot_end, edit_lock, picture_lock, delivery, release, promo, custom), then video title and id, then promo start and item id. Rows carry `music_video_id` only: take titles and statuses from the board (`list_music_videos`). By `source`: `video`: the video's own dates (`kind` shoot_start, shoot_end, release; a date not set gives no item), `id` null, `done` once the video has moved past it (in_production, post_production, released; every one for an archived video); `milestone`: a stored milestone (`id`, `label`, `owner_id`, `done`, `done_at`); `promo_event`: a live promo event (`kind` promo, `label` the promo kind, `starts_at`, `time_zone`, `platform`, `date` its local date in its time zone, `done` null, `overdue` false; cancelled events are left out). `overdue`: `date` before `as_of` (default today, UTC), not done, and the video not archived. `from_date` / `to_date` (each optional, inclusive) keep the items dated in that window. Archived videos' items are included.

Errors:
- `PT404`: the release id is missing, malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `from_date` `after_to_date`.$md$),
      ('set_music_video_budget_actuals', $md$Record what was actually spent per budget category; the variance shows in `get_music_video`, the variance view and the export.

Endpoint: budget actuals (spec 1.2 "variance against budget band"; 5.1 criterion 8).

Input shapes:
- `actuals`: `{"direction"?: integer >= 0, "cinematography"?: integer >= 0, "post"?: integer >= 0, "marketing"?: integer >= 0}` (JSON whole numbers up to 2147483647); a category without a line item gets one with amount 0; categories left out keep theirs.

Returns: the plan document, as `create_music_video` returns it (`line_items[].actual_amount` and `variance`; `budget_actuals`).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `22023`: every problem at once in `detail.problems`: `actuals` `invalid_type` (not an object), `actuals.<key>` `unknown_category` / `invalid_type` / `negative`.
- `PT409`: the video is archived (`status` `archived`).$md$),
      ('get_music_video_shots', $md$The video's shot list (the planning workspace), one row per shot.

Endpoint: shot list of the planning workspace (spec 1.2 "Export Shotlist"; README's shot list row).

Returns: `music_video_shot_row` rows in `shot_number` order (1..n); `cast`: the shot's cast, `[{assignment_id, name, role}]` by name (`role` the assignment's override, else the cast option's role). The count is the number of rows; the total duration (of the shots not cut) is their sum; the title is the board's. An archived plan is readable.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.$md$),
      ('add_music_video_shot', $md$Add a shot to the video's shot list, at the end or at a given number (later shots move down).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `cast_assignment_ids`: `["<cast assignment id of this video>", ...]`, at most 50, each once; null for none.

Returns: the list document `{"music_video_id", "title", "shot_count", "total_duration_seconds" (shots not cut), "shots": [rows as get_music_video_shots returns them], "shot": the new shot}`. `status` defaults to `planned`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or it already has 1,000 shots (`music_video_id` `too_many_shots`).
- `PT422`: every problem at once in `detail.problems`: `description` `required`, `scene` / `description` / `angle` / `movement` / `lens` / `location` `too_long` (120 / 2000 / 60 / 60 / 40 / 200 characters), `duration_seconds` `out_of_range` (1..3600), `shot_number` `out_of_range` (1..count + 1), `cast_assignment_ids` `invalid_type` / `too_many` / `duplicate` / `unknown_cast_assignment`.
- `22P02` (PostgREST, before the function runs): an unknown `shot_size` or `status` label, a non-integer number.$md$),
      ('update_music_video_shot', $md$Change fields of one shot, or move it to another number (the shots between shift).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `patch`: `{"scene"?, "description"?, "shot_size"?: "ECU" | "CU" | "MCU" | "MS" | "WS" | "EWS" | null, "angle"?, "movement"?, "lens"?, "location"?, "duration_seconds"?: integer 1..3600 | null, "status"?: "planned" | "shot" | "cut", "shot_number"?: integer 1..count, "cast_assignment_ids"?: [uuid] | null}`; text fields as in `add_music_video_shot`; `cast_assignment_ids` replaces the shot's cast.

Returns: the list document, as `add_music_video_shot` returns it, with `shot`: the changed shot.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.
- `PT409`: the video is archived (`status` `archived`).
- `PT422`: every problem at once in `detail.problems`: `patch` `invalid_type` (not an object), `unknown_field`, `shot_size` / `status` `invalid`, `invalid_type`, and the field codes of `add_music_video_shot`.$md$),
      ('reorder_music_video_shots', $md$Put the whole shot list in a new order (shot numbers become 1..n in the order given).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `shot_ids`: `["<shot id>", ...]`: every shot of the video exactly once, in the new order.

Returns: the list document, as `add_music_video_shot` returns it (without `shot`).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or the list changed since it was loaded: ids left out or not on the video (`shot_ids` `stale_order`, with `missing` and `unknown` counts).
- `PT422`: `detail.problems` `shot_ids` `invalid_type` (not a list of ids) or `duplicate`.$md$),
      ('remove_music_video_shot', $md$Remove one shot; the later shots move up so the numbers stay 1..n.

Endpoint: shot list of the planning workspace (README's shot list row).

Returns: the list document, as `add_music_video_shot` returns it, with `removed_shot_id` instead of `shot`.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.
- `PT409`: the video is archived (`status` `archived`).$md$)
    ) as d (name, markdown)
    order by d.name
  loop
    v_found := false;
    for v_fn in
      select p.oid::regprocedure
      from pg_catalog.pg_proc as p
      where p.pronamespace = 'public'::regnamespace and p.proname = v_doc.name
    loop
      execute format('comment on function %s is %L', v_fn, v_doc.markdown);
      v_found := true;
    end loop;
    if not v_found then
      raise exception 'rpc_reference_comments: no function public.% to comment', v_doc.name;
    end if;
  end loop;
end
$do$;
