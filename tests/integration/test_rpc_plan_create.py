"""create_music_video and get_music_video as PostgREST calls them: the full plan in one transaction,
every rule of spec 4.3 in its allowed and refused case, typed errors, and who may call."""

from __future__ import annotations

import pytest

from tests.helpers.plan_rpc import (
    ANON,
    NO_SUCH_FUNCTION,
    SERVICE,
    cast_id,
    catalog_id,
    count,
    future,
    rpc,
    rpc_error,
    today,
    valid_plan,
)
from tests.helpers.reads import panel


def create(conn, user, plan):
    return rpc(conn, user.claims(), "create_music_video", **plan)


def create_error(conn, user, plan):
    return rpc_error(conn, user.claims(), "create_music_video", **plan)


def test_create_writes_video_line_items_cast_and_targets_and_returns_the_full_plan(conn, owner, release):
    plan = valid_plan(conn, release, title="Café Nights!", cast_assignments=[
        {"cast_option_id": cast_id(conn, "Sam Okafor"), "cost_estimate": 5000, "confirmed": True}])
    doc = create(conn, owner, plan)
    assert doc["status"] == "planned" and doc["submitted_at"] is not None
    assert doc["slug"] == "cafe-nights"
    assert doc["release_id"] == str(release)
    assert doc["theme"]["name"] == "Neon Nights" and doc["art_style"]["name"] == "Cyberpunk Neon"
    assert doc["budget_band"]["name"] == "Standard"
    assert doc["chart_source"]["id"] == "billboard_hot_100"
    assert [(li["category"], li["amount"]) for li in doc["line_items"]] == [("direction", 30000), ("post", 20000)]
    [ca] = doc["cast_assignments"]
    assert ca["name"] == "Sam Okafor" and ca["confirmed"] is True and ca["projected_cost"] == 5000
    [pt] = doc["platform_targets"]
    assert pt["platform"] == "youtube" and pt["external_id"] == "dQw4w9WgXcQ"
    assert doc["budget"]["allocation_total"] == 50000 and doc["budget"]["projected_total"] == 55000
    assert doc["warnings"] == [] and doc["open_problems"] == [] and doc["availability_conflicts"] == []
    moves = [(h["from_status"], h["to_status"]) for h in doc["status_history"]]
    assert moves == [(None, "draft"), ("draft", "planned")]
    assert all(h["changed_by"] == str(owner.id) for h in doc["status_history"])
    # what get_music_video answers is the same document
    again = panel(conn, owner.claims(), doc["id"])
    assert again["id"] == doc["id"] and again["line_items"] == doc["line_items"]
    assert count(conn, "select count(*) as n from public.music_video_platform_targets where music_video_id = %s",
                 doc["id"]) == 1


REQUIRED = ["title", "video_theme_id", "art_style_id", "budget_band_id", "quality_tier", "target_release_date",
            "platform_targets"]


def test_every_missing_required_field_is_reported_together(conn, owner, release):
    err = create_error(conn, owner, {"release_id": str(release), **dict.fromkeys(REQUIRED)})
    assert err.sqlstate == "PT422"
    fields = {f for f, _ in err.codes()}
    assert set(REQUIRED) <= fields
    assert err.message.startswith(f"The plan has {len(err.problems)} problems: ")
    assert "Give the video a title." in err.message
    assert count(conn, "select count(*) as n from public.music_videos") == 0


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_alone(conn, owner, release, field):
    err = create_error(conn, owner, valid_plan(conn, release, **{field: None}))
    assert err.sqlstate == "PT422"
    assert err.codes() == [(field, "required")]


@pytest.mark.parametrize("field", ["release_id", *REQUIRED])
def test_leaving_out_a_required_parameter_is_postgrest_function_not_found(conn, owner, release, field):
    plan = valid_plan(conn, release)
    plan.pop(field)
    err = create_error(conn, owner, plan)
    assert err.sqlstate == NO_SUCH_FUNCTION
    assert count(conn, "select count(*) as n from public.music_videos") == 0


