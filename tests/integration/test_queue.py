"""The queue runtime with scripted handlers: claiming, leases, retries, outcomes, shutdown, events."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers.queue_support import (
    drain,
    job_counts,
    make_settings,
    make_videos,
    running_worker,
    wait_for,
)
from workers.db import postgrest_request
from workers.metrics import MetricSample, upsert_samples
from workers.queue.handler import Job, JobOutcome
from workers.queue.statements import Resolved
from workers.queue.worker import CHANNEL, QueueOps, Worker, backoff_delay
from workers.sync import sync_music_video_metrics


class Scripted:
    """A handler whose behaviour is a function of (ctx, jobs)."""

    def __init__(self, fn, batch_size=10):
        self.fn = fn
        self.batch_size = batch_size
        self.calls: list[list] = []
        self.lock = threading.Lock()

    def process(self, ctx, jobs):
        with self.lock:
            self.calls.append([j.id for j in jobs])
        return self.fn(ctx, jobs)


def ok(_ctx, jobs):
    return [JobOutcome.succeeded(j) for j in jobs]


def insert_jobs(conn, n, source="broadcast", video=None, **cols):
    extra_cols = "".join(f", {k}" for k in cols)
    extra_vals = "".join(f", %({k})s" for k in cols)
    rows = conn.execute(
        f"insert into public.music_video_metric_imports (source, music_video_id{extra_cols})"
        f" select %(source)s, %(video)s{extra_vals} from generate_series(1, %(n)s) returning id",
        {"source": source, "video": video, "n": n, **cols}).fetchall()
    return [r["id"] for r in rows]


def get(conn, job_id):
    return conn.execute("select * from public.music_video_metric_imports where id = %s", (job_id,)).fetchone()


# ----------------------------------------------------------------------------- claiming


def test_concurrent_claims_split_the_rows(conn, db_url):
    ids = insert_jobs(conn, 600)
    got: dict[str, list] = {}
    barrier = threading.Barrier(6)

    def claimer(n):
        ops = QueueOps(f"w{n}", 30)
        mine = []
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            barrier.wait()
            while True:
                claimed = ops.claim(c, "broadcast", 25)
                if not claimed.jobs:
                    break
                mine += [j.id for j in claimed.jobs]
        got[f"w{n}"] = mine

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for v in got.values() for i in v]
    assert sorted(claimed) == sorted(ids)  # every job once, none twice
    assert sum(1 for v in got.values() if v) > 1
    rows = conn.execute("select * from public.music_video_metric_imports").fetchall()
    assert all(r["status"] == "processing" and r["attempts"] == 1 and r["started_at"] is not None
               and r["locked_until"] > r["heartbeat_at"] for r in rows)
    owner = {i: w for w, v in got.items() for i in v}
    assert all(r["locked_by"] == owner[r["id"]] for r in rows)


def test_claim_skips_future_run_after_and_other_sources(conn):
    now_job, = insert_jobs(conn, 1)
    insert_jobs(conn, 1, run_after=datetime.now(UTC) + timedelta(hours=1))
    insert_jobs(conn, 1, source="charts")
    claimed = QueueOps("w", 30).claim(conn, "broadcast", 10)
    assert [j.id for j in claimed.jobs] == [now_job]


def test_expired_lease_is_taken_over_and_exhausted_ones_fail(conn):
    a, b = insert_jobs(conn, 2)
    conn.execute("update public.music_video_metric_imports set max_attempts = 2 where id = %s", (b,))
    first = QueueOps("dead-worker", 30)
    assert len(first.claim(conn, "broadcast", 10).jobs) == 2
    started = get(conn, a)["started_at"]
    conn.execute("update public.music_video_metric_imports set attempts = 2 where id = %s", (b,))
    conn.execute("update public.music_video_metric_imports set locked_until = now() - interval '1 second'")
    claimed = QueueOps("rescuer", 30).claim(conn, "broadcast", 10)
    assert [j.id for j in claimed.jobs] == [a]
    ra, rb = get(conn, a), get(conn, b)
    assert (ra["status"], ra["attempts"], ra["locked_by"], ra["started_at"]) == ("processing", 2, "rescuer", started)
    assert (rb["status"], rb["attempts"], rb["locked_by"]) == ("failed", 2, None)
    assert rb["error_message"].startswith("gave up after 2 attempts: the worker running the last one (dead-worker)")
    assert [r["id"] for r in claimed.given_up] == [b]


def test_finish_only_touches_jobs_still_held(conn, factory):
    (v, _), = make_videos(conn, factory, 1)
    job, = insert_jobs(conn, 1, video=v)
    ops = QueueOps("slow", 30)
    claimed = ops.claim(conn, "broadcast", 1).jobs[0]
    # the lease expired and another worker took the job over
    conn.execute("update public.music_video_metric_imports set locked_by = 'other' where id = %s", (job,))
    sample = MetricSample(v, "mtv", datetime.now(UTC), "broadcast", views_total=5, import_batch_id=job)
    rows, counts, events = ops.finish(conn, [Resolved(claimed, "succeeded", None, {}, None, None, None, 0,
                                                      [sample])])
    assert rows == [] and counts.written == 0 and events == []
    assert get(conn, job)["status"] == "processing"
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 0


# ----------------------------------------------------------------------------- outcomes


def test_outcomes_partial_failed_and_samples(conn, factory, tmp_path, db_url):
    (v, _), = make_videos(conn, factory, 1)
    ids = insert_jobs(conn, 3, video=v)
    when = datetime(2026, 11, 23, tzinfo=UTC)

    def fn(_ctx, jobs):
        a, b, c = sorted(jobs, key=lambda j: ids.index(j.id))
        return [
            JobOutcome.succeeded(a, [MetricSample(v, "mtv", when, "broadcast", views_total=10)], {"rows": 1}),
            JobOutcome.partially_failed(b, "2 of 3 rows were bad", [MetricSample(
                v, "regional_tv", when, "broadcast", views_total=20)], {"row_errors": [{"line": 3}]}),
            JobOutcome.failed(c, "the file is not a CSV"),
        ]

    h = Scripted(fn)
    drain(make_settings(tmp_path, db_url), db_url, handlers={"broadcast": h})
    a, b, c = (get(conn, i) for i in ids)
    assert (a["status"], a["error_message"], a["metadata"]["rows"]) == ("succeeded", None, 1)
    assert a["metadata"]["samples"] == {"inserted": 1, "updated": 0, "count": 1}
    assert (b["status"], b["error_message"]) == ("partially_failed", "2 of 3 rows were bad")
    assert b["metadata"]["row_errors"] == [{"line": 3}]
    assert (c["status"], c["error_message"]) == ("failed", "the file is not a CSV")
    assert all(r["completed_at"] >= r["started_at"] and r["locked_by"] is None for r in (a, b, c))
    metrics = conn.execute("select platform::text, views_total, import_batch_id from public.music_video_metrics"
                           " order by views_total").fetchall()
    assert [(m["platform"], m["views_total"], m["import_batch_id"]) for m in metrics] == \
        [("mtv", 10, ids[0]), ("regional_tv", 20, ids[1])]


def test_unexpected_errors_are_retried_then_fail_with_the_reason(conn, tmp_path, db_url, caplog):
    job, = insert_jobs(conn, 1, max_attempts=2)

    def boom(_ctx, _jobs):
        raise KeyError("statistics")

    h = Scripted(boom)
    settings = make_settings(tmp_path, db_url, backoff_base=0.01, backoff_max=0.02)
    with caplog.at_level(logging.ERROR), running_worker(settings, db_url, handlers={"broadcast": h}):
        wait_for(lambda: get(conn, job)["status"] == "failed")
    row = get(conn, job)
    assert row["attempts"] == 2 and len(h.calls) == 2
    assert row["error_message"] == "gave up after 2 attempts: unexpected error in the broadcast handler: " \
                                   "KeyError: 'statistics'"
    assert "Traceback" in caplog.text and "KeyError" in caplog.text


def test_a_job_without_an_outcome_is_retried(conn, tmp_path, db_url):
    job, other = insert_jobs(conn, 2)
    h = Scripted(lambda _c, jobs: [JobOutcome.succeeded(j) for j in jobs if j.id != job])
    drain(make_settings(tmp_path, db_url, backoff_base=60, backoff_max=120), db_url, handlers={"broadcast": h})
    assert get(conn, other)["status"] == "succeeded"
    row = get(conn, job)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "returned no outcome" in row["error_message"]


def test_retry_backoff_sets_run_after_with_jitter(conn, tmp_path, db_url):
    ids = insert_jobs(conn, 20)
    h = Scripted(lambda _c, jobs: [JobOutcome.retry(j, "HTTP 503") for j in jobs])
    before = datetime.now(UTC)
    drain(make_settings(tmp_path, db_url, backoff_base=100, backoff_max=1000), db_url, handlers={"broadcast": h})
    after = datetime.now(UTC)
    delays = []
    for i in ids:
        r = get(conn, i)
        assert (r["status"], r["attempts"]) == ("pending", 1)
        assert r["error_message"].startswith("attempt 1 of 5 failed: HTTP 503; retrying in")
        delays.append((r["run_after"] - before).total_seconds())
        assert (r["run_after"] - after).total_seconds() >= 50 - 1
        assert (r["run_after"] - before).total_seconds() <= 100 + 1
    assert len({round(d, 3) for d in delays}) > 1  # jittered


def test_the_max_attempts_setting_caps_every_job(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1)  # the row allows 5
    h = Scripted(lambda _c, jobs: [JobOutcome.retry(j, "HTTP 503") for j in jobs])
    settings = make_settings(tmp_path, db_url, max_attempts=2, backoff_base=0.01, backoff_max=0.02)
    with running_worker(settings, db_url, handlers={"broadcast": h}):
        wait_for(lambda: get(conn, job)["status"] == "failed")
    r = get(conn, job)
    assert (r["attempts"], len(h.calls)) == (2, 2)
    assert r["error_message"] == "gave up after 2 attempts: HTTP 503"
    # a pending job already over a lowered cap is failed at claim time, with its last error
    other, = insert_jobs(conn, 1, attempts=3, error_message="attempt 3 of 5 failed: HTTP 503")
    drain(settings, db_url, handlers={"broadcast": h})
    r = get(conn, other)
    assert (r["status"], r["attempts"]) == ("failed", 3) and len(h.calls) == 2
    assert r["error_message"] == "gave up after 3 attempts: attempt 3 of 5 failed: HTTP 503"


def test_backoff_delay_grows_and_respects_the_cap_and_retry_after():
    assert backoff_delay(1, 2, 900, rng=lambda: 0) == 1
    assert backoff_delay(1, 2, 900, rng=lambda: 1) == 2
    assert backoff_delay(4, 2, 900, rng=lambda: 1) == 16
    assert backoff_delay(30, 2, 900, rng=lambda: 1) == 900
    assert backoff_delay(1, 2, 900, minimum=30, rng=lambda: 1) == 30


def test_defer_is_not_an_attempt(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1)
    until = datetime.now(UTC) + timedelta(hours=3)
    h = Scripted(lambda _c, jobs: [JobOutcome.defer(j, until, "partner feed not published yet") for j in jobs])
    drain(make_settings(tmp_path, db_url), db_url, handlers={"broadcast": h})
    r = get(conn, job)
    assert (r["status"], r["attempts"], r["run_after"]) == ("pending", 0, until)
    assert r["metadata"]["attempt_errors"][0]["outcome"] == "defer"


# ----------------------------------------------------------------------------- waking, leases, shutdown


def test_notify_wakes_an_idle_worker_long_before_the_poll(conn, tmp_path, db_url):
    h = Scripted(ok)
    settings = make_settings(tmp_path, db_url, poll_interval=60)
    with running_worker(settings, db_url, handlers={"broadcast": h}) as w:
        wait_for(lambda: w._pool is not None and w.ctx is not None)
        time.sleep(0.3)  # the worker is idle, waiting on LISTEN
        job, = insert_jobs(conn, 1)
        wait_for(lambda: get(conn, job)["status"] == "succeeded", timeout=10)


def test_polling_finds_a_job_whose_notification_was_lost(conn, tmp_path, db_url):
    h = Scripted(ok)
    settings = make_settings(tmp_path, db_url, poll_interval=0.3)
    with running_worker(settings, db_url, handlers={"broadcast": h}):
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            c.execute("set session_replication_role = replica")  # triggers off: no NOTIFY
            job, = insert_jobs(c, 1)
        wait_for(lambda: get(conn, job)["status"] == "succeeded", timeout=10)


def test_one_notification_per_insert_statement_and_source(conn, db_url):
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        conn.execute("insert into public.music_video_metric_imports (source)"
                     " select case when g % 2 = 0 then 'broadcast' else 'charts' end"
                     " from generate_series(1, 500) as g")
        notes = list(listener.notifies(timeout=0.5))
    assert sorted(n.payload for n in notes) == ["broadcast", "charts"]


def test_heartbeat_keeps_a_long_job_from_being_taken_over(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1)
    release = threading.Event()

    def slow(_ctx, jobs):
        release.wait(10)
        return [JobOutcome.succeeded(j) for j in jobs]

    settings = make_settings(tmp_path, db_url, lease_seconds=0.6, poll_interval=0.1)
    h1, h2 = Scripted(slow), Scripted(ok)
    with running_worker(settings, db_url, handlers={"broadcast": h1}):
        wait_for(lambda: h1.calls)
        first = get(conn, job)
        with running_worker(settings, db_url, handlers={"broadcast": h2}):  # polls for expired leases
            time.sleep(2.0)  # > 3 leases
            assert get(conn, job)["heartbeat_at"] > first["heartbeat_at"]
            release.set()
            wait_for(lambda: get(conn, job)["status"] == "succeeded")
    assert (len(h1.calls), len(h2.calls)) == (1, 0)
    assert get(conn, job)["attempts"] == 1


def test_shutdown_releases_a_job_that_outlives_the_grace_period(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1)
    stuck = threading.Event()
    h = Scripted(lambda _c, jobs: (stuck.wait(20), [JobOutcome.succeeded(j) for j in jobs])[1])
    settings = make_settings(tmp_path, db_url, shutdown_grace=0.3)
    w = Worker(settings, db_url, handlers={"broadcast": h})
    t = threading.Thread(target=w.run, kwargs={"install_signals": False})
    t.start()
    wait_for(lambda: h.calls)
    w.stop()
    t.join(10)
    assert not t.is_alive()
    r = get(conn, job)
    assert (r["status"], r["attempts"], r["locked_by"]) == ("pending", 0, None)
    assert r["metadata"]["released_by"] == w.worker_id
    stuck.set()  # the abandoned handler returns later: its outcome must not land
    time.sleep(0.3)
    assert get(conn, job)["status"] == "pending"


def test_shutdown_finishes_a_job_within_the_grace_period(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1)
    go = threading.Event()
    h = Scripted(lambda _c, jobs: (go.wait(5), [JobOutcome.succeeded(j) for j in jobs])[1])
    w = Worker(make_settings(tmp_path, db_url, shutdown_grace=10), db_url, handlers={"broadcast": h})
    t = threading.Thread(target=w.run, kwargs={"install_signals": False})
    t.start()
    wait_for(lambda: h.calls)
    w.stop()
    go.set()
    t.join(10)
    assert get(conn, job)["status"] == "succeeded"


def test_one_round_of_batches_is_claimed_ahead_and_no_more(conn, tmp_path, db_url):
    ids = insert_jobs(conn, 40)
    go = threading.Event()
    h = Scripted(lambda _c, jobs: (go.wait(10), [JobOutcome.succeeded(j) for j in jobs])[1], batch_size=5)
    settings = make_settings(tmp_path, db_url, worker_concurrency=2, poll_interval=0.1)
    with running_worker(settings, db_url, handlers={"broadcast": h}):
        wait_for(lambda: len(h.calls) == 2 and job_counts(conn).get("processing") == 20)
        time.sleep(0.5)  # several polls: the batches ahead stay at one round (2 slots x 5 jobs)
        assert job_counts(conn) == {"processing": 20, "pending": 20} and len(h.calls) == 2
        go.set()
        wait_for(lambda: job_counts(conn) == {"succeeded": 40})
    assert sorted(i for c in h.calls for i in c) == sorted(ids)  # each job ran once
    assert {get(conn, i)["attempts"] for i in ids} == {1}


def test_batches_ahead_see_a_pause_another_worker_recorded(conn, tmp_path, db_url):
    insert_jobs(conn, 15)
    go = threading.Event()
    h = Scripted(lambda _c, jobs: (go.wait(10), [JobOutcome.succeeded(j) for j in jobs])[1], batch_size=5)
    settings = make_settings(tmp_path, db_url, worker_concurrency=1, poll_interval=0.1)
    until = datetime.now(UTC) + timedelta(hours=2)
    with running_worker(settings, db_url, handlers={"broadcast": h}):
        wait_for(lambda: h.calls and job_counts(conn).get("processing") == 10)  # 1 running, 1 ahead
        conn.execute("insert into private.worker_source_pauses (source, paused_until, reason)"
                     " values ('broadcast', %s, 'quota of another worker')", (until,))
        go.set()
        wait_for(lambda: job_counts(conn) == {"succeeded": 5, "pending": 10})
        time.sleep(0.3)
    assert len(h.calls) == 1  # the batch claimed ahead was not run
    deferred = conn.execute("select * from public.music_video_metric_imports"
                            " where metadata ? 'attempt_errors'").fetchall()
    assert len(deferred) == 5
    assert all((r["status"], r["attempts"], r["run_after"]) == ("pending", 0, until) for r in deferred)
    assert all("quota of another worker" in r["error_message"] for r in deferred)


def test_a_claim_renews_the_pause_look_up_of_batches_ahead(conn, db_url):
    from psycopg_pool import ConnectionPool

    from workers.queue.pauses import SourcePauses
    from workers.queue.statements import Claimed

    def pause(reason):
        conn.execute("delete from private.worker_source_pauses where source = 'broadcast'")
        if reason:
            conn.execute("insert into private.worker_source_pauses (source, paused_until, reason)"
                         " values ('broadcast', now() + interval '1 hour', %s)", (reason,))

    pauses = SourcePauses(QueueOps("w-pauses", 60))
    pauses.CHECK_S = 0.3
    ahead = Claimed("broadcast", [], [], None, ahead=True)
    with ConnectionPool(db_url, min_size=1, kwargs={"autocommit": True, "row_factory": dict_row}) as pool:
        pauses.claimed_unpaused("broadcast", time.monotonic())  # no look-up made yet: nothing to renew
        pause("first")
        assert pauses.since_claim("broadcast", ahead, pool)[1] == "first"
        pause(None)
        time.sleep(0.35)
        assert pauses.since_claim("broadcast", ahead, pool) is None  # looked up again: not paused
        pause("second")
        time.sleep(0.35)
        pauses.claimed_unpaused("broadcast", time.monotonic())  # a claim found it unpaused: renewed
        assert pauses.since_claim("broadcast", ahead, pool) is None
        time.sleep(0.35)
        assert pauses.since_claim("broadcast", ahead, pool)[1] == "second"  # CHECK_S after the claim
        pauses.claimed_unpaused("broadcast", time.monotonic())  # a found pause is not renewed away
        assert pauses.since_claim("broadcast", ahead, pool)[1] == "second"
    pause(None)


def test_the_slots_of_a_round_share_one_pause_look_up(conn, db_url):
    from contextlib import contextmanager

    from psycopg_pool import ConnectionPool

    from workers.queue.pauses import SourcePauses
    from workers.queue.statements import Claimed

    class Counted:  # the real pool, its checkouts counted; each look-up takes a while
        def __init__(self, pool):
            self.pool, self.checkouts, self.lock = pool, 0, threading.Lock()

        @contextmanager
        def connection(self):
            with self.lock:
                self.checkouts += 1
            time.sleep(0.1)
            with self.pool.connection() as c:
                yield c

    conn.execute("delete from private.worker_source_pauses where source = 'broadcast'")
    conn.execute("insert into private.worker_source_pauses (source, paused_until, reason)"
                 " values ('broadcast', now() + interval '1 hour', 'shared look-up')")
    pauses = SourcePauses(QueueOps("w-shared", 60))
    ahead = Claimed("broadcast", [], [], None, ahead=True)
    seen: list = []
    with ConnectionPool(db_url, min_size=1, kwargs={"autocommit": True, "row_factory": dict_row}) as real:
        pool = Counted(real)
        start = threading.Barrier(8)
        slots = [threading.Thread(target=lambda: (start.wait(), seen.append(pauses.since_claim("broadcast", ahead,
                                                                                              pool))))
                 for _ in range(8)]
        for t in slots:
            t.start()
        for t in slots:
            t.join(10)
    conn.execute("delete from private.worker_source_pauses where source = 'broadcast'")
    assert pool.checkouts == 1
    assert len(seen) == 8 and {p[1] for p in seen} == {"shared look-up"}


# ----------------------------------------------------------------------------- events


def test_one_metrics_synced_event_per_sync_with_every_source(conn, factory, tmp_path, db_url):
    (v, _), = make_videos(conn, factory, 1)
    conn.execute("update public.music_videos set isrc = 'USUM72100001' where id = %s", (v,))
    req = sync_music_video_metrics(conn, v)
    assert len(req.import_ids) == 2
    when = datetime(2026, 11, 20, tzinfo=UTC)
    yt = Scripted(lambda _c, jobs: [JobOutcome.succeeded(j, [MetricSample(j.music_video_id, "youtube", when,
                                                                          "youtube", views_total=1)])
                                    for j in jobs])
    charts = Scripted(lambda _c, jobs: [JobOutcome.failed(j, "chart feed unavailable") for j in jobs])
    drain(make_settings(tmp_path, db_url), db_url, handlers={"youtube": yt, "charts": charts})
    events = conn.execute("select * from public.music_video_events").fetchall()
    assert len(events) == 1
    e = events[0]
    assert (e["event"], e["music_video_id"]) == ("music_video.metrics_synced", v)
    p = e["payload"]
    assert sorted(p["sources"]) == ["charts", "youtube"]
    assert p["statuses"] == {"charts": "failed", "youtube": "succeeded"}
    assert p["counts"]["samples_inserted"] == 1 and p["counts"]["failed"] == 1
    assert p["errors"] == {"charts": "chart feed unavailable"}
    assert 0 <= p["duration_ms"] < 60_000  # first job created to last job done, in ms, within this test


def test_a_syncs_event_counts_its_own_jobs_among_the_videos_history(conn, factory, tmp_path, db_url):
    """The events statement reads a sync's jobs as one range of the (video, created_at) index: the jobs
    of one sync are inserted together and share created_at. A second sync of the same video gets an
    event of its own over its own two jobs, not the first sync's."""
    (v, _), = make_videos(conn, factory, 1)
    conn.execute("update public.music_videos set isrc = 'USUM72100003' where id = %s", (v,))
    ok = Scripted(lambda _c, jobs: [JobOutcome.succeeded(j) for j in jobs])
    first = sync_music_video_metrics(conn, v)
    drain(make_settings(tmp_path, db_url), db_url, handlers={"youtube": ok, "charts": ok})
    second = sync_music_video_metrics(conn, v)
    created = conn.execute("select distinct created_at from public.music_video_metric_imports where id = any(%s)",
                           (list(second.import_ids),)).fetchall()
    assert len(second.import_ids) == 2 and len(created) == 1  # what the events statement relies on
    drain(make_settings(tmp_path, db_url), db_url, handlers={"youtube": ok, "charts": ok})
    events = conn.execute("select payload from public.music_video_events where music_video_id = %s"
                          " order by created_at, payload ->> 'sync_id'", (v,)).fetchall()
    by_jobs = {frozenset(e["payload"]["import_ids"]): e["payload"] for e in events}
    assert set(by_jobs) == {frozenset(str(i) for i in first.import_ids),
                            frozenset(str(i) for i in second.import_ids)}
    assert all(p["counts"]["jobs"] == 2 for p in by_jobs.values())


