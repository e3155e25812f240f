"""assign_music_video_cast, update_music_video_cast_assignment and set_music_video_platform_targets
as PostgREST calls them: new cost totals, availability conflicts (warned on drafts, blocking on
plans), YouTube ids from every URL form, and access."""

from __future__ import annotations

import pytest

from tests.helpers.plan_rpc import (
    ANON,
    NO_SUCH_FUNCTION,
    SERVICE,
    cast_id,
    count,
    future,
    rpc,
    rpc_error,
    valid_plan,
)


@pytest.fixture
def video(conn, owner, release):
    return rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))


def assign(conn, user, vid, **kw):
    return rpc(conn, user.claims(), "assign_music_video_cast", music_video_id=vid, **kw)


def change(conn, user, vid, aid, **kw):
    return rpc(conn, user.claims(), "update_music_video_cast_assignment", music_video_id=vid, assignment_id=aid, **kw)


def block_dates(conn, name, start, end, reason="booked elsewhere"):
    conn.execute("update public.music_video_cast_options set availability = %s where name = %s",
                  (f'{{"unavailable": [{{"from": "{start}", "to": "{end}", "reason": "{reason}"}}]}}', name))


def test_assigning_returns_the_new_cost_totals(conn, owner, video):
    doc = assign(conn, owner, video["id"], cast_option_id=cast_id(conn, "Maya Chen"), cost_estimate=10000,
                 role="co-director", notes="first choice")
    a = doc["assignment"]
    assert a["name"] == "Maya Chen" and a["role_override"] == "co-director" and a["confirmed"] is False
    assert a["cost_estimate"] == 10000 and a["projected_cost"] == 15000
    assert doc["budget"]["cast_cost_total"] == 15000
    assert doc["budget"]["projected_total"] == video["budget"]["allocation_total"] + 15000
    assert doc["availability_conflicts"] == []
    doc = assign(conn, owner, video["id"], cast_option_id=cast_id(conn, "Northlight Colour"), cost_estimate=1000)
    assert doc["budget"]["cast_cost_total"] == 15000 + 900
    assert len(doc["cast_assignments"]) == 2


def test_assigning_over_the_band_warns(conn, owner, video):
    doc = assign(conn, owner, video["id"], cast_option_id=cast_id(conn, "Maya Chen"), cost_estimate=40000)
    assert [w["code"] for w in doc["warnings"]] == ["cast_cost_over_band"]


def test_assigning_twice_is_a_409_and_bad_input_a_422(conn, owner, video):
    maya = cast_id(conn, "Maya Chen")
    assign(conn, owner, video["id"], cast_option_id=maya)
    err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"], cast_option_id=maya)
    assert (err.sqlstate, err.message) == ("PT409", "Maya Chen (director) is already assigned to this video.")
    err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"],
                    cast_option_id="nobody", cost_estimate=-1, role="x" * 201)
    assert err.sqlstate == "PT422"
    assert set(err.codes()) == {("cast_option_id", "unknown"), ("cost_estimate", "negative"), ("role", "too_long")}
    err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"], cast_option_id=None)
    assert err.codes() == [("cast_option_id", "required")]
    # wrong-typed values are refused by PostgREST's conversion of the JSON body, before the function
    for bad in ({"confirmed": "maybe"}, {"cost_estimate": "lots"}, {"cost_estimate": 12.5}):
        err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"],
                        cast_option_id=maya, **bad)
        assert err.sqlstate == "22P02", bad
    # leaving out the cast option, or naming a parameter the function does not have, is PGRST202
    assert rpc_error(conn, owner.claims(), "assign_music_video_cast",
                     music_video_id=video["id"]).sqlstate == NO_SUCH_FUNCTION
    assert rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"],
                     cast_option_id=maya, role_override="lead").sqlstate == NO_SUCH_FUNCTION


