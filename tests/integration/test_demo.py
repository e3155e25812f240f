"""The demo data set (supabase/demo/, devtools/demo.py): loaded idempotently, a card in every lane,
the demo user signs in and sees its releases through the RPCs, the other user sees none of them,
and the demo stays out of the catalog seed, the migrations and any non-local database."""

from __future__ import annotations

import json
import re
import shutil

import psycopg
import pytest
from psycopg.rows import dict_row

from devtools import demo
from devtools.errors import DevToolsError, MigrationError
from devtools.paths import PROJECT_ROOT
from tests.helpers.factory import User
from tests.helpers.plan_rpc import RpcError, rpc
from tests.helpers.reads import timeline_items

DEMO_USER = User(demo.DEMO_USER_ID, demo.DEMO_EMAIL)
OTHER_USER = User(demo.OTHER_USER_ID, demo.OTHER_EMAIL)
MAIN_RELEASE, SINGLE_RELEASE = demo.DEMO_RELEASE_IDS
LANES = ["draft", "planned", "in_production", "post_production", "released", "archived"]

# Every table the demo writes (directly or through triggers), snapshotted whole.
TABLES = [
    "auth.users",
    "public.profiles",
    "public.releases",
    "public.release_profiles",
    "public.music_videos",
    "public.music_video_budget_line_items",
    "public.music_video_cast_assignments",
    "public.music_video_platform_targets",
    "public.music_video_milestones",
    "public.music_video_promo_events",
    "public.music_video_shots",
    "public.music_video_shot_cast",
    "public.music_video_status_history",
    "public.music_video_metrics",
    "public.music_video_chart_positions",
    "public.music_video_metric_imports",
    "public.music_video_import_row_errors",
    "public.music_video_metric_overrides",
    "public.music_video_alerts",
    "storage.objects",
]


def snapshot(conn: psycopg.Connection) -> dict[str, list]:
    """Every row of the demo's tables (this test database holds nothing else)."""
    out = {}
    for table in TABLES:
        out[table] = conn.execute(
            f"select coalesce(jsonb_agg(to_jsonb(t) order by to_jsonb(t)::text), '[]') as rows from {table} as t"
        ).fetchone()["rows"]
    return out


def shape(conn: psycopg.Connection) -> dict[str, object]:
    """What a reload must reproduce: row counts and the plans' visible content (no ids, no clocks)."""
    counts = {t: conn.execute(f"select count(*) as n from {t}").fetchone()["n"] for t in TABLES}
    videos = conn.execute(
        "select r.title as release, v.title, v.slug, v.status::text, v.budget_estimate,"
        " (select count(*) from public.music_video_metrics as m where m.music_video_id = v.id) as samples,"
        " (select max(m.views_total) from public.music_video_metrics as m"
        "   where m.music_video_id = v.id and m.platform = 'youtube') as youtube_views"
        " from public.music_videos as v join public.releases as r on r.id = v.release_id"
        " order by r.title, v.title"
    ).fetchall()
    return {"counts": counts, "videos": videos}


@pytest.fixture
def loaded(db_url: str, conn: psycopg.Connection) -> demo.DemoReport:
    report = demo.load_demo(db_url)
    assert report.loaded
    return report


def test_loading_twice_leaves_the_same_rows_and_a_reload_the_same_demo(db_url, conn, loaded):
    first = snapshot(conn)
    assert first["public.music_videos"], "the demo wrote no videos"

    again = demo.load_demo(db_url)
    assert not again.loaded and again.content_hash == loaded.content_hash
    assert snapshot(conn) == first

    before = shape(conn)
    assert demo.load_demo(db_url, force=True).loaded
    assert shape(conn) == before  # replaced whole: nothing doubled, nothing left behind
    users = conn.execute("select id::text, email from auth.users order by email").fetchall()
    assert users == [
        {"id": demo.DEMO_USER_ID, "email": demo.DEMO_EMAIL},
        {"id": demo.OTHER_USER_ID, "email": demo.OTHER_EMAIL},
    ]


