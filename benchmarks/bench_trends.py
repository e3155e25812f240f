"""Trends RPC speed at a metric volume (1M, 10M, 100M rows), and what the odd-data flag trigger costs the upsert.

    .venv/bin/python benchmarks/bench_trends.py [--iterations 300] [--upserts 15] [--metric-rows 1M 10M 100M]
        [--keep] [--lock /tmp/bench.lock] [--seed-only] [--drop]

1. Per volume, bench_api.py's database (its seed, its --metric-rows/--keep/--lock options: 1M
   metric rows are 10,000 videos and 30,000 import jobs; a kept database is reused), then adds one video on
   the owner's big release with 3 years of daily samples on 3 platforms (youtube, mtv,
   regional_tv: 3,285 rows, written with every trigger on, so they carry flags), and analyzes.
2. Times music_video_trends as PostgREST serves it (bench_api.run_once: one transaction, role,
   JWT claims, the call) as the owner (authenticated, under RLS) and as the service role,
   interleaved, for the default 90 days and for the full 1,095 days, and a year of any seeded
   video (a different one each call, service role: the cold-cache case); prints p50/p95 and the plans
   of the statements inside the function (auto_explain, nested), checked for Seq Scans.
3. The upsert path: workers.metrics.upsert_samples with 2,000 new samples (one per video, each
   video already has 60 daily YouTube samples, so every row finds its previous samples) and a
   re-sync of the same 2,000 samples (the update path), each in a transaction that is rolled
   back, alternately with the two flag triggers enabled and disabled; prints the medians and
   the overhead per row. (The commit-time card-summary flush is not part of it: rolled back.)
Target: trends p95 < 5 ms as the owner at 1M rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_api import (  # noqa: E402
    BIG_RELEASE,
    Case,
    Timings,
    bench_connection,
    bench_database,
    bench_lock,
    bench_roles,
    explain,
    pct,
    print_volume_ratios,
    read_history_page,
    read_trends,
    read_video,
    spread,
    time_cases,
    timings,
    vid_uuid,
    volume_args,
    volume_label,
)
from devtools.testdb import admin_url  # noqa: E402
from workers.db import postgrest_request  # noqa: E402
from workers.metrics import MetricSample, upsert_samples  # noqa: E402

TREND_VIDEO = "b3000000-0000-0000-0000-000000000001"
TARGET_MS = 5.0
FLAG_TRIGGERS = ("music_video_metrics_odd_data_flags_on_insert", "music_video_metrics_odd_data_flags_on_update")

TREND_VIDEO_SQL = """
insert into public.music_videos (id, release_id, title, slug, kpi_view_target, primary_platform)
values (%(video)s, %(release)s, 'Trend video', 'trend-video', 5000000, 'youtube')
"""
TREND_SQL = """-- 3 years of daily samples up to today on 3 platforms, growing with a weekly wobble
insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total, source, collected_at)
select %(video)s, p.platform::public.platform_enum,
       (p.scale * (d * 100 + (d %% 7) * 13))::bigint, d * 3, p.platform,
       date_trunc('day', now()) - (1094 - d) * interval '1 day' + interval '3 hours'
