"""Benchmark: a broadcast CSV import (spool + DuckDB + store) against ``psql \\copy`` of the same file.

    .venv/bin/python benchmarks/bench_broadcast.py [--rows 1000000 10000000] [--repeat 3]

For each size it writes a CSV (``air_date,program,viewers``: 365 air dates, 40 programmes,
quoted ``1,234,567`` thousands, 0.1% bad rows), then, in a scratch database cloned from a
freshly migrated one, one after the other in the same run:

* ``import``: a real worker (``workers.queue.Worker`` with the broadcast handler) runs the job
  in a *subprocess*, reading the file from a LocalStorage folder; the rate is rows / the job's
  processing time (``completed_at - started_at``). Peak memory: the worker process's own
  ``ru_maxrss`` (DuckDB runs inside it; it starts no helper process).
* ``\\copy``: ``psql -c "\\copy t from file csv header"`` into a plain 3-column text table, the
  physical ceiling of getting those bytes into PostgreSQL on this machine.

Prints medians (and p95 with enough repeats), the import/\\copy ratio and the peak memory.
Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools import testdb  # noqa: E402

BUCKET = "music-video-broadcast-imports"

CHILD = r"""
import json, sys, logging, resource
from workers.config import load_settings
from workers.queue.worker import Worker
from workers.storage import LocalStorage
from workers.sources.registry import build_handlers
logging.disable(logging.WARNING)
url, storage_dir = sys.argv[1], sys.argv[2]
s = load_settings(poll_interval=0.05, storage_local_dir=storage_dir, log_json=False)
w = Worker(s, url, handlers=build_handlers(s, ["broadcast"]), storage=LocalStorage(storage_dir),
           worker_id="bench", concurrency=1)
w.run(install_signals=False, exit_when_idle=True)
print(json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    days = [(date(2025, 1, 1) + timedelta(days=i)).isoformat() for i in range(365)]
    programs = [f"Programme {i:02d}" for i in range(40)]
    with path.open("w", newline="") as fh:
        fh.write("air_date,program,viewers\n")
        buf = []
        for i in range(rows):
            if i % 1000 == 999:
                buf.append(f"{days[i % 365]},{programs[i % 40]},N/A\n")  # 0.1% bad rows
            else:
                buf.append(f'{days[i % 365]},{programs[i % 40]},"{rnd.randint(1_000, 3_000_000):,}"\n')
            if len(buf) >= 10_000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--admin-url", default=os.environ.get("MV_TEST_ADMIN_URL"))
    args = ap.parse_args()

    if args.admin_url:
        os.environ["MV_TEST_ADMIN_URL"] = args.admin_url
    admin = testdb.admin_url()
    dbname = testdb.clone_database(admin, testdb.ensure_template(admin), prefix="mv_bench_broadcast")
    url = testdb.with_dbname(admin, dbname)
    results = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create table public.bench_copy (air_date text, program text, viewers text)")
            uid = uuid.uuid4()
            conn.execute("insert into auth.users (id, email) values (%s, 'bench@example.test')", (uid,))
            rel = conn.execute("insert into public.releases (user_id, title) values (%s, 'Bench') returning id",
                               (uid,)).fetchone()[0]
            vid = conn.execute("insert into public.music_videos (release_id, title) values (%s, 'Bench')"
                               " returning id", (rel,)).fetchone()[0]
        with tempfile.TemporaryDirectory(prefix="mv-bench-") as tmp:
            storage_dir = Path(tmp) / "storage"
            for n in args.rows:
                rel_path = f"{rel}/bench-{n}.csv"
                csv_path = storage_dir / BUCKET / rel_path
                csv_path.parent.mkdir(parents=True, exist_ok=True)
                make_csv(csv_path, n)
                size_mb = csv_path.stat().st_size / 1e6
                imp_rates, copy_rates, rss = [], [], []
                for _ in range(args.repeat):
                    with psycopg.connect(url, autocommit=True) as conn:
                        job_id = conn.execute(
                            "insert into public.music_video_metric_imports (music_video_id, platform, source,"
                            " metadata) values (%s, 'mtv', 'broadcast', %s) returning id",
                            (vid, json.dumps({"bucket": BUCKET, "path": rel_path, "mapping": {
                                "air_date": "air_date", "program": "program", "viewers": "viewers"}}))).fetchone()[0]
                    # the child reports its own ru_maxrss (RUSAGE_CHILDREN would be the max over all
                    # children so far, hiding a smaller peak of a later, bigger file)
                    out = subprocess.run([sys.executable, "-c", CHILD, url, str(storage_dir)], cwd=ROOT,
                                         check=True, capture_output=True, text=True).stdout
                    rss.append(json.loads(out.strip().splitlines()[-1])["maxrss_kb"] / 1024)
                    with psycopg.connect(url, autocommit=True) as conn:
                        row = conn.execute(
                            "select status::text, extract(epoch from completed_at - started_at) as s, metadata"
                            " from public.music_video_metric_imports where id = %s", (job_id,)).fetchone()
                    status, secs, meta = row
                    if status not in ("succeeded", "partially_failed"):
                        raise SystemExit(f"import {status}: {meta}")
                    imp_rates.append(n / float(secs))
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("truncate public.bench_copy")
                    t0 = time.perf_counter()
                    subprocess.run(["psql", url, "-q", "-c",
                                    f"\\copy public.bench_copy from '{csv_path}' with (format csv, header true)"],
                                   check=True, stdout=subprocess.DEVNULL)
                    copy_rates.append(n / (time.perf_counter() - t0))
                results.append((n, size_mb, imp_rates, copy_rates, rss, meta, os.getloadavg()[0]))
    finally:
        testdb.drop_database(admin, dbname)

    copy_head = "\\copy rows/s (median)"
    print(f"{'rows':>9} {'MB':>6} {'import rows/s (median, p95-low)':>32} {copy_head:>22}"
          f" {'ratio':>6} {'import peak RSS MB':>19}")
    for n, mb, imp, cp, rss, meta, load in results:
        med_i, med_c = statistics.median(imp), statistics.median(cp)
        print(f"{n:>9} {mb:>6.1f} {med_i:>20,.0f} {pct(imp, 0.05):>11,.0f} {med_c:>22,.0f}"
              f" {med_i / med_c:>6.2f} {max(rss):>19.1f}")
        per_run = [a / b for a, b in zip(imp, cp, strict=True)]
        print(f"{'':>9} runs rows/s: {', '.join(f'{r:,.0f}' for r in imp)}; \\copy: "
              f"{', '.join(f'{r:,.0f}' for r in cp)}")
        print(f"{'':>9} per-run ratios (import / the \\copy right after it): "
              f"{', '.join(f'{r:.2f}' for r in per_run)}; median {statistics.median(per_run):.2f};"
              f" 1-min load average after: {load:.2f} on {os.cpu_count()} CPUs")
        print(f"{'':>9} engine: {meta.get('engine')}, metric rows: {meta.get('samples_built')},"
              f" row errors: {meta.get('row_errors')}, stats: {meta.get('stats', {}).get('rows_seen')} seen")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
