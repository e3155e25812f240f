"""The planning workspace, complete (sections 1, 2, 4, 5): milestones and the release timeline,
promo events, budget actuals, deleting a draft (its files through a storage_cleanup job) and
the deep link. Every RPC as the owner, another user, anon and the service role; the rules also
on direct table writes (PostgREST exposes the tables). Dates are fixed or passed as ``as_of``.
"""

from __future__ import annotations

import csv
import io

import psycopg
import pytest

from tests.helpers.plan_rpc import ANON, NO_SUCH_FUNCTION, SERVICE, RpcError, future, rpc, rpc_error, valid_plan
from tests.helpers.reads import panel, read, return_type
from tests.helpers.worker import run_worker, settings_for
from workers.db import postgrest_request
from workers.reports.analytics import build_report, write_report_csv
from workers.storage import LocalStorage

MOODBOARDS = "music-video-moodboards"


def planned_video(conn, owner, release, **overrides):
    doc = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release, **overrides))
    return doc["id"]


def table_write(conn, claims, query, *args):
    """A direct table write through PostgREST (one transaction, committed at the end)."""
    try:
        with postgrest_request(conn, claims) as c:
            cur = c.execute(query, args)
            return cur.fetchall() if cur.description else cur.rowcount
    except psycopg.Error as exc:
        return exc


# ----------------------------------------------------------------------------- milestones


def test_milestone_rpcs_by_caller_and_server_set_columns(conn, factory, owner, release):
    other = factory.user()
    vid = str(factory.video(release, "Draft", slug="draft"))
    m = rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="picture_lock",
            due_date="2027-02-01", owner_id=str(owner.id))
    assert (m["kind"], m["due_date"], m["owner_id"], m["done"], m["done_by"]) == \
        ("picture_lock", "2027-02-01", str(owner.id), False, None)
    assert m["created_by"] == str(owner.id)

    done = rpc(conn, owner.claims(), "complete_music_video_milestone", id=m["id"])
    assert done["done"] is True and done["done_by"] == str(owner.id) and done["done_at"] is not None
    reopened = rpc(conn, owner.claims(), "complete_music_video_milestone", id=m["id"], done=False)
    assert (reopened["done"], reopened["done_at"], reopened["done_by"]) == (False, None, None)
    moved = rpc(conn, owner.claims(), "update_music_video_milestone", id=m["id"], due_date="2027-02-03",
                clear_owner=True)
    assert (moved["due_date"], moved["owner_id"]) == ("2027-02-03", None)

    # another user: every milestone RPC answers PT404, as for a missing id
    for name, params in [("add_music_video_milestone", {"music_video_id": vid, "kind": "delivery",
                                                        "due_date": "2027-03-01"}),
                         ("update_music_video_milestone", {"id": m["id"], "due_date": "2027-01-01"}),
                         ("complete_music_video_milestone", {"id": m["id"]}),
                         ("remove_music_video_milestone", {"id": m["id"]})]:
        assert rpc_error(conn, other.claims(), name, **params).sqlstate == "PT404", name
        assert rpc_error(conn, ANON, name, **params).sqlstate == "42501", name
    # the service role may act on any video
    svc = rpc(conn, SERVICE, "add_music_video_milestone", music_video_id=vid, kind="custom", label="Color grade",
              due_date="2027-02-10")
    assert svc["label"] == "Color grade" and svc["created_by"] is None

    # a direct insert cannot forge who ticked it or who created it
    forged = table_write(
        conn, owner.claims(),
        "insert into public.music_video_milestones (music_video_id, kind, due_date, done, done_by, done_at,"
        " created_by) values (%s, 'delivery', '2027-03-01', true, %s, '2000-01-01', %s)"
        " returning done_by, done_at, created_by", vid, other.id, other.id)
    assert forged[0]["done_by"] == owner.id and forged[0]["created_by"] == owner.id
    assert forged[0]["done_at"].year > 2000
    # another user sees no milestone through the table endpoint, and cannot add one
    with postgrest_request(conn, other.claims(), method="GET") as c:
        assert c.execute("select count(*) as n from public.music_video_milestones").fetchone()["n"] == 0
    refused = table_write(conn, other.claims(),
                          "insert into public.music_video_milestones (music_video_id, kind, due_date)"
                          " values (%s, 'promo', '2027-01-01')", vid)
    assert isinstance(refused, psycopg.errors.InsufficientPrivilege)

    # every milestone RPC answers the milestone row (remove: the row as it was)
    removed = rpc(conn, owner.claims(), "remove_music_video_milestone", id=m["id"])
    assert removed == {**moved, "updated_at": removed["updated_at"]}
    assert (removed["id"], removed["music_video_id"], removed["kind"]) == (m["id"], vid, "picture_lock")
    assert rpc_error(conn, owner.claims(), "remove_music_video_milestone", id=m["id"]).sqlstate == "PT404"


