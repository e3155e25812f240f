"""Webhook intake speed: verified pushes per second and latency per push, with 2 service processes.

    flock /tmp/bench.lock .venv/bin/python benchmarks/bench_webhooks.py [--seconds 15] [--connections 8 32]
        [--threads 1] [--videos 200] [--workers 2] [--keep]

What runs: ``music-videos service`` (uvicorn, ``--workers 2``: two processes, httptools, uvloop)
on a loopback port against a scratch database cloned from the test template on the shared
cluster (durable commits: fsync and synchronous_commit on), Storage on the local backend (a
file per push under a temp folder; a real Supabase Storage adds its network round trip), the
Standard Webhooks secrets of the ``mtv`` partner in the environment, and ``--videos`` webhook
videos with ``mtv`` targets.

The load generator is **wrk** (C, an event loop per thread; Debian's ``wrk``) with a Lua script
that sends pre-signed requests: this script signs every request first (one distinct
``webhook-id`` each, a broadcast JSON push naming one video, timestamps fresh for the run), writes
them to a file, and the Lua script's threads each send their own share, each request once, counting
the answers by status. wrk uses a small share of one core at these rates, so it is not the
bottleneck (its CPU time is printed). For each ``--connections`` value, one run of
``--seconds``; printed: pushes/s (202 answers per second), latency p50/p90/p95/p99 (wrk's, per
request: from the request's first byte to the answer's last, over keep-alive connections),
socket errors, non-202 answers, the CPU of the service processes and of their database backends
(``/proc``: the cluster runs on this machine), and the check that nothing was lost or duplicated: every 202
has its delivery row, every delivery names exactly one ``webhook`` job that exists and carries its
``webhook-id``, and no ``webhook-id`` appears twice.

Targets (issue 12): p95 < 10 ms and >= 1,000 pushes/s on this 2-core machine, nothing lost.
Nothing here asserts; it prints figures. The machine is shared: quote figures with the load average.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.testdb import admin_url, clone_database, drop_database, ensure_template, with_dbname  # noqa: E402

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-of-the-mtv-feed").decode()

LUA = r"""
local threads = {}
local next_id = 1
local nthreads = tonumber(os.getenv("BENCH_THREADS"))

