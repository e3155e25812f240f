"""A throwaway, freshly migrated database for the database linter.

    python -m workers.lintdb create        prints its URL
    python -m workers.lintdb drop URL

It lives on the server ``MV_TEST_ADMIN_URL`` names, or on the embedded cluster.
"""

from __future__ import annotations

import os
import sys
import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workers.localdb import LocalCluster
from workers.migrate import migrate


def _admin_url() -> str:
    url = os.environ.get("MV_TEST_ADMIN_URL")
    if url:
        return url
    cluster = LocalCluster.default()
    cluster.start()
    return cluster.url()


def create() -> str:
    admin = _admin_url()
    name = f"mv_lint_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(admin, dbname=name)
    migrate(url, seed=True)
    info = conninfo_to_dict(url)
    auth = info.get("user", "postgres") + (f":{info['password']}" if info.get("password") else "")
    return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}"


def drop(url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    if not name.startswith("mv_lint_"):
        raise SystemExit(f"refusing to drop {name!r}: not a lint database")
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["create"]:
        print(create())
    elif sys.argv[1:2] == ["drop"] and len(sys.argv) == 3:
        drop(sys.argv[2])
    else:
        raise SystemExit(__doc__)
