"""Standard Webhooks verification as the service runs it, without the network: secrets, rotation,
malformed headers, the timestamp window; a malformed secret stops the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.webhooks import SECRET_NEW, SECRET_OLD, SECRET_YOUTUBE, signed_headers
from workers.config import load_settings
from workers.errors import ConfigError
from workers.service.app import create_app
from workers.service.responses import ServiceProblem
from workers.service.webhooks import verifiers, verify

BODY = b'{"date": "2026-11-28", "entries": []}'


def _hooks(*secrets):
    return verifiers(load_settings(_env_file=None, webhook_secrets={"mtv": list(secrets)}))["mtv"]


def _refusal(hooks, headers, body=BODY) -> tuple[int, str]:
    with pytest.raises(ServiceProblem) as err:
        verify(hooks, body, headers)
    return err.value.status, err.value.problems[0]["code"]


def test_either_secret_of_a_rotation_verifies():
    hooks = _hooks(SECRET_OLD, SECRET_NEW)
    for secret in (SECRET_OLD, SECRET_NEW):
        assert verify(hooks, BODY, signed_headers(secret, BODY, msg_id="msg_x")) == "msg_x"
    assert _refusal(hooks, signed_headers(SECRET_YOUTUBE, BODY)) == (401, "bad_signature")
    assert _refusal(_hooks(SECRET_NEW), signed_headers(SECRET_OLD, BODY)) == (401, "bad_signature")


@pytest.mark.parametrize("signature", ["v1", "v1,not base64!", "v2,AAAA", "", "v1,AAAA v1"])
def test_a_malformed_signature_is_a_bad_signature_not_a_crash(signature):
    headers = signed_headers(SECRET_NEW, BODY) | {"webhook-signature": signature}
    expected = (400, "missing_header") if not signature else (401, "bad_signature")
    assert _refusal(_hooks(SECRET_NEW), headers) == expected


@pytest.mark.parametrize("shift, timestamp", [(timedelta(minutes=-6), None), (timedelta(minutes=6), None),
                                              (timedelta(0), "yesterday")])
def test_the_timestamp_window_is_checked_first(shift, timestamp):
    headers = signed_headers(SECRET_NEW, BODY, at=datetime.now(UTC) + shift)
    if timestamp:
        headers["webhook-timestamp"] = timestamp
    assert _refusal(_hooks(SECRET_NEW), headers) == (401, "stale_timestamp")


def test_a_body_that_is_not_utf8_is_refused():
    headers = signed_headers(SECRET_NEW, BODY)
    assert _refusal(_hooks(SECRET_NEW), headers, b"\xff\xfe") == (400, "invalid_encoding")


def test_a_malformed_secret_stops_the_service_from_starting():
    settings = load_settings(_env_file=None, database_url="postgresql://x@127.0.0.1:1/x",
                             webhook_secrets={"mtv": ["whsec_!!!not-base64"]})
    with pytest.raises(ConfigError, match="MV_WEBHOOK_SECRETS"):
        create_app(settings)
