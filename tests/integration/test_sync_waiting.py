"""Sync status a person can read: a sync requested while YouTube's quota is paused says so on the
owner's import rows (metadata.waiting, readable under RLS), from the pause's start and for jobs
enqueued during it, the note goes when the job runs, and ``sync --wait`` stops with it (exit 5).
The fake YouTube answers the real quotaExceeded body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers.factory import User
from tests.helpers.queue_support import FakeYouTube, drain, job_counts, make_settings, make_videos, mv, quota_day_ends
from workers.cli.base import EXIT_PAUSED
from workers.db import postgrest_request
from workers.sources.youtube.parser import next_quota_reset
from workers.sync import sync_music_video_metrics


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def owner_reads(conn, factory, video_id):
    owner_id = conn.execute("select r.user_id from public.music_videos as v join public.releases as r"
                            " on r.id = v.release_id where v.id = %s", (video_id,)).fetchone()["user_id"]
    with postgrest_request(conn, User(owner_id, "owner@example.com").claims(), method="GET") as c:
        return c.execute("select id, status::text, error_message, metadata -> 'waiting' as waiting"
                         " from public.music_video_metric_imports where music_video_id = %s", (video_id,)).fetchall()


def test_quota_pause_is_said_on_the_rows_and_cleared_when_the_job_runs(conn, factory, yt, tmp_path, db_url):
    (v1, e1), (v2, e2) = make_videos(conn, factory, 2)
    yt.add(e1)
    yt.add(e2)
    yt.fail_always("error_403_quotaExceeded.json")
    sync_music_video_metrics(conn, v1)
    before = datetime.now(UTC)
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    until = next_quota_reset(before)
    message = f"waiting for the YouTube quota reset at {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    # the deferred job (pause started while it ran) says so, to its owner
    (row,) = owner_reads(conn, factory, v1)
    assert row["status"] == "pending"
    assert row["waiting"]["message"] == message
    assert datetime.fromisoformat(row["waiting"]["until"]) == until

    # a sync requested during the pause: run_after = the reset, and the row says why
    sync_music_video_metrics(conn, v2)
    (row,) = owner_reads(conn, factory, v2)
    assert (row["status"], row["error_message"], row["waiting"]["message"]) == ("pending", message, message)
    assert conn.execute("select run_after from public.music_video_metric_imports where id = %s",
                        (row["id"],)).fetchone()["run_after"] == until
    calls = yt.call_count
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    assert yt.call_count == calls  # not sent during the pause

    # the quota resets: the jobs run and the note is gone
    yt.always = None
    quota_day_ends(conn)
    conn.execute("update public.music_video_metric_imports set run_after = now()")
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    assert job_counts(conn) == {"succeeded": 2}
    assert all(r["waiting"] is None for v in (v1, v2) for r in owner_reads(conn, factory, v))


def test_pending_jobs_get_the_note_when_a_pause_starts(conn, factory, yt, tmp_path, db_url):
    from workers.queue.statements import QueueOps

    (v, _e), = make_videos(conn, factory, 1)
    sync_music_video_metrics(conn, v)
    assert owner_reads(conn, factory, v)[0]["waiting"] is None
    until = datetime(2099, 1, 1, 8, tzinfo=UTC)
    QueueOps("w", 30).pause_source(conn, "youtube", until, "quotaExceeded")
    (row,) = owner_reads(conn, factory, v)
    assert row["waiting"]["message"] == "waiting for the YouTube quota reset at 2099-01-01 08:00 UTC"


def test_sync_wait_stops_with_the_message_during_a_pause(conn, factory, yt, tmp_path, db_url):
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e)
    conn.execute("insert into private.worker_source_pauses (source, paused_until, reason)"
                 " values ('youtube', '2099-01-01 08:00+00', 'quotaExceeded')")
    out = mv(db_url, tmp_path, yt.base_url, "sync", str(v), "--wait", "--timeout", "30")
    assert out.returncode == EXIT_PAUSED == 5, out.stderr
    assert "waiting for the YouTube quota reset at 2099-01-01 08:00 UTC" in out.stderr
    assert "timed out" not in out.stderr
    assert yt.call_count == 0
