"""Queue speed: pickup latency, no-op throughput (1 and 2 worker processes) against peer queues
measured in the same run, YouTube sync at scale.

    .venv/bin/python benchmarks/bench_queue.py [--runs 3] [--jobs 20000] [--pickups 200]
        [--peers pgqueuer procrastinate] [--pgqueuer-batch 10 500] [--procrastinate-concurrency 100]
        [--peer-python PATH]
        [--yt-sizes 100 10000] [--yt-latency 0.1] [--yt-concurrency 8] [--yt-processes 1] [--yt-runs 1]
        [--nightly-videos 1000000] [--nightly-units 10000]
        [--shared-cluster]
        [--only pickup throughput youtube nightly floor]

On the shared 2-core machine, run it under the team's lock so no two benchmarks overlap:
``flock /tmp/bench.lock .venv/bin/python benchmarks/bench_queue.py``.

**Peers** (pgqueuer with its asyncpg driver, procrastinate) are the ``bench`` extra, pinned in
``requirements/bench.lock``, never a runtime dependency. Install them into the Python that runs
the script, or into the worktree's ``.venv`` (the script looks there too; ``--peer-python`` names
another)::

    pip install -c requirements/bench.lock -e '.[bench]'

A peer that is not installed is reported as such, with no figure.

Everything runs against a throwaway PostgreSQL 15 cluster (default settings plus the embedded
cluster's few lines; fsync and synchronous_commit on) started in /var/tmp for the run, so other
engineers' tests on the shared cluster neither disturb nor are disturbed (``--shared-cluster``
uses a scratch database on the shared one instead). Workers are real ``workers.queue.Worker``
objects in separate processes (this script re-invoked with ``--child``).

1. **Pickup latency**: one idle worker (LISTEN/NOTIFY, poll interval 2 s); 200 jobs inserted one at
   a time, 30 ms apart, each in its own transaction. Latency = the handler's first line (the
   worker's clock, ``time.time_ns``) minus the moment before the client sent the INSERT (same
   machine clock). Median and p95, both from before the INSERT (includes the client's own durable
   commit, ~1-2 ms of fsync no queue can shorten) and from the commit's acknowledgement (what the
   queue adds; the 2 ms p95 target is read against this one). Also shown: ``started_at -
   created_at`` from the rows.
2. **Throughput**: N no-op jobs bulk-enqueued, then 1 or 2 worker processes released together
   (each connects, reports ready, waits for "go"). Rate = N / (last ``completed_at`` - first
   ``started_at``): first dequeue to the last completion written. Median of ``--runs`` runs. The
   no-op handler is registered only here. **Peers, same run**: each peer gets a database of its own
   on the same cluster, the same N no-op jobs bulk-enqueued, 1 or 2 worker processes (drain mode:
   they exit when the queue is empty) released together; its window is its first pick to its last
   success as its own tables record them (pgqueuer: ``pgqueuer_log`` 'picked' -> 'successful';
   procrastinate: ``procrastinate_events`` 'started' -> 'succeeded'). Runs are interleaved (ours,
   then each peer configuration, N times) so a load spike hits all alike. pgqueuer is measured at
   its default ``batch_size`` 10 and at 500 (its best here); the ratio is to the best median.
   Also printed: client wall (from "go" to all done; for peers including process exit).
3. **YouTube sync**: N videos with YouTube targets, one release-wide sync (N jobs), one worker
   process with the real YouTube handler against a local fake ``videos.list`` that answers
   ``--yt-latency`` after each request arrived (the body built meanwhile, sent in one write), with
   items cloned from the real fixture. Reports wall
   time (first ``started_at`` to last ``completed_at``), calls made, ceil(N/50) and the ratio to
   the lower bound ``ceil(N/50) * latency / concurrency``, and the workers' CPU time per job. Issue 13's
   figure: ``--yt-sizes 100000 --yt-concurrency 16 --yt-processes 2``. Every call's unit goes through
   the shared quota count (``private.spend_youtube_units``), as in production.
4. **Nightly plan** (``--only nightly``, not in the default set): ``--nightly-videos`` scheduled
   videos with YouTube targets (1% released in the last 30 days, 0.5% at 95% of a view target), the
   nightly planned and enqueued by ``workers.scheduler.enqueue_nightly`` with ``--nightly-units``
   units a day, for two nights (a new quota day each) and a re-run of the second; prints the
   plan (planned and skipped per reason) and the enqueue time (target: under 30 s at 1M).
5. **Floor** (``--only floor``, not in the default set): what the 5x target asks of the machine. In
   one run, interleaved, N no-op jobs each (median of ``--runs``): pgqueuer batch_size 500 and our
   queue, 1 process each, exactly as in 2.; then a bare queue table (id, status, locked_by,
   attempts; a partial index on the pending rows, nothing else) claimed 500 at a time with the
   shape of our claim and finished with one update per batch, from 1 and 2 Python processes in a
   tight psycopg loop, and from 1 and 2 sessions looping in a ``do`` block (no client at all). The
   commits are our queue's: the claim asynchronous, the finish durable. Between the two, our own
   claim and finish statements (``QueueOps``, batches of 500) on our table in the same tight loop,
   without the worker: what the table costs apart from the worker. Prints jobs/s, the ratio to
   pgqueuer and 5x pgqueuer.

Logs are at WARNING in the workers (per-job INFO lines are not what is measured). Nothing here
asserts; it prints figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402

FIXTURES = Path(os.environ.get("MV_EXTERNAL_FIXTURES", ROOT / "tests" / "fixtures" / "external"))


# --pg-statements: load pg_stat_statements (track = all) and track_functions in the throwaway
# cluster, reset them when a YouTube run starts, print the top statements and functions at the end.
PG_STATEMENTS = False


def pct(values: Sequence[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ----------------------------------------------------------------------------- child worker


class NoopHandler:
    """Does nothing; notes when it started (for the pickup latency)."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    def process(self, ctx, jobs):
        from workers.queue.handler import JobOutcome

        t = time.time_ns()
        return [JobOutcome.succeeded(j, metadata={"picked_ns": t}) for j in jobs]


def child(args: argparse.Namespace) -> int:
    from workers.config import load_settings
    from workers.logs import configure_logging
    from workers.queue.worker import Worker

    settings = load_settings(database_url=args.url, worker_concurrency=args.concurrency,
                             poll_interval=args.poll, claim_batch=min(500, args.batch), log_level="WARNING",
                             storage_local_dir=Path(args.storage), lease_seconds=60)
    configure_logging(settings)
    if args.child == "noop":
        handlers = {"broadcast": NoopHandler(args.batch)}
    else:
        from workers.sources.youtube.job import YouTubeHandler

        handlers = {"youtube": YouTubeHandler(settings)}
    worker = Worker(settings, args.url, handlers=handlers)
    if os.environ.get("MV_BENCH_TRACE"):
        trace_calls(Path(os.environ["MV_BENCH_TRACE"]))
    # connect before "go": warm the pool like a long-running worker
    from psycopg_pool import ConnectionPool

    warm = ConnectionPool(args.url, min_size=1, max_size=1, open=True)
    warm.close()
    if os.environ.get("MV_BENCH_GC_STATS"):
        gc_stats()
    print("ready", flush=True)
    if args.wait_go:
        sys.stdin.readline()
    return worker.run(install_signals=True, exit_when_idle=args.exit_when_idle)