def test_milestone_arguments(conn, factory, owner, release):
    vid = str(factory.video(release, "Draft", slug="draft"))
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="release",
                    due_date="2027-01-01")
    assert (err.sqlstate, err.codes()) == ("22023", [("kind", "derived_kind")])
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="custom",
                    due_date="2027-01-01")
    assert err.codes() == [("label", "required")]
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="delivery",
                    due_date=None)
    assert err.codes() == [("due_date", "required")]
    # required parameters have no default (20261202020400): left out, PostgREST finds no function;
    # the kinds are the enum's labels, an unknown one is PostgREST's cast error
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="delivery")
    assert err.sqlstate == NO_SUCH_FUNCTION
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="wrap_party",
                    due_date="2027-01-01")
    assert err.sqlstate == "22P02"
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="delivery",
                    due_date="2027-01-01", owner_id="00000000-0000-4000-8000-000000000000")
    assert err.codes() == [("owner_id", "unknown_profile")]
    rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="edit_lock", due_date="2027-01-01")
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="edit_lock",
                    due_date="2027-01-02")
    assert err.sqlstate == "PT409"
    # a derived kind cannot be stored through the table either
    refused = table_write(conn, owner.claims(), "insert into public.music_video_milestones"
                          " (music_video_id, kind, due_date) values (%s, 'shoot_start', '2027-01-01')", vid)
    assert isinstance(refused, psycopg.errors.CheckViolation)


def test_ordering_rules_warn_on_a_draft_and_block_submit_and_moves(conn, factory, owner, release):
    # a draft (complete plan) whose edit lock falls before the shoot ends
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=str(release),
                patch={k: v for k, v in valid_plan(conn, release).items() if k != "release_id"})["id"]
    rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=draft, kind="edit_lock",
        due_date=future(101))
    check = conn.execute("select private.music_video_plan_check(v, false) as c from public.music_videos as v"
                         " where v.id = %s", (draft,)).fetchone()["c"]
    assert [(w["field"], w["code"]) for w in check["warnings"]] == [("milestones", "edit_lock_before_shoot_end")]
    assert check["problems"] == []
    doc = panel(conn, owner.claims(), draft)
    assert ("milestones", "edit_lock_before_shoot_end") in [(p["field"], p["code"]) for p in doc["open_problems"]]
    err = rpc_error(conn, owner.claims(), "submit_music_video", id=draft)
    assert (err.sqlstate, err.codes()) == ("PT422", [("milestones", "edit_lock_before_shoot_end")])

    # planned: the same mistake through the RPC or the table answers PT422 at commit
    vid = planned_video(conn, owner, release)
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="edit_lock",
                    due_date=future(101))
    assert (err.sqlstate, err.codes()) == ("PT422", [("milestones", "edit_lock_before_shoot_end")])
    ok = rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="edit_lock",
             due_date=future(110))
    res = table_write(conn, owner.claims(), "update public.music_video_milestones set due_date = %s where id = %s",
                      future(201), ok["id"])
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT422"
    assert "release_before_edit_lock" in res.diag.message_detail
    res = table_write(conn, owner.claims(), "update public.music_videos set target_release_date = %s where id = %s",
                      future(105), vid)
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT422"

    # a plan that got broken behind the API's back (service role) cannot move past planning
    conn.execute("update public.music_video_milestones set due_date = %s where id = %s", (future(50), ok["id"]))
    err = rpc_error(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "in_production"})
    assert err.sqlstate == "PT422" and ("milestones", "edit_lock_before_shoot_end") in err.codes()
    # ... but can go back to draft, where it is a warning again
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "draft"})


