"""music_video_concept_suggestions(): theme and art-style combinations ranked by the release's genre."""

from __future__ import annotations

import json
from uuid import UUID

import psycopg
import pytest

from workers.db import call_rpc, jwt_claims, postgrest_request

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")


def suggest(conn, claims, **params):
    params = {k: str(v) if isinstance(v, UUID) else v for k, v in params.items()}  # JSON strings, as PostgREST
    with postgrest_request(conn, claims, method="GET") as c:
        return call_rpc(c, "music_video_concept_suggestions", params).body


def themes_in_order(body):
    out = []
    for s in body["suggestions"]:
        if s["theme"]["name"] not in out:
            out.append(s["theme"]["name"])
    return out


def test_themes_matching_the_genre_come_first_case_insensitively(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre="HIP HOP")  # tag is "hip-hop": case, spaces and dashes ignored
    body = suggest(conn, owner.claims(), release_id=rel, max_results=14)
    assert body["genres"] == ["HIP HOP"]
    first, second = body["suggestions"][:2]
    # Urban Storytelling and Concert Documentary carry hip-hop; both score 3, name breaks the tie
    assert [first["theme"]["name"], second["theme"]["name"]] == ["Concert Documentary", "Urban Storytelling"]
    assert first["score"] == 3 and first["matched_tags"] == ["hip-hop"]
    # each ranked theme's first suggestion has a different art style
    assert first["art_style"]["name"] != second["art_style"]["name"]
    # both matching themes with all six styles come before any theme that does not match
    assert [s["score"] for s in body["suggestions"]] == [3] * 12 + [0] * 2


def test_words_of_a_multi_word_genre_also_count(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre="Indie Pop")
    body = suggest(conn, owner.claims(), release_id=rel)
    scores = {s["theme"]["name"]: (s["score"], s["matched_tags"]) for s in body["suggestions"]}
    # Lyric Visualizer has both pop and indie; Dreamscape only indie; Road Trip neither
    assert scores["Lyric Visualizer"] == (2, ["indie", "pop"])
    assert scores["Dreamscape"] == (1, ["indie"])
    ranked = themes_in_order(body)
    assert ranked.index("Lyric Visualizer") < ranked.index("Dreamscape")
    assert "Road Trip Americana" not in ranked[:5]
    assert len(body["suggestions"]) == 12


def test_every_combination_is_offered_once_without_a_genre(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre=None)
    body = suggest(conn, owner.claims(), release_id=rel, max_results=100)
    combos = [(s["theme"]["id"], s["art_style"]["id"]) for s in body["suggestions"]]
    assert len(combos) == len(set(combos)) == 7 * 6
    assert body["genres"] == []
    assert {s["score"] for s in body["suggestions"]} == {0}


def test_a_new_theme_an_admin_adds_is_suggested(conn, factory):
    owner, admin = factory.user(), factory.user(admin=True)
    rel = factory.release(owner, genre="Reggaeton")
    with postgrest_request(conn, admin.claims()) as c:
        c.execute("insert into public.music_video_themes (name, genre_tags) values ('Carnival', '{REGGAETON,latin}')")
    body = suggest(conn, owner.claims(), release_id=rel, max_results=1)
    assert body["suggestions"][0]["theme"]["name"] == "Carnival"
    assert body["suggestions"][0]["matched_tags"] == ["REGGAETON"]


def test_access_errors(conn, factory):
    owner, stranger = factory.user(), factory.user()
    rel = factory.release(owner)
    for claims, target in [(stranger.claims(), rel), (owner.claims(), "00000000-0000-0000-0000-000000000000")]:
        with pytest.raises(psycopg.Error) as exc:
            suggest(conn, claims, release_id=target)
        assert exc.value.sqlstate == "PT404"
        assert exc.value.diag.message_primary == "Release not found"
    with pytest.raises(psycopg.Error) as exc:
        suggest(conn, owner.claims(), release_id=rel, max_results=0)
    assert exc.value.sqlstate == "22023"
    assert exc.value.diag.message_primary == "Invalid number of suggestions"
    assert json.loads(exc.value.diag.message_detail) == {"max_results": "must be between 1 and 100"}
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as exc:
        suggest(conn, ANON, release_id=rel)
    assert "permission denied for function music_video_concept_suggestions" in str(exc.value)
    assert suggest(conn, SERVICE, release_id=rel)["genres"] == ["pop"]
