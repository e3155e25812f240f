"""The board's and panels' reads return typed rows (issue 12, sections 1-2), one function per name,
callable by the signed-in and the service role only; the panel's columns are the plan document's
keys; and who gets which rows from the chart history, the import errors and the panel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers.plan_rpc import ANON, SERVICE, RpcError
from tests.helpers.reads import panel, read, return_type

# each read and the composite type of its rows (what Supabase's type generator reads)
READS = {
    "list_music_videos": "music_video_card",
    "music_video_status_counts": "music_video_status_count",
    "music_video_resume_draft": "music_video_draft_ref",
    "music_video_deep_link": "music_video_deep_link_view",
    "get_music_video": "music_video_panel",
    "music_video_metrics_history": "music_video_metric_sample",
    "music_video_trends": "music_video_trend",
    "music_video_chart_history": "music_video_chart_week",
    "music_video_import_errors": "music_video_import_error",
    "music_video_catalogs": "music_video_catalog_set",
    "music_video_concept_suggestions": "music_video_concept_suggestion",
}


@pytest.mark.parametrize(("name", "row_type"), READS.items())
def test_each_read_returns_setof_its_composite_type_and_has_one_definition(conn, name, row_type):
    assert return_type(conn, name) == f"SETOF {row_type}"
    procs = conn.execute(
        "select p.prokind, p.provolatile, has_function_privilege('anon', p.oid, 'execute') as anon,"
        " has_function_privilege('authenticated', p.oid, 'execute') as auth,"
        " has_function_privilege('service_role', p.oid, 'execute') as service,"
        " p.proconfig from pg_proc as p where p.pronamespace = 'public'::regnamespace and p.proname = %s",
        (name,)).fetchall()
    assert len(procs) == 1, f"{name}: PostgREST cannot choose between overloads"
    [p] = procs
    assert (p["prokind"], p["provolatile"]) == ("f", "s")  # stable: PostgREST serves it over GET
    assert (p["anon"], p["auth"], p["service"]) == (False, True, True)
    assert p["proconfig"] == ['search_path=""']
    # the row type is a composite type the API roles may use
    assert conn.execute("select has_type_privilege('authenticated', %s, 'usage') as ok",
                        (f"public.{row_type}",)).fetchone()["ok"]


def test_the_panel_columns_are_the_plan_documents_keys(conn, factory, owner, release):
    vid = factory.video(release, "Keys")
    doc = conn.execute("select private.music_video_document(%s) as d", (vid,)).fetchone()["d"]
    cols = [r["attname"] for r in conn.execute(
        "select attname from pg_attribute where attrelid = 'public.music_video_panel'::regclass and attnum > 0"
        " and not attisdropped order by attnum").fetchall()]
    assert sorted(cols) == sorted(doc)  # a key the document gains must become a column too
    row = panel(conn, owner.claims(), vid)
    assert row["id"] == str(vid) and row["title"] == "Keys" and row["status"] == "draft"
    assert row["line_items"] == [] and row["promo_only"] is False


def test_who_reads_the_panel(conn, factory, owner, release):
    vid = factory.video(release, "Panel")
    stranger, admin = factory.user(), factory.user(admin=True)
    assert panel(conn, owner.claims(), vid)["id"] == str(vid)
    assert panel(conn, SERVICE, vid)["id"] == str(vid)
    for claims, target in [(stranger.claims(), vid), (admin.claims(), vid), (owner.claims(), "nope")]:
        with pytest.raises(RpcError) as exc:
            read(conn, claims, "get_music_video", id=str(target))
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Music video not found")
    with pytest.raises(RpcError) as exc:
        read(conn, ANON, "get_music_video", id=str(vid))
    assert exc.value.sqlstate == "42501"


def test_who_reads_the_chart_history(conn, factory, owner, release):
    vid = factory.video(release, "Charted")
    for week, rank in ((datetime(2026, 8, 3, tzinfo=UTC), 5), (datetime(2026, 8, 17, tzinfo=UTC), 2)):
        conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source,"
                     " chart_position) values (%s, 'other', %s, 'billboard_hot_100', %s)", (vid, week, rank))
    rows = read(conn, owner.claims(), "music_video_chart_history", music_video_id=str(vid))
    assert [(r["week_start"], r["on_chart"], r["chart_position"], r["entry_kind"]) for r in rows] == [
        ("2026-08-17", True, 2, "re_entry"), ("2026-08-10", False, None, None), ("2026-08-03", True, 5, "new")]
    assert {(r["peak_position"], r["weeks_on_chart"], r["weeks_off_chart"], r["current_position"]) for r in rows} == {
        (2, 2, 1, 2)}
    # admins read any video's chart run (as before), the service role too; strangers get PT404
    admin, stranger = factory.user(admin=True), factory.user()
    assert read(conn, admin.claims(), "music_video_chart_history", music_video_id=str(vid)) == rows
    assert read(conn, SERVICE, "music_video_chart_history", music_video_id=str(vid)) == rows
    with pytest.raises(RpcError) as exc:
        read(conn, stranger.claims(), "music_video_chart_history", music_video_id=str(vid))
    assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Music video not found")
    with pytest.raises(RpcError) as exc:
        read(conn, ANON, "music_video_chart_history", music_video_id=str(vid))
    assert exc.value.sqlstate == "42501"
    message = "Unknown chart: nope; use an id from music_video_chart_sources, e.g. billboard_hot_100."
    with pytest.raises(RpcError) as exc:
        read(conn, owner.claims(), "music_video_chart_history", music_video_id=str(vid), chart="nope")
    assert (exc.value.sqlstate, exc.value.message) == ("22023", message)
    assert exc.value.detail == {"problems": [{"field": "chart", "code": "unknown_chart", "message": message}]}
    # no charted week: no row
    assert read(conn, owner.claims(), "music_video_chart_history", music_video_id=str(factory.video(release))) == []


def test_who_reads_the_import_errors_and_how_they_page(conn, factory, owner, release):
    vid = factory.video(release, "Imported")
    imp = conn.execute("insert into public.music_video_metric_imports (music_video_id, source, status)"
                       " values (%s, 'broadcast', 'partially_failed') returning id", (vid,)).fetchone()["id"]
    for line, col in ((2, "viewers"), (4, "air_date"), (4, "viewers"), (7, None)):
        conn.execute("insert into public.music_video_import_row_errors (import_id, music_video_id, line, column_name,"
                     " raw_value, reason) values (%s, %s, %s, %s, 'x', 'bad')", (imp, vid, line, col))
    page = read(conn, owner.claims(), "music_video_import_errors", import_id=str(imp), page_size=2)
    # a page never splits a line: line 4's two cells come together, the last row carries the cursor
    assert [(r["line"], r["column_name"], r["next_after_line"]) for r in page] == [
        (2, "viewers", None), (4, "air_date", None), (4, "viewers", 4)]
    assert {r["total"] for r in page} == {4}
    last = read(conn, owner.claims(), "music_video_import_errors", import_id=str(imp), after_line=4, page_size=2)
    assert [(r["line"], r["column_name"], r["raw_value"], r["reason"], r["next_after_line"]) for r in last] == [
        (7, None, "x", "bad", None)]
    admin, stranger = factory.user(admin=True), factory.user()
    assert len(read(conn, SERVICE, "music_video_import_errors", import_id=str(imp))) == 4
    assert len(read(conn, admin.claims(), "music_video_import_errors", import_id=str(imp))) == 4
    for claims, target in [(stranger.claims(), imp), (owner.claims(), "42")]:
        with pytest.raises(RpcError) as exc:
            read(conn, claims, "music_video_import_errors", import_id=str(target))
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Import not found")
    message = "page_size must be between 1 and 1000."
    with pytest.raises(RpcError) as exc:
        read(conn, owner.claims(), "music_video_import_errors", import_id=str(imp), page_size=0)
    assert exc.value.detail == {"problems": [{"field": "page_size", "code": "out_of_range", "message": message}]}


def test_trends_rows_per_platform_with_typed_series_and_who_reads_them(conn, factory, owner, release):
    vid = factory.video(release, "Trending", kpi_view_target=10_000)
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
                 " select %s, 'youtube', 1000 + 100 * d, date_trunc('day', now()) - d * interval '1 day'"
                 " from generate_series(0, 3) as d", (vid,))
    [row] = read(conn, owner.claims(), "music_video_trends", id=str(vid), days=3)
    assert row["platform"] == "youtube" and row["days"] == 3
    assert row["views_total"] == [1200, 1100, 1000]  # the last 3 UTC days, oldest first
    assert row["delta"] == [-100, -100, -100] and row["gap_days"] == [1, 1, 1]
    assert len(row["dates"]) == 3 and row["dates"] == sorted(row["dates"])
    assert (row["latest_views"], row["kpi_view_target"], row["kpi_views_total"]) == (1000, 10_000, 1000)
    assert row["kpi_state"] == "not_at_this_pace" and row["chart_position"] is None and row["source"] is None
    admin, stranger = factory.user(admin=True), factory.user()
    assert read(conn, SERVICE, "music_video_trends", id=str(vid), days=3) == [row]
    for claims in (stranger.claims(), admin.claims()):
        with pytest.raises(RpcError) as exc:
            read(conn, claims, "music_video_trends", id=str(vid))
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Music video not found")
    with pytest.raises(RpcError) as exc:
        read(conn, ANON, "music_video_trends", id=str(vid))
    assert exc.value.sqlstate == "42501"
    # a video without a live sample has no row
    assert read(conn, owner.claims(), "music_video_trends", id=str(factory.video(release))) == []
