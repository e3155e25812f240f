"""JSON parameters into the database: psycopg's ``Json``/``Jsonb`` dumped with orjson.

A sync commit sends a metadata object per finished job and a detail object per metric sample,
hundreds of small objects per statement. With psycopg's default (``json.dumps``) they were ~9% of
a YouTube worker's CPU (py-spy ``--gil``, 100,000 jobs); orjson encodes them ~6x faster.

What orjson cannot encode (an integer beyond 64 bits, a key of an odd type) goes through
``json.dumps`` exactly as before, errors included. One difference: a NaN or infinite float is
written as null (``json.dumps`` wrote ``NaN``, which jsonb rejects); no source produces one.
Loading stays ``json.loads``: orjson reads an integer beyond 64 bits as a float, which would
change values read back from jsonb.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from psycopg.types.json import set_json_dumps

__all__ = ["dumps", "install"]

_OPTIONS = orjson.OPT_NON_STR_KEYS  # int, float, bool and None keys as strings, as json.dumps does


def dumps(obj: Any) -> bytes | str:
    """``obj`` as JSON text (bytes from orjson, str from the ``json.dumps`` fallback)."""
    try:
        return orjson.dumps(obj, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: let json.dumps encode it or raise its own error
        return json.dumps(obj)


def install() -> None:
    """Make :func:`dumps` psycopg's global JSON dumper (idempotent)."""
    set_json_dumps(dumps)