def test_an_unavailable_option_blocks_a_planned_video_and_only_warns_on_a_draft(conn, owner, release, video):
    block_dates(conn, "Jordan Blake", future(101), future(101), "rehearsal")
    jordan = cast_id(conn, "Jordan Blake")
    err = rpc_error(conn, owner.claims(), "assign_music_video_cast", music_video_id=video["id"], cast_option_id=jordan)
    assert err.sqlstate == "PT422" and err.codes() == [("cast_assignments", "cast_unavailable")]
    assert f"unavailable from {future(101)} to {future(101)} (rehearsal)" in err.message
    assert count(conn, "select count(*) as n from public.music_video_cast_assignments") == 0

    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release,
                patch={"shoot_start_date": future(100), "shoot_end_date": future(102)})
    doc = assign(conn, owner, draft["id"], cast_option_id=jordan)
    [conflict] = doc["availability_conflicts"]
    assert conflict["kind"] == "unavailable" and conflict["from"] == future(101)
    assert conflict["name"] == "Jordan Blake" and doc["assignment"]["cast_option_id"] == jordan


def test_confirming_an_option_booked_on_an_overlapping_shoot_is_refused(conn, owner, release, video):
    sam = cast_id(conn, "Sam Okafor")
    assign(conn, owner, video["id"], cast_option_id=sam, confirmed=True)
    second = rpc(conn, owner.claims(), "create_music_video", **valid_plan(
        conn, release, title="Second", shoot_start_date=future(150), shoot_end_date=future(151)))
    assignment = assign(conn, owner, second["id"], cast_option_id=sam)["assignment"]
    # moving the second shoot onto the first one now conflicts
    err = rpc_error(conn, owner.claims(), "update_music_video", id=second["id"],
                    patch={"shoot_start_date": future(102), "shoot_end_date": future(103)})
    assert err.codes() == [("cast_assignments", "cast_double_booked")]
    assert '"Midnight Drive"' in err.message and future(100) in err.message and future(102) in err.message
    # confirming on a non-overlapping shoot is fine
    doc = change(conn, owner, second["id"], assignment["id"], patch={"confirmed": True, "cost_estimate": 800})
    assert doc["assignment"]["confirmed"] is True and doc["budget"]["cast_cost_total"] == 800


def test_change_and_remove_an_assignment(conn, owner, video):
    a = assign(conn, owner, video["id"], cast_option_id=cast_id(conn, "Priya Nair"), cost_estimate=1000)["assignment"]
    doc = change(conn, owner, video["id"], a["id"], patch={"role_override": "lead dancer", "notes": None})
    assert doc["assignment"]["role_override"] == "lead dancer" and doc["assignment"]["cost_estimate"] == 1000
    err = rpc_error(conn, owner.claims(), "update_music_video_cast_assignment", music_video_id=video["id"],
                    assignment_id=a["id"], patch={"cast_option_id": cast_id(conn, "Sam Okafor"), "confirmed": 3})
    assert set(err.codes()) == {("cast_option_id", "read_only"), ("confirmed", "invalid_type")}
    # role_override has role's 200-character limit (20261202060100: the key once mapped to no limit)
    err = rpc_error(conn, owner.claims(), "update_music_video_cast_assignment", music_video_id=video["id"],
                    assignment_id=a["id"], patch={"role_override": "x" * 201})
    assert (err.sqlstate, err.codes()) == ("PT422", [("role_override", "too_long")])
    doc = change(conn, owner, video["id"], a["id"], remove=True)
    assert doc["assignment"] is None and doc["removed_assignment_id"] == a["id"]
    assert doc["cast_assignments"] == [] and doc["budget"]["cast_cost_total"] == 0


def test_role_is_the_spec_name_of_the_assignment_role(conn, owner, release, video):
    """spec 2.3: the cast endpoint takes role; the option's own role means no override."""
    priya = cast_id(conn, "Priya Nair")  # a lead actor
    a = assign(conn, owner, video["id"], cast_option_id=priya, role="lead dancer")["assignment"]
    assert (a["role"], a["role_override"]) == ("lead actor", "lead dancer")
    a = change(conn, owner, video["id"], a["id"], patch={"role": "lead actor"})["assignment"]
    assert a["role_override"] is None
    a = change(conn, owner, video["id"], a["id"], patch={"role": "stunt double"})["assignment"]
    assert a["role_override"] == "stunt double"
    # role_override (as documents return it) is still accepted, and wins over the option's role:
    # the assignment sent back unchanged keeps its override
    a = change(conn, owner, video["id"], a["id"], patch={"role": a["role"], "role_override": a["role_override"]})[
        "assignment"]
    assert a["role_override"] == "stunt double"
    err = rpc_error(conn, owner.claims(), "update_music_video_cast_assignment", music_video_id=video["id"],
                    assignment_id=a["id"], patch={"role": "extra", "role_override": "stunt double"})
    assert (err.sqlstate, err.codes()) == ("PT422", [("role", "conflicting_role")])
    # the plan's cast_assignments list takes role too
    doc = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release, patch={
        "cast_assignments": [{"cast_option_id": priya, "role": "narrator"},
                             {"cast_option_id": cast_id(conn, "Maya Chen"), "role": "director"}]})
    assert sorted((c["role"], c["role_override"]) for c in doc["cast_assignments"]) == [
        ("director", None), ("lead actor", "narrator")]