def test_a_changed_demo_reloads_cleanly(db_url, conn, loaded, tmp_path):
    before = shape(conn)
    root = tmp_path / "checkout"
    shutil.copytree(PROJECT_ROOT / demo.DEMO_DIR, root / demo.DEMO_DIR)
    plans = root / demo.DEMO_DIR / "10_plans.sql"
    text = plans.read_text()
    assert "'title', 'Wildfire'" in text
    plans.write_text(text.replace("'title', 'Wildfire'", "'title', 'Wildfire (Director''s Cut)'"))

    report = demo.load_demo(db_url, root=root)
    assert report.loaded and report.content_hash != loaded.content_hash
    titles = [r["title"] for r in conn.execute("select title from public.music_videos order by title")]
    assert "Wildfire (Director's Cut)" in titles and "Wildfire" not in titles
    after = shape(conn)
    assert after["counts"] == before["counts"]
    recorded = conn.execute(
        "select hash from supabase_migrations.seed_files where path = %s", (demo.RECORD_PATH,)
    ).fetchone()["hash"]
    assert recorded == report.content_hash


def test_a_failing_demo_file_rolls_the_whole_load_back(db_url, conn, loaded, tmp_path):
    before = snapshot(conn)
    root = tmp_path / "checkout"
    shutil.copytree(PROJECT_ROOT / demo.DEMO_DIR, root / demo.DEMO_DIR)
    plans = root / demo.DEMO_DIR / "10_plans.sql"
    # a plan over its budget band's hard limit: the plan rules refuse it
    plans.write_text(
        plans.read_text().replace(
            "'amount', 30000, 'notes', 'Director and AD, 2 days'",
            "'amount', 300000, 'notes', 'Director and AD, 2 days'",
        )
    )
    with pytest.raises(MigrationError) as exc:
        demo.load_demo(db_url, root=root)
    # written as a draft in 10_plans.sql, judged when the card first moves on the board
    assert exc.value.file == "15_board.sql" and exc.value.cause.startswith("PT422") and "band" in exc.value.cause
    assert snapshot(conn) == before


def test_every_lane_of_the_main_release_has_a_card(conn, loaded):
    rows = rpc(conn, DEMO_USER.claims(), "music_video_status_counts", release_id=MAIN_RELEASE)
    counts = {r["status"]: r["videos"] for r in rows}
    assert {lane: counts[lane] >= 1 for lane in LANES} == dict.fromkeys(LANES, True), counts
    single = rpc(conn, DEMO_USER.claims(), "list_music_videos", release_id=SINGLE_RELEASE)
    assert [c["title"] for c in single] == ["Coastline"]


def test_the_demo_user_can_sign_in_with_the_readme_password(conn, loaded):
    # What GoTrue checks on a password grant: the email, a confirmed address, bcrypt of the password.
    row = conn.execute(
        "select u.id::text, u.aud, u.role, u.email_confirmed_at is not null as confirmed,"
        " u.encrypted_password like '$2%%' as bcrypt,"
        " u.encrypted_password = extensions.crypt(%s, u.encrypted_password) as password_ok,"
        " (select p.full_name from public.profiles as p where p.id = u.id) as profile"
        " from auth.users as u where u.email = %s",
        (demo.DEMO_PASSWORD, demo.DEMO_EMAIL),
    ).fetchone()
    assert row == {
        "id": demo.DEMO_USER_ID,
        "aud": "authenticated",
        "role": "authenticated",
        "confirmed": True,
        "bcrypt": True,
        "password_ok": True,
        "profile": "Dana Demo",
    }
    wrong = conn.execute(
        "select encrypted_password = extensions.crypt('wrong', encrypted_password) as ok"
        " from auth.users where email = %s",
        (demo.DEMO_EMAIL,),
    ).fetchone()
    assert wrong["ok"] is False