def gc_stats() -> None:
    """Diagnostic (``--yt-gc-stats``): count and time this process's garbage collections by
    generation, printed to stderr when it exits."""
    import atexit
    import gc

    by_gen = [[0, 0.0, 0] for _ in range(3)]  # collections, seconds, objects collected
    started = [0.0]

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        g = by_gen[info["generation"]]
        g[0] += 1
        g[1] += time.perf_counter() - started[0]
        g[2] += info["collected"]

    gc.callbacks.append(note)
    def report() -> None:
        gens = ", ".join(f"gen{i} {n} {s:.3f} s {c}" for i, (n, s, c) in enumerate(by_gen))
        print(f"garbage collections of pid {os.getpid()} by generation (count, seconds, objects collected): {gens}",
              file=sys.stderr, flush=True)

    atexit.register(report)


def trace_calls(out: Path) -> None:
    """Diagnostic (``--yt-trace``): record when each step of the worker's pipeline ran, written to
    ``out`` as JSON lines (kind, start, end, thread) when the process exits."""
    import atexit
    import functools

    from workers.queue import completion, dispatch, worker
    from workers.sources.youtube import client, job, quota

    spans: list = []

    def wrap(owner, name: str, kind: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def timed(*a, **kw):
            t0 = time.time()
            try:
                return fn(*a, **kw)
            finally:
                spans.append((kind, t0, time.time(), f"{threading.current_thread().name}-{threading.get_ident()}"))
        setattr(owner, name, timed)

    for owner, name, kind in ((dispatch.Dispatcher, "claim", "claim"), (worker.Worker, "_start", "start"),
                              (job, "_targets", "targets"), (quota.DbQuotaLedger, "_reserve", "spend"),
                              (job.YouTubeHandler, "prepare", "prepare"),
                              (client.YouTubeClient, "_fetch_with", "http"), (job.YouTubeHandler, "process", "process"),
                              (worker.Worker, "_run_batch", "batch"), (completion.Committer, "_commit", "commit")):
        wrap(owner, name, kind)
    atexit.register(lambda: out.write_text("\n".join(json.dumps(s) for s in spans)))


def spawn(kind: str, url: str, storage: Path, *, batch: int = 50, concurrency: int = 4, poll: float = 2.0,
          wait_go: bool = True, exit_when_idle: bool = False, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--child", kind, "--url", url, "--batch", str(batch),
           "--concurrency", str(concurrency), "--poll", str(poll), "--storage", str(storage)]
    if wait_go:
        cmd.append("--wait-go")
    if exit_when_idle:
        cmd.append("--exit-when-idle")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    line = p.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"worker child failed to start: {line!r}")
    return p


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """user + system CPU time of a running process (Linux /proc); ``reaped``: plus that of its
    children that have exited and been waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(conn: psycopg.Connection) -> dict[str, float]:
    """CPU time of the whole PostgreSQL server so far, by process kind: the postmaster with the
    backends it reaped ("exited"), and every live child by its application name or backend type
    ("mv-worker", "checkpointer", "autovacuum worker" ...). Same machine only."""
    datadir = conn.execute("show data_directory").fetchone()["data_directory"]
    pm = int(Path(datadir, "postmaster.pid").read_text().splitlines()[0])
    kinds = {r["pid"]: r["kind"] for r in conn.execute(
        "select pid, coalesce(nullif(application_name, ''), backend_type) as kind from pg_stat_activity")}
    out = {"postmaster and exited": cpu_seconds(pm, reaped=True)}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pm:
            pid = int(stat.parent.name)
            kind = kinds.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + cpu_seconds(pid)
    return out


def stop(procs: Sequence[subprocess.Popen]) -> None:
    import signal

    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


# ----------------------------------------------------------------------------- database


class Db:
    def __init__(self, shared: bool) -> None:
        from devtools.localdb import LocalCluster, find_bindir
        from devtools.migrate import migrate

        self.cluster = None
        self.root = None
        if shared:
            admin = LocalCluster.default().url()
            self.name = f"mv_bench_queue_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f"create database {self.name}")
            self.admin = admin
            self.url = admin.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.root = Path(tempfile.mkdtemp(prefix="mv-bench-", dir="/var/tmp"))
            os.chmod(self.root, 0o755)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self.cluster = LocalCluster(root=self.root, port=port, bindir=find_bindir())
            self.cluster.start()
            self.url = self.cluster.url()
            if PG_STATEMENTS:
                with psycopg.connect(self.url, autocommit=True) as c:
                    c.execute("alter system set shared_preload_libraries = 'pg_stat_statements'")
                    c.execute("alter system set track_functions = 'all'")
                self.cluster.stop()
                self.cluster.start()
                with psycopg.connect(self.url, autocommit=True) as c:
                    c.execute("alter system set pg_stat_statements.track = 'all'")
                    c.execute("select pg_reload_conf()")
        migrate(self.url, seed=False)
        if PG_STATEMENTS:
            with psycopg.connect(self.url, autocommit=True) as c:
                c.execute("create extension if not exists pg_stat_statements with schema extensions")

    def close(self) -> None:
        if PG_STATEMENTS:
            with self.connect() as c:
                print("\nstatements since the last YouTube run's start (elapsed ms incl. waits, calls, rows,"
                      " top level, text):")
                for r in c.execute("select round(total_exec_time) as ms, calls, rows, toplevel, "
                                   "left(regexp_replace(query, '\\s+', ' ', 'g'), 120) as q "
                                   "from extensions.pg_stat_statements order by total_exec_time desc limit 30"):
                    print(f"  {r['ms']:>9} {r['calls']:>8} {r['rows']:>8} {'top' if r['toplevel'] else '   '} {r['q']}")
                print("functions (calls, total ms, self ms):")
                for r in c.execute("select funcname, calls, round(total_time) as tot, round(self_time) as self "
                                   "from pg_stat_user_functions where calls > 0 order by self_time desc limit 20"):
                    print(f"  {r['calls']:>8} {r['tot']:>8} {r['self']:>8} {r['funcname']}")
        if self.cluster is not None:
            self.cluster.stop(mode="immediate")
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            with psycopg.connect(self.admin, autocommit=True) as c:
                c.execute(f"drop database if exists {self.name} with (force)")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)


# Any job still to run? Two probes of the partial indexes of pending and processing jobs, never a
# count over the table: polled every 50 ms while the workers run, a count(*) of a 100,000-job queue
# took ~45 ms a poll, ~0.03 ms of the CPU a job is measured with (pg_stat_statements, 2026-11-30).
# enable_seqscan off: the statistics of a queue seeded all pending would plan a scan of the table for
# the last polls, when nothing matches.
LIVE_SQL = """
select exists (select 1 from public.music_video_metric_imports where status = 'pending')
    or exists (select 1 from public.music_video_metric_imports where status = 'processing') as live
