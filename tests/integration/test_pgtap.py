"""Runs every pgTAP file in supabase/tests/database with pg_prove, one pytest test per file.

The files run against one clone of the template (migrated and seeded) with pgTAP installed in
the `extensions` schema; each file wraps itself in begin/rollback, so they cannot disturb one
another. pgTAP comes from the Debian packages the set-up script installs; where they could not
be installed (no root), these tests are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from devtools.testdb import clone_database, drop_database, with_dbname

ROOT = Path(__file__).resolve().parents[2]
PGTAP_DIR = ROOT / "supabase" / "tests" / "database"
FILES = sorted(PGTAP_DIR.glob("*.test.sql"))


@pytest.fixture(scope="session")
def pgtap_db(admin_url, template_db):
    if not shutil.which("pg_prove"):
        pytest.skip("pg_prove not installed (Debian package libtap-parser-sourcehandler-pgtap-perl)")
    name = clone_database(admin_url, template_db, prefix="mv_pgtap")
    url = with_dbname(admin_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            available = conn.execute(
                "select 1 from pg_available_extensions where name = 'pgtap'").fetchone()
            if not available:
                pytest.skip("pgTAP extension not installed (Debian package postgresql-15-pgtap)")
            conn.execute("create extension if not exists pgtap with schema extensions")
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pgtap_file(pgtap_db, path):
    info = conninfo_to_dict(pgtap_db)
    env = {**os.environ, "PGOPTIONS": "-c search_path=public,extensions",
           "PGHOST": info.get("host", "127.0.0.1"), "PGPORT": str(info.get("port", 5432)),
           "PGUSER": info.get("user", "postgres"), "PGDATABASE": info["dbname"]}
    if info.get("password"):
        env["PGPASSWORD"] = info["password"]
    proc = subprocess.run(["pg_prove", "--verbose", "--failures", str(path.name)], cwd=PGTAP_DIR,
                          env=env, capture_output=True, text=True, timeout=300)
    failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("not ok")]
    assert proc.returncode == 0, (
        f"pg_prove {path.name} failed:\n" + "\n".join(failed[:50]) + "\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    # the plan ran in full: an empty file or a file that stopped early is a failure
    assert "All tests successful" in proc.stdout, proc.stdout[-2000:]
