"""Hostile writes through PostgREST's table endpoints, with real commits.

The plan rules past draft are judged by a deferred trigger at COMMIT (20261130150200), which the
pgTAP files can only imitate with ``set constraints all immediate`` inside a transaction that
is rolled back. Here each request is its own committed transaction, as PostgREST runs it.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.helpers.plan_rpc import rpc, valid_plan
from workers.db import postgrest_request


@pytest.fixture
def owner(factory):
    return factory.user()


@pytest.fixture
def planned(conn, factory, owner):
    release = factory.release(owner)
    doc = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))
    assert doc["status"] == "planned"
    return doc


def table_write(conn, claims, *statements):
    """One PostgREST-like request running the statements; the PT422 raised at commit, if any."""
    try:
        with postgrest_request(conn, claims, method="PATCH"):
            for statement, params in statements:
                conn.execute(statement, params)
    except psycopg.Error as exc:
        return exc
    return None


def problems(exc):
    return [(p["field"], p["code"]) for p in json.loads(exc.diag.message_detail)["problems"]]


def test_a_line_item_of_two_billion_is_refused_at_commit(conn, owner, planned):
    vid = planned["id"]
    exc = table_write(conn, owner.claims(), (
        "update public.music_video_budget_line_items set amount = 2000000000 where music_video_id = %s", (vid,)))
    assert exc is not None and exc.sqlstate == "PT422"
    assert problems(exc) == [("line_items", "budget_over_contingency")]
    total = conn.execute("select sum(amount) as s from public.music_video_budget_line_items"
                         " where music_video_id = %s", (vid,)).fetchone()["s"]
    assert total < 2_000_000_000  # rolled back


def test_deleting_every_platform_target_is_refused(conn, owner, planned):
    vid = planned["id"]
    exc = table_write(conn, owner.claims(), (
        "delete from public.music_video_platform_targets where music_video_id = %s", (vid,)))
    assert exc is not None and exc.sqlstate == "PT422"
    assert problems(exc) == [("platform_targets", "required")]
    assert conn.execute("select count(*) as n from public.music_video_platform_targets"
                        " where music_video_id = %s", (vid,)).fetchone()["n"] >= 1


def test_shoot_end_before_start_is_refused(conn, owner, planned):
    exc = table_write(conn, owner.claims(), (
        "update public.music_videos set shoot_end_date = shoot_start_date - 3 where id = %s", (planned["id"],)))
    assert exc is not None and exc.sqlstate == "PT422"
    assert problems(exc) == [("shoot_end_date", "before_start")]


def test_a_multi_statement_request_is_judged_on_its_end_state(conn, owner, planned):
    vid = planned["id"]
    exc = table_write(
        conn, owner.claims(),
        ("delete from public.music_video_platform_targets where music_video_id = %s", (vid,)),
        ("insert into public.music_video_platform_targets (music_video_id, platform, launch_url)"
         " values (%s, 'youtube', 'https://youtu.be/dQw4w9WgXcQ')", (vid,)))
    assert exc is None
    exc = table_write(conn, owner.claims(), (
        "update public.music_videos set narrative_outline = 'fine' where id = %s", (vid,)))
    assert exc is None
    assert conn.execute("select count(*) as n from private.music_video_plan_checks").fetchone()["n"] == 0


def test_the_rpcs_pass_through_the_same_commit_check(conn, owner, planned):
    doc = rpc(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=planned["id"],
              targets=[{"platform": "youtube", "launch_url": "https://youtu.be/dQw4w9WgXcQ"}, {"platform": "mtv"}])
    assert {t["platform"] for t in doc["platform_targets"]} == {"youtube", "mtv"}