def test_the_demo_user_sees_its_releases_through_the_rpcs(conn, loaded):
    claims = DEMO_USER.claims()
    board = rpc(conn, claims, "list_music_videos", release_id=MAIN_RELEASE)
    by_title = {c["title"]: c for c in board}
    [draft] = rpc(conn, claims, "music_video_resume_draft", release_id=MAIN_RELEASE)
    assert draft["title"] == "Untitled Ballad"
    released = by_title["Midnight Signal"]
    assert released["status"] == "released" and released["views_total"] > 5_000_000

    [video] = rpc(conn, claims, "get_music_video", id=released["id"])
    assert {li["category"] for li in video["line_items"]} == {"direction", "cinematography", "post", "marketing"}
    assert len(video["cast_assignments"]) == 2 and len(video["platform_targets"]) == 3

    days, cursor = set(), None
    while True:  # the History panel pages through a year of daily samples
        page = rpc(
            conn,
            claims,
            "music_video_metrics_history",
            id=released["id"],
            platforms=["youtube"],
            page_size=100,
            **({"cursor": cursor} if cursor else {}),
        )
        days |= {row["collected_at"][:10] for row in page}
        cursor = page[-1]["next_cursor"] if page else None
        if not cursor:
            break
    assert len(days) == 365

    charts = rpc(conn, claims, "music_video_chart_history", music_video_id=released["id"])
    on_chart = {w["chart"] for w in charts if w["on_chart"]}
    assert on_chart == {"billboard_hot_100", "spotify_global_weekly", "apple_music_top_100"}, on_chart
    assert next(w["entry_kind"] for w in charts if w["on_chart"]) == "re_entry"  # newest first

    tv = conn.execute("select id::text from public.music_video_metric_imports where source = 'broadcast'").fetchone()
    errors = rpc(conn, claims, "music_video_import_errors", import_id=tv["id"])
    assert [(e["line"], e["column_name"], e["raw_value"], e["reason"]) for e in errors] == [
        (7, "Viewers (000s)", "approx. 410", "not a number"),
        (12, "Air Date", "Mar 12", "date has no year"),
        (19, "Viewers (000s)", "-85", "negative viewer count"),
    ]

    timeline = timeline_items(rpc(conn, claims, "music_video_release_timeline", release_id=MAIN_RELEASE))
    assert timeline and not [t for t in timeline if t["overdue"]], timeline

    shots = rpc(conn, claims, "get_music_video_shots", music_video_id=by_title["Afterglow"]["id"])
    assert [s["shot_number"] for s in shots] == [1, 2, 3, 4, 5]


def test_alerts_overrides_and_jobs_are_what_the_readme_promises(conn, loaded):
    kinds = {r["kind"] for r in conn.execute("select kind from public.music_video_alerts")}
    assert {"kpi_target_reached", "chart_entry", "chart_reentry"} <= kinds
    assert conn.execute("select count(*) as n from public.music_video_metric_overrides").fetchone()["n"] == 1
    imports = conn.execute("select source, status::text from public.music_video_metric_imports").fetchall()
    assert {"source": "broadcast", "status": "partially_failed"} in imports
    assert not [j for j in imports if j["status"] in ("pending", "processing")], "a worker would re-run them"


def test_the_other_user_sees_none_of_the_demo_users_data(db_url, conn, loaded):
    claims = OTHER_USER.claims()
    for release in demo.DEMO_RELEASE_IDS:
        with pytest.raises(RpcError) as exc:
            rpc(conn, claims, "list_music_videos", release_id=release)
        assert exc.value.sqlstate == "PT404"
    demo_video = conn.execute(
        "select v.id::text from public.music_videos as v where v.slug = 'midnight-signal'"
    ).fetchone()["id"]
    with pytest.raises(RpcError) as exc:
        rpc(conn, claims, "get_music_video", id=demo_video)
    assert exc.value.sqlstate == "PT404"
    own = rpc(conn, claims, "list_music_videos", release_id="d3e0d3e0-0000-4000-8000-0000000000b1")
    assert [c["title"] for c in own] == ["Garage Session"]
    # and through the table endpoints, as PostgREST would read them for this JWT
    with psycopg.connect(db_url, row_factory=dict_row) as c, c.transaction():
        c.execute(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
            (json.dumps(claims),),
        )
        seen = {
            t: c.execute(f"select count(*) as n from public.{t}").fetchone()["n"]
            for t in ("music_video_metrics", "music_video_alerts", "music_video_metric_imports")
        }
        videos = [r["title"] for r in c.execute("select title from public.music_videos")]
    assert seen == dict.fromkeys(seen, 0) and videos == ["Garage Session"]