# ----------------------------------------------------------------------------- promo events


def test_promo_events_rules_on_rpcs_and_table(conn, factory, owner, release):
    other = factory.user()
    vid = planned_video(conn, owner, release, target_release_date="2030-06-01", shoot_start_date=future(100),
                        shoot_end_date=future(102))
    teaser = rpc(conn, owner.claims(), "schedule_music_video_promo", music_video_id=vid, platform="tiktok",
                 kind="teaser", starts_at="2030-05-20T18:00:00+02:00", time_zone="Europe/Paris",
                 notes="  15 s cut  ", link="https://example.com/teaser")
    assert (teaser["kind"], teaser["time_zone"], teaser["notes"], teaser["created_by"]) == \
        ("teaser", "Europe/Paris", "15 s cut", str(owner.id))
    err = rpc_error(conn, owner.claims(), "schedule_music_video_promo", music_video_id=vid, platform="mtv",
                    kind="tv_spot", starts_at="2030-05-31T20:00:00+00:00", time_zone="UTC")
    assert (err.sqlstate, err.codes()) == ("PT422", [("starts_at", "before_release")])
    # the local date decides: 23:30 in New York on May 31 is June 1 in UTC, still before release
    err = rpc_error(conn, owner.claims(), "schedule_music_video_promo", music_video_id=vid, platform="mtv",
                    kind="tv_spot", starts_at="2030-06-01T03:30:00+00:00", time_zone="America/New_York")
    assert err.sqlstate == "PT422"
    spot = rpc(conn, owner.claims(), "schedule_music_video_promo", music_video_id=vid, platform="mtv",
               kind="tv_spot", starts_at="2030-06-02T20:00:00+00:00", time_zone="UTC")
    for bad, code in [({"time_zone": "Mars/Olympus"}, ("time_zone", "unknown_time_zone")),
                      ({"time_zone": "UTC+3"}, ("time_zone", "unknown_time_zone")),
                      ({"link": "javascript:alert(1)"}, ("link", "invalid_url")),
                      ({"notes": "x" * 2001}, ("notes", "too_long"))]:
        params = {"music_video_id": vid, "platform": "youtube", "kind": "premiere",
                  "starts_at": "2030-06-01T17:00:00+00:00", "time_zone": "UTC", **bad}
        err = rpc_error(conn, owner.claims(), "schedule_music_video_promo", **params)
        assert (err.sqlstate, err.codes()) == ("22023", [code]), bad
    # typed platform and kind, required parameters without defaults (20261202020400)
    params = {"music_video_id": vid, "platform": "youtube", "kind": "premiere",
              "starts_at": "2030-06-01T17:00:00+00:00", "time_zone": "UTC"}
    for bad in ({"platform": "myspace"}, {"kind": "afterparty"}):
        assert rpc_error(conn, owner.claims(), "schedule_music_video_promo", **{**params, **bad}).sqlstate == "22P02"
    for left_out in ("platform", "kind", "starts_at", "time_zone"):
        err = rpc_error(conn, owner.claims(), "schedule_music_video_promo",
                        **{k: v for k, v in params.items() if k != left_out})
        assert err.sqlstate == NO_SUCH_FUNCTION, left_out
    err = rpc_error(conn, owner.claims(), "schedule_music_video_promo", **{**params, "kind": None})
    assert (err.sqlstate, err.codes()) == ("22023", [("kind", "required")])
    # the table endpoint holds the rule too
    res = table_write(conn, owner.claims(), "insert into public.music_video_promo_events (music_video_id, platform,"
                      " kind, starts_at, time_zone) values (%s, 'mtv', 'interview', '2030-05-01', 'UTC')", vid)
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT422"
    res = table_write(conn, owner.claims(), "update public.music_video_promo_events set starts_at = '2030-05-01'"
                      " where id = %s", spot["id"])
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT422"
    # moving the release past the TV spot breaks the rule from the video's side (judged at commit)
    err = rpc_error(conn, owner.claims(), "update_music_video", id=vid, patch={"target_release_date": "2030-07-01"})
    assert err.sqlstate == "PT422" and ("promo_events", "promo_before_release") in err.codes()

    err = rpc_error(conn, owner.claims(), "move_music_video_promo", id=spot["id"], starts_at="2030-05-30T10:00:00Z")
    assert err.sqlstate == "PT422"
    moved = rpc(conn, owner.claims(), "move_music_video_promo", id=spot["id"], starts_at="2030-06-03T10:00:00Z",
                time_zone="Asia/Tokyo")
    assert (moved["time_zone"], moved["starts_at"][:10]) == ("Asia/Tokyo", "2030-06-03")
    for name, params in [("move_music_video_promo", {"id": spot["id"], "starts_at": "2030-06-04T10:00:00Z"}),
                         ("cancel_music_video_promo", {"id": spot["id"]}),
                         ("schedule_music_video_promo", {"music_video_id": vid, "platform": "mtv", "kind": "teaser",
                                                         "starts_at": "2030-06-04T10:00:00Z", "time_zone": "UTC"})]:
        assert rpc_error(conn, other.claims(), name, **params).sqlstate == "PT404", name
        assert rpc_error(conn, ANON, name, **params).sqlstate == "42501", name
    cancelled = rpc(conn, owner.claims(), "cancel_music_video_promo", id=spot["id"])
    assert cancelled["cancelled_by"] == str(owner.id) and cancelled["cancelled_at"] is not None
    assert rpc_error(conn, owner.claims(), "cancel_music_video_promo", id=spot["id"]).sqlstate == "PT409"
    assert rpc_error(conn, owner.claims(), "move_music_video_promo", id=spot["id"],
                     starts_at="2030-06-05T10:00:00Z").sqlstate == "PT409"
    # a cancelled TV spot no longer holds the release date back
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"target_release_date": "2030-07-01"})
    svc = rpc(conn, SERVICE, "cancel_music_video_promo", id=teaser["id"])
    assert svc["cancelled_at"] is not None and svc["cancelled_by"] is None


