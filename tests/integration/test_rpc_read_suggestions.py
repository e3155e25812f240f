"""music_video_concept_suggestions(): theme and art-style combinations ranked by the release's genre."""

from __future__ import annotations

import pytest

from tests.helpers.plan_rpc import RpcError
from tests.helpers.reads import read, return_type
from workers.db import jwt_claims, postgrest_request

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")


def suggest(conn, claims, **params):
    return read(conn, claims, "music_video_concept_suggestions", **params)


def themes_in_order(rows):
    out = []
    for s in rows:
        if s["theme_name"] not in out:
            out.append(s["theme_name"])
    return out


def test_themes_matching_the_genre_come_first_case_insensitively(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre="HIP HOP")  # tag is "hip-hop": case, spaces and dashes ignored
    rows = suggest(conn, owner.claims(), release_id=rel, max_results=14)
    assert all(r["release_genres"] == ["HIP HOP"] for r in rows)
    assert [r["suggestion_rank"] for r in rows] == list(range(1, 15))
    first, second = rows[:2]
    # Urban Storytelling and Concert Documentary carry hip-hop; both score 3, name breaks the tie
    assert [first["theme_name"], second["theme_name"]] == ["Concert Documentary", "Urban Storytelling"]
    assert first["score"] == 3 and first["matched_tags"] == ["hip-hop"]
    # each ranked theme's first suggestion has a different art style
    assert first["art_style_name"] != second["art_style_name"]
    # both matching themes with all six styles come before any theme that does not match
    assert [s["score"] for s in rows] == [3] * 12 + [0] * 2


def test_words_of_a_multi_word_genre_also_count(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre="Indie Pop")
    rows = suggest(conn, owner.claims(), release_id=rel)
    scores = {s["theme_name"]: (s["score"], s["matched_tags"]) for s in rows}
    # Lyric Visualizer has both pop and indie; Dreamscape only indie; Road Trip neither
    assert scores["Lyric Visualizer"] == (2, ["indie", "pop"])
    assert scores["Dreamscape"] == (1, ["indie"])
    ranked = themes_in_order(rows)
    assert ranked.index("Lyric Visualizer") < ranked.index("Dreamscape")
    assert "Road Trip Americana" not in ranked[:5]
    assert len(rows) == 12


def test_every_combination_is_offered_once_without_a_genre(conn, factory):
    owner = factory.user()
    rel = factory.release(owner, genre=None)
    rows = suggest(conn, owner.claims(), release_id=rel, max_results=100)
    combos = [(s["theme_id"], s["art_style_id"]) for s in rows]
    assert len(combos) == len(set(combos)) == 7 * 6
    assert all(r["release_genres"] == [] for r in rows)
    assert {s["score"] for s in rows} == {0}


def test_a_new_theme_an_admin_adds_is_suggested(conn, factory):
    owner, admin = factory.user(), factory.user(admin=True)
    rel = factory.release(owner, genre="Reggaeton")
    with postgrest_request(conn, admin.claims()) as c:
        c.execute("insert into public.music_video_themes (name, genre_tags) values ('Carnival', '{REGGAETON,latin}')")
    rows = suggest(conn, owner.claims(), release_id=rel, max_results=1)
    assert rows[0]["theme_name"] == "Carnival"
    assert rows[0]["matched_tags"] == ["REGGAETON"]


def test_access_errors(conn, factory):
    owner, stranger, admin = factory.user(), factory.user(), factory.user(admin=True)
    rel = factory.release(owner)
    for claims, target in [(stranger.claims(), rel), (admin.claims(), rel),
                           (owner.claims(), "00000000-0000-0000-0000-000000000000"), (owner.claims(), "x")]:
        with pytest.raises(RpcError) as exc:
            suggest(conn, claims, release_id=target)
        assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Release not found")
    with pytest.raises(RpcError) as exc:
        suggest(conn, owner.claims(), release_id=rel, max_results=0)
    message = "max_results must be between 1 and 100."
    assert (exc.value.sqlstate, exc.value.message) == ("22023", message)
    assert exc.value.detail == {"problems": [{"field": "max_results", "code": "out_of_range", "message": message}]}
    with pytest.raises(RpcError) as exc:
        suggest(conn, ANON, release_id=rel)
    assert "permission denied for function music_video_concept_suggestions" in exc.value.message
    assert suggest(conn, SERVICE, release_id=rel)[0]["release_genres"] == ["pop"]


def test_suggestions_return_typed_rows(conn):
    assert return_type(conn, "music_video_concept_suggestions") == "SETOF music_video_concept_suggestion"
