"""The API contract, generated from the database: TypeScript types and the API reference.

    python -m devtools contract generate    writes both files
    python -m devtools contract check       exits 1 with a diff when either is stale

Both come from a scratch clone of the migrated template (:mod:`devtools.testdb`: the baseline,
every migration and the seed applied to an empty database), never from a local database's state.

- ``supabase/types/database.types.ts``: Supabase's own generator, ``@supabase/postgres-meta``
  (what ``supabase gen types typescript`` runs), from ``tools/node_modules``.
- ``docs/api-reference.md``: every RPC of the ``public`` schema with its signature from
  ``pg_proc`` (parameters, types, required or optional, defaults, the return type and the columns
  of a table or composite return) and its ``COMMENT`` (Markdown: purpose, endpoint, input shapes,
  returns, errors); the enums those use; the tables and views the frontend reads directly.

Output is deterministic: everything is ordered by name, nothing depends on time or the server.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from devtools import testdb
from devtools.errors import DevToolsError
from devtools.paths import PROJECT_ROOT

TYPES_PATH = Path("supabase/types/database.types.ts")
REFERENCE_PATH = Path("docs/api-reference.md")
POSTGRES_META = Path("tools/node_modules/@supabase/postgres-meta/dist/server/server.js")

# The sections every RPC's comment carries (tests/integration/test_contract.py holds them to it);
# "Input shapes:" only where the function takes a jsonb parameter.
COMMENT_SECTIONS = ("Endpoint:", "Returns:", "Errors:")
INPUT_SHAPES = "Input shapes:"


class ContractError(DevToolsError):
    """The contract cannot be generated (no Node, no postgres-meta, the generator failed)."""


@dataclass(frozen=True)
class Contract:
    """The generated files, by path relative to the checkout."""

    files: dict[Path, str]


# --- the scratch database ----------------------------------------------------------------------


@contextmanager
def scratch_database(admin: str | None = None) -> Iterator[str]:
    """A clone of the migrated template (built when the SQL changed), dropped afterwards."""
    admin = admin or testdb.admin_url()
    name = testdb.clone_database(admin, testdb.ensure_template(admin), prefix="mv_contract")
    try:
        yield testdb.with_dbname(admin, name)
    finally:
        testdb.drop_database(admin, name)


# --- TypeScript types --------------------------------------------------------------------------


def postgres_meta_script(root: Path = PROJECT_ROOT) -> Path | None:
    """postgres-meta's server script when ``scripts/bootstrap`` installed it, else None."""
    script = root / POSTGRES_META
    return script if script.is_file() and shutil.which("node") else None


