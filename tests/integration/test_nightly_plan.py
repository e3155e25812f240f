"""The nightly plans before it enqueues (issue 13 §2): calls needed against the YouTube units left
today, the priorities when they do not fit (recent releases, videos near their view target, the
rest round-robin), the skipped counts per reason, idempotence per night, who may read the plans,
and the scheduler's log line. Small synthetic catalogues with answers known in advance."""

from __future__ import annotations

import json
import logging
import math
from datetime import date, timedelta

import psycopg
import pytest

from tests.helpers.queue_support import make_settings, make_videos
from workers.db import call_as_postgrest, jwt_claims, postgrest_request, rpc_signature
from workers.scheduler import NightlyScheduler
from workers.sync import plan_nightly

RUN = date(2026, 11, 24)


def plan(conn, run_date=RUN, *, units=10_000, keys=None):
    return plan_nightly(conn, run_date, daily_units=units, key_budgets=keys or {"default": units})


def youtube_jobs(conn, run_date=RUN) -> set:
    return {r["music_video_id"] for r in conn.execute(
        "select music_video_id from public.music_video_metric_imports where source = 'youtube'"
        " and dedupe_key like %s",
        (f"nightly:{run_date}:%",)).fetchall()}


def views(conn, video_ids, counts):
    """A YouTube sample per video (the card summary, which the planner reads, follows at commit)."""
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
                 " select v, 'youtube', now() - interval '1 day', 'youtube', n"
                 " from unnest(%s::uuid[], %s::bigint[]) as u(v, n)", (video_ids, counts))


def catalogue(conn, factory):
    """300 scheduled videos: 20 released 5 days before the night, 10 at 95% of their view target,
    5 past their target, 5 far from it, 260 with nothing special; returns the id lists."""
    vids = [v for v, _ in make_videos(conn, factory, 300, strategy="scheduled")]
    vids.sort()
    recent, near, past, far = vids[:20], vids[20:30], vids[30:35], vids[35:40]
    conn.execute("update public.music_videos set target_release_date = %s where id = any(%s)",
                 (RUN - timedelta(days=5), recent))
    conn.execute("update public.music_videos set kpi_view_target = 1000 where id = any(%s)", (near + past + far,))
    views(conn, near + past + far, [950] * 10 + [1200] * 5 + [100] * 5)
    # a release long ago is not recent; a video with no YouTube target is not counted at all
    conn.execute("update public.music_videos set target_release_date = %s where id = any(%s)",
                 (RUN - timedelta(days=31), far))
    make_videos(conn, factory, 3, strategy="scheduled", youtube=False, start=1000)
    return vids, recent, near


def test_a_night_that_fits_plans_every_video(conn, factory):
    make_videos(conn, factory, 120, strategy="scheduled")
    p = plan(conn)
    assert (p.scheduled_videos, p.calls_needed, p.planned_videos, p.calls_planned) == (120, 3, 120, 3)
    assert (p.skipped_videos, p.skipped_by_reason, p.units_left) == (0, {}, 10_000)
    assert p.planned_by_reason == {"recent_release": 0, "near_kpi_target": 0, "round_robin": 120}
    assert (p.round_robin_nights, p.weekly_rotation_met, p.jobs_created) == (1, True, 120)
    assert len(youtube_jobs(conn)) == 120


def test_a_night_that_does_not_fit_takes_priorities_then_the_round_robin(conn, factory):
    vids, recent, near = catalogue(conn, factory)
    p = plan(conn, units=4)  # 4 calls: 200 of the 300 videos
    assert (p.scheduled_videos, p.calls_needed, p.units_left, p.planned_videos, p.calls_planned) == \
        (300, 6, 4, 200, 4)
    assert p.planned_by_reason == {"recent_release": 20, "near_kpi_target": 10, "round_robin": 170}
    assert (p.skipped_videos, p.skipped_by_reason) == (100, {"round_robin_waits_its_turn": 100})
    assert (p.round_robin_nights, p.weekly_rotation_met) == (math.ceil(270 / 170), True)
    rest = [v for v in vids if v not in set(recent) | set(near)]
    first = youtube_jobs(conn)
    # the rest never planned before: in id order, the first 170
    assert first == set(recent) | set(near) | set(rest[:170])
    stored = conn.execute("select * from private.music_video_sync_plans").fetchone()
    assert (stored["run_date"], stored["skipped_by_reason"]) == (RUN, {"round_robin_waits_its_turn": 100})

    # the next night: the priorities again, then the 100 skipped ones first, then the oldest
    nxt = plan(conn, RUN + timedelta(days=1), units=4)
    assert nxt.planned_by_reason == {"recent_release": 20, "near_kpi_target": 10, "round_robin": 170}
    rotation = {r["music_video_id"]: r["last_nightly_on"] for r in conn.execute(
        "select * from private.music_video_sync_rotation").fetchall()}
    assert all(rotation[v] == RUN + timedelta(days=1) for v in rest[170:] + recent + near)
    assert sum(d == RUN + timedelta(days=1) for d in rotation.values()) == 200
    # last night's jobs are still pending (no worker ran): they are reused, not doubled
    assert (nxt.jobs_created, nxt.jobs_reused) == (100, 100)