def test_the_demo_is_not_in_the_seed_the_migrations_or_the_template(conn):
    assert conn.execute("select count(*) as n from auth.users where id = %s", (demo.DEMO_USER_ID,)).fetchone()["n"] == 0
    markers = [demo.DEMO_USER_ID, demo.DEMO_EMAIL, "d3e0d3e0-", "supabase/demo"]
    for path in [PROJECT_ROOT / "supabase" / "seed.sql", *sorted((PROJECT_ROOT / "supabase" / "migrations").glob("*"))]:
        text = path.read_text()
        assert not [m for m in markers if m in text], path


def test_a_database_that_is_not_on_this_machine_is_refused_before_connecting():
    for url in [
        "postgresql://postgres@127.0.0.1:54322/postgres",
        "postgresql://u@localhost/db",
        "postgresql://u@[::1]:5432/db",
        "host=/var/run/postgresql dbname=x",
        "dbname=x",
    ]:
        assert demo.is_local(url), url
    for url in [
        "postgresql://postgres@db.abcdefgh.supabase.co:5432/postgres",
        "postgresql://u@10.0.0.5/db",
        "host=127.0.0.1,db.example.com dbname=x",
    ]:
        assert not demo.is_local(url), url
        with pytest.raises(DevToolsError, match="local databases only"):
            demo.load_demo(url)


def test_the_readme_names_the_demo_users_credentials():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert demo.DEMO_EMAIL in readme and demo.DEMO_PASSWORD in readme and demo.DEMO_USER_ID in readme
    # every demo file says it is demo data, never for a real project
    for path in demo.demo_files():
        assert re.search(r"DEMO DATA", path.read_text()[:400]), path


def test_run_loads_the_demo_unless_told_not_to(db_url, monkeypatch, capsys):
    import workers.services
    from devtools import cli as devcli

    monkeypatch.setattr(workers.services, "run_services", lambda settings, url: 0)
    monkeypatch.setenv("MV_DATABASE_URL", db_url)
    assert devcli.main(["run", "--no-demo"]) == 0
    with psycopg.connect(db_url) as c:
        assert c.execute("select count(*) from auth.users").fetchone()[0] == 0
    assert devcli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert f"demo data loaded: sign in as {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}" in out
    assert devcli.main(["run"]) == 0
    assert "demo data unchanged, kept" in capsys.readouterr().out
    with psycopg.connect(db_url) as c:
        assert c.execute("select count(*) from auth.users where id = %s", (demo.DEMO_USER_ID,)).fetchone()[0] == 1


def _readme_block(heading: str, lang: str) -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index(heading) :]
    start = section.index(f"```{lang}\n") + len(lang) + 4
    return section[start : section.index("```", start)]


def _object_keys(text: str, start: int) -> list[str]:
    """The top-level keys of the JS object literal opening at text[start] == '{'."""
    depth, keys, i = 0, [], start
    while True:
        c = text[i]
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return keys
        elif c in "'\"`":
            i = text.index(c, i + 1)
        elif depth == 1 and (m := re.match(r"[{,]\s*(\w+)\s*:", text[i - 1 : i + 40])) and text[i - 1] in "{,":
            keys.append(m.group(1))
        i += 1


def test_the_readmes_psql_snippet_runs_as_the_demo_user(db_url, loaded):
    from devtools.sqlsplit import split_sql

    results = []
    with psycopg.connect(db_url, autocommit=True) as c:
        for stmt in split_sql(_readme_block("### Acting as the demo user with psql", "sql")):
            cur = c.execute(stmt)
            if cur.description:
                results.append(cur.fetchall())
    board = json.dumps(results[1])
    assert "Midnight Signal" in board and "Coastline" not in board  # the main release's board
    assert sorted(r[2] for r in results[2]) == sorted([*LANES[:4], "released", "released", "archived"])


