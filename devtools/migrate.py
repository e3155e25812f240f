"""The migration runner: baseline, migrations and seed, against any database URL.

1. When the ``auth`` schema is missing (a plain PostgreSQL), it applies ``sql/*.sql``: the
   Supabase baseline and the host app's stand-in tables. A real Supabase database (for example
   the one ``supabase start`` runs) already has them, so they are skipped there.
2. It applies ``supabase/migrations/*.sql`` in filename order, each file in one transaction,
   recording ``(version, statements, name)`` in ``supabase_migrations.schema_migrations`` the way
   the Supabase CLI does, so ``supabase migration list`` agrees. Applied versions are skipped.
3. It applies ``supabase/seed.sql`` (idempotent) when asked.

A failing file rolls back whole and raises :class:`MigrationError` naming the file and the
statement. Concurrent runners serialise on an advisory lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from devtools.errors import MigrationError
from devtools.paths import PROJECT_ROOT
from devtools.sqlsplit import split_sql

log = logging.getLogger(__name__)


_LOCK_KEY = 7_263_544_001  # pg_advisory_lock key shared by every runner


@dataclass
class MigrateReport:
    baseline_applied: bool = False
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seeded: bool = False


def migration_files(migrations_dir: Path) -> list[Path]:
    files = sorted(p for p in migrations_dir.glob("*.sql") if p.is_file())
    for p in files:
        version = p.name.split("_", 1)[0]
        if not (version.isdigit() and len(version) == 14):
            raise MigrationError(file=p.name, statement_no=0, statement="",
                                 cause="file name must start with a UTC YYYYMMDDHHMMSS version")
    return files


def apply_file(conn: psycopg.Connection, path: Path, *, record: bool) -> list[str]:
    """Run one SQL file's statements in a transaction (a savepoint inside the caller's), recording it
    as a migration when ``record``; a failure rolls the file back and raises :class:`MigrationError`."""
    statements = split_sql(path.read_text())
    try:
        with conn.transaction():
            for no, stmt in enumerate(statements, start=1):
                try:
                    conn.execute(stmt)
                except psycopg.Error as exc:
                    cause = (exc.diag.message_primary or str(exc)).strip()
                    raise MigrationError(file=path.name, statement_no=no, statement=stmt,
                                         cause=f"{exc.sqlstate or ''} {cause}".strip()) from exc
            if record:
                version, _, name = path.stem.partition("_")
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, statements, name)"
                    " values (%s, %s, %s)", (version, statements, name))
    except MigrationError:
        raise
    return statements


def migrate(conninfo: str, *, root: Path = PROJECT_ROOT, seed: bool = True,
            baseline: bool | None = None) -> MigrateReport:
    """Bring the database at ``conninfo`` up to date. ``baseline=None`` decides by the auth schema."""
    report = MigrateReport()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            has_auth = conn.execute("select to_regnamespace('auth') is not null").fetchone()[0]
            if baseline is None:
                baseline = not has_auth
            if baseline:
                for path in sorted((root / "sql").glob("*.sql")):
                    apply_file(conn, path, record=False)
                    log.info("applied baseline %s", path.name)
                report.baseline_applied = True

            conn.execute("create schema if not exists supabase_migrations")
            conn.execute(
                "create table if not exists supabase_migrations.schema_migrations"
                " (version text not null primary key, statements text[], name text)")
            done = {r[0] for r in conn.execute("select version from supabase_migrations.schema_migrations")}
            for path in migration_files(root / "supabase" / "migrations"):
                version = path.name.split("_", 1)[0]
                if version in done:
                    report.skipped.append(path.name)
                    continue
                apply_file(conn, path, record=True)
                report.applied.append(path.name)
                log.info("applied migration %s", path.name)

            seed_file = root / "supabase" / "seed.sql"
            if seed and seed_file.exists():
                apply_file(conn, seed_file, record=False)
                report.seeded = True
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return report
