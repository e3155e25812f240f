"""CSV output for reports: every text cell neutralised against spreadsheet formula injection."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any

__all__ = ["neutralize_csv_cell", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize_csv_cell(value: str) -> str:
    """Prefix a single quote to cells a spreadsheet could run as a formula (OWASP CSV injection).

    Triggers: a first character of ``= + - @``, TAB or CR (and their full-width forms), also
    after leading spaces.
    """
    if value and (value.startswith(_FORMULA_START) or value.lstrip(" ").startswith(_FORMULA_START[:4])):
        return "'" + value
    return value


def write_csv(rows: Iterable[Sequence[Any]], fh: IO[str], *, header: Sequence[str] | None = None,
              delimiter: str = ",") -> int:
    """Write rows as CSV with every text cell neutralised; numbers and dates are written as-is.

    Returns the number of data rows written. ``fh`` should be opened with ``newline=""``.
    """
    writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")

    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, str):
            return neutralize_csv_cell(v)
        if isinstance(v, (bool, int, float, Decimal, date)):
            return v.isoformat() if isinstance(v, date) else v
        return neutralize_csv_cell(str(v))

    if header is not None:
        writer.writerow([cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
    return count