"""


def jobs_live(conn: psycopg.Connection) -> bool:
    with conn.transaction():
        conn.execute("set local enable_seqscan = off")
        return conn.execute(LIVE_SQL).fetchone()["live"]


def reset(conn: psycopg.Connection) -> None:
    conn.execute("truncate public.music_video_metric_imports, public.music_video_metrics,"
                 " public.music_video_events, private.worker_source_pauses, private.youtube_quota_usage cascade")
    conn.execute("vacuum analyze public.music_video_metric_imports")
    conn.execute("checkpoint")


# ----------------------------------------------------------------------------- 1. pickup latency


def bench_pickup(db: Db, storage: Path, n: int) -> dict:
    with db.connect() as conn:
        reset(conn)
    p = spawn("noop", db.url, storage, batch=50, concurrency=4, poll=2.0, wait_go=False)
    sent: dict = {}
    try:
        time.sleep(1.0)  # idle: waiting on LISTEN
        with db.connect() as conn:
            for _ in range(n):  # paced, and no polling while measuring: the CPU stays with the worker
                t0 = time.time_ns()
                jid = conn.execute("insert into public.music_video_metric_imports (source) values ('broadcast')"
                                   " returning id").fetchone()["id"]
                sent[jid] = (t0, time.time_ns())
                time.sleep(0.03)
            deadline = time.monotonic() + 30
            while conn.execute("select count(*) as n from public.music_video_metric_imports"
                               " where status = 'succeeded'").fetchone()["n"] < n:
                if time.monotonic() > deadline:
                    raise RuntimeError("jobs not picked up within 30 s")
                time.sleep(0.05)
            rows = conn.execute("select id, metadata, started_at, created_at"
                                " from public.music_video_metric_imports").fetchall()
    finally:
        stop([p])
    lat = [(r["metadata"]["picked_ns"] - sent[r["id"]][0]) / 1e6 for r in rows]
    after_commit = [(r["metadata"]["picked_ns"] - sent[r["id"]][1]) / 1e6 for r in rows]
    insert_ms = [(sent[r["id"]][1] - sent[r["id"]][0]) / 1e6 for r in rows]
    db_lat = [(r["started_at"] - r["created_at"]).total_seconds() * 1000 for r in rows]
    return {"n": n, "median_ms": statistics.median(lat), "p95_ms": pct(lat, 0.95), "max_ms": max(lat),
            "after_commit_median_ms": statistics.median(after_commit),
            "after_commit_p95_ms": pct(after_commit, 0.95),
            "insert_median_ms": statistics.median(insert_ms), "insert_p95_ms": pct(insert_ms, 0.95),
            "db_median_ms": statistics.median(db_lat), "db_p95_ms": pct(db_lat, 0.95)}


# ----------------------------------------------------------------------------- 2. throughput


def seed_noop_jobs(conn: psycopg.Connection, n: int) -> None:
    reset(conn)
    conn.execute(
        "insert into public.music_video_metric_imports (source) select 'broadcast' from generate_series(1, %s)", (n,)
    )
    conn.execute("analyze public.music_video_metric_imports")


def bench_throughput(db: Db, storage: Path, n: int, workers: int, *, batch: int, concurrency: int) -> dict:
    with db.connect() as conn:
        seed_noop_jobs(conn, n)
    procs = [spawn("noop", db.url, storage, batch=batch, concurrency=concurrency, poll=0.5) for _ in range(workers)]
    with db.connect() as conn:
        cpu0 = sum(cpu_seconds(p.pid) for p in procs) + sum(server_cpu_seconds(conn).values())
    t0 = time.monotonic()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    try:
        with db.connect() as conn:
            while True:
                if not jobs_live(conn):
                    break
                if time.monotonic() - t0 > 300:
                    raise RuntimeError(f"jobs still live after 300 s (of {n})")
                time.sleep(0.05)
            wall = time.monotonic() - t0
            # workers + PostgreSQL (this loop's count queries included): the CPU a job costs
            cpu = sum(cpu_seconds(p.pid) for p in procs) + sum(server_cpu_seconds(conn).values()) - cpu0
            row = conn.execute("select min(started_at) as a, max(completed_at) as b,"
                               " max(attempts) as max_attempts, count(distinct metadata ->> 'worker') as workers"
                               " from public.music_video_metric_imports").fetchone()
    finally:
        stop(procs)
    window = (row["b"] - row["a"]).total_seconds()
    return {"n": n, "workers": workers, "window_s": window, "jobs_per_s": n / window, "client_wall_s": wall,
            "max_attempts": row["max_attempts"], "workers_seen": row["workers"], "cpu_ms_per_job": cpu / n * 1e3}


# ----------------------------------------------------------------------------- 2b. peer queues, same run
#
# Each peer runs in its own database on the same cluster, in separate worker processes (this script
# re-invoked with --peer-child under a Python that has the peer installed: the running one, or the
# worktree's .venv, or --peer-python). Same job count, no-op jobs, the same release-together start.
# Window = the peer's first pick as its own tables record it -> its last success as recorded, both
# database timestamps, like ours (first started_at -> last completed_at).

PEERS = ("pgqueuer", "procrastinate")


def peer_child(args: argparse.Namespace) -> int:
    import asyncio

    logging_off()
    if args.peer_child == "pgqueuer":
        import asyncpg
        from pgqueuer import AsyncpgDriver, Queries, QueueManager
        from pgqueuer.types import QueueExecutionMode

        async def run() -> None:
            conn = await asyncpg.connect(args.url)
            qm = QueueManager(Queries(AsyncpgDriver(conn)))

            @qm.entrypoint("noop")
            async def noop(job) -> None:
                return None

            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            await qm.run(batch_size=args.batch, mode=QueueExecutionMode.drain)
            await conn.close()
    else:
        import procrastinate

        async def run() -> None:
            app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=args.url))

            @app.task(name="noop")
            async def noop() -> None:
                return None

            async with app.open_async():
                print("ready", flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                await app.run_worker_async(concurrency=args.concurrency, wait=False, listen_notify=True,
                                           install_signal_handlers=False)
    asyncio.run(run())
    return 0


def logging_off() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)  # "App in the main module": intended


def peer_python(name: str, explicit: str | None) -> str | None:
    """A Python that can import the peer: --peer-python, this one, or the worktree's .venv."""
    candidates = [explicit] if explicit else [sys.executable, str(ROOT / ".venv" / "bin" / "python")]
    mod = {"pgqueuer": "pgqueuer, asyncpg", "procrastinate": "procrastinate"}[name]
    for py in candidates:
        if py and Path(py).exists() and subprocess.run([py, "-c", f"import {mod}"], capture_output=True,
                                                       cwd=ROOT).returncode == 0:
            return py
    return None


