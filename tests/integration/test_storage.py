"""Storage backends: the local folder, and Supabase Storage against a loopback fake of its REST API."""

from __future__ import annotations

import json
import re
import threading

import pytest
from werkzeug import Request, Response

from workers.config import load_settings
from workers.storage import LocalStorage, StorageError, StorageNotFound, SupabaseStorage, make_storage

SERVICE_KEY = "service-role-key-for-tests"


class FakeSupabaseStorage:
    """The subset of the Storage API the workers use: upload, download, list (v1 object routes).

    Error shape as Storage answers it: HTTP 400 with ``{"statusCode": "404", "error": "not_found",
    "message": "Object not found"}`` for a missing object, and 403 without a valid service key.
    """

    def __init__(self, httpserver):
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        httpserver.expect_request(re.compile(r"^/storage/v1/object/.*")).respond_with_handler(self.handle)
        self.url = httpserver.url_for("/").rstrip("/")

    @staticmethod
    def _error(status_code: str, error: str, message: str, http: int = 400) -> Response:
        return Response(json.dumps({"statusCode": status_code, "error": error, "message": message}),
                        status=http, content_type="application/json")

    def handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {SERVICE_KEY}" or \
                request.headers.get("apikey") != SERVICE_KEY:
            return self._error("403", "Unauthorized", "invalid signature", 403)
        rest = request.path[len("/storage/v1/object/"):]
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
    with pytest.raises(StorageError) as err:
        bad.get("music-video-raw-payloads", "a/b.json")
    assert "wrong-key" not in str(err.value) and "wrong-key" not in repr(bad)
    good.close()
    bad.close()


def test_make_storage_follows_settings(tmp_path, fake_storage):
    local = make_storage(load_settings(storage_backend="local", storage_local_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    remote = make_storage(load_settings(storage_backend="supabase", supabase_url=fake_storage.url,
                                        supabase_service_key=SERVICE_KEY))
    assert isinstance(remote, SupabaseStorage)
    from workers.errors import ConfigError

    with pytest.raises(ConfigError):
        make_storage(load_settings(storage_backend="supabase", supabase_url=None, supabase_service_key=None))