# ----------------------------------------------------------------------------- the release timeline


def test_release_timeline_on_fixed_dates(conn, factory, owner, release):
    other = factory.user()
    a = factory.video(release, "Alpha", slug="alpha", status="in_production", shoot_start_date="2027-01-10",
                      shoot_end_date="2027-01-12", target_release_date="2027-03-01")
    b = factory.video(release, "Beta", slug="beta")  # a draft without dates: only its stored milestones
    conn.execute("insert into public.music_video_milestones (music_video_id, kind, label, due_date, done, done_at)"
                 " values (%s, 'edit_lock', null, '2027-01-20', false, null),"
                 " (%s, 'picture_lock', null, '2027-01-25', true, now()),"
                 " (%s, 'custom', 'Storyboard', '2027-01-05', false, null),"
                 " (%s, 'delivery', null, '2027-01-20', false, null)", (a, a, b, b))
    conn.execute("insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone,"
                 " cancelled_at) values (%s, 'youtube', 'premiere', '2027-03-01T23:30:00+00', 'Asia/Tokyo', null),"
                 " (%s, 'mtv', 'tv_spot', '2027-03-05T12:00:00+00', 'UTC', now())", (a, a))
    rows = rpc(conn, owner.claims(), "music_video_release_timeline", release_id=str(release), as_of="2027-01-21")
    # one typed row per item, every row the same columns (PostgREST's json_agg of the composite)
    assert {tuple(r) for r in rows} == {("music_video_id", "date", "kind", "source", "id", "label", "owner_id",
                                         "done", "done_at", "overdue", "starts_at", "time_zone", "platform")}
    # in date order; on one date the kinds' lifecycle order (edit lock before delivery), then title
    got = [(r["date"], r["kind"], r["source"], r["music_video_id"], r["done"], r["overdue"]) for r in rows]
    assert got == [
        ("2027-01-05", "custom", "milestone", str(b), False, True),
        ("2027-01-10", "shoot_start", "video", str(a), True, False),   # in production: the shoot started
        ("2027-01-12", "shoot_end", "video", str(a), False, True),    # not yet in post: overdue
        ("2027-01-20", "edit_lock", "milestone", str(a), False, True),
        ("2027-01-20", "delivery", "milestone", str(b), False, True),
        ("2027-01-25", "picture_lock", "milestone", str(a), True, False),
        ("2027-03-01", "release", "video", str(a), False, False),
        ("2027-03-02", "promo", "promo_event", str(a), None, False),  # local date in Tokyo; cancelled one left out
    ]
    promo = rows[-1]
    assert (promo["label"], promo["time_zone"], promo["platform"]) == ("premiere", "Asia/Tokyo", "youtube")
    assert promo["starts_at"].startswith("2027-03-01T23:30") and promo["id"] is not None
    derived = [r for r in rows if r["source"] == "video"]
    assert all(r["id"] is None and r["starts_at"] is None for r in derived)
    assert rows[0]["label"] == "Storyboard" and rows[0]["id"] is not None
    done = next(r for r in rows if r["kind"] == "picture_lock")
    assert done["done_at"] is not None and next(r for r in rows if r["kind"] == "edit_lock")["done_at"] is None
    assert sum(r["overdue"] for r in rows) == 4
    # a day earlier the edit lock and the delivery are not overdue yet; the service role sees the same rows
    earlier = rpc(conn, SERVICE, "music_video_release_timeline", release_id=str(release), as_of="2027-01-19")
    assert [r["id"] for r in earlier] == [r["id"] for r in rows] and sum(r["overdue"] for r in earlier) == 2
    # the window keeps the items dated in it (both ends inclusive)
    window = rpc(conn, owner.claims(), "music_video_release_timeline", release_id=str(release), as_of="2027-01-21",
                 from_date="2027-01-12", to_date="2027-01-25")
    assert [r["kind"] for r in window] == ["shoot_end", "edit_lock", "delivery", "picture_lock"]
    err = rpc_error(conn, owner.claims(), "music_video_release_timeline", release_id=str(release),
                    from_date="2027-02-01", to_date="2027-01-01")
    assert (err.sqlstate, err.codes()) == ("22023", [("from_date", "after_to_date")])
    # archived videos chase nothing
    conn.execute("update public.music_videos set status = 'archived' where id = %s", (b,))
    rows = rpc(conn, owner.claims(), "music_video_release_timeline", release_id=str(release), as_of="2027-01-21")
    assert sum(r["overdue"] for r in rows) == 2 and len(rows) == 8
    # another user, an admin of another release, a malformed id: PT404; anon: no grant
    admin = factory.user(admin=True)
    for claims in (other.claims(), admin.claims()):
        assert rpc_error(conn, claims, "music_video_release_timeline", release_id=str(release)).sqlstate == "PT404"
    assert rpc_error(conn, owner.claims(), "music_video_release_timeline", release_id="nope").sqlstate == "PT404"
    assert rpc_error(conn, ANON, "music_video_release_timeline", release_id=str(release)).sqlstate == "42501"
    assert rpc(conn, owner.claims(), "music_video_release_timeline", release_id=str(factory.release(owner))) == []


