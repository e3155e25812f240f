"""Benchmark: a 52-week Hot 100 backfill for 1,000 tracked videos, end to end.

    .venv/bin/python benchmarks/bench_charts.py [--videos 1000] [--weeks 52] [--repeat 3] [--http]

Set-up (not timed): a freshly migrated scratch database; 52 weekly Hot 100 JSON files derived
from the real fixture (the 30 real entries plus 70 derived ones, dates shifted back week by
week, ranks rotated), as local files (``settings.chart_locations`` with ``{date}``) or served
over loopback HTTP (``--http``); 1,000 videos, 100 of which are songs on the chart.

Timed: enqueue one backfill job per video (``request_music_video_chart_backfill``'s private
worker, in one transaction) -> a real in-process worker (``workers.queue.Worker``, batch 500)
drains the queue: fetch each (chart, week) once per batch, store raw payloads, match, read
stored rows, upsert, finish the jobs. Prints the median and p95 wall time. Nothing asserts.
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools import testdb  # noqa: E402
from workers.config import load_settings  # noqa: E402
from workers.queue.worker import Worker  # noqa: E402
from workers.sources.registry import build_handlers  # noqa: E402
from workers.storage import LocalStorage  # noqa: E402

FIXTURES = Path(os.environ.get("MV_EXTERNAL_FIXTURES", ROOT / "tests" / "fixtures" / "external"))
LATEST = date(2026, 8, 8)
AS_OF = datetime(2026, 8, 10, 12, tzinfo=UTC)


def chart_rows() -> list[dict]:
    real = json.loads((FIXTURES / "billboard" / "hot100_mhollingshead_2026-08-08_top30.json").read_text())["data"]
    rows = [{"song": r["song"], "artist": r["artist"]} for r in real]
    rows += [{"song": f"{r['song']} Pt. {k}", "artist": r["artist"]} for k in (2, 3, 4) for r in real]
    return rows[:100]


def make_weeks(rows: list[dict], weeks: int) -> dict[date, dict]:
    n = len(rows)
    out = {}
    for k in range(weeks):
        day = LATEST - timedelta(weeks=k)
        data = [{"song": r["song"], "artist": r["artist"], "this_week": (i + k) % n + 1,
                 "last_week": (i + k + 1) % n + 1 if k + 1 < weeks else None, "peak_position": 1,
                 "weeks_on_chart": weeks - k + 1} for i, r in enumerate(rows)]
        out[day] = {"date": day.isoformat(), "data": sorted(data, key=lambda r: r["this_week"])}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--http", action="store_true", help="serve the weekly files over loopback HTTP")
    ap.add_argument("--admin-url", default=os.environ.get("MV_TEST_ADMIN_URL"))
    args = ap.parse_args()
    logging.disable(logging.WARNING)

    if args.admin_url:
        os.environ["MV_TEST_ADMIN_URL"] = args.admin_url
    admin = testdb.admin_url()
    rows = chart_rows()
    docs = make_weeks(rows, args.weeks)
    template = testdb.ensure_template(admin)
    times: list[float] = []
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="mv-bench-charts-") as tmp:
            folder = Path(tmp) / "hot100"
            folder.mkdir()
            for day, doc in docs.items():
                (folder / f"{day.isoformat()}.json").write_text(json.dumps(doc))
            location = str(folder / "{date}.json")
            if args.http:
                handler = type("H", (http.server.SimpleHTTPRequestHandler,), {
                    "log_message": lambda *a: None,
                    "__init__": lambda self, *a, **kw: http.server.SimpleHTTPRequestHandler.__init__(
                        self, *a, directory=str(folder), **kw)})
                server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                location = f"http://127.0.0.1:{server.server_address[1]}/{{date}}.json"
            for run in range(args.repeat):
                dbname = testdb.clone_database(admin, template, prefix="mv_bench_charts")
                url = testdb.with_dbname(admin, dbname)
                try:
                    with psycopg.connect(url, autocommit=True) as conn:
                        uid = uuid.uuid4()
                        conn.execute("insert into auth.users (id, email) values (%s, 'b@example.test')", (uid,))
                        conn.execute("insert into public.profiles (id) values (%s)", (uid,))
                        rel = conn.execute("insert into public.releases (user_id, title) values (%s, 'B')"
                                           " returning id", (uid,)).fetchone()[0]
                        with conn.cursor() as cur:
                            cur.executemany(
                                "insert into public.music_videos (release_id, title, artist_name) values (%s, %s, %s)",
                                [(rel, rows[i]["song"], rows[i]["artist"]) if i < len(rows)
                                 else (rel, f"Untracked Song {i}", f"Nobody {i}") for i in range(args.videos)])
                    settings = load_settings(poll_interval=0.05, claim_batch=500, log_json=False,
                                             storage_local_dir=Path(tmp) / f"storage{run}",
                                             chart_locations={"billboard_hot_100": location})
                    t0 = time.perf_counter()
                    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
                        conn.execute(
                            "select private.enqueue_music_video_chart_backfill(v.id, %s, 'benchmark')"
                            " from public.music_videos as v", (args.weeks,))
                    worker = Worker(settings, url, handlers=build_handlers(settings, ["charts"]),
                                    storage=LocalStorage(settings.storage_local_dir), worker_id="bench",
                                    concurrency=2, clock=lambda: AS_OF)
                    worker.run(install_signals=False, exit_when_idle=True)
                    elapsed = time.perf_counter() - t0
                    with psycopg.connect(url, autocommit=True) as conn:
                        stats = conn.execute(
                            "select count(*) filter (where status = 'succeeded'), count(*),"
                            " (select count(*) from public.music_video_metrics)"
                            " from public.music_video_metric_imports").fetchone()
                    print(f"run {run + 1}: {elapsed:.2f}s  jobs succeeded {stats[0]}/{stats[1]},"
                          f" chart rows {stats[2]}, batches {worker.stats['batches']}", flush=True)
                    times.append(elapsed)
                finally:
                    testdb.drop_database(admin, dbname)
    finally:
        if server is not None:
            server.shutdown()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"backfill {args.weeks} weeks x {args.videos} videos ({'http' if args.http else 'local files'}):"
          f" median {statistics.median(times):.2f}s, p95 {p95:.2f}s over {len(times)} runs (target < 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