def test_no_units_left_skips_everything_and_says_why(conn, factory):
    catalogue(conn, factory)
    p = plan(conn, units=0)
    assert (p.planned_videos, p.calls_planned, p.jobs_created) == (0, 0, 0)
    assert p.skipped_by_reason == {"recent_release_over_budget": 20, "near_kpi_target_over_budget": 10,
                                   "round_robin_waits_its_turn": 270}
    assert (p.round_robin_nights, p.weekly_rotation_met) == (None, False)
    assert "NOT within a week" not in p.summary() and "the rest get no call" in p.summary()


def test_priorities_alone_over_the_budget_keep_the_recent_releases_first(conn, factory):
    _vids, recent, near = catalogue(conn, factory)
    conn.execute("update public.music_videos set target_release_date = %s where id = any(%s)",
                 (RUN, near))  # now 30 recent releases, no near-target video left outside them
    conn.execute("update public.music_videos set kpi_view_target = 1000 where id = any(%s)", (recent,))
    views(conn, recent[:5], [990] * 5)
    p = plan_nightly(conn, RUN, daily_units=10_000, key_budgets={"default": 10_000})
    assert p.planned_by_reason["recent_release"] == 30  # recent wins over near-target
    conn.execute("delete from private.music_video_sync_plans")
    conn.execute("delete from public.music_video_metric_imports")
    small = plan_nightly(conn, RUN, daily_units=10_000, key_budgets={"default": 0, "other": 0})
    assert small.units_left == 0 and small.planned_videos == 0


def test_units_left_counts_every_key_and_the_day_budget(conn, factory):
    make_videos(conn, factory, 400, strategy="scheduled")
    keys = {"a": 5, "b": 2}
    for _ in range(3):
        assert conn.execute("select private.spend_youtube_units('a', 5, 100) as ok").fetchone()["ok"]
    left = conn.execute("select private.youtube_units_left(100, %s::jsonb) as n", (psycopg.types.json.Jsonb(keys),))
    assert left.fetchone()["n"] == 4  # (5 - 3) + 2
    # key a may spend 2 more, then it is refused; the day's budget caps every key together
    assert [conn.execute("select private.spend_youtube_units('a', 5, 100) as ok").fetchone()["ok"]
            for _ in range(3)] == [True, True, False]
    assert not conn.execute("select private.spend_youtube_units('b', 2, 5) as ok").fetchone()["ok"]
    conn.execute("select private.exhaust_youtube_key('b')")  # YouTube said quotaExceeded for b
    assert not conn.execute("select private.spend_youtube_units('b', 2, 100) as ok").fetchone()["ok"]
    p = plan(conn, units=100, keys={"a": 10, "b": 2})
    assert (p.units_left, p.planned_videos, p.calls_planned, p.skipped_videos) == (5, 250, 5, 150)
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("select private.spend_youtube_units('', 5, 100)")
    assert exc.value.sqlstate == "22023"


def test_a_rerun_of_the_night_keeps_its_plan_even_after_units_were_spent(conn, factory):
    make_videos(conn, factory, 150, strategy="scheduled")
    first = plan(conn, units=2)
    chosen = youtube_jobs(conn)
    assert (first.planned_videos, first.jobs_created, len(chosen)) == (100, 100, 100)
    conn.execute("select private.spend_youtube_units('default', 2, 2)")
    conn.execute("select private.spend_youtube_units('default', 2, 2)")
    again = plan(conn, units=2)
    assert (again.runs, again.units_left, again.planned_videos) == (2, 2, 100)
    assert (again.jobs_created, again.jobs_already_enqueued) == (0, 100)
    assert youtube_jobs(conn) == chosen


PLAN_COLUMNS = ["id", "run_date", "quota_day", "planned_at", "runs", "last_run_at", "daily_budget", "units_left",
                "scheduled_videos", "calls_needed", "planned_videos", "calls_planned", "planned_by_reason",
                "skipped_videos", "skipped_by_reason", "round_robin_nights", "weekly_rotation_met", "jobs_created",
                "jobs_reused", "jobs_already_enqueued"]


