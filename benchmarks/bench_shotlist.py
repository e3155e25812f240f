"""Benchmark: a 300-shot list, read as the owner, and its PDF and CSV exports.

A dedicated database cloned from the test template; one video with 6 cast assignments and 300
shots in 30 scenes (each shot with 0-3 cast members, every field filled). Then, as PostgREST
serves them (one transaction per call via ``postgrest_request``, as the owner under RLS):
``get_music_video_shots`` N times as the owner and as the service role, interleaved (p50/p95 of
the whole request and of the RPC statement alone; the rows wrapped in json_agg as PostgREST does,
the body received as text, which PostgREST forwards unparsed), the plans of every statement the
read runs (auto_explain, nested, ANALYZE, BUFFERS, as benchmarks/bench_api.py prints them), a few
write RPCs (add at 1, a move, a full reorder, a remove: each renumbers up to 300 rows and returns
the list as one music_video_shot_list row, serialised as PostgREST does), and the export as the
job runs it (``export_shotlist``, as the owner) for pdf and csv.

    flock /tmp/bench.lock .venv/bin/python benchmarks/bench_shotlist.py [--iterations 300] [--keep-pdf F]

Targets: read p95 < 5 ms; PDF export < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import JsonbLoader, JsonLoader
from psycopg.types.string import TextLoader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.testdb import admin_url, clone_database, drop_database, ensure_template, with_dbname  # noqa: E402
from workers.db import call_as_postgrest, call_rpc_rows, jwt_claims, postgrest_request  # noqa: E402
from workers.reports.shotlist import export_shotlist  # noqa: E402

SEED = """
insert into public.music_video_shots (music_video_id, shot_number, scene, description, shot_size, angle, movement,
  lens, location, duration_seconds, status)
select %(v)s, g, 'Scene ' || (1 + (g - 1) / 10),
  'Shot ' || g || ': the singer crosses the frame while the band plays on, light rain, neon reflections',
  (enum_range(null::public.shot_size_enum))[1 + g %% 6], 'eye level', 'slow dolly in', '35mm',
  'Warehouse ' || (1 + g %% 4), 3 + g %% 20, (enum_range(null::public.shot_status_enum))[1 + g %% 3]
