"""The pure parsers of partner pushes: the broadcast JSON and YouTube's Atom notifications (real ones)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest

from tests.helpers.external_fixtures import fixture
from workers.sources.webhook.parser import (
    MAX_ENTRIES,
    PushRejected,
    broadcast_samples,
    parse_broadcast_push,
    parse_push_references,
    parse_youtube_notification,
)


def _body(**doc) -> bytes:
    return json.dumps(doc).encode()


def test_a_broadcast_push_is_totalled_per_video_with_its_programmes():
    a, b = uuid.uuid4(), uuid.uuid4()
    push = parse_broadcast_push(_body(date="2026-11-28", entries=[
        {"video_reference": "MTV-1", "program": "Top 20", "viewers": 1000},
        {"video_reference": "MTV-2", "program": "Top 20", "viewers": 50},
        {"video_reference": "MTV-1", "program": "Late Mix", "viewers": 250},
        {"video_reference": "MTV-1", "program": "Top 20", "viewers": 5}]))
    assert push.air_date == date(2026, 11, 28) and push.references == ["MTV-1", "MTV-2"]
    job = uuid.uuid4()
    samples = {s.external_reference: s for s in broadcast_samples(push, "mtv", {"MTV-1": a, "MTV-2": str(b)},
                                                                   import_id=job, webhook_id="msg_1")}
    one = samples["MTV-1"]
    assert one.music_video_id == a and one.views_total == 1255 and one.platform == "mtv"
    assert one.collected_at == datetime(2026, 11, 28, tzinfo=UTC) and one.import_batch_id == job
    assert one.detail["programs"] == {"Late Mix": 250, "Top 20": 1005} and one.detail["airings"] == 3
    assert one.detail["webhook_id"] == "msg_1" and one.source == "webhook:mtv"
    assert samples["MTV-2"].music_video_id == b and samples["MTV-2"].views_total == 50


@pytest.mark.parametrize("body, expected", [
    (b"not json", {("body", "invalid_json")}),
    (b"[1, 2]", {("body", "invalid_type")}),
    (_body(entries=[]), {("date", "invalid_date"), ("entries", "required")}),
    (_body(date="2026-02-30", entries=[{"video_reference": "x", "program": "p", "viewers": 1}]),
     {("date", "invalid_date")}),
    (_body(date="2026-11-28", entries=[{"video_reference": "x", "program": "p", "viewers": True},
                                       {"video_reference": " ", "program": "p" * 201, "viewers": 1.5},
                                       "nope"]),
     {("entries[0].viewers", "invalid_count"), ("entries[1].video_reference", "required"),
      ("entries[1].program", "too_long"), ("entries[1].viewers", "invalid_count"), ("entries[2]", "invalid_type")}),
    (_body(date="2026-11-28", entries=[{"video_reference": "x", "program": "p", "viewers": 1}] * (MAX_ENTRIES + 1)),
     {("entries", "too_many")}),
])
def test_a_bad_broadcast_push_lists_every_problem(body, expected):
    with pytest.raises(PushRejected) as err:
        parse_broadcast_push(body)
    assert {(p["field"], p["code"]) for p in err.value.problems} == expected


def test_samples_refuse_a_reference_that_was_not_resolved():
    push = parse_broadcast_push(_body(date="2026-11-28", entries=[
        {"video_reference": "MTV-9", "program": "p", "viewers": 1}]))
    with pytest.raises(PushRejected, match="MTV-9"):
        broadcast_samples(push, "mtv", {}, import_id=None)


def test_a_real_upload_notification_names_its_video():
    body = fixture("youtube_push", "notification_upload_2020-09.xml").read_bytes()
    assert parse_youtube_notification(body) == ["hAo6NGQlkOA"]
    assert parse_push_references("youtube", body) == ["hAo6NGQlkOA"]


def test_a_real_tombstone_names_the_deleted_video():
    body = fixture("youtube_push", "deleted_entry_2020-10.xml").read_bytes()
    assert parse_youtube_notification(body) == ["HJiD8KcZKfs"]


def test_the_documented_notification_needs_a_real_video_id():
    body = fixture("youtube_push", "notification_google_docs_example.xml").read_bytes()
    with pytest.raises(PushRejected) as err:
        parse_youtube_notification(body)  # the docs' placeholder VIDEO_ID is not an id
    assert err.value.problems[0]["code"] == "invalid_video_id"
    assert parse_youtube_notification(body.replace(b"VIDEO_ID", b"dQw4w9WgXcQ")) == ["dQw4w9WgXcQ"]


@pytest.mark.parametrize("body", [
    b"<feed",
    b"<rss><channel/></rss>",
    b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom"/>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>',
])
def test_what_is_not_a_notification_is_refused(body):
    with pytest.raises(PushRejected) as err:
        parse_youtube_notification(body)
    assert err.value.problems[0]["field"] == "body"
