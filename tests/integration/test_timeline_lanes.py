"""The release timeline's lanes and their cache (migrations 20261202000000-20261202000100).

``music_video_release_timeline`` answers from ``private.music_video_timeline_lanes`` when a lane is
stored for the requested day, else live through ``private.music_video_timeline_build`` (the one
home of the rules). These tests hold the cache to the builder: after every kind of write (the
RPCs, direct table writes under RLS as PostgREST makes them, the service role, bulk statements),
committed, the stored lane equals the live one and the read equals both; random edits (a fixed
seed) walk the same invariant; concurrent writers of one video leave the right lane; a lane stored
for another day is answered live; the nightly rebuild (workers.timeline, the scheduler) is
idempotent; deleted and archived videos; windows.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import date, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers.plan_rpc import SERVICE, RpcError, rpc, valid_plan
from tests.helpers.queue_support import make_settings
from workers.db import postgrest_request
from workers.scheduler import NightlyScheduler
from workers.timeline import refresh_timeline_lanes

TODAY_SQL = "select timezone('utc', now())::date as d"


def utc_today(conn) -> date:
    return conn.execute(TODAY_SQL).fetchone()["d"]


def lanes(conn, claims, release, **params) -> list[dict]:
    return rpc(conn, claims, "music_video_release_timeline", release_id=str(release), **params)


def live(conn, video_ids, as_of=None, from_date=None, to_date=None) -> dict[str, dict]:
    """The builder's lanes, computed now (superuser), by video id."""
    rows = conn.execute(
        "select music_video_id::text as id, items::text as items, first_date, last_date, item_count, overdue_count"
        " from private.music_video_timeline_build(%s::uuid[], coalesce(%s::date, timezone('utc', now())::date),"
        " %s, %s)",
        ([str(v) for v in video_ids], as_of, from_date, to_date),
    ).fetchall()
    return {r["id"]: {**r, "items": json.loads(r["items"])} for r in rows}


def stored(conn) -> dict[str, dict]:
    """The stored lanes by video id; valid_until None when unbounded, valid_today for today (UTC)."""
    rows = conn.execute(
        "select music_video_id::text as id, items::text as items, computed_for,"
        " nullif(valid_until, 'infinity') as valid_until,"
        " timezone('utc', now())::date between valid_from and valid_until as valid_today"
        " from private.music_video_timeline_lanes"
    ).fetchall()
    return {r["id"]: {**r, "items": json.loads(r["items"])} for r in rows}


def assert_consistent(conn, owner, release, videos) -> None:
    """The read (owner, today) equals the builder; every existing video's lane is stored, for today,
    and equals the builder (nothing waits for the nightly after a write)."""
    want = live(conn, videos)
    got = lanes(conn, owner.claims(), release)
    assert {r["music_video_id"]: r["items"] for r in got} == {k: v["items"] for k, v in want.items()}
    for r in got:
        w = want[r["music_video_id"]]
        assert (r["item_count"], r["overdue_count"]) == (w["item_count"], w["overdue_count"])
    cache = stored(conn)
    for vid, w in want.items():
        lane = cache.get(vid)
        if lane is None:  # a new video without dates and without children: built live until the nightly
            assert w["items"] == [], vid
            continue
        assert lane["valid_today"], lane
        assert lane["items"] == w["items"], vid
    assert set(cache) <= set(want)


def table_write(conn, claims, query, *args):
    with postgrest_request(conn, claims) as c:
        return c.execute(query, args).rowcount


@pytest.fixture
def videos(conn, factory, owner, release):
    today = utc_today(conn)
    plan = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))
    a = plan["id"]
    b = str(
        factory.video(
            release,
            "Beta",
            slug="beta",
            shoot_start_date=today - timedelta(days=3),
            target_release_date=today + timedelta(days=40),
        )
    )
    c = str(factory.video(release, "Gamma", slug="gamma"))  # no dates: no lane stored until it has items
    return [a, b, c]