from (values ('youtube', 10), ('mtv', 2), ('regional_tv', 1)) as p (platform, scale)
cross join generate_series(0, 1094) as d;
"""


def seed_trend_video(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("select 1 from public.music_videos where id = %s", (TREND_VIDEO,)).fetchone():
            print("trend video already there (a kept database)")
            return
        conn.execute(TREND_VIDEO_SQL, {"video": TREND_VIDEO, "release": BIG_RELEASE})
        conn.execute(TREND_SQL, {"video": TREND_VIDEO})
        conn.execute("analyze public.music_video_metrics")
        n, flagged = conn.execute(
            "select count(*), count(*) filter (where cardinality(flags) > 0) from public.music_video_metrics"
            " where music_video_id = %s", (TREND_VIDEO,)).fetchone()
    print(f"trend video: {n:,} live samples ({flagged} flagged), 3 platforms x 1,095 days")


def trend_cases(url: str) -> list[Case]:
    with psycopg.connect(url) as c:
        videos = c.execute("select count(*) from public.music_videos where slug like 'bench-video-%'").fetchone()[0]
    return [
        Case("music_video_trends", "trends (90 days)", lambda c, i: read_trends(c, TREND_VIDEO)),
        Case("music_video_trends", "trends (1,095 days)", lambda c, i: read_trends(c, TREND_VIDEO, days=1095)),
        # the other reads of a video with a deep history: are they bounded by it?
        Case("get_music_video", "get (3-year video)", lambda c, i: read_video(c, TREND_VIDEO)),
        Case("music_video_metrics_history", "history (3-year video, 100)",
             lambda c, i: read_history_page(c, TREND_VIDEO, page_size=100)),
        # a year of any seeded video (its 100 samples), spread over the catalogue: mostly cold pages at 100M
        Case("music_video_trends", "trends (365 d, any video)",
             lambda c, i: read_trends(c, vid_uuid(spread(i, videos)), days=365), who=("service",)),
    ]


def report_trends(conn: psycopg.Connection, cases: list[Case], iterations: int, warmup: int) -> Timings:
    roles = bench_roles()
    findings: list[str] = []
    print(f"\n{iterations} iterations each (after {warmup} warm-up), milliseconds; load average"
          f" {os.getloadavg()}")
    print(f"{'rpc':<28}{'who':<9}{'req p50':>9}{'req p95':>9}{'call p50':>10}{'call p95':>10}")
    for case in cases:
        for who in case.who:
            r, c = case.request[who], case.call[who]
            print(f"{case.label:<28}{who:<9}{pct(r, 50):9.2f}{pct(r, 95):9.2f}{pct(c, 50):10.2f}{pct(c, 95):10.2f}")
    with postgrest_request(conn, roles["owner"]) as c:
        body = c.execute("select coalesce(json_agg(t), '[]')::text as b"
                         " from public.music_video_trends(id => %s) as t", (TREND_VIDEO,)).fetchone()["b"]
    print(f"90-day body: {len(body.encode()):,} bytes")
    print("\nverdicts")
    for case in cases:
        if "owner" not in case.who or case.name != "music_video_trends":
            continue
        p95 = pct(case.request["owner"], 95)
        ratio = statistics.median(case.request["owner"]) / statistics.median(case.request["service"])
        print(f"  {case.label}: owner p95 {p95:.2f} ms (target < {TARGET_MS:g}) "
              f"{'OK' if p95 < TARGET_MS else 'MISSED'}; owner / service role p50 {ratio:.2f}x")
    print("\nplans of the statements inside the function")
    for case in cases:
        for who in case.who:
            findings += explain(conn, roles[who], case, who)
    print("\nEXPLAIN verdict: " + ("no Seq Scan on a big table" if not findings else "SEQ SCANS FOUND"))
    for f in findings:
        print("  " + f)
    return timings(cases)


def _samples(n: int, bump: int) -> list[MetricSample]:
    # the next nightly's sample: after the seed's last one (today, UTC midnight), the day after it
    at = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return [MetricSample(music_video_id=UUID(vid_uuid(v)), platform="youtube", collected_at=at, source="youtube",
                         views_total=(v % 1000) * 1000 + 61 * 137 + bump, likes_total=61 * 11)
            for v in range(1001, 1001 + n)]


def bench_upsert(url: str, rounds: int, n: int = 2000) -> None:
    fresh = _samples(n, 0)
    timings: dict[tuple[str, str], list[float]] = {}
    with psycopg.connect(url, row_factory=dict_row) as conn:
        for r in range(rounds + 2):
            for enabled in ((True, False) if r % 2 else (False, True)):
                label = "flags on" if enabled else "flags off"
                for path in ("insert", "re-sync"):
                    with conn.transaction(force_rollback=True):
                        if not enabled:
                            for t in FLAG_TRIGGERS:
                                conn.execute(f"alter table public.music_video_metrics disable trigger {t}")
                        if path == "re-sync":
                            upsert_samples(conn, fresh)
                        t0 = time.perf_counter()
                        counts = upsert_samples(conn, fresh)
                        ms = (time.perf_counter() - t0) * 1000
                    assert counts.written == n
                    if r >= 2:  # two warm-up rounds
                        timings.setdefault((path, label), []).append(ms)
    print(f"\nbulk upsert of {n:,} samples (workers.metrics.upsert_samples, one statement), {rounds} rounds,"
          " milliseconds (median / p95)")
    for path in ("insert", "re-sync"):
        on, off = timings[(path, "flags on")], timings[(path, "flags off")]
        m_on, m_off = statistics.median(on), statistics.median(off)
        print(f"  {path:<8} flags on {m_on:8.1f} / {pct(on, 95):8.1f}   flags off {m_off:8.1f} / {pct(off, 95):8.1f}"
              f"   overhead {m_on - m_off:+.1f} ms ({(m_on - m_off) * 1000 / n:+.1f} us per row,"
              f" {(m_on / m_off - 1) * 100:+.0f} %)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--upserts", type=int, default=15, help="rounds of the bulk upsert comparison (0: none)")
    volume_args(ap)
    args = ap.parse_args(argv)

    admin = admin_url()
    results: dict[int, Timings] = {}
    with ExitStack() as stack:
        runs = []
        for rows in args.metric_rows:
            url = stack.enter_context(bench_database(admin, rows, keep=args.keep or args.seed_only, drop=args.drop))
            seed_trend_video(url)
            if not args.seed_only:
                runs.append((rows, url, stack.enter_context(bench_connection(url)), trend_cases(url)))
        if runs:
            with bench_lock(args.lock):
                print(f"\ntiming {', '.join(volume_label(r) for r, _, _, _ in runs)} interleaved;"
                      f" load average {os.getloadavg()}")
                time_cases([(conn, cases) for _, _, conn, cases in runs], args.warmup, args.iterations)
                for rows, url, conn, cases in runs:
                    print(f"\n=== {volume_label(rows)} metric rows")
                    results[rows] = report_trends(conn, cases, args.iterations, args.warmup)
                    if args.upserts:
                        bench_upsert(url, args.upserts)
    print_volume_ratios(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
