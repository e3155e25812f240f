"""Replay that respects people (issue "Analytics a release manager can trust", section 3 of the
remaining work): rolled-back imports are skipped, a dry run changes nothing and says what a real
replay would do per import, the replay can be scoped, and a bare replay of everything needs
confirmation (a terminal) or --all."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from argparse import Namespace

import pytest

from tests.conftest import ROOT
from tests.helpers.queue_support import TEST_KEY, FakeYouTube, drain, make_settings, make_videos
from workers.cli.base import CommandError
from workers.cli.sync import _confirm_everything
from workers.db import call_as_postgrest, postgrest_request
from workers.sources.youtube.job import queue_youtube_sync, replay_youtube
from workers.storage import LocalStorage


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


@pytest.fixture
def synced(conn, factory, yt, tmp_path, db_url):
    """Three synced videos (one import each, oldest first); the first import rolled back by an admin."""
    videos = make_videos(conn, factory, 3)
    for n, (_, e) in enumerate(videos):
        yt.add(e, views=700 + n)
    imports = [queue_youtube_sync(conn, v) for v, _ in videos]
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    imports = [conn.execute("select id, created_at from public.music_video_metric_imports where id = %s",
                            (getattr(i, "id", i),)).fetchone() for i in imports]
    admin = factory.user(admin=True)
    with postgrest_request(conn, admin.claims()) as c:
        call_as_postgrest(c, "rollback_music_video_import",
                          {"import_id": str(imports[0]["id"]), "reason": "wrong video"})
    return videos, [i["id"] for i in imports], imports


def views(conn, vid):
    return conn.execute("select views_total from public.music_video_metrics where music_video_id = %s",
                        (vid,)).fetchone()["views_total"]


def test_rolled_back_imports_are_skipped_and_a_dry_run_changes_nothing(conn, tmp_path, synced):
    videos, ids, _ = synced
    conn.execute("update public.music_video_metrics set views_total = 1 where music_video_id = %s",
                 (videos[1][0],))  # damaged outside any admin action
    storage = LocalStorage(tmp_path / "storage")

    dry = replay_youtube(conn, storage, dry_run=True)
    assert dry.skipped_rolled_back == [ids[0]]
    assert dry.per_import == {ids[1]: (0, 1, 1), ids[2]: (0, 1, 0)}
    assert views(conn, videos[1][0]) == 1  # nothing changed
    meta = {r["id"]: r["metadata"] for r in conn.execute(
        "select id, metadata from public.music_video_metric_imports where id = any(%s)", (ids,))}
    assert not any("replayed_at" in m for m in meta.values())

    rep = replay_youtube(conn, storage)
    assert rep.skipped_rolled_back == [ids[0]] and rep.imports == 2
    assert views(conn, videos[1][0]) == 701
    meta = {r["id"]: r["metadata"] for r in conn.execute(
        "select id, metadata from public.music_video_metric_imports where id = any(%s)", (ids,))}
    assert "replayed_at" not in meta[ids[0]] and "replayed_at" in meta[ids[1]]
    assert meta[ids[0]]["rollbacks"]  # the admin's decision is untouched


def test_replay_scopes_by_video_and_by_time(conn, tmp_path, synced):
    videos, ids, imports = synced
    conn.execute("update public.music_video_metrics set views_total = 1")
    storage = LocalStorage(tmp_path / "storage")
    rep = replay_youtube(conn, storage, until=imports[0]["created_at"])
    assert rep.imports == 0 and rep.skipped_rolled_back == []
    rep = replay_youtube(conn, storage, video_ids=[videos[2][0]])
    assert list(rep.per_import) == [ids[2]]
    assert views(conn, videos[2][0]) == 702 and views(conn, videos[1][0]) == 1
    rep = replay_youtube(conn, storage, since=imports[1]["created_at"], until=imports[2]["created_at"])
    assert list(rep.per_import) == [ids[1]]
    assert views(conn, videos[1][0]) == 701


def _mv(db_url, tmp_path, yt, *args):
    env = {**os.environ, "MV_DATABASE_URL": db_url, "MV_YOUTUBE_API_KEY": TEST_KEY, "MV_YOUTUBE_BASE_URL": yt.base_url,
           "MV_STORAGE_LOCAL_DIR": str(tmp_path / "storage"), "MV_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_cli_bare_replay_needs_all_and_dry_run_prints_per_import(conn, tmp_path, synced, yt, db_url):
    videos, ids, _ = synced
    conn.execute("update public.music_video_metrics set views_total = 1 where music_video_id = %s",
                 (videos[2][0],))
    out = _mv(db_url, tmp_path, yt, "replay")
    assert out.returncode == 2
    assert "needs --all" in out.stderr
    assert views(conn, videos[2][0]) == 1

    out = _mv(db_url, tmp_path, yt, "replay", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert f"{ids[2]}\twould insert 0, update 1 (1 with changed values)" in out.stdout
    assert f"{ids[0]}\tskipped: rolled back by an admin" in out.stderr
    assert "nothing was changed" in out.stdout and views(conn, videos[2][0]) == 1

    out = _mv(db_url, tmp_path, yt, "replay", "--video", str(videos[2][0]))
    assert out.returncode == 0, out.stderr
    assert "for 1 import(s): 0 inserted, 1 updated" in out.stdout
    assert views(conn, videos[2][0]) == 702


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bare(**kw):
    return Namespace(**{"all": False, "dry_run": False, "import_id": None, "video": None, "since": None,
                        "until": None, **kw})


def test_a_bare_replay_on_a_terminal_asks_first(capsys):
    _confirm_everything(_bare(), stdin=_Tty("y\n"))
    with pytest.raises(CommandError, match="cancelled"):
        _confirm_everything(_bare(), stdin=_Tty("\n"))
    assert "[y/N]" in capsys.readouterr().err
    with pytest.raises(CommandError, match="needs --all"):
        _confirm_everything(_bare(), stdin=io.StringIO(""))
    _confirm_everything(_bare(all=True), stdin=io.StringIO(""))
