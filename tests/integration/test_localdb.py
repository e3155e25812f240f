"""The embedded cluster's lifecycle, on a throwaway cluster of its own (never the shared one)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from devtools.errors import ClusterError
from devtools.localdb import LocalCluster, find_bindir

ROOT = Path(__file__).resolve().parents[2]


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


def _dev_cli(cluster: LocalCluster, *args: str) -> subprocess.CompletedProcess:
    """``python -m devtools ...`` with MV_LOCAL_PGDATA/PGPORT naming ``cluster`` (and no MV_DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MV_DATABASE_URL", "MV_TEST_ADMIN_URL")}
    env.update(MV_LOCAL_PGDATA=str(cluster.root), MV_LOCAL_PGPORT=str(cluster.port))
    return subprocess.run([sys.executable, "-m", "devtools", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_changed_port_moves_the_server_and_start_reports_the_right_one(cluster):
    cluster.start()
    old_port = cluster.port
    moved = replace(cluster, port=_free_port())  # MV_LOCAL_PGPORT changed after the cluster exists
    out = _dev_cli(moved, "db", "start")
    assert out.returncode == 0, out.stderr
    assert f"127.0.0.1:{moved.port}/" in out.stdout
    with psycopg.connect(moved.url()) as conn:
        assert conn.execute("show port").fetchone()[0] == str(moved.port)
        assert Path(conn.execute("show data_directory").fetchone()[0]).resolve() == moved.datadir.resolve()
    assert not cluster.ready(), f"still listening on the old port {old_port}"
    status = moved.status()
    assert status["running"] is True and status["listening_port"] == moved.port
    assert cluster.status()["running"] is False  # the old port's view: not running there


def test_a_foreign_server_on_our_port_is_refused(cluster, tmp_path):
    cluster.start()
    # A second cluster of its own, configured for the port the first one holds.
    stranger_root = Path(tempfile.mkdtemp(prefix="mv-localdb-", dir="/var/tmp"))
    os.chmod(stranger_root, 0o755)
    other = LocalCluster(root=stranger_root / "pg", port=cluster.port, bindir=cluster.bindir)
    try:
        with pytest.raises(ClusterError, match=f"its data directory is {cluster.datadir}"):
            other.start()
        assert not other._pid_alive()
        out = _dev_cli(other, "db", "migrate")
        assert out.returncode == 2 and "not the embedded cluster of" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
        with psycopg.connect(cluster.url()) as conn:  # nothing was migrated into the stranger's database
            assert conn.execute("select to_regnamespace('auth')").fetchone()[0] is None
    finally:
        other.stop(mode="immediate")
        shutil.rmtree(stranger_root, ignore_errors=True)


def test_moving_onto_a_port_a_stranger_holds_is_refused_and_keeps_ours_running(cluster):
    cluster.start()
    stranger_root = Path(tempfile.mkdtemp(prefix="mv-localdb-", dir="/var/tmp"))
    os.chmod(stranger_root, 0o755)
    stranger = LocalCluster(root=stranger_root / "pg", port=_free_port(), bindir=cluster.bindir)
    try:
        stranger.start()
        with pytest.raises(ClusterError, match="not the embedded cluster of"):
            replace(cluster, port=stranger.port).start()
        assert cluster.running()  # ours was not stopped for nothing
    finally:
        stranger.stop(mode="immediate")
        shutil.rmtree(stranger_root, ignore_errors=True)
