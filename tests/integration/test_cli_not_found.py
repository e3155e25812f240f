"""The runtime command line refuses ids that name nothing, or something of another kind or owner:
"not found" on stderr, exit status 4, nothing enqueued and no file written."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from workers import cli

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND = 4


@pytest.fixture
def run(db_url, monkeypatch, capsys, tmp_path):
    """``music-videos ARGS`` in this process against the test database; returns (status, stderr)."""
    monkeypatch.setenv("MV_DATABASE_URL", db_url)
    monkeypatch.setenv("MV_STORAGE_LOCAL_DIR", str(tmp_path / "storage"))

    def _run(*argv: str) -> tuple[int, str]:
        status = cli.main(list(argv))
        return status, capsys.readouterr().err

    return _run


@pytest.fixture
def video(factory):
    owner = factory.user()
    release = factory.release(owner)
    return owner, release, factory.video(release)


def imports(conn) -> int:
    return conn.execute("select count(*) as n from public.music_video_metric_imports").fetchone()["n"]


def test_sync_of_an_unknown_video_is_not_found(run, conn):
    missing = uuid.uuid4()
    status, err = run("sync", str(missing))
    assert status == NOT_FOUND and f"music video {missing} not found" in err
    assert imports(conn) == 0


def test_sync_of_a_release_id_given_as_a_video_id_is_not_found(run, conn, video):
    _owner, release, _vid = video
    status, err = run("sync", str(release))
    assert status == NOT_FOUND and f"music video {release} not found" in err


def test_sync_of_an_unknown_release_is_not_found(run, conn, video):
    _owner, _release, vid = video
    status, err = run("sync", "--release", str(vid))  # a video's id is not a release's
    assert status == NOT_FOUND and f"release {vid} not found" in err
    assert imports(conn) == 0


def test_report_of_an_unknown_release_is_not_found_and_writes_nothing(run, tmp_path):
    out = tmp_path / "report.pdf"
    missing = uuid.uuid4()
    status, err = run("report", "--release", str(missing), "--format", "pdf", "--out", str(out))
    assert status == NOT_FOUND and f"release {missing} not found" in err
    assert not out.exists()


def test_import_errors_of_an_unknown_import_is_not_found(run, video):
    _owner, release, _vid = video
    status, err = run("import-errors", str(release))
    assert status == NOT_FOUND and f"import {release} not found" in err


def test_replay_of_an_unknown_or_non_youtube_import_is_not_found(run, conn, video):
    _owner, _release, vid = video
    broadcast = conn.execute(
        "insert into public.music_video_metric_imports (music_video_id, platform, source, status)"
        " values (%s, 'mtv', 'broadcast', 'succeeded') returning id", (vid,)).fetchone()["id"]
    missing = uuid.uuid4()
    status, err = run("replay", "--import-id", str(missing), "--import-id", str(broadcast))
    assert status == NOT_FOUND and f"YouTube import {missing}, {broadcast} not found" in err


def test_as_a_subprocess_not_found_and_a_missing_folder_say_so_without_a_traceback(db_url, tmp_path):
    env = {**os.environ, "MV_DATABASE_URL": db_url}

    def music_videos(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *argv], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)

    missing = uuid.uuid4()
    out = music_videos("report", "--release", str(missing))
    assert out.returncode == NOT_FOUND and out.stdout == ""
    assert out.stderr.strip() == f"music-videos report: error: release {missing} not found"
    out = music_videos("report", "--release", str(missing), "--format", "pdf", "--out", "/no/such/dir/x.pdf")
    assert out.returncode == 2 and "folder /no/such/dir does not exist" in out.stderr
    assert "Traceback" not in out.stderr
