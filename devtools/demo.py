"""The demo data set (``supabase/demo/*.sql``): a signed-in user's releases, a video in every board
lane, a year of metrics, chart runs, a TV import with failed rows, an override and alerts.

``./scripts/run`` loads it after the migrations and the catalog seed (:func:`load_demo`); so does
``python -m devtools db demo``. It is for local databases only: the embedded cluster or the one
``supabase start`` runs. Any other host is refused, so the demo never reaches a real project; it
is never part of ``supabase/seed.sql`` or the migrations.

The files run in name order in ONE transaction, through the migration runner's
:func:`~devtools.migrate.apply_file` (each file a savepoint; a failure names the file and the
statement and rolls everything back). The first file removes the previous demo, so a load
replaces it whole. A load is recorded like the Supabase CLI records a seed file
(``supabase_migrations.seed_files``: path and content hash); an unchanged demo whose user is
still there is skipped, so running twice leaves the same rows, and a changed demo reloads.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from devtools.errors import DevToolsError
from devtools.migrate import apply_file
from devtools.paths import PROJECT_ROOT

DEMO_DIR = Path("supabase") / "demo"
# The seed_files row that records the load (the path is the folder, relative to the checkout).
RECORD_PATH = DEMO_DIR.as_posix()
DEMO_USER_ID = "d3e0d3e0-0000-4000-8000-000000000001"
OTHER_USER_ID = "d3e0d3e0-0000-4000-8000-000000000002"
DEMO_EMAIL = "demo@example.com"
OTHER_EMAIL = "other@example.com"
DEMO_PASSWORD = "music-videos-demo"
DEMO_RELEASE_IDS = ("d3e0d3e0-0000-4000-8000-0000000000a1", "d3e0d3e0-0000-4000-8000-0000000000a2")

_LOCK_KEY = 7_263_544_002  # serialises demo loads (the migration runner holds ...001)


@dataclass(frozen=True)
class DemoReport:
    loaded: bool  # False: the same demo was already there
    content_hash: str


def demo_files(root: Path = PROJECT_ROOT) -> list[Path]:
    files = sorted(p for p in (root / DEMO_DIR).glob("*.sql") if p.is_file())
    if not files:
        raise DevToolsError(f"no demo SQL files in {root / DEMO_DIR}")
    return files


def demo_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def is_local(conninfo: str) -> bool:
    """True when the database is on this machine: a loopback address, ``localhost`` or a Unix socket."""
    host = conninfo_to_dict(conninfo).get("host") or ""
    for h in host.split(","):
        if not h or h.startswith("/") or h == "localhost":  # no host: libpq's Unix socket
            continue
        try:
            if ipaddress.ip_address(h).is_loopback:
                continue
        except ValueError:
            pass
        return False
    return True


def require_local(conninfo: str) -> None:
    if not is_local(conninfo):
        host = conninfo_to_dict(conninfo).get("host")
        raise DevToolsError(
            f"refusing to load the demo data into the database on {host!r}: the demo is for "
            "local databases only (the embedded one, or `supabase start`'s on 127.0.0.1)"
        )


def load_demo(conninfo: str, *, root: Path = PROJECT_ROOT, force: bool = False) -> DemoReport:
    """Load the demo into the (local) database at ``conninfo`` unless the same demo is already there."""
    require_local(conninfo)
    files = demo_files(root)
    content_hash = demo_hash(files)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute("create schema if not exists supabase_migrations")
            # The Supabase CLI's own table for applied seed files (same columns), so its tools agree.
            conn.execute(
                "create table if not exists supabase_migrations.seed_files"
                " (path text not null primary key, hash text not null)"
            )
            if (
                not force
                and conn.execute(
                    "select 1 from supabase_migrations.seed_files as s where s.path = %s and s.hash = %s"
                    " and exists (select 1 from auth.users as u where u.id = %s)",
                    (RECORD_PATH, content_hash, DEMO_USER_ID),
                ).fetchone()
            ):
                return DemoReport(loaded=False, content_hash=content_hash)
            with conn.transaction():
                for path in files:
                    apply_file(conn, path, record=False)
                conn.execute(
                    "insert into supabase_migrations.seed_files (path, hash) values (%s, %s)"
                    " on conflict (path) do update set hash = excluded.hash",
                    (RECORD_PATH, content_hash),
                )
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return DemoReport(loaded=True, content_hash=content_hash)
