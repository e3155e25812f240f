"""Split a SQL script into statements, as the Supabase CLI does before recording them.

Knows enough PostgreSQL lexing to never split inside a string (``'..'``, ``E'..'``), a quoted
identifier, a dollar-quoted body (``$$..$$``, ``$fn$..$fn$``), a ``--`` comment or a nested
``/* */`` comment. Statements keep their original text; empty ones are dropped.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def split_sql(script: str) -> list[str]:
    out: list[str] = []
    buf_start = 0
    i = 0
    n = len(script)
    while i < n:
        c = script[i]
        nxt = script[i + 1] if i + 1 < n else ""
        if c == "-" and nxt == "-":
            j = script.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and nxt == "*":
            depth, i = 1, i + 2
            while i < n and depth:
                if script.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif script.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "'":
            escapes = i > 0 and script[i - 1] in "eE" and (i < 2 or not script[i - 2].isalnum())
            i += 1
            while i < n:
                if escapes and script[i] == "\\":
                    i += 2
                    continue
                if script[i] == "'":
                    if i + 1 < n and script[i + 1] == "'":
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
        elif c == '"':
            j = i + 1
            while j < n:
                if script[j] == '"':
                    if j + 1 < n and script[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif c == "$" and (i == 0 or not (script[i - 1].isalnum() or script[i - 1] == "_")):
            m = _DOLLAR_TAG.match(script, i)
            if m:
                tag = m.group(0)
                end = script.find(tag, m.end())
                i = n if end < 0 else end + len(tag)
            else:
                i += 1
        elif c == ";":
            stmt = script[buf_start:i + 1]
            if _has_code(stmt):
                out.append(stmt.strip())
            buf_start = i = i + 1
        else:
            i += 1
    tail = script[buf_start:]
    if _has_code(tail):
        out.append(tail.strip())
    return out


def _has_code(stmt: str) -> bool:
    """True when the text holds more than whitespace, comments and semicolons."""
    s = re.sub(r"--[^\n]*", "", stmt)
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return bool(s.strip().strip(";").strip())