def test_field_errors_come_with_paths_and_nothing_is_stored(conn, owner, release):
    plan = valid_plan(conn, release, video_theme_id="not-a-uuid",
                      line_items=[{"category": "catering", "amount": -5}],
                      platform_targets=[{"platform": "youtube", "launch_url": "https://vimeo.com/1"}])
    err = create_error(conn, owner, plan)
    assert err.sqlstate == "PT422"
    codes = set(err.codes())
    assert {("video_theme_id", "unknown"), ("line_items[0].category", "invalid_choice"),
            ("line_items[0].amount", "negative"),
            ("platform_targets[0].launch_url", "invalid_youtube_url")} <= codes
    # "not in the catalog" is not repeated as "choose a theme"
    assert ("video_theme_id", "required") not in codes
    assert count(conn, "select count(*) as n from public.music_videos") == 0


@pytest.mark.parametrize("field, value, sqlstate", [
    ("kpi_view_target", "12.5", "22P02"), ("budget_estimate", "lots", "22P02"),
    ("shoot_end_date", "2027-02-30", "22008"), ("target_release_date", "next week", "22007"),
    ("quality_tier", "blockbuster", "22P02"), ("primary_platform", "myspace", "22P02"),
    ("sync_strategy", "hourly", "22P02"), ("promo_only", "maybe", "22P02"), ("promo_only", 2, "22P02"),
])
def test_a_wrong_typed_value_is_the_cast_error_postgrest_answers(conn, owner, release, field, value, sqlstate):
    err = create_error(conn, owner, valid_plan(conn, release, **{field: value}))
    assert err.sqlstate == sqlstate, err
    assert count(conn, "select count(*) as n from public.music_videos") == 0


def test_numbers_and_booleans_travel_as_json_numbers_and_booleans(conn, owner, release):
    doc = create(conn, owner, valid_plan(conn, release, budget_estimate=60000, kpi_view_target=2_000_000,
                                         promo_only=True, platform_targets=[{"platform": "mtv"}],
                                         primary_platform="mtv", sync_strategy="scheduled"))
    assert (doc["budget_estimate"], doc["kpi_view_target"], doc["promo_only"]) == (60000, 2_000_000, True)
    assert (doc["primary_platform"], doc["sync_strategy"]) == ("mtv", "scheduled")


def test_a_bad_cast_option_id_leaves_no_video_behind(conn, owner, release):
    plan = valid_plan(conn, release, cast_assignments=[
        {"cast_option_id": cast_id(conn, "Sam Okafor")},
        {"cast_option_id": "00000000-0000-0000-0000-000000000000"}])
    err = create_error(conn, owner, plan)
    assert err.sqlstate == "PT422"
    assert err.codes() == [("cast_assignments[1].cast_option_id", "unknown")]
    for table in ["music_videos", "music_video_budget_line_items", "music_video_cast_assignments",
                  "music_video_platform_targets", "music_video_status_history"]:
        assert count(conn, f"select count(*) as n from public.{table}") == 0, table


# --- slug -------------------------------------------------------------------------------------

def test_slug_is_generated_from_the_title_and_deduplicated(conn, owner, release):
    slugs = [create(conn, owner, valid_plan(conn, release, title="Ünïcode Fever: Part 1"))["slug"]
             for _ in range(3)]
    assert slugs == ["unicode-fever-part-1", "unicode-fever-part-1-2", "unicode-fever-part-1-3"]
    # a slug the user requested that looks like a generated one is respected; generation skips it
    assert create(conn, owner, valid_plan(conn, release, title="x", slug="unicode-fever-part-1-4"))["slug"] == \
        "unicode-fever-part-1-4"
    assert create(conn, owner, valid_plan(conn, release, title="Ünïcode Fever: Part 1"))["slug"] == \
        "unicode-fever-part-1-5"


