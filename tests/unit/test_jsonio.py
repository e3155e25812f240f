"""JSON parameters (workers.jsonio): orjson where it can, json.dumps exactly as before where not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

import pytest
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Jsonb

import workers.db  # noqa: F401  (installs workers.jsonio.dumps as psycopg's JSON dumper)
from workers import jsonio

SAMPLES = [
    {"raw_payload": {"bucket": "music-video-raw-payloads", "path": "youtube/2026/12/01/x.json"},
     "api": {"calls": 1, "ids_in_call": 50, "http_status": 200}, "counts": {"views": 2**62, "likes": None}},
    {"unknown": ["like_count"], "ok": True, "ratio": 0.25, "text": "é \u2028 \"quoted\" <b>&</b>"},
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
    [],
    "a string",
]


@pytest.mark.parametrize("obj", SAMPLES)
def test_the_same_json_values_as_json_dumps(obj):
    out = jsonio.dumps(obj)
    assert isinstance(out, bytes)  # orjson took it
    assert json.loads(out) == json.loads(json.dumps(obj))


def test_what_orjson_cannot_encode_goes_through_json_dumps():
    big = {"count": 2**70}  # beyond 64 bits: orjson refuses, json.dumps writes it exactly
    assert jsonio.dumps(big) == json.dumps(big)
    with pytest.raises(TypeError):  # and what neither encodes fails as it did before
        jsonio.dumps({"when": object()})


def test_psycopg_dumps_jsonb_parameters_with_it():
    tx = Transformer()
    value = Jsonb({"id": 1, "names": ["a", "b"]})
    dumped = tx.get_dumper(value, PyFormat.BINARY).dump(value)
    assert bytes(dumped) == b"\x01" + jsonio.dumps(value.obj)  # jsonb's binary format: version 1, then the text


def test_ids_and_times_are_written_as_strings():
    # json.dumps refused these; orjson writes them as strings. Callers still convert them
    # (workers.db._json_default), so nothing relies on either behaviour.
    when = datetime(2026, 12, 1, tzinfo=UTC)
    assert json.loads(jsonio.dumps({"at": when, "id": UUID(int=1)})) == \
        {"at": "2026-12-01T00:00:00+00:00", "id": "00000000-0000-0000-0000-000000000001"}
