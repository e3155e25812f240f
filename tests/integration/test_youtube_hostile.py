"""YouTube answers and outages that used to cost a whole batch: a count beyond bigint, and a
Storage outage after the fetch. Real workers, the real fixture item shape (FakeYouTube serves
the items of tests/fixtures/external/youtube), a loopback fake of Supabase Storage."""

from __future__ import annotations

import json

import pytest

from tests.helpers.queue_support import (
    FakeYouTube,
    drain,
    job_counts,
    make_settings,
    make_videos,
    running_worker,
    wait_for,
)
from tests.helpers.storage_fake import SERVICE_KEY, FakeSupabaseStorage
from workers.raw_spool import RawSpool
from workers.sources.youtube.job import replay_youtube
from workers.storage import RAW_PAYLOAD_BUCKET, LocalStorage, SupabaseStorage
from workers.sync import sync_music_video_metrics


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def _release_of(conn, video_id):
    row = conn.execute("select release_id from public.music_videos where id = %s", (video_id,)).fetchone()
    return row["release_id"]


def _imports(conn):
    return {r["music_video_id"]: r for r in conn.execute("select * from public.music_video_metric_imports")}


def test_a_count_beyond_bigint_fails_its_own_job_and_the_other_49_succeed(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 50)
    for n, (_v, ext) in enumerate(videos):
        yt.add(ext, views=1_000 + n)
    bad_video, bad_ext = videos[17]
    yt.add(bad_ext, views=2**63)  # a uint64 YouTube may send; bigint holds at most 2^63 - 1
    assert sync_music_video_metrics(conn, release_id=_release_of(conn, bad_video)).created == 50

    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)

    assert yt.call_count == 1
    assert job_counts(conn) == {"succeeded": 49, "failed": 1}
    bad = _imports(conn)[bad_video]
    assert bad["status"] == "failed" and bad["attempts"] == 1  # not retried: the answer will not change
    assert "viewCount" in bad["error_message"] and str(2**63) in bad["error_message"]
    assert bad["metadata"]["out_of_range"] == {"viewCount": str(2**63)}
    stored = {r["music_video_id"]: r["views_total"] for r in conn.execute(
        "select music_video_id, views_total from public.music_video_metrics")}
    assert len(stored) == 49 and bad_video not in stored
    assert stored[videos[0][0]] == 1_000
    # a replay of the stored payload skips the same video instead of failing on it
    report = replay_youtube(conn, LocalStorage(tmp_path / "storage"))
    assert (report.payloads, report.imports, report.not_found) == (1, 50, 1)
    assert report.counts.inserted + report.counts.updated == 49


def test_a_storage_outage_after_the_fetch_never_calls_youtube_twice_nor_loses_the_payload(
        conn, factory, yt, tmp_path, db_url, httpserver):
    storage_fake = FakeSupabaseStorage(httpserver)
    storage_fake.outage = True  # every Storage request answers 503 until it recovers
    videos = make_videos(conn, factory, 3)
    for n, (_v, ext) in enumerate(videos):
        yt.add(ext, views=500 + n, likes=n)
    sync_music_video_metrics(conn, release_id=_release_of(conn, videos[0][0]))
    settings = make_settings(tmp_path, db_url, yt.base_url)
    storage = SupabaseStorage(storage_fake.url, SERVICE_KEY)
    try:
        with running_worker(settings, db_url, storage=storage):
            wait_for(lambda: job_counts(conn) == {"succeeded": 3})
            # the metrics are stored during the outage, the payload waits in the local spool
            assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 3
            refs = {json.dumps(i["metadata"]["raw_payload"], sort_keys=True) for i in _imports(conn).values()}
            (ref,) = [json.loads(r) for r in refs]
            assert ref["pending"] is True and ref["bucket"] == RAW_PAYLOAD_BUCKET
            assert RawSpool(settings.raw_spool_dir).pending() == [(RAW_PAYLOAD_BUCKET, ref["path"])]
            assert storage_fake.objects == {}
            failed_puts = sum(1 for m, _p in storage_fake.requests if m == "POST")
            assert failed_puts >= 1
            storage_fake.outage = False  # Storage recovers; the idle worker flushes the spool
            wait_for(lambda: all("pending" not in i["metadata"]["raw_payload"] for i in _imports(conn).values()))
        assert yt.call_count == 1  # never re-fetched: no quota spent twice
        data, ctype = storage_fake.objects[(RAW_PAYLOAD_BUCKET, ref["path"])]
        assert json.loads(data)["kind"] == "youtube#videoListResponse" and ctype == "application/json"
        assert RawSpool(settings.raw_spool_dir).pending() == []
        for imp in _imports(conn).values():
            assert imp["metadata"]["raw_payload"] == {"bucket": RAW_PAYLOAD_BUCKET, "path": ref["path"]}
            assert imp["attempts"] == 1 and imp["metadata"].get("raw_payload_stored_at")
        # the flushed payload replays like any other
        assert replay_youtube(conn, storage).imports == 3
    finally:
        storage.close()
