"""The release timeline at a realistic volume: p50/p95 of music_video_release_timeline.

    .venv/bin/python benchmarks/bench_workspace.py [--iterations 300] [--keep]

Reuses benchmarks/bench_api.py: the same cloned database and bulk seed (10,000 videos, 200 of
them on one release, 1,000,000 metric rows, ...), then adds 20 milestones to every video
(200,000 rows, half of them done) and 2 promo events to every video of the big release, so the
owner's timeline holds 200 videos x (20 stored + 3 derived + 2 promo) = 5,000 items. Times the
RPC as PostgREST serves it (bench_api.run_once: one transaction, set local role, JWT claims; the
json body received as text), as the owner (under RLS) and as the service role, interleaved, and
prints p50/p95 of the request and of the call alone, the RLS overhead and the body size.
Target (2-core machine): owner p95 < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import BIG_RELEASE, OWNER, Case, explain, pct, run_once, seed  # noqa: E402

from devtools.testdb import admin_url, clone_database, drop_database, ensure_template, with_dbname  # noqa: E402
from workers.db import call_rpc, jwt_claims, postgrest_request  # noqa: E402

TARGET_MS = 5.0

MILESTONES_SQL = """
set session_replication_role = replica;
insert into public.music_video_milestones (music_video_id, kind, label, due_date, done, done_at)
select v.id,
       case when k = 1 then 'edit_lock' when k = 2 then 'picture_lock' when k = 3 then 'delivery'
            when k <= 8 then 'promo' else 'custom' end::public.music_video_milestone_kind,
       case when k > 3 then 'Step ' || k end,
       v.shoot_end_date + k * 3, k % 2 = 0, case when k % 2 = 0 then timestamptz '2026-11-01 00:00+00' end
from public.music_videos as v
cross join generate_series(1, 20) as k
where v.shoot_end_date is not null;
insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
select v.id, 'youtube', case when k = 1 then 'teaser' else 'premiere' end::public.music_video_promo_kind,
       v.target_release_date - 7 * k + time '18:00', 'Europe/Paris'
from public.music_videos as v
cross join generate_series(1, 2) as k
where v.release_id = '{release}';
set session_replication_role = origin;
"""


def read_release_timeline(c: psycopg.Connection, release_id: str, as_of: str) -> object:
    """The read, as the app calls it (one small function, adapted when the RPC's return type changes)."""
    return call_rpc(c, "music_video_release_timeline", {"release_id": release_id, "as_of": as_of}).body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args(argv)

    admin = admin_url()
    template = ensure_template(admin)
    dbname = clone_database(admin, template, prefix="mv_bench")
    url = with_dbname(admin, dbname)
    print(f"benchmark database {dbname} (from {template}); load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    try:
        seed(url)
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(MILESTONES_SQL.replace("{release}", BIG_RELEASE))
            conn.execute("vacuum analyze public.music_video_milestones, public.music_video_promo_events")
            n = conn.execute("select count(*) from public.music_video_milestones").fetchone()[0]
        print(f"seeded {n:,} milestones in {time.perf_counter() - t0:.1f} s")

        owner = jwt_claims(sub=OWNER, email="bench1@example.test", app_metadata={"provider": "email"})
        service = jwt_claims(role="service_role")
        case = Case("music_video_release_timeline", "release timeline (200 videos x 20 milestones)",
                    lambda c, i: read_release_timeline(c, BIG_RELEASE, "2027-06-01"))
        with psycopg.connect(url, autocommit=True) as conn:
            with postgrest_request(conn, owner) as c:
                row = c.execute("select (b -> 'counts' ->> 'items')::int as n, length(b::text) as bytes"
                                " from public.music_video_release_timeline(release_id => %s, as_of => '2027-06-01')"
                                " as b", (BIG_RELEASE,)).fetchone()
            items, size = row
            for i in range(args.warmup):
                run_once(conn, owner, case, i)
                run_once(conn, service, case, i)
            for i in range(args.iterations):
                for who, claims in (("owner", owner), ("service", service)):
                    req, call = run_once(conn, claims, case, i)
                    case.request[who].append(req)
                    case.call[who].append(call)
        print(f"{case.label}: {items:,} items, {size:,} bytes of json")
        for who in ("owner", "service"):
            req = case.request[who]
            print(f"  {who:8s} request p50 {pct(req, 50):6.2f} ms  p95 {pct(req, 95):6.2f} ms"
                  f"   call p50 {pct(case.call[who], 50):6.2f} ms  p95 {pct(case.call[who], 95):6.2f} ms")
        overhead = pct(case.call["owner"], 50) / pct(case.call["service"], 50)
        p95 = pct(case.request["owner"], 95)
        print(f"  RLS overhead (owner / service, call p50): {overhead:.2f}x")
        print(f"  load average after the run {os.getloadavg()}")
        print("\nplans of the statements inside the function")
        with psycopg.connect(url, autocommit=True) as conn:
            for who, claims in (("owner", owner), ("service", service)):
                explain(conn, claims, case, who)
        verdict = "OK" if p95 < TARGET_MS else "OVER TARGET"
        print(f"  owner request p95 {p95:.2f} ms vs target {TARGET_MS} ms: {verdict}")
        return 0 if p95 < TARGET_MS else 1
    finally:
        if args.keep:
            print(f"kept {dbname}: {url}")
        else:
            drop_database(admin, dbname)


if __name__ == "__main__":
    raise SystemExit(main())
