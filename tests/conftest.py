"""Shared fixtures: one real PostgreSQL, a template database built once, a clone per test; the
test data every suite uses (``factory``, an ``owner`` and their ``release``); the real payloads.

The server is the embedded cluster (started on demand), or the one ``MV_TEST_ADMIN_URL`` points
at (a superuser URL, e.g. ``supabase start``'s). A template database with the baseline,
every migration and the seed is built once per session, named by a hash of their contents so
an unchanged schema is reused across runs, and each test gets ``CREATE DATABASE … TEMPLATE``.
Nothing here mocks the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from devtools import testdb
from tests.helpers.external_fixtures import FIXTURES as SHARED_FIXTURES
from tests.helpers.factory import Factory, User

ROOT = Path(__file__).resolve().parents[1]

# Fixtures of a domain live beside its helpers (e.g. ``owned``: a release, a video and a storage
# for broadcast imports) and are offered to every test from here.
pytest_plugins = ["tests.helpers.broadcast", "tests.helpers.webhooks"]


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


@pytest.fixture
def factory(conn: psycopg.Connection) -> Factory:
    """Makes users, releases and videos in the test's database."""
    return Factory(conn)


@pytest.fixture
def owner(factory: Factory) -> User:
    """A user who owns :func:`release`."""
    return factory.user()


@pytest.fixture
def release(factory: Factory, owner: User):
    """A release of :func:`owner` (genre pop)."""
    return factory.release(owner)


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """The real payloads: tests/fixtures/external, or the folder MV_EXTERNAL_FIXTURES names."""
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(f"real payload fixtures not found at {SHARED_FIXTURES} (check MV_EXTERNAL_FIXTURES)")
    return SHARED_FIXTURES

