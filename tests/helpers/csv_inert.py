"""Read a written CSV back the way spreadsheets in other locales would, and find live formulas."""

from __future__ import annotations

import csv
import io

TRIGGERS = tuple("=+-@\uff1d\uff0b\uff0d\uff20")
DIALECT_DELIMITERS = (",", ";", "\t", "|")


def cells(text: str, delimiter: str) -> list[list[str]]:
    """Parse ``text`` with Python's csv module and ``delimiter`` (quotes honoured, as Excel does)."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def live_formulas(text: str) -> list[tuple[str, str]]:
    """Every (delimiter, cell) a spreadsheet reading ``text`` with that delimiter could run as a formula.

    A cell is live if it starts with a trigger (after spaces) or with TAB/CR, or if any of its lines
    does (a tool splitting a quoted multi-line cell on line breaks). A plain number such as ``-7``
    is data, not a formula.
    """
    found = []
    for d in DIALECT_DELIMITERS:
        for row in cells(text, d):
            for cell in row:
                if _is_number(cell):
                    continue
                for piece in [cell, *cell.splitlines()[1:]]:
                    if piece.lstrip(" ").startswith(TRIGGERS) or piece.startswith(("\t", "\r")):
                        found.append((d, cell))
    return found


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
