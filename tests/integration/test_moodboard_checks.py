"""Moodboard uploads checked by content, end to end: the owner's insert (as PostgREST runs it)
enqueues a moodboard_check job, the real worker reads the object through Storage (the local
backend and the loopback fake of Supabase Storage), deletes what is not a PNG/JPEG of at most
10 MB, and the owner reads the verdict on the row."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers.queue_support import drain, make_settings
from tests.helpers.storage_fake import SERVICE_KEY, FakeSupabaseStorage
from workers.db import postgrest_request
from workers.sources.moodboard.job import BUCKET, MAX_BYTES, inspect_image
from workers.storage import LocalStorage, StorageNotFound, SupabaseStorage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture(params=["local", "supabase"])
def storage(request, tmp_path, httpserver):
    if request.param == "local":
        yield LocalStorage(tmp_path / "storage")
    else:
        s = SupabaseStorage(FakeSupabaseStorage(httpserver).url, SERVICE_KEY)
        yield s
        s.close()


def _add(conn, owner, video, path, caption=None):
    with postgrest_request(conn, owner.claims()) as c:
        return c.execute("insert into public.music_video_moodboards (music_video_id, storage_path, caption)"
                         " values (%s, %s, %s) returning id", (video, path, caption)).fetchone()["id"]


def _row(conn, owner, moodboard_id):
    with postgrest_request(conn, owner.claims()) as c:  # the owner reads the verdict under RLS
        return c.execute("select check_status, check_error, checked_at from public.music_video_moodboards"
                         " where id = %s", (moodboard_id,)).fetchone()


def _run(db_url, tmp_path, storage):
    drain(make_settings(tmp_path, db_url, worker_sources=["moodboard_check"]), db_url, storage=storage)


def test_files_that_are_not_small_images_are_deleted_and_the_owner_reads_why(conn, factory, tmp_path, db_url,
                                                                              storage):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel)
    files = {
        "good.png": PNG, "good.jpg": JPEG,
        "page.png": HTML,                                  # a .png whose bytes are an HTML page
        "huge.jpg": JPEG + b"\x00" * MAX_BYTES,             # a real JPEG header, then 10 MB of padding
        "empty.png": b"",
    }
    ids = {}
    for name, data in files.items():
        path = f"{rel}/{vid}/{name}"
        storage.put(BUCKET, path, data, "image/png")
        ids[name] = _add(conn, owner, vid, path)
    jobs = conn.execute("select status, music_video_id, metadata from public.music_video_metric_imports"
                        " where source = 'moodboard_check'").fetchall()
    assert len(jobs) == 5 and {j["status"] for j in jobs} == {"pending"}
    assert all(j["music_video_id"] is None for j in jobs)  # never a video's "last sync"
    assert {r["check_status"] for r in (_row(conn, owner, i) for i in ids.values())} == {"pending"}

    _run(db_url, tmp_path, storage)

    verdicts = {name: _row(conn, owner, i) for name, i in ids.items()}
    assert verdicts["good.png"]["check_status"] == "passed" and verdicts["good.jpg"]["check_status"] == "passed"
    assert verdicts["good.png"]["check_error"] is None and verdicts["good.png"]["checked_at"] is not None
    assert verdicts["page.png"]["check_status"] == "rejected"
    assert "not a PNG or JPEG" in verdicts["page.png"]["check_error"]
    assert "3C 21 44 4F 43 54 59 50" in verdicts["page.png"]["check_error"]
    assert verdicts["huge.jpg"]["check_status"] == "rejected" and "10 MB" in verdicts["huge.jpg"]["check_error"]
    assert verdicts["empty.png"]["check_error"] == "the file is empty"
    for name in ("page.png", "huge.jpg", "empty.png"):
        with pytest.raises(StorageNotFound):
            storage.get(BUCKET, f"{rel}/{vid}/{name}")
    assert storage.get(BUCKET, f"{rel}/{vid}/good.png") == PNG
    assert {j["status"] for j in conn.execute(
        "select status from public.music_video_metric_imports where source = 'moodboard_check'")} == {"succeeded"}


def test_the_owner_cannot_set_the_verdict_and_a_new_path_is_checked_again(conn, factory, tmp_path, db_url):
    storage = LocalStorage(tmp_path / "storage")
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel)
    storage.put(BUCKET, f"{rel}/{vid}/a.png", PNG, "image/png")
    storage.put(BUCKET, f"{rel}/{vid}/b.png", HTML, "image/png")
    with postgrest_request(conn, owner.claims()) as c:
        mid = c.execute("insert into public.music_video_moodboards (music_video_id, storage_path, check_status)"
                        " values (%s, %s, 'passed') returning id", (vid, f"{rel}/{vid}/a.png")).fetchone()["id"]
    assert _row(conn, owner, mid)["check_status"] == "pending"  # forced: the worker decides
    _run(db_url, tmp_path, storage)
    assert _row(conn, owner, mid)["check_status"] == "passed"
    with postgrest_request(conn, owner.claims()) as c:
        # a new path (an HTML page) resets the verdict and queues a check; the verdict stays server-set
        c.execute("update public.music_video_moodboards set storage_path = %s, check_status = 'passed'"
                  " where id = %s", (f"{rel}/{vid}/b.png", mid))
        c.execute("update public.music_video_moodboards set check_status = 'passed' where id = %s", (mid,))
    assert _row(conn, owner, mid)["check_status"] == "pending"
    _run(db_url, tmp_path, storage)
    row = _row(conn, owner, mid)
    assert row["check_status"] == "rejected" and "not a PNG or JPEG" in row["check_error"]
    with postgrest_request(conn, owner.claims()) as c:
        c.execute("update public.music_video_moodboards set check_status = 'passed', check_error = null"
                  " where id = %s", (mid,))
    assert _row(conn, owner, mid)["check_status"] == "rejected"


def test_a_row_without_an_uploaded_file_is_rejected_after_its_last_attempt(conn, factory, tmp_path, db_url):
    storage = LocalStorage(tmp_path / "storage")
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel)
    mid = _add(conn, owner, vid, f"{rel}/{vid}/never.png")
    conn.execute("update public.music_video_metric_imports set max_attempts = 1 where source = 'moodboard_check'")
    _run(db_url, tmp_path, storage)
    row = _row(conn, owner, mid)
    assert (row["check_status"], row["check_error"]) == ("rejected", "no file was uploaded for this moodboard image")


def test_the_queue_refuses_a_check_job_without_a_moodboard(conn):
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("insert into public.music_video_metric_imports (source, metadata)"
                     " values ('moodboard_check', '{}')")


def test_reading_stops_one_byte_past_the_limit():
    pulled = []

    def chunks():
        for _ in range(500):  # a 500 MB upload, 1 MB at a time
            pulled.append(1)
            yield b"\xff\xd8\xff" + b"\x00" * (1024 * 1024 - 3)

    reason, size = inspect_image(chunks())
    assert reason is not None and "10 MB" in reason
    assert len(pulled) == 11 and size == 11 * 1024 * 1024


def test_a_file_replaced_after_it_passed_is_checked_again(conn, factory, tmp_path, db_url):
    """Storage's upsert (or a delete and a new upload at the same name) writes storage.objects as the
    owner; the row is unchanged, but the new bytes are checked and a bad replacement is removed."""
    storage = LocalStorage(tmp_path / "storage")
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel)
    path = f"{rel}/{vid}/board.png"

    def upload(data: bytes) -> None:  # what the Storage API does for the owner's upsert
        storage.put(BUCKET, path, data, "image/png")
        with postgrest_request(conn, owner.claims()) as c:
            c.execute("insert into storage.objects (bucket_id, name, owner, metadata) values (%s, %s, %s,"
                      " jsonb_build_object('size', %s::int, 'mimetype', 'image/png'))"
                      " on conflict (bucket_id, name) do update set metadata = excluded.metadata,"
                      " updated_at = now()", (BUCKET, path, owner.id, len(data)))

    upload(PNG)
    moodboard = _add(conn, owner, vid, path)
    _run(db_url, tmp_path, storage)
    assert _row(conn, owner, moodboard)["check_status"] == "passed"

    upload(HTML)  # the same name, new bytes
    assert _row(conn, owner, moodboard)["check_status"] == "pending"
    assert conn.execute("select count(*) as n from public.music_video_metric_imports where source = 'moodboard_check'"
                        " and status = 'pending'").fetchone()["n"] == 1
    _run(db_url, tmp_path, storage)
    after = _row(conn, owner, moodboard)
    assert after["check_status"] == "rejected" and "not a PNG or JPEG" in after["check_error"]
    with pytest.raises(StorageNotFound):
        storage.get(BUCKET, path)