# ----------------------------------------------------------------------------- budget actuals


def test_budget_actuals(conn, factory, owner, release):
    other = factory.user()
    vid = planned_video(conn, owner, release)  # direction 30000, post 20000 in the Standard band
    # actuals may exceed the allocation (and the band): the hard stop is about allocations only
    doc = rpc(conn, owner.claims(), "set_music_video_budget_actuals", music_video_id=vid,
              actuals={"direction": 150000, "marketing": 500})
    lines = {li["category"]: (li["amount"], li["actual_amount"], li["variance"]) for li in doc["line_items"]}
    assert lines == {"direction": (30000, 150000, 120000), "post": (20000, 0, -20000), "marketing": (0, 500, 500)}
    assert doc["budget_actuals"] == {"currency_code": "USD", "allocation_total": 50000, "actual_total": 150500,
                                     "variance_total": 100500}
    assert doc["budget"]["allocation_total"] == 50000 and doc["status"] == "planned"
    with postgrest_request(conn, owner.claims(), method="GET") as c:
        row = c.execute("select total_allocation, total_actual, actual_variance, actual_variance_pct, line_variances"
                        " from public.music_video_budget_variance where music_video_id = %s", (vid,)).fetchone()
    assert (row["total_allocation"], row["total_actual"], row["actual_variance"]) == (50000, 150500, 100500)
    assert float(row["actual_variance_pct"]) == 201.0
    assert row["line_variances"]["post"] == {"amount": 20000, "actual_amount": 0, "variance": -20000}

    err = rpc_error(conn, owner.claims(), "set_music_video_budget_actuals", music_video_id=vid,
                    actuals={"direction": -1, "catering": 5, "post": 1.5})
    assert err.sqlstate == "22023"
    assert sorted(err.codes()) == [("actuals.catering", "unknown_category"), ("actuals.direction", "negative"),
                                   ("actuals.post", "invalid_type")]
    assert rpc_error(conn, other.claims(), "set_music_video_budget_actuals", music_video_id=vid,
                     actuals={"post": 1}).sqlstate == "PT404"
    assert rpc_error(conn, ANON, "set_music_video_budget_actuals", music_video_id=vid,
                     actuals={"post": 1}).sqlstate == "42501"
    assert rpc(conn, SERVICE, "set_music_video_budget_actuals", music_video_id=vid,
               actuals={"post": 19000})["budget_actuals"]["actual_total"] == 169500

    # the CSV export carries them
    buf = io.StringIO()
    with postgrest_request(conn, owner.claims(), method="GET") as c:
        write_report_csv(build_report(c, release), buf)
    rec = next(r for r in csv.DictReader(io.StringIO(buf.getvalue())) if r["music_video_id"] == vid)
    assert (rec["actual_direction"], rec["actual_variance_direction"], rec["actual_variance_cinematography"]) == \
        ("150000", "120000", "")
    assert (rec["total_actual"], rec["actual_variance"]) == ("169500", "119500")

    # archived: frozen, through the RPC and the table
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "archived"})
    assert rpc_error(conn, owner.claims(), "set_music_video_budget_actuals", music_video_id=vid,
                     actuals={"post": 1}).sqlstate == "PT409"
    res = table_write(conn, owner.claims(), "update public.music_video_budget_line_items set actual_amount = 1"
                      " where music_video_id = %s", vid)
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT409"
    # the whole plan is read-only (tests/integration/test_archived_plans.py), notes included
    res = table_write(conn, owner.claims(), "update public.music_video_budget_line_items set notes = 'ok'"
                      " where music_video_id = %s and category = 'post'", vid)
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT409"
    # un-archived (back to its lane), actuals change again
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "planned"})
    doc = rpc(conn, owner.claims(), "set_music_video_budget_actuals", music_video_id=vid, actuals={"post": 1})
    assert doc["budget_actuals"]["actual_total"] == 150501