def test_two_workers_ending_a_sync_at_once_write_its_event_once(conn, factory, db_url):
    """The finish statement takes the sync's advisory lock, so the second finisher waits for the first
    commit and its events statement sees both jobs ended: one event, not none."""
    (v, _), = make_videos(conn, factory, 1)
    conn.execute("update public.music_videos set isrc = 'USUM72100002' where id = %s", (v,))
    assert len(sync_music_video_metrics(conn, v).import_ids) == 2
    ops1, ops2 = QueueOps("finisher-1", 30), QueueOps("finisher-2", 30)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c1, \
            psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c2:
        (yt,) = ops1.claim(c1, "youtube", 5).jobs
        (ch,) = ops2.claim(c2, "charts", 5).jobs
        second: list = []
        worker2 = threading.Thread(target=lambda: second.append(
            ops2.finish(c2, [Resolved(ch, "succeeded", None, {}, None, None, None, 0)])))
        with c1.transaction():
            rows, _counts, _events = ops1.finish(c1, [Resolved(yt, "succeeded", None, {}, None, None, None, 0)])
            assert [r["id"] for r in rows] == [yt.id]
            worker2.start()
            worker2.join(0.5)
            assert worker2.is_alive()  # waiting for the sync's lock, which the first finisher holds
        worker2.join(30)
        assert not worker2.is_alive()
    assert [r["id"] for r in second[0][0]] == [ch.id]
    events = conn.execute("select * from public.music_video_events where music_video_id = %s", (v,)).fetchall()
    assert len(events) == 1
    assert events[0]["payload"]["statuses"] == {"charts": "succeeded", "youtube": "succeeded"}


