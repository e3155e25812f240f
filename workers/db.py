"""Connections, transactions, and acting as a user the way PostgREST does.

PostgREST serves each request in one transaction that switches to the request's role
(``set local role``) and exposes the JWT as ``request.jwt.claims`` (and the headers as
``request.headers``). :func:`postgrest_request` does exactly that, so services and tests reach
the database through the same RLS and grants as the frontend. :func:`call_rpc` calls a function
with named arguments, as ``supabase.rpc(name, {...})`` does, and returns what PostgREST would
send back: the body plus any ``response.status``/``response.headers`` the function set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool


def make_pool(conninfo: str, *, min_size: int = 1, max_size: int = 10, name: str = "mv") -> ConnectionPool:
    """A pool whose connections are checked on checkout, so a restarted database is survived."""
    return ConnectionPool(conninfo, min_size=min_size, max_size=max_size, name=name, open=True,
                          check=ConnectionPool.check_connection,
                          kwargs={"autocommit": True, "row_factory": dict_row})


def jwt_claims(*, role: str = "authenticated", sub: UUID | str | None = None,
               email: str | None = None, app_metadata: Mapping | None = None, **extra: Any) -> dict:
    claims: dict[str, Any] = {"role": role, "aud": role if role != "anon" else "authenticated"}
    if sub is not None:
        claims["sub"] = str(sub)
    if email is not None:
        claims["email"] = email
    if app_metadata is not None:
        claims["app_metadata"] = dict(app_metadata)
    claims.update(extra)
    return claims


@contextmanager
def postgrest_request(conn: psycopg.Connection, claims: Mapping[str, Any], *,
                      headers: Mapping[str, str] | None = None, method: str = "POST",
                      path: str = "/") -> Iterator[psycopg.Connection]:
    """One request: a transaction running as ``claims['role']`` with the JWT claims set.

    The transaction commits when the block ends normally and rolls back on an exception, as
    PostgREST does. Nest it in an outer ``conn.transaction()`` to roll everything back in tests.
    """
    role = claims.get("role", "anon")
    with conn.transaction():
        conn.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true),"
            " set_config('request.headers', %s, true), set_config('request.method', %s, true),"
            " set_config('request.path', %s, true)",
            (role, json.dumps(dict(claims)), json.dumps({k.lower(): v for k, v in (headers or {}).items()}),
             method, path))
        yield conn


@dataclass
class RpcResult:
    body: Any
    status: int | None
    headers: dict[str, str]


def _adapt(value: Any) -> Any:
    """JSON-ish values as PostgREST passes them: objects/arrays as jsonb, ids and dates as strings."""
    if isinstance(value, dict | list):
        return Jsonb(value)
    if isinstance(value, UUID | date | datetime):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    return value


def call_rpc(conn: psycopg.Connection, name: str, params: Mapping[str, Any] | None = None, *,
             schema: str = "public") -> RpcResult:
    """Call ``schema.name(param => value, ...)`` inside the current request transaction.

    dict and list values travel as jsonb. The function's result (a scalar, json, or a set of
    rows) comes back as ``body``; ``response.status``/``response.headers`` as PostgREST reads them.
    """
    params = dict(params or {})
    query = sql.SQL("select * from {}").format(_rpc_call(name, params, schema))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, [_adapt(v) for v in params.values()])
        rows = cur.fetchall()
        cols = [d.name for d in cur.description or []]
        meta = _response_settings(cur)
    if len(cols) == 1 and cols[0] == name:  # scalar-returning function: unwrap like PostgREST
        body = rows[0][name] if rows else None
    else:
        body = rows
    return _result(body, meta)


def call_rpc_rows(conn: psycopg.Connection, name: str, params: Mapping[str, Any] | None = None, *,
                  single: bool = False, parse: bool = True, schema: str = "public") -> RpcResult:
    """Call a function returning rows (``setof`` a composite, or ``single``: one composite) and
    return the body exactly as PostgREST builds it: the rows aggregated by ``json_agg`` inside
    the database (an array; for ``single`` the one object, or None), parsed from its JSON text
    (``parse=False``: the text itself, which is what PostgREST forwards). Serialising in the
    database is part of the request's cost; benchmarks time this.
    """
    params = dict(params or {})
    agg = "coalesce((json_agg(_postgrest_t) -> 0)::text, 'null')" if single else \
        "coalesce(json_agg(_postgrest_t), '[]')::text"
    query = sql.SQL("select pg_catalog.count(_postgrest_t) as page_total, {} as body"
                    " from (select pgrst_call.* from {} as pgrst_call) as _postgrest_t").format(
        sql.SQL(agg), _rpc_call(name, params, schema))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, [_adapt(v) for v in params.values()])
        row = cur.fetchone()
        meta = _response_settings(cur)
    text = row["body"] if row else "null"
    return _result(json.loads(text) if parse else text, meta)


def _rpc_call(name: str, params: Mapping[str, Any], schema: str) -> sql.Composed:
    args = sql.SQL(", ").join(
        sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder()) for k in params)
    return sql.SQL("{}.{}({})").format(sql.Identifier(schema), sql.Identifier(name), args)


def _response_settings(cur: psycopg.Cursor) -> dict | None:
    cur.execute("select current_setting('response.status', true) as status,"
                " current_setting('response.headers', true) as headers")
    return cur.fetchone()


def _result(body: Any, meta: Mapping[str, Any] | None) -> RpcResult:
    status = int(meta["status"]) if meta and meta["status"] else None
    hdrs: dict[str, str] = {}
    if meta and meta["headers"]:
        for item in json.loads(meta["headers"]):
            hdrs.update(item)
    return RpcResult(body=body, status=status, headers=hdrs)
