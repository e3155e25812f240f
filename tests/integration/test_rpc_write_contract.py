"""The write RPCs' contract (issue 12, section 1), as PostgREST and generated clients see it.

- Each parameter has its real type (pg_proc), ids stay text (a malformed or foreign id is PT404),
  and only the truly optional parameters have a default (the others are required in the types
  the Supabase CLI generates); no function is overloaded.
- JSON numbers and booleans are accepted as such; a value of the wrong type is PostgREST's cast
  error from its conversion of the body, before the function runs.
- Every validation error of every write RPC has one shape: a stable SQLSTATE, a human message and
  ``detail = {"problems": [{"field", "code", "message"}]}``.
- Who may call is unchanged: anon is refused, a stranger gets PT404, admins and the service role
  keep their rights.
"""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.plan_rpc import (
    ANON,
    NO_SUCH_FUNCTION,
    SERVICE,
    RpcError,
    cast_id,
    is_cast_error,
    rpc,
    rpc_error,
    valid_plan,
)
from workers.db import rpc_signature

T, R = "text", True  # an id or free text; required

# name -> [(parameter, type, required)], in declaration order
SIGNATURES = {
    "create_music_video": [
        ("release_id", T, R), ("title", T, R), ("video_theme_id", T, R), ("art_style_id", T, R),
        ("budget_band_id", T, R), ("quality_tier", "quality_tier_enum", R), ("target_release_date", "date", R),
        ("platform_targets", "jsonb", R), ("slug", T, False), ("narrative_outline", T, False),
        ("budget_estimate", "integer", False), ("shoot_start_date", "date", False),
        ("shoot_end_date", "date", False), ("kpi_view_target", "integer", False), ("kpi_chart_target", T, False),
        ("primary_platform", "platform_enum", False), ("sync_strategy", "sync_strategy_enum", False),
        ("promo_only", "boolean", False), ("isrc", T, False), ("spotify_track_uri", T, False),
        ("apple_music_id", T, False), ("artist_name", T, False), ("line_items", "jsonb", False),
        ("cast_assignments", "jsonb", False)],
    "update_music_video": [("id", T, R), ("patch", "jsonb", R)],
    "save_music_video_draft": [("id", T, False), ("release_id", T, False), ("wizard_step", T, False),
                               ("wizard_state", "jsonb", False), ("patch", "jsonb", False)],
    "submit_music_video": [("id", T, R)],
    "delete_music_video": [("id", T, R)],
    "assign_music_video_cast": [("music_video_id", T, R), ("cast_option_id", T, R), ("role", T, False),
                                ("cost_estimate", "integer", False), ("confirmed", "boolean", False),
                                ("notes", T, False)],
    "update_music_video_cast_assignment": [("music_video_id", T, R), ("assignment_id", T, R),
                                           ("patch", "jsonb", False), ("remove", "boolean", False)],
    "set_music_video_platform_targets": [("music_video_id", T, R), ("targets", "jsonb", R),
                                         ("sync_strategy", "sync_strategy_enum", False)],
    "request_music_video_metrics_sync": [("id", T, R)],
    "import_broadcast_metrics": [("music_video_id", T, R), ("platform", "platform_enum", R),
                                 ("object_path", T, R), ("mapping", "jsonb", R)],
    "request_music_video_export": [("release_id", T, R), ("format", "export_format_enum", R)],
    "request_music_video_shotlist_export": [("music_video_id", T, R), ("format", "export_format_enum", R)],
    "request_music_video_chart_backfill": [("music_video_id", T, R), ("weeks", "integer", False)],
    "override_music_video_metric": [
        ("metric_id", T, R), ("reason", T, R), ("views_total", "bigint", False), ("likes_total", "bigint", False),
        ("shares_total", "bigint", False), ("comments_total", "bigint", False),
        ("favorites_total", "bigint", False), ("chart_position", "integer", False)],
    "rollback_music_video_import": [("import_id", T, R), ("reason", T, R)],
    "reimport_music_video_import": [("import_id", T, R), ("reason", T, R)],
    "mark_music_video_alert_read": [("id", T, R), ("read", "boolean", False)],
}
# The planning workspace's writes (their errors are tested in test_planning_workspace.py and
# test_shots.py; the signatures here, 20261202020000 and 20261202020400).
WORKSPACE_SIGNATURES = {
    "set_music_video_budget_actuals": [("music_video_id", T, R), ("actuals", "jsonb", R)],
    "add_music_video_milestone": [("music_video_id", T, R), ("kind", "music_video_milestone_kind", R),
                                  ("due_date", "date", R), ("label", T, False), ("owner_id", T, False)],
    "update_music_video_milestone": [("id", T, R), ("due_date", "date", False), ("label", T, False),
                                     ("owner_id", T, False), ("clear_owner", "boolean", False)],
    "complete_music_video_milestone": [("id", T, R), ("done", "boolean", False)],
    "remove_music_video_milestone": [("id", T, R)],
    "schedule_music_video_promo": [("music_video_id", T, R), ("platform", "platform_enum", R),
                                   ("kind", "music_video_promo_kind", R), ("starts_at", "timestamp with time zone", R),
                                   ("time_zone", T, R), ("notes", T, False), ("link", T, False)],
    "move_music_video_promo": [("id", T, R), ("starts_at", "timestamp with time zone", R), ("time_zone", T, False)],
    "cancel_music_video_promo": [("id", T, R)],
    "add_music_video_shot": [
        ("music_video_id", T, R), ("description", T, R), ("scene", T, False), ("shot_size", "shot_size_enum", False),
        ("angle", T, False), ("movement", T, False), ("lens", T, False), ("location", T, False),
        ("cast_assignment_ids", "jsonb", False), ("duration_seconds", "integer", False),
        ("status", "shot_status_enum", False), ("shot_number", "integer", False)],
    "update_music_video_shot": [("music_video_id", T, R), ("shot_id", T, R), ("patch", "jsonb", R)],
    "reorder_music_video_shots": [("music_video_id", T, R), ("shot_ids", "jsonb", R)],
    "remove_music_video_shot": [("music_video_id", T, R), ("shot_id", T, R)],
}
ALL_SIGNATURES = SIGNATURES | WORKSPACE_SIGNATURES