def test_every_kind_of_write_is_in_the_very_next_read(conn, factory, owner, release, videos):
    a, b, c = videos
    today = utc_today(conn)
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    assert_consistent(conn, owner, release, videos)
    assert set(stored(conn)) == {a, b}

    m = rpc(conn, owner.claims(), "add_music_video_milestone", music_video_id=a, kind="edit_lock", due_date=day(150))
    assert_consistent(conn, owner, release, videos)
    rpc(conn, owner.claims(), "update_music_video_milestone", id=m["id"], due_date=day(151), label="Lock it")
    assert_consistent(conn, owner, release, videos)
    rpc(conn, owner.claims(), "complete_music_video_milestone", id=m["id"])
    assert_consistent(conn, owner, release, videos)
    custom = rpc(
        conn,
        owner.claims(),
        "add_music_video_milestone",
        music_video_id=c,
        kind="custom",
        label="Storyboard",
        due_date=day(-2),
    )  # overdue at once
    assert_consistent(conn, owner, release, videos)
    assert next(r for r in lanes(conn, owner.claims(), release) if r["music_video_id"] == c)["overdue_count"] == 1
    rpc(conn, owner.claims(), "remove_music_video_milestone", id=custom["id"])
    assert_consistent(conn, owner, release, videos)

    p = rpc(
        conn,
        owner.claims(),
        "schedule_music_video_promo",
        music_video_id=b,
        platform="youtube",
        kind="teaser",
        starts_at=f"{day(5)}T18:00:00+00:00",
        time_zone="Europe/Paris",
    )
    assert_consistent(conn, owner, release, videos)
    rpc(
        conn,
        owner.claims(),
        "move_music_video_promo",
        id=p["id"],
        starts_at=f"{day(6)}T23:30:00+00:00",
        time_zone="Asia/Tokyo",
    )
    assert_consistent(conn, owner, release, videos)
    rpc(conn, owner.claims(), "cancel_music_video_promo", id=p["id"])
    assert_consistent(conn, owner, release, videos)
    assert not [i for r in lanes(conn, owner.claims(), release) for i in r["items"] if i["source"] == "promo_event"]

    # the video's own columns: the plan RPC, then PATCHes of the table under RLS as PostgREST makes them
    rpc(conn, owner.claims(), "update_music_video", id=a, patch={"target_release_date": day(210)})
    assert_consistent(conn, owner, release, videos)
    assert (
        table_write(conn, owner.claims(), "update public.music_videos set shoot_end_date = %s where id = %s", day(1), b)
        == 1
    )
    assert_consistent(conn, owner, release, videos)
    assert (
        table_write(
            conn,
            owner.claims(),
            "update public.music_video_milestones set due_date = %s where id = %s",
            day(152),
            m["id"],
        )
        == 1
    )
    assert_consistent(conn, owner, release, videos)
    assert (
        table_write(
            conn,
            owner.claims(),
            "insert into public.music_video_promo_events (music_video_id, platform,"
            " kind, starts_at, time_zone) values (%s, 'mtv', 'premiere', %s, 'UTC')",
            b,
            f"{day(7)}T12:00:00+00:00",
        )
        == 1
    )
    assert_consistent(conn, owner, release, videos)
    assert (
        table_write(conn, owner.claims(), "delete from public.music_video_promo_events where music_video_id = %s", b)
        == 2
    )  # the cancelled teaser and the premiere
    assert_consistent(conn, owner, release, videos)
    # the title needs no rebuild: the read takes it from the video
    assert table_write(conn, owner.claims(), "update public.music_videos set title = 'Zeta' where id = %s", b) == 1
    assert next(r for r in lanes(conn, owner.claims(), release) if r["music_video_id"] == b)["title"] == "Zeta"
    assert_consistent(conn, owner, release, videos)

    # status moves (a worker's, trusted) and archiving: derived items done, nothing overdue
    conn.execute("update public.music_videos set status = 'in_production' where id = %s", (a,))
    assert_consistent(conn, owner, release, videos)
    conn.execute("update public.music_videos set status = 'archived' where id = %s", (b,))
    assert_consistent(conn, owner, release, videos)
    lane_b = next(r for r in lanes(conn, owner.claims(), release) if r["music_video_id"] == b)
    assert lane_b["status"] == "archived" and lane_b["overdue_count"] == 0
    assert all(i["done"] for i in lane_b["items"] if i["source"] == "video")

    # the service role's writes and a bulk statement over several videos
    rpc(conn, SERVICE, "add_music_video_milestone", music_video_id=a, kind="custom", label="Svc", due_date=day(-1))
    assert_consistent(conn, owner, release, videos)
    conn.execute(
        "insert into public.music_video_milestones (music_video_id, kind, label, due_date)"
        " select v, 'custom', 'Bulk', %s from unnest(%s::uuid[]) as v",
        (day(3), videos),
    )
    assert_consistent(conn, owner, release, videos)
    conn.execute("update public.music_video_milestones set done = true where label = 'Bulk'")
    assert_consistent(conn, owner, release, videos)

    # deleting a video (a draft, by the owner) takes its lane away
    rpc(conn, owner.claims(), "delete_music_video", id=c)
    assert c not in stored(conn) and c not in {r["music_video_id"] for r in lanes(conn, owner.claims(), release)}
    assert_consistent(conn, owner, release, [a, b])