def test_remove_and_confirmed_are_json_booleans(conn, owner, video):
    a = assign(conn, owner, video["id"], cast_option_id=cast_id(conn, "Sam Okafor"), confirmed=True)["assignment"]
    assert a["confirmed"] is True
    doc = change(conn, owner, video["id"], a["id"], remove=False, patch={"notes": "kept"})
    assert doc["assignment"]["notes"] == "kept"
    for bad in ("maybe", 2):  # PostgreSQL's boolean input takes true/false, yes/no, on/off, 1/0
        err = rpc_error(conn, owner.claims(), "update_music_video_cast_assignment", music_video_id=video["id"],
                        assignment_id=a["id"], remove=bad)
        assert err.sqlstate == "22P02", bad
    assert count(conn, "select count(*) as n from public.music_video_cast_assignments") == 1


def test_assignments_of_other_videos_are_404(conn, factory, owner, release, video):
    other = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release, title="Other"))
    a = assign(conn, owner, other["id"], cast_option_id=cast_id(conn, "Sam Okafor"))["assignment"]
    err = rpc_error(conn, owner.claims(), "update_music_video_cast_assignment", music_video_id=video["id"],
                    assignment_id=a["id"], patch={"confirmed": True})
    assert (err.sqlstate, err.message) == ("PT404", "Cast assignment not found")
    stranger = factory.user()
    err = rpc_error(conn, stranger.claims(), "update_music_video_cast_assignment", music_video_id=other["id"],
                    assignment_id=a["id"], remove=True)
    assert (err.sqlstate, err.message) == ("PT404", "Music video not found")
    err = rpc_error(conn, stranger.claims(), "assign_music_video_cast", music_video_id=other["id"],
                    cast_option_id=cast_id(conn, "Maya Chen"))
    assert err.sqlstate == "PT404"
    assert rpc_error(conn, ANON, "assign_music_video_cast", music_video_id=other["id"],
                     cast_option_id=cast_id(conn, "Maya Chen")).sqlstate == "42501"
    assert rpc_error(conn, ANON, "update_music_video_cast_assignment", music_video_id=other["id"],
                     assignment_id=a["id"], remove=True).sqlstate == "42501"
    assert count(conn, "select count(*) as n from public.music_video_cast_assignments") == 1
    # the service role may change any video's cast; another video's assignment is still a 404
    err = rpc_error(conn, SERVICE, "update_music_video_cast_assignment", music_video_id=video["id"],
                    assignment_id=a["id"], remove=True)
    assert (err.sqlstate, err.message) == ("PT404", "Cast assignment not found")
    body = rpc(conn, SERVICE, "update_music_video_cast_assignment", music_video_id=other["id"],
               assignment_id=a["id"], remove=True)
    assert body["assignment"] is None and body["cast_assignments"] == []
    assert count(conn, "select count(*) as n from public.music_video_cast_assignments") == 0


# --- platform targets ---------------------------------------------------------------------------------

YOUTUBE_URLS = [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s",
    "http://m.youtube.com/watch?v=dQw4w9WgXcQ#t=1m2s",
    "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVMdQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ?si=abc123&t=42",
    "youtu.be/dQw4w9WgXcQ",
    "https://www.youtube.com/embed/dQw4w9WgXcQ?autoplay=1",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ?feature=share",
    "https://www.youtube.com/live/dQw4w9WgXcQ?si=x",
    "https://www.youtube.com/v/dQw4w9WgXcQ?version=3",
    "  HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ  ",
]
NOT_YOUTUBE = [
    "https://vimeo.com/76979871",
    "https://www.youtube.com/watch?v=short",
    "https://www.youtube.com/channel/UC38IQsAvIsxxjztdMZQtwHA",
    "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?list=PL123",
    "dQw4w9WgXcQ",
]


