"""Object storage for raw payloads, broadcast uploads and exports: one small interface, two backends.

    class Storage(Protocol):
        put(bucket, path, data: bytes, content_type) -> None      # create or overwrite
        get(bucket, path) -> bytes                                # StorageNotFound if absent
        open_stream(bucket, path) -> Iterator[bytes]              # chunks, for big CSV uploads
        list(bucket, prefix="") -> list[str]                      # object paths under prefix, sorted
        delete(bucket, path) -> bool                              # True if it existed; idempotent

* :class:`LocalStorage` keeps objects as files under ``root/<bucket>/<path>`` (the embedded
  default, ``MV_STORAGE_LOCAL_DIR``).
* :class:`SupabaseStorage` talks to the Supabase Storage REST API with the service key: uploads
  and listings through the ``supabase`` package's storage client (storage3), reads streamed with
  httpx from the *authenticated* route (the plain route treats a refused key as anonymous and
  answers "not found", which would hide a rotated key behind "uploaded file not found").

Paths are ``/``-separated relative keys without ``.``/``..`` segments; both backends refuse
anything else, so a path taken from a database row can never escape its bucket. Errors::

    StorageError            (MusicVideoError) Storage refused the operation; do not retry
    ├── StorageNotFound     no object at that bucket and path
    ├── StorageAuthError    (also a ConfigError) the service key was refused: fix the settings
    └── StorageUnavailable  (also a TransientSourceError) outage, timeout, 5xx, 429: retry later

:func:`make_storage` builds the configured backend from settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote, unquote

import httpx

from workers.config import Settings
from workers.errors import ConfigError, MusicVideoError, TransientSourceError

__all__ = [
    "RAW_PAYLOAD_BUCKET",
    "LocalStorage",
    "Storage",
    "StorageAuthError",
    "StorageError",
    "StorageNotFound",
    "StorageUnavailable",
    "SupabaseStorage",
    "make_storage",
]

RAW_PAYLOAD_BUCKET = "music-video-raw-payloads"
CHUNK = 1024 * 1024


class StorageError(MusicVideoError):
    """Storage refused or failed an operation."""


class StorageNotFound(StorageError):
    """No object at that bucket and path."""


class StorageAuthError(StorageError, ConfigError):
    """Storage refused the service key (wrong, expired or rotated): a configuration problem."""


class StorageUnavailable(StorageError, TransientSourceError):
    """Storage could not be reached or failed on its side; the same call may work later."""

    def __init__(self, message: str) -> None:
        TransientSourceError.__init__(self, message, source="storage")


def storage_error(status: int, body: bytes, what: str) -> StorageError:
    """Map one Storage API answer to the error tree.

    Storage answers errors as ``{"statusCode": "404", "error": ..., "message": ...}``, with the
    HTTP status either equal to ``statusCode`` or 400 (older servers), so both are read.
    """
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    inner = str(payload.get("statusCode") or status)
    message = str(payload.get("message") or payload.get("error") or f"HTTP {status}")[:300]
    if status == 429 or status >= 500 or inner == "429" or inner.startswith("5"):
        return StorageUnavailable(f"storage {what} failed: {message} (HTTP {status}); will retry")
    if status in (401, 403) or inner in ("401", "403"):
        return StorageAuthError(f"storage {what} refused the service key (MV_SUPABASE_SERVICE_KEY): {message}")
    if status == 404 or inner == "404":
        return StorageNotFound(f"{what.split(' ', 1)[-1]} not found")
    return StorageError(f"storage {what} failed: {message} (HTTP {status})")


@runtime_checkable
class Storage(Protocol):
    def put(self, bucket: str, path: str, data: bytes, content_type: str) -> None: ...

    def get(self, bucket: str, path: str) -> bytes: ...

    def open_stream(self, bucket: str, path: str) -> Iterator[bytes]: ...

    def list(self, bucket: str, prefix: str = "") -> list[str]: ...

    def delete(self, bucket: str, path: str) -> bool: ...


def _check_key(bucket: str, path: str) -> list[str]:
    if not bucket or "/" in bucket or bucket in (".", ".."):
        raise StorageError(f"invalid bucket name {bucket!r}")
    parts = path.split("/")
    # a segment that is, or percent-decodes to, "", "." or ".." (or hides a "/") could climb out
    if not path or path.startswith("/") or "\\" in path or "\x00" in path \
            or any(p in ("", ".", "..") or unquote(p) in (".", "..") or "/" in unquote(p) for p in parts):
        raise StorageError(f"invalid object path {path!r}")
    return parts


class LocalStorage:
    """Objects as files under ``root/<bucket>/<path>``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _file(self, bucket: str, path: str) -> Path:
        return self.root.joinpath(bucket, *_check_key(bucket, path))

    def put(self, bucket: str, path: str, data: bytes,
            content_type: str = "application/octet-stream") -> None:
        # Plain strings and os calls, the folder made only when missing: the webhook service
        # writes one object per push, and pathlib and tempfile were most of that write's CPU.
        parts = _check_key(bucket, path)
        folder = os.path.join(self.root, bucket, *parts[:-1])
        target = os.path.join(folder, parts[-1])
        tmp = os.path.join(folder, f".tmp-{uuid.uuid4().hex}")  # unique, opened exclusively
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise StorageUnavailable(f"storage upload {bucket}/{path} failed: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"storage upload {bucket}/{path} failed: {exc.strerror or exc}") from exc
            raise

    def get(self, bucket: str, path: str) -> bytes:
        try:
            return self._file(bucket, path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise StorageNotFound(f"{bucket}/{path} not found") from exc
        except OSError as exc:
            raise StorageUnavailable(f"storage download {bucket}/{path} failed: {exc.strerror or exc}") from exc

    def local_path(self, bucket: str, path: str) -> Path:
        """The object's file, for readers that can use it in place (the broadcast engine)."""
        target = self._file(bucket, path)
        if not target.is_file():
            raise StorageNotFound(f"{bucket}/{path} not found")
        return target

    def open_stream(self, bucket: str, path: str) -> Iterator[bytes]:
        target = self._file(bucket, path)
        if not target.is_file():
            raise StorageNotFound(f"{bucket}/{path} not found")

        def chunks() -> Iterator[bytes]:
            with target.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk

        return chunks()

    def delete(self, bucket: str, path: str) -> bool:
        """Remove the object; False if there was none (deleting twice is not an error)."""
        try:
            self._file(bucket, path).unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StorageUnavailable(f"storage delete {bucket}/{path} failed: {exc.strerror or exc}") from exc
        return True

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        base = self.root / bucket
        _check_key(bucket, "x")
        if not base.is_dir():
            return []
        out = []
        for p in base.rglob("*"):
            if p.is_file() and not p.name.startswith(".tmp-"):
                rel = p.relative_to(base).as_posix()
                if rel.startswith(prefix):
                    out.append(rel)
        return sorted(out)


class SupabaseStorage:
    """Supabase Storage over its REST API (``<url>/storage/v1``), authenticated with the service key.

    put/list go through storage3's ``SyncStorageClient``; get/open_stream stream
    ``GET /object/authenticated/<bucket>/<path>`` with httpx, so a 1 GB CSV never sits in memory
    and a refused key is reported as such.
    """

    def __init__(self, url: str, service_key: str, *, timeout: float = 30.0,
                 http: httpx.Client | None = None) -> None:
        from storage3 import SyncStorageClient

        if not url or not service_key:
            raise ConfigError("SupabaseStorage needs MV_SUPABASE_URL and MV_SUPABASE_SERVICE_KEY")
        self.base = url.rstrip("/") + "/storage/v1"
        self._headers = {"apikey": service_key, "Authorization": f"Bearer {service_key}"}
        self._http = http or httpx.Client(timeout=timeout, headers=self._headers, follow_redirects=True)
        self._client = SyncStorageClient(self.base + "/", self._headers, http_client=self._http)

    def __repr__(self) -> str:  # never show the key
        return f"SupabaseStorage({self.base!r})"

    def close(self) -> None:
        self._http.close()

    def _wrap(self, exc: Exception, bucket: str, path: str, op: str) -> StorageError:
        from storage3.exceptions import StorageApiError

        what = f"{op} {bucket}/{path}"
        if isinstance(exc, StorageApiError):
            status = str(getattr(exc, "status", "") or "400")
            body = json.dumps({"statusCode": status, "message": str(getattr(exc, "message", exc))}).encode()
            return storage_error(int(status) if status.isdigit() else 400, body, what)
        if isinstance(exc, httpx.TransportError):
            return StorageUnavailable(f"storage {what} failed: {type(exc).__name__}; will retry")
        return StorageError(f"storage {what} failed: {type(exc).__name__}: {exc}")

    def put(self, bucket: str, path: str, data: bytes,
            content_type: str = "application/octet-stream") -> None:
        _check_key(bucket, path)
        try:
            self._client.from_(bucket).upload(path, data, {"content-type": content_type, "upsert": "true"})
        except Exception as exc:
            raise self._wrap(exc, bucket, path, "upload") from exc

    def get(self, bucket: str, path: str) -> bytes:
        return b"".join(self.open_stream(bucket, path))

    def delete(self, bucket: str, path: str) -> bool:
        """``DELETE /object/<bucket>`` with ``{"prefixes": [path]}``: Storage answers the objects it
        removed (an empty list for none), so a second delete is not an error."""
        _check_key(bucket, path)
        try:
            removed = self._client.from_(bucket).remove([path])
        except Exception as exc:
            raise self._wrap(exc, bucket, path, "delete") from exc
        return any(isinstance(r, dict) and r.get("name") == path for r in removed or [])

    def open_stream(self, bucket: str, path: str) -> Iterator[bytes]:
        parts = _check_key(bucket, path)
        # every segment fully quoted: a literal "%2e%2e" in a name is sent as "%252e%252e", never as ".."
        url = "/".join([self.base, "object", "authenticated", bucket, *(quote(p, safe="") for p in parts)])
        what = f"download {bucket}/{path}"
        try:
            response = self._http.send(self._http.build_request("GET", url, headers=self._headers), stream=True)
        except httpx.TransportError as exc:
            raise StorageUnavailable(f"storage {what} failed: {type(exc).__name__}; will retry") from exc
        if response.status_code >= 300:
            body = response.read()[:4096]
            response.close()
            raise storage_error(response.status_code, body, what)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(CHUNK)
            except httpx.TransportError as exc:
                raise StorageUnavailable(f"storage {what} broke off: {type(exc).__name__}; will retry") from exc
            finally:
                response.close()

        return chunks()

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        """Object paths under ``prefix`` (recursing into folders, as Storage lists one level)."""
        _check_key(bucket, "x")
        out: list[str] = []
        folders = [prefix.rsplit("/", 1)[0] if "/" in prefix else ""]
        while folders:
            folder = folders.pop()
            offset = 0
            while True:
                try:
                    page = self._client.from_(bucket).list(folder, {"limit": 1000, "offset": offset})
                except Exception as exc:
                    raise self._wrap(exc, bucket, folder or "/", "list") from exc
                for entry in page:
                    name = f"{folder}/{entry['name']}" if folder else entry["name"]
                    if entry.get("id") is None:  # a folder (Storage returns id null for folders)
                        if name.startswith(prefix) or prefix.startswith(name + "/"):
                            folders.append(name)
                    elif name.startswith(prefix):
                        out.append(name)
                if len(page) < 1000:
                    break
                offset += len(page)
        return sorted(out)


def make_storage(settings: Settings) -> Storage:
    """The backend the settings ask for."""
    if settings.storage_backend == "supabase":
        if not settings.supabase_url or settings.supabase_service_key is None:
            raise ConfigError("MV_STORAGE_BACKEND=supabase needs MV_SUPABASE_URL and MV_SUPABASE_SERVICE_KEY")
        return SupabaseStorage(settings.supabase_url, settings.supabase_service_key.get_secret_value(),
                               timeout=settings.http_timeout)
    return LocalStorage(settings.storage_local_dir)