def test_random_edits_keep_the_stored_lanes_equal_to_the_builder(conn, factory, owner, release, videos):
    rnd = random.Random(20261202)
    today = utc_today(conn)
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    milestones: list[str] = []
    promos: list[str] = []
    kinds = ["promo", "custom"]
    for step in range(60):
        vid = rnd.choice(videos)
        op = rnd.randrange(9)
        try:
            if op == 0 or not milestones:
                m = rpc(
                    conn,
                    owner.claims(),
                    "add_music_video_milestone",
                    music_video_id=vid,
                    kind=rnd.choice(kinds),
                    label=f"Step {step}",
                    due_date=day(rnd.randint(-20, 60)),
                )
                milestones.append(m["id"])
            elif op == 1:
                rpc(
                    conn,
                    owner.claims(),
                    "update_music_video_milestone",
                    id=rnd.choice(milestones),
                    due_date=day(rnd.randint(-20, 60)),
                )
            elif op == 2:
                rpc(
                    conn,
                    owner.claims(),
                    "complete_music_video_milestone",
                    id=rnd.choice(milestones),
                    done=rnd.random() < 0.7,
                )
            elif op == 3:
                mid = rnd.choice(milestones)
                rpc(conn, owner.claims(), "remove_music_video_milestone", id=mid)
                milestones.remove(mid)
            elif op == 4 or not promos:
                p = rpc(
                    conn,
                    owner.claims(),
                    "schedule_music_video_promo",
                    music_video_id=vid,
                    platform="youtube",
                    kind=rnd.choice(["teaser", "premiere"]),
                    starts_at=f"{day(rnd.randint(-5, 60))}T{rnd.randint(0, 23):02d}:30:00+00:00",
                    time_zone=rnd.choice(["UTC", "Asia/Tokyo", "America/Los_Angeles"]),
                )
                promos.append(p["id"])
            elif op == 5:
                rpc(
                    conn,
                    owner.claims(),
                    "move_music_video_promo",
                    id=rnd.choice(promos),
                    starts_at=f"{day(rnd.randint(-5, 60))}T10:00:00+00:00",
                )
            elif op == 6:
                rpc(conn, owner.claims(), "cancel_music_video_promo", id=rnd.choice(promos))
            elif op == 7:
                col = rnd.choice(["shoot_start_date", "shoot_end_date", "target_release_date"])
                table_write(
                    conn,
                    owner.claims(),
                    f"update public.music_videos set {col} = %s where id = %s",
                    day(rnd.randint(-10, 90)) if rnd.random() < 0.8 else None,
                    vid,
                )
            else:
                status = rnd.choice(["draft", "planned", "in_production", "post_production", "released", "archived"])
                conn.execute("update public.music_videos set status = %s where id = %s", (status, vid))
        except (RpcError, psycopg.Error):  # a rule refused it: nothing was written
            pass
        assert_consistent(conn, owner, release, videos)


def test_concurrent_writers_of_one_video_leave_the_right_lane(conn, db_url, owner, release, videos):
    """Two requests add a milestone to one video and commit at the same moment: their flushes queue on
    the video's stripe lock (held here by a third session until both wait), and the one that stores
    last computes after the other's commit, so the lane holds both milestones."""
    a = videos[1]
    today = utc_today(conn)
    errors: list[BaseException] = []
    stripe_lock = (
        "select pg_advisory_xact_lock(hashtextextended('music_video_timeline_lanes:stripe',"
        " abs(hashtextextended(%s::text, 0) %% 1024)))"
    )

    def writer(label: str, days: int) -> None:
        try:
            with (
                psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c2,
                postgrest_request(c2, owner.claims()) as c,
            ):
                c.execute(
                    "insert into public.music_video_milestones (music_video_id, kind, label, due_date)"
                    " values (%s, 'custom', %s, %s)",
                    (a, label, today + timedelta(days=days)),
                )
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(db_url, row_factory=dict_row) as blocker:
        blocker.execute(stripe_lock, (a,))
        threads = [threading.Thread(target=writer, args=(label, n)) for label, n in (("One", 8), ("Two", 9))]
        for t in threads:
            t.start()
        for _ in range(200):  # both commits are waiting in their flush for the stripe
            waiting = conn.execute(
                "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock'"
                " and wait_event = 'advisory' and datname = current_database()"
            ).fetchone()["n"]
            if waiting == 2:
                break
            time.sleep(0.05)
        assert waiting == 2
        blocker.commit()
    for t in threads:
        t.join(20)
    assert not errors, errors
    labels = {i.get("label") for i in stored(conn)[a]["items"] if i["source"] == "milestone"}
    assert {"One", "Two"} <= labels
    assert_consistent(conn, owner, release, videos)


