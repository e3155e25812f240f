"""API speed at a realistic volume: p50/p95 of the read RPCs (and the plan RPCs once committed).

    .venv/bin/python benchmarks/bench_api.py [--iterations 300] [--metric-rows 1M 10M 100M] [--keep]
        [--lock /tmp/bench.lock] [--seed-only] [--drop] [--cold N]

1. Per volume (--metric-rows, default 1M), a database of its own cloned from the test template
   (built here like tests/conftest.py does when missing), bulk-seeded as the superuser with
   generate_series: per 1M metric rows 10,000 videos (100 metric rows each: 60 daily YouTube,
   20 weekly MTV, 20 weekly chart positions, the last of each today, 1 % soft-deleted, written
   day by day as the nightly writes them), 2,000 releases, 500 users, YouTube/MTV targets, 40,000 budget line items,
   20,000 cast assignments, 20,000 status-history rows and 30,000 import jobs; at every volume
   the owner has the same four releases and the big release the same 200 videos. Triggers are
   off during the seed (session_replication_role = replica); the metrics are loaded with their
   indexes and keys dropped and built again afterwards; the card-metric summaries their trigger
   keeps are built in one call, and the database is vacuumed and analyzed. The seed time and
   the disk used are printed. With --keep the database (named by volume and schema) is kept and
   a later run reuses it as it is; --seed-only seeds and keeps without timing anything.
2. Times each read as PostgREST serves it (one transaction, set local role, JWT claims,
   the call, the response GUCs; workers.db.postgrest_request + call_as_postgrest: a function returning
   rows has them aggregated by json_agg in the statement (call_rpc_rows), as PostgREST does; the
   json body received as text, which PostgREST forwards unparsed, unless --parse-json) as the owner
   (`authenticated`, under RLS) and as `service_role` (bypasses RLS), interleaved in one run, and
   prints p50/p95 of the whole request and of the function call alone, and the RLS overhead
   (owner / service role). Two cases spread the same reads over the whole catalogue (a
   different release or video each call, as the service role): the cold-cache case at volume.
   With --lock, only this part holds the team's benchmark flock (the seeding does not).
3. Runs each RPC once more with auto_explain (log_nested_statements, ANALYZE, BUFFERS) sending
   the plans of the statements inside the functions to this client, prints them compactly and
   checks that none of them is a Seq Scan on a big table.
4. With several volumes, prints each case's p50/p95 per volume and the ratio to the first
   (goal: within 1.2x of 1M at 100M).
5. With --cold N, what limits a cold read: N EXPLAIN (ANALYZE, BUFFERS) runs per read and volume
   on videos and releases no earlier run read, with track_io_timing: the pages found in
   shared_buffers, the pages read from the operating system and the time reading them.

get_music_video and create_music_video are measured once their migration is committed (git).
The list's json size per card (the text PostgREST ships) is printed too.
Targets (2-core machine): list, get, history p95 < 5 ms; create p95 < 20 ms; RLS overhead < 1.5x.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg.types.string import TextLoader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.testdb import admin_url, bulk_load, drop_database, ensure_template, with_dbname  # noqa: E402
from workers.db import call_as_postgrest, jwt_claims, postgrest_request  # noqa: E402

BIG_TABLES = {"music_videos", "music_video_metrics", "music_video_metric_imports",
              "music_video_platform_targets", "releases", "release_profiles", "profiles", "users",
              "music_video_status_history", "music_video_budget_line_items", "music_video_cast_assignments"}
TARGETS_MS = {"list_music_videos": 5.0, "get_music_video": 5.0, "music_video_metrics_history": 5.0,
              "create_music_video": 20.0}
RLS_TARGET = 1.5

OWNER = uuid.UUID("b0000000-0000-0000-0000-000000000001")


def rel_uuid(n: int) -> str:
    return f"b1000000-0000-0000-0000-{n:012x}"


def vid_uuid(n: int) -> str:
    return f"b2000000-0000-0000-0000-{n:012x}"


BIG_RELEASE = rel_uuid(1)        # 200 videos, owned by OWNER
CREATE_RELEASE = rel_uuid(0)     # also OWNER's: create_music_video writes here, not into the list
HISTORY_VIDEO = vid_uuid(7)      # on the big release, 100 metric rows

# The seed at a volume of V metric rows: V / 100 videos (100 metric rows each), V / 500 releases and
# V / 2,000 users (so one user's share, and the big release's 200 videos, look the same at every
# volume). {videos}, {releases} and {users} are filled in by seed_sql().
SEED_SQL = """
set session_replication_role = replica;
insert into auth.users (id, email, aud, role, raw_app_meta_data)
select ('b0000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bench' || g || '@example.test',
       'authenticated', 'authenticated', '{{"provider": "email"}}'::jsonb
from generate_series(1, {users}) as g;
insert into public.profiles (id)
select ('b0000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid from generate_series(1, {users}) as g;

-- release r belongs to user ((r - 1) % users) + 1: four releases per user; release 0 is the
-- owner's too (create_music_video writes there)
insert into public.releases (id, user_id, title)
select ('b1000000-0000-0000-0000-' || lpad(to_hex(r), 12, '0'))::uuid,
       ('b0000000-0000-0000-0000-' || lpad(to_hex(greatest(r - 1, 0) % {users} + 1), 12, '0'))::uuid,
       'Bench release ' || r
from generate_series(0, {releases}) as r;
insert into public.release_profiles (release_id, genre)
select ('b1000000-0000-0000-0000-' || lpad(to_hex(r), 12, '0'))::uuid,
       (array['pop', 'rock', 'hip-hop', 'country', 'indie pop', 'electronic'])[1 + r % 6]
from generate_series(0, {releases}) as r;

-- videos 1..200 on release 1; the others spread over releases 2..releases. Created in threes
-- per hour, so the list's sort key has ties.
with cat as (
  select (select array_agg(id order by name) from public.music_video_themes) as themes,
         (select array_agg(id order by name) from public.music_video_art_styles) as styles,
         (select array_agg(id order by min_cost) from public.music_video_budgets) as bands
)
insert into public.music_videos (id, release_id, title, slug, status, budget_estimate, quality_tier,
  target_release_date, shoot_start_date, shoot_end_date, kpi_view_target, kpi_chart_target, primary_platform,
  sync_strategy, video_theme_id, art_style_id, budget_band_id, narrative_outline, isrc, created_at, updated_at,
  submitted_at)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid,
       ('b1000000-0000-0000-0000-' || lpad(to_hex(case when v <= 200 then 1 else 2 + (v - 201) % ({releases} - 1) end),
                                           12, '0'))::uuid,
       'Bench video ' || v, 'bench-video-' || v,
       (enum_range(null::public.video_status_enum))[1 + v % 6],
       20000 + (v % 50) * 1000,
       (enum_range(null::public.quality_tier_enum))[1 + v % 4],
       date '2027-03-01' + v % 700, date '2027-01-10' + v % 700, date '2027-01-12' + v % 700,
       100000 * (1 + v % 20),
       case when v % 2 = 0 then 'billboard_hot_100' end,
       'youtube', (enum_range(null::public.sync_strategy_enum))[1 + v % 3],
       cat.themes[1 + v % array_length(cat.themes, 1)], cat.styles[1 + v % array_length(cat.styles, 1)],
       cat.bands[1 + v % array_length(cat.bands, 1)], 'A story in three acts', null,
       timestamptz '2026-01-01 00:00+00' + (v / 3) * interval '1 hour',
       timestamptz '2026-06-01 00:00+00' + v * interval '1 minute',
       case when v % 6 <> 0 then timestamptz '2026-02-01 00:00+00' end
from generate_series(1, {videos}) as v, cat;

insert into public.music_video_platform_targets (music_video_id, platform, external_id, launch_url, priority)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid, 'youtube',
       substr(md5(v::text), 1, 11), 'https://www.youtube.com/watch?v=' || substr(md5(v::text), 1, 11), 0
from generate_series(1, {videos}) as v;
insert into public.music_video_platform_targets (music_video_id, platform, priority)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid, 'mtv', 1
from generate_series(3, {videos}, 3) as v;

-- four budget line items per video
insert into public.music_video_budget_line_items (music_video_id, category, amount)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid, c.category, 5000 + (v % 7) * 1000
from generate_series(1, {videos}) as v
cross join unnest(array['direction', 'cinematography', 'post', 'marketing']) as c (category);
-- the status history the trigger would have written: created as a draft, then submitted
insert into public.music_video_status_history (music_video_id, from_status, to_status, changed_by, changed_at)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid, h.from_status::public.video_status_enum,
       h.to_status::public.video_status_enum, null, timestamptz '2026-01-01 00:00+00' + (v / 3) * interval '1 hour'
       + h.k * interval '1 day'
from generate_series(1, {videos}) as v
cross join (values (null, 'draft', 0), ('draft', 'planned', 1)) as h (from_status, to_status, k);

insert into public.music_video_metric_imports (music_video_id, platform, source, status, started_at, completed_at,
  created_at, triggered_by)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid,
       case when s.source = 'youtube' then 'youtube'::public.platform_enum end, s.source,
       s.status::public.import_status_enum,
       timestamptz '2026-11-01 00:00+00' + s.k * interval '1 day',
       timestamptz '2026-11-01 00:05+00' + s.k * interval '1 day',
       timestamptz '2026-11-01 00:00+00' + s.k * interval '1 day',
       null
from generate_series(1, {videos}) as v
cross join (values ('youtube', 'succeeded', 1), ('charts', 'succeeded', 2), ('youtube', 'failed', 3))
  as s (source, status, k);
"""

# The cast, apart so an existing seed can be re-crewed (bench_api.recrew).
CAST_SQL = """
set session_replication_role = replica;
-- a cast catalog of realistic size (8 seed options cannot crew 10,000 videos: one option per 25
-- videos, so each crew member has ~50 assignments at every volume) and two cast assignments per video
insert into public.music_video_cast_options (name, role, cost_multiplier)
select 'Bench crew ' || g, (array['director', 'director of photography', 'dancers', 'choreographer', 'lead actor',
                                  'editor', 'colourist', 'cameo'])[1 + g % 8], 1 + (g % 10) / 10.0
from generate_series(1, {cast_options}) as g;
with opts as (select array_agg(id order by name) as ids from public.music_video_cast_options)
insert into public.music_video_cast_assignments (music_video_id, cast_option_id, cost_estimate, confirmed)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid,
       opts.ids[1 + (v + k) % array_length(opts.ids, 1)], 2000 * k, k = 1
from generate_series(1, {videos}) as v cross join generate_series(1, 2) as k cross join opts;
"""

# 100 metric rows per video: 60 daily YouTube, 20 weekly MTV, 20 weekly chart positions, each
# platform's last sample today (UTC midnight of the seed's day), as the nightly leaves them: the
# statistics then see the recent samples as production's do (a seed whose samples ended months ago
# made the planner estimate ~1 row in any recent window at 100M). Written in the order a nightly
# sync writes them (each day's samples of every video together), so one video's samples lie on as
# many heap pages as in production, not side by side.
METRICS_SQL = """
set session_replication_role = replica;
insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total, chart_position,
  source, collected_at, synced_at, deleted_at)
select ('b2000000-0000-0000-0000-' || lpad(to_hex(v), 12, '0'))::uuid, p.platform::public.platform_enum,
       case when p.platform <> 'other' then (v % 1000) * 1000 + d * 137 end,
       case when p.platform = 'youtube' then d * 11 end,
       case when p.platform = 'other' then 1 + (v + d) % 100 end,
       case p.platform when 'youtube' then 'youtube' when 'mtv' then 'broadcast' else 'billboard_hot_100' end,
       t.today - (p.n - d) * p.step,
       t.today - (p.n - d) * p.step + interval '1 hour',
       case when (v + d) % 100 = 0 then t.today - (p.n - d) * p.step + interval '1 day' end
from (select (now() at time zone 'UTC')::date::timestamp at time zone 'UTC' as today) as t
cross join (values ('youtube', 60, interval '1 day'), ('mtv', 20, interval '7 days'),
                   ('other', 20, interval '7 days')) as p (platform, n, step)
cross join lateral generate_series(1, p.n) as d
cross join lateral generate_series(1, {videos} + 0 * d) as v;  -- "+ 0 * d": the videos loop inside the days
"""

SUMMARIES_SQL = """
set session_replication_role = origin;
-- triggers were off: build the card-metric summaries their trigger would have kept
do $$
begin
  if to_regprocedure('private.refresh_music_video_metric_summaries(uuid[])') is not null then
    perform private.refresh_music_video_metric_summaries(array_agg(v.id)) from public.music_videos as v;
  end if;
end
$$;
"""

VOLUMES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
ROWS_PER_VIDEO = 100


def seed_sql(template: str, metric_rows: int) -> str:
    videos = metric_rows // ROWS_PER_VIDEO
    return template.format(videos=videos, releases=max(videos // 5, 2000), users=max(videos // 20, 500),
                           cast_options=videos // 25)


def seed(url: str, metric_rows: int = VOLUMES["1M"]) -> None:
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(seed_sql(SEED_SQL, metric_rows))
        conn.execute(seed_sql(CAST_SQL, metric_rows))
        t1 = time.perf_counter()
        bulk_load(conn, "public.music_video_metrics", seed_sql(METRICS_SQL, metric_rows))
        t2 = time.perf_counter()
        conn.execute(SUMMARIES_SQL)
        t3 = time.perf_counter()
        conn.execute("vacuum analyze")
        counts = conn.execute(
            "select (select count(*) from public.music_videos), (select count(*) from public.releases),"
            " (select count(*) from public.music_video_metrics),"
            " (select count(*) from public.music_videos where release_id = %s),"
            " (select min(collected_at) || ' to ' || max(collected_at) from public.music_video_metrics"
            "  where music_video_id = %s)", (BIG_RELEASE, HISTORY_VIDEO)).fetchone()
        print(f"seeded {counts[0]:,} videos over {counts[1]:,} releases, {counts[2]:,} metric rows"
              f" (a video's samples from {counts[4]}),"
              f" {counts[3]} videos on the big release in {time.perf_counter() - t0:.1f} s (the rest"
              f" {t1 - t0:.1f} s, metrics with their indexes {t2 - t1:.1f} s, card summaries {t3 - t2:.1f} s,"
              f" vacuum analyze {time.perf_counter() - t3:.1f} s)")
        print_disk(conn)


def print_disk(conn: psycopg.Connection) -> None:
    heap, idx, total, db = conn.execute(
        "select pg_table_size('public.music_video_metrics'), pg_indexes_size('public.music_video_metrics'),"
        " pg_total_relation_size('public.music_video_metrics'), pg_database_size(current_database())").fetchone()
    gb = 1024 ** 3
    print(f"disk: music_video_metrics {total / gb:.2f} GB (table {heap / gb:.2f} GB, indexes {idx / gb:.2f} GB);"
          f" database {db / gb:.2f} GB")


def committed(function: str) -> bool:
    """Whether a committed migration defines public.<function> (git is the source of truth)."""
    out = subprocess.run(["git", "-C", str(ROOT), "grep", "-l", "-i", f"function public.{function}(",
                          "HEAD", "--", "supabase/migrations"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


# One small function per read the app makes, called inside a PostgREST-like request. Other
# branches change these RPCs' return types (typed rows instead of json): adapt them here.
def read_card_list(c: psycopg.Connection, release_id: str, page_size: int | None = None) -> Any:
    params: dict[str, Any] = {"release_id": release_id}
    if page_size is not None:
        params["page_size"] = page_size
    return call_as_postgrest(c, "list_music_videos", params, parse=False).body


def read_video(c: psycopg.Connection, video_id: str) -> Any:
    return call_as_postgrest(c, "get_music_video", {"id": video_id}, parse=False).body


def read_history_page(c: psycopg.Connection, video_id: str, page_size: int = 100, cursor: str | None = None) -> Any:
    params: dict[str, Any] = {"id": video_id, "page_size": page_size}
    if cursor is not None:
        params["cursor"] = cursor
    return call_as_postgrest(c, "music_video_metrics_history", params, parse=False).body


def read_trends(c: psycopg.Connection, video_id: str, days: int | None = None) -> Any:
    params: dict[str, Any] = {"id": video_id}
    if days is not None:
        params["days"] = days
    return call_as_postgrest(c, "music_video_trends", params, parse=False).body


def create_video(c: psycopg.Connection, params: dict[str, Any]) -> Any:
    return call_as_postgrest(c, "create_music_video", params, parse=False).body


# (case label, who) -> (request p50 ms, request p95 ms, metrics rows read, metrics pages read)
Timings = dict[tuple[str, str], tuple[float, float, int, int]]


def timings(cases: list[Case]) -> Timings:
    return {(case.label, who): (pct(case.request[who], 50), pct(case.request[who], 95),
                                *case.metrics_read.get(who, (-1, -1)))
            for case in cases for who in case.who if case.request[who]}


@dataclass
class Case:
    name: str                                        # the RPC (its target and its plans' label)
    label: str
    read: Callable[[psycopg.Connection, int], Any]   # (request connection, iteration) -> body
    method: str = "GET"
    who: tuple[str, ...] = ("owner", "service")      # who calls it (a foreign video is a 404 for the owner)
    request: dict[str, list[float]] = field(default_factory=lambda: {"owner": [], "service": []})
    call: dict[str, list[float]] = field(default_factory=lambda: {"owner": [], "service": []})
    metrics_read: dict[str, tuple[int, int]] = field(default_factory=dict)  # who -> (rows, pages), from EXPLAIN


def run_once(conn: psycopg.Connection, claims: dict, case: Case, i: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    with postgrest_request(conn, claims, method=case.method) as c:
        t1 = time.perf_counter()
        case.read(c, i)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    return (t3 - t0) * 1000, (t2 - t1) * 1000


def volume(text: str) -> int:
    if text.upper() not in VOLUMES:
        raise argparse.ArgumentTypeError(f"one of {', '.join(VOLUMES)}")
    return VOLUMES[text.upper()]


def volume_label(rows: int) -> str:
    return next(k for k, v in VOLUMES.items() if v == rows)


def bench_database_name(template: str, metric_rows: int) -> str:
    return f"mv_bench_{volume_label(metric_rows).lower()}_{template.removeprefix('mv_template_')}"


@contextmanager
def bench_database(admin: str, metric_rows: int, *, keep: bool = False, drop: bool = False) -> Iterator[str]:
    """URL of a database seeded with ``metric_rows`` metric rows. A database kept by an earlier
    run (--keep; named by volume and schema) is reused as it is and kept; one seeded here is
    dropped at the end unless ``keep``; ``drop`` drops it either way."""
    template = ensure_template(admin)
    name = bench_database_name(template, metric_rows)
    url = with_dbname(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        reused = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None
        if not reused:
            conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name),
                                                                          sql.Identifier(template)))
    print(f"\n=== {volume_label(metric_rows)} metric rows: database {name} (from {template});"
          f" load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    try:
        if reused:
            print("reusing the database a --keep run seeded")
            with psycopg.connect(url, autocommit=True) as conn:
                print_disk(conn)
        else:
            seed(url, metric_rows)
        yield url
    finally:
        if drop or not (keep or reused):
            drop_database(admin, name)
            print(f"dropped {name}")
        else:
            print(f"kept {url}")


@contextmanager
def bench_lock(path: str | None) -> Iterator[None]:
    """Hold the team's benchmark lock (flock) around the timed part only, when a path is given."""
    if not path:
        yield
        return
    with open(path, "a") as f:
        t0 = time.perf_counter()
        fcntl.flock(f, fcntl.LOCK_EX)
        print(f"holding {path} (waited {time.perf_counter() - t0:.1f} s); load average {os.getloadavg()}")
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def print_volume_ratios(results: dict[int, Timings], limit: float = 1.2) -> None:
    """Each case's owner/service p50 and p95 per volume, and the ratio to the smallest volume."""
    sizes = sorted(results)
    if len(sizes) < 2:
        return
    base = sizes[0]
    print(f"\nvolume comparison (request p50 / p95 ms; ratio of p50 to {volume_label(base)}, goal <= {limit}x;"
          " metrics rows / pages one call reads, from its plan)")
    for key in results[base]:
        cells = []
        for n in sizes:
            if key not in results[n]:
                continue
            p50, p95, rows, pages = results[n][key]
            ratio = p50 / results[base][key][0]
            flag = "" if n == base else (" ok" if ratio <= limit else " OVER")
            cells.append(f"{volume_label(n)} {p50:.2f}/{p95:.2f} ({ratio:.2f}x{flag}; {rows}/{pages})")
        print(f"  {key[0]:<28}{key[1]:<9}" + "   ".join(cells))


def card_bytes(conn: psycopg.Connection, claims: dict) -> tuple[int, int, float]:
    """(bytes of the 200-card list body as sent, bytes per card, ms this client spends parsing it)
    as the owner. PostgREST forwards the text; the timings above include parsing it here."""
    with postgrest_request(conn, claims) as c:
        row = c.execute(
            "select coalesce(json_agg(b), '[]')::text as body,"
            " (avg(octet_length(row_to_json(b)::text)))::integer as per_card"
            " from public.list_music_videos(release_id => %s, page_size => 200) as b",
            (BIG_RELEASE,)).fetchone()
    t0 = time.perf_counter()
    for _ in range(20):
        json.loads(row["body"])
    parse_ms = (time.perf_counter() - t0) * 1000 / 20
    return len(row["body"].encode()), int(row["per_card"]), parse_ms


def plan_nodes(plan: dict, depth: int = 0):
    yield depth, plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child, depth + 1)


