"""Call the typed read RPCs (setof a composite type) the way PostgREST serves them.

PostgREST turns the request's arguments (a JSON body, or query-string values as JSON strings)
into the function's declared parameter types with ``json_to_record`` and aggregates the
returned rows with ``json_agg``: the client receives a JSON array of objects, dates, times and
ids as strings. ``read`` does the same inside ``postgrest_request`` (role, JWT claims, request
headers) and returns the parsed array, or raises :class:`tests.helpers.plan_rpc.RpcError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from tests.helpers.plan_rpc import RpcError, to_rpc_error
from workers.db import FunctionNotFound, call_rpc_rows, postgrest_request

RETURN_TYPE = "select pg_get_function_result(to_regproc(%s)) as result"


@dataclass
class ReadResponse:
    body: list[dict] | None
    status: int | None
    headers: dict[str, str]


def read_response(conn: psycopg.Connection, claims: dict, name: str, *, method: str = "GET",
                  headers: dict | None = None, **params: Any) -> ReadResponse:
    """The response PostgREST would send for ``GET /rpc/<name>`` (body None: no body, e.g. 304).

    workers.db.call_rpc_rows is the one PostgREST-style call (``json_to_record`` with the declared
    parameter types, ``json_agg`` of the rows); a key the function does not take is PGRST202.
    """
    try:
        with postgrest_request(conn, claims, method=method, headers=headers) as c:
            result = call_rpc_rows(c, name, params)
    except psycopg.Error as exc:
        raise to_rpc_error(exc) from exc
    except FunctionNotFound as exc:
        raise RpcError(exc.sqlstate, exc.message, None, exc.hint) from exc
    return ReadResponse(None if result.status == 304 else result.body, result.status, result.headers)


def read(conn: psycopg.Connection, claims: dict, name: str, **params: Any) -> list[dict]:
    """The JSON array of rows PostgREST would send for ``GET /rpc/<name>?<params>``."""
    return read_response(conn, claims, name, **params).body


def return_type(conn: psycopg.Connection, name: str) -> str:
    """pg_get_function_result of public.<name> (the one overload): what the type generator reads."""
    return conn.execute(RETURN_TYPE, (f"public.{name}",)).fetchone()["result"]


def next_page(rows: list[dict], key: str = "next_cursor") -> Any:
    """The paging key of a page: carried by its last row only, when another page follows."""
    assert all(r[key] is None for r in rows[:-1]), f"only the last row carries {key}"
    return rows[-1][key] if rows else None


def panel(conn: psycopg.Connection, claims: dict, video_id: Any) -> dict:
    """get_music_video's one row (supabase-js ``.single()``): the plan document's keys as columns."""
    rows = read(conn, claims, "get_music_video", id=str(video_id))
    assert len(rows) == 1, rows
    return rows[0]


def timeline_items(lanes: list[dict]) -> list[dict]:
    """The items of music_video_release_timeline's lanes, each with its lane's ``music_video_id``,
    lane after lane (the order the RPC returns), every field present (the RPC leaves a null out:
    read a missing key as null, as the API reference says)."""
    return [{"music_video_id": lane["music_video_id"], **dict.fromkeys(TIMELINE_ITEM_FIELDS), **item}
            for lane in lanes for item in lane["items"]]


TIMELINE_ITEM_FIELDS = ("date", "kind", "source", "id", "label", "owner_id", "done", "done_at", "overdue",
                        "starts_at", "time_zone", "platform")
