"""Partner webhooks against the running service (two uvicorn processes on a loopback port, a real
HTTP client, the real database, the loopback fake of Supabase Storage): Standard Webhooks
verification, idempotency, the body limit, the video rules, the Atom notification, the worker's
import of a stored push, /healthz and /metrics."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.external_fixtures import fixture
from tests.helpers.storage_fake import SERVICE_KEY
from tests.helpers.webhooks import MAX_BODY, SECRET_NEW, SECRET_OLD, SECRET_YOUTUBE, Service, signed_headers
from workers.config import load_settings
from workers.storage import RAW_PAYLOAD_BUCKET

pytestmark = pytest.mark.slow


def _video(svc: Service, strategy: str = "webhook", platform: str = "mtv", ref: str | None = None) -> tuple:
    owner = svc.factory.user()
    release = svc.factory.release(owner)
    vid = svc.factory.video(release, sync_strategy=strategy)
    ref = ref or f"MTV-{uuid.uuid4().hex[:8]}"
    svc.conn.execute("insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
                     " values (%s, %s, %s)", (vid, platform, ref))
    return vid, ref


def _push(ref: str, viewers: int = 1000, program: str = "Top 20 Countdown", day: str = "2026-11-28") -> bytes:
    return json.dumps({"date": day, "entries": [{"video_reference": ref, "program": program, "viewers": viewers}]
                       }).encode()


def _jobs(svc: Service, vid) -> list[dict]:
    return svc.conn.execute("select id, source, status::text as status, platform::text as platform, metadata"
                            " from public.music_video_metric_imports where music_video_id = %s order by created_at",
                            (vid,)).fetchall()


def _stored(svc: Service) -> set[str]:
    return {path for (bucket, path) in svc.storage.objects if bucket == RAW_PAYLOAD_BUCKET}


def test_a_signed_push_is_stored_raw_and_enqueued(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    body = _push(ref, 1200)
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body, msg_id="msg_good_1"))
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    [job] = _jobs(svc, vid)
    assert str(job["id"]) == job_id and job["source"] == "webhook" and job["status"] == "pending"
    assert job["platform"] == "mtv" and job["metadata"]["videos"] == {ref: str(vid)}
    raw = job["metadata"]["raw_payload"]
    assert raw["bucket"] == RAW_PAYLOAD_BUCKET and raw["path"].startswith("webhook/mtv/")
    assert svc.storage.objects[(RAW_PAYLOAD_BUCKET, raw["path"])][0] == body
    row = svc.conn.execute("select import_ids, raw_payload_path from private.metrics_webhook_deliveries"
                           " where source = 'mtv' and webhook_id = 'msg_good_1'").fetchone()
    assert [str(i) for i in row["import_ids"]] == [job_id] and row["raw_payload_path"] == raw["path"]


def test_a_bad_signature_is_refused_and_nothing_is_kept(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    body = _push(ref)
    headers = signed_headers(SECRET_NEW, body)
    before = _stored(svc)
    r = svc.push("mtv", body.replace(b"1000", b"9999"), headers)  # the body changed after signing
    assert r.status_code == 401
    assert r.json() == {"problems": [{"field": "webhook-signature", "code": "bad_signature",
                                      "message": "no signature matches the body with this source's secret"}]}
    other = signed_headers(SECRET_YOUTUBE, body)  # another partner's secret
    assert svc.push("mtv", body, other).json()["problems"][0]["code"] == "bad_signature"
    assert _jobs(svc, vid) == [] and _stored(svc) == before


def test_both_secrets_of_a_rotation_are_accepted(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    for secret in (SECRET_OLD, SECRET_NEW):
        body = _push(ref, day="2026-11-27" if secret == SECRET_OLD else "2026-11-28")
        assert svc.push("mtv", body, signed_headers(secret, body)).status_code == 202
    assert len(_jobs(svc, vid)) == 2


def test_a_replayed_id_is_answered_with_the_first_job_and_enqueues_nothing(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    body = _push(ref)
    headers = signed_headers(SECRET_NEW, body, msg_id="msg_replayed")
    first = svc.push("mtv", body, headers)
    assert first.status_code == 202
    stored = _stored(svc)
    again = [svc.push("mtv", body, headers) for _ in range(4)]  # two service processes answer these
    assert {r.status_code for r in again} == {200}
    assert {r.json()["job_id"] for r in again} == {first.json()["job_id"]}
    assert all(r.json()["duplicate"] for r in again)
    assert len(_jobs(svc, vid)) == 1 and _stored(svc) == stored


def test_a_stale_or_future_timestamp_is_refused(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    body = _push(ref)
    for at in (datetime.now(UTC) - timedelta(minutes=10), datetime.now(UTC) + timedelta(minutes=10)):
        r = svc.push("mtv", body, signed_headers(SECRET_NEW, body, at=at))
        assert r.status_code == 401
        [p] = r.json()["problems"]
        assert p["field"] == "webhook-timestamp" and p["code"] == "stale_timestamp"
    assert _jobs(svc, vid) == []


def test_missing_headers_and_an_unknown_source_are_refused(webhook_service: Service):
    svc = webhook_service
    _vid, ref = _video(svc)
    body = _push(ref)
    r = svc.push("mtv", body, {"content-type": "application/json"})
    assert r.status_code == 400
    assert {p["field"] for p in r.json()["problems"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    r = svc.push("vevo", body, signed_headers(SECRET_NEW, body))  # no secret configured for vevo
    assert r.status_code == 404 and r.json()["problems"][0]["code"] == "unknown_source"


def test_an_oversize_body_is_refused_while_reading(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    entries = [{"video_reference": ref, "program": f"Show {i}", "viewers": i} for i in range(200)]
    body = json.dumps({"date": "2026-11-28", "entries": entries}).encode()
    assert len(body) > MAX_BODY
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body))
    assert r.status_code == 413 and r.json()["problems"][0]["code"] == "too_large"

    def chunks():  # no Content-Length: the limit holds while the chunks arrive
        for i in range(0, len(body), 512):
            yield body[i:i + 512]

    r = svc.http.post(f"{svc.base}/functions/v1/metrics-webhook/mtv", content=chunks(),
                      headers=signed_headers(SECRET_NEW, body))
    assert r.status_code == 413
    assert _jobs(svc, vid) == []


def test_an_unknown_video_is_refused_with_nothing_stored(webhook_service: Service):
    svc = webhook_service
    before = _stored(svc)
    body = _push("MTV-no-such-video")
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body, msg_id="msg_unknown"))
    assert r.status_code == 404
    assert r.json() == {"problems": [{"field": "video_reference", "code": "unknown_video",
                                      "message": "no music video has the mtv reference 'MTV-no-such-video'"}]}
    assert _stored(svc) == before
    assert svc.conn.execute("select count(*) as n from private.metrics_webhook_deliveries"
                            " where webhook_id = 'msg_unknown'").fetchone()["n"] == 0


def test_a_video_that_does_not_sync_by_webhook_is_refused(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc, strategy="scheduled")
    before = _stored(svc)
    body = _push(ref)
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body))
    assert r.status_code == 422
    [p] = r.json()["problems"]
    assert p["code"] == "wrong_sync_strategy" and str(vid) in p["message"] and "'scheduled'" in p["message"]
    assert _jobs(svc, vid) == [] and _stored(svc) == before
    # a webhook video without a target on the pushed platform: refused too
    yt_vid, _ = _video(svc, platform="youtube", ref=uuid.uuid4().hex[:11])
    body = _push(str(yt_vid))
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body))
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "platform_not_targeted"


def test_an_invalid_payload_lists_every_problem(webhook_service: Service):
    svc = webhook_service
    body = json.dumps({"date": "28/11/2026", "entries": [{"video_reference": "", "program": "x", "viewers": -1}]}
                      ).encode()
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body))
    assert r.status_code == 422
    assert {(p["field"], p["code"]) for p in r.json()["problems"]} == {
        ("date", "invalid_date"), ("entries[0].video_reference", "required"), ("entries[0].viewers", "invalid_count")}


def test_the_youtube_notification_enqueues_a_sync_of_that_video(webhook_service: Service):
    svc = webhook_service
    yt_id = uuid.uuid4().hex[:11]
    vid, _ = _video(svc, platform="youtube", ref=yt_id)
    body = fixture("youtube_push", "notification_google_docs_example.xml").read_bytes().replace(b"VIDEO_ID",
                                                                                                 yt_id.encode())
    r = svc.push("youtube", body, signed_headers(SECRET_YOUTUBE, body, content_type="application/atom+xml"))
    assert r.status_code == 202, r.text
    [job] = _jobs(svc, vid)
    assert str(job["id"]) == r.json()["job_id"]
    assert job["source"] == "youtube" and job["status"] == "pending" and job["metadata"]["trigger"] == "webhook"
    path = svc.conn.execute("select raw_payload_path from private.metrics_webhook_deliveries"
                            " where source = 'youtube' and webhook_id = %s",
                            (r.json()["webhook_id"],)).fetchone()["raw_payload_path"]
    assert path.endswith(".xml") and svc.storage.objects[(RAW_PAYLOAD_BUCKET, path)][0] == body
    # a second notification while that sync is pending reuses the job
    r2 = svc.push("youtube", body, signed_headers(SECRET_YOUTUBE, body))
    assert r2.status_code == 202 and r2.json()["job_id"] == str(job["id"])


def test_the_worker_turns_a_stored_push_into_metric_rows(webhook_service: Service, tmp_path):
    from tests.helpers.worker import run_worker, settings_for

    svc = webhook_service
    vid, ref = _video(svc)
    body = json.dumps({"date": "2026-11-28", "entries": [
        {"video_reference": ref, "program": "Top 20 Countdown", "viewers": 1_200_000},
        {"video_reference": ref, "program": "Morning Mix", "viewers": 300_000}]}).encode()
    r = svc.push("mtv", body, signed_headers(SECRET_NEW, body))
    assert r.status_code == 202
    settings = settings_for(tmp_path, storage_backend="supabase", supabase_url=svc.storage.url,
                            supabase_service_key=SERVICE_KEY)
    from prometheus_client import REGISTRY

    from workers.storage import make_storage

    def finished() -> float:
        return REGISTRY.get_sample_value("mv_jobs_finished_total", {"source": "webhook", "status": "succeeded"}) or 0

    def succeeded_rows() -> int:
        return svc.conn.execute("select count(*) as n from public.music_video_metric_imports"
                                " where source = 'webhook' and status = 'succeeded'").fetchone()["n"]

    before, rows_before = finished(), succeeded_rows()
    run_worker(svc.db_url, settings, make_storage(settings), sources=("webhook",),
               clock=lambda: datetime.now(UTC))
    assert finished() - before == succeeded_rows() - rows_before >= 1  # the worker's counter
    [job] = _jobs(svc, vid)
    assert job["status"] == "succeeded", job
    [row] = svc.conn.execute("select platform::text as platform, collected_at, views_total, source, detail,"
                             " import_batch_id from public.music_video_metrics where music_video_id = %s",
                             (vid,)).fetchall()
    assert row["platform"] == "mtv" and row["views_total"] == 1_500_000
    assert row["collected_at"] == datetime(2026, 11, 28, tzinfo=UTC) and row["import_batch_id"] == job["id"]
    assert row["detail"]["programs"] == {"Morning Mix": 300_000, "Top 20 Countdown": 1_200_000}
    assert row["source"] == "webhook:mtv"


def test_healthz_reports_the_database_and_the_queue_lag(webhook_service: Service):
    svc = webhook_service
    vid, ref = _video(svc)
    body = _push(ref)
    assert svc.push("mtv", body, signed_headers(SECRET_NEW, body)).status_code == 202
    svc.conn.execute("update public.music_video_metric_imports set run_after = now() - interval '120 seconds'"
                     " where music_video_id = %s", (vid,))
    r = svc.http.get(f"{svc.base}/healthz")
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "ok" and doc["database"] == "ok"
    assert doc["queue"]["due"] >= 1 and doc["queue"]["by_source"]["webhook"]["oldest_due_age_seconds"] >= 120


def test_metrics_sum_both_processes_and_read_the_queue(webhook_service: Service):
    svc = webhook_service
    _vid, ref = _video(svc)
    for _ in range(6):  # spread over both processes by the kernel's accept
        body = _push(ref, viewers=7)
        svc.push("mtv", body, signed_headers(SECRET_NEW, body).copy() | {"webhook-signature": "v1,AAAA"})
    text = svc.http.get(f"{svc.base}/metrics").text
    counts = {}
    for line in text.splitlines():
        if line.startswith("mv_webhook_requests_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels] = float(value)
    bad = [v for k, v in counts.items() if 'outcome="bad_signature"' in k and 'source="mtv"' in k]
    assert bad and bad[0] >= 6
    assert any('outcome="accepted"' in k for k in counts)
    assert 'mv_jobs{source="webhook",status="pending"}' in text
    assert "mv_queue_depth{" in text and "mv_queue_oldest_due_age_seconds{" in text


def test_settings_hold_no_default_secret():
    assert load_settings(_env_file=None).webhook_secrets == {}


def test_only_admins_and_the_service_role_read_the_deliveries(webhook_service: Service):
    import psycopg

    from workers.db import jwt_claims, postgrest_request

    svc = webhook_service
    _vid, ref = _video(svc)
    body = _push(ref)
    assert svc.push("mtv", body, signed_headers(SECRET_NEW, body, msg_id="msg_access")).status_code == 202
    query = "select count(*) as n from private.metrics_webhook_deliveries where webhook_id = 'msg_access'"
    seen = {}
    for who, claims in {"admin": svc.factory.user(admin=True).claims(), "user": svc.factory.user().claims(),
                        "service_role": jwt_claims(role="service_role")}.items():
        with postgrest_request(svc.conn, claims) as c:
            seen[who] = c.execute(query).fetchone()["n"]
    assert seen == {"admin": 1, "user": 0, "service_role": 1}
    for claims in (svc.factory.user().claims(), jwt_claims(role="anon")):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(svc.conn, claims) as c:
            c.execute("insert into private.metrics_webhook_deliveries (source, webhook_id) values ('mtv', 'forged')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), \
            postgrest_request(svc.conn, svc.factory.user(admin=True).claims()) as c:
        c.execute("select private.accept_metrics_webhooks('[{\"source\": \"mtv\", \"webhook_id\": \"forged\","
                      " \"refs\": [\"x\"], \"path\": \"webhook/x.json\", \"metadata\": {}}]')")


def test_accepted_pushes_wake_the_workers_with_one_notification(webhook_service: Service):
    import psycopg

    from workers.queue.statements import CHANNEL

    svc = webhook_service
    _vid, ref = _video(svc)
    with psycopg.connect(svc.db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        # the insert itself no longer notifies a webhook job (its commit would wait on the
        # notification lock): the service sends one notification for the pushes it accepted
        # (the module's service may still send its coalesced notification for an earlier test's
        # pushes: only a notification from this connection's backend would be the insert's own)
        own = svc.conn.info.backend_pid
        ids = [svc.conn.execute("insert into public.music_video_metric_imports (source, platform, metadata)"
                                " values ('webhook', 'mtv', '{}') returning id").fetchone()["id"]]
        assert [n for n in listener.notifies(timeout=0.5) if n.pid == own] == []
        ids += [svc.conn.execute("insert into public.music_video_metric_imports (source, platform, metadata)"
                                 " values ('youtube', 'youtube', '{}') returning id").fetchone()["id"]]
        assert [n.payload for n in listener.notifies(timeout=1.0) if n.pid == own] == ["youtube"]  # others still do
        svc.conn.execute("delete from public.music_video_metric_imports where id = any(%s)", (ids,))
        for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
            body = _push(ref, day=day)
            assert svc.push("mtv", body, signed_headers(SECRET_NEW, body)).status_code == 202
        got = [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)]
    assert got == ["webhook"]


def test_concurrent_pushes_each_get_their_own_answer(webhook_service: Service):
    """Pushes arriving together share a statement (the group commit): each still gets its answer."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    svc = webhook_service
    refs = [_video(svc)[1] for _ in range(4)]
    sends = []
    for i in range(24):
        body = _push(refs[i % 4] if i % 6 else "MTV-nobody-here", viewers=i)
        sends.append((body, signed_headers(SECRET_NEW, body)))
    sends += [sends[1], sends[2]]  # two replays among them

    def send(item):
        body, headers = item
        with httpx.Client(timeout=10) as http:
            return http.post(f"{svc.base}/functions/v1/metrics-webhook/mtv", content=body, headers=headers)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(send, sends))
    assert [answers[i].status_code for i in range(0, 24, 6)] == [404] * 4
    assert all(answers[i].json()["problems"][0]["code"] == "unknown_video" for i in range(0, 24, 6))
    firsts = [r for i, r in enumerate(answers[:24]) if i % 6 and i not in (1, 2)]
    assert {r.status_code for r in firsts} == {202}
    for replay, first in ((answers[24], answers[1]), (answers[25], answers[2])):
        # either copy may be answered first: one is accepted, the other its replay
        assert sorted([replay.status_code, first.status_code]) == [200, 202]
        assert replay.json()["job_id"] == first.json()["job_id"]
    accepted = [r.json()["job_id"] for r in answers if r.status_code == 202]
    assert len(accepted) == len(set(accepted)) == 20
    ids = [h["webhook-id"] for _, h in sends[:24]]
    rows = svc.conn.execute("select webhook_id, cardinality(import_ids) as n from private.metrics_webhook_deliveries"
                            " where webhook_id = any(%s)", (ids,)).fetchall()
    assert len(rows) == 20 and all(r["n"] == 1 for r in rows)


