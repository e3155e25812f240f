"""A loopback fake of the Supabase Storage REST API (the routes the workers use), for tests."""

from __future__ import annotations

import json
import re
import threading

from werkzeug import Request, Response

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