def test_a_title_without_latin_letters_gets_a_fallback_slug(conn, owner, release):
    assert create(conn, owner, valid_plan(conn, release, title="夜の街"))["slug"] == "video"


def test_the_same_slug_on_another_release_is_fine(conn, factory, owner, release):
    other = factory.release(owner, title="Second")
    a = create(conn, owner, valid_plan(conn, release, slug="launch"))
    b = create(conn, owner, valid_plan(conn, other, slug="launch"))
    assert a["slug"] == b["slug"] == "launch"


def test_a_second_request_for_a_taken_slug_is_a_409(conn, owner, release):
    create(conn, owner, valid_plan(conn, release, slug="launch"))
    err = create_error(conn, owner, valid_plan(conn, release, slug="launch", title="Another"))
    assert err.sqlstate == "PT409"
    assert err.message == 'A video with slug "launch" already exists for this release.'
    assert err.codes() == [("slug", "slug_taken")]
    assert count(conn, "select count(*) as n from public.music_videos") == 1


def test_a_taken_slug_with_other_problems_is_reported_with_them(conn, owner, release):
    create(conn, owner, valid_plan(conn, release, slug="launch"))
    err = create_error(conn, owner, valid_plan(conn, release, slug="launch", quality_tier=None))
    assert err.sqlstate == "PT422"
    assert set(err.codes()) == {("slug", "slug_taken"), ("quality_tier", "required")}


def test_a_malformed_slug_is_refused_with_a_suggestion(conn, owner, release):
    err = create_error(conn, owner, valid_plan(conn, release, slug="My Slug!"))
    assert err.sqlstate == "PT422"
    assert err.codes() == [("slug", "invalid_format")]
    assert '"my-slug"' in err.problems[0]["message"]


# --- platforms, KPIs -------------------------------------------------------------------------------

def test_youtube_is_required_unless_promo_only(conn, owner, release):
    mtv_only = [{"platform": "mtv"}]
    err = create_error(conn, owner, valid_plan(conn, release, platform_targets=mtv_only))
    assert err.sqlstate == "PT422" and err.codes() == [("platform_targets", "youtube_required")]
    doc = create(conn, owner, valid_plan(conn, release, platform_targets=mtv_only, promo_only=True))
    assert doc["promo_only"] is True and [t["platform"] for t in doc["platform_targets"]] == ["mtv"]


@pytest.mark.parametrize("value, outcome", [(0, None), (5_000_000, None), (-1, "negative"), (2.5, "22P02"),
                                            ("lots", "22P02"), (2**40, "22003")])
def test_kpi_view_target_is_a_non_negative_integer(conn, owner, release, value, outcome):
    plan = valid_plan(conn, release, kpi_view_target=value)
    if outcome is None:
        assert create(conn, owner, plan)["kpi_view_target"] == value
    elif outcome == "negative":
        err = create_error(conn, owner, plan)
        assert err.sqlstate == "PT422"
        assert err.codes() == [("kpi_view_target", "negative")]
    else:  # not an integer: PostgREST's conversion of the JSON body refuses it
        assert create_error(conn, owner, plan).sqlstate == outcome


def test_chart_target_must_be_a_recognised_chart(conn, owner, release):
    err = create_error(conn, owner, valid_plan(conn, release, kpi_chart_target="my_blog_top_10"))
    assert err.codes() == [("kpi_chart_target", "unknown_chart_source")]
    assert "billboard_hot_100" in err.problems[0]["message"]
    assert create(conn, owner, valid_plan(conn, release, kpi_chart_target="spotify_global_weekly"))[
        "kpi_chart_target"] == "spotify_global_weekly"


# --- dates -------------------------------------------------------------------------------------------

def test_shoot_must_not_end_before_it_starts(conn, owner, release):
    err = create_error(conn, owner, valid_plan(conn, release, shoot_start_date=future(30), shoot_end_date=future(29)))
    assert err.codes() == [("shoot_end_date", "before_start")]
    doc = create(conn, owner, valid_plan(conn, release, shoot_start_date=future(30), shoot_end_date=future(30)))
    assert doc["shoot_start_date"] == doc["shoot_end_date"] == future(30)


