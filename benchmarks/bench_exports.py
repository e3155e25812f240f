"""Benchmark: the analytics export of a release (CSV and PDF with charts), as the owner sees it.

A release of N videos (default 50 and 200), each with budget line items, a cast assignment, a
year of daily YouTube samples, weekly MTV figures and a year of weekly chart positions (two
charts), is exported by the same code the export jobs run (``export_release``, as the owner:
RLS applies). Each size runs in a fresh child process so its peak RSS is its own.

    flock /tmp/bench.lock .venv/bin/python benchmarks/bench_exports.py [--sizes 50 200] [--keep DIR]

Targets (200 videos): CSV < 2 s, PDF with charts < 20 s; peak RSS flat as the release grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_api import bench_database, bench_lock, volume  # noqa: E402
from devtools.testdb import admin_url, clone_database, drop_database, ensure_template, with_dbname  # noqa: E402
from workers.db import jwt_claims, postgrest_request  # noqa: E402
from workers.reports.analytics import export_release  # noqa: E402

SEED = """
with ins as (
  insert into public.music_videos (release_id, title, slug, status, budget_band_id, budget_estimate, quality_tier,
    target_release_date, shoot_start_date, shoot_end_date, kpi_view_target, kpi_chart_target, video_theme_id,
    art_style_id)
  select %(rel)s, 'Video ' || g, 'video-' || g,
    (array['draft','planned','in_production','post_production','released'])[1 + g %% 5]::public.video_status_enum,
    (select id from public.music_video_budgets where name = 'Standard'), 40000 + g * 10, 'premium',
    date '2026-06-01' + g, date '2026-03-01' + g, date '2026-03-03' + g, 1000000, 'billboard_hot_100',
    (select id from public.music_video_themes order by name limit 1),
    (select id from public.music_video_art_styles order by name limit 1)
  from generate_series(1, %(n)s) as g
  returning id
), li as (
  insert into public.music_video_budget_line_items (music_video_id, category, amount)
  select ins.id, c, 10000 + (random() * 2000)::int from ins, unnest(array['direction','cinematography','post']) as c
), ca as (
  insert into public.music_video_cast_assignments (music_video_id, cast_option_id, cost_estimate)
  select ins.id, (select id from public.music_video_cast_options order by name limit 1), 3000 from ins
), yt as (
  insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total, collected_at)
  select ins.id, 'youtube', d * 5000 + (random() * 1000)::int, d * 50, timestamptz '2025-12-01' + d * interval '1 day'
  from ins, generate_series(0, 364) as d
), tv as (
  insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
  select ins.id, 'mtv', 40000 + (random() * 20000)::int, timestamptz '2025-12-01' + w * interval '7 days'
  from ins, generate_series(0, 51) as w
)
insert into public.music_video_metrics (music_video_id, platform, chart_position, source, collected_at)
select ins.id, 'other', 1 + (random() * 99)::int,
  case when w %% 2 = 0 then 'billboard_hot_100' else 'spotify_global_weekly' end,
  timestamptz '2025-12-01' + w * interval '7 days'
from ins, generate_series(0, 51) as w
"""


def child(db: str, release: str, owner: str, keep: str | None) -> None:
    out: dict[str, float] = {}
    claims = jwt_claims(sub=owner)
    with psycopg.connect(db, autocommit=True) as conn:
        for fmt in ("csv", "pdf"):
            path = f"{keep or '/tmp'}/bench-export-{os.getpid()}.{fmt}"
            t = time.perf_counter()
            with postgrest_request(conn, claims):
                report = export_release(conn, release, fmt, path)
            out[f"{fmt}_s"] = time.perf_counter() - t
            out[f"{fmt}_bytes"] = os.path.getsize(path)
            out["videos"] = len(report.rows)
            if not keep:
                os.unlink(path)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def export_size(db: str, n: int, keep: str | None) -> None:
    """Seed a release of ``n`` videos for a fresh owner in ``db``, export it in a child process, print."""
    with psycopg.connect(db, autocommit=True) as conn:
        owner = uuid.uuid4()
        conn.execute("insert into auth.users (id, email, aud, role) values (%s, %s, 'authenticated',"
                     " 'authenticated')", (owner, f"{owner.hex[:8]}@bench.test"))
        conn.execute("insert into public.profiles (id, full_name) values (%s, 'bench')", (owner,))
        rel = conn.execute("insert into public.releases (user_id, title) values (%s, 'Bench LP')"
                           " returning id", (owner,)).fetchone()[0]
        t = time.perf_counter()
        conn.execute(SEED, {"rel": rel, "n": n})
        conn.execute("analyze")
        seed_s = time.perf_counter() - t
    res = subprocess.run([sys.executable, __file__, "--child", db, str(rel), str(owner),
                          *(["--keep", keep] if keep else [])],
                         capture_output=True, text=True, check=True)
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"{n:4d} videos (seeded in {seed_s:.1f} s): CSV {r['csv_s']:.2f} s ({r['csv_bytes'] / 1024:.0f} KB), "
          f"PDF {r['pdf_s']:.2f} s ({r['pdf_bytes'] / 1024:.0f} KB), peak RSS {r['peak_rss_mb']:.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    p.add_argument("--keep", help="keep the exported files in this folder")
    p.add_argument("--metric-rows", type=volume, nargs="+", metavar="1M|10M|100M",
                   help="export from bench_api.py's database seeded at this volume (reused when kept by"
                        " bench_api.py --keep); the default is an empty database per size")
    p.add_argument("--lock", metavar="PATH", help="take this flock around the exports only, not the seeding")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(*a.child, a.keep)
        return
    admin = admin_url()
    if a.metric_rows:
        # A kept database stays as it was: the exported releases are deleted again afterwards.
        for rows in a.metric_rows:
            with bench_database(admin, rows) as db, bench_lock(a.lock):
                for n in a.sizes:
                    try:
                        export_size(db, n, a.keep)
                    finally:  # bench_api's seed names its releases 'Bench release N'
                        with psycopg.connect(db, autocommit=True) as conn:
                            conn.execute("delete from public.releases where title = 'Bench LP'")
        return
    template = ensure_template(admin)
    for n in a.sizes:
        name = clone_database(admin, template)
        try:
            with bench_lock(a.lock):
                export_size(with_dbname(admin, name), n, a.keep)
        finally:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
