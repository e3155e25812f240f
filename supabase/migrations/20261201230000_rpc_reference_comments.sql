-- The API reference's text: one COMMENT per public RPC (Markdown), read by
-- `python -m devtools contract generate` into docs/api-reference.md beside each function's
-- signature from pg_proc. Each comment has a one-line purpose, then `Endpoint:` (the spec
-- endpoint or README row it implements), `Input shapes:` (the JSON its jsonb parameters take),
-- `Returns:` and `Errors:` (SQLSTATE -> when, with the problem codes of detail.problems).
--
-- Keyed by function NAME, not signature, so the comments survive the RPCs being retyped
-- (drop + create with new parameter types): this file sorts after those migrations and comments
-- whatever signature each name has then. A listed name that does not exist fails the migration,
-- and tests/integration/test_contract.py fails when a public function has no comment or lacks a
-- section, so a new or renamed RPC cannot go undocumented. Parameter types are not repeated
-- here: the reference takes them from the catalog.

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
      ('create_music_video', $md$Create a draft music video plan with its budget line items, cast assignments and platform targets, in one transaction.

Endpoint: POST /music-videos (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `line_items`: `[{"category": "direction" | "cinematography" | "post" | "marketing", "amount": integer >= 0, "notes"?: string (<= 2000)}]`, one item per category; also accepted as an object `{"direction": 12000, ...}`. Replaces the plan's line items.
- `cast_assignments`: `[{"cast_option_id": uuid of music_video_cast_options, "role_override"?: string (<= 200), "cost_estimate"?: integer >= 0 | null, "confirmed"?: boolean (default false), "notes"?: string (<= 2000)}]`, one item per cast option. Read-only fields echoed from `get_music_video` (`id`, `name`, `role`, `cost_multiplier`, `projected_cost`, `requires_union`) are ignored.
- `platform_targets`: `[{"platform": "youtube" | "mtv" | "vevo" | "tiktok" | "instagram" | "regional_tv" | "other", "auto_sync"?: boolean (default true), "priority"?: integer >= 0 | null, "launch_url"?: http(s) URL (<= 2048), "external_id"?: string (<= 200)}]`, one item per platform. On `youtube` the launch URL must be a YouTube video URL (its 11-character id becomes `external_id`; a different `external_id` is a mismatch).
- Each list holds at most 50 entries and names each category, cast option or platform once.
- Scalars arrive as JSON: dates `YYYY-MM-DD`, `budget_estimate` and `kpi_view_target` whole numbers >= 0, `promo_only` a boolean, `kpi_chart_target` a chart source id, `quality_tier` / `primary_platform` / `sync_strategy` enum labels, catalog ids uuids. An empty `slug` is generated from the title (unique per release).

Returns: the video document, as `get_music_video` returns it (status `draft`; `open_problems` lists what still blocks a submit).

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `PT422`: field problems, all at once in `detail.problems` (codes `invalid_type`, `invalid_choice`, `invalid_format`, `unknown`, `unknown_field`, `unknown_chart_source`, `too_long`, `negative`, `required`, `duplicate`, `too_many`, `read_only`, `invalid_url`, `invalid_youtube_url`, `mismatch`, `too_large` / `too_deep` / `too_many_keys` for wizard_state; field names are paths such as `line_items[0].amount`).
- `PT409`: the slug is taken in this release (`slug_taken`).$md$),
      ('update_music_video', $md$Change fields of a video, its lists or its status (a board move) with a partial patch.

Endpoint: PATCH /music-videos/:id (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `patch`: an object of the fields to change, the same fields and value shapes as `create_music_video` (`title`, `slug`, `video_theme_id`, ..., `line_items`, `cast_assignments`, `platform_targets` replace those lists whole, `wizard_state` an object, `wizard_step` a string) plus `status`. `id`, `release_id`, `created_by`, `created_at`, `updated_at`, `submitted_at` are read-only. `null` clears a field (not `sync_strategy`, `promo_only`, `status`, `wizard_state`).
- `status` moves one lane along draft -> planned -> in_production -> post_production -> released (forward or back), to `archived` from anywhere, and from `archived` back to the lane it was archived from; draft -> planned is a submit (the full plan check runs).

Returns: the video document, as `get_music_video` returns it.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: field problems in `detail.problems` (the codes of `create_music_video`, `invalid_transition` for a status move the board does not allow), and, past draft, the plan rules of spec 4.3 (`required`, `youtube_required`, `negative`, `before_start`, `budget_below_band`, `budget_over_contingency`, `cast_unavailable`, `cast_double_booked`, `edit_lock_before_shoot_end`, `release_before_edit_lock`, `promo_before_release`).
- `PT409`: the slug is taken in this release (`slug_taken`).$md$),
      ('submit_music_video', $md$Submit a draft plan: run every plan rule of spec 4.3 and move it to `planned`.

Endpoint: PATCH /music-videos/:id (the wizard's "Submit Plan"; spec 1.2, 2.3).

Returns: the video document, as `get_music_video` returns it (status `planned`, `submitted_at` set).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is not a draft any more (`detail.problems` `status` `not_a_draft`).
- `PT422`: the plan breaks rules, all at once in `detail.problems`: `required` (title, release_id, video_theme_id, art_style_id, budget_band_id, quality_tier, target_release_date, platform_targets), `youtube_required`, `negative` (kpi_view_target), `before_start` (shoot_end_date), `in_past` (shoot_start_date before today, UTC), `budget_below_band`, `budget_over_contingency`, `cast_unavailable`, `cast_double_booked`, `edit_lock_before_shoot_end`, `release_before_edit_lock`, `promo_before_release`.$md$),
      ('save_music_video_draft', $md$Autosave the wizard: create a draft (no `id`) or update one, with the wizard's step, its form state and any plan fields.

Endpoint: PATCH /music-videos/:id (the wizard's autosave and "Save Draft"; spec 1.2, 4.1 PlanMusicVideoDialog).

Input shapes:
- `wizard_state`: any JSON object the frontend keeps (at most 64 KB as text, 1,000 keys in all, 20 levels deep); `list_music_videos` hands it back as `resume_draft.wizard_state`.
- `patch`: an object of plan fields, as in `update_music_video` (no `status`).

Returns: the video document, as `get_music_video` returns it (a draft: `open_problems` lists what a submit would refuse).

Errors:
- `PT404`: the video id (when given) or the release id (when creating) is malformed, does not exist or is not the caller's.
- `PT409`: the video is not a draft (`status` `not_a_draft`), or the slug is taken (`slug_taken`).
- `PT422`: field problems in `detail.problems` (the codes of `create_music_video`; `too_large`, `too_deep`, `too_many_keys` for wizard_state).$md$),
      ('delete_music_video', $md$Delete a draft video and everything that hangs off it; its moodboard files are removed by a storage_cleanup job.

Endpoint: the card's delete action (spec 1.2 "contextual menu for delete/archive"); past draft, archive it with `update_music_video` instead.

Returns: `{"id": uuid, "release_id": uuid, "deleted": boolean, "storage_cleanup_job_id": uuid | null}`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is past draft (`status` `not_a_draft`; archive it instead).$md$),
      ('get_music_video', $md$One video plan with everything the workspace shows.

Endpoint: GET /music-videos/:id (spec 2.3; ARCHITECTURE.md's endpoint table).

Returns: the video document: the `music_videos` columns plus `theme {id, name}`, `art_style {id, name}`, `budget_band {id, name, min_cost, max_cost, currency_code}`, `chart_source {id, label, provider}`, `line_items [{id, category, amount, notes, actual_amount, variance}]`, `cast_assignments [{id, cast_option_id, name, role, role_override, cost_estimate, cost_multiplier, projected_cost, confirmed, requires_union, notes}]`, `platform_targets [{id, platform, auto_sync, priority, launch_url, external_id}]`, `moodboards [{id, storage_path, caption, created_at}]`, `latest_metrics` (the latest sample per platform), `latest_imports [{id, source, platform, status, error_message, attempts, max_attempts, run_after, started_at, completed_at, created_at}]` (the latest per source), `status_history [{from_status, to_status, changed_by, changed_at}]`, `budget {budget_band_id, band, currency_code, min_cost, max_cost, contingency_pct, hard_limit, allocation_total, cast_cost_total, projected_total}`, `budget_actuals {currency_code, allocation_total, actual_total, variance_total}`, `milestones`, `promo_events`, `warnings`, `availability_conflicts` and `open_problems` (`[{field, code, message, ...}]`, the plan check's verdict).

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.$md$),
      ('list_music_videos', $md$The board of a release: a page of video cards, per-status counts and the draft to resume.

Endpoint: GET /music-videos?release_id (spec 2.3; ARCHITECTURE.md's endpoint table).

Returns: `{"release_id", "items": [{id, title, slug, status, theme {name}, art_style {name}, budget_estimate, budget_band {name, currency_code}, kpi_view_target, kpi_chart_target, kpi_chart_target_label, metrics {views_total, views_by_platform, chart_position, chart_source}, last_sync {status, source, created_at, completed_at} | null, updated_at}], "next_cursor": string | null, "counts": {draft, planned, in_production, post_production, released, archived, total}, "resume_draft": {id, title, slug, wizard_step, wizard_state, updated_at} | null}`; newest first, keyset pages (pass `next_cursor` back unchanged as `cursor`). `status` filters by lane labels (empty: all); `search` matches title or slug.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `page_size` not 1..200, an unknown `status` label, or a `cursor` this endpoint did not return (field named in `detail`).$md$),
      ('music_video_deep_link', $md$What the deep link `/releases/:id/music-video` opens: the release's board, the card to highlight, or the empty state.

Endpoint: deep link `/releases/:id/music-video` (spec 1.1, acceptance criterion 9).

Returns: `{"release_id", "board": <list_music_videos' first page>, "empty": boolean, "highlight": {id, status, reason: "requested" | "most_recent", on_board: boolean} | null, "requested": {id, found: boolean} | null}`; a `music_video_id` of another release or not found falls back to the most recently updated video.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `page_size` not 1..200 (as `list_music_videos`).$md$),
      ('request_music_video_metrics_sync', $md$"Sync Metrics": enqueue the video's import jobs (YouTube, charts) through the one sync rule and return them to poll.

Endpoint: POST /music-videos/:id/metrics/sync (spec 2.3, 3.4; ARCHITECTURE.md's endpoint table).

Returns: `{"music_video_id", "import_ids": [uuid], "imports": [{id, source, status, created: boolean}]}`; `created` is false when a job for that source was already pending (poll `music_video_metric_imports` by id until `succeeded`).

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `PT422`: nothing to sync: no YouTube target with its video id and no chart target or matching key (fields `platform_targets`, `kpi_chart_target` in `detail`). TV figures come from CSV imports instead.$md$),
      ('assign_music_video_cast', $md$Assign a cast option to a video; the plan rules then report availability conflicts.

Endpoint: POST /music-videos/:id/cast (spec 2.3; ARCHITECTURE.md's endpoint table). The spec's `role` is this function's `role_override`.

Returns: the video document (as `get_music_video`) plus `assignment`: the new item of `cast_assignments`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: field problems in `detail.problems`: `cast_option_id` `required` / `unknown`, `cost_estimate` `invalid_type` (not a whole number) / `negative`, `confirmed` `invalid_type` (not true or false), `role_override` / `notes` `too_long` or `invalid_type`; past draft also the plan rules (`cast_unavailable`, `cast_double_booked`, `budget_over_contingency`, ...).
- `PT409`: that cast option is already assigned to the video (`already_assigned`).$md$),
      ('update_music_video_cast_assignment', $md$Confirm, change or remove one cast assignment of a video.

Endpoint: PATCH /music-videos/:id/cast/:assignment_id (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `patch`: `{"confirmed"?: boolean, "cost_estimate"?: integer >= 0 | null, "role_override"?: string (<= 200) | null, "notes"?: string (<= 2000) | null}`; `cast_option_id` may be echoed but not changed.
- `remove`: true deletes the assignment (the patch is then ignored).

Returns: the video document (as `get_music_video`) plus `assignment` (the changed item, null when removed) and, on removal, `removed_assignment_id`.

Errors:
- `PT404`: the video or assignment id is malformed, does not exist, is not the caller's, or the assignment belongs to another video.
- `PT422`: field problems in `detail.problems`: `patch` `invalid_type` (not an object), `remove` `invalid_type`, `cast_option_id` `read_only`, the cast item codes of `assign_music_video_cast`, and past draft the plan rules.$md$),
      ('set_music_video_platform_targets', $md$Replace a video's distribution platforms and, optionally, its sync strategy.

Endpoint: POST /music-videos/:id/platform-targets (spec 2.3; ARCHITECTURE.md's endpoint table).

Input shapes:
- `targets`: the `platform_targets` list of `create_music_video` (`[{platform, auto_sync?, priority?, launch_url?, external_id?}]`), required (an empty list removes every target).
- `sync_strategy`: `manual`, `scheduled` or `webhook`; left out, it stays.

Returns: the video document, as `get_music_video` returns it.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: `targets` `required`, the platform target codes of `create_music_video` (`invalid_choice`, `duplicate`, `invalid_url`, `invalid_youtube_url`, `invalid_format`, `mismatch`, ...), `sync_strategy` `invalid_choice`; past draft also the plan rules (`required`, `youtube_required`).$md$),
      ('music_video_metrics_history', $md$The video's metric samples grouped by platform, newest first, with keyset pagination (the MetricsHistoryDrawer).

Endpoint: GET /music-videos/:id/metrics/history (spec 2.3; ARCHITECTURE.md's endpoint table).

Returns: `{"music_video_id", "groups": [{"platform", "rows": [{id, platform, views_total, likes_total, shares_total, comments_total, favorites_total, chart_position, source, collected_at, synced_at, external_reference, import_batch_id, detail, flags}]}], "count": integer, "next_cursor": string | null}`. `platforms` filters (empty: all); `collected_from` / `collected_to` bound `collected_at` inclusively. Rolled-back rows are left out.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `22023`: `page_size` not 1..500, an unknown platform, `collected_to` before `collected_from`, or a `cursor` this endpoint did not return (field named in `detail`).$md$),
      ('music_video_catalogs', $md$The catalogs the wizard offers, with a version for caching.

Endpoint: GET /music-video-catalogs (spec 2.3; ARCHITECTURE.md's endpoint table). Sends an `ETag` header; a request whose `If-None-Match` matches gets HTTP 304 and no body.

Returns: `{"version": integer, "etag": string, "themes": [{id, name, description, visual_motifs, genre_tags}], "art_styles": [{id, name, color_palette, lighting_profile, camera_techniques, moodboard_url}], "budgets": [{id, name, min_cost, max_cost, default_quality_tier, currency_code}], "quality_tiers": [{id, tier, description, expected_turnaround, crew_size_hint}], "cast_options": [{id, name, role, cost_multiplier, availability, requires_union}], "chart_sources": [{id, label, provider}], "settings": {key: value}}`, or null with status 304.

Errors:
- `42501`: anonymous callers (executable by `authenticated` and `service_role` only); the function raises nothing itself.$md$),
      ('music_video_concept_suggestions', $md$Theme and art style pairings suggested for a release from its genres (the wizard's Concept & Theme step).

Endpoint: the wizard's suggested combinations (spec 1.2 "Provide suggested combinations based on release genre").

Returns: `{"release_id", "genres": [string], "suggestions": [{"theme": {id, name, description, genre_tags}, "art_style": {id, name, color_palette}, "score": integer, "matched_tags": [string]}]}`, best matches first, each theme paired with varying styles.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `max_results` not 1..100 (field `max_results` in `detail`).$md$),
      ('music_video_trends', $md$The MetricsPanel's trends: daily view deltas, 7-day velocity, odd-data flags and the KPI projection.

Endpoint: the MetricsPanel sparklines (spec 4.1 MetricsPanel, 5.1 criterion 6).

Returns: `{"music_video_id", "release_id", "days", "from": date, "to": date, "kpi": {view_target, views_total, latest_at, state, views_remaining, days_to_target, projected_on, ...}, "platforms": [{"platform", "latest": {collected_at, views_total} | null, "velocity": {views_per_day, views_gained, from, to, span_days} | null, "series": {"dates": [], "views_total": [], "delta": [], "gap_days": [], "per_day": []}, "flagged": [{date, flags}], "flagged_days": integer}]}`. `platforms` filters (empty: all); `days` is the window ending today.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` with `days` `out_of_range` (not 1..1095) and/or `platforms` `unknown_platform`.$md$),
      ('mark_music_video_alert_read', $md$Mark one alert of the caller's videos read (or unread again).

Endpoint: alerts (table `music_video_alerts`, read under RLS and realtime; this RPC is its one write).

Returns: the alert row as JSON (`music_video_alerts` columns; `read_at` set or null).

Errors:
- `PT404`: the alert id is malformed, does not exist or is not on the caller's video.
- `22023`: `read` is null (`detail.problems` `read` `required`).$md$),
      ('music_video_chart_history', $md$Weekly chart positions of a video: the summary (peak, current, entry) and one row per week, on or off the chart.

Endpoint: charts in the MetricsPanel (spec 3.2, 5.1 criterion 5).

Returns: `{"music_video_id", "chart": string | null, "first_week", "last_week", "peak_position", "peak_week", "weeks_on_chart", "weeks_off_chart", "entry_kind", "current_position", "since_debut_peak_position", "since_debut_weeks_on_chart", "since_debut_source": "chart" | "stored_history", "weeks": [{week_start, on_chart, chart_position, chart, entry_kind, metric_id, import_batch_id, position_id, feed_peak_rank, feed_previous_rank, feed_weeks_on_chart, feed_consistent}]}`. `chart` narrows to one chart source id; admins may read any video.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins excepted).
- `22023`: `chart` is not a chart source id (`detail.problems` `chart` `unknown_chart`).$md$),
      ('request_music_video_chart_backfill', $md$Enqueue a charts job that fetches the video's past weeks of chart positions.

Endpoint: charts backfill (spec 3.2).

Returns: `{"import_id", "music_video_id", "status", "created": boolean, "backfill_weeks": integer}`; a pending charts job is widened to the longer backfill instead of a second job (`created` false). `weeks` defaults to the `chart_backfill_weeks` setting.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins excepted).
- `22023`: `weeks` not 1..520 (field `weeks` in `detail`).
- `PT409`: a charts job for the video is being processed right now; ask again when it has finished.$md$),
      ('import_broadcast_metrics', $md$Enqueue the import of an uploaded TV/MTV CSV into a video's broadcast metrics.

Endpoint: TV/MTV CSV import (spec 3.3; ImportBroadcastDialog). Upload the file to the `music-video-broadcast-imports` bucket under `<release_id>/` first.

Input shapes:
- `mapping`: `{"air_date": "<CSV header>", "viewers": "<CSV header>" (or "*" in the wide layout), "program"?: "<CSV header>" | null, "layout"?: "long" (default: one row per airing) | "wide" (one column per programme; no program), "day_first"?: boolean (default: the worker's MV_BROADCAST_DAY_FIRST, false), "viewers_scale"?: number > 0 (default 1; 1000000 for figures in millions), "delimiter"?: "," | ";" | "\t" (default: sniffed), "decimal_separator"?: "." | "," (default "," for ";" files, else "."), "ignore"?: ["<CSV header>", ...] (wide layout: columns that are not programmes)}`; other keys are refused. Options the worker refuses fail the job with a message (import status `failed`).

Returns: the import job's id (uuid); poll `music_video_metric_imports` and read failed rows with `music_video_import_errors`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's; or no uploaded file at `object_path` (field `object_path`).
- `22023`: invalid request, fields named in `detail`: `platform` (must be `mtv` or `regional_tv`), `mapping` (not an object, unknown keys), `mapping.air_date` / `mapping.viewers` (name the header), `mapping.program`, `mapping.layout`, `mapping.day_first`, `mapping.viewers_scale`, `object_path` (empty, not a valid path, outside the release folder, not .csv/.tsv/.txt).
- `PT409`: too many live imports (5 broadcast imports per video, 50 per user).$md$),
      ('music_video_import_errors', $md$The failed rows of an import, a page at a time (the actionable errors of spec 5.1 criterion 7).

Endpoint: TV/MTV CSV import's error report (spec 3.3, 5.1 criterion 7).

Returns: `{"import_id", "total": integer, "errors": [{line, column, value, reason}], "next_after_line": integer | null}`; pass `next_after_line` back as `after_line` for the next page.

Errors:
- `PT404`: the import id is malformed, does not exist or is not visible to the caller.
- `22023`: `page_size` not 1..1000 (field `page_size` in `detail`).$md$),
      ('override_music_video_metric', $md$Admin: correct one metric sample by hand, with a reason; the correction sticks against later machine writes.

Endpoint: manual overrides (spec 3.3 "Admin UI to edit metrics entries").

Returns: the metric row as JSON (`music_video_metrics` columns; `detail.manual_override {at, by, reason, fields}`); the previous values go to `music_video_metric_overrides`.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `PT404`: the metric id is malformed, does not exist or was rolled back.
- `22023`: no value given or a negative count (field `values`), `chart_position` below 1, empty `reason` (fields named in `detail`).$md$),
      ('rollback_music_video_import', $md$Admin: roll back a finished import: its metric rows and chart positions are soft-deleted and it is marked failed.

Endpoint: rollback (spec 3.3 "Support rollback by marking import batch status failed and soft-deleting metrics rows").

Returns: `{"import_id", "status": "failed", "previous_status", "rows_deleted": integer, "chart_positions_deleted": integer}`.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `22023`: empty `reason` (field `reason` in `detail`).
- `PT404`: the import id is malformed or does not exist.
- `PT409`: the import has not finished (pending or processing; its status in `detail`).$md$),
      ('reimport_music_video_import', $md$Admin: run a broadcast file again over rolled-back or overridden rows, as a new import job.

Endpoint: admin re-import (spec 3.3 manual overrides and rollback; README's admin row).

Returns: the new import job's id (uuid).

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `22023`: empty `reason` (`detail.problems` `reason` `required`).
- `PT404`: the import id is malformed, does not exist or is not a broadcast import.
- `PT409`: the import has not finished (pending or processing; its status in `detail`).$md$),
      ('request_music_video_export', $md$Enqueue the analytics report of a release (CSV or PDF) as an export job.

Endpoint: analytics reports export (spec 5.1 criterion 8).

Returns: `{"id": job id, "release_id", "format": "csv" | "pdf", "status", "created": boolean}`; an equal pending export is returned instead of a second one (`created` false). When the job has succeeded, sign `metadata.output.object_path` in the private `music-video-exports` bucket.

Errors:
- `22023`: `format` is not csv or pdf (`detail.problems` `format` `required` / `invalid`).
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (a concurrent request); try again.$md$),
      ('request_music_video_shotlist_export', $md$"Export Shotlist": enqueue the video's shot list as a CSV or PDF export job.

Endpoint: Export Shotlist (spec 1.2 action bar, 4.1 ShotlistExportButton).

Returns: `{"id": job id, "release_id", "format", "status", "created": boolean, "kind": "shotlist", "music_video_id"}`; poll the job, then sign `metadata.output.object_path` in the `music-video-exports` bucket.

Errors:
- `22023`: `format` is not csv or pdf (`detail.problems` `format` `required` / `invalid`).
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (a concurrent request); try again.$md$),
      ('add_music_video_milestone', $md$Add a timeline milestone (edit lock, picture lock, delivery, promo or a custom one) to a video.

Endpoint: timeline milestones (spec 1.2 "Timeline section mapping key milestones").

Returns: the milestone row as JSON (`music_video_milestones` columns: id, music_video_id, kind, label, due_date, owner_id, done, done_at, done_by, created_by, created_at, updated_at).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems`: `kind` `required` / `invalid` / `derived_kind` (shoot_start, shoot_end and release are the video's own dates), `due_date` `required`, `label` `required` (custom) / `too_long` (> 200), `owner_id` `invalid` / `unknown_profile`.
- `PT409`: the video already has its edit_lock, picture_lock or delivery milestone (`kind` `taken`; one each).
- `PT422`: past draft, at commit, the timeline breaks a plan rule (`edit_lock_before_shoot_end`, `release_before_edit_lock`).$md$),
      ('update_music_video_milestone', $md$Move a milestone, rename it or change its owner.

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: the milestone row as JSON (`music_video_milestones` columns).

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.
- `22023`: `detail.problems`: `owner_id` `conflicting` (an owner and `clear_owner` together) / `invalid` / `unknown_profile`, `label` `too_long`.
- `PT422`: past draft, at commit, the timeline breaks a plan rule (`edit_lock_before_shoot_end`, `release_before_edit_lock`).$md$),
      ('complete_music_video_milestone', $md$Mark a milestone done (or not done again).

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: the milestone row as JSON (`music_video_milestones` columns; `done_at`, `done_by` set when done).

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.
- `22023`: `done` is null (`detail.problems` `done` `required`).$md$),
      ('remove_music_video_milestone', $md$Remove a milestone from a video's timeline.

Endpoint: timeline milestones (spec 1.2 Timeline).

Returns: `{"id", "music_video_id", "removed": true}`.

Errors:
- `PT404`: the milestone id is malformed, does not exist or is not on the caller's video.$md$),
      ('schedule_music_video_promo', $md$"Schedule Promo": add a promo event (premiere, teaser, TV spot, social push, interview) on a platform at a local time.

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the promo event row as JSON (`music_video_promo_events` columns: id, music_video_id, platform, kind, starts_at, time_zone, notes, link, cancelled_at, cancelled_by, created_by, created_at, updated_at).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems`: `platform` `required` / `invalid`, `kind` `required` / `invalid`, `starts_at` `required`, `time_zone` `required` / `unknown_time_zone` (an IANA name such as Europe/Paris), `link` `invalid_url` (http(s), <= 2048), `notes` `too_long` (> 2000).
- `PT422`: an event other than a teaser or premiere before the video's release date (`starts_at` `before_release`); past draft, at commit, the plan rule `promo_before_release`.$md$),
      ('move_music_video_promo', $md$Move a promo event to another time (and optionally another time zone).

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the promo event row as JSON (`music_video_promo_events` columns).

Errors:
- `PT404`: the event id is malformed, does not exist or is not on the caller's video.
- `PT409`: the event was cancelled; schedule a new one.
- `22023`: `detail.problems`: `starts_at` `required`, `time_zone` `unknown_time_zone`.
- `PT422`: the move puts an event other than a teaser or premiere before the release date (`starts_at` `before_release`); past draft, at commit, `promo_before_release`.$md$),
      ('cancel_music_video_promo', $md$Cancel a promo event (kept on the timeline as cancelled).

Endpoint: Schedule Promo (spec 1.2 action bar).

Returns: the promo event row as JSON (`music_video_promo_events` columns; `cancelled_at`, `cancelled_by` set).

Errors:
- `PT404`: the event id is malformed, does not exist or is not on the caller's video.
- `PT409`: the event is already cancelled.$md$),
      ('music_video_release_timeline', $md$The release's Timeline component: each video once with its stored and derived milestones and promo events in date order.

Endpoint: Timeline component (spec 1.2 "Timeline section ... reused from tour planner").

Returns: `{"release_id", "as_of": date, "videos": [{id, title, status, items: [{date, kind, source: "video" | "milestone" | "promo", id?, label?, owner_id?, done?, done_at?, starts_at?, time_zone?, platform?, overdue}]}], "counts": {items, overdue}}`; null fields are left out. `as_of` (default today, UTC) decides what is overdue.

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.$md$),
      ('set_music_video_budget_actuals', $md$Record what was actually spent per budget category; the variance shows in `get_music_video`, the variance view and the export.

Endpoint: budget actuals (spec 1.2 "variance against budget band"; 5.1 criterion 8).

Input shapes:
- `actuals`: `{"direction"?: integer >= 0, "cinematography"?: integer >= 0, "post"?: integer >= 0, "marketing"?: integer >= 0}` (whole numbers up to 2147483647); a category without a line item gets one with amount 0.

Returns: the video document, as `get_music_video` returns it (`line_items[].actual_amount`, `variance`; `budget_actuals`).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems`: `actuals` `invalid_type` (not an object), `actuals.<key>` `unknown_category` / `invalid_type` / `negative`.
- `PT409`: the video is archived (`actual_amount` `archived`).$md$),
      ('get_music_video_shots', $md$The video's shot list (the planning workspace).

Endpoint: shot list of the planning workspace (spec 1.2 "Export Shotlist"; README's shot list row).

Returns: `{"music_video_id", "title", "shot_count", "total_duration_seconds", "shots": [{id, shot_number, scene, description, shot_size, angle, movement, lens, location, duration_seconds, status, cast: [{assignment_id, name, role}], updated_at}]}`, in shot_number order (1..n).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.$md$),
      ('add_music_video_shot', $md$Add a shot to the video's shot list, at the end or at a given number (later shots move down).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `cast_assignment_ids`: `["<cast assignment id of this video>", ...]`, at most 50, each once; null for none.

Returns: the whole shot list, as `get_music_video_shots`, plus `shot`: the new shot.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: `detail.problems`: `description` `required`, `scene` / `description` / `angle` / `movement` / `lens` / `location` `too_long` (120 / 2000 / 60 / 60 / 40 / 200 characters) or `invalid_type`, `shot_size` / `status` `invalid`, `duration_seconds` `out_of_range` (1..3600), `shot_number` `out_of_range` (1..count + 1), `cast_assignment_ids` `invalid_type` / `too_many` / `duplicate` / `unknown_cast_assignment`.
- `PT409`: the video already has 1,000 shots (`too_many_shots`).$md$),
      ('update_music_video_shot', $md$Change fields of one shot, or move it to another number (the shots between shift).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `patch`: `{"scene"?, "description"?, "shot_size"?: "ECU" | "CU" | "MCU" | "MS" | "WS" | "EWS" | null, "angle"?, "movement"?, "lens"?, "location"?, "duration_seconds"?: integer 1..3600 | null, "status"?: "planned" | "shot" | "cut", "shot_number"?: integer 1..count, "cast_assignment_ids"?: [uuid] | null}`; text fields as in `add_music_video_shot`.

Returns: the whole shot list, as `get_music_video_shots`, plus `shot`: the changed shot.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.
- `PT422`: `detail.problems`: `patch` `invalid_type` (not an object), `unknown_field`, and the field codes of `add_music_video_shot`.$md$),
      ('reorder_music_video_shots', $md$Put the whole shot list in a new order (shot numbers become 1..n in the order given).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `shot_ids`: `["<shot id>", ...]`: every shot of the video exactly once, in the new order.

Returns: the whole shot list, as `get_music_video_shots`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT422`: `shot_ids` `invalid_type` (not a list of ids) or `duplicate`.
- `PT409`: the list changed since it was loaded: ids left out or not on the video (`stale_order`, with `missing` and `unknown` counts).$md$),
      ('remove_music_video_shot', $md$Remove one shot; the later shots move up so the numbers stay 1..n.

Endpoint: shot list of the planning workspace (README's shot list row).

Returns: the whole shot list, as `get_music_video_shots`, plus `removed_shot_id`.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.$md$)
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
