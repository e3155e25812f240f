"""Connections, transactions, and acting as a user the way PostgREST does.

PostgREST serves each request in one transaction that switches to the request's role
(``set local role``) and exposes the JWT as ``request.jwt.claims`` (and the headers as
``request.headers``). :func:`postgrest_request` does exactly that, so services and tests reach
the database through the same RLS and grants as the frontend. :func:`call_rpc` calls a function
as ``supabase.rpc(name, {...})`` does through PostgREST: the arguments travel as one JSON body
that ``json_to_record`` converts into the function's declared parameter types (so a JSON string
where a number is expected fails with the cast error, 22P02, before the function runs), and a
body naming an unknown parameter or leaving out a required one is PostgREST's PGRST202
(:class:`FunctionNotFound`). It returns what PostgREST would send back: the body plus any
``response.status``/``response.headers`` the function set.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from workers import jsonio

jsonio.install()  # every connection's Json/Jsonb parameters: orjson (workers.jsonio)


def make_pool(conninfo: str, *, min_size: int = 1, max_size: int = 10, name: str = "mv") -> ConnectionPool:
    """A pool whose connections are checked on checkout, so a restarted database is survived."""
    return ConnectionPool(conninfo, min_size=min_size, max_size=max_size, name=name, open=True,
                          check=ConnectionPool.check_connection,
                          kwargs={"autocommit": True, "row_factory": dict_row})


class CheckWhenIdle:
    """A pool ``check`` (with :meth:`returned` as the pool's ``reset``) that pings a connection only
    when it sat in the pool for ``idle_s`` seconds or more.

    A connection handed back moments ago was working then. Pinging it before every use cost the
    worker's slots a round trip per checkout, two per batch on the way to the source's API call;
    a database that went away within the window fails the statement instead, which the callers
    retry as they retry a database lost mid-statement.
    """

    def __init__(self, idle_s: float = 1.0) -> None:
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._returned: WeakKeyDictionary[psycopg.Connection, float] = WeakKeyDictionary()

    def returned(self, conn: psycopg.Connection) -> None:
        with self._lock:
            self._returned[conn] = time.monotonic()

    def __call__(self, conn: psycopg.Connection) -> None:
        with self._lock:
            at = self._returned.get(conn)
        if at is None or time.monotonic() - at >= self.idle_s:
            ConnectionPool.check_connection(conn)


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


class FunctionNotFound(LookupError):
    """PostgREST's PGRST202: no function of that name takes exactly the body's parameters."""

    sqlstate = "PGRST202"

    def __init__(self, schema: str, name: str, sent: list[str], declared: list[str] | None) -> None:
        self.message = (f"Could not find the function {schema}.{name}({', '.join(sorted(sent))})"
                        " in the schema cache")
        self.hint = None if declared is None else f"Its parameters are ({', '.join(declared)})."
        super().__init__(self.message)


@dataclass(frozen=True)
class RpcSignature:
    """A function as PostgREST reads it: its IN parameters (names, types, required ones) and whether
    it returns rows (``composite``: a row type; ``setof``: a set), which decides the body's form."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    required: frozenset[str]
    composite: bool = False
    setof: bool = False


_SIGNATURE = """
select p.proargnames as names, coalesce(p.proargmodes::text[], '{}') as modes, p.pronargdefaults as defaults,
  array(select format_type(t.oid, null) from unnest(p.proargtypes::oid[]) with ordinality as t (oid, ord)
        order by t.ord) as types,
  r.typtype = 'c' as composite, p.proretset as setof
from pg_catalog.pg_proc as p
join pg_catalog.pg_type as r on r.oid = p.prorettype
where p.pronamespace = to_regnamespace(%s) and p.proname = %s
"""


# Per connection, like PostgREST's schema cache (which it reloads on NOTIFY pgrst): a function
# redefined later on the same connection needs rpc_signature(..., fresh=True) once.
_SIGNATURES: WeakKeyDictionary[psycopg.Connection, dict[tuple[str, str], RpcSignature | None]] = WeakKeyDictionary()


def rpc_signature(conn: psycopg.Connection, name: str, schema: str = "public", *,
                  fresh: bool = False) -> RpcSignature | None:
    """The one function ``schema.name`` (None when absent; an overload is an error, as for PostgREST)."""
    cache = _SIGNATURES.setdefault(conn, {})
    if not fresh and (schema, name) in cache:
        return cache[(schema, name)]
    cache[(schema, name)] = signature = _read_signature(conn, name, schema)
    return signature


def _read_signature(conn: psycopg.Connection, name: str, schema: str) -> RpcSignature | None:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SIGNATURE, (schema, name)).fetchall()
    if len(rows) > 1:
        raise LookupError(f"{schema}.{name} is overloaded: PostgREST cannot choose between overloads")
    if not rows:
        return None
    row = rows[0]
    modes = row["modes"] or ["i"] * len(row["types"])
    names = [n for n, m in zip(row["names"] or [], modes, strict=False) if m in ("i", "b", "v")]
    types = tuple(row["types"])
    return RpcSignature(tuple(names), types, frozenset(names[: len(names) - row["defaults"]]),
                        composite=row["composite"], setof=row["setof"])