def peer_version(py: str, name: str) -> str:
    return subprocess.run([py, "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
                          capture_output=True, text=True).stdout.strip()


QUIET = "import logging\nlogging.getLogger('procrastinate.blueprints').setLevel(logging.ERROR)\n"


class ScratchDb:
    """A database of its own on the benchmark's cluster, dropped by ``close``."""

    def __init__(self, db: Db, prefix: str) -> None:
        self.admin = db.url
        self.name = f"{prefix}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self.admin, autocommit=True) as c:
            c.execute(f"create database {self.name}")
        self.url = db.url.rsplit("/", 1)[0] + "/" + self.name

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)

    def close(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as c:
            c.execute(f"drop database if exists {self.name} with (force)")


class PeerDb(ScratchDb):
    """A database of its own on the benchmark's cluster for one peer, with the peer's schema."""

    def __init__(self, db: Db, name: str, py: str) -> None:
        super().__init__(db, f"peer_{name}")
        self.peer = name
        install = {
            "pgqueuer": "import asyncio, asyncpg\nfrom pgqueuer import AsyncpgDriver, Queries\n"
                        "async def m():\n  c = await asyncpg.connect(URL)\n"
                        "  await Queries(AsyncpgDriver(c)).install()\n  await c.close()\nasyncio.run(m())",
            "procrastinate": "import procrastinate\n"
                             "app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=URL))\n"
                             "with app.open():\n  app.schema_manager.apply_schema()",
        }[name]
        subprocess.run([py, "-c", f"URL = {self.url!r}\n" + QUIET + install], check=True, cwd=ROOT)

    def enqueue(self, py: str, n: int) -> None:
        code = {
            "pgqueuer": "import asyncio, asyncpg\nfrom pgqueuer import AsyncpgDriver, Queries\n"
                        "async def m():\n  c = await asyncpg.connect(URL)\n"
                        "  q = Queries(AsyncpgDriver(c))\n  await q.enqueue(['noop'] * N, [None] * N, [0] * N)\n"
                        "  await c.close()\nasyncio.run(m())",
            "procrastinate": "import procrastinate\n"
                             "app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=URL))\n"
                             "@app.task(name='noop')\nasync def noop():\n  return None\n"
                             "with app.open():\n  noop.batch_defer(*[{}] * N)",
        }[self.peer]
        subprocess.run([py, "-c", f"URL = {self.url!r}\nN = {n}\n" + QUIET + code], check=True, cwd=ROOT)

    def reset(self, conn: psycopg.Connection) -> None:
        tables = {"pgqueuer": "pgqueuer, pgqueuer_log, pgqueuer_statistics",
                  "procrastinate": "procrastinate_jobs, procrastinate_events, procrastinate_workers"}[self.peer]
        conn.execute(f"truncate {tables} cascade")
        conn.execute("checkpoint")

    def window(self, conn: psycopg.Connection) -> tuple[int, float]:
        sql = {"pgqueuer": "select count(*) filter (where status = 'successful') as done,"
                           " max(created) filter (where status = 'successful')"
                           " - min(created) filter (where status = 'picked') as w from pgqueuer_log",
               "procrastinate": "select count(*) filter (where type = 'succeeded') as done,"
                                " max(at) filter (where type = 'succeeded')"
                                " - min(at) filter (where type = 'started') as w from procrastinate_events"}[self.peer]
        row = conn.execute(sql).fetchone()
        return row["done"], row["w"].total_seconds() if row["w"] else float("nan")


def bench_peer(pdb: PeerDb, py: str, n: int, workers: int, *, batch: int, concurrency: int) -> dict:
    with psycopg.connect(pdb.url, autocommit=True, row_factory=dict_row) as conn:
        pdb.reset(conn)
    pdb.enqueue(py, n)
    with psycopg.connect(pdb.url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("analyze")
    procs = []
    for _ in range(workers):
        p = subprocess.Popen([py, __file__, "--peer-child", pdb.peer, "--url", pdb.url, "--batch", str(batch),
                              "--concurrency", str(concurrency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
        if p.stdout.readline().strip() != "ready":
            stop([*procs, p])
            raise RuntimeError(f"{pdb.peer} worker failed to start")
        procs.append(p)
    t0 = time.monotonic()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    try:
        for p in procs:
            p.wait(300)  # both peers run in drain mode: they exit once the queue is empty
    finally:
        stop(procs)
    wall = time.monotonic() - t0
    with psycopg.connect(pdb.url, autocommit=True, row_factory=dict_row) as conn:
        done, window = pdb.window(conn)
    if done < n:
        raise RuntimeError(f"{pdb.peer}: only {done}/{n} jobs succeeded")
    return {"n": n, "workers": workers, "window_s": window, "jobs_per_s": n / window, "client_wall_s": wall}


# ----------------------------------------------------------------------------- 2c. the floor
#
# The most any queue whose jobs are rows with a status column can do here: a table with only the
# claim's columns and one partial index, in a database of its own (no RLS, no triggers, no other
# index), claimed 500 at a time with the shape of CLAIM_SQL and finished with one update per batch.
# Driven by a tight psycopg loop (no handler, no worker machinery) or by a do block (no client).
# Same commits as our queue: the claim asynchronous (QueueOps.claim), the finish durable.

FLOOR_TABLE = """
create table floor_jobs (
  id bigint generated always as identity primary key,
  status smallint not null default 0, -- 0 pending, 1 processing, 2 done
  locked_by text,
  attempts int not null default 0
);
create index floor_jobs_pending on floor_jobs (id) where status = 0
"""
# {worker}: a placeholder from Python, an expression in the do block
FLOOR_CLAIM = """
update floor_jobs as j set status = 1, locked_by = {worker}, attempts = j.attempts + 1
from (select id from floor_jobs where status = 0 order by id limit 500 for update skip locked) as p
where j.id = p.id
returning j.id
"""
FLOOR_FINISH = "update floor_jobs set status = 2 where id = any({ids})"
FLOOR_DO = f"""
do $$
declare ids bigint[];
begin
  loop
    perform set_config('synchronous_commit', 'off', true);
    with c as ({FLOOR_CLAIM.format(worker="'sql-' || pg_backend_pid()")}) select array_agg(id) into ids from c;
    commit;
    exit when ids is null;
    {FLOOR_FINISH.format(ids="ids")};
    commit;
  end loop;
end $$
"""


def floor_child(args: argparse.Namespace) -> int:
    """Claim and finish until the floor table has no pending row; print the window and own CPU."""
    claim, finish, worker = FLOOR_CLAIM.format(worker="%s"), FLOOR_FINISH.format(ids="%s"), f"floor-{os.getpid()}"
    with (
        psycopg.connect(args.url, autocommit=True, options="-c synchronous_commit=off") as claimer,
        psycopg.connect(args.url, autocommit=True) as finisher,
    ):
        print("ready", flush=True)
        sys.stdin.readline()
        start = end = time.time()
        cpu0, done = time.process_time(), 0
        while ids := [r[0] for r in claimer.execute(claim, (worker,))]:
            finisher.execute(finish, (ids,))
            done += len(ids)
            end = time.time()
    print(json.dumps({"start": start, "end": end, "jobs": done, "cpu_s": time.process_time() - cpu0}), flush=True)
    return 0


def floor_reset(fdb: ScratchDb, n: int) -> float:
    """``n`` pending jobs; returns the cluster's CPU so far (backends reaped at exit included)."""
    with fdb.connect() as conn:
        conn.execute("truncate floor_jobs")
        conn.execute("insert into floor_jobs (attempts) select 0 from generate_series(1, %s)", (n,))
        conn.execute("vacuum analyze floor_jobs")
        conn.execute("checkpoint")
        return sum(server_cpu_seconds(conn).values())


def floor_result(fdb: ScratchDb, n: int, window: float, cpu0: float, client_cpu: float) -> dict:
    with fdb.connect() as conn:
        done = conn.execute("select count(*) filter (where status = 2) as n from floor_jobs").fetchone()["n"]
        cpu = sum(server_cpu_seconds(conn).values()) - cpu0 + client_cpu
    if done != n:
        raise RuntimeError(f"floor: {done}/{n} jobs done")
    return {"n": n, "window_s": window, "jobs_per_s": n / window, "cpu_ms_per_job": cpu / n * 1e3}


def bench_floor(fdb: ScratchDb, storage: Path, n: int, workers: int) -> dict:
    """The floor from ``workers`` Python processes released together: first claim -> last finish."""
    cpu0 = floor_reset(fdb, n)
    procs = [spawn("floor", fdb.url, storage) for _ in range(workers)]
    try:
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        out = [json.loads(p.stdout.readline()) for p in procs]
    finally:
        stop(procs)
    window = max(o["end"] for o in out) - min(o["start"] for o in out)
    return floor_result(fdb, n, window, cpu0, sum(o["cpu_s"] for o in out))


def bench_floor_sql(fdb: ScratchDb, n: int, sessions: int) -> dict:
    """The floor from ``sessions`` do blocks started together (threads only wait on the server)."""
    cpu0 = floor_reset(fdb, n)
    conns = [fdb.connect() for _ in range(sessions)]
    start = threading.Barrier(sessions + 1)

    def run(conn: psycopg.Connection) -> None:
        start.wait()
        conn.execute(FLOOR_DO)

    threads = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    window = time.monotonic() - t0
    for c in conns:
        c.close()
    return floor_result(fdb, n, window, cpu0, 0.0)


def bench_queue_ops(db: Db, n: int) -> dict:
    """Our own claim and finish (QueueOps, batches of 500) on our table in the floor's tight loop, in
    this process: the worker's machinery (dispatcher, handler, committer threads, heartbeat) left out."""
    from workers.queue.statements import QueueOps, Resolved

    ops = QueueOps(f"floor-{os.getpid()}", 60)
    with db.connect() as conn:
        seed_noop_jobs(conn, n)
        cpu0 = sum(server_cpu_seconds(conn).values()) + time.process_time()
    with (
        psycopg.connect(db.url, autocommit=True, row_factory=dict_row, options="-c synchronous_commit=off") as claimer,
        db.connect() as finisher,
    ):
        t0 = time.time()
        while jobs := ops.claim(claimer, "broadcast", 500, set_async=False).jobs:
            ops.finish(finisher, [Resolved(j, "succeeded", None, {}, None, None, None, 0) for j in jobs])
        window = time.time() - t0
    with db.connect() as conn:
        done = conn.execute(
            "select count(*) as n from public.music_video_metric_imports where status = 'succeeded'"
        ).fetchone()["n"]
        cpu = sum(server_cpu_seconds(conn).values()) + time.process_time() - cpu0
    if done != n:
        raise RuntimeError(f"QueueOps loop: {done}/{n} jobs succeeded")
    return {"n": n, "window_s": window, "jobs_per_s": n / window, "cpu_ms_per_job": cpu / n * 1e3}


def run_floor(db: Db, storage: Path, args: argparse.Namespace) -> dict:
    """Section 5: every case interleaved ``--runs`` times, medians and ratios to pgqueuer batch 500."""
    n = args.jobs
    py = peer_python("pgqueuer", args.peer_python)
    pdb = PeerDb(db, "pgqueuer", py) if py else None
    fdb = ScratchDb(db, "floor")
    try:
        with fdb.connect() as conn:
            conn.execute(FLOOR_TABLE)
            # The join CLAIM_SQL gets on our table (a nested loop on the primary key). On this narrow
            # table the planner hash-joins a scan of the whole table per claim instead, a cost that
            # grows with the queue (100,000 jobs: half the rate of 10,000): not the floor.
            conn.execute(f"alter database {fdb.name} set enable_hashjoin = off")
            conn.execute(f"alter database {fdb.name} set enable_mergejoin = off")
        ref = "pgqueuer batch_size 500, 1 process"
        cases = {
            f"music-videos, 1 process (batch {args.noop_batch}, concurrency {args.noop_concurrency})": lambda: (
                bench_throughput(db, storage, n, 1, batch=args.noop_batch, concurrency=args.noop_concurrency)
            ),
            "our claim + finish statements on our table, tight loop (no worker), 1 process": lambda: (
                bench_queue_ops(db, n)
            ),
            "bare SQL floor, 1 Python process": lambda: bench_floor(fdb, storage, n, 1),
            "bare SQL floor, 2 Python processes": lambda: bench_floor(fdb, storage, n, 2),
            "bare SQL floor, server-side do block, 1 session": lambda: bench_floor_sql(fdb, n, 1),
            "bare SQL floor, server-side do block, 2 sessions": lambda: bench_floor_sql(fdb, n, 2),
        }
        if pdb:
            cases = {ref: lambda: bench_peer(pdb, py, n, 1, batch=500, concurrency=0), **cases}
        runs: dict[str, list[dict]] = {label: [] for label in cases}
        loads = []
        for _ in range(args.runs):  # interleaved, so a load spike hits every case alike
            for label, case in cases.items():
                runs[label].append(case())
                loads.append(os.getloadavg()[0])
    finally:
        fdb.close()
        if pdb:
            pdb.close()
    med = {label: statistics.median(r["jobs_per_s"] for r in rs) for label, rs in runs.items()}
    print(
        f"\nfloor, {n:,} no-op jobs, median of {args.runs} interleaved runs"
        f" (load average {min(loads):.2f}-{max(loads):.2f} after each case):"
    )
    for label, rs in runs.items():
        cpu = [r["cpu_ms_per_job"] for r in rs if "cpu_ms_per_job" in r]
        print(
            f"  {label}: runs "
            + ", ".join(f"{r['jobs_per_s']:,.0f}" for r in rs)
            + f" jobs/s; median {med[label]:,.0f}"
            + (f" = {med[label] / med[ref]:.2f}x pgqueuer" if ref in med else "")
            + (f"; CPU (clients + PostgreSQL) median {statistics.median(cpu):.3f} ms per job" if cpu else "")
        )
    if ref in med:
        print(f"  5x pgqueuer = {5 * med[ref]:,.0f} jobs/s")
    else:
        print("  pgqueuer NOT INSTALLED: no reference (pip install -c requirements/bench.lock -e '.[bench]')")
    print(f"  load average {os.getloadavg()[0]:.2f}")
    return {"runs": runs, "median_jobs_per_s": med}


# ----------------------------------------------------------------------------- 3. YouTube sync


class FakeYouTubeServer:
    """videos.list with real fixture items, ``latency`` seconds per call, one thread per request."""

    def __init__(self, latency: float) -> None:
        doc = json.loads((FIXTURES / "youtube" / "videos_list_chart_mostPopular_US_2023-11_first10of50.json")
                         .read_text())
        templates = doc["items"]
        self.calls = 0
        self.ids_per_call: list[int] = []
        self.first_call = self.last_answer = 0.0  # when the first call came in, the last answer went out
        lock = threading.Lock()
        outer = self

        # Items as videos.list?part=statistics returns them (only the requested part comes back),
        # from the real fixture's items; pre-serialised so the fake adds ~nothing to the latency.
        pre = [json.dumps({"kind": t["kind"], "etag": t["etag"], "id": "@ID@",
                           "statistics": {"viewCount": str(1000 + n), "likeCount": "10", "favoriteCount": "0",
                                          "commentCount": "2"}})
               for n, t in enumerate(templates)]
        etag = doc["etag"]

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in one write; with TCP_NODELAY nothing waits for the
            # client's delayed ACK (~40 ms on Linux) on a kept-alive connection.
            disable_nagle_algorithm = True

            def parse_request(self):
                self.arrived = time.monotonic()  # the request line is read: the call's 100 ms start here
                return super().parse_request()

            def do_GET(self):
                q = parse_qs(urlparse(self.path).query)
                ids = q.get("id", [""])[0].split(",")
                with lock:
                    outer.calls += 1
                    outer.ids_per_call.append(len(ids))
                    outer.first_call = outer.first_call or time.time()
                # The answer is built before the wait and sent whole when ``latency`` has passed since
                # the request arrived: the call takes the latency, not the latency plus the fake's work.
                items = ",".join(pre[n % len(pre)].replace("@ID@", vid) for n, vid in enumerate(ids))
                body = ('{"kind":"youtube#videoListResponse","etag":' + json.dumps(etag) + ',"items":[' + items
                        + '],"pageInfo":{"totalResults":' + str(len(ids)) + ',"resultsPerPage":' + str(len(ids))
                        + "}}").encode()
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode()
                wait = self.arrived + latency - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.wfile.write(head + body)
                outer.last_answer = time.time()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/youtube/v3"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def seed_videos(conn: psycopg.Connection, n: int) -> uuid.UUID:
    uid = uuid.uuid4()
    conn.execute("insert into auth.users (id, email, aud, role) values (%s, %s, 'authenticated', 'authenticated')",
                 (uid, f"{uid.hex[:8]}@bench.test"))
    conn.execute("insert into public.profiles (id) values (%s)", (uid,))
    rid = conn.execute("insert into public.releases (user_id, title) values (%s, 'Bench') returning id",
                       (uid,)).fetchone()["id"]
    conn.execute("insert into public.music_videos (release_id, title, sync_strategy)"
                 " select %s, 'Video ' || g, 'scheduled' from generate_series(1, %s) as g", (rid, n))
    conn.execute("insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
                 " select v.id, 'youtube', 'b' || lpad(row_number() over (order by v.id)::text, 10, '0')"
                 " from public.music_videos as v where v.release_id = %s", (rid,))
    conn.execute("analyze")
    return rid


SUMMARY_TRIGGERS = [("public.music_video_metric_imports", t) for t in
                    ("note_summaries_on_insert", "note_summaries_on_update", "note_summaries_on_delete")] + \
                   [("public.music_video_metrics", t) for t in
                    ("note_metric_summaries_on_insert", "note_metric_summaries_on_update",
                     "note_metric_summaries_on_delete")]


def set_summary_triggers(conn: psycopg.Connection, enabled: bool) -> list[str]:
    """Diagnostic only: the card-summary triggers (another module's) on the queue and metric tables."""
    done = []
    for table, trig in SUMMARY_TRIGGERS:
        exists = conn.execute("select 1 from pg_trigger where tgname = %s and tgrelid = %s::regclass",
                              (trig, table)).fetchone()
        if exists:
            conn.execute(f"alter table {table} {'enable' if enabled else 'disable'} trigger {trig}")
            done.append(trig)
    return done


def bench_youtube(db: Db, storage: Path, n: int, latency: float, concurrency: int, processes: int = 1,
                  summary_triggers: bool = True, profile: Path | None = None, trace: Path | None = None) -> dict:
    from workers.sync import sync_music_video_metrics

    fake = FakeYouTubeServer(latency)
    try:
        with db.connect() as conn:
            reset(conn)
            conn.execute("truncate public.music_videos cascade")
            set_summary_triggers(conn, summary_triggers)
            rid = seed_videos(conn, n)
        env = {"MV_YOUTUBE_API_KEY": "AIzaBENCHMARK-not-a-real-key", "MV_YOUTUBE_BASE_URL": fake.base_url}
        per = max(1, concurrency // processes)
        procs = [spawn("youtube", db.url, storage, batch=50, concurrency=per, poll=0.5,
                       env={**env, "MV_BENCH_TRACE": str(trace / f"worker-{i}.jsonl")} if trace else env)
                 for i in range(processes)]
        with db.connect() as conn:
            req = sync_music_video_metrics(conn, release_id=rid)
            if PG_STATEMENTS:
                conn.execute("select extensions.pg_stat_statements_reset()")
                conn.execute("select pg_stat_reset()")
            spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw", "--nonblocking",
                   "--rate", "250", *os.environ.get("MV_BENCH_PYSPY", "").split()]
            spies = [subprocess.Popen([*spy, "--pid", str(p.pid), "--output", str(profile / f"worker-{i}.txt")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for i, p in enumerate(procs)] if profile is not None else []
            if spies:
                time.sleep(1.0)  # py-spy attaches
            cpu0 = (sum(cpu_seconds(p.pid) for p in procs), server_cpu_seconds(conn), time.process_time())
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        t0 = time.monotonic()
        try:
            with db.connect() as conn:
                while True:
                    if not jobs_live(conn):
                        break
                    if time.monotonic() - t0 > 600:
                        raise RuntimeError(f"jobs still live after 600 s (of {req.created})")
                    time.sleep(0.05)
                cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0[0]
                server_by = server_cpu_seconds(conn)
                server_by = {k: v - cpu0[1].get(k, 0.0) for k, v in server_by.items()}
                server_cpu = sum(server_by.values())
                own_cpu = time.process_time() - cpu0[2]  # the fake videos.list and this polling loop
                row = conn.execute("select min(started_at) as a, max(completed_at) as b,"
                                   " count(*) filter (where status = 'succeeded') as ok"
                                   " from public.music_video_metric_imports").fetchone()
                metrics = conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"]
                batches = conn.execute(
                    "select started_at, max(completed_at) as done, count(*) as n"
                    " from public.music_video_metric_imports group by started_at order by started_at").fetchall()
                events = conn.execute("select count(*) as n from public.music_video_events").fetchone()["n"]
        finally:
            stop(procs)
            for spy in spies:
                spy.wait(30)
    finally:
        fake.close()
    wall = (row["b"] - row["a"]).total_seconds()
    calls_min = math.ceil(n / 50)
    bound = calls_min * latency / concurrency
    return {"videos": n, "jobs": req.created, "succeeded": row["ok"], "metric_rows": metrics, "events": events,
            "calls": fake.calls, "calls_lower_bound": calls_min, "call_ratio": fake.calls / calls_min,
            "max_ids_per_call": max(fake.ids_per_call), "wall_s": wall, "bound_s": bound,
            "wall_ratio": wall / bound, "concurrency": concurrency, "latency_s": latency,
            "rounds_bound_s": math.ceil(calls_min / concurrency) * latency, "worker_cpu_s": cpu,
            "start_s": fake.first_call - row["a"].timestamp(), "tail_s": row["b"].timestamp() - fake.last_answer,
            "server_cpu_s": server_cpu, "server_cpu_by_kind": server_by, "fake_cpu_s": own_cpu,
            "load_avg": os.getloadavg()[0], "processes": processes, "summary_triggers": summary_triggers,
            "batch_ms_median": statistics.median((b["done"] - b["started_at"]).total_seconds() * 1000
                                                 for b in batches),
            "batch_ms_p95": pct([(b["done"] - b["started_at"]).total_seconds() * 1000 for b in batches], 0.95)}


# ----------------------------------------------------------------------------- 4. the nightly plan

def bench_nightly(db: Db, n: int, units: int, nights: int = 2) -> dict:
    """Seed ``n`` scheduled videos (1% released in the last 30 days, 0.5% at 95% of a view target),
    then plan and enqueue ``nights`` consecutive nights with ``units`` YouTube units a day (the
    ledger is emptied between nights: a new quota day), and a re-run of the last night."""
    from workers.config import load_settings
    from workers.scheduler import enqueue_nightly

    run = datetime.date(2026, 11, 24)
    settings = load_settings(database_url=db.url, youtube_daily_units=units)
    with db.connect() as conn:
        reset(conn)
        conn.execute("truncate public.music_videos, private.music_video_sync_plans, private.youtube_quota_usage"
                     " cascade")
        t0 = time.monotonic()
        seed_videos(conn, n)
        conn.execute("update public.music_videos set target_release_date = %s::date - (id_rank %% 30)::integer"
                     " from (select id as rid, row_number() over (order by id) as id_rank"
                     "       from public.music_videos) as r"
                     " where r.rid = id and r.id_rank %% 100 = 0", (run,))
        conn.execute("update public.music_videos set kpi_view_target = 1000"
                     " where id in (select id from public.music_videos order by id offset 1 limit %s)", (n // 200,))
        conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source,"
                     " views_total) select id, 'youtube', now() - interval '1 day', 'youtube', 950"
                     " from public.music_videos where kpi_view_target = 1000")
        conn.execute("vacuum analyze")
        seed_s = time.monotonic() - t0
        out: dict = {"videos": n, "units": units, "seed_s": seed_s, "nights": []}
        for night in range(nights + 1):
            rerun = night == nights
            day = run + datetime.timedelta(days=min(night, nights - 1))
            if not rerun:
                conn.execute("truncate private.youtube_quota_usage")
                # a day between nights: autovacuum has analyzed last night's half a million jobs
                conn.execute("analyze public.music_video_metric_imports, private.music_video_sync_rotation,"
                             " private.music_video_metric_summaries")
            t = time.monotonic()
            plan = enqueue_nightly(conn, day, settings=settings)
            took = time.monotonic() - t
            jobs = conn.execute("select count(*) as n from public.music_video_metric_imports").fetchone()["n"]
            out["nights"].append({"run_date": day.isoformat(), "rerun": rerun, "enqueue_s": took,
                                  "jobs_in_queue": jobs, "load_avg": os.getloadavg()[0],
                                  **plan.log_fields(), "summary": plan.summary()})
    return out


# ----------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=["noop", "youtube", "floor"])
    ap.add_argument("--peer-child", choices=PEERS)
    ap.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS,
                    help="peer queues to run in the throughput part (none: --peers with no names)")
    ap.add_argument("--peer-python", help="a Python with the bench extra installed (default: this one, or .venv)")
    ap.add_argument("--pgqueuer-batch", type=int, nargs="+", default=[10, 500],
                    help="pgqueuer batch_size values, each measured as a peer of its own (10: its default)")
    ap.add_argument("--procrastinate-concurrency", type=int, nargs="+", default=[100],
                    help="procrastinate concurrency per process values (1: its default)")
    ap.add_argument("--url")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--poll", type=float, default=2.0)
    ap.add_argument("--storage", default="/tmp")
    ap.add_argument("--wait-go", action="store_true")
    ap.add_argument("--exit-when-idle", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=20_000)
    ap.add_argument("--pickups", type=int, default=200)
    ap.add_argument("--noop-batch", type=int, default=200)
    ap.add_argument("--noop-concurrency", type=int, default=4)
    ap.add_argument("--yt-sizes", type=int, nargs="+", default=[100, 10_000])
    ap.add_argument("--yt-latency", type=float, default=0.1)
    ap.add_argument("--yt-concurrency", type=int, default=8, help="batches in flight, over all processes")
    ap.add_argument("--yt-processes", type=int, default=1)
    ap.add_argument("--yt-runs", type=int, default=1)
    ap.add_argument("--yt-gc-stats", action="store_true",
                    help="diagnostic: each YouTube worker prints its garbage collections by generation at exit")
    ap.add_argument("--yt-trace", type=Path,
                    help="diagnostic: record each pipeline step's start and end in the YouTube workers (JSON lines)")
    ap.add_argument("--yt-profile", type=Path,
                    help="diagnostic: sample the YouTube workers with py-spy (the bench extra) into this folder")
    ap.add_argument("--without-summary-triggers", action="store_true",
                    help="diagnostic: disable the card-summary triggers on the queue and metric tables")
    ap.add_argument("--nightly-videos", type=int, default=1_000_000)
    ap.add_argument("--nightly-units", type=int, default=10_000)
    ap.add_argument("--shared-cluster", action="store_true")
    ap.add_argument("--pg-statements", action="store_true",
                    help="diagnostic: print the top statements and functions of the last YouTube run")
    ap.add_argument("--only", nargs="+", default=["pickup", "throughput", "youtube"],
                    choices=["pickup", "throughput", "youtube", "nightly", "floor"])
    args = ap.parse_args()
    if args.yt_gc_stats:
        os.environ["MV_BENCH_GC_STATS"] = "1"  # inherited by the worker children (child())
    if args.child == "floor":
        return floor_child(args)
    if args.child:
        return child(args)
    if args.peer_child:
        return peer_child(args)

    global PG_STATEMENTS
    PG_STATEMENTS = args.pg_statements and not args.shared_cluster
    db = Db(args.shared_cluster)
    storage = Path(tempfile.mkdtemp(prefix="mv-bench-storage-"))
    results: dict = {}
    try:
        print(f"database: {'shared cluster' if args.shared_cluster else 'throwaway cluster'} {db.url};"
              f" load average at start {os.getloadavg()[0]:.2f} (2 cores: figures under load are slower)")
        with db.connect() as c:
            print("server:", c.execute("select version()").fetchone()["version"].split(",")[0],
                  "| fsync", c.execute("show fsync").fetchone()["fsync"],
                  "| synchronous_commit", c.execute("show synchronous_commit").fetchone()["synchronous_commit"])
        if "pickup" in args.only:
            r = bench_pickup(db, storage, args.pickups)
            results["pickup"] = r
            print(f"\npickup latency over {r['n']} jobs (idle worker, before INSERT -> handler start): "
                  f"median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, max {r['max_ms']:.2f} ms\n"
                  f"  of which the INSERT's own durable commit: median {r['insert_median_ms']:.2f} ms, "
                  f"p95 {r['insert_p95_ms']:.2f} ms; from the commit's acknowledgement: median "
                  f"{r['after_commit_median_ms']:.2f} ms, p95 {r['after_commit_p95_ms']:.2f} ms\n"
                  f"  rows: started_at - created_at median {r['db_median_ms']:.2f} ms, p95 {r['db_p95_ms']:.2f} ms")
            for label, p95 in (("before INSERT", r["p95_ms"]), ("after the commit ack", r["after_commit_p95_ms"])):
                print(f"  p95 {label} {p95:.2f} ms: {'under' if p95 < 2 else 'NOT under'} the 2 ms target")
            print(f"  load average {os.getloadavg()[0]:.2f}")
        if "throughput" in args.only:
            results["throughput"] = {}
            results["peers"] = {}
            pdbs: dict[str, tuple[PeerDb, str]] = {}
            for name in args.peers:
                py = peer_python(name, args.peer_python)
                if py is None:
                    print(f"\npeer {name}: NOT INSTALLED in {args.peer_python or sys.executable} nor in .venv;"
                          " no figure (install: pip install -c requirements/bench.lock -e '.[bench]')")
                    results["peers"][name] = "not installed"
                    continue
                pdbs[name] = (PeerDb(db, name, py), py)
                print(f"\npeer {name} {peer_version(py, name)} (python {py})")
            configs = [(f"pgqueuer batch_size {b}", "pgqueuer", b, 0) for b in args.pgqueuer_batch]
            configs += [(f"procrastinate concurrency {c}", "procrastinate", 0, c)
                        for c in args.procrastinate_concurrency]
            configs = [c for c in configs if c[1] in pdbs]
            try:
                for k in (1, 2):
                    ours, theirs = [], {label: [] for label, *_ in configs}
                    for _ in range(args.runs):  # interleaved, so a load spike hits every queue alike
                        ours.append(bench_throughput(db, storage, args.jobs, k, batch=args.noop_batch,
                                                     concurrency=args.noop_concurrency))
                        for label, name, b, c in configs:
                            pdb, py = pdbs[name]
                            theirs[label].append(bench_peer(pdb, py, args.jobs, k, batch=b, concurrency=c))
                    results["throughput"][k] = ours
                    results["peers"][k] = theirs
                    med = statistics.median(r["jobs_per_s"] for r in ours)
                    print(f"\nthroughput, {k} worker process(es), {args.jobs} no-op jobs, median of {args.runs}"
                          f" (load average {os.getloadavg()[0]:.2f}):")
                    print(f"  music-videos (batch {args.noop_batch}, concurrency {args.noop_concurrency}): runs "
                          + ", ".join(f"{r['jobs_per_s']:,.0f}" for r in ours) + f" jobs/s; median {med:,.0f};"
                          f" client wall median {statistics.median(r['client_wall_s'] for r in ours):.2f} s;"
                          f" max attempts {max(r['max_attempts'] for r in ours)}, workers seen"
                          f" {ours[0]['workers_seen']}; CPU (workers + PostgreSQL) median"
                          f" {statistics.median(r['cpu_ms_per_job'] for r in ours):.3f} ms per job")
                    best = None
                    for label, runs in theirs.items():
                        pm = statistics.median(r["jobs_per_s"] for r in runs)
                        if best is None or pm > best[1]:
                            best = (label, pm)
                        print(f"  {label}: runs " + ", ".join(f"{r['jobs_per_s']:,.0f}" for r in runs)
                              + f" jobs/s; median {pm:,.0f}; client wall median"
                              f" {statistics.median(r['client_wall_s'] for r in runs):.2f} s;"
                              f" music-videos = {med / pm:.2f}x")
                    if best:
                        print(f"  => {med / best[1]:.2f}x the best peer measured in this run, {best[0]}"
                              f" ({'meets' if med / best[1] >= 5 else 'MISSES'} the 5x target)")
            finally:
                for pdb, _py in pdbs.values():
                    pdb.close()
        if "youtube" in args.only:
            results["youtube"] = []
            for n in args.yt_sizes:
                for _ in range(args.yt_runs):
                    r = bench_youtube(db, storage, n, args.yt_latency, args.yt_concurrency, args.yt_processes,
                                      not args.without_summary_triggers, args.yt_profile, args.yt_trace)
                    results["youtube"].append(r)
                    print(f"\nYouTube sync of {n:,} videos ({r['latency_s'] * 1000:.0f} ms per call, concurrency "
                          f"{r['concurrency']} in {r['processes']} process(es)"
                          f"{'' if r['summary_triggers'] else ', card-summary triggers DISABLED'}):"
                          f" {r['calls']} calls (lower bound {r['calls_lower_bound']}, ratio "
                          f"{r['call_ratio']:.2f}, max {r['max_ids_per_call']} ids/call), wall {r['wall_s']:.2f} s"
                          f" vs bound {r['bound_s']:.2f} s = {r['wall_ratio']:.2f}x (vs ceil(calls/concurrency) x"
                          f" latency = {r['rounds_bound_s']:.2f} s: {r['wall_s'] / r['rounds_bound_s']:.2f}x);"
                          f" {r['succeeded']} jobs succeeded, {r['metric_rows']} metric rows, {r['events']} events;"
                          f" worker CPU {r['worker_cpu_s']:.2f} s ({r['worker_cpu_s'] / r['jobs'] * 1e3:.3f} ms"
                          f" per job); PostgreSQL CPU {r['server_cpu_s']:.2f} s"
                          f" ({r['server_cpu_s'] / r['jobs'] * 1e3:.3f} ms per job: "
                          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["server_cpu_by_kind"].items(),
                                                                       key=lambda kv: -kv[1]) if v >= 0.01)
                          + f"); fake videos.list + this"
                          f" script {r['fake_cpu_s']:.2f} s; all together"
                          f" {(r['worker_cpu_s'] + r['server_cpu_s'] + r['fake_cpu_s']) / r['jobs'] * 1e3:.3f} ms"
                          f" per job against the 2 cores x bound = {2 * r['bound_s'] / r['jobs'] * 1e3:.3f} ms;"
                          f" load average {r['load_avg']:.2f}; per batch"
                          f" claim -> committed median {r['batch_ms_median']:.0f} ms, p95 {r['batch_ms_p95']:.0f} ms;"
                          f" first claim -> first call {r['start_s'] * 1e3:.0f} ms, last answer -> last commit"
                          f" {r['tail_s'] * 1e3:.0f} ms")
                runs = [r for r in results["youtube"] if r["videos"] == n]
                if len(runs) > 1:
                    walls = [r["wall_s"] for r in runs]
                    print(f"  {n:,} videos, {len(runs)} runs: wall median {statistics.median(walls):.2f} s ="
                          f" {statistics.median(walls) / runs[0]['bound_s']:.2f}x the bound; calls "
                          f"{sorted({r['calls'] for r in runs})}")
        if "nightly" in args.only:
            r = bench_nightly(db, args.nightly_videos, args.nightly_units)
            results["nightly"] = r
            print(f"\nnightly plan over {r['videos']:,} scheduled videos, {r['units']:,} YouTube units a day"
                  f" (seeded in {r['seed_s']:.1f} s):")
            for night in r["nights"]:
                print(f"  {night['run_date']}{' (re-run)' if night['rerun'] else ''}: plan + enqueue"
                      f" {night['enqueue_s']:.2f} s ({'under' if night['enqueue_s'] < 30 else 'NOT under'} 30 s),"
                      f" {night['jobs_in_queue']:,} jobs in the queue, load average {night['load_avg']:.2f}\n"
                      f"    {night['summary']}\n    planned by reason {night['planned_by_reason']},"
                      f" skipped by reason {night['skipped_by_reason']}")
        if "floor" in args.only:
            results["floor"] = run_floor(db, storage, args)
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
        print("\nJSON:", json.dumps(results, default=str))
    finally:
        db.close()
        shutil.rmtree(storage, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