function setup(thread)
  thread:set("tid", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  reqs = {}
  local n = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if n % nthreads == tid - 1 then
      local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(reqs, wrk.format("POST", "/functions/v1/metrics-webhook/mtv",
        {["content-type"] = "application/json", ["webhook-id"] = id, ["webhook-timestamp"] = ts,
         ["webhook-signature"] = sig}, body))
    end
    n = n + 1
  end
  i = 0
  c202 = 0
  cother = 0
  exhausted = 0
end

function request()
  i = i + 1
  if i > #reqs then
    exhausted = 1
    i = 1
  end
  return reqs[i]
end

function response(status, headers, body)
  if status == 202 then c202 = c202 + 1 else cother = cother + 1 end
end

function done(summary, latency, requests)
  local a, o, ex = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("c202")
    o = o + t:get("cother")
    ex = math.max(ex, t:get("exhausted"))
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"accepted\": %d, \"other\": %d, \"exhausted\": %d, "
    .. "\"errors\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration, a, o, ex, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def seed(url: str, n: int) -> list[str]:
    refs = [f"MTV-{i:05d}" for i in range(n)]
    with psycopg.connect(url, autocommit=True) as conn:
        uid = "00000000-0000-0000-0000-00000000b001"
        conn.execute("insert into auth.users (id, email, aud, role) values (%s, 'bench-webhooks@example.test',"
                     " 'authenticated', 'authenticated')", (uid,))
        conn.execute("insert into public.profiles (id, full_name) values (%s, 'Bench')", (uid,))
        rel = conn.execute("insert into public.releases (user_id, title) values (%s, 'Bench') returning id",
                           (uid,)).fetchone()[0]
        conn.execute(
            "with v as (insert into public.music_videos (release_id, title, sync_strategy)"
            " select %s, 'Video ' || g, 'webhook' from generate_series(1, %s) as g returning id),"
            " n as (select id, row_number() over (order by id) as k from v)"
            " insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
            " select n.id, 'mtv', r.ref from n join unnest(%s::text[]) with ordinality as r(ref, k) on r.k = n.k",
            (rel, n, refs))
    return refs


def sign_all(path: Path, refs: list[str], count: int) -> None:
    hook = Webhook(SECRET)
    now = datetime.now(UTC)
    with path.open("w") as fh:
        for i in range(count):
            body = json.dumps({"date": "2026-11-28", "entries": [
                {"video_reference": refs[i % len(refs)], "program": "Top 20 Countdown", "viewers": 1000 + i}]},
                separators=(",", ":"))
            msg_id = f"msg_{uuid.uuid4().hex}"
            fh.write(f"{msg_id}\t{int(now.timestamp())}\t{hook.sign(msg_id, now, body)}\t{body}\n")


def start_service(url: str, port: int, workers: int, storage_dir: Path, log: Path,
                  extra: dict[str, str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MV_")}
    env.update({"MV_DATABASE_URL": url, "MV_SERVICE_PORT": str(port), "MV_SERVICE_WORKERS": str(workers),
                "MV_STORAGE_BACKEND": "local", "MV_STORAGE_LOCAL_DIR": str(storage_dir),
                "MV_WEBHOOK_SECRETS": json.dumps({"mtv": [SECRET]}), "MV_LOG_LEVEL": "WARNING", **extra})
    proc = subprocess.Popen([sys.executable, "-m", "workers", "service"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"the service did not start: {log.read_text()[-2000:]}")


def check(url: str) -> dict[str, int]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute("""
            select (select count(*) from private.metrics_webhook_deliveries where source = 'mtv') as deliveries,
              (select count(*) from public.music_video_metric_imports where source = 'webhook') as jobs,
              (select count(distinct metadata ->> 'webhook_id') from public.music_video_metric_imports
                where source = 'webhook') as distinct_ids,
              (select count(*) from private.metrics_webhook_deliveries
                where source = 'mtv' and cardinality(import_ids) <> 1) as deliveries_without_one_job,
              (select count(*) from private.metrics_webhook_deliveries as d
                where d.source = 'mtv' and not exists (
                  select 1 from public.music_video_metric_imports as i
                  where i.id = any(d.import_ids) and i.metadata ->> 'webhook_id' = d.webhook_id
                )) as deliveries_whose_job_is_missing
        """).fetchone()


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--videos", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2, help="service processes")
    ap.add_argument("--port", type=int, default=54391)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    ap.add_argument("--env", action="append", default=[], metavar="MV_NAME=VALUE",
                    help="a setting for the service, e.g. MV_SERVICE_INTAKE_BATCH_MAX=1 (repeatable)")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    admin = admin_url()
    dbname = clone_database(admin, ensure_template(admin), prefix="mv_bench")
    url = with_dbname(admin, dbname)
    tmp = Path(tempfile.mkdtemp(prefix="mv-bench-webhooks-"))
    print(f"benchmark database {dbname}; {args.workers} service processes {' '.join(args.env)};"
          f" wrk {args.threads} thread(s);"
          f" load average {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    proc = None
    try:
        refs = seed(url, args.videos)
        extra = dict(kv.split("=", 1) for kv in args.env)
        proc = start_service(url, args.port, args.workers, tmp / "storage", tmp / "service.log", extra)
        (tmp / "bench.lua").write_text(LUA)
        for conns in args.connections:
            before = check(url)
            reqs = tmp / "requests.tsv"
            sign_all(reqs, refs, max(20_000, 4_000 * args.seconds))  # more than the run can send
            env = {**os.environ, "BENCH_REQUESTS": str(reqs), "BENCH_THREADS": str(args.threads)}
            cpu0 = sum(cpu_of(p) for p in _children(proc.pid))
            db0 = _backends_cpu(url)
            t0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(conns), "-d", f"{args.seconds}s",
                                  "--timeout", "5s", "-s", str(tmp / "bench.lua"), f"http://127.0.0.1:{args.port}"],
                                 env=env, capture_output=True, text=True, check=True).stdout
            t1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            service_cpu = sum(cpu_of(p) for p in _children(proc.pid)) - cpu0
            db_cpu = sum(cpu - db0.get(pid, 0.0) for pid, cpu in _backends_cpu(url).items())
            wrk_cpu = (t1.ru_utime - t0.ru_utime) + (t1.ru_stime - t0.ru_stime)
            line = next(ln for ln in out.splitlines() if ln.startswith("BENCH "))
            r = json.loads(line[6:])
            time.sleep(0.5)
            after = check(url)
            secs = r["duration_us"] / 1e6
            new_deliveries = after["deliveries"] - before["deliveries"]
            new_jobs = after["jobs"] - before["jobs"]
            print(f"\n{conns} connections, {secs:.1f} s, load average {os.getloadavg()}:")
            print(f"  accepted {r['accepted']} pushes = {r['accepted'] / secs:,.0f} pushes/s;"
                  f" other answers {r['other']}, socket errors {r['errors']}"
                  f"{' (ran out of pre-signed requests: repeats answered as duplicates)' if r['exhausted'] else ''}")
            print(f"  latency p50 {r['p50_us'] / 1000:.2f} ms, p90 {r['p90_us'] / 1000:.2f} ms,"
                  f" p95 {r['p95_us'] / 1000:.2f} ms, p99 {r['p99_us'] / 1000:.2f} ms, max {r['max_us'] / 1000:.1f} ms")
            print(f"  wrk CPU {wrk_cpu:.2f} s over {secs:.1f} s ({100 * wrk_cpu / secs:.0f}% of one core);"
                  f" service processes CPU {service_cpu:.2f} s"
                  f" ({1000 * service_cpu / max(1, r['accepted'] + r['other']):.2f} ms per request);"
                  f" the service's database backends {db_cpu:.2f} s"
                  f" ({1000 * db_cpu / max(1, r['accepted'] + r['other']):.2f} ms per request)")
            # a 202 without its delivery is lost; deliveries beyond the 202s counted are the requests
            # still in flight when wrk stopped (answered after it stopped counting)
            lost = max(0, r["accepted"] - new_deliveries)
            in_flight = max(0, new_deliveries - r["accepted"])
            ok = (lost == 0 and new_jobs == new_deliveries and after["jobs"] == after["distinct_ids"]
                  and after["deliveries_without_one_job"] == 0 and after["deliveries_whose_job_is_missing"] == 0)
            print(f"  check: {new_deliveries} delivery rows, {new_jobs} webhook jobs, distinct ids"
                  f" {after['distinct_ids']} of {after['jobs']} jobs, deliveries without exactly one job"
                  f" {after['deliveries_without_one_job']}, whose job is missing"
                  f" {after['deliveries_whose_job_is_missing']}; lost {lost}, in flight at the stop {in_flight},"
                  f" duplicated"
                  f" {after['jobs'] - after['distinct_ids']}"
                  f" -> {'OK' if ok else 'MISMATCH'}")
        print(f"\n  targets: p95 < 10 ms, >= 1,000 pushes/s (service log: {tmp / 'service.log'})")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        if not args.keep:
            drop_database(admin, dbname)
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend of the service (same machine: /proc)."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("select pid from pg_stat_activity where datname = current_database()"
                                           " and application_name = 'mv-service'").fetchall()]
    cpus = {pid: cpu_of(pid) for pid in pids}
    return {pid: cpu for pid, cpu in cpus.items() if cpu == cpu}  # a backend gone meanwhile reads nan


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, out)]


if __name__ == "__main__":
    raise SystemExit(main())
