"""music_video_catalogs(): the wizard's catalogs with an ETag, called exactly as PostgREST would."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers.plan_rpc import RpcError
from tests.helpers.reads import read_response, return_type
from workers.db import jwt_claims, postgrest_request

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")


class _Res:
    """The response: body the one catalog row (None for a 304), status, headers."""

    def __init__(self, res):
        self.status, self.headers = res.status, res.headers
        self.body = None if res.body is None else res.body[0]
        assert res.body is None or len(res.body) == 1


def _get(conn, claims, headers=None):
    return _Res(read_response(conn, claims, "music_video_catalogs", headers=headers or {}))


def test_owner_gets_every_catalog_with_an_etag(conn, factory):
    user = factory.user()
    res = _get(conn, user.claims())
    assert res.status is None
    body = res.body
    assert {t["name"] for t in body["themes"]} >= {"Neon Nights", "Dreamscape", "Urban Storytelling"}
    assert len(body["art_styles"]) == 6
    assert [b["name"] for b in body["budgets"]] == ["Micro", "Indie", "Standard", "Premium", "Blockbuster"]
    assert [q["tier"] for q in body["quality_tiers"]] == ["indie", "standard", "premium", "cinematic"]
    assert len(body["cast_options"]) == 8
    assert "billboard_hot_100" in {c["id"] for c in body["chart_sources"]}
    assert body["settings"]["budget_contingency_pct"] == 5
    assert set(body["themes"][0]) >= {"id", "name", "description", "visual_motifs", "genre_tags"}
    assert set(body["budgets"][0]) >= {"id", "name", "min_cost", "max_cost", "default_quality_tier", "currency_code"}
    assert isinstance(body["version"], int)
    assert res.headers["ETag"] == body["etag"]
    assert res.headers["ETag"].startswith('"v') and res.headers["ETag"].endswith('"')
    assert res.headers["Cache-Control"] == "private, max-age=0, must-revalidate"


def test_etag_round_trip_answers_304_with_no_body(conn, factory):
    user = factory.user()
    first = _get(conn, user.claims())
    etag = first.headers["ETag"]

    again = _get(conn, user.claims(), {"If-None-Match": etag})
    assert again.status == 304
    assert again.body is None
    assert again.headers["ETag"] == etag

    # a list with a weak form of the tag also matches (If-None-Match compares weakly)
    weak = _get(conn, user.claims(), {"If-None-Match": f'"v0-stale", W/{etag}'})
    assert (weak.status, weak.body) == (304, None)

    stale = _get(conn, user.claims(), {"If-None-Match": '"v0-stale"'})
    assert stale.status is None
    assert stale.body["etag"] == etag


@pytest.mark.parametrize("change", [
    "update public.music_video_themes set description = 'Retold' where name = 'Dreamscape'",
    "insert into public.music_video_art_styles (name) values ('Claymation')",
    "delete from public.music_video_cast_options where role = 'cameo'",
    "update public.music_video_settings set value = '7' where key = 'budget_contingency_pct'",
])
def test_an_admin_catalog_change_changes_the_etag(conn, factory, change):
    admin = factory.user(admin=True)
    user = factory.user()
    etag = _get(conn, user.claims()).headers["ETag"]

    with postgrest_request(conn, admin.claims()) as c:
        assert c.execute(change).rowcount >= 1

    res = _get(conn, user.claims(), {"If-None-Match": etag})
    assert res.status is None
    assert res.body["etag"] != etag
    assert res.headers["ETag"] == res.body["etag"]


def test_a_non_admin_cannot_change_catalogs_and_the_etag_stays(conn, factory):
    user = factory.user()
    etag = _get(conn, user.claims()).headers["ETag"]

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as exc, \
            postgrest_request(conn, user.claims()) as c:
        c.execute("insert into public.music_video_themes (name) values ('Sneaky')")
    assert 'violates row-level security policy for table "music_video_themes"' in str(exc.value)

    with postgrest_request(conn, user.claims()) as c:
        assert c.execute("update public.music_video_themes set description = 'x'").rowcount == 0
        assert c.execute("delete from public.music_video_budgets").rowcount == 0

    res = _get(conn, user.claims(), {"If-None-Match": etag})
    assert (res.status, res.body) == (304, None)


def test_service_role_reads_and_anon_is_refused(conn, factory):
    res = _get(conn, SERVICE)
    assert len(res.body["themes"]) == 7

    with pytest.raises(RpcError) as exc:
        _get(conn, ANON)
    assert exc.value.sqlstate == "42501"
    assert "permission denied for function music_video_catalogs" in exc.value.message


def test_catalogs_return_one_typed_row(conn):
    assert return_type(conn, "music_video_catalogs") == "SETOF music_video_catalog_set"
