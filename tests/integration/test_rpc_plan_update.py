"""update_music_video, the board's status moves, the status history, drafts (save_music_video_draft,
submit_music_video), as PostgREST calls them, and direct table PATCHes that try to jump lanes."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers.plan_rpc import (
    ANON,
    SERVICE,
    cast_id,
    catalog_id,
    count,
    future,
    rpc,
    rpc_error,
    valid_plan,
)
from tests.helpers.reads import panel
from workers.db import postgrest_request


@pytest.fixture
def video(conn, owner, release):
    return rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))


def update(conn, user, vid, **patch):
    return rpc(conn, user.claims(), "update_music_video", id=vid, patch=patch)


def update_error(conn, user, vid, **patch):
    return rpc_error(conn, user.claims(), "update_music_video", id=vid, patch=patch)


def move(conn, user, vid, *statuses):
    doc = None
    for s in statuses:
        doc = update(conn, user, vid, status=s)
    return doc


def test_a_partial_patch_changes_only_what_it_names(conn, owner, video):
    doc = update(conn, owner, video["id"], title="New Title", budget_estimate=70000, kpi_view_target=0,
                 shoot_end_date=future(105), line_items={"direction": 40000, "marketing": 20000})
    assert doc["title"] == "New Title" and doc["budget_estimate"] == 70000 and doc["kpi_view_target"] == 0
    assert doc["shoot_end_date"] == future(105) and doc["shoot_start_date"] == video["shoot_start_date"]
    assert doc["slug"] == video["slug"]  # the slug stays when the title changes
    assert {li["category"]: li["amount"] for li in doc["line_items"]} == {"direction": 40000, "marketing": 20000}
    assert doc["platform_targets"] == video["platform_targets"]
    # null clears a nullable field
    assert update(conn, owner, video["id"], kpi_chart_target=None)["kpi_chart_target"] is None


def test_a_patch_that_breaks_a_rule_of_a_planned_video_is_refused_whole(conn, owner, video):
    err = update_error(conn, owner, video["id"], title="Changed", shoot_end_date=future(1),
                       line_items=[{"category": "direction", "amount": 1}], kpi_view_target=-3, colour="red")
    assert err.sqlstate == "PT422"
    assert set(err.codes()) == {("shoot_end_date", "before_start"), ("line_items", "budget_below_band"),
                                ("kpi_view_target", "negative"), ("colour", "unknown_field")}
    assert err.message.startswith("The plan has 4 problems: ")
    doc = panel(conn, owner.claims(), video["id"])
    assert doc["title"] == video["title"] and doc["line_items"] == video["line_items"]


def test_read_only_and_malformed_patches(conn, owner, video):
    err = update_error(conn, owner, video["id"], release_id="x", id="y", created_at="z")
    assert sorted(err.codes()) == [("created_at", "read_only"), ("id", "read_only"), ("release_id", "read_only")]
    err = rpc_error(conn, owner.claims(), "update_music_video", id=video["id"], patch=[1, 2])
    assert err.codes() == [("patch", "invalid_type")]


def test_moving_one_lane_forward_and_back_is_allowed_and_recorded(conn, owner, video):
    vid = video["id"]
    doc = move(conn, owner, vid, "in_production", "post_production", "in_production", "post_production",
               "released")
    assert doc["status"] == "released"
    moves = [(h["from_status"], h["to_status"]) for h in doc["status_history"]]
    assert moves == [(None, "draft"), ("draft", "planned"), ("planned", "in_production"),
                     ("in_production", "post_production"), ("post_production", "in_production"),
                     ("in_production", "post_production"), ("post_production", "released")]
    assert all(h["changed_by"] == str(owner.id) for h in doc["status_history"])


@pytest.mark.parametrize("path, target", [
    ([], "released"), ([], "post_production"), (["in_production"], "released"),
    (["in_production", "post_production", "released"], "planned"),
])
def test_jumping_lanes_is_refused(conn, owner, video, path, target):
    move(conn, owner, video["id"], *path)
    before = path[-1] if path else "planned"
    err = update_error(conn, owner, video["id"], status=target)
    assert err.sqlstate == "PT422" and err.codes() == [("status", "invalid_transition")]
    assert f"cannot move from {before} to {target}" in err.message


def test_draft_to_released_is_refused(conn, owner, release):
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release, patch={"title": "D"})
    err = update_error(conn, owner, draft["id"], status="released")
    assert err.codes()[0] == ("status", "invalid_transition")
    assert "from draft it can move to planned, archived" in err.message


def test_archive_from_any_lane_and_unarchive_to_where_it_was(conn, owner, video):
    vid = video["id"]
    move(conn, owner, vid, "in_production", "archived")
    err = update_error(conn, owner, vid, status="released")
    assert err.codes() == [("status", "invalid_transition")] and "it can move to in_production" in err.message
    assert move(conn, owner, vid, "in_production")["status"] == "in_production"


def test_status_history_is_readable_by_the_owner_only(conn, factory, owner, video):
    move(conn, owner, video["id"], "in_production")
    stranger = factory.user()
    q = "select from_status::text, to_status::text from public.music_video_status_history where music_video_id = %s"
    with postgrest_request(conn, owner.claims()) as c:
        assert len(c.execute(q, (video["id"],)).fetchall()) == 3
    with postgrest_request(conn, stranger.claims()) as c:
        assert c.execute(q, (video["id"],)).fetchall() == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, ANON) as c:
        c.execute(q, (video["id"],))
    # nobody writes it through the API
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, owner.claims()) as c:
        c.execute("insert into public.music_video_status_history (music_video_id, to_status) values (%s, 'released')",
                  (video["id"],))


def test_a_direct_table_patch_cannot_jump_lanes_either(conn, owner, video):
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, owner.claims(), method="PATCH") as c:
        c.execute("update public.music_videos set status = 'released' where id = %s", (video["id"],))
    assert exc.value.sqlstate == "PT422"
    with postgrest_request(conn, owner.claims(), method="PATCH") as c:
        c.execute("update public.music_videos set status = 'in_production' where id = %s", (video["id"],))
    # nor insert a video that skips the draft
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, owner.claims()) as c:
        c.execute("insert into public.music_videos (release_id, title, status) values (%s, 't', 'planned')",
                  (video["release_id"],))
    assert exc.value.sqlstate == "PT422"


def test_a_direct_table_patch_submitting_a_draft_runs_the_full_validation(conn, owner, release):
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release, patch={"title": "D"})
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, owner.claims(), method="PATCH") as c:
        c.execute("update public.music_videos set status = 'planned' where id = %s", (draft["id"],))
    assert exc.value.sqlstate == "PT422" and "video_theme_id" in exc.value.diag.message_detail


def test_the_service_role_is_trusted_with_status_moves(conn, video):
    with postgrest_request(conn, SERVICE) as c:
        c.execute("update public.music_videos set status = 'released' where id = %s", (video["id"],))
    assert conn.execute("select status::text from public.music_videos where id = %s",
                        (video["id"],)).fetchone()["status"] == "released"


def test_update_is_a_404_for_strangers_and_unknown_ids(conn, factory, video):
    stranger = factory.user()
    for who, vid in [(stranger, video["id"]), (stranger, "00000000-0000-0000-0000-000000000000"), (stranger, "?")]:
        err = update_error(conn, who, vid, title="mine now")
        assert (err.sqlstate, err.message) == ("PT404", "Music video not found")


def test_slug_changes_collide_with_409(conn, owner, release, video):
    other = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release, title="Other"))
    err = update_error(conn, owner, other["id"], slug=video["slug"])
    assert err.sqlstate == "PT409"
    assert err.message == f'A video with slug "{video["slug"]}" already exists for this release.'
    assert update(conn, owner, other["id"], slug="fresh-slug")["slug"] == "fresh-slug"


def test_changing_a_planned_shoot_into_the_past_is_refused_but_later_lanes_keep_past_dates(conn, owner, video):
    err = update_error(conn, owner, video["id"], shoot_start_date=future(-3))
    assert err.codes() == [("shoot_start_date", "in_past")]
    move(conn, owner, video["id"], "in_production")
    doc = update(conn, owner, video["id"], shoot_start_date=future(-3), shoot_end_date=future(-1))
    assert doc["shoot_start_date"] == future(-3)


# --- drafts ---------------------------------------------------------------------------------------

def test_a_draft_autosaves_partial_state_with_types_checked_only(conn, owner, release):
    claims = owner.claims()
    draft = rpc(conn, claims, "save_music_video_draft", release_id=release, wizard_step="concept",
                wizard_state={"theme": "neon", "notes": ["a"]}, patch={"title": "  "})
    assert draft["status"] == "draft" and draft["title"] is None and draft["slug"] is None
    assert draft["wizard_step"] == "concept" and draft["wizard_state"] == {"theme": "neon", "notes": ["a"]}
    assert ("title", "required") in {(p["field"], p["code"]) for p in draft["open_problems"]}
    # dates in the past, an out-of-band budget and no YouTube are fine in a draft
    draft = rpc(conn, claims, "save_music_video_draft", id=draft["id"], wizard_step="budget",
                patch={"title": "Draft Title", "shoot_start_date": future(-10), "shoot_end_date": future(-20),
                       "budget_band_id": catalog_id(conn, "music_video_budgets", "Standard"),
                       "line_items": [{"category": "post", "amount": 1}], "platform_targets": [{"platform": "mtv"}]})
    assert draft["wizard_step"] == "budget" and draft["wizard_state"] == {"theme": "neon", "notes": ["a"]}
    assert draft["shoot_start_date"] == future(-10)
    open_codes = {p["code"] for p in draft["open_problems"]}
    assert {"in_past", "before_start", "budget_below_band", "youtube_required"} <= open_codes
    # but types are checked, all together
    err = rpc_error(conn, claims, "save_music_video_draft", id=draft["id"],
                    patch={"shoot_start_date": "next tuesday", "kpi_view_target": -1, "status": "planned"},
                    wizard_state=["not", "an", "object"])
    assert err.sqlstate == "PT422"
    assert set(err.codes()) == {("shoot_start_date", "invalid_type"), ("kpi_view_target", "negative"),
                                ("status", "read_only"), ("wizard_state", "invalid_type")}


def test_submitting_a_draft_runs_the_full_validation(conn, owner, release):
    claims = owner.claims()
    plan = valid_plan(conn, release)
    draft = rpc(conn, claims, "save_music_video_draft", release_id=release,
                patch={"title": plan["title"], "shoot_start_date": future(-1)})
    err = rpc_error(conn, claims, "submit_music_video", id=draft["id"])
    assert err.sqlstate == "PT422"
    assert {"video_theme_id", "art_style_id", "budget_band_id", "quality_tier", "target_release_date",
            "platform_targets", "shoot_start_date"} <= {f for f, _ in err.codes()}
    assert panel(conn, claims, draft["id"])["status"] == "draft"

    rest = {k: v for k, v in plan.items() if k not in ("release_id",)}
    rpc(conn, claims, "save_music_video_draft", id=draft["id"], patch=rest)
    doc = rpc(conn, claims, "submit_music_video", id=draft["id"])
    assert doc["status"] == "planned" and doc["slug"] == "midnight-drive" and doc["submitted_at"]
    assert [(h["from_status"], h["to_status"]) for h in doc["status_history"]] == [(None, "draft"),
                                                                                 ("draft", "planned")]
    err = rpc_error(conn, claims, "submit_music_video", id=draft["id"])
    assert (err.sqlstate, err.message) == ("PT409", "Only a draft can be submitted; this video is already planned.")
    err = rpc_error(conn, claims, "save_music_video_draft", id=draft["id"], wizard_step="x")
    assert (err.sqlstate, err.message) == ("PT409", "Only a draft can be autosaved; this video is planned.")


def test_update_with_status_planned_is_a_submit_too(conn, owner, release):
    claims = owner.claims()
    draft = rpc(conn, claims, "save_music_video_draft", release_id=release, patch={"title": "Only a title"})
    err = update_error(conn, owner, draft["id"], status="planned")
    assert err.sqlstate == "PT422" and ("video_theme_id", "required") in err.codes()
    plan = {k: v for k, v in valid_plan(conn, release).items() if k != "release_id"}
    doc = update(conn, owner, draft["id"], status="planned", **plan)
    assert doc["status"] == "planned"


def test_a_submitted_draft_is_checked_for_cast_conflicts(conn, owner, release):
    sam = cast_id(conn, "Sam Okafor")
    rpc(conn, owner.claims(), "create_music_video", **valid_plan(
        conn, release, title="Booked", cast_assignments=[{"cast_option_id": sam, "confirmed": True}]))
    plan = {k: v for k, v in valid_plan(conn, release, title="Later").items() if k != "release_id"}
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release,
                patch=dict(plan, cast_assignments=[{"cast_option_id": sam}]))
    assert [c["kind"] for c in draft["availability_conflicts"]] == ["booked"]
    err = rpc_error(conn, owner.claims(), "submit_music_video", id=draft["id"])
    assert err.codes() == [("cast_assignments", "cast_double_booked")] and '"Booked"' in err.message


def test_drafts_of_other_users_are_404(conn, factory, owner, release):
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release)
    stranger = factory.user()
    for name, args in [("save_music_video_draft", {"id": draft["id"]}),
                       ("save_music_video_draft", {"release_id": release}),
                       ("submit_music_video", {"id": draft["id"]})]:
        assert rpc_error(conn, stranger.claims(), name, **args).sqlstate == "PT404"
    assert rpc_error(conn, ANON, "save_music_video_draft", release_id=release).sqlstate == "42501"
    assert rpc_error(conn, ANON, "submit_music_video", id=draft["id"]).sqlstate == "42501"
    assert count(conn, "select count(*) as n from public.music_videos") == 1
    # the service role (operators, services) may work on any user's drafts
    saved = rpc(conn, SERVICE, "save_music_video_draft", id=draft["id"], patch={"title": "Named by the service"})
    assert (saved["id"], saved["title"], saved["status"]) == (draft["id"], "Named by the service", "draft")
    assert rpc_error(conn, SERVICE, "submit_music_video", id=draft["id"]).sqlstate == "PT422"
    err = rpc_error(conn, SERVICE, "submit_music_video", id="00000000-0000-0000-0000-000000000000")
    assert (err.sqlstate, err.message) == ("PT404", "Music video not found")