def _json_default(value: Any) -> Any:
    """JSON for what Python callers hand over: ids and dates as strings, decimals as numbers."""
    if isinstance(value, Jsonb):
        return value.obj
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def call_rpc(conn: psycopg.Connection, name: str, params: Mapping[str, Any] | None = None, *,
             schema: str = "public") -> RpcResult:
    """Call ``schema.name`` inside the current request transaction as PostgREST does for a JSON body.

    ``params`` is the body: JSON values (numbers, booleans, strings, objects, arrays, null; ids,
    dates and decimals are sent as JSON strings/numbers). PostgREST's own statement form,
    ``select fn(a := x.a, ...) from json_to_record($1) as x(a <declared type>, ...)``, converts
    each value into the declared type. The function's result (a scalar, json, or a set of rows)
    comes back as ``body``; ``response.status``/``response.headers`` as PostgREST reads them.
    """
    params = dict(params or {})
    source, values = _rpc_source(conn, name, params, schema)
    query = sql.SQL("select {}.* from {}").format(sql.Identifier(name), source)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, values)
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
    source, values = _rpc_source(conn, name, params, schema)
    query = sql.SQL("select pg_catalog.count(_postgrest_t) as page_total, {} as body"
                    " from (select {}.* from {}) as _postgrest_t").format(
        sql.SQL(agg), sql.Identifier(name), source)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, values)
        row = cur.fetchone()
        meta = _response_settings(cur)
    text = row["body"] if row else "null"
    return _result(json.loads(text) if parse else text, meta)


def call_as_postgrest(conn: psycopg.Connection, name: str, params: Mapping[str, Any] | None = None, *,
                      parse: bool = True, schema: str = "public") -> RpcResult:
    """The body PostgREST answers for ``schema.name``: a function returning rows of a row type goes
    through :func:`call_rpc_rows` (``json_agg`` in the database; an array for ``setof``, else the one
    object), any other through :func:`call_rpc`."""
    signature = rpc_signature(conn, name, schema)
    if signature is not None and signature.composite:
        return call_rpc_rows(conn, name, params, single=not signature.setof, parse=parse, schema=schema)
    return call_rpc(conn, name, params, schema=schema)


def _rpc_source(conn: psycopg.Connection, name: str, params: Mapping[str, Any],
                schema: str) -> tuple[sql.Composed, list[Any]]:
    """PostgREST's FROM clause for a JSON body, and its one parameter.

    ``json_to_record($1) as x (a <declared type>, ...), lateral fn(a := x.a, ...) as fn``: each
    JSON value is converted into the declared type before the function runs, as PostgREST does.
    A body whose keys do not match the one function's parameters is PGRST202 (FunctionNotFound).
    """
    signature = rpc_signature(conn, name, schema)
    if signature is None or not set(params) <= set(signature.names) or not signature.required <= set(params):
        raise FunctionNotFound(schema, name, list(params), None if signature is None else list(signature.names))
    fn = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
    if not params:
        return sql.SQL("{}() as {}").format(fn, sql.Identifier(name)), []
    typed = dict(zip(signature.names, signature.types, strict=True))
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(k), sql.SQL(typed[k])) for k in params)
    args = sql.SQL(", ").join(sql.SQL("{} := x.{}").format(sql.Identifier(k), sql.Identifier(k)) for k in params)
    source = sql.SQL("json_to_record(%s::json) as x ({}), lateral {}({}) as {}").format(
        columns, fn, args, sql.Identifier(name))
    return source, [json.dumps(dict(params), default=_json_default)]


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