def describe(node: dict) -> str:
    what = node["Node Type"]
    if node.get("Index Name"):
        what += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        what += f" on {node['Relation Name']}"
    hit = node.get("Shared Hit Blocks", 0)
    read = node.get("Shared Read Blocks", 0)
    return f"{what} (rows={node.get('Actual Rows')} loops={node.get('Actual Loops')} hit={hit} read={read})"


def explain(conn: psycopg.Connection, claims: dict, case: Case, who: str) -> list[str]:
    """Plans of every statement the RPC runs (auto_explain, nested), printed; returns findings."""
    notices: list[str] = []

    def grab(diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary and "Query Text" in diag.message_primary:
            notices.append(diag.message_primary)

    conn.add_notice_handler(grab)
    try:
        conn.execute("load 'auto_explain'")
        for k, v in {"log_min_duration": "0", "log_analyze": "on", "log_buffers": "on", "log_timing": "off",
                     "log_nested_statements": "on", "log_format": "json", "log_level": "notice"}.items():
            conn.execute(f"set auto_explain.{k} = '{v}'")
        conn.execute("set track_io_timing = on")  # how long the pages not in shared_buffers took to read
        run_once(conn, claims, case, 10_000_000)
    finally:
        conn.execute("set auto_explain.log_min_duration = '-1'")
        conn.execute("reset track_io_timing")
        conn.remove_notice_handler(grab)
    findings = []
    rows = hit = read = 0
    print(f"  EXPLAIN (ANALYZE, BUFFERS) of {case.name} as {who}: {len(notices)} statements")
    for text in notices:
        doc = json.loads(text[text.index("{"):])
        query = " ".join(doc["Query Text"].split())[:110]
        print(f"    - {query}")
        for depth, node in plan_nodes(doc["Plan"]):
            if node["Node Type"] in {"Result", "ProjectSet", "Materialize", "Limit", "Sort", "Aggregate",
                                     "WindowAgg", "Hash", "CTE Scan", "Subquery Scan", "Function Scan",
                                     "Append", "Unique", "Nested Loop", "Hash Join", "Merge Join",
                                     "Values Scan", "Incremental Sort", "Group", "GroupAggregate",
                                     "HashAggregate"}:
                continue
            print(f"      {'  ' * depth}{describe(node)}")
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
                findings.append(f"{case.name} as {who}: Seq Scan on {node['Relation Name']} in: {query}")
            if node.get("Relation Name") == "music_video_metrics":
                rows += node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                hit += node.get("Shared Hit Blocks", 0)
                read += node.get("Shared Read Blocks", 0)
    # bounded: the same rows and pages of the metrics table at every volume
    case.metrics_read[who] = (rows, hit + read)
    print(f"    music_video_metrics: {rows} rows read, {hit + read} pages ({read} not in shared_buffers)")
    # the whole call (its top node counts the buffers of everything nested in it): pages found in
    # shared_buffers, pages read from the operating system (its page cache or the disk), and the
    # time those reads took (a few microseconds a page from the page cache, far more from disk)
    for text in notices:
        doc = json.loads(text[text.index("{"):])
        if "_postgrest_t" in doc["Query Text"]:
            top = doc["Plan"]
            n_read, io_ms = top.get("Shared Read Blocks", 0), top.get("I/O Read Time", 0.0)
            per_page = f", {1000 * io_ms / n_read:.0f} us a page" if n_read else ""
            print(f"    whole call: {top.get('Shared Hit Blocks', 0)} pages hit, {n_read} read"
                  f" ({io_ms:.2f} ms reading{per_page})")
    return findings


def spread(i: int, n: int) -> int:
    """1..n, a different one on each iteration, jumping across the range (not cached neighbours)."""
    return 1 + (i * 7919) % n


def api_cases(url: str) -> list[Case]:
    with psycopg.connect(url) as c:  # the seed's videos 1..videos and releases 0..releases
        videos, releases = c.execute(
            "select (select count(*) from public.music_videos where slug like 'bench-video-%%'),"
            " (select count(*) - 1 from public.releases where title like 'Bench release %%')").fetchone()
    cases = [
        Case("list_music_videos", "list (200 cards)", lambda c, i: read_card_list(c, BIG_RELEASE, page_size=200)),
        Case("list_music_videos", "list (first page, 50)", lambda c, i: read_card_list(c, BIG_RELEASE)),
        Case("music_video_metrics_history", "history (page of 100)",
             lambda c, i: read_history_page(c, HISTORY_VIDEO, page_size=100)),
        # The same reads spread over the whole catalogue (as the service role, which may read
        # everything): at 100M rows these pages are mostly not in shared_buffers any more.
        Case("list_music_videos", "list (any release)",
             lambda c, i: read_card_list(c, rel_uuid(1 + spread(i, releases - 1))), who=("service",)),
        Case("music_video_metrics_history", "history (any video)",
             lambda c, i: read_history_page(c, vid_uuid(spread(i, videos)), page_size=100), who=("service",)),
    ]
    if committed("get_music_video"):
        cases.append(Case("get_music_video", "get", lambda c, i: read_video(c, vid_uuid(7))))
    else:
        print("SKIPPED get_music_video: not in a committed migration yet (plan RPCs, other engineer)")
    if committed("create_music_video"):
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
            ids = {r["t"]: r["id"] for r in c.execute(
                "select 'theme' as t, id from public.music_video_themes where name = 'Neon Nights'"
                " union all select 'style', id from public.music_video_art_styles where name = 'Pastel Pop'"
                " union all select 'band', id from public.music_video_budgets where name = 'Standard'")}
        today = datetime.now(UTC).date()

        def create_params(i: int) -> dict[str, Any]:
            return {
                "release_id": CREATE_RELEASE, "title": f"Bench create {i} {uuid.uuid4().hex[:6]}",
                "video_theme_id": str(ids["theme"]), "art_style_id": str(ids["style"]),
                "budget_band_id": str(ids["band"]), "quality_tier": "standard",
                "target_release_date": str(today + timedelta(days=200)),
                "shoot_start_date": str(today + timedelta(days=100)),
                "shoot_end_date": str(today + timedelta(days=102)),
                "line_items": Jsonb([{"category": "direction", "amount": 30000},
                                     {"category": "post", "amount": 20000}]),
                "platform_targets": Jsonb([{"platform": "youtube",
                                            "launch_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}]),
            }
        cases.append(Case("create_music_video", "create", lambda c, i: create_video(c, create_params(i)),
                          method="POST"))
    else:
        print("SKIPPED create_music_video: not in a committed migration yet (plan RPCs, other engineer)")
    return cases


def bench_roles() -> dict[str, dict]:
    return {"owner": jwt_claims(sub=OWNER, email="bench1@example.test", app_metadata={"provider": "email"}),
            "service": jwt_claims(role="service_role")}


def bench_connection(url: str, parse_json: bool = False) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
    if not parse_json:
        # PostgREST forwards a function's json result as the text it receives; it never
        # parses it. Load json/jsonb as text here too (--parse-json times the parse as well).
        for typ in ("json", "jsonb"):
            conn.adapters.register_loader(typ, TextLoader)
    return conn


def time_cases(runs: list[tuple[psycopg.Connection, list[Case]]], warmup: int, iterations: int) -> None:
    """Time the same cases on one or several databases (one per volume), interleaved: case by
    case, each iteration runs on every database and as every caller in turn, so all of them see
    the same load (the machine is shared; a volume timed a minute later sees another one)."""
    roles = bench_roles()
    for j in range(len(runs[0][1])):
        able: list[list[str]] = []
        for conn, cases in runs:
            ok = []
            for who in cases[j].who:
                try:
                    run_once(conn, roles[who], cases[j], -1)
                    ok.append(who)
                except psycopg.Error as exc:
                    print(f"NOT CALLABLE {cases[j].name} as {who}: {exc.sqlstate} {exc.diag.message_primary}")
            able.append(ok)
        for i in range(warmup + iterations):
            for (conn, cases), ok in zip(runs, able, strict=True):
                for who in ok:
                    req, call = run_once(conn, roles[who], cases[j], i)
                    if i >= warmup:
                        cases[j].request[who].append(req)
                        cases[j].call[who].append(call)


def report(conn: psycopg.Connection, cases: list[Case], args: argparse.Namespace) -> Timings:
    """Timings, verdicts and plans of the timed API cases on one database."""
    owner, service = bench_roles().values()
    verdicts: list[str] = []
    findings: list[str] = []
    print(f"\n{args.iterations} iterations each (after {args.warmup} warm-up), milliseconds;"
          " 'request' = the whole PostgREST-style transaction, 'call' = the RPC statement alone")
    print(f"{'rpc':<28}{'who':<9}{'req p50':>9}{'req p95':>9}{'call p50':>10}{'call p95':>10}")
    for case in cases:
        for who in ("owner", "service"):
            r, c = case.request[who], case.call[who]
            if not r:
                if who in case.who:
                    print(f"{case.label:<28}{who:<9}{'(not callable)':>18}")
                continue
            print(f"{case.label:<28}{who:<9}{pct(r, 50):9.2f}{pct(r, 95):9.2f}"
                  f"{pct(c, 50):10.2f}{pct(c, 95):10.2f}")
    print(f"load average now {os.getloadavg()}")
    total, per_card, parse_ms = card_bytes(conn, owner)
    where = "included in" if args.parse_json else "not in"
    print(f"list (200 cards) body: {total:,} bytes of json, {per_card:,} bytes per card;"
          f" parsing it in Python takes {parse_ms:.2f} ms ({where} the timings above; PostgREST"
          " forwards the text)")
    print("\nverdicts")
    for case in cases:
        own, svc = case.request["owner"], case.request["service"]
        if not own:
            if "owner" in case.who:
                verdicts.append(f"{case.label}: not measured as owner")
            continue
        target = TARGETS_MS[case.name]
        p95 = pct(own, 95)
        verdict = "OK" if p95 < target else "MISSED"
        line = f"{case.label}: owner p95 {p95:.2f} ms (target < {target:g}) {verdict}"
        if svc:
            r50 = statistics.median(own) / statistics.median(svc)
            r95 = pct(own, 95) / pct(svc, 95)
            rc = statistics.median(case.call["owner"]) / statistics.median(case.call["service"])
            ok = r50 < RLS_TARGET and r95 < RLS_TARGET
            line += (f"; RLS overhead p50 {r50:.2f}x, p95 {r95:.2f}x (call alone p50 {rc:.2f}x,"
                     f" target < {RLS_TARGET}x) {'OK' if ok else 'MISSED'}")
        else:
            line += "; service_role cannot call it, so no RLS ratio"
        verdicts.append(line)
    for v in verdicts:
        print("  " + v)

    print("\nplans of the statements inside the functions")
    for case in cases:
        for who, claims in (("owner", owner), ("service", service)):
            if case.request[who]:
                findings += explain(conn, claims, case, who)
    print("\nEXPLAIN verdict: " + ("no Seq Scan on a big table" if not findings else "SEQ SCANS FOUND"))
    for f in findings:
        print("  " + f)
    return timings(cases)


# The cold probe's reads, as the service role: (label, statement with one placeholder, argument of call i).
COLD_READS: list[tuple[str, str, Callable[[int, int, int], str]]] = [
    ("history page (100)", "select * from public.music_video_metrics_history(id => %s, page_size => 100)",
     lambda i, videos, releases: vid_uuid(spread(i, videos))),
    ("trends (365 days)", "select * from public.music_video_trends(id => %s, days => 365)",
     lambda i, videos, releases: vid_uuid(spread(i, videos))),
    ("card list (first page)", "select * from public.list_music_videos(release_id => %s)",
     lambda i, videos, releases: rel_uuid(1 + spread(i, releases - 1))),
]


def cold_probe(conn: psycopg.Connection, url: str, calls: int) -> None:
    """What limits a cold read: ``calls`` EXPLAIN (ANALYZE, BUFFERS) runs of each COLD_READS read on
    videos and releases picked from a random offset (so not the ones an earlier run read), with
    track_io_timing on; prints the medians of the execution time, of the pages found in
    shared_buffers and read from the operating system, and of the time those reads took."""
    with psycopg.connect(url) as c:
        videos, releases = c.execute(
            "select (select count(*) from public.music_videos where slug like 'bench-video-%%'),"
            " (select count(*) - 1 from public.releases where title like 'Bench release %%')").fetchone()
    conn.execute("set track_io_timing = on")
    try:
        print(f"  cold probe: {calls} calls each, service role; medians per call")
        for label, statement, arg in COLD_READS:
            start = int.from_bytes(os.urandom(3), "big")  # per read: not the videos the previous read warmed
            runs = []
            for i in range(start, start + calls):
                with postgrest_request(conn, bench_roles()["service"]) as c:
                    plan = c.execute("explain (analyze, buffers, format json) " + statement,
                                     (arg(i, videos, releases),)).fetchone()["QUERY PLAN"]
                doc = (json.loads(plan) if isinstance(plan, str) else plan)[0]  # json is loaded as text here
                top = doc["Plan"]
                runs.append((doc["Execution Time"], top.get("Shared Hit Blocks", 0), top.get("Shared Read Blocks", 0),
                             top.get("I/O Read Time", 0.0)))
            med = [statistics.median(r[k] for r in runs) for k in range(4)]
            pages, io_ms = sum(r[2] for r in runs), sum(r[3] for r in runs)
            per_page = f"{1000 * io_ms / pages:.0f} us a page" if pages else "no page read"
            print(f"    {label:<24} execution {med[0]:6.2f} ms; pages hit {med[1]:4.0f}, read {med[2]:4.0f}"
                  f" in {med[3]:5.2f} ms ({per_page})")
    finally:
        conn.execute("reset track_io_timing")


def volume_args(ap: argparse.ArgumentParser) -> None:
    """The options every metrics-volume benchmark shares (bench_api, bench_trends, bench_exports)."""
    ap.add_argument("--metric-rows", type=volume, nargs="+", default=[VOLUMES["1M"]], metavar="1M|10M|100M",
                    help="seeded metric rows; several volumes run one after the other and are compared")
    ap.add_argument("--keep", action="store_true",
                    help="keep the seeded databases (named by volume and schema); a later run reuses them")
    ap.add_argument("--drop", action="store_true", help="drop the databases at the end, even reused ones")
    ap.add_argument("--seed-only", action="store_true",
                    help="seed (and keep) the databases, time nothing; with --drop: only drop the kept ones")
    ap.add_argument("--lock", metavar="PATH",
                    help="take this flock (e.g. /tmp/bench.lock) around the timed part only, not the seeding;"
                         " without it, wrap the whole run in flock")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--parse-json", action="store_true",
                    help="also parse the json bodies in Python (PostgREST does not; the default loads them as text)")
    ap.add_argument("--cold", type=int, default=0, metavar="N",
                    help="after the timings, probe N never-read videos and releases per read and volume:"
                         " pages read from outside shared_buffers and the time reading them (track_io_timing)")
    volume_args(ap)
    args = ap.parse_args(argv)

    admin = admin_url()
    if args.seed_only and args.drop:  # only drop what earlier --keep runs kept
        for rows in args.metric_rows:
            name = bench_database_name(ensure_template(admin), rows)
            drop_database(admin, name)
            print(f"dropped {name} (if it was there)")
        return 0
    results: dict[int, Timings] = {}
    with ExitStack() as stack:
        runs = []
        for rows in args.metric_rows:
            url = stack.enter_context(bench_database(admin, rows, keep=args.keep or args.seed_only, drop=args.drop))
            if not args.seed_only:
                runs.append((rows, url, stack.enter_context(bench_connection(url, args.parse_json)), api_cases(url)))
        if runs:
            with bench_lock(args.lock):
                print(f"\ntiming {', '.join(volume_label(r) for r, _, _, _ in runs)} interleaved;"
                      f" load average {os.getloadavg()}")
                time_cases([(conn, cases) for _, _, conn, cases in runs], args.warmup, args.iterations)
                for rows, _, conn, cases in runs:
                    print(f"\n=== {volume_label(rows)} metric rows")
                    results[rows] = report(conn, cases, args)
                if args.cold:
                    print(f"\ncold reads; load average {os.getloadavg()}")
                    for rows, url, conn, _ in runs:
                        print(f"=== {volume_label(rows)} metric rows")
                        cold_probe(conn, url, args.cold)
    print_volume_ratios(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