# ----------------------------------------------------------------------------- delete a draft


class SupabaseLikeStorage(LocalStorage):
    """LocalStorage standing in for Supabase Storage: its API records an object as a storage.objects
    row on upload and removes the row when it deletes the object (the service does, not our SQL)."""

    def __init__(self, root, db_url):
        super().__init__(root)
        self.db_url = db_url

    def put(self, bucket, path, data, content_type="application/octet-stream"):
        super().put(bucket, path, data, content_type)
        with psycopg.connect(self.db_url, autocommit=True) as c:
            c.execute("insert into storage.objects (bucket_id, name) values (%s, %s)", (bucket, path))

    def delete(self, bucket, path):
        removed = super().delete(bucket, path)
        with psycopg.connect(self.db_url, autocommit=True) as c:
            c.execute("delete from storage.objects where bucket_id = %s and name = %s", (bucket, path))
        return removed


def test_delete_a_draft_leaves_no_rows_and_no_files(conn, db_url, factory, owner, release, tmp_path):
    other = factory.user()
    storage = SupabaseLikeStorage(tmp_path / "storage", db_url)
    vid = factory.video(release, "Draft", slug="draft")
    keep = factory.video(release, "Keep", slug="keep")
    folder = f"{release}/{vid}"
    for name in ("board.png", "ref.jpg"):
        storage.put(MOODBOARDS, f"{folder}/{name}", b"\x89PNG", "image/png")
    storage.put(MOODBOARDS, f"{release}/{keep}/other.png", b"\x89PNG", "image/png")
    conn.execute("insert into public.music_video_moodboards (music_video_id, storage_path) values (%s, %s)",
                 (vid, f"{folder}/board.png"))
    conn.execute("insert into public.music_video_milestones (music_video_id, kind, due_date)"
                 " values (%s, 'delivery', '2027-01-01')", (vid,))
    conn.execute("insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)"
                 " values (%s, 'youtube', 'teaser', '2027-01-01', 'UTC')", (vid,))
    conn.execute("insert into public.music_video_budget_line_items (music_video_id, category, amount)"
                 " values (%s, 'post', 10)", (vid,))

    assert rpc_error(conn, other.claims(), "delete_music_video", id=str(vid)).sqlstate == "PT404"
    assert rpc_error(conn, ANON, "delete_music_video", id=str(vid)).sqlstate == "42501"
    body = rpc(conn, owner.claims(), "delete_music_video", id=str(vid))
    assert body["deleted"] is True and body["storage_cleanup_job_id"] is not None
    tables = conn.execute(
        "select c.conrelid::regclass::text as t, a.attname as col from pg_constraint as c"
        " join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]"
        " where c.contype = 'f' and c.confrelid = 'public.music_videos'::regclass").fetchall()
    assert len(tables) >= 14
    left = {r["t"]: conn.execute(f"select count(*) as n from {r['t']} where {r['col']} = %s", (vid,)).fetchone()["n"]
            for r in tables}
    assert set(left.values()) == {0}, left
    assert conn.execute("select count(*) as n from public.music_videos where id = %s", (vid,)).fetchone()["n"] == 0
    job = conn.execute("select source, music_video_id, triggered_by, metadata from public.music_video_metric_imports"
                       " where id = %s", (body["storage_cleanup_job_id"],)).fetchone()
    assert job["source"] == "storage_cleanup" and job["triggered_by"] is None
    assert job["metadata"]["object_paths"] == [f"{folder}/board.png", f"{folder}/ref.jpg"]

    run_worker(db_url, settings_for(tmp_path), storage, sources=("storage_cleanup",))
    status = conn.execute("select status from public.music_video_metric_imports where id = %s",
                          (body["storage_cleanup_job_id"],)).fetchone()["status"]
    assert status == "succeeded"
    assert storage.list(MOODBOARDS, f"{folder}/") == []
    assert conn.execute("select count(*) as n from storage.objects where name like %s",
                        (f"{folder}/%",)).fetchone()["n"] == 0
    # the other video's file is untouched
    assert storage.list(MOODBOARDS, f"{release}/{keep}/") == [f"{release}/{keep}/other.png"]
    assert rpc_error(conn, owner.claims(), "delete_music_video", id=str(vid)).sqlstate == "PT404"


