"""list_music_videos(): the Music Videos tab's cards, counts and resume-draft, as PostgREST calls it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.helpers.plan_rpc import RpcError
from tests.helpers.reads import next_page, read, return_type
from workers.db import jwt_claims

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")


def rpc(conn, claims, **params):
    """The board page as the client receives it (a JSON array of cards)."""
    return read(conn, claims, "list_music_videos", **params)


def catalog_id(conn, table, name):
    return conn.execute(f"select id from public.{table} where name = %s", (name,)).fetchone()["id"]


def test_cards_carry_names_budget_kpis_latest_metrics_and_last_sync(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    theme = catalog_id(conn, "music_video_themes", "Neon Nights")
    style = catalog_id(conn, "music_video_art_styles", "Pastel Pop")
    band = catalog_id(conn, "music_video_budgets", "Standard")
    vid = factory.video(rel, "Midnight Drive", slug="midnight-drive", status="planned",
                        video_theme_id=theme, art_style_id=style, budget_band_id=band,
                        budget_estimate=60000, kpi_view_target=1_000_000,
                        kpi_chart_target="billboard_hot_100")
    now = datetime.now(UTC)
    ins = ("insert into public.music_video_metrics (music_video_id, platform, views_total, chart_position,"
           " source, collected_at, deleted_at) values (%s, %s, %s, %s, %s, %s, %s)")
    conn.execute(ins, (vid, "youtube", 1000, None, "youtube", now - timedelta(days=2), None))
    conn.execute(ins, (vid, "youtube", 1500, None, "youtube", now - timedelta(days=1), None))
    # the newest YouTube row was rolled back (soft-deleted): it must not show
    conn.execute(ins, (vid, "youtube", 999_999, None, "youtube", now, now))
    conn.execute(ins, (vid, "mtv", 300, None, "broadcast", now - timedelta(days=3), None))
    conn.execute(ins, (vid, "other", None, 12, "billboard_hot_100", now - timedelta(days=5), None))
    conn.execute(ins, (vid, "other", None, 4, "billboard_hot_100", now - timedelta(days=12), now))
    conn.execute("insert into public.music_video_metric_imports (music_video_id, source, status, created_at)"
                 " values (%s, 'youtube', 'succeeded', now() - interval '1 hour'),"
                 " (%s, 'charts', 'failed', now())", (vid, vid))

    [card] = rpc(conn, owner.claims(), release_id=rel)
    assert card["id"] == str(vid) and card["release_id"] == str(rel)
    assert card["title"] == "Midnight Drive" and card["slug"] == "midnight-drive"
    assert card["status"] == "planned"
    assert card["theme_name"] == "Neon Nights"
    assert card["art_style_name"] == "Pastel Pop"
    assert (card["budget_band_name"], card["budget_currency_code"]) == ("Standard", "USD")
    assert card["budget_estimate"] == 60000
    assert card["kpi_view_target"] == 1_000_000
    assert card["kpi_chart_target"] == "billboard_hot_100"
    assert card["kpi_chart_target_label"] == "Billboard Hot 100"
    assert card["views_by_platform"] == {"youtube": 1500, "mtv": 300}
    assert card["views_total"] == 1800
    assert card["chart_position"] == 12
    assert card["chart_source"] == "billboard_hot_100"
    assert card["last_sync_source"] == "charts" and card["last_sync_status"] == "failed"
    assert card["last_sync_created_at"] is not None and card["last_sync_completed_at"] is None
    # a card holds what a board card shows; the plan itself is get_music_video
    assert set(card) == {"id", "release_id", "title", "slug", "status", "theme_name", "art_style_name",
                         "budget_estimate", "budget_band_name", "budget_currency_code", "kpi_view_target",
                         "kpi_chart_target", "kpi_chart_target_label", "views_total", "views_by_platform",
                         "chart_position", "chart_source", "last_sync_status", "last_sync_source",
                         "last_sync_created_at", "last_sync_completed_at", "created_at", "updated_at",
                         "next_cursor"}
    assert card["next_cursor"] is None


def test_counts_and_resume_draft(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    other_rel = factory.release(owner, title="Another")
    for status, n in {"planned": 3, "in_production": 2, "released": 1, "archived": 1}.items():
        for i in range(n):
            factory.video(rel, f"{status} {i}", status=status)
    factory.video(rel, "Old draft", status="draft", updated_at=datetime.now(UTC) - timedelta(days=3))
    fresh = factory.video(rel, "Fresh draft", status="draft", wizard_step="budget",
                          wizard_state=json.dumps({"title": "Fresh draft"}))
    factory.video(other_rel, "Elsewhere", status="planned")

    # the badges: one row per status in the enum's order, zeros included, whatever the list's filter
    counts = read(conn, owner.claims(), "music_video_status_counts", release_id=rel)
    assert [(c["status"], c["videos"]) for c in counts] == [
        ("draft", 2), ("planned", 3), ("in_production", 2), ("post_production", 0), ("released", 1),
        ("archived", 1)]
    assert [c["title"] for c in rpc(conn, owner.claims(), release_id=rel, status=["released"])] == ["released 0"]
    [draft] = read(conn, owner.claims(), "music_video_resume_draft", release_id=rel)
    assert draft["id"] == str(fresh)
    assert draft["wizard_step"] == "budget"
    assert draft["wizard_state"] == {"title": "Fresh draft"}

    empty = factory.release(owner, title="Empty")
    assert rpc(conn, owner.claims(), release_id=empty) == []
    assert read(conn, owner.claims(), "music_video_resume_draft", release_id=empty) == []
    assert sum(c["videos"] for c in read(conn, owner.claims(), "music_video_status_counts", release_id=empty)) == 0


def test_keyset_pages_cover_every_row_once_even_with_ties(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    tie = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    ids = []
    for i in range(12):  # twelve videos share one created_at: the id breaks the tie
        ids.append(factory.video(rel, f"Tied {i}", created_at=tie))
    for i in range(11):
        ids.append(factory.video(rel, f"Spread {i}", created_at=tie + timedelta(minutes=i - 5)))
    expected = [str(r["id"]) for r in conn.execute(
        "select id from public.music_videos where release_id = %s order by created_at desc, id desc",
        (rel,)).fetchall()]

    seen, cursor, pages = [], None, 0
    while True:
        page = rpc(conn, owner.claims(), release_id=rel, page_size=5, **({"cursor": cursor} if cursor else {}))
        seen += [c["id"] for c in page]
        pages += 1
        cursor = next_page(page)
        if cursor is None:
            break
        assert len(page) == 5
    assert seen == expected
    assert len(set(seen)) == 23 and pages == 5

    # an exact multiple of the page size ends without an empty extra page
    page = rpc(conn, owner.claims(), release_id=rel, page_size=23)
    assert len(page) == 23 and next_page(page) is None


def test_status_filter_and_search_on_title_and_slug(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    factory.video(rel, "Summer Anthem", slug="summer-anthem", status="planned")
    factory.video(rel, "Winter Tale", slug="anthem-b-side", status="released")
    factory.video(rel, "Summer Reprise", slug="reprise", status="draft")
    factory.video(rel, "100% Real", slug="real", status="planned")

    def titles(**kw):
        return sorted(c["title"] for c in rpc(conn, owner.claims(), release_id=rel, **kw))

    assert titles(search="ANTHEM") == ["Summer Anthem", "Winter Tale"]  # title or slug, any case
    assert titles(search="summer", status=["planned", "released"]) == ["Summer Anthem"]
    assert titles(status=["planned"]) == ["100% Real", "Summer Anthem"]
    assert titles(status=[]) == titles()
    assert titles(search="%") == ["100% Real"]  # wildcards are literal
    assert titles(search="  ") == titles()

    # the badges stay release-wide whatever the list's filter
    assert rpc(conn, owner.claims(), release_id=rel, search="zzz") == []
    assert sum(c["videos"] for c in read(conn, owner.claims(), "music_video_status_counts", release_id=rel)) == 4


def test_bad_arguments_get_22023_with_field_problems(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    cursor_message = ("Invalid page cursor: pass the next_cursor of the previous page unchanged, or omit it for"
                      " the first page.")
    cases = [
        ({"cursor": "not-a-cursor"}, "cursor", "invalid_cursor", cursor_message),
        # a well-formed cursor of another endpoint (the history's keys)
        ({"cursor": "eyJwIjogInlvdXR1YmUifQ"}, "cursor", "invalid_cursor", cursor_message),
        ({"page_size": 0}, "page_size", "out_of_range", "page_size must be between 1 and 200."),
        ({"page_size": 201}, "page_size", "out_of_range", "page_size must be between 1 and 200."),
    ]
    for params, field, code, message in cases:
        with pytest.raises(RpcError) as exc:
            rpc(conn, owner.claims(), release_id=rel, **params)
        assert exc.value.sqlstate == "22023"
        assert exc.value.message == message
        assert exc.value.detail == {"problems": [{"field": field, "code": code, "message": message}]}
    # status is typed: an unknown label is refused by the parameter's type before the function runs
    with pytest.raises(RpcError) as exc:
        rpc(conn, owner.claims(), release_id=rel, status=["planned", "bogus"])
    assert exc.value.sqlstate == "22P02"


def test_other_users_and_missing_releases_get_the_same_pt404(conn, factory):
    owner, stranger, admin = factory.user(), factory.user(), factory.user(admin=True)
    rel = factory.release(owner)
    factory.video(rel, "Secret")
    missing = "00000000-0000-0000-0000-000000000000"
    for claims, release in [(stranger.claims(), rel), (admin.claims(), rel), (owner.claims(), missing),
                            (owner.claims(), "42")]:
        for name in ("list_music_videos", "music_video_status_counts", "music_video_resume_draft"):
            with pytest.raises(RpcError) as exc:
                read(conn, claims, name, release_id=release)
            assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Release not found")


def test_service_role_lists_any_release_and_anon_is_refused(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    factory.video(rel, "Visible to workers")
    assert [c["title"] for c in rpc(conn, SERVICE, release_id=rel)] == ["Visible to workers"]
    assert read(conn, SERVICE, "music_video_status_counts", release_id=rel)[0]["videos"] == 1

    for name in ("list_music_videos", "music_video_status_counts", "music_video_resume_draft"):
        with pytest.raises(RpcError) as exc:
            read(conn, ANON, name, release_id=rel)
        assert exc.value.sqlstate == "42501"
        assert f"permission denied for function {name}" in exc.value.message


def test_the_board_reads_return_typed_rows(conn):
    # what Supabase's type generator reads: setof a composite type, not json
    assert return_type(conn, "list_music_videos") == "SETOF music_video_card"
    assert return_type(conn, "music_video_status_counts") == "SETOF music_video_status_count"
    assert return_type(conn, "music_video_resume_draft") == "SETOF music_video_draft_ref"
    args = conn.execute("select pg_get_function_arguments('public.list_music_videos'::regproc) as a").fetchone()["a"]
    assert args == ("release_id text, status video_status_enum[] DEFAULT NULL::video_status_enum[],"
                    " search text DEFAULT NULL::text, cursor text DEFAULT NULL::text, page_size integer DEFAULT 50")


def test_card_metrics_follow_later_soft_deletes_updates_and_deletes(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "Moving numbers")
    now = datetime.now(UTC)
    ids = [conn.execute(
        "insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
        " values (%s, 'youtube', %s, %s) returning id", (vid, views, now - timedelta(days=age))).fetchone()["id"]
        for views, age in [(100, 3), (200, 2), (300, 1)]]

    def metrics():
        card = rpc(conn, owner.claims(), release_id=rel)[0]
        return {k: card[k] for k in ("views_total", "views_by_platform", "chart_position", "chart_source")}

    assert metrics()["views_by_platform"] == {"youtube": 300}
    # an import batch rolled back: its row is soft-deleted, the card falls back to the one before
    conn.execute("update public.music_video_metrics set deleted_at = now() where id = %s", (ids[2],))
    assert metrics()["views_by_platform"] == {"youtube": 200}
    # an admin override corrects a number in place
    conn.execute("update public.music_video_metrics set views_total = 250 where id = %s", (ids[1],))
    assert metrics()["views_total"] == 250
    conn.execute("delete from public.music_video_metrics where music_video_id = %s", (vid,))
    assert metrics() == {"views_total": None, "views_by_platform": {}, "chart_position": None,
                         "chart_source": None}


def test_concurrent_metric_writers_neither_deadlock_nor_lose_each_others_rows(db_url, conn, factory):
    # Two transactions write the same two videos in crossing order (as two workers' upserts can).
    # The summaries are refreshed at commit in one ordered batch, so neither waits on the other
    # mid-transaction, and the card shows every committed row afterwards.
    owner = factory.user()
    rel = factory.release(owner)
    v1, v2 = factory.video(rel, "One"), factory.video(rel, "Two")
    ins = ("insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
           " values (%s, %s, %s, now())")
    with psycopg.connect(db_url) as a, psycopg.connect(db_url) as b:
        a.execute("set statement_timeout = '10s'")
        b.execute("set statement_timeout = '10s'")
        a.execute(ins, (v1, "youtube", 1))
        b.execute(ins, (v2, "youtube", 2))
        a.execute(ins, (v2, "mtv", 3))   # would wait on b under per-statement locking
        b.execute(ins, (v1, "mtv", 4))
        b.commit()  # b's refresh cannot see a's uncommitted rows ...
        a.commit()  # ... a's refresh, after b committed, sees both
    cards = {c["title"]: c["views_by_platform"] for c in rpc(conn, owner.claims(), release_id=rel)}
    assert cards == {"One": {"youtube": 1, "mtv": 4}, "Two": {"youtube": 2, "mtv": 3}}


def test_card_last_sync_follows_the_job_and_heartbeats_do_not_refresh(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "Syncing")
    job = conn.execute("insert into public.music_video_metric_imports (music_video_id, source)"
                       " values (%s, 'youtube') returning id", (vid,)).fetchone()["id"]

    def last_sync():
        card = rpc(conn, owner.claims(), release_id=rel)[0]
        if card["last_sync_status"] is None:
            return None
        return {k: card["last_sync_" + k] for k in ("status", "source", "created_at", "completed_at")}

    assert (last_sync()["source"], last_sync()["status"], last_sync()["completed_at"]) == ("youtube", "pending", None)
    conn.execute("update public.music_video_metric_imports set status = 'processing', locked_by = 'w1',"
                 " locked_until = now() + interval '1 minute' where id = %s", (job,))
    assert last_sync()["status"] == "processing"
    stamp = conn.execute("select updated_at from private.music_video_metric_summaries"
                         " where music_video_id = %s", (vid,)).fetchone()["updated_at"]
    conn.execute("update public.music_video_metric_imports set heartbeat_at = now() where id = %s", (job,))
    assert conn.execute("select updated_at from private.music_video_metric_summaries"
                        " where music_video_id = %s", (vid,)).fetchone()["updated_at"] == stamp
    conn.execute("update public.music_video_metric_imports set status = 'failed', error_message = 'quota',"
                 " completed_at = now() where id = %s", (job,))
    done = last_sync()
    assert done["status"] == "failed" and done["completed_at"] is not None
    conn.execute("delete from public.music_video_metric_imports where id = %s", (job,))
    assert last_sync() is None


def test_card_keeps_its_views_through_job_updates_and_an_import_moved_away_leaves_both_cards_right(conn, factory):
    # An update that keeps the import's video refreshes only the card's last sync (20261202040100);
    # one that moves the import to another video recomputes both cards in full.
    owner = factory.user()
    rel = factory.release(owner)
    one, two = factory.video(rel, "One"), factory.video(rel, "Two")
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
                 " values (%s, 'youtube', 7, now() - interval '1 hour')", (one,))
    job = conn.execute("insert into public.music_video_metric_imports (music_video_id, source)"
                       " values (%s, 'youtube') returning id", (one,)).fetchone()["id"]

    def cards():
        return {c["title"]: (c["views_total"], c["views_by_platform"], c["last_sync_status"])
                for c in rpc(conn, owner.claims(), release_id=rel)}

    conn.execute("update public.music_video_metric_imports set status = 'processing', locked_by = 'w1',"
                 " locked_until = now() + interval '1 minute' where id = %s", (job,))
    assert cards() == {"One": (7, {"youtube": 7}, "processing"), "Two": (None, {}, None)}
    conn.execute("update public.music_video_metric_imports set music_video_id = %s where id = %s", (two, job))
    assert cards() == {"One": (7, {"youtube": 7}, None), "Two": (None, {}, "processing")}
    conn.execute("update public.music_video_metric_imports set status = 'succeeded', completed_at = now(),"
                 " locked_by = null, locked_until = null where id = %s", (job,))
    assert cards() == {"One": (7, {"youtube": 7}, None), "Two": (None, {}, "succeeded")}