# What each write returns (pg_get_function_result): a table's row or a composite type wherever
# the answer has a declared shape; jsonb only where the document is essential (see the comments).
PANEL = "music_video_panel"
RETURNS = {
    "create_music_video": PANEL, "update_music_video": PANEL, "save_music_video_draft": PANEL,
    "submit_music_video": PANEL, "set_music_video_platform_targets": PANEL, "set_music_video_budget_actuals": PANEL,
    "add_music_video_milestone": "music_video_milestones", "update_music_video_milestone": "music_video_milestones",
    "complete_music_video_milestone": "music_video_milestones",
    "remove_music_video_milestone": "music_video_milestones",
    "schedule_music_video_promo": "music_video_promo_events", "move_music_video_promo": "music_video_promo_events",
    "cancel_music_video_promo": "music_video_promo_events",
    "add_music_video_shot": "music_video_shot_list", "update_music_video_shot": "music_video_shot_list",
    "reorder_music_video_shots": "music_video_shot_list", "remove_music_video_shot": "music_video_shot_list",
    "delete_music_video": "music_video_deletion", "request_music_video_metrics_sync": "music_video_sync_request",
    "request_music_video_export": "music_video_export_request",
    "request_music_video_shotlist_export": "music_video_export_request",
    "request_music_video_chart_backfill": "music_video_chart_backfill_request",
    "rollback_music_video_import": "music_video_import_rollback", "override_music_video_metric": "music_video_metrics",
    "mark_music_video_alert_read": "music_video_alerts",
}
# The writes that still answer a jsonb document, and why (see their comments): the plan document
# plus the cast item written, which no declared row type carries.
DOCUMENT_WRITES = {"assign_music_video_cast", "update_music_video_cast_assignment"}


def test_every_rpc_is_typed_or_a_named_document(conn):
    json_writes = {r["proname"] for r in conn.execute(
        "select p.proname from pg_proc as p where p.pronamespace = 'public'::regnamespace"
        " and p.prorettype in ('json'::regtype, 'jsonb'::regtype)").fetchall()}
    assert json_writes == DOCUMENT_WRITES


@pytest.mark.parametrize("name", sorted(RETURNS))
def test_typed_writes_return_their_row_type(conn, name):
    got = conn.execute("select pg_get_function_result(%s::regproc) as r", (f"public.{name}",)).fetchone()["r"]
    assert got == RETURNS[name]