def test_events_are_readable_by_the_owner_only(conn, factory):
    owner, other = factory.user(), factory.user()
    rel = factory.release(owner)
    v = factory.video(rel)
    conn.execute("insert into public.music_video_events (event, music_video_id, payload)"
                 " values ('music_video.metrics_synced', %s, '{}')", (v,))
    with conn.transaction(force_rollback=True), postgrest_request(conn, owner.claims()):
        assert len(conn.execute("select * from public.music_video_events").fetchall()) == 1
    with conn.transaction(force_rollback=True), postgrest_request(conn, other.claims()):
        assert conn.execute("select * from public.music_video_events").fetchall() == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction(force_rollback=True), \
            postgrest_request(conn, other.claims()):
        conn.execute("insert into public.music_video_events (event, music_video_id)"
                     " values ('music_video.metrics_synced', %s)", (v,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction(force_rollback=True), \
            postgrest_request(conn, {"role": "anon"}):
        conn.execute("select * from public.music_video_events")


# ----------------------------------------------------------------------------- the upsert path


def test_upsert_is_idempotent_and_leaves_rolled_back_rows_alone(conn, factory):
    (v, _), = make_videos(conn, factory, 1)
    job, = insert_jobs(conn, 1, video=v)
    when = datetime(2026, 11, 1, 12, tzinfo=UTC)
    s = MetricSample(v, "youtube", when, "youtube", views_total=5, likes_total=None, import_batch_id=job)
    assert upsert_samples(conn, [s]).inserted == 1
    c = upsert_samples(conn, [s, MetricSample(v, "youtube", when, "youtube", views_total=6, import_batch_id=job)])
    assert (c.inserted, c.updated, c.collapsed) == (0, 1, 1)
    row = conn.execute("select * from public.music_video_metrics").fetchone()
    assert (row["views_total"], row["likes_total"], row["deleted_at"], row["import_batch_id"]) == (6, None, None, job)
    # a rollback is a person's correction: the same sample written again does not bring the row back
    conn.execute("update public.music_video_metrics set deleted_at = now()")
    c = upsert_samples(conn, [MetricSample(v, "youtube", when, "youtube", views_total=7, import_batch_id=job)])
    assert (c.inserted, c.updated) == (0, 0)
    row = conn.execute("select * from public.music_video_metrics").fetchone()
    assert row["views_total"] == 6 and row["deleted_at"] is not None
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 1


def test_metric_sample_validation():
    now = datetime.now(UTC)
    import uuid

    vid = uuid.uuid4()
    with pytest.raises(ValueError, match="timezone-aware"):
        MetricSample(vid, "youtube", datetime(2026, 1, 1), "youtube")
    with pytest.raises(ValueError, match="platform"):
        MetricSample(vid, "myspace", now, "x")
    with pytest.raises(ValueError, match="views_total"):
        MetricSample(vid, "youtube", now, "youtube", views_total=-1)
    with pytest.raises(ValueError, match="chart_position"):
        MetricSample(vid, "other", now, "billboard_hot_100", chart_position=0)


def test_job_from_row_round_trip(conn):
    job_id, = insert_jobs(conn, 1)
    claimed = QueueOps("w", 30).claim(conn, "broadcast", 1).jobs[0]
    assert isinstance(claimed, Job) and claimed.id == job_id and claimed.attempts == 1
    assert job_counts(conn) == {"processing": 1}


class Split(Scripted):
    """A handler with ``call``: the batch up to its answer in the slot; the function it returns (``fn``
    applied to the jobs) is run later, by the runtime, wherever it runs it."""

    def __init__(self, fn, batch_size=10):
        super().__init__(fn, batch_size)
        self.threads: dict[str, str] = {}  # step -> the thread it ran in

    def process(self, ctx, jobs):
        raise AssertionError("the runtime calls call() on a handler that has it")

    def call(self, ctx, jobs):
        with self.lock:
            self.calls.append([j.id for j in jobs])
        self.threads["call"] = threading.current_thread().name

        def rest():
            self.threads["rest"] = threading.current_thread().name
            return self.fn(ctx, jobs)
        return rest


def test_a_split_handlers_answer_is_read_off_the_slot_and_committed(conn, tmp_path, db_url):
    job, other = insert_jobs(conn, 2)
    h = Split(lambda _c, jobs: [JobOutcome.succeeded(j) for j in jobs if j.id != job])
    drain(make_settings(tmp_path, db_url, backoff_base=60, backoff_max=120), db_url, handlers={"broadcast": h})
    assert get(conn, other)["status"] == "succeeded"
    row = get(conn, job)  # a job the function left out is retried, as with process()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "returned no outcome" in row["error_message"]
    assert h.threads["call"].startswith("mv-batch-") and h.threads["rest"].startswith("mv-committer-")


def test_a_split_handlers_failing_read_is_retried_then_fails_with_the_reason(conn, tmp_path, db_url):
    job, = insert_jobs(conn, 1, max_attempts=2)

    def boom(_ctx, _jobs):
        raise KeyError("statistics")

    h = Split(boom)
    settings = make_settings(tmp_path, db_url, backoff_base=0.01, backoff_max=0.02)
    with running_worker(settings, db_url, handlers={"broadcast": h}):
        wait_for(lambda: get(conn, job)["status"] == "failed")
    row = get(conn, job)
    assert row["attempts"] == 2 and len(h.calls) == 2
    assert row["error_message"] == "gave up after 2 attempts: unexpected error in the broadcast handler: " \
                                   "KeyError: 'statistics'"


def test_the_worker_collects_garbage_rarely_while_running_and_restores_the_collector(conn, tmp_path, db_url):
    # Worker.run freezes what exists before the run and raises the collector's thresholds; both
    # are put back when the last worker of the process returns (tests and the CLI run workers
    # in-process, several at once in threads).
    import gc
    import sys

    from workers.queue import interpreter

    insert_jobs(conn, 2)
    before = (gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval())
    assert before[0] != interpreter.GC_THRESHOLDS
    seen = []

    def fn(_ctx, jobs):
        seen.append((gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()))
        return [JobOutcome.succeeded(j) for j in jobs]

    with interpreter.tuned():  # another worker of the process, still running after the drain
        drain(make_settings(tmp_path, db_url), db_url, handlers={"broadcast": Scripted(fn)})
        assert gc.get_threshold() == interpreter.GC_THRESHOLDS
    assert seen and all(t == interpreter.GC_THRESHOLDS and frozen > 0 and switch == interpreter.SWITCH_INTERVAL_S
                        for t, frozen, switch in seen)
    assert (gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()) == before
    assert job_counts(conn) == {"succeeded": 2}


def test_the_claim_takes_over_expired_leases_through_one_index_whatever_the_statistics(conn, factory):
    # Statistics taken while the queue was empty, then thousands of live jobs: the planner used to
    # combine the lease index with the live-sync index (music_video_id, source) in a BitmapAnd that
    # matched the source against every live job's entry on every claim (20261202090100).
    import json

    from workers.queue.statements import CLAIM_SQL

    conn.execute("analyze public.music_video_metric_imports")
    vids = [v for v, _ in make_videos(conn, factory, 3000, youtube=False)]
    conn.execute("insert into public.music_video_metric_imports (source, platform, music_video_id)"
                 " select 'youtube', 'youtube', v from unnest(%s::uuid[]) as v", (vids,))
    conn.execute("update public.music_video_metric_imports set status = 'processing', locked_by = 'w0',"
                 " locked_until = now() - interval '1 minute' where music_video_id = any(%s)", (vids[:5],))
    params = {"source": "youtube", "n": 50, "worker": "w1", "lease": 60.0, "max_attempts": 5}
    with conn.transaction(force_rollback=True):
        plan = conn.execute("explain (format json) " + CLAIM_SQL, params).fetchone()["QUERY PLAN"]
        text = json.dumps(plan)
        assert "BitmapAnd" not in text and "one_live_sync" not in text
        assert "music_video_metric_imports_lease_by_source_idx" in text
        claimed = conn.execute(CLAIM_SQL, params).fetchall()
    assert sum(r["music_video_id"] in vids[:5] for r in claimed) == 5  # the expired leases first
