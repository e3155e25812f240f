"""Partner webhooks in tests: signing as a partner does, and the real service on a loopback port.

``webhook_service`` (module scope) runs ``python -m workers service`` with two uvicorn
processes against a database of its own (cloned from the template) and the loopback fake of
Supabase Storage, and yields a :class:`Service` with a real HTTP client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from devtools import testdb
from tests.helpers.factory import Factory
from tests.helpers.storage_fake import SERVICE_KEY, FakeSupabaseStorage

ROOT = Path(__file__).resolve().parents[2]

# Two secrets of one partner, as during a rotation (old and new), and one of another partner.
SECRET_OLD = "whsec_" + base64.b64encode(b"mtv-old-secret-for-tests-32bytes").decode()
SECRET_NEW = "whsec_" + base64.b64encode(b"mtv-new-secret-for-tests-32bytes").decode()
SECRET_YOUTUBE = "whsec_" + base64.b64encode(b"youtube-relay-secret-for-tests!!").decode()
# The youtube source's second secret (a rotation); both are hub.secret values too (hub.py).
SECRET_YOUTUBE_NEW = "whsec_" + base64.b64encode(b"youtube-rotated-secret-for-tests").decode()
# The PubSubHubbub topic the service subscribes to (MV_WEBHOOK_YOUTUBE_HUB_TOPICS).
HUB_TOPIC = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCFahBR2wixu0xOex84bXFvg"
MAX_BODY = 4096


def signed_headers(secret: str, body: bytes, *, msg_id: str | None = None, at: datetime | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    """The Standard Webhooks headers a partner sends with ``body`` (signed with the library)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()), "content-type": content_type}


def hub_signed_headers(secret: str, body: bytes, method: str = "sha1") -> dict[str, str]:
    """The headers Google's hub sends with a notification: X-Hub-Signature, HMAC of the body keyed
    with the subscription's hub.secret (PubSubHubbub 0.4 / WebSub)."""
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return {"x-hub-signature": f"{method}={digest}", "content-type": "application/atom+xml"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(db_url: str, storage_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MV_")}
    env.update({
        "MV_DATABASE_URL": db_url, "MV_STORAGE_BACKEND": "supabase", "MV_SUPABASE_URL": storage_url,
        "MV_SUPABASE_SERVICE_KEY": SERVICE_KEY, "MV_SERVICE_PORT": str(port), "MV_SERVICE_WORKERS": "2",
        "MV_WEBHOOK_SECRETS": json.dumps({"mtv": [SECRET_OLD, SECRET_NEW],
                                          "youtube": [SECRET_YOUTUBE, SECRET_YOUTUBE_NEW]}),
        "MV_WEBHOOK_YOUTUBE_HUB_TOPICS": json.dumps([HUB_TOPIC]),
        "MV_WEBHOOK_MAX_BODY_BYTES": str(MAX_BODY), "MV_LOG_JSON": "false",
    })
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


def start_service(env: dict[str, str], log_path: Path, timeout: float = 30.0) -> subprocess.Popen:
    """``python -m workers service`` with ``env``, once /healthz answers 200."""
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "workers", "service"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['MV_SERVICE_PORT']}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the service did not answer /healthz in {timeout} s: {log_path.read_text()[-2000:]}")


def stop_service(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class Service:
    base: str
    db_url: str
    storage: FakeSupabaseStorage
    http: httpx.Client
    conn: psycopg.Connection
    factory: Factory

    def push(self, source: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(f"{self.base}/functions/v1/metrics-webhook/{source}", content=body, headers=headers)


@pytest.fixture(scope="module")
def webhook_service(admin_url: str, template_db: str, make_httpserver, tmp_path_factory) -> Iterator[Service]:
    name = testdb.clone_database(admin_url, template_db)
    db_url = testdb.with_dbname(admin_url, name)
    make_httpserver.clear()
    storage = FakeSupabaseStorage(make_httpserver)
    port = free_port()
    proc = start_service(service_env(db_url, storage.url, port), tmp_path_factory.mktemp("service") / "service.log")
    try:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn, httpx.Client(timeout=10) as http:
            yield Service(f"http://127.0.0.1:{port}", db_url, storage, http, conn, Factory(conn))
    finally:
        stop_service(proc)
        make_httpserver.clear()
        testdb.drop_database(admin_url, name)
