"""Broadcast CSV imports in a test: upload as the owner, request the import, run the worker."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.helpers.reads import read
from tests.helpers.worker import run_worker, settings_for
from workers.db import call_rpc, postgrest_request
from workers.sources.broadcast import ColumnMapping, run_import
from workers.sources.broadcast.job import BROADCAST_BUCKET
from workers.storage import LocalStorage

SYNTHETIC = Path(__file__).resolve().parents[1] / "fixtures" / "synthetic"
LONG = {"air_date": "air_date", "program": "program", "viewers": "viewers"}
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def upload(conn, storage, user, release_id, name, data: bytes, mime="text/csv") -> str:
    path = f"{release_id}/{name}"
    storage.put(BROADCAST_BUCKET, path, data, mime)
    with postgrest_request(conn, user.claims()) as c:
        c.execute("insert into storage.objects (bucket_id, name, owner, metadata) values (%s, %s, %s, %s)",
                  (BROADCAST_BUCKET, path, user.id, json.dumps({"mimetype": mime, "size": len(data)})))
    return path


def request_import(conn, user, vid, path, mapping=None, platform="mtv"):
    with postgrest_request(conn, user.claims()) as c:
        return call_rpc(c, "import_broadcast_metrics", {
            "music_video_id": vid, "platform": platform, "object_path": path,
            "mapping": LONG if mapping is None else mapping}).body


def import_errors(conn, user, import_id, after=None, limit=100):
    """One page of an import's failed rows (typed rows, by line)."""
    return read(conn, user.claims(), "music_video_import_errors", import_id=str(import_id), page_size=limit,
                **({"after_line": after} if after is not None else {}))


def import_errors_total(conn, user, import_id):
    rows = import_errors(conn, user, import_id, limit=1)
    return rows[0]["total"] if rows else 0


def run(db_url, tmp_path, storage, **settings):
    return run_worker(db_url, settings_for(tmp_path, **settings), storage, sources=("broadcast",),
                      clock=lambda: NOW)


def job(conn, import_id):
    return conn.execute("select * from public.music_video_metric_imports where id = %s", (import_id,)).fetchone()


def metric_rows(conn, vid, *, live=True):
    q = ("select platform::text, collected_at, views_total, source, detail, import_batch_id, deleted_at"
         " from public.music_video_metrics where music_video_id = %s"
         + (" and deleted_at is null" if live else "") + " order by platform, collected_at")
    return conn.execute(q, (vid,)).fetchall()


def expected_totals(data: bytes, mapping: ColumnMapping) -> dict[date, int]:
    """What the engine alone says (the worker must store exactly this)."""
    with run_import([data], mapping, today=NOW.date()) as imp:
        return {d: t.viewers for d, t in imp.days.items()}


@pytest.fixture
def owned(conn, factory, tmp_path):
    """An owner, a stranger, an admin, the owner's release and video, and a LocalStorage."""
    owner, stranger = factory.user(), factory.user()
    admin = factory.user(admin=True)
    rel = factory.release(owner)
    vid = factory.video(rel, "On Air")
    return owner, stranger, admin, rel, vid, LocalStorage(tmp_path / "storage")