@pytest.mark.parametrize("name", sorted(ALL_SIGNATURES))
def test_each_write_rpc_declares_real_types_and_only_optional_defaults(conn, name):
    sig = rpc_signature(conn, name)  # raises on an overload: PostgREST cannot choose between them
    assert sig is not None
    declared = [(n, t, n in sig.required) for n, t in zip(sig.names, sig.types, strict=True)]
    assert declared == ALL_SIGNATURES[name]
    acl = conn.execute("select has_function_privilege('anon', p.oid, 'execute') as anon,"
                       " has_function_privilege('authenticated', p.oid, 'execute') as authenticated,"
                       " has_function_privilege('service_role', p.oid, 'execute') as service_role,"
                       " p.prosecdef, p.proconfig from pg_proc as p where p.oid = %s::regproc", (f"public.{name}",)
                       ).fetchone()
    assert (acl["anon"], acl["authenticated"], acl["service_role"], acl["prosecdef"]) == (False, True, True, False)
    assert 'search_path=""' in acl["proconfig"]


def test_no_write_rpc_keeps_a_text_parameter_for_a_number_boolean_or_date(conn):
    """The text parameters left are ids (a bad one is a 404) and free text."""
    text_params = set()
    for name in ALL_SIGNATURES:
        sig = rpc_signature(conn, name)
        text_params |= {n for n, t in zip(sig.names, sig.types, strict=True) if t == "text"}
    free_text = {"title", "slug", "narrative_outline", "notes", "reason", "object_path", "role", "wizard_step",
                 "isrc", "spotify_track_uri", "artist_name", "kpi_chart_target", "label", "time_zone", "link",
                 "description", "scene", "angle", "movement", "lens", "location"}
    assert {n for n in text_params if not (n == "id" or n.endswith("_id"))} == free_text


# --- the one error shape --------------------------------------------------------------------------

@pytest.fixture
def world(conn, factory, owner, release):
    """The owner's planned video (with a cast assignment), a draft, a metric and an unfinished import."""
    video = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))
    doc = rpc(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"],
              cast_option_id=cast_id(conn, "Sam Okafor"))
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=str(release))
    metric = conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at,"
                          " views_total) values (%s, 'youtube', now(), 10) returning id", (video["id"],)
                          ).fetchone()["id"]
    pending = conn.execute("insert into public.music_video_metric_imports (music_video_id, platform, source)"
                           " values (%s, 'mtv', 'broadcast') returning id", (video["id"],)).fetchone()["id"]
    conn.execute("select private.raise_music_video_alert(%s, 'chart_entry', 'contract-test', 'On the chart',"
                 " '{}'::jsonb, now())", (video["id"],))
    alert = conn.execute("select id from public.music_video_alerts where dedupe_key = 'contract-test'").fetchone()["id"]
    return {"video": video["id"], "assignment": doc["assignment"]["id"], "draft": draft["id"], "metric": str(metric),
            "pending": str(pending), "alert": str(alert), "release": str(release),
            "admin": factory.user(admin=True)}


