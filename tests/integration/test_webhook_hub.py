"""Google's hub (PubSubHubbub) talking to the running service at the youtube source's path: the
verification of intent (GET with hub.challenge) and notifications signed with X-Hub-Signature,
with the real Atom notifications of tests/fixtures/external/youtube_push/."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.external_fixtures import fixture
from tests.helpers.webhooks import (
    HUB_TOPIC,
    SECRET_NEW,
    SECRET_YOUTUBE,
    SECRET_YOUTUBE_NEW,
    Service,
    hub_signed_headers,
    signed_headers,
)
from workers.service.hub import hub_delivery_id
from workers.storage import RAW_PAYLOAD_BUCKET

pytestmark = pytest.mark.slow

HUB_PATH = "/functions/v1/metrics-webhook/youtube"


def _verify(svc: Service, source: str = "youtube", **params: str):
    return svc.http.get(f"{svc.base}/functions/v1/metrics-webhook/{source}", params=params)


def _youtube_video(svc: Service, yt_id: str, strategy: str = "webhook"):
    vid = svc.factory.video(svc.factory.release(svc.factory.user()), sync_strategy=strategy)
    svc.conn.execute("insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
                     " values (%s, 'youtube', %s)", (vid, yt_id))
    return vid


def _jobs(svc: Service, vid) -> list[dict]:
    return svc.conn.execute("select id, source, status::text as status, metadata from public.music_video_metric_imports"
                            " where music_video_id = %s", (vid,)).fetchall()


def test_the_hub_verification_is_answered_with_the_challenge_for_a_wanted_topic_only(webhook_service: Service):
    svc = webhook_service
    challenge = f"challenge-{uuid.uuid4().hex}"
    r = _verify(svc, **{"hub.mode": "subscribe", "hub.topic": HUB_TOPIC, "hub.challenge": challenge,
                        "hub.lease_seconds": "432000"})
    assert r.status_code == 200 and r.text == challenge  # the challenge as the body, nothing else
    assert r.headers["content-type"].startswith("text/plain")

    other = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UC_not_ours"
    r = _verify(svc, **{"hub.mode": "subscribe", "hub.topic": other, "hub.challenge": challenge,
                        "hub.lease_seconds": "432000"})
    assert r.status_code == 404 and challenge not in r.text
    assert r.json()["problems"][0]["code"] == "unwanted_topic"
    # an unsubscription is confirmed for a topic we no longer want, not for one we want
    assert _verify(svc, **{"hub.mode": "unsubscribe", "hub.topic": other, "hub.challenge": "c1"}).text == "c1"
    assert _verify(svc, **{"hub.mode": "unsubscribe", "hub.topic": HUB_TOPIC, "hub.challenge": "c2"}).status_code == 404
    # no challenge, an unknown mode, another source
    r = _verify(svc, **{"hub.mode": "subscribe", "hub.topic": HUB_TOPIC})
    assert r.status_code == 400 and r.json()["problems"][0]["field"] == "hub.challenge"
    assert _verify(svc, **{"hub.mode": "publish", "hub.topic": HUB_TOPIC}).status_code == 400
    assert _verify(svc, "mtv", **{"hub.mode": "subscribe", "hub.topic": HUB_TOPIC,
                                  "hub.challenge": challenge}).status_code == 404
    # the hub telling us it denied the subscription is acknowledged
    assert _verify(svc, **{"hub.mode": "denied", "hub.topic": HUB_TOPIC, "hub.reason": "x"}).status_code == 200


def test_a_hub_notification_signed_with_x_hub_signature_enqueues_a_sync(webhook_service: Service):
    svc = webhook_service
    body = fixture("youtube_push", "notification_upload_2020-09.xml").read_bytes()  # the real one, as sent
    vid = _youtube_video(svc, "hAo6NGQlkOA")
    r = svc.push("youtube", body, hub_signed_headers(SECRET_YOUTUBE, body))
    assert r.status_code == 202, r.text
    assert r.json()["webhook_id"] == hub_delivery_id(body)
    [job] = _jobs(svc, vid)
    assert str(job["id"]) == r.json()["job_id"] and job["source"] == "youtube"
    assert job["metadata"]["trigger"] == "webhook"
    path = svc.conn.execute("select raw_payload_path from private.metrics_webhook_deliveries"
                            " where source = 'youtube' and webhook_id = %s", (hub_delivery_id(body),)
                            ).fetchone()["raw_payload_path"]
    assert svc.storage.objects[(RAW_PAYLOAD_BUCKET, path)][0] == body
    # the hub's retry of the same notification is a replay (the body's hash is its id)
    stored = {k for k in svc.storage.objects if k[0] == RAW_PAYLOAD_BUCKET}
    again = svc.push("youtube", body, hub_signed_headers(SECRET_YOUTUBE_NEW, body))  # the rotated secret too
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["job_id"] == str(job["id"])
    assert {k for k in svc.storage.objects if k[0] == RAW_PAYLOAD_BUCKET} == stored
    assert len(_jobs(svc, vid)) == 1


def test_a_deletion_notification_and_the_other_signature_methods(webhook_service: Service):
    svc = webhook_service
    body = fixture("youtube_push", "deleted_entry_2020-10.xml").read_bytes()
    yt_id = body.split(b'ref="yt:video:')[1].split(b'"')[0].decode()
    vid = _youtube_video(svc, yt_id)
    r = svc.push("youtube", body, hub_signed_headers(SECRET_YOUTUBE_NEW, body, method="sha256"))
    assert r.status_code == 202, r.text
    assert [str(j["id"]) for j in _jobs(svc, vid)] == [r.json()["job_id"]]


def test_a_bad_hub_signature_is_refused_and_nothing_is_kept(webhook_service: Service):
    svc = webhook_service
    yt_id = uuid.uuid4().hex[:11]
    vid = _youtube_video(svc, yt_id)
    body = fixture("youtube_push", "notification_google_docs_example.xml").read_bytes().replace(
        b"VIDEO_ID", yt_id.encode())
    before = {k for k in svc.storage.objects if k[0] == RAW_PAYLOAD_BUCKET}
    for headers in (hub_signed_headers(SECRET_NEW, body),  # another source's secret
                    hub_signed_headers(SECRET_YOUTUBE, body + b" "),  # signed another body
                    {"x-hub-signature": "md5=abc", "content-type": "application/atom+xml"},
                    {"x-hub-signature": "sha1=", "content-type": "application/atom+xml"}):
        r = svc.push("youtube", body, headers)
        assert r.status_code == 401, headers
        [p] = r.json()["problems"]
        assert (p["field"], p["code"]) == ("x-hub-signature", "bad_signature")
    assert _jobs(svc, vid) == [] and {k for k in svc.storage.objects if k[0] == RAW_PAYLOAD_BUCKET} == before
    # the hub's rules hold for videos as for every push: a video that does not sync by webhook
    sched_id = uuid.uuid4().hex[:11]
    sched = _youtube_video(svc, sched_id, strategy="scheduled")
    body = body.replace(yt_id.encode(), sched_id.encode())
    r = svc.push("youtube", body, hub_signed_headers(SECRET_YOUTUBE, body))
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "wrong_sync_strategy"
    assert _jobs(svc, sched) == []


def test_only_the_youtube_source_takes_the_hub_signature(webhook_service: Service):
    svc = webhook_service
    body = b'{"date": "2026-11-28", "entries": []}'
    r = svc.push("mtv", body, hub_signed_headers(SECRET_NEW, body) | {"content-type": "application/json"})
    assert r.status_code == 400  # the partners sign per Standard Webhooks: their headers are required
    assert {p["field"] for p in r.json()["problems"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    # and a relay's Standard Webhooks signature still works for youtube (checked first when present)
    yt_id = uuid.uuid4().hex[:11]
    vid = _youtube_video(svc, yt_id)
    atom = fixture("youtube_push", "notification_google_docs_example.xml").read_bytes().replace(
        b"VIDEO_ID", yt_id.encode())
    headers = signed_headers(SECRET_YOUTUBE, atom, content_type="application/atom+xml")
    r = svc.push("youtube", atom, headers | {"x-hub-signature": "sha1=0000"})
    assert r.status_code == 202 and [str(j["id"]) for j in _jobs(svc, vid)] == [r.json()["job_id"]]
