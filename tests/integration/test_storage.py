"""Storage backends: the local folder, and Supabase Storage against a loopback fake of its REST API."""

from __future__ import annotations

import pytest

from tests.helpers.storage_fake import SERVICE_KEY, FakeSupabaseStorage
from workers.config import load_settings
from workers.errors import TransientSourceError
from workers.storage import (
    LocalStorage,
    StorageAuthError,
    StorageError,
    StorageNotFound,
    StorageUnavailable,
    SupabaseStorage,
    make_storage,
)


@pytest.fixture
def fake_storage(httpserver):
    return FakeSupabaseStorage(httpserver)


@pytest.fixture(params=["local", "supabase"])
def storage(request, tmp_path, httpserver):
    if request.param == "local":
        yield LocalStorage(tmp_path / "objects")
    else:
        fake = FakeSupabaseStorage(httpserver)
        s = SupabaseStorage(fake.url, SERVICE_KEY)
        yield s
        s.close()


def test_put_get_overwrite_stream_and_list(storage):
    b = "music-video-raw-payloads"
    storage.put(b, "youtube/2026/11/24/a.json", b'{"a": 1}', "application/json")
    storage.put(b, "youtube/2026/11/24/b.json", b"x" * 3_000_000, "application/json")
    storage.put(b, "youtube/2026/11/25/c.json", b"c", "application/json")
    storage.put(b, "charts/d.json", b"d", "application/json")
    assert storage.get(b, "youtube/2026/11/24/a.json") == b'{"a": 1}'
    storage.put(b, "youtube/2026/11/24/a.json", b'{"a": 2}', "application/json")  # overwrite
    assert storage.get(b, "youtube/2026/11/24/a.json") == b'{"a": 2}'
    chunks = list(storage.open_stream(b, "youtube/2026/11/24/b.json"))
    assert b"".join(chunks) == b"x" * 3_000_000
    assert storage.list(b, "youtube/2026/11/24/") == ["youtube/2026/11/24/a.json", "youtube/2026/11/24/b.json"]
    assert storage.list(b, "youtube/") == ["youtube/2026/11/24/a.json", "youtube/2026/11/24/b.json",
                                          "youtube/2026/11/25/c.json"]
    assert len(storage.list(b)) == 4
    assert storage.list(b, "nothing/") == []


def test_delete_removes_once_and_refuses_bad_paths(storage):
    b = "music-video-moodboards"
    storage.put(b, "r/v/a.png", b"\x89PNG", "image/png")
    storage.put(b, "r/v/b.png", b"\x89PNG", "image/png")
    assert storage.delete(b, "r/v/a.png") is True
    with pytest.raises(StorageNotFound):
        storage.get(b, "r/v/a.png")
    assert storage.delete(b, "r/v/a.png") is False  # already gone: not an error
    assert storage.get(b, "r/v/b.png") == b"\x89PNG"  # the neighbour stays
    with pytest.raises(StorageError):
        storage.delete(b, "r/../v/b.png")


def test_delete_during_an_outage_is_transient(fake_storage):
    s = SupabaseStorage(fake_storage.url, SERVICE_KEY)
    fake_storage.outage = True
    with pytest.raises(StorageUnavailable):
        s.delete("music-video-moodboards", "r/v/a.png")
    s.close()


def test_missing_objects_and_bad_paths(storage):
    b = "music-video-raw-payloads"
    with pytest.raises(StorageNotFound):
        storage.get(b, "youtube/none.json")
    with pytest.raises(StorageNotFound):
        storage.open_stream(b, "youtube/none.json")
    for bad in ("../etc/passwd", "/abs.json", "a/../../b", "a//b", ""):
        with pytest.raises(StorageError):
            storage.put(b, bad, b"x", "text/plain")


def test_supabase_storage_sends_the_service_key_and_reports_refusals(fake_storage):
    good = SupabaseStorage(fake_storage.url, SERVICE_KEY)
    good.put("music-video-raw-payloads", "a/b.json", b"{}", "application/json")
    assert fake_storage.objects[("music-video-raw-payloads", "a/b.json")] == (b"{}", "application/json")
    bad = SupabaseStorage(fake_storage.url, "wrong-key")
    # reads use the authenticated route, so a refused key is named as such, never "not found"
    for read in (lambda: bad.get("music-video-raw-payloads", "a/b.json"),
                 lambda: bad.open_stream("music-video-raw-payloads", "a/b.json")):
        with pytest.raises(StorageAuthError, match="MV_SUPABASE_SERVICE_KEY") as err:
            read()
        assert "wrong-key" not in str(err.value)
    assert "wrong-key" not in repr(bad)
    assert all(path.startswith("/storage/v1/object/authenticated/") for method, path in fake_storage.requests
               if method == "GET")
    good.close()
    bad.close()


def test_an_outage_is_transient_and_typed(fake_storage, tmp_path):
    s = SupabaseStorage(fake_storage.url, SERVICE_KEY)
    s.put("music-video-raw-payloads", "a/b.json", b"{}", "application/json")
    fake_storage.outage = True
    for call in (lambda: s.get("music-video-raw-payloads", "a/b.json"),
                 lambda: s.put("music-video-raw-payloads", "a/c.json", b"{}", "application/json")):
        with pytest.raises(StorageUnavailable) as err:
            call()
        assert isinstance(err.value, TransientSourceError)
    s.close()
    gone = SupabaseStorage("http://127.0.0.1:9", SERVICE_KEY, timeout=2)  # nothing listens on the discard port
    with pytest.raises(StorageUnavailable):
        gone.get("music-video-raw-payloads", "a/b.json")
    gone.close()
    local = LocalStorage(tmp_path / "ro")
    (tmp_path / "ro").write_text("a file where the folder should be")
    with pytest.raises(StorageUnavailable):
        local.put("music-video-raw-payloads", "a/b.json", b"{}", "application/json")


def test_names_that_decode_to_dot_segments_are_refused_and_names_are_sent_literally(fake_storage):
    s = SupabaseStorage(fake_storage.url, SERVICE_KEY)
    for bad in ("mine/%2e%2e/theirs/x.png", "mine/%2E%2e/x.png", "mine/%2e/x.png", "mine/a%2fb/x.png"):
        with pytest.raises(StorageError):
            s.get("music-video-moodboards", bad)
    fake_storage.objects[("b", "a/100%/x.json")] = (b"1", "application/json")
    assert s.get("b", "a/100%/x.json") == b"1"  # "%" is quoted, so the server sees the literal name
    s.close()


def test_make_storage_follows_settings(tmp_path, fake_storage):
    local = make_storage(load_settings(storage_backend="local", storage_local_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    remote = make_storage(load_settings(storage_backend="supabase", supabase_url=fake_storage.url,
                                        supabase_service_key=SERVICE_KEY))
    assert isinstance(remote, SupabaseStorage)
    from workers.errors import ConfigError

    with pytest.raises(ConfigError):
        make_storage(load_settings(storage_backend="supabase", supabase_url=None, supabase_service_key=None))
