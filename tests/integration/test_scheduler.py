"""The nightly scheduler: which videos it enqueues, and that it enqueues each job once."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from tests.helpers.queue_support import make_settings, make_videos
from workers.scheduler import NightlyScheduler, cron_trigger, enqueue_nightly, previous_fire_time
from workers.sync import enqueue_syncs, sync_music_video_metrics

RUN = date(2026, 11, 24)


def _jobs(conn):
    return conn.execute("select * from public.music_video_metric_imports order by music_video_id").fetchall()


def test_only_scheduled_videos_with_auto_sync_are_enqueued(conn, factory):
    scheduled = make_videos(conn, factory, 3, strategy="scheduled")
    make_videos(conn, factory, 2, strategy="webhook", start=100)
    make_videos(conn, factory, 2, strategy="manual", start=200)
    make_videos(conn, factory, 1, strategy="scheduled", start=300, auto_sync=False)
    make_videos(conn, factory, 1, strategy="scheduled", start=400, youtube=False)
    req = enqueue_nightly(conn, RUN)
    jobs = _jobs(conn)
    assert req.created == 3 == len(jobs)
    assert {j["music_video_id"] for j in jobs} == {v for v, _ in scheduled}
    assert {j["dedupe_key"] for j in jobs} == {f"nightly:{RUN}:{v}:youtube" for v, _ in scheduled}
    assert all(j["metadata"]["trigger"] == "nightly" and j["metadata"]["sync_id"] == f"nightly:{RUN}:"
               f"{j['music_video_id']}" for j in jobs)


def test_a_manual_sync_ignores_auto_sync_and_a_scheduled_one_honours_it(conn, factory):
    (v, _), = make_videos(conn, factory, 1, strategy="scheduled", auto_sync=False)
    assert sync_music_video_metrics(conn, scheduled=True).import_ids == []
    req = sync_music_video_metrics(conn, v)
    assert (req.created, [e["source"] for e in req.by_video[v]]) == (1, ["youtube"])
    assert _jobs(conn)[0]["metadata"]["trigger"] == "manual"


def test_chart_keys_add_a_charts_job(conn, factory):
    (v, _), = make_videos(conn, factory, 1, strategy="scheduled")
    conn.execute("update public.music_videos set isrc = 'USUM72100001' where id = %s", (v,))
    enqueue_nightly(conn, RUN)
    assert sorted(j["source"] for j in _jobs(conn)) == ["charts", "youtube"]


def test_rerunning_a_date_enqueues_nothing_twice(conn, factory):
    make_videos(conn, factory, 5, strategy="scheduled")
    assert enqueue_nightly(conn, RUN).created == 5
    again = enqueue_nightly(conn, RUN)
    assert again.created == 0 and len(_jobs(conn)) == 5
    # even after the jobs finished, the same run date is not enqueued again
    conn.execute("update public.music_video_metric_imports set status = 'succeeded', started_at = now(),"
                 " completed_at = now()")
    assert enqueue_nightly(conn, RUN).created == 0
    # the next night is a new run
    assert enqueue_nightly(conn, RUN + timedelta(days=1)).created == 5
    assert len(_jobs(conn)) == 10


def test_a_live_job_is_kept_instead_of_adding_one(conn, factory):
    make_videos(conn, factory, 2, strategy="scheduled")
    enqueue_nightly(conn, RUN)  # still pending the next night (e.g. deferred by the quota)
    req = enqueue_nightly(conn, RUN + timedelta(days=1))
    assert (req.created, req.reused) == (0, 2)
    assert len(_jobs(conn)) == 2


def test_two_schedulers_at_once_enqueue_each_job_once(conn, factory, db_url):
    make_videos(conn, factory, 200, strategy="scheduled")
    barrier = threading.Barrier(4)
    results = []

    def fire():
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            barrier.wait()
            results.append(enqueue_nightly(c, RUN).created)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 200
    assert len(_jobs(conn)) == 200
    assert conn.execute("select count(distinct dedupe_key) as n from public.music_video_metric_imports"
                        ).fetchone()["n"] == 200


def test_apscheduler_processes_running_together_and_restarting(conn, factory, db_url, tmp_path, caplog):
    """Two real schedulers firing every second, one restarted mid-way: one job per video and date."""
    caplog.set_level(logging.DEBUG)  # every log line is built (a bad `extra` key would raise)
    videos = make_videos(conn, factory, 20, strategy="scheduled")
    settings = make_settings(tmp_path, db_url, sync_cron="* * * * * *", sync_timezone="UTC",
                             sync_catchup_hours=1)
    a, b = NightlyScheduler(settings, db_url), NightlyScheduler(settings, db_url)
    a.start()
    b.start()
    try:
        time.sleep(1.6)
        a.shutdown()  # a restart at the wrong moment: the new one catches up on start
        a = NightlyScheduler(settings, db_url)
        a.start()
        time.sleep(1.2)
    finally:
        a.shutdown()
        b.shutdown()
    runs = a.runs + b.runs
    assert len(runs) >= 4  # they really fired, several times
    jobs = _jobs(conn)
    by_key = {}
    for j in jobs:
        by_key.setdefault(j["dedupe_key"], []).append(j)
    assert all(len(v) == 1 for v in by_key.values())
    dates = {k.split(":")[1] for k in by_key}
    # every fire within a second-granular cron belongs to today's (UTC) run date
    assert dates <= {datetime.now(UTC).date().isoformat(), (datetime.now(UTC) - timedelta(seconds=5)).date()
                     .isoformat()}
    assert len(jobs) == len(videos) * len(dates)


def test_previous_fire_time_and_bad_cron():
    trig = cron_trigger("0 3 * * *", "America/Los_Angeles")
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
    prev = previous_fire_time(trig, now, timedelta(hours=6))
    assert prev is not None and prev.astimezone(UTC) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert previous_fire_time(trig, now - timedelta(hours=2), timedelta(hours=6)) is None
    import pytest

    from workers.errors import ConfigError

    with pytest.raises(ConfigError):
        cron_trigger("not a cron", "UTC")


def test_a_catch_up_of_the_night_does_not_add_a_job_for_a_video_whose_manual_job_served_it(conn, factory):
    """D's first run reuses a live manual job; that job finishes; the catch-up of D (a scheduler
    restart within MV_SYNC_CATCHUP_HOURS) must not enqueue the video again for the same night."""
    (vid, _ext), _other = make_videos(conn, factory, 2, strategy="scheduled")
    manual = enqueue_syncs(conn, video_id=vid, trigger="manual", sources=["youtube"]).import_ids[0]
    first = enqueue_nightly(conn, RUN)
    assert (first.created, first.reused) == (1, 1)
    conn.execute("update public.music_video_metric_imports set status = 'succeeded', started_at = now(),"
                 " completed_at = now() where id = %s", (manual,))
    catch_up = enqueue_nightly(conn, RUN)
    assert (catch_up.created, catch_up.already_enqueued) == (0, 2)
    assert len(_jobs(conn)) == 2
