"""Call the typed read RPCs (setof a composite type) the way PostgREST serves them.

PostgREST turns the request's arguments (a JSON body, or query-string values as JSON strings)
into the function's declared parameter types with ``json_to_record`` and aggregates the
returned rows with ``json_agg``: the client receives a JSON array of objects, dates, times and
ids as strings. ``read`` does the same inside ``postgrest_request`` (role, JWT claims, request
headers) and returns the parsed array, or raises :class:`tests.helpers.plan_rpc.RpcError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from tests.helpers.plan_rpc import to_rpc_error
from workers.db import postgrest_request

PARAM_TYPES = """
select a.name, format_type(a.typ, null) as type
from pg_proc as p
cross join lateral unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) as a (name, typ)
where p.oid = to_regproc(%s)
"""

RETURN_TYPE = "select pg_get_function_result(to_regproc(%s)) as result"


@dataclass
class ReadResponse:
    body: list[dict] | None
    status: int | None
    headers: dict[str, str]


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def read_response(conn: psycopg.Connection, claims: dict, name: str, *, method: str = "GET",
                  headers: dict | None = None, **params: Any) -> ReadResponse:
    """The response PostgREST would send for ``GET /rpc/<name>`` (body None: no body, e.g. 304)."""
    qualified = f"public.{name}"
    types = {r["name"]: r["type"] for r in conn.execute(PARAM_TYPES, (qualified,)).fetchall()}
    unknown = set(params) - set(types)
    assert not unknown, f"{name} has no parameter {unknown}"
    names = list(params)
    record = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(types[n])) for n in names)  # types from pg_proc
    args = sql.SQL(", ").join(
        sql.SQL("{} => _a.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in names)
    source = (sql.SQL("json_to_record(%s::json) as _a ({}) cross join lateral ").format(record)
              if names else sql.SQL(""))
    query = sql.SQL("select coalesce(json_agg(_t), '[]')::text as body from {}public.{}({}) as _t").format(
        source, sql.Identifier(name), args)
    payload = json.dumps({n: _json_value(v) for n, v in params.items()})
    try:
        with postgrest_request(conn, claims, method=method, headers=headers) as c:
            row = c.execute(query, (payload,) if names else ()).fetchone()
            meta = c.execute("select current_setting('response.status', true) as status,"
                             " current_setting('response.headers', true) as headers").fetchone()
    except psycopg.Error as exc:
        raise to_rpc_error(exc) from exc
    status = int(meta["status"]) if meta["status"] else None
    hdrs: dict[str, str] = {}
    for item in json.loads(meta["headers"] or "[]"):
        hdrs.update(item)
    return ReadResponse(None if status == 304 else json.loads(row["body"]), status, hdrs)


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
