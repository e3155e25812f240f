"""Scratch databases for tests, benchmarks and the database linter.

A template database holding the baseline, every migration and the seed is built once and named
by a hash of that SQL (``mv_template_<hash>``), so an unchanged schema is reused across runs and
a changed one replaces it. Scratch databases are ``CREATE DATABASE … TEMPLATE`` clones of it:
cheap, and each starts from exactly the migrated state.

The server is the one ``MV_TEST_ADMIN_URL`` names (a superuser URL), else the embedded cluster.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import tuple_row

from devtools.localdb import LocalCluster
from devtools.migrate import migrate
from devtools.paths import PROJECT_ROOT

_LOCK_KEY = 4242  # serialises template builds across concurrent test sessions and benchmarks
# Templates are named per checkout, so checkouts sharing one server (branches, worktrees) never
# drop each other's: a checkout replaces only its own older templates.
_CHECKOUT = hashlib.sha1(str(PROJECT_ROOT).encode()).hexdigest()[:6]


def admin_url() -> str:
    """A superuser URL: ``MV_TEST_ADMIN_URL``, or the embedded cluster (started on demand)."""
    url = os.environ.get("MV_TEST_ADMIN_URL")
    if url:
        return url
    cluster = LocalCluster.default()
    cluster.start()
    return cluster.url()


def with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


def postgres_url(conninfo: str) -> str:
    """The ``postgresql://user[:password]@host:port/dbname`` form of a conninfo, for tools that read
    no ``key=value`` strings (the database linter, postgres-meta, the Supabase CLI)."""
    info = conninfo_to_dict(conninfo)
    auth = info.get("user", "postgres") + (f":{info['password']}" if info.get("password") else "")
    return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"


def schema_hash(root: Path = PROJECT_ROOT) -> str:
    h = hashlib.sha256()
    for path in sorted([*root.glob("sql/*.sql"), *root.glob("supabase/migrations/*.sql"),
                        root / "supabase" / "seed.sql"]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def ensure_template(admin: str) -> str:
    """Name of the template database for the current SQL, building it when missing."""
    prefix = f"mv_template_{_CHECKOUT}_"
    name = prefix + schema_hash()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                return name
            stale = conn.execute(
                "select datname from pg_database where starts_with(datname, %s) and datname <> %s"
                " and datname not like '%%\\_building'", (prefix, name)).fetchall()
            for (old,) in stale:
                try:
                    conn.execute(sql.SQL("alter database {} is_template false").format(sql.Identifier(old)))
                    conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(old)))
                except psycopg.errors.ObjectInUse:  # being cloned right now: leave it for next time
                    conn.execute(sql.SQL("alter database {} is_template true").format(sql.Identifier(old)))
            building = name + "_building"
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(building)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(building)))
            migrate(with_dbname(admin, building), seed=True)
            conn.execute(sql.SQL("alter database {} rename to {}").format(
                sql.Identifier(building), sql.Identifier(name)))
            conn.execute(sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
            return name
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))


def clone_database(admin: str, template: str, prefix: str = "mv_test") -> str:
    """A fresh database copied from ``template``; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)))
    return name


def create_empty_database(admin: str, prefix: str = "mv_empty") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return name


def bulk_load(conn: psycopg.Connection, table: str, statement: str) -> None:
    """Run ``statement`` (a bulk insert into ``table``) with the table's indexes, its primary and
    unique keys and the foreign keys that point at them dropped, then build them again under
    their own names and definitions: one sort per index instead of millions of random B-tree
    inserts. For a scratch database only (a benchmark's seed): the table is unindexed meanwhile."""
    cur = conn.cursor(row_factory=tuple_row)
    keys = cur.execute(
        "select conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype from pg_constraint"
        " where (conrelid = %s::regclass and contype in ('p', 'u')) or (confrelid = %s::regclass and contype = 'f')"
        " order by contype = 'f' desc", (table, table)).fetchall()
    indexes = cur.execute(
        "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index as i"
        " where indrelid = %s::regclass"
        " and not exists (select from pg_constraint as c where c.conindid = i.indexrelid)", (table,)).fetchall()
    for rel, name, _, _ in keys:
        conn.execute(f'alter table {rel} drop constraint "{name}"')
    for name, _ in indexes:
        conn.execute(f"drop index {name}")
    conn.execute(statement)
    conn.execute("set maintenance_work_mem = '1GB'")
    for rel, name, definition, _ in sorted(keys, key=lambda k: k[3] == "f"):
        conn.execute(f'alter table {rel} add constraint "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute("reset maintenance_work_mem")