def test_the_scheduler_purges_old_deliveries_and_a_replay_in_the_window_is_still_refused(webhook_service: Service,
                                                                                          tmp_path):
    import psycopg

    from tests.helpers.queue_support import make_settings
    from workers.scheduler import NightlyScheduler

    svc = webhook_service
    _vid, ref = _video(svc)
    sent = {}
    for name in ("old_1", "old_2", "old_3", "recent"):
        body = _push(ref, viewers=len(sent) + 1, day=f"2026-11-2{len(sent)}")
        headers = signed_headers(SECRET_NEW, body)
        sent[name] = (body, headers, svc.push("mtv", body, headers))
        assert sent[name][2].status_code == 202
    ids = {name: h["webhook-id"] for name, (_, h, _) in sent.items()}
    old = [ids["old_1"], ids["old_2"], ids["old_3"]]
    svc.conn.execute("update private.metrics_webhook_deliveries set received_at = now() - interval '2 hours'"
                     " where webhook_id = any(%s)", (old,))
    settings = make_settings(tmp_path, svc.db_url, webhook_delivery_retention_seconds=3600, webhook_purge_batch=2)
    scheduler = NightlyScheduler(settings, svc.db_url)
    assert scheduler.purge_webhook_deliveries() == 3  # two statements of at most 2 rows (other tests' rows are recent)
    left = {r["webhook_id"] for r in svc.conn.execute(
        "select webhook_id from private.metrics_webhook_deliveries where webhook_id = any(%s)",
        (list(ids.values()),)).fetchall()}
    assert left == {ids["recent"]}
    # the old pushes' jobs and stored bodies stay (as every source's raw payloads)
    for name in ("old_1", "recent"):
        [job] = svc.conn.execute("select metadata from public.music_video_metric_imports where id = %s",
                                 (sent[name][2].json()["job_id"],)).fetchall()
        assert (RAW_PAYLOAD_BUCKET, job["metadata"]["raw_payload"]["path"]) in svc.storage.objects
    # a replay inside the window is still refused: the first delivery's job, nothing enqueued
    body, headers, first = sent["recent"]
    again = svc.push("mtv", body, headers)
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["job_id"] == first.json()["job_id"]
    assert scheduler.purge_webhook_deliveries() == 0
    # the purge never shortens the replay window below the timestamp window (either way)
    with pytest.raises(psycopg.errors.InvalidParameterValue) as bad:
        svc.conn.execute("select private.purge_metrics_webhook_deliveries(interval '5 minutes', 10)")
    assert json.loads(bad.value.diag.message_detail)["problems"][0]["code"] == "too_short"


def test_the_scheduler_runs_the_purge_periodically(tmp_path):
    from tests.helpers.queue_support import make_settings
    from workers.scheduler import NightlyScheduler

    settings = make_settings(tmp_path, "postgresql://127.0.0.1:9/none", webhook_purge_interval_seconds=120)
    scheduler = NightlyScheduler(settings, settings.database_url)
    scheduler.settings = settings.model_copy(update={"sync_catchup_hours": 0})
    scheduler.start()
    try:
        job = scheduler._scheduler.get_job("purge-webhook-deliveries")
        assert job is not None and job.trigger.interval.total_seconds() == 120
    finally:
        scheduler.shutdown()