def test_the_readmes_supabase_js_calls_name_real_functions_tables_and_buckets(conn):
    js = _readme_block("### The frontend's calls (supabase-js)", "js")
    calls = [(m.group(1), m.end()) for m in re.finditer(r"supabase\.rpc\('(\w+)'", js)]
    assert len(calls) >= 10
    for name, end in calls:
        args = conn.execute(
            "select p.proargnames as names, p.pronargs - p.pronargdefaults as required from pg_proc as p"
            " where p.pronamespace = 'public'::regnamespace and p.proname = %s",
            (name,),
        ).fetchall()
        assert len(args) == 1, f"{name}: {len(args)} functions"
        names, required = args[0]["names"] or [], args[0]["required"]
        rest = js[end:].lstrip()
        keys = _object_keys(rest, 2) if rest.startswith(", {") else []
        assert set(keys) <= set(names), f"{name}({keys}) but the function takes {names}"
        assert set(names[:required]) <= set(keys), f"{name} needs {names[:required]}, the README passes {keys}"
    for table in re.findall(r"supabase\.from\('(\w+)'\)", js):
        assert conn.execute("select to_regclass(%s) as t", (f"public.{table}",)).fetchone()["t"], table
    for bucket in re.findall(r"storage\.from\('([\w-]+)'\)", js):
        assert conn.execute("select 1 from storage.buckets where id = %s", (bucket,)).fetchone(), bucket
    for table in re.findall(r"table: '(\w+)'", js):
        assert conn.execute(
            "select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = %s", (table,)
        ).fetchone(), f"{table} is not in the realtime publication"


def test_the_demo_tv_import_is_what_the_broadcast_parser_makes_of_its_file(conn, loaded):
    """The demo writes the broadcast worker's results without running it; the real parser, given
    the file those results describe (one MTV Push airing a day, plus the three refused lines where
    the row errors say), must come to the same verdict: the same row errors, stats and day totals."""
    from datetime import date

    from workers.sources.broadcast.engine import run_import
    from workers.sources.broadcast.rules import ColumnMapping

    job = conn.execute(
        "select id, metadata from public.music_video_metric_imports where source = 'broadcast'"
    ).fetchone()
    samples = conn.execute(
        "select m.collected_at::date as day, coalesce((o.previous ->> 'views_total')::bigint, m.views_total) as views,"
        " m.detail from public.music_video_metrics as m"
        " left join public.music_video_metric_overrides as o on o.metric_id = m.id"
        " where m.import_batch_id = %s order by m.collected_at",
        (job["id"],),
    ).fetchall()
    refused = {e["line"]: e for e in job["metadata"]["row_errors_preview"]}
    good = iter(samples)
    lines = ["Air Date,Programme,Viewers (000s)"]
    for line in range(2, 2 + job["metadata"]["stats"]["rows_seen"]):
        if line in refused:  # the refused line as the file had it (its other cells well-formed)
            e = refused[line]
            day = next(s["day"] for s in samples).isoformat()
            cells = {"Air Date": day, "Programme": "Hits Breakfast", "Viewers (000s)": "390", e["column"]: e["value"]}
            lines.append(",".join(cells[h] for h in ("Air Date", "Programme", "Viewers (000s)")))
        else:
            s = next(good)
            lines.append(f"{s['day'].isoformat()},MTV Push,{s['views'] // 1000}")
    assert next(good, None) is None
    mapping = ColumnMapping(**{k: v for k, v in job["metadata"]["mapping"].items()})
    with run_import([("\n".join(lines) + "\n").encode()], mapping, today=date.today()) as imp:
        errors = [e.as_dict() for e in imp.errors()]
        stats, days = imp.stats.as_dict(), imp.days
    assert errors == job["metadata"]["row_errors_preview"]
    assert stats == job["metadata"]["stats"]
    assert {d: (t.viewers, t.detail()) for d, t in days.items()} == {
        s["day"]: (s["views"], {k: v for k, v in s["detail"].items() if k not in ("file", "bucket", "manual_override")})
        for s in samples
    }
