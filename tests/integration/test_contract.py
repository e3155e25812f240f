"""The contract: the committed TypeScript types and API reference match what the migrations
generate (the test command fails when either is stale), every RPC is documented, and the real
Supabase CLI applies the migrations and the seed and reads the history back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from devtools import contract, testdb
from devtools.migrate import apply_baseline, migration_files
from devtools.sqlsplit import split_sql

ROOT = Path(__file__).resolve().parents[2]
SUPABASE_CLI = ROOT / "tools" / "node_modules" / ".bin" / "supabase"
COMMENTS = ROOT / "supabase" / "migrations" / "20261201230000_rpc_reference_comments.sql"
REGENERATE = "stale: run `python -m devtools contract generate` and commit the result\n"


@pytest.fixture(scope="module")
def schema_url(admin_url, template_db):
    """One clone for the tests that only read the schema (a clone per test costs a drop each)."""
    name = testdb.clone_database(admin_url, template_db, prefix="mv_contract")
    try:
        yield testdb.with_dbname(admin_url, name)
    finally:
        testdb.drop_database(admin_url, name)


def test_the_committed_api_reference_is_current(schema_url):
    generated = contract.render(schema_url, types=False)
    assert contract.stale(generated) == "", "docs/api-reference.md is " + REGENERATE + contract.stale(generated)


def test_the_committed_typescript_types_are_current(schema_url):
    if contract.postgres_meta_script() is None:
        pytest.skip(f"{contract.POSTGRES_META} is not installed (scripts/bootstrap runs npm ci in tools/)")
    generated = contract.Contract({contract.TYPES_PATH: contract.typescript_types(schema_url)})
    diff = contract.stale(generated)
    assert diff == "", f"{contract.TYPES_PATH} is " + REGENERATE + diff


def test_a_stale_file_is_reported_with_a_diff_and_generate_rewrites_it(schema_url, tmp_path):
    generated = contract.render(schema_url, types=False)
    contract.write(generated, tmp_path)
    assert contract.stale(generated, tmp_path) == ""
    path = tmp_path / contract.REFERENCE_PATH
    path.write_text(path.read_text().replace("### `get_music_video`", "### `get_music_video_old`"))
    diff = contract.stale(generated, tmp_path)
    assert "-### `get_music_video_old`" in diff and "+### `get_music_video`" in diff
    contract.write(generated, tmp_path)
    assert contract.stale(generated, tmp_path) == ""


def _rpcs(conn) -> list[tuple[str, str | None, list[str]]]:
    return conn.execute(
        "select p.proname, obj_description(p.oid, 'pg_proc'),"
        " array(select format_type(t, null) from unnest(p.proargtypes::oid[]) as t)"
        " from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.prokind = 'f'"
        " and not exists (select 1 from pg_depend as d where d.objid = p.oid and d.deptype = 'e')"
        " order by 1"
    ).fetchall()


def test_every_rpc_comment_has_a_purpose_its_endpoint_returns_and_errors(schema_url):
    with psycopg.connect(schema_url) as conn:
        rpcs = _rpcs(conn)
    assert len(rpcs) >= 40
    missing = {}
    for name, comment, arg_types in rpcs:
        text = comment or ""
        purpose = text.split("\n", 1)[0].strip()
        wanted = [*contract.COMMENT_SECTIONS, *([contract.INPUT_SHAPES] if "jsonb" in arg_types else [])]
        gaps = [s for s in wanted if f"\n{s}" not in text]
        if not purpose or purpose.endswith(":") or gaps:
            missing[name] = gaps or ["a one-line purpose"]
    assert missing == {}


def test_every_errors_section_names_sqlstates(schema_url):
    with psycopg.connect(schema_url) as conn:
        rpcs = _rpcs(conn)
    without = [
        name
        for name, comment, _ in rpcs
        if not any(
            code in (comment or "").split("\nErrors:", 1)[-1]
            for code in ("PT404", "PT403", "PT409", "PT422", "22023", "42501")
        )
    ]
    assert without == []


def test_the_comment_migration_refuses_a_listed_name_that_does_not_exist(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("alter function public.remove_music_video_shot rename to remove_music_video_shot_renamed")
        with pytest.raises(psycopg.errors.RaiseException, match=r"no function public\.remove_music_video_shot to"):
            for statement in split_sql(COMMENTS.read_text()):
                conn.execute(statement)


def test_the_comments_follow_a_retyped_function(db_url):
    # Another migration retypes an RPC (drop + create, no comment): the comment lands on the new one.
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("drop function public.remove_music_video_milestone(text)")
        conn.execute(
            "create function public.remove_music_video_milestone(id uuid) returns jsonb language sql"
            " set search_path = '' as $$ select null::jsonb $$"
        )
        with conn.transaction():
            for statement in split_sql(COMMENTS.read_text()):
                conn.execute(statement)
        comment = conn.execute(
            "select obj_description('public.remove_music_video_milestone(uuid)'::regprocedure, 'pg_proc')"
        ).fetchone()[0]
    assert comment.startswith("Remove a milestone from a video's timeline.")


def test_the_supabase_cli_pushes_migrations_and_seed_and_lists_them_as_applied(empty_db_url, tmp_path):
    if not SUPABASE_CLI.exists() or not shutil.which("node"):
        pytest.skip(f"the Supabase CLI is not installed at {SUPABASE_CLI} (scripts/bootstrap runs npm ci in tools/)")
    # The CLI's project folder: our config, migrations and seed (it writes supabase/.temp there).
    project = tmp_path / "project"
    (project / "supabase").mkdir(parents=True)
    shutil.copy(ROOT / "supabase" / "config.toml", project / "supabase" / "config.toml")
    shutil.copy(ROOT / "supabase" / "seed.sql", project / "supabase" / "seed.sql")
    shutil.copytree(ROOT / "supabase" / "migrations", project / "supabase" / "migrations")
    apply_baseline(empty_db_url)  # what a new Supabase project has before its first push
    url = testdb.postgres_url(empty_db_url) + "?sslmode=disable"

    def cli(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(SUPABASE_CLI), *args, "--workdir", str(project), "--db-url", url],
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, f"supabase {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    files = migration_files(ROOT / "supabase" / "migrations")
    pushed = cli("db", "push", "--include-seed", "--yes")
    assert f"Applying migration {files[-1].name}" in pushed.stdout + pushed.stderr
    assert "Seeding data from supabase/seed.sql" in pushed.stdout + pushed.stderr

    listed = json.loads(cli("migration", "list", "--output-format", "json").stdout)["migrations"]
    versions = [f.name.split("_", 1)[0] for f in files]
    assert [m["local"] for m in listed] == versions
    assert [m["remote"] for m in listed] == versions  # every file applied, nothing else recorded

    with psycopg.connect(empty_db_url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "select version || '_' || name || '.sql' from supabase_migrations.schema_migrations order by version"
            )
        ]
        assert names == [f.name for f in files]
        assert conn.execute("select count(*) from public.music_video_quality_tiers").fetchone()[0] == 4  # the seed
        assert (
            conn.execute(
                "select count(*) from pg_proc where pronamespace = 'public'::regnamespace"
                " and proname = 'create_music_video'"
            ).fetchone()[0]
            == 1
        )


def test_the_reference_lists_the_columns_of_table_and_composite_returns(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "create function public.zz_board_rows(release_id uuid, page_size integer default 50)"
            " returns table (id uuid, status public.video_status_enum, views bigint)"
            " language sql set search_path = '' as $$ select null::uuid, null::public.video_status_enum, 0::bigint $$"
        )
        conn.execute(
            "create function public.zz_one_alert(id uuid) returns public.music_video_alerts"
            " language sql set search_path = '' as $$ select null::public.music_video_alerts $$"
        )
        conn.execute("comment on function public.zz_board_rows is 'Rows.\n\nReturns: rows.'")
    reference = contract.api_reference(db_url)
    rows = reference.split("### `zz_board_rows`", 1)[1].split("\n### ", 1)[0]
    assert "| `release_id` | `uuid` | required |  |" in rows
    assert "| `page_size` | `integer` | optional | `50` |" in rows
    assert "Returns a set of rows (a JSON array of objects):" in rows
    assert "| `status` | `video_status_enum` |" in rows and "| `views` | `bigint` |" in rows
    assert "| `id` | `uuid` |" in rows.split("Returns a set of rows", 1)[1]
    assert "**Returns:** rows." in rows
    alert = reference.split("### `zz_one_alert`", 1)[1].split("\n### ", 1)[0]
    assert "Returns one row of `music_video_alerts` (a JSON object):" in alert and "| `dedupe_key` | `text` |" in alert
    assert "_No comment: this function is undocumented._" in alert