def test_shoot_may_start_today_but_not_in_the_past(conn, owner, release):
    err = create_error(conn, owner, valid_plan(conn, release, shoot_start_date=future(-1), shoot_end_date=future(1)))
    assert err.codes() == [("shoot_start_date", "in_past")]
    assert today().isoformat() in err.problems[0]["message"]
    assert create(conn, owner, valid_plan(conn, release, shoot_start_date=future(0)))["shoot_start_date"] == future(0)


# --- budget ------------------------------------------------------------------------------------------

def items(*amounts):
    cats = ["direction", "cinematography", "post", "marketing"]
    return [{"category": c, "amount": a} for c, a in zip(cats, amounts, strict=False)]


def test_allocations_below_the_band_are_refused(conn, owner, release):
    err = create_error(conn, owner, valid_plan(conn, release, line_items=items(10000, 5000)))
    assert err.codes() == [("line_items", "budget_below_band")]
    assert "15000 USD" in err.message and "25000 USD" in err.message
    # no line items at all is a total of 0, also below the band
    assert create_error(conn, owner, valid_plan(conn, release, line_items=None)).codes() == [
        ("line_items", "budget_below_band")]


def test_allocations_at_the_band_edges_pass(conn, owner, release):
    assert create(conn, owner, valid_plan(conn, release, line_items=items(25000)))["warnings"] == []
    assert create(conn, owner, valid_plan(conn, release, line_items=items(60000, 40000)))["warnings"] == []


def test_over_the_band_within_contingency_warns_and_beyond_is_a_hard_stop(conn, owner, release):
    doc = create(conn, owner, valid_plan(conn, release, line_items=items(60000, 45000)))  # 105000 = 100000 + 5%
    assert [w["code"] for w in doc["warnings"]] == ["budget_over_band"]
    assert doc["budget"]["hard_limit"] == 105000
    err = create_error(conn, owner, valid_plan(conn, release, line_items=items(60000, 45001)))
    assert err.sqlstate == "PT422" and err.codes() == [("line_items", "budget_over_contingency")]
    assert "105000 USD" in err.message


def test_the_contingency_is_an_admin_setting(conn, owner, release):
    conn.execute("update public.music_video_settings set value = '10' where key = 'budget_contingency_pct'")
    doc = create(conn, owner, valid_plan(conn, release, line_items=items(60000, 50000)))  # 110000
    assert doc["budget"]["contingency_pct"] == 10 and doc["budget"]["hard_limit"] == 110000
    assert [w["code"] for w in doc["warnings"]] == ["budget_over_band"]
    conn.execute("update public.music_video_settings set value = '0' where key = 'budget_contingency_pct'")
    err = create_error(conn, owner, valid_plan(conn, release, line_items=items(60000, 40001)))
    assert err.codes() == [("line_items", "budget_over_contingency")]


def test_cast_multipliers_pushing_over_the_band_warn_but_do_not_block(conn, owner, release):
    # 90000 allocated + Maya Chen 10000 * 1.5 = 105000 projected > 100000
    plan = valid_plan(conn, release, line_items=items(50000, 40000),
                      cast_assignments=[{"cast_option_id": cast_id(conn, "Maya Chen"), "cost_estimate": 10000}])
    doc = create(conn, owner, plan)
    assert doc["status"] == "planned"
    assert doc["budget"]["cast_cost_total"] == 15000 and doc["budget"]["projected_total"] == 105000
    [warning] = doc["warnings"]
    assert warning["code"] == "cast_cost_over_band" and "105000 USD" in warning["message"]


# --- cast availability --------------------------------------------------------------------------------