# (rpc, as admin?, parameters (w: the world), SQLSTATE, [(field, code)])
VALIDATION = [
    ("create_music_video", False, lambda conn, w: valid_plan(conn, w["release"], title=None, line_items=[{"x": 1}]),
     "PT422", [("line_items[0].x", "unknown_field"), ("line_items[0].category", "required"),
               ("line_items[0].amount", "required"), ("title", "required")]),
    ("update_music_video", False, lambda conn, w: {"id": w["video"], "patch": {"colour": "red"}},
     "PT422", [("colour", "unknown_field")]),
    ("save_music_video_draft", False, lambda conn, w: {"id": w["draft"], "patch": {"kpi_view_target": "lots"}},
     "PT422", [("kpi_view_target", "invalid_type")]),
    ("submit_music_video", False, lambda conn, w: {"id": w["video"]}, "PT409", [("status", "not_a_draft")]),
    ("delete_music_video", False, lambda conn, w: {"id": w["video"]}, "PT409", [("status", "not_a_draft")]),
    ("assign_music_video_cast", False,
     lambda conn, w: {"music_video_id": w["video"], "cast_option_id": cast_id(conn, "Maya Chen"), "cost_estimate": -1},
     "PT422", [("cost_estimate", "negative")]),
    ("update_music_video_cast_assignment", False,
     lambda conn, w: {"music_video_id": w["video"], "assignment_id": w["assignment"], "patch": {"confirmed": 3}},
     "PT422", [("confirmed", "invalid_type")]),
    ("set_music_video_platform_targets", False, lambda conn, w: {"music_video_id": w["video"], "targets": None},
     "PT422", [("platform_targets", "required")]),
    ("request_music_video_metrics_sync", False, lambda conn, w: {"id": w["draft"]},
     "PT422", [("platform_targets", "nothing_to_sync"), ("kpi_chart_target", "nothing_to_sync")]),
    ("import_broadcast_metrics", False,
     lambda conn, w: {"music_video_id": w["video"], "platform": "youtube", "object_path": "../x.csv", "mapping": {}},
     "22023", [("platform", "invalid_choice"), ("mapping.air_date", "required"), ("mapping.viewers", "required"),
               ("object_path", "invalid_format")]),
    ("request_music_video_export", False, lambda conn, w: {"release_id": w["release"], "format": None},
     "22023", [("format", "required")]),
    ("request_music_video_shotlist_export", False, lambda conn, w: {"music_video_id": w["video"], "format": None},
     "22023", [("format", "required")]),
    ("request_music_video_chart_backfill", False, lambda conn, w: {"music_video_id": w["video"], "weeks": 600},
     "22023", [("weeks", "out_of_range")]),
    ("override_music_video_metric", True, lambda conn, w: {"metric_id": w["metric"], "reason": "r"},
     "22023", [("values", "required")]),
    ("rollback_music_video_import", True, lambda conn, w: {"import_id": w["pending"], "reason": "r"},
     "PT409", [("import_id", "not_finished")]),
    ("reimport_music_video_import", True, lambda conn, w: {"import_id": w["pending"], "reason": None},
     "22023", [("reason", "required")]),
    ("mark_music_video_alert_read", False, lambda conn, w: {"id": w["alert"], "read": None},
     "22023", [("read", "required")]),
]


def test_every_write_rpc_is_covered_by_the_error_shape_cases():
    assert {case[0] for case in VALIDATION} == set(SIGNATURES)


@pytest.mark.parametrize("case", VALIDATION, ids=[c[0] for c in VALIDATION])
def test_validation_errors_have_the_one_shape(conn, owner, world, case):
    name, as_admin, params, sqlstate, problems = case
    claims = (world["admin"] if as_admin else owner).claims()
    err = rpc_error(conn, claims, name, **params(conn, world))
    assert err.sqlstate == sqlstate, err
    assert err.message and not err.message.startswith("{")
    assert isinstance(err.detail, dict) and list(err.detail) == ["problems"], err.detail
    assert sorted(err.codes()) == sorted(problems)
    for p in err.problems:
        assert isinstance(p["field"], str) and isinstance(p["code"], str)
        assert isinstance(p["message"], str) and p["message"]


# --- JSON types in, cast errors for the wrong ones ------------------------------------------------

def test_json_numbers_and_booleans_are_accepted_where_declared(conn, owner, world):
    doc = rpc(conn, owner.claims(), "assign_music_video_cast", music_video_id=world["video"],
              cast_option_id=cast_id(conn, "Maya Chen"), cost_estimate=12000, confirmed=True, role="co-director")
    assert (doc["assignment"]["cost_estimate"], doc["assignment"]["confirmed"]) == (12000, True)
    assert doc["assignment"]["role_override"] == "co-director"
    body = rpc(conn, owner.claims(), "request_music_video_chart_backfill", music_video_id=world["video"], weeks=12)
    assert body["backfill_weeks"] == 12
    body = rpc(conn, owner.claims(), "mark_music_video_alert_read", id=world["alert"], read=False)
    assert body["read_at"] is None
    body = rpc(conn, world["admin"].claims(), "override_music_video_metric", metric_id=world["metric"],
               views_total=12, reason="recount")
    assert body["views_total"] == 12


@pytest.mark.parametrize("name, params", [
    ("request_music_video_chart_backfill", {"weeks": "a year"}),
    ("mark_music_video_alert_read", {"read": "perhaps"}),
    ("set_music_video_platform_targets", {"targets": [], "sync_strategy": "hourly"}),
    ("update_music_video_cast_assignment", {"remove": "perhaps"}),
    ("request_music_video_shotlist_export", {"format": "docx"}),
])
def test_a_wrong_typed_value_is_a_cast_error_before_the_function(conn, owner, world, name, params):
    ids = {"music_video_id": world["video"], "id": world["alert"], "assignment_id": world["assignment"]}
    sig = rpc_signature(conn, name)
    err = rpc_error(conn, owner.claims(), name, **{k: v for k, v in ids.items() if k in sig.names}, **params)
    assert is_cast_error(err.sqlstate), err