def typescript_types(url: str, root: Path = PROJECT_ROOT) -> str:
    """``supabase gen types typescript`` for the public schema, by postgres-meta itself."""
    script = postgres_meta_script(root)
    if script is None:
        raise ContractError(f"{root / POSTGRES_META} or node is missing: run scripts/bootstrap")
    env = {
        **os.environ,
        "PG_META_GENERATE_TYPES": "typescript",
        "PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS": "public",
        "PG_META_DB_URL": testdb.postgres_url(url),
    }
    proc = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "export type Database" not in proc.stdout:
        raise ContractError(f"postgres-meta failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


# --- the API reference -------------------------------------------------------------------------

_FUNCTIONS = """
select p.oid, p.proname as name, pg_get_function_result(p.oid) as result, p.proretset as returns_set,
  p.prorettype::regtype::text as return_type, rt.typtype as return_typtype, rt.typrelid as return_relid,
  obj_description(p.oid, 'pg_proc') as comment
from pg_proc as p
join pg_namespace as n on n.oid = p.pronamespace
join pg_type as rt on rt.oid = p.prorettype
where n.nspname = 'public' and p.prokind = 'f'
  and not exists (select 1 from pg_depend as d where d.objid = p.oid and d.deptype = 'e')
order by p.proname, p.oid::regprocedure::text
"""

# Each parameter's type (pg_proc, in order) beside its mode and default expression on its own
# (information_schema.parameters, whose ordinal positions follow the same order).
_PARAMETERS = """
select pa.parameter_name as name, pa.parameter_mode as mode, pa.parameter_default as default_value,
  format_type(a.type, null) as type, t.typtype
from pg_proc as p
cross join lateral unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a (type, position)
join pg_type as t on t.oid = a.type
join information_schema.parameters as pa
  on pa.specific_schema = 'public' and pa.specific_name = p.proname || '_' || p.oid
  and pa.ordinal_position = a.position
where p.oid = %s
order by a.position
"""

_COLUMNS = """
select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
  col_description(a.attrelid, a.attnum) as comment, t.typtype
from pg_attribute as a
join pg_type as t on t.oid = a.atttypid
where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""

_RELATIONS = """
select c.oid, c.relname as name, c.relkind as kind, obj_description(c.oid, 'pg_class') as comment
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p') and c.relname like 'music\\_video%%'
  and has_table_privilege('authenticated', c.oid, 'select')
order by c.relname
"""

_ENUMS = """
select t.typname as name, array_agg(e.enumlabel order by e.enumsortorder) as labels,
  obj_description(t.oid, 'pg_type') as comment
from pg_type as t
join pg_namespace as n on n.oid = t.typnamespace
join pg_enum as e on e.enumtypid = t.oid
where n.nspname = 'public'
group by t.oid, t.typname
order by t.typname
"""


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _bold_label(line: str, labels: tuple[str, ...]) -> str:
    """``Returns: x`` -> ``**Returns:** x`` for the comment's section labels."""
    for label in labels:
        if line.startswith(label):
            return f"**{label}**{line[len(label) :]}"
    return line


def _function_section(conn: psycopg.Connection, fn: dict, enums: set[str]) -> tuple[list[str], set[str]]:
    params = conn.execute(_PARAMETERS, (fn["oid"],)).fetchall()
    inputs = [p for p in params if p["mode"] in ("IN", "INOUT")]
    outputs = (
        [p for p in params if p["mode"] in ("OUT", "INOUT")]
        if fn["returns_set"] or any(p["mode"] == "OUT" for p in params)
        else []
    )
    used = {p["type"] for p in params if p["typtype"] == "e"}
    comment = (fn["comment"] or "").strip()
    purpose, _, body = comment.partition("\n")
    lines = [f"### `{fn['name']}`", ""]
    lines += [purpose.strip() or "_No comment: this function is undocumented._", ""]
    signature = ", ".join(f"{p['name']} {p['type']}" for p in inputs)
    lines += [f"`POST /rest/v1/rpc/{fn['name']}` · `{fn['name']}({signature})` → `{fn['result']}`", ""]
    if inputs:
        lines += ["| parameter | type | required | default |", "|---|---|---|---|"]
        for p in inputs:
            required = "required" if p["default_value"] is None else "optional"
            default = f"`{_cell(p['default_value'])}`" if p["default_value"] is not None else ""
            lines.append(f"| `{p['name']}` | `{p['type']}` | {required} | {default} |")
        lines.append("")
    else:
        lines += ["No parameters.", ""]
    columns: list[dict] = []
    if outputs:
        columns = [{"name": p["name"], "type": p["type"], "typtype": p["typtype"]} for p in outputs]
    elif fn["return_typtype"] == "c" and fn["return_relid"]:
        columns = conn.execute(_COLUMNS, (fn["return_relid"],)).fetchall()
    if columns:
        rowtype = "" if fn["return_type"] == "record" else f" of `{fn['return_type']}`"
        kind = "a set of rows" if fn["returns_set"] else "one row"
        lines += [
            f"Returns {kind}{rowtype} (a JSON array of objects):"
            if fn["returns_set"]
            else f"Returns {kind}{rowtype} (a JSON object):",
            "",
            "| column | type |",
            "|---|---|",
        ]
        lines += [f"| `{c['name']}` | `{c['type']}` |" for c in columns]
        lines.append("")
        used |= {c["type"] for c in columns if c["typtype"] == "e"}
    if fn["return_typtype"] == "e":
        used.add(fn["return_type"])
    if body.strip():
        labels = (*COMMENT_SECTIONS, INPUT_SHAPES)
        lines += [_bold_label(line, labels) for line in body.strip().splitlines()] + [""]
    return lines, used & enums


def api_reference(url: str) -> str:
    """The Markdown API reference of the database at ``url``."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        functions = conn.execute(_FUNCTIONS).fetchall()
        enum_rows = conn.execute(_ENUMS).fetchall()
        relations = conn.execute(_RELATIONS).fetchall()
        enums = {e["name"] for e in enum_rows}
        out = [
            "# API reference",
            "",
            "<!-- Generated by `python -m devtools contract generate` from the migrations (pg_proc and the",
            "     functions' COMMENTs); do not edit by hand. `python -m devtools contract check` and",
            "     tests/integration/test_contract.py fail when it is stale. -->",
            "",
            "Every RPC is `POST /rest/v1/rpc/<name>` with a JSON object of named parameters (supabase-js:",
            "`supabase.rpc(name, {...})`); parameters marked optional may be left out. TypeScript types of",
            "the same contract: `supabase/types/database.types.ts` (Supabase's generator).",
            "",
            "Errors are PostgREST's JSON `{code, message, details, hint}`: `code` is the SQLSTATE below",
            "(`PT404` → HTTP 404, `PT403` → 403, `PT409` → 409, `PT422` → 422, `22023` → 400, `42501` → 403)",
            'and `details` is a JSON text, `{"problems": [{"field", "code", "message", …}]}` for validation',
            "errors. A malformed id and an id that does not exist or is not the caller's answer the same",
            "`PT404`, so ids are typed `text` where that rule applies.",
            "",
            "## RPCs",
            "",
        ]
        out += [f"- [`{f['name']}`](#{f['name']})" for f in functions]
        out.append("")
        used_enums: set[str] = set()
        for fn in functions:
            lines, used = _function_section(conn, fn, enums)
            out += lines
            used_enums |= used
        readable = [(r, conn.execute(_COLUMNS, (r["oid"],)).fetchall()) for r in relations]
    out += ["## Enums", ""]
    for e in enum_rows:
        where = "" if e["name"] in used_enums else " (table columns only)"
        out.append(f"- `{e['name']}`{where}: " + ", ".join(f"`{label}`" for label in e["labels"]))
    out += [
        "",
        "## Tables and views the frontend reads directly",
        "",
        "Readable by `authenticated` under row-level security (who sees which rows: README's access model).",
        "",
    ]
    for rel, cols in readable:
        kind = {"v": "view", "m": "materialized view"}.get(rel["kind"], "table")
        out += [f"### `{rel['name']}` ({kind})", ""]
        if rel["comment"]:
            out += [_cell(rel["comment"]), ""]
        out += ["| column | type | null | comment |", "|---|---|---|---|"]
        for c in cols:
            out.append(f"| `{c['name']}` | `{c['type']}` | {'' if c['not_null'] else 'null'} | {_cell(c['comment'])} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- generate and check ------------------------------------------------------------------------


def render(url: str, root: Path = PROJECT_ROOT, *, types: bool = True) -> Contract:
    """Both files for the database at ``url`` (the types only when ``types``)."""
    files = {REFERENCE_PATH: api_reference(url)}
    if types:
        files[TYPES_PATH] = typescript_types(url, root)
    return Contract(files)


def write(contract: Contract, root: Path = PROJECT_ROOT) -> list[Path]:
    written = []
    for rel, text in contract.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def stale(contract: Contract, root: Path = PROJECT_ROOT) -> str:
    """A unified diff of every committed file that differs from ``contract``; empty when current."""
    out = []
    for rel, text in contract.files.items():
        path = root / rel
        current = path.read_text() if path.exists() else ""
        if current != text:
            out += difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{rel} (committed)",
                tofile=f"{rel} (generated)",
            )
    return "".join(out)


def generate(root: Path = PROJECT_ROOT) -> list[Path]:
    with scratch_database() as url:
        return write(render(url, root), root)


def check(root: Path = PROJECT_ROOT) -> str:
    with scratch_database() as url:
        return stale(render(url, root), root)


def main(action: str) -> int:
    if action == "generate":
        for path in generate():
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        return 0
    diff = check()
    if diff:
        print(diff, end="")
        print("the contract is stale: run `python -m devtools contract generate` and commit the result")
        return 1
    print("the contract is current")
    return 0