def test_a_cast_option_unavailable_on_a_shoot_day_blocks_with_the_dates(conn, owner, release):
    conn.execute("update public.music_video_cast_options set availability = %s where name = 'Jordan Blake'",
                 (f'{{"unavailable": [{{"from": "{future(50)}", "to": "{future(60)}", "reason": "tour"}}]}}',))
    plan = valid_plan(conn, release, shoot_start_date=future(58), shoot_end_date=future(62),
                      cast_assignments=[{"cast_option_id": cast_id(conn, "Jordan Blake")}])
    err = create_error(conn, owner, plan)
    assert err.sqlstate == "PT422"
    assert err.codes() == [("cast_assignments", "cast_unavailable")]
    msg = err.problems[0]["message"]
    assert f"unavailable from {future(50)} to {future(60)} (tour)" in msg and future(58) in msg
    assert err.problems[0]["conflict"]["from"] == future(50)
    # the day after the unavailability ends is fine
    ok = create(conn, owner, dict(plan, shoot_start_date=future(61), shoot_end_date=future(62)))
    assert ok["availability_conflicts"] == []


def test_a_cast_option_confirmed_on_another_overlapping_shoot_blocks_and_names_the_video(conn, factory, owner,
                                                                                        release):
    sam = cast_id(conn, "Sam Okafor")
    first = create(conn, owner, valid_plan(conn, release, title="First Shoot", shoot_start_date=future(40),
                                           shoot_end_date=future(42),
                                           cast_assignments=[{"cast_option_id": sam, "confirmed": True}]))
    err = create_error(conn, owner, valid_plan(conn, release, title="Second", shoot_start_date=future(42),
                                               shoot_end_date=future(44),
                                               cast_assignments=[{"cast_option_id": sam}]))
    assert err.codes() == [("cast_assignments", "cast_double_booked")]
    assert '"First Shoot"' in err.message and future(40) in err.message
    assert err.problems[0]["conflict"]["conflicting_video_id"] == first["id"]
    # not overlapping: fine
    create(conn, owner, valid_plan(conn, release, title="Third", shoot_start_date=future(43),
                                   shoot_end_date=future(44), cast_assignments=[{"cast_option_id": sam}]))
    # another owner's booking blocks too, without revealing that video
    stranger = factory.user()
    err = create_error(conn, stranger, valid_plan(conn, factory.release(stranger), shoot_start_date=future(41),
                                                  cast_assignments=[{"cast_option_id": sam}]))
    assert err.codes() == [("cast_assignments", "cast_double_booked")]
    assert "another release's video" in err.message and "First Shoot" not in err.message
    assert err.problems[0]["conflict"]["conflicting_video_id"] is None


def test_unconfirmed_bookings_elsewhere_do_not_block(conn, owner, release):
    sam = cast_id(conn, "Sam Okafor")
    create(conn, owner, valid_plan(conn, release, cast_assignments=[{"cast_option_id": sam}]))
    create(conn, owner, valid_plan(conn, release, cast_assignments=[{"cast_option_id": sam}]))  # not refused
    assert count(conn, "select count(*) as n from public.music_video_cast_assignments where cast_option_id = %s",
                 sam) == 2


# --- access ----------------------------------------------------------------------------------------

def test_another_users_release_is_a_404_and_nothing_is_written(conn, factory, owner, release):
    stranger = factory.user()
    err = create_error(conn, stranger, valid_plan(conn, release))
    assert (err.sqlstate, err.message) == ("PT404", "Release not found")
    for bad in ["nope", "", "00000000-0000-0000-0000-000000000000"]:
        assert create_error(conn, owner, dict(valid_plan(conn, release), release_id=bad)).sqlstate == "PT404"
    assert count(conn, "select count(*) as n from public.music_videos") == 0


