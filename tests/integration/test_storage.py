"""Storage backends: the local folder, and Supabase Storage against a loopback fake of its REST API."""

from __future__ import annotations

import json
import re
import threading

import pytest
from werkzeug import Request, Response

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

SERVICE_KEY = "service-role-key-for-tests"


class FakeSupabaseStorage:
    """The subset of the Storage API the workers use: upload, download, list, remove (v1 object routes).

    Error shape as Storage answers it: HTTP 400 with ``{"statusCode": "404", "error": "not_found",
    "message": "Object not found"}`` for a missing object. Without a valid service key the
    authenticated routes answer 400 with statusCode 403 "invalid signature", while the plain
    download route treats the caller as anonymous and answers "Bucket not found", as the real
    server does. ``outage`` makes every request answer 503.
    """

    def __init__(self, httpserver):
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.outage = False
        httpserver.expect_request(re.compile(r"^/storage/v1/object/.*")).respond_with_handler(self.handle)
        self.url = httpserver.url_for("/").rstrip("/")

    @staticmethod
    def _error(status_code: str, error: str, message: str, http: int = 400) -> Response:
        return Response(json.dumps({"statusCode": status_code, "error": error, "message": message}),
                        status=http, content_type="application/json")

    def handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        if self.outage:
            return self._error("503", "Service Unavailable", "upstream connect error", 503)
        rest = request.path[len("/storage/v1/object/"):]
        authorized = (request.headers.get("Authorization") == f"Bearer {SERVICE_KEY}"
                      and request.headers.get("apikey") == SERVICE_KEY)
        if request.method == "GET" and not rest.startswith("authenticated/"):
            if not authorized:  # the plain route: an anonymous caller sees no private bucket
                return self._error("404", "Bucket not found", "Bucket not found")
        elif not authorized:
            return self._error("403", "Unauthorized", "invalid signature")
        rest = rest.removeprefix("authenticated/")
        if request.method == "POST" and rest.startswith("list/"):
            bucket = rest[len("list/"):]
            body = request.get_json()
            prefix = body["prefix"].strip("/")
            entries: dict[str, dict] = {}
            for (b, key), (data, ctype) in sorted(self.objects.items()):
                if b != bucket or (prefix and not key.startswith(prefix + "/")):
                    continue
                tail = key[len(prefix) + 1:] if prefix else key
                head, _, more = tail.partition("/")
                if more:
                    entries.setdefault(head, {"name": head, "id": None, "metadata": None})
                else:
                    entries[head] = {"name": head, "id": f"id-{key}",
                                     "metadata": {"size": len(data), "mimetype": ctype}}
            page = list(entries.values())[body.get("offset", 0):body.get("offset", 0) + body.get("limit", 100)]
            return Response(json.dumps(page), content_type="application/json")
        if request.method == "DELETE" and "/" not in rest:  # remove: {"prefixes": [paths]}
            removed = []
            with self.lock:
                for key in request.get_json()["prefixes"]:
                    if self.objects.pop((rest, key), None) is not None:
                        removed.append({"name": key, "bucket_id": rest, "id": f"id-{key}"})
            return Response(json.dumps(removed), content_type="application/json")
        bucket, _, key = rest.partition("/")
        if request.method == "POST":
            upload = request.files["file"]
            with self.lock:
                if (bucket, key) in self.objects and request.headers.get("x-upsert") != "true":
                    return self._error("409", "Duplicate", "The resource already exists")
                self.objects[(bucket, key)] = (upload.read(), upload.mimetype)
            return Response(json.dumps({"Key": f"{bucket}/{key}", "Id": "x"}), content_type="application/json")
        if request.method == "GET":
            if (bucket, key) not in self.objects:
                return self._error("404", "not_found", "Object not found")
            data, ctype = self.objects[(bucket, key)]
            return Response(data, content_type=ctype)
        return self._error("405", "method", "not allowed", 405)


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
