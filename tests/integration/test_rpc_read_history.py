"""music_video_metrics_history(): the history drawer's pages, as PostgREST calls it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest

from workers.db import call_rpc, jwt_claims, postgrest_request

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def pg_array(values):
    """An array argument as PostgREST passes it from a query string (?platforms={a,b})."""
    return "{" + ",".join(values) + "}"


def rpc(conn, claims, **params):
    # as PostgREST passes them: ids as JSON strings, arrays as from a query string
    params = {k: pg_array(v) if isinstance(v, list) else str(v) if isinstance(v, UUID) else v
              for k, v in params.items()}
    with postgrest_request(conn, claims, method="GET") as c:
        return call_rpc(c, "music_video_metrics_history", params).body


def add_metrics(conn, vid, platform, days, *, deleted=()):
    for d in days:
        conn.execute(
            "insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at,"
            " deleted_at) values (%s, %s, %s, %s, %s)",
            (vid, platform, 1000 + d, T0 + timedelta(days=d), T0 if d in deleted else None))


def flatten(body):
    return [(g["platform"], r["collected_at"], r["views_total"]) for g in body["groups"] for r in g["rows"]]


@pytest.fixture
def video(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "History")
    add_metrics(conn, vid, "youtube", range(10), deleted={9, 4})
    add_metrics(conn, vid, "mtv", range(0, 20, 3))
    add_metrics(conn, vid, "other", range(5))
    return owner, vid


def test_rows_grouped_by_platform_newest_first_without_soft_deleted(conn, video):
    owner, vid = video
    body = rpc(conn, owner.claims(), id=vid)
    assert [g["platform"] for g in body["groups"]] == ["youtube", "mtv", "other"]
    youtube = [r["views_total"] for r in body["groups"][0]["rows"]]
    assert youtube == [1008, 1007, 1006, 1005, 1003, 1002, 1001, 1000]  # 1009 and 1004 were rolled back
    assert [r["views_total"] for r in body["groups"][1]["rows"]] == [1018, 1015, 1012, 1009, 1006, 1003, 1000]
    assert body["count"] == 8 + 7 + 5
    assert body["next_cursor"] is None
    assert body["music_video_id"] == str(vid)


def test_platform_and_date_range_filters(conn, video):
    owner, vid = video
    body = rpc(conn, owner.claims(), id=vid, platforms=["mtv", "other"],
               collected_from=T0 + timedelta(days=3), collected_to=T0 + timedelta(days=12))
    assert [(p, v) for p, _, v in flatten(body)] == [
        ("mtv", 1012), ("mtv", 1009), ("mtv", 1006), ("mtv", 1003), ("other", 1004), ("other", 1003)]


def test_keyset_pages_cover_every_row_once(conn, video):
    owner, vid = video
    everything = flatten(rpc(conn, owner.claims(), id=vid))
    for size in (1, 4, 7, 20):
        seen, cursor = [], None
        while True:
            body = rpc(conn, owner.claims(), id=vid, page_size=size, cursor=cursor)
            assert body["count"] <= size
            seen += flatten(body)
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == everything, size
    # paging combined with a filter
    filtered = flatten(rpc(conn, owner.claims(), id=vid, platforms=["youtube", "other"]))
    seen, cursor = [], None
    while True:
        body = rpc(conn, owner.claims(), id=vid, platforms=["youtube", "other"],
                   page_size=3, cursor=cursor)
        seen += flatten(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == filtered and len(filtered) == 13


def test_other_users_and_missing_videos_get_the_same_pt404(conn, factory, video):
    _, vid = video
    stranger = factory.user()
    for claims, target in [(stranger.claims(), vid), (video[0].claims(), "00000000-0000-0000-0000-000000000000"),
                           (video[0].claims(), "not-a-uuid")]:
        with pytest.raises(psycopg.Error) as exc:
            rpc(conn, claims, id=target)
        assert exc.value.sqlstate == "PT404"
        assert exc.value.diag.message_primary == "Music video not found"


def test_bad_arguments_get_22023_with_field_errors(conn, video):
    owner, vid = video
    cases = [
        ({"platforms": ["youtube", "myspace"]}, "Unknown platform filter",
         {"platforms": "unknown platform: myspace"}),
        ({"collected_from": T0 + timedelta(days=2), "collected_to": T0}, "Invalid date range",
         {"collected_to": "must not be before collected_from"}),
        ({"cursor": "eyJ4IjogMX0"}, "Invalid page cursor", {"cursor": "is not a cursor this endpoint returned"}),
        ({"page_size": 501}, "Invalid page size", {"page_size": "must be between 1 and 500"}),
    ]
    for params, message, detail in cases:
        with pytest.raises(psycopg.Error) as exc:
            rpc(conn, owner.claims(), id=vid, **params)
        assert exc.value.sqlstate == "22023"
        assert exc.value.diag.message_primary == message
        assert json.loads(exc.value.diag.message_detail) == detail


def test_service_role_reads_any_video_and_anon_is_refused(conn, video):
    _, vid = video
    assert rpc(conn, SERVICE, id=vid)["count"] == 20
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as exc:
        rpc(conn, ANON, id=vid)
    assert "permission denied for function music_video_metrics_history" in str(exc.value)
