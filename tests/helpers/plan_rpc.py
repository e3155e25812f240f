"""Helpers for the plan RPC tests (create/update/drafts/cast/platform targets).

``rpc`` calls a function the way PostgREST does for a JSON body (``workers.db.call_rpc``: the
body goes through ``json_to_record`` into the declared parameter types), so tests send real
JSON numbers, booleans and strings. Errors come back as :class:`RpcError` (SQLSTATE, message,
parsed detail), as PostgREST would report them; a body naming an unknown parameter or missing a
required one is PostgREST's PGRST202.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from workers.db import FunctionNotFound, call_as_postgrest, jwt_claims, postgrest_request

ANON = jwt_claims(role="anon")
SERVICE = jwt_claims(role="service_role")

PLAN_RPCS = ["create_music_video", "update_music_video", "save_music_video_draft", "submit_music_video",
             "get_music_video", "assign_music_video_cast", "update_music_video_cast_assignment",
             "set_music_video_platform_targets"]
# Every SQLSTATE the plan RPCs answer with on purpose (see the migrations' comments).
DOCUMENTED_CODES = {"PT404", "PT409", "PT422"}
# PostgREST's answer to a body naming an unknown parameter or leaving out a required one.
NO_SUCH_FUNCTION = "PGRST202"


def is_cast_error(sqlstate: str) -> bool:
    """What PostgREST's conversion of the JSON body into the declared types answers for a value
    of the wrong type: a data exception (class 22: invalid text 22P02, a malformed or impossible
    date 22007/22008/22009, a number out of range 22003), never our own 22023."""
    return sqlstate.startswith("22") and sqlstate != "22023"


@dataclass
class RpcError(Exception):
    sqlstate: str
    message: str
    detail: Any
    hint: str | None

    @property
    def problems(self) -> list[dict]:
        return (self.detail or {}).get("problems", []) if isinstance(self.detail, dict) else []

    def codes(self) -> list[tuple[str, str]]:
        return [(p["field"], p["code"]) for p in self.problems]


def to_rpc_error(exc: psycopg.Error) -> RpcError:
    detail: Any = exc.diag.message_detail
    with contextlib.suppress(ValueError):
        detail = json.loads(detail) if detail else None
    return RpcError(exc.sqlstate or "", exc.diag.message_primary or str(exc), detail, exc.diag.message_hint)


def rpc(conn: psycopg.Connection, claims: dict, name: str, **params: Any) -> Any:
    """Call ``name`` as PostgREST would for ``claims``; return the body or raise RpcError.

    A function returning rows of a composite type gives PostgREST's JSON body (``json_agg`` in
    the database: ids, dates and times as JSON strings), an array for ``setof``, else one object.
    """
    try:
        with postgrest_request(conn, claims) as c:
            return call_as_postgrest(c, name, params).body
    except psycopg.Error as exc:
        raise to_rpc_error(exc) from exc
    except FunctionNotFound as exc:
        raise RpcError(exc.sqlstate, exc.message, None, exc.hint) from exc


def rpc_error(conn: psycopg.Connection, claims: dict, name: str, **params: Any) -> RpcError:
    try:
        body = rpc(conn, claims, name, **params)
    except RpcError as err:
        return err
    raise AssertionError(f"{name} succeeded but an error was expected: {json.dumps(body)[:500]}")


def catalog_id(conn: psycopg.Connection, table: str, name: str) -> str:
    return str(conn.execute(f"select id from public.{table} where name = %s", (name,)).fetchone()["id"])


def cast_id(conn: psycopg.Connection, name: str) -> str:
    return catalog_id(conn, "music_video_cast_options", name)


def today() -> date:
    return datetime.now(UTC).date()


def future(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def valid_plan(conn: psycopg.Connection, release_id: Any, **overrides: Any) -> dict:
    """A plan that passes every rule: Standard band (25k-100k), YouTube target, future shoot.

    An override of None is sent as JSON null (for a required parameter: the rules' "required"
    problem); to leave a parameter out, ``pop`` it from the result.
    """
    plan = {
        "release_id": str(release_id),
        "title": "Midnight Drive",
        "video_theme_id": catalog_id(conn, "music_video_themes", "Neon Nights"),
        "art_style_id": catalog_id(conn, "music_video_art_styles", "Cyberpunk Neon"),
        "budget_band_id": catalog_id(conn, "music_video_budgets", "Standard"),
        "quality_tier": "standard",
        "target_release_date": future(200),
        "shoot_start_date": future(100),
        "shoot_end_date": future(102),
        "kpi_view_target": 1_000_000,
        "kpi_chart_target": "billboard_hot_100",
        "line_items": [{"category": "direction", "amount": 30000}, {"category": "post", "amount": 20000}],
        "platform_targets": [{"platform": "youtube", "launch_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}],
    }
    plan.update(overrides)  # an override of None sends JSON null
    return plan


def count(conn: psycopg.Connection, query: str, *args: Any) -> int:
    return conn.execute(query, args).fetchone()["n"]