@pytest.mark.parametrize("url", YOUTUBE_URLS)
def test_the_youtube_video_id_is_parsed_from_every_url_form(conn, owner, video, url):
    doc = rpc(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
              targets=[{"platform": "youtube", "launch_url": url}])
    [target] = doc["platform_targets"]
    assert target["external_id"] == "dQw4w9WgXcQ"


@pytest.mark.parametrize("url", NOT_YOUTUBE)
def test_a_url_without_a_youtube_video_is_refused(conn, owner, video, url):
    err = rpc_error(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
                    targets=[{"platform": "youtube", "launch_url": url}])
    assert err.sqlstate == "PT422"
    assert err.codes() == [("platform_targets[0].launch_url", "invalid_youtube_url")]


def test_targets_are_replaced_with_the_sync_strategy_in_one_call(conn, owner, video):
    old_id = video["platform_targets"][0]["id"]
    doc = rpc(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
              sync_strategy="scheduled",
              targets=[{"platform": "youtube", "external_id": "dQw4w9WgXcQ", "priority": 1, "auto_sync": False},
                       {"platform": "mtv", "launch_url": "https://www.mtv.com/video/abc", "priority": 2}])
    assert doc["sync_strategy"] == "scheduled"
    assert [(t["platform"], t["priority"], t["auto_sync"]) for t in doc["platform_targets"]] == [
        ("youtube", 1, False), ("mtv", 2, True)]
    assert doc["platform_targets"][0]["id"] == old_id  # the kept platform keeps its row
    doc = rpc(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
              targets=[{"platform": "youtube", "external_id": "dQw4w9WgXcQ"}])
    assert [t["platform"] for t in doc["platform_targets"]] == ["youtube"] and doc["sync_strategy"] == "scheduled"


def test_target_rules_apply_to_a_planned_video(conn, owner, video):
    def err(**kw):
        return rpc_error(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"], **kw)

    assert err(targets=[{"platform": "mtv"}]).codes() == [("platform_targets", "youtube_required")]
    assert err(targets=[]).codes() == [("platform_targets", "required")]
    assert err(targets=None).codes() == [("platform_targets", "required")]
    assert err().sqlstate == NO_SUCH_FUNCTION  # targets is a required parameter
    e = err(targets=[{"platform": "youtube", "external_id": "dQw4w9WgXcQ"}, {"platform": "youtube"},
                     {"platform": "myspace"}, {"platform": "vevo", "priority": -1}])
    assert set(e.codes()) == {("platform_targets[1].platform", "duplicate"),
                              ("platform_targets[2].platform", "invalid_choice"),
                              ("platform_targets[3].priority", "invalid_type")}
    # sync_strategy is the enum: an unknown strategy is the cast error
    assert err(targets=[{"platform": "youtube"}], sync_strategy="hourly").sqlstate == "22P02"
    e = err(targets=[{"platform": "youtube", "external_id": "aaaaaaaaaaa",
                      "launch_url": "https://youtu.be/dQw4w9WgXcQ"}])
    assert e.codes() == [("platform_targets[0].external_id", "mismatch")]
    # promo-only videos may drop YouTube
    rpc(conn, owner.claims(), "update_music_video", id=video["id"], patch={"promo_only": True})
    doc = rpc(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
              targets=[{"platform": "tiktok"}])
    assert [t["platform"] for t in doc["platform_targets"]] == ["tiktok"]


def test_platform_targets_access(conn, factory, video):
    stranger = factory.user()
    targets = [{"platform": "youtube", "external_id": "dQw4w9WgXcQ"}]
    err = rpc_error(conn, stranger.claims(), "set_music_video_platform_targets", music_video_id=video["id"],
                    targets=targets)
    assert (err.sqlstate, err.message) == ("PT404", "Music video not found")
    assert rpc_error(conn, ANON, "set_music_video_platform_targets", music_video_id=video["id"],
                     targets=targets).sqlstate == "42501"
    # the service role may set any video's targets
    body = rpc(conn, SERVICE, "set_music_video_platform_targets", music_video_id=video["id"], targets=targets)
    assert [(t["platform"], t["external_id"]) for t in body["platform_targets"]] == [("youtube", "dQw4w9WgXcQ")]