def test_only_drafts_are_deleted_by_rpc_or_table(conn, factory, owner, release):
    vid = planned_video(conn, owner, release)
    err = rpc_error(conn, owner.claims(), "delete_music_video", id=vid)
    assert (err.sqlstate, err.codes()) == ("PT409", [("status", "not_a_draft")])
    res = table_write(conn, owner.claims(), "delete from public.music_videos where id = %s", vid)
    assert isinstance(res, psycopg.Error) and res.sqlstate == "PT409"
    # archiving is the way out; the service role (operators) may still delete
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "archived"})
    assert rpc_error(conn, owner.claims(), "delete_music_video", id=vid).sqlstate == "PT409"
    assert rpc(conn, SERVICE, "delete_music_video", id=vid)["deleted"] is True
    # deleting the release (host app, as its owner) takes its videos whatever their status
    vid2 = planned_video(conn, owner, release, title="Second")
    res = table_write(conn, owner.claims(), "delete from public.releases where id = %s", release)
    assert not isinstance(res, psycopg.Error), res
    assert conn.execute("select count(*) as n from public.music_videos where id = %s", (vid2,)).fetchone()["n"] == 0


# ----------------------------------------------------------------------------- the deep link


def deep_link(conn, claims, **params):
    """The route loader's one row (supabase-js .single())."""
    [row] = read(conn, claims, "music_video_deep_link", **params)
    return row


