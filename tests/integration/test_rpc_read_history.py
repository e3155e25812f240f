"""music_video_metrics_history(): the history drawer's pages, as PostgREST calls it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.helpers.plan_rpc import RpcError
from tests.helpers.reads import next_page, read, return_type
from workers.db import jwt_claims

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def rpc(conn, claims, **params):
    """One page of samples as the client receives it (a JSON array of rows)."""
    return read(conn, claims, "music_video_metrics_history", **params)


def add_metrics(conn, vid, platform, days, *, deleted=()):
    for d in days:
        conn.execute(
            "insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at,"
            " deleted_at) values (%s, %s, %s, %s, %s)",
            (vid, platform, 1000 + d, T0 + timedelta(days=d), T0 if d in deleted else None))


def flatten(rows):
    return [(r["platform"], r["collected_at"], r["views_total"]) for r in rows]


@pytest.fixture
def video(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "History")
    add_metrics(conn, vid, "youtube", range(10), deleted={9, 4})
    add_metrics(conn, vid, "mtv", range(0, 20, 3))
    add_metrics(conn, vid, "other", range(5))
    return owner, vid


def test_rows_by_platform_newest_first_without_soft_deleted(conn, video):
    owner, vid = video
    rows = rpc(conn, owner.claims(), id=vid)
    assert [r["platform"] for r in rows] == ["youtube"] * 8 + ["mtv"] * 7 + ["other"] * 5
    youtube = [r["views_total"] for r in rows if r["platform"] == "youtube"]
    assert youtube == [1008, 1007, 1006, 1005, 1003, 1002, 1001, 1000]  # 1009 and 1004 were rolled back
    assert [r["views_total"] for r in rows if r["platform"] == "mtv"] == [1018, 1015, 1012, 1009, 1006, 1003, 1000]
    assert next_page(rows) is None
    assert set(rows[0]) == {"id", "platform", "views_total", "likes_total", "shares_total", "comments_total",
                            "favorites_total", "chart_position", "source", "collected_at", "synced_at",
                            "external_reference", "import_batch_id", "detail", "flags", "next_cursor"}
    assert rows[0]["flags"] == [] and rows[0]["detail"] == {}


def test_platform_and_date_range_filters(conn, video):
    owner, vid = video
    rows = rpc(conn, owner.claims(), id=vid, platforms=["mtv", "other"],
               collected_from=(T0 + timedelta(days=3)).date(), collected_to=(T0 + timedelta(days=12)).date())
    assert [(p, v) for p, _, v in flatten(rows)] == [
        ("mtv", 1012), ("mtv", 1009), ("mtv", 1006), ("mtv", 1003), ("other", 1004), ("other", 1003)]


def test_a_date_only_range_keeps_its_first_and_last_days_whole(conn, factory):
    owner = factory.user()
    vid = factory.video(factory.release(owner), "Last day")
    stamps = ["2026-10-04T23:59:59.999+00", "2026-10-05T00:00:00+00", "2026-10-05T12:00:00+00",
              "2026-10-07T23:59:59.999+00", "2026-10-08T00:00:00+00"]
    for i, at in enumerate(stamps):
        conn.execute("insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
                     " values (%s, 'youtube', %s, %s)", (vid, i, at))
    rows = rpc(conn, owner.claims(), id=vid, collected_from=date(2026, 10, 5), collected_to=date(2026, 10, 7))
    assert [r["views_total"] for r in rows] == [3, 2, 1]  # the last day's 23:59:59.999 is in, the next day's 00:00 out
    one_day = rpc(conn, owner.claims(), id=vid, collected_from="2026-10-07", collected_to="2026-10-07")
    assert [r["views_total"] for r in one_day] == [3]
    assert [r["views_total"] for r in rpc(conn, owner.claims(), id=vid, collected_to="2026-10-04")] == [0]
    assert [r["views_total"] for r in rpc(conn, owner.claims(), id=vid, collected_from="2026-10-08")] == [4]


def test_keyset_pages_cover_every_row_once(conn, video):
    owner, vid = video
    everything = flatten(rpc(conn, owner.claims(), id=vid))
    for size in (1, 4, 7, 20):
        seen, cursor = [], None
        while True:
            page = rpc(conn, owner.claims(), id=vid, page_size=size, **({"cursor": cursor} if cursor else {}))
            assert 0 < len(page) <= size
            seen += flatten(page)
            cursor = next_page(page)
            if cursor is None:
                break
        assert seen == everything, size
    # paging combined with a filter
    filtered = flatten(rpc(conn, owner.claims(), id=vid, platforms=["youtube", "other"]))
    seen, cursor = [], None
    while True:
        page = rpc(conn, owner.claims(), id=vid, platforms=["youtube", "other"],
                   page_size=3, **({"cursor": cursor} if cursor else {}))
        seen += flatten(page)
        cursor = next_page(page)
        if cursor is None:
            break
    assert seen == filtered and len(filtered) == 13


def test_other_users_and_missing_videos_get_the_same_pt404(conn, factory, video):
    _, vid = video
    stranger, admin = factory.user(), factory.user(admin=True)
    for claims, target in [(stranger.claims(), vid), (admin.claims(), vid),
                           (video[0].claims(), "00000000-0000-0000-0000-000000000000"),
                           (video[0].claims(), "not-a-uuid")]:
        with pytest.raises(RpcError) as exc:
            rpc(conn, claims, id=target)
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Music video not found")


def test_bad_arguments_get_22023_with_field_problems(conn, video):
    owner, vid = video
    cursor_message = ("Invalid page cursor: pass the next_cursor of the previous page unchanged, or omit it for"
                      " the first page.")
    cases = [
        ({"collected_from": "2026-10-03", "collected_to": "2026-10-01"}, "collected_to", "before_start",
         "collected_to must not be before collected_from (both dates are inclusive)."),
        ({"cursor": "eyJ4IjogMX0"}, "cursor", "invalid_cursor", cursor_message),
        ({"page_size": 501}, "page_size", "out_of_range", "page_size must be between 1 and 500."),
    ]
    for params, field, code, message in cases:
        with pytest.raises(RpcError) as exc:
            rpc(conn, owner.claims(), id=vid, **params)
        assert exc.value.sqlstate == "22023"
        assert exc.value.message == message
        assert exc.value.detail == {"problems": [{"field": field, "code": code, "message": message}]}
    # platforms and the dates are typed: PostgreSQL refuses a value of the wrong type itself
    for params in ({"platforms": ["youtube", "myspace"]}, {"collected_to": "yesterday-ish"}):
        with pytest.raises(RpcError) as exc:
            rpc(conn, owner.claims(), id=vid, **params)
        assert exc.value.sqlstate in {"22P02", "22007", "22008"}


def test_service_role_reads_any_video_and_anon_is_refused(conn, video):
    _, vid = video
    assert len(rpc(conn, SERVICE, id=vid)) == 20
    with pytest.raises(RpcError) as exc:
        rpc(conn, ANON, id=vid)
    assert "permission denied for function music_video_metrics_history" in exc.value.message


def test_history_returns_typed_rows(conn):
    assert return_type(conn, "music_video_metrics_history") == "SETOF music_video_metric_sample"
    args = conn.execute("select pg_get_function_identity_arguments('public.music_video_metrics_history'::regproc)"
                        " as a").fetchone()["a"]
    assert args == ("id text, platforms platform_enum[], collected_from date, collected_to date, cursor text,"
                    " page_size integer")
