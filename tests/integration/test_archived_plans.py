"""An archived plan is read-only (issue "The planning workspace, complete", section 5;
20261201050100): every workspace RPC and every plan RPC that writes answers PT409 with the problem
status/archived, for the owner and the service role; other users and admins get PT404, anon no
grant; reads still work; the status move back to the lane is the one way out, and an archive
waits for an edit in flight instead of slipping in between its check and its write; deleting the
release still removes an archived plan whole (the cascade is not an edit).
"""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers.plan_rpc import ANON, SERVICE, catalog_id, rpc, rpc_error, valid_plan
from tests.helpers.reads import timeline_items
from workers.db import postgrest_request

ARCHIVED = [("status", "archived")]


@pytest.fixture
def plan(conn, owner, release):
    """A planned video with a milestone, a promo event, two shots and actuals, then archived."""
    doc = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release, target_release_date="2030-06-01",
                                                                         shoot_start_date="2030-01-10",
                                                                         shoot_end_date="2030-01-12"))
    vid = doc["id"]
    milestone = rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="edit_lock",
                    due_date="2030-02-01")
    promo = rpc(conn, owner.claims(), "schedule_music_video_promo", music_video_id=vid, platform="tiktok",
                kind="teaser", starts_at="2030-05-20T18:00:00+00:00", time_zone="UTC")
    shots = rpc(conn, owner.claims(), "add_music_video_shot", music_video_id=vid, description="Wide")
    shots = rpc(conn, owner.claims(), "add_music_video_shot", music_video_id=vid, description="Close")
    rpc(conn, owner.claims(), "set_music_video_budget_actuals", music_video_id=vid, actuals={"direction": 100})
    rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "archived"})
    return {"id": vid, "milestone": milestone["id"], "promo": promo["id"],
            "shots": [s["id"] for s in shots["shots"]]}


def writes(conn, p) -> list[tuple[str, dict]]:
    vid = p["id"]
    return [
        ("add_music_video_milestone", {"music_video_id": vid, "kind": "delivery", "due_date": "2030-03-01"}),
        ("update_music_video_milestone", {"id": p["milestone"], "due_date": "2030-02-02"}),
        ("complete_music_video_milestone", {"id": p["milestone"]}),
        ("remove_music_video_milestone", {"id": p["milestone"]}),
        ("schedule_music_video_promo", {"music_video_id": vid, "platform": "youtube", "kind": "premiere",
                                        "starts_at": "2030-06-01T18:00:00+00:00", "time_zone": "UTC"}),
        ("move_music_video_promo", {"id": p["promo"], "starts_at": "2030-05-21T18:00:00+00:00"}),
        ("cancel_music_video_promo", {"id": p["promo"]}),
        ("add_music_video_shot", {"music_video_id": vid, "description": "Another"}),
        ("update_music_video_shot", {"music_video_id": vid, "shot_id": p["shots"][0], "patch": {"lens": "35mm"}}),
        ("reorder_music_video_shots", {"music_video_id": vid, "shot_ids": list(reversed(p["shots"]))}),
        ("remove_music_video_shot", {"music_video_id": vid, "shot_id": p["shots"][0]}),
        ("set_music_video_budget_actuals", {"music_video_id": vid, "actuals": {"post": 5}}),
    ]


def test_every_workspace_write_is_refused_for_the_owner_and_the_service_role(conn, owner, plan):
    for name, params in writes(conn, plan):
        for who, claims in (("owner", owner.claims()), ("service", SERVICE)):
            err = rpc_error(conn, claims, name, **params)
            assert (err.sqlstate, err.codes()) == ("PT409", ARCHIVED), (name, who)
            assert err.message == "This video is archived; its plan is read-only.", name


def test_other_users_admins_and_anon_learn_nothing(conn, factory, plan):
    other, admin = factory.user(), factory.user(admin=True)
    for name, params in writes(conn, plan):
        for claims in (other.claims(), admin.claims()):
            assert rpc_error(conn, claims, name, **params).sqlstate == "PT404", name
        assert rpc_error(conn, ANON, name, **params).sqlstate == "42501", name