from generate_series(1, 300) as g
"""
SEED_CAST = """
insert into public.music_video_shot_cast (shot_id, cast_assignment_id, music_video_id)
select s.id, a.id, s.music_video_id
from public.music_video_shots as s
cross join lateral (
  select a.id from public.music_video_cast_assignments as a where a.music_video_id = s.music_video_id
  order by a.id limit (s.shot_number %% 4)
) as a
where s.music_video_id = %(v)s
"""


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def plan_nodes(plan: dict, depth: int = 0):
    yield depth, plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child, depth + 1)


def explain_read(conn: psycopg.Connection, claims: dict, video: str) -> None:
    """The plan of every statement one owner read runs (auto_explain, nested), printed compactly."""
    notices: list[str] = []

    def grab(diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary and "Query Text" in diag.message_primary:
            notices.append(diag.message_primary)

    conn.add_notice_handler(grab)
    try:
        conn.execute("load 'auto_explain'")
        for k, val in {"log_min_duration": "0", "log_analyze": "on", "log_buffers": "on", "log_timing": "on",
                       "log_nested_statements": "on", "log_format": "json", "log_level": "notice"}.items():
            conn.execute(f"set auto_explain.{k} = '{val}'")
        with postgrest_request(conn, claims) as c:
            call_rpc_rows(c, "get_music_video_shots", {"music_video_id": video}, parse=False)
    finally:
        conn.execute("set auto_explain.log_min_duration = '-1'")
        conn.remove_notice_handler(grab)
    print(f"  EXPLAIN (ANALYZE, BUFFERS) of get_music_video_shots as the owner: {len(notices)} statements")
    for text in notices:
        doc = json.loads(text[text.index("{"):])
        query = " ".join(doc["Query Text"].split())[:110]
        top = doc["Plan"]
        print(f"    - {top.get('Actual Total Time', 0):.3f} ms: {query}")
        for depth, node in plan_nodes(top):
            what = node["Node Type"]
            if node.get("Index Name"):
                what += f" using {node['Index Name']}"
            if node.get("Relation Name"):
                what += f" on {node['Relation Name']}"
            print(f"      {'  ' * depth}{what} (rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
                  f" time={node.get('Actual Total Time')} hit={node.get('Shared Hit Blocks', 0)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--keep-pdf")
    args = ap.parse_args()
    admin = admin_url()
    name = clone_database(admin, ensure_template(admin))
    db = with_dbname(admin, name)
    try:
        with psycopg.connect(db, autocommit=True, row_factory=dict_row) as conn:
            owner = uuid.uuid4()
            conn.execute("insert into auth.users (id, email) values (%s, 'bench@example.test')", (owner,))
            conn.execute("insert into public.profiles (id) values (%s)", (owner,))
            rel = conn.execute("insert into public.releases (user_id, title) values (%s, 'Bench LP') returning id",
                               (owner,)).fetchone()["id"]
            video = conn.execute(
                "insert into public.music_videos (release_id, title, shoot_start_date, shoot_end_date)"
                " values (%s, 'Bench video', '2026-12-14', '2026-12-16') returning id", (rel,)).fetchone()["id"]
            conn.execute("insert into public.music_video_cast_assignments (music_video_id, cast_option_id)"
                         " select %s, id from public.music_video_cast_options order by name limit 6", (video,))
            conn.execute(SEED, {"v": video})
            conn.execute(SEED_CAST, {"v": video})
            conn.execute("vacuum analyze")
            claims = jwt_claims(sub=owner)
            service = jwt_claims(role="service_role")
            v = str(video)
            print(f"load average at start: {os.getloadavg()}")

            def timed(name: str, params: dict, who: dict = claims) -> float:
                t = time.perf_counter()
                with postgrest_request(conn, who) as c:
                    call_as_postgrest(c, name, params, parse=False)  # one music_video_shot_list row as JSON
                return (time.perf_counter() - t) * 1000

            # PostgREST forwards the JSON it builds as text; it never parses it. Load json/jsonb as
            # text here too (ids_of below parses the read's body back for the ids).
            for typ in ("json", "jsonb"):
                conn.adapters.register_loader(typ, TextLoader)

            def read_once(who: dict) -> tuple[float, float]:
                t0 = time.perf_counter()
                with postgrest_request(conn, who) as c:
                    t1 = time.perf_counter()
                    call_rpc_rows(c, "get_music_video_shots", {"music_video_id": v}, parse=False)
                    t2 = time.perf_counter()
                return (time.perf_counter() - t0) * 1000, (t2 - t1) * 1000

            roles = {"owner": claims, "service": service}
            for _ in range(20):
                for who in roles.values():
                    read_once(who)
            req: dict[str, list[float]] = {k: [] for k in roles}
            call: dict[str, list[float]] = {k: [] for k in roles}
            for _ in range(args.iterations):
                for k, who in roles.items():  # interleaved: same cache and load for both
                    r, c_ = read_once(who)
                    req[k].append(r)
                    call[k].append(c_)
            print(f"load average after the reads: {os.getloadavg()}")
            print(f"get_music_video_shots (300 shots, {args.iterations} calls each), ms:"
                  " 'request' = the whole PostgREST-style transaction, 'call' = the RPC statement alone")
            for k in roles:
                print(f"  {k:<8} request p50 {statistics.median(req[k]):6.2f} p95 {pct(req[k], 95):6.2f}"
                      f" max {max(req[k]):6.2f} | call p50 {statistics.median(call[k]):6.2f}"
                      f" p95 {pct(call[k], 95):6.2f}")
            with postgrest_request(conn, claims) as c:
                body = call_rpc_rows(c, "get_music_video_shots", {"music_video_id": v}, parse=False).body
            print(f"  response body {len(body.encode())} bytes ({len(body.encode()) / 1024:.0f} KB) as sent")
            explain_read(conn, claims, v)

            def ids_of(rows: str) -> list[str]:
                return [s["id"] for s in json.loads(rows)]

            writes: dict[str, list[float]] = {"add at 1": [], "move 300 -> 1": [], "reorder (reverse)": [],
                                              "remove shot 1": []}
            for _ in range(10):
                writes["add at 1"].append(timed("add_music_video_shot", {"music_video_id": v, "description": "x",
                                                                         "shot_number": 1}))
                with postgrest_request(conn, claims) as c:
                    ids = ids_of(call_rpc_rows(c, "get_music_video_shots", {"music_video_id": v}, parse=False).body)
                writes["move 300 -> 1"].append(timed("update_music_video_shot", {
                    "music_video_id": v, "shot_id": ids[-1], "patch": {"shot_number": 1}}))
                writes["reorder (reverse)"].append(timed("reorder_music_video_shots", {
                    "music_video_id": v, "shot_ids": list(reversed(ids))}))
                writes["remove shot 1"].append(timed("remove_music_video_shot", {
                    "music_video_id": v, "shot_id": ids[-1]}))
            for k, xs in writes.items():
                print(f"{k:>20}: p50 {statistics.median(xs):.1f} ms, max {max(xs):.1f} ms (10 calls)")
            every = [x for xs in writes.values() for x in xs]
            print(f"{'all writes':>20}: p50 {statistics.median(every):.1f} ms (40 calls);"
                  f" load average {os.getloadavg()}")
            # the export parses the document, as the app does
            conn.adapters.register_loader("json", JsonLoader)
            conn.adapters.register_loader("jsonb", JsonbLoader)

            with tempfile.TemporaryDirectory() as tmp:
                for fmt in ("csv", "pdf"):
                    path = args.keep_pdf if (fmt == "pdf" and args.keep_pdf) else f"{tmp}/shotlist.{fmt}"
                    times = []
                    for _ in range(3):
                        t = time.perf_counter()
                        with postgrest_request(conn, claims):
                            export_shotlist(conn, video, fmt, path)
                        times.append(time.perf_counter() - t)
                    print(f"export {fmt}: best {min(times):.2f} s, worst {max(times):.2f} s (3 runs),"
                          f" {os.path.getsize(path) / 1024:.0f} KB")
    finally:
        drop_database(admin, name)


if __name__ == "__main__":
    main()