def test_deep_link(conn, factory, owner, release):
    other, admin = factory.user(), factory.user(admin=True)
    empty = deep_link(conn, owner.claims(), release_id=str(release))
    assert (empty["empty"], empty["highlight_id"], empty["highlight_reason"], empty["requested_id"]) == (
        True, None, None, None)
    assert empty["board"] == [] and empty["resume_draft"] is None
    assert sum(c["videos"] for c in empty["status_counts"]) == 0
    a = factory.video(release, "Alpha", slug="alpha")
    b = factory.video(release, "Beta", slug="beta")
    conn.execute("update public.music_videos set updated_at = '2026-01-01' where id = %s", (b,))
    conn.execute("update public.music_videos set updated_at = '2026-02-01' where id = %s", (a,))
    body = deep_link(conn, owner.claims(), release_id=str(release))
    assert (body["highlight_id"], body["highlight_status"], body["highlight_reason"], body["highlight_on_board"]) == (
        str(a), "draft", "most_recent", True)
    assert len(body["board"]) == 2 and body["empty"] is False
    # the board is exactly what list_music_videos returns, and the badges what the counts read returns
    assert body["board"] == read(conn, owner.claims(), "list_music_videos", release_id=str(release), page_size=200)
    assert body["status_counts"] == read(conn, owner.claims(), "music_video_status_counts", release_id=str(release))
    assert body["status_counts"][0] == {"status": "draft", "videos": 2}
    assert body["resume_draft"]["id"] == str(a)  # the newest unsubmitted draft
    body = deep_link(conn, owner.claims(), release_id=str(release), music_video_id=str(b))
    assert body["highlight_id"] == str(b) and body["highlight_reason"] == "requested"
    assert (body["requested_id"], body["requested_found"]) == (str(b), True)
    foreign = factory.video(factory.release(other), "Theirs", slug="theirs")
    for requested in (str(foreign), "not-a-uuid"):
        body = deep_link(conn, owner.claims(), release_id=str(release), music_video_id=requested)
        assert body["highlight_id"] == str(a) and (body["requested_id"], body["requested_found"]) == (requested, False)
    for who in (other, admin):
        with pytest.raises(RpcError) as exc:
            deep_link(conn, who.claims(), release_id=str(release))
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Release not found")
    with pytest.raises(RpcError) as exc:
        deep_link(conn, ANON, release_id=str(release))
    assert exc.value.sqlstate == "42501"
    assert deep_link(conn, SERVICE, release_id=str(release))["highlight_id"] == str(a)
    # the list is newest first: on a one-card page Beta (created last) is shown, Alpha is not
    one = deep_link(conn, owner.claims(), release_id=str(release), music_video_id=str(a), page_size=1)
    assert [c["id"] for c in one["board"]] == [str(b)]
    assert one["highlight_id"] == str(a) and one["highlight_on_board"] is False
    assert one["board"][-1]["next_cursor"] is not None
    assert return_type(conn, "music_video_deep_link") == "SETOF music_video_deep_link_view"