def test_the_plan_rpcs_and_table_writes_hold_the_rule_too(conn, owner, plan):
    vid = plan["id"]
    # the plan's own fields and its children, written by the other engineers' RPCs, go through the tables
    err = rpc_error(conn, owner.claims(), "update_music_video", id=vid, patch={"title": "Renamed"})
    assert (err.sqlstate, err.codes()) == ("PT409", ARCHIVED)
    err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=vid,
                    cast_option_id=catalog_id(conn, "music_video_cast_options", "Maya Chen"))
    assert (err.sqlstate, err.codes()) == ("PT409", ARCHIVED)
    err = rpc_error(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=vid,
                    targets=[{"platform": "youtube"}, {"platform": "mtv"}])
    assert (err.sqlstate, err.codes()) == ("PT409", ARCHIVED)
    # a direct PATCH of a shot, as PostgREST runs it
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, owner.claims()) as c:
        c.execute("update public.music_video_shots set lens = '50mm' where music_video_id = %s", (vid,))
    assert exc.value.sqlstate == "PT409"
    # nothing changed
    assert conn.execute("select count(*) as n from public.music_video_shots where music_video_id = %s and lens"
                        " is not null", (vid,)).fetchone()["n"] == 0
    assert conn.execute("select title from public.music_videos where id = %s", (vid,)).fetchone()["title"] \
        == "Midnight Drive"


def test_reads_stay_open_and_unarchiving_reopens_the_plan(conn, owner, release, plan):
    vid = plan["id"]
    assert [s["description"] for s in rpc(conn, owner.claims(), "get_music_video_shots",
                                          music_video_id=vid)] == ["Wide", "Close"]
    rows = timeline_items(rpc(conn, owner.claims(), "music_video_release_timeline", release_id=str(release),
                              as_of="2031-01-01"))
    assert {r["source"] for r in rows} == {"video", "milestone", "promo_event"}
    assert not any(r["overdue"] for r in rows)  # an archived plan chases nothing
    assert [r["status"] for r in rpc(conn, owner.claims(), "get_music_video", id=vid)] == ["archived"]

    # un-archive: the status move alone, back to the lane it was archived from
    assert rpc(conn, owner.claims(), "update_music_video", id=vid, patch={"status": "planned"})["status"] == "planned"
    m = rpc(conn, owner.claims(), "complete_music_video_milestone", id=plan["milestone"])
    assert m["done"] is True and m["done_by"] == str(owner.id)
    shots = rpc(conn, owner.claims(), "remove_music_video_shot", music_video_id=vid, shot_id=plan["shots"][0])
    assert [s["shot_number"] for s in shots["shots"]] == [1]


def test_an_archive_waits_for_an_edit_in_flight(conn, db_url, owner, release):
    vid = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))["id"]
    with psycopg.connect(db_url) as editor, psycopg.connect(db_url) as archiver:
        with postgrest_request(editor, owner.claims()) as c:
            c.execute("insert into public.music_video_milestones (music_video_id, kind, due_date)"
                      " values (%s, 'promo', '2030-01-01')", (vid,))
            # the edit holds its video FOR SHARE: the archive cannot commit in between
            with pytest.raises(psycopg.errors.LockNotAvailable), postgrest_request(archiver, owner.claims()) as a:
                a.execute("set local lock_timeout = '200ms'")
                a.execute("update public.music_videos set status = 'archived' where id = %s", (vid,))
        # the edit committed first; now the archive goes through, and the next edit is refused
        with postgrest_request(archiver, owner.claims()) as a:
            a.execute("update public.music_videos set status = 'archived' where id = %s", (vid,))
    err = rpc_error(conn, owner.claims(), "add_music_video_milestone", music_video_id=vid, kind="promo",
                    due_date="2030-01-02")
    assert (err.sqlstate, err.codes()) == ("PT409", ARCHIVED)


def test_deleting_the_release_still_removes_an_archived_plan_whole(conn, owner, release, plan):
    # the host app's release delete cascades through the archived video and everything under it
    with postgrest_request(conn, owner.claims()) as c:
        assert c.execute("delete from public.releases where id = %s", (release,)).rowcount == 1
    for table in ("music_videos", "music_video_milestones", "music_video_promo_events", "music_video_shots",
                  "music_video_budget_line_items", "music_video_platform_targets"):
        column = "id" if table == "music_videos" else "music_video_id"
        n = conn.execute(f"select count(*) as n from public.{table} where {column} = %s", (plan["id"],)).fetchone()["n"]
        assert n == 0, table
