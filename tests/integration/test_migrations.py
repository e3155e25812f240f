"""The migration runner against real, empty databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from devtools.errors import MigrationError
from devtools.migrate import migrate, migration_files
from devtools.sqlsplit import split_sql

ROOT = Path(__file__).resolve().parents[2]


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as c:
        return c.execute(query).fetchone()[0]


def test_every_migration_applies_to_an_empty_database_and_a_second_run_is_a_no_op(empty_db_url):
    files = [p.name for p in migration_files(ROOT / "supabase" / "migrations")]
    first = migrate(empty_db_url)
    assert first.baseline_applied
    assert first.applied == files
    assert first.seeded

    with psycopg.connect(empty_db_url) as c:
        rows = c.execute("select version, name, statements from supabase_migrations.schema_migrations"
                         " order by version").fetchall()
    assert [f"{v}_{n}.sql" for v, n, _ in rows] == files
    assert all(stmts and all(s.strip() for s in stmts) for _, _, stmts in rows)

    catalog_counts = _count(empty_db_url, "select count(*) from public.music_video_themes")
    second = migrate(empty_db_url)
    assert not second.baseline_applied  # auth now exists
    assert second.applied == []
    assert second.skipped == files
    # the seed is idempotent: re-applying it adds nothing
    assert _count(empty_db_url, "select count(*) from public.music_video_themes") == catalog_counts
    assert _count(empty_db_url, "select count(*) from public.music_video_quality_tiers") == 4


def test_a_database_that_already_has_auth_skips_the_baseline(empty_db_url):
    # Like `supabase start`: Supabase's schemas exist before our migrations run.
    migrate(empty_db_url, seed=False)
    with psycopg.connect(empty_db_url, autocommit=True) as c:
        c.execute("delete from supabase_migrations.schema_migrations")
        c.execute("drop schema public cascade; drop schema private cascade; create schema public;"
                  " grant usage on schema public to anon, authenticated, service_role;")
        c.execute("create table public.profiles (id uuid primary key references auth.users);"
                  " create table public.releases (id uuid primary key, user_id uuid not null"
                  " references auth.users, title text);"
                  " create table public.release_profiles (release_id uuid references public.releases,"
                  " genre text)")
    report = migrate(empty_db_url)
    assert not report.baseline_applied
    assert len(report.applied) == len(migration_files(ROOT / "supabase" / "migrations"))


def test_a_broken_migration_rolls_back_whole_and_names_file_and_statement(empty_db_url, tmp_path):
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    (tmp_path / "supabase").mkdir()
    shutil.copytree(ROOT / "supabase" / "migrations", tmp_path / "supabase" / "migrations")
    bad = tmp_path / "supabase" / "migrations" / "29991231000000_broken.sql"
    bad.write_text("create table public.half_done (id int);\n"
                   "-- a comment with a ; in it\n"
                   "insert into public.half_done values (1);\n"
                   "select 1 / 0;\n")
    with pytest.raises(MigrationError) as err:
        migrate(empty_db_url, root=tmp_path, seed=False)
    assert err.value.file == "29991231000000_broken.sql"
    assert err.value.statement_no == 3
    assert "division by zero" in str(err.value)
    assert "select 1 / 0" in str(err.value)
    with psycopg.connect(empty_db_url) as c:
        assert c.execute("select to_regclass('public.half_done')").fetchone()[0] is None
        assert c.execute("select count(*) from supabase_migrations.schema_migrations"
                         " where version = '29991231000000'").fetchone()[0] == 0
        # the good files before it stayed applied
        assert c.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0] == len(
            migration_files(ROOT / "supabase" / "migrations"))


def test_a_migration_file_without_a_version_is_refused(tmp_path):
    (tmp_path / "create_things.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="YYYYMMDDHHMMSS"):
        migration_files(tmp_path)


@pytest.mark.parametrize(("script", "expected"), [
    ("select 1; select 2;", ["select 1;", "select 2;"]),
    ("select ';' as a; select 2", ["select ';' as a;", "select 2"]),
    ("create function f() returns int as $$ select 1; $$ language sql; select 3;",
     ["create function f() returns int as $$ select 1; $$ language sql;", "select 3;"]),
    ("do $body$ begin perform 1; end $body$; -- tail ; comment\n",
     ["do $body$ begin perform 1; end $body$;"]),
    ("select E'it\\'s;'; select \"a;b\" from t;", ["select E'it\\'s;';", "select \"a;b\" from t;"]),
    ("/* a /* nested; */ comment; */ select 1;", ["/* a /* nested; */ comment; */ select 1;"]),
    ("select $1::text;", ["select $1::text;"]),
    ("-- only a comment;\n", []),
])
def test_split_sql(script, expected):
    assert split_sql(script) == expected
