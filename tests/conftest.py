"""Shared fixtures: one real PostgreSQL, a template database built once, a clone per test.

The server is the embedded cluster (started on demand), or the one ``MV_TEST_ADMIN_URL`` points
at (a superuser URL, e.g. ``supabase start``'s). A template database with the baseline,
every migration and the seed is built once per session, named by a hash of their contents so
an unchanged schema is reused across runs, and each test gets ``CREATE DATABASE … TEMPLATE``.
Nothing here mocks the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from devtools import testdb
from workers.db import jwt_claims

ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = Path(os.environ.get("MV_EXTERNAL_FIXTURES",
                                      ROOT.parent / "shared" / "fixtures" / "external")).resolve()


@pytest.fixture(scope="session")
def admin_url() -> str:
    """A superuser URL of the server the tests run on."""
    return testdb.admin_url()


@pytest.fixture(scope="session")
def template_db(admin_url: str) -> str:
    """Name of a template database holding baseline + migrations + seed (built once)."""
    return testdb.ensure_template(admin_url)


@pytest.fixture
def db_url(admin_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated and seeded database for this test (superuser URL)."""
    name = testdb.clone_database(admin_url, template_db)
    try:
        yield testdb.with_dbname(admin_url, name)
    finally:
        testdb.drop_database(admin_url, name)


@pytest.fixture
def empty_db_url(admin_url: str) -> Iterator[str]:
    """A plain, empty database on the same server (no baseline, no migrations)."""
    name = testdb.create_empty_database(admin_url)
    try:
        yield testdb.with_dbname(admin_url, name)
    finally:
        testdb.drop_database(admin_url, name)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """A superuser connection (autocommit, dict rows) to the test's database."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        yield c


@dataclass
class User:
    id: uuid.UUID
    email: str
    admin: bool = False

    def claims(self) -> dict:
        return jwt_claims(sub=self.id, email=self.email,
                          app_metadata={"provider": "email", **({"role": "admin"} if self.admin else {})})


class Factory:
    """Creates users, releases and videos directly as the superuser (test set-up only)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def user(self, email: str | None = None, *, admin: bool = False) -> User:
        uid = uuid.uuid4()
        email = email or f"{uid.hex[:8]}@example.test"
        app_meta = {"provider": "email", **({"role": "admin"} if admin else {})}
        self.conn.execute(
            "insert into auth.users (id, email, aud, role, raw_app_meta_data)"
            " values (%s, %s, 'authenticated', 'authenticated', %s)",
            (uid, email, psycopg.types.json.Jsonb(app_meta)))
        self.conn.execute("insert into public.profiles (id, full_name) values (%s, %s)", (uid, email))
        return User(uid, email, admin)

    def release(self, owner: User, title: str = "Test Release", genre: str | None = "pop") -> uuid.UUID:
        rid = self.conn.execute("insert into public.releases (user_id, title) values (%s, %s) returning id",
                                (owner.id, title)).fetchone()["id"]
        if genre:
            self.conn.execute("insert into public.release_profiles (release_id, genre) values (%s, %s)",
                              (rid, genre))
        return rid

    def video(self, release_id: uuid.UUID, title: str = "Test Video", **cols) -> uuid.UUID:
        cols = {"release_id": release_id, "title": title, **cols}
        q = sql.SQL("insert into public.music_videos ({}) values ({}) returning id").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join([sql.Placeholder()] * len(cols)))
        return self.conn.execute(q, list(cols.values())).fetchone()["id"]


@pytest.fixture
def factory(conn: psycopg.Connection) -> Factory:
    return Factory(conn)


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(f"real payload fixtures not found at {SHARED_FIXTURES} (set MV_EXTERNAL_FIXTURES)")
    return SHARED_FIXTURES

