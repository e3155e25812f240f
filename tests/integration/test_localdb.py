"""The embedded cluster's lifecycle, on a throwaway cluster of its own (never the shared one)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from devtools.localdb import LocalCluster, find_bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster():
    # Under /var/tmp so the postgres system user can reach it when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="mv-localdb-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    c = LocalCluster(root=root / "pg", port=_free_port(), bindir=find_bindir())
    try:
        yield c
    finally:
        c.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def _postmaster_pid(c: LocalCluster) -> int:
    return int((c.datadir / "postmaster.pid").read_text().splitlines()[0])


def test_start_is_idempotent_and_status_reports(cluster):
    assert cluster.status()["running"] is False
    cluster.start()
    pid = _postmaster_pid(cluster)
    cluster.start()  # second start: harmless, same server
    assert _postmaster_pid(cluster) == pid
    status = cluster.status()
    assert status["running"] is True and status["initialized"] is True
    with psycopg.connect(cluster.url()) as conn:
        assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
        assert conn.execute("show port").fetchone()[0] == str(cluster.port)
        assert conn.execute("select current_setting('server_version_num')::int / 10000").fetchone()[0] == 15
    cluster.stop()
    assert cluster.status()["running"] is False


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_the_server_runs_as_an_unprivileged_user(cluster):
    cluster.start()
    uid = os.stat(f"/proc/{_postmaster_pid(cluster)}").st_uid
    assert uid != 0
    assert pwd.getpwuid(uid).pw_name == os.environ.get("MV_LOCAL_PGUSER", "postgres")


def test_a_stale_pid_file_after_a_crash_is_recovered(cluster):
    cluster.start()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("create table survivor (id int); insert into survivor values (1)")
    cluster.kill9()
    deadline = time.monotonic() + 10
    while cluster.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (cluster.datadir / "postmaster.pid").exists()  # left behind by the crash
    try:
        cluster.start(timeout=15)
    except Exception:
        print(cluster.logfile.read_text()[-3000:])
        raise
    with psycopg.connect(cluster.url()) as conn:
        assert conn.execute("select id from survivor").fetchone()[0] == 1  # crash recovery kept it


def test_a_pid_file_naming_another_live_process_is_ignored(cluster):
    cluster.start()
    cluster.stop()
    # a pid file whose pid now belongs to some other process (here: this test runner)
    (cluster.datadir / "postmaster.pid").write_text(f"{os.getpid()}\n{cluster.datadir}\n")
    cluster.start()
    assert cluster.running()
    assert _postmaster_pid(cluster) != os.getpid()