@pytest.mark.parametrize("name", sorted(n for n, params in ALL_SIGNATURES.items() if any(r for *_, r in params)))
def test_leaving_out_a_required_parameter_is_function_not_found(conn, owner, name):
    required = [n for n, _, r in ALL_SIGNATURES[name] if r]
    body = {n: None for n in required[1:]}  # the first one left out
    err = rpc_error(conn, owner.claims(), name, **body)
    assert err.sqlstate == NO_SUCH_FUNCTION and required[0] not in err.message.split("(", 1)[1]


# --- who may call: unchanged ----------------------------------------------------------------------

VIDEO_CALLS = {
    "update_music_video": lambda w: {"id": w["video"], "patch": {"narrative_outline": "x"}},
    "save_music_video_draft": lambda w: {"id": w["draft"], "patch": {"title": "x"}},
    "submit_music_video": lambda w: {"id": w["draft"]},
    "delete_music_video": lambda w: {"id": w["draft"]},
    "assign_music_video_cast": lambda w: {"music_video_id": w["video"], "cast_option_id": w["maya"]},
    "update_music_video_cast_assignment": lambda w: {"music_video_id": w["video"], "assignment_id": w["assignment"],
                                                     "patch": {"notes": "x"}},
    "set_music_video_platform_targets": lambda w: {"music_video_id": w["video"], "targets": [
        {"platform": "youtube", "launch_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}]},
    "request_music_video_metrics_sync": lambda w: {"id": w["video"]},
    "request_music_video_export": lambda w: {"release_id": w["release"], "format": "csv"},
    "request_music_video_shotlist_export": lambda w: {"music_video_id": w["video"], "format": "pdf"},
    "request_music_video_chart_backfill": lambda w: {"music_video_id": w["video"]},
    "mark_music_video_alert_read": lambda w: {"id": w["alert"]},
}


@pytest.mark.parametrize("name", sorted(VIDEO_CALLS))
def test_a_stranger_gets_404_anon_is_refused_and_the_owner_and_service_role_succeed(conn, factory, owner, world,
                                                                                    name):
    params = VIDEO_CALLS[name]({**world, "maya": cast_id(conn, "Maya Chen")})
    assert rpc_error(conn, factory.user().claims(), name, **params).sqlstate == "PT404"
    assert rpc_error(conn, ANON, name, **params).sqlstate == "42501"
    for claims in (owner.claims(), SERVICE):
        # each in a transaction rolled back, so the owner's call leaves the service role the same world
        with conn.transaction(force_rollback=True):
            try:
                assert rpc(conn, claims, name, **params) is not None
            except RpcError as err:  # a rule of the plan may refuse it, access may not
                assert err.sqlstate not in ("PT404", "PT403", "42501"), (claims["role"], err)


@pytest.mark.parametrize("name, params", [
    ("override_music_video_metric", lambda w: {"metric_id": w["metric"], "views_total": 11, "reason": "r"}),
    ("rollback_music_video_import", lambda w: {"import_id": w["finished"], "reason": "r"}),
    ("reimport_music_video_import", lambda w: {"import_id": w["finished"], "reason": "r"}),
])
def test_admin_rpcs_refuse_owners_and_serve_admins_and_the_service_role(conn, owner, world, name, params):
    finished = conn.execute("update public.music_video_metric_imports set status = 'succeeded'"
                            " where id = %s returning id", (world["pending"],)).fetchone()["id"]
    args = params({**world, "finished": str(finished)})
    assert rpc_error(conn, owner.claims(), name, **args).sqlstate == "PT403"
    assert rpc_error(conn, ANON, name, **args).sqlstate == "42501"
    for claims in (world["admin"].claims(), SERVICE):
        with conn.transaction(force_rollback=True):
            try:
                assert rpc(conn, claims, name, **args) is not None
            except RpcError as err:  # the bare test import names no file to run again; access is granted
                assert (name, err.sqlstate) == ("reimport_music_video_import", "22023"), (claims["role"], err)
    # an unknown or malformed id is still a 404 for an admin
    key = next(iter(args))
    for bad in ("nope", str(uuid.uuid4())):
        assert rpc_error(conn, world["admin"].claims(), name, **{**args, key: bad}).sqlstate == "PT404"