def test_a_lane_stored_for_another_day_is_answered_live_and_the_nightly_rebuilds_it(
    conn, db_url, tmp_path, owner, release, videos
):
    a, b, _c = videos
    today = utc_today(conn)
    rpc(
        conn,
        owner.claims(),
        "add_music_video_milestone",
        music_video_id=b,
        kind="custom",
        label="Soon",
        due_date=(today + timedelta(days=2)).isoformat(),
    )
    # the lane of b is exact until the milestone falls due; after it, the read builds it live
    lane = stored(conn)[b]
    assert lane["valid_until"] == today + timedelta(days=2)
    later = (today + timedelta(days=3)).isoformat()
    got = {r["music_video_id"]: r for r in lanes(conn, owner.claims(), release, as_of=later)}
    assert got[b]["items"] == live(conn, [b], as_of=later)[b]["items"]
    assert next(i for i in got[b]["items"] if i.get("label") == "Soon")["overdue"] is True
    # a stored lane computed for another day (say, yesterday's nightly left a wrong one) is not used
    conn.execute(
        "update private.music_video_timeline_lanes set computed_for = '2000-01-01', valid_from ="
        " '2000-01-01', valid_until = '2000-01-01', items = '[]'"
    )
    read = lanes(conn, owner.claims(), release)
    assert {r["music_video_id"]: r["items"] for r in read} == {k: v["items"] for k, v in live(conn, videos).items()}
    # the nightly's rebuild, for today: every out-of-date or missing lane (the date-less video's) once,
    # in steps of `batch` videos, then nothing
    first = refresh_timeline_lanes(conn, batch=2)
    assert (first.lanes_rebuilt, first.videos_seen, first.steps) == (3, 3, 2)
    assert refresh_timeline_lanes(conn).lanes_rebuilt == 0
    assert_consistent(conn, owner, release, videos)
    # ... and for a later day: the lanes whose range ended (b's), not the others
    assert refresh_timeline_lanes(conn, today + timedelta(days=3)).lanes_rebuilt == 1
    assert stored(conn)[b]["computed_for"] == today + timedelta(days=3)
    # force (after writes made with triggers off) rebuilds every lane
    assert refresh_timeline_lanes(conn, force=True).lanes_rebuilt == 3
    assert_consistent(conn, owner, release, videos)
    with pytest.raises(ValueError), psycopg.connect(db_url) as c:
        refresh_timeline_lanes(c)
    # the scheduler's job does the same, logged
    conn.execute("delete from private.music_video_timeline_lanes where music_video_id = %s", (a,))
    sched = NightlyScheduler(make_settings(tmp_path, db_url), db_url)
    done = sched.refresh_timeline()
    assert done is not None and done.lanes_rebuilt == 1 and a in stored(conn)


def test_overdue_on_fixed_dates_windows_and_archived_videos(conn, factory, owner, release):
    v = str(
        factory.video(
            release,
            "Fixed",
            slug="fixed",
            status="in_production",
            shoot_start_date="2027-01-10",
            shoot_end_date="2027-01-12",
            target_release_date="2027-03-01",
        )
    )
    conn.execute(
        "insert into public.music_video_milestones (music_video_id, kind, due_date) values"
        " (%s, 'edit_lock', '2027-01-20'), (%s, 'delivery', '2027-02-01')",
        (v, v),
    )
    for as_of, overdue in [
        ("2027-01-12", 0),
        ("2027-01-13", 1),
        ("2027-01-21", 2),
        ("2027-02-02", 3),
        ("2027-03-02", 4),
    ]:
        (lane,) = lanes(conn, owner.claims(), release, as_of=as_of)
        assert lane["overdue_count"] == overdue == sum(i["overdue"] for i in lane["items"]), as_of
        assert lane["items"] == live(conn, [v], as_of=as_of)[v]["items"]
    (window,) = lanes(conn, owner.claims(), release, as_of="2027-01-21", from_date="2027-01-12", to_date="2027-01-20")
    assert [i["kind"] for i in window["items"]] == ["shoot_end", "edit_lock"]
    assert (window["first_date"], window["last_date"], window["item_count"], window["overdue_count"]) == (
        "2027-01-12",
        "2027-01-20",
        2,
        2,
    )
    (empty,) = lanes(conn, owner.claims(), release, from_date="2030-01-01", to_date="2030-01-31")
    assert (empty["items"], empty["first_date"], empty["item_count"]) == ([], None, 0)
    conn.execute("update public.music_videos set status = 'archived' where id = %s", (v,))
    (lane,) = lanes(conn, owner.claims(), release, as_of="2027-03-02")
    assert lane["overdue_count"] == 0 and all(i["done"] for i in lane["items"] if i["source"] == "video")
