"""Helpers for the plan RPC tests (create/update/drafts/cast/platform targets).

``rpc`` hands arguments to the function the way PostgREST does from a JSON body: the plan RPCs
declare scalars as ``text`` and lists/patches as ``jsonb``, and PostgREST's ``json_to_record``
gives a text argument the JSON value's text (``5`` -> ``'5'``, ``true`` -> ``'true'``) and a
jsonb argument the JSON value itself. Errors come back as :class:`RpcError` (SQLSTATE, message,
parsed detail), as PostgREST would report them.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from workers.db import call_rpc, call_rpc_rows, jwt_claims, postgrest_request

ANON = jwt_claims(role="anon")
SERVICE = jwt_claims(role="service_role")

JSONB_ARGS = {"line_items", "cast_assignments", "platform_targets", "patch", "wizard_state", "targets"}
PLAN_RPCS = ["create_music_video", "update_music_video", "save_music_video_draft", "submit_music_video",
             "get_music_video", "assign_music_video_cast", "update_music_video_cast_assignment",
             "set_music_video_platform_targets"]
# Every SQLSTATE the plan RPCs answer with on purpose (see the migrations' comments).
DOCUMENTED_CODES = {"PT404", "PT409", "PT422"}


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


def _as_postgrest(name: str, value: Any) -> Any:
    if name in JSONB_ARGS:
        return None if value is None else Jsonb(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, UUID | date):
        return str(value)
    return json.dumps(value)  # numbers, booleans, objects, arrays: their JSON text


def postgrest_args(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _as_postgrest(k, v) for k, v in params.items()}


def to_rpc_error(exc: psycopg.Error) -> RpcError:
    detail: Any = exc.diag.message_detail
    with contextlib.suppress(ValueError):
        detail = json.loads(detail) if detail else None
    return RpcError(exc.sqlstate or "", exc.diag.message_primary or str(exc), detail, exc.diag.message_hint)


def returns_rows(conn: psycopg.Connection, name: str) -> tuple[bool, bool]:
    """(whether public.name returns a composite row type, whether it returns a set of them)."""
    row = conn.execute(
        "select t.typtype = 'c' as composite, p.proretset as setof from pg_catalog.pg_proc as p"
        " join pg_catalog.pg_type as t on t.oid = p.prorettype"
        " where p.pronamespace = 'public'::regnamespace and p.proname = %s", (name,)).fetchone()
    if row is None:
        return False, False
    return (row["composite"], row["setof"]) if isinstance(row, dict) else (row[0], row[1])


def rpc(conn: psycopg.Connection, claims: dict, name: str, **params: Any) -> Any:
    """Call ``name`` as PostgREST would for ``claims``; return the body or raise RpcError.

    A function returning rows of a composite type gives PostgREST's JSON body (``json_agg`` in
    the database: ids, dates and times as JSON strings), an array for ``setof``, else one object.
    """
    composite, setof = returns_rows(conn, name)
    try:
        with postgrest_request(conn, claims) as c:
            if composite:
                return call_rpc_rows(c, name, postgrest_args(params), single=not setof).body
            return call_rpc(c, name, postgrest_args(params)).body
    except psycopg.Error as exc:
        raise to_rpc_error(exc) from exc


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
    """A plan that passes every rule: Standard band (25k-100k), YouTube target, future shoot."""
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
    plan.update(overrides)
    return {k: v for k, v in plan.items() if v is not None}


def count(conn: psycopg.Connection, query: str, *args: Any) -> int:
    return conn.execute(query, args).fetchone()["n"]