def test_anon_cannot_call_the_write_rpcs(conn, owner, release):
    plan = valid_plan(conn, release)
    assert rpc_error(conn, ANON, "create_music_video", **plan).sqlstate == "42501"
    doc = create(conn, owner, plan)
    assert rpc_error(conn, ANON, "get_music_video", id=doc["id"]).sqlstate == "42501"
    assert rpc_error(conn, ANON, "update_music_video", id=doc["id"], patch={"title": "x"}).sqlstate == "42501"


def test_the_service_role_creates_reads_and_changes_any_users_plan(conn, owner, release):
    # Operators and the Python services act as the service role: it bypasses RLS, so the plan
    # RPCs let it act on any release; a missing release or video is still the same PT404.
    doc = rpc(conn, SERVICE, "create_music_video", **valid_plan(conn, release, title="By the service"))
    assert (doc["status"], doc["title"], doc["release_id"]) == ("planned", "By the service", str(release))
    mine = create(conn, owner, valid_plan(conn, release, title="By the owner"))
    got = panel(conn, SERVICE, mine["id"])
    assert got == panel(conn, owner.claims(), mine["id"])
    changed = rpc(conn, SERVICE, "update_music_video", id=mine["id"], patch={"title": "Retitled"})
    assert changed["title"] == "Retitled"
    assert panel(conn, owner.claims(), doc["id"])["title"] == "By the service"
    missing = "00000000-0000-0000-0000-000000000000"
    err = rpc_error(conn, SERVICE, "get_music_video", id=missing)
    assert (err.sqlstate, err.message) == ("PT404", "Music video not found")
    err = rpc_error(conn, SERVICE, "create_music_video", **dict(valid_plan(conn, release), release_id=missing))
    assert (err.sqlstate, err.message) == ("PT404", "Release not found")


def test_get_music_video_is_a_404_for_strangers_and_bad_ids(conn, factory, owner, release):
    doc = create(conn, owner, valid_plan(conn, release))
    stranger = factory.user()
    for who, vid in [(stranger, doc["id"]), (owner, "00000000-0000-0000-0000-000000000000"), (owner, "x")]:
        err = rpc_error(conn, who.claims(), "get_music_video", id=vid)
        assert (err.sqlstate, err.message) == ("PT404", "Music video not found")


def test_get_music_video_latest_live_metric_per_platform_and_latest_import_per_source(conn, owner, release):
    vid = create(conn, owner, valid_plan(conn, release))["id"]
    ins = ("insert into public.music_video_metrics (music_video_id, platform, views_total, source, collected_at,"
           " deleted_at) values (%s, %s, %s, %s, now() - make_interval(days => %s), %s)")
    conn.execute(ins, (vid, "youtube", 100, "youtube", 3, None))
    conn.execute(ins, (vid, "youtube", 200, "youtube", 2, None))
    conn.execute(ins, (vid, "youtube", 999, "youtube", 1, "2026-01-01"))  # rolled back: soft-deleted
    conn.execute(ins, (vid, "mtv", 50, "broadcast", 5, None))
    conn.execute("delete from public.music_video_metric_imports where music_video_id = %s", (vid,))
    conn.execute("insert into public.music_video_metric_imports (music_video_id, source, status, created_at) values"
                 " (%s, 'youtube', 'failed', now() - interval '2 hours'),"
                 " (%s, 'youtube', 'succeeded', now() - interval '1 hour'),"
                 " (%s, 'charts', 'failed', now())", (vid, vid, vid))
    doc = panel(conn, owner.claims(), vid)
    assert {m["platform"]: m["views_total"] for m in doc["latest_metrics"]} == {"youtube": 200, "mtv": 50}
    assert all("deleted_at" not in m for m in doc["latest_metrics"])
    assert {i["source"]: i["status"] for i in doc["latest_imports"]} == {"youtube": "succeeded", "charts": "failed"}


def test_ids_of_catalog_entries_are_checked(conn, owner, release):
    band = catalog_id(conn, "music_video_budgets", "Standard")
    err = create_error(conn, owner, valid_plan(conn, release, art_style_id=band))
    assert err.codes() == [("art_style_id", "unknown")]
