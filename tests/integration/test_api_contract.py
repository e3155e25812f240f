"""Conventions every RPC of the API keeps (ARCHITECTURE.md), checked across all of them at once.

- Parameters have plain names (``supabase.rpc(name, {music_video_id: ...})``), never ``p_``.
- ``anon`` can execute nothing; every function pins its search_path.
- A malformed or unknown id answers PT404, exactly like an id that is not yours.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from workers.db import call_rpc, jwt_claims, postgrest_request


def _public_functions(conn) -> list[dict]:
    return conn.execute(
        "select p.oid, p.proname, p.proargnames, p.proconfig from pg_proc as p"
        " join pg_namespace as n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.prokind = 'f'"
        " and not exists (select 1 from pg_depend as d where d.objid = p.oid and d.deptype = 'e')").fetchall()


def test_rpc_parameters_have_plain_names(conn):
    funcs = _public_functions(conn)
    assert len(funcs) >= 19
    prefixed = {f["proname"]: [a for a in (f["proargnames"] or []) if a.startswith("p_")] for f in funcs}
    assert {k: v for k, v in prefixed.items() if v} == {}


def test_anon_can_execute_no_rpc_and_every_rpc_pins_search_path(conn):
    funcs = _public_functions(conn)
    executable = [f["proname"] for f in funcs
                  if conn.execute("select has_function_privilege('anon', %s, 'execute')", (f["oid"],)).fetchone()[
                      "has_function_privilege"]]
    assert executable == []
    assert [f["proname"] for f in funcs if not any(c.startswith("search_path=") for c in f["proconfig"] or [])] == []


BAD_IDS = ["not-a-uuid", str(uuid.uuid4())]

CALLS = {
    "get_music_video": lambda i: {"id": i},
    "create_music_video": lambda i: {"release_id": i, "title": "x", "video_theme_id": None, "art_style_id": None,
                                     "budget_band_id": None, "quality_tier": None, "target_release_date": None,
                                     "platform_targets": None},
    "save_music_video_draft": lambda i: {"id": i, "patch": {"title": "x"}},
    "update_music_video_cast_assignment": lambda i: {"music_video_id": i, "assignment_id": i, "patch": {}},
    "update_music_video": lambda i: {"id": i, "patch": {"title": "x"}},
    "submit_music_video": lambda i: {"id": i},
    "request_music_video_metrics_sync": lambda i: {"id": i},
    "music_video_metrics_history": lambda i: {"id": i},
    "music_video_trends": lambda i: {"id": i},
    "mark_music_video_alert_read": lambda i: {"id": i},
    "music_video_chart_history": lambda i: {"music_video_id": i},
    "request_music_video_chart_backfill": lambda i: {"music_video_id": i},
    "set_music_video_platform_targets": lambda i: {"music_video_id": i, "targets": []},
    "assign_music_video_cast": lambda i: {"music_video_id": i, "cast_option_id": str(uuid.uuid4())},
    "import_broadcast_metrics": lambda i: {"music_video_id": i, "platform": "mtv", "object_path": "a/b.csv",
                                           "mapping": {"air_date": "d", "viewers": "v"}},
    "music_video_import_errors": lambda i: {"import_id": i},
    "list_music_videos": lambda i: {"release_id": i},
    "music_video_concept_suggestions": lambda i: {"release_id": i},
    "add_music_video_milestone": lambda i: {"music_video_id": i, "kind": "delivery", "due_date": "2027-01-01"},
    "update_music_video_milestone": lambda i: {"id": i, "due_date": "2027-01-01"},
    "complete_music_video_milestone": lambda i: {"id": i},
    "remove_music_video_milestone": lambda i: {"id": i},
    "schedule_music_video_promo": lambda i: {"music_video_id": i, "platform": "youtube", "kind": "teaser",
                                             "starts_at": "2027-01-01T00:00:00Z", "time_zone": "UTC"},
    "move_music_video_promo": lambda i: {"id": i, "starts_at": "2027-01-01T00:00:00Z"},
    "cancel_music_video_promo": lambda i: {"id": i},
    "music_video_release_timeline": lambda i: {"release_id": i},
    "set_music_video_budget_actuals": lambda i: {"music_video_id": i, "actuals": {"post": 1}},
    "delete_music_video": lambda i: {"id": i},
    "music_video_deep_link": lambda i: {"release_id": i},
    "get_music_video_shots": lambda i: {"music_video_id": i},
    "add_music_video_shot": lambda i: {"music_video_id": i, "description": "x"},
    "update_music_video_shot": lambda i: {"music_video_id": i, "shot_id": i, "patch": {}},
    "reorder_music_video_shots": lambda i: {"music_video_id": i, "shot_ids": []},
    "remove_music_video_shot": lambda i: {"music_video_id": i, "shot_id": i},
    "request_music_video_shotlist_export": lambda i: {"music_video_id": i, "format": "pdf"},
}


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=["malformed", "unknown"])
@pytest.mark.parametrize("rpc", sorted(CALLS))
def test_a_bad_id_is_a_404_for_a_signed_in_user(conn, factory, rpc, bad_id):
    user = factory.user()
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, user.claims()):
        call_rpc(conn, rpc, CALLS[rpc](bad_id))
    assert err.value.sqlstate == "PT404", (rpc, err.value.sqlstate, str(err.value))


@pytest.mark.parametrize("rpc", ["rollback_music_video_import", "reimport_music_video_import",
                                 "override_music_video_metric"])
def test_admin_rpcs_answer_an_unknown_id_with_404_for_admins_and_403_for_others(conn, factory, rpc):
    params = ({"metric_id": "nope", "views_total": 1, "reason": "r"} if rpc == "override_music_video_metric"
              else {"import_id": "nope", "reason": "r"})
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, factory.user(admin=True).claims()):
        call_rpc(conn, rpc, params)
    assert err.value.sqlstate == "PT404", str(err.value)
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, factory.user().claims()):
        call_rpc(conn, rpc, params)
    assert err.value.sqlstate == "PT403", str(err.value)


def test_anon_is_refused_before_anything_else(conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")):
        call_rpc(conn, "get_music_video", {"id": str(uuid.uuid4())})