def test_admins_read_the_plans_and_nobody_else_does(conn, factory):
    """list_music_video_sync_plans as PostgREST serves it (20261202020100): setof
    public.music_video_sync_plan, newest night first, for admins; PT403 for the owner of videos,
    another user and the service role (not an admin); anon may not call it."""
    make_videos(conn, factory, 60, strategy="scheduled")
    plan(conn, units=1)
    plan(conn, RUN + timedelta(days=1), units=10_000)
    sig = rpc_signature(conn, "list_music_video_sync_plans", fresh=True)
    assert sig is not None and sig.composite and sig.setof and sig.required == frozenset()
    admin, owner, other = factory.user(admin=True), factory.user(), factory.user()
    with postgrest_request(conn, admin.claims()) as c:
        body = call_as_postgrest(c, "list_music_video_sync_plans").body
        assert [list(p) for p in body] == [PLAN_COLUMNS, PLAN_COLUMNS]
        assert [(p["run_date"], p["planned_videos"], p["skipped_by_reason"]) for p in body] == [
            ((RUN + timedelta(days=1)).isoformat(), 60, {}), (RUN.isoformat(), 50, {"round_robin_waits_its_turn": 10})]
        assert body[1]["planned_by_reason"] == {"recent_release": 0, "near_kpi_target": 0, "round_robin": 50}
        assert (body[1]["daily_budget"], body[1]["calls_needed"], body[1]["weekly_rotation_met"]) == (1, 2, True)
        # the rows are the table's, column for column
        table = c.execute("select * from private.music_video_sync_plans order by run_date desc").fetchall()
        assert [p["id"] for p in body] == [str(t["id"]) for t in table]
        assert [p["run_date"] for p in call_as_postgrest(c, "list_music_video_sync_plans", {"nights": 1}).body] == [
            (RUN + timedelta(days=1)).isoformat()]
    for nights in (0, 367, None):
        with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, admin.claims()) as c:
            call_as_postgrest(c, "list_music_video_sync_plans", {"nights": nights})
        assert (exc.value.sqlstate, exc.value.diag.message_primary) == ("22023", "Ask for between 1 and 366 plans.")
        assert json.loads(exc.value.diag.message_detail) == {"problems": [
            {"field": "nights", "code": "out_of_range", "message": "Ask for between 1 and 366 plans."}]}
    for claims in (owner.claims(), other.claims(), jwt_claims(role="service_role")):
        with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, claims) as c:
            call_as_postgrest(c, "list_music_video_sync_plans")
        assert (exc.value.sqlstate, exc.value.diag.message_primary, exc.value.diag.message_detail) == \
            ("PT403", "Only admins can read the nightly sync plans", None)
    with postgrest_request(conn, owner.claims()) as c:
        assert c.execute("select count(*) as n from private.music_video_sync_plans").fetchone()["n"] == 0
        assert c.execute("select count(*) as n from private.youtube_quota_usage").fetchone()["n"] == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")) as c:
        call_as_postgrest(c, "list_music_video_sync_plans")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")) as c:
        c.execute("select * from private.music_video_sync_plans")


def test_the_scheduler_logs_the_plan_with_the_settings_budget(conn, factory, db_url, tmp_path, caplog):
    make_videos(conn, factory, 130, strategy="scheduled")
    settings = make_settings(tmp_path, db_url, youtube_daily_units=2)
    caplog.set_level(logging.INFO, logger="workers.scheduler")
    p = NightlyScheduler(settings, db_url).run_for(RUN)
    assert (p.planned_videos, p.skipped_videos) == (100, 30)
    (rec,) = [r for r in caplog.records if r.name == "workers.scheduler" and "planned" in r.getMessage()]
    assert rec.levelno == logging.WARNING
    assert "planned 100 of 130 YouTube video(s) in 2 of 3 call(s) needed (2 unit(s) left today)" in rec.getMessage()
    assert "round_robin_waits_its_turn 30" in rec.getMessage()
    assert rec.nightly_plan["skipped_by_reason"] == {"round_robin_waits_its_turn": 30}


def test_a_night_over_max_locks_per_transaction_videos_commits_and_the_cards_say_pending(conn, factory):
    """One advisory lock per video made a night over ~6,000 videos fail at commit; the flush now
    locks the cards by row (no shared lock table entry per card), and the inserted jobs refresh
    only the cards' last sync."""
    per_tx = conn.execute("select current_setting('max_locks_per_transaction')::int * "
                          "(current_setting('max_connections')::int + "
                          "current_setting('max_prepared_transactions')::int) as n").fetchone()["n"]
    n = per_tx + 500  # more videos than the whole shared lock table holds
    vids = [v for v, _ in make_videos(conn, factory, n, strategy="scheduled")]
    views(conn, vids[:3], [500, 600, 700])
    p = plan(conn)
    assert (p.planned_videos, p.jobs_created) == (n, n)
    cards = conn.execute(
        "select s.music_video_id, s.views_total, s.last_sync_status::text as status, s.last_sync_id = i.id as latest"
        " from private.music_video_metric_summaries as s"
        " join public.music_video_metric_imports as i on i.music_video_id = s.music_video_id").fetchall()
    assert len(cards) == n and all(c["status"] == "pending" and c["latest"] for c in cards)
    assert sorted(c["views_total"] for c in cards if c["views_total"] is not None) == [500, 600, 700]
