"""CSV output for reports: every text cell neutralised against spreadsheet formula injection.

Every CSV the workers write (the analytics export, the import-errors report) goes through
:func:`write_csv`; nothing else in ``workers/`` builds CSV by hand.

Two defences, because the reader's spreadsheet decides how a line is split, not us:

* **Neutralise** a formula wherever a spreadsheet could start one: at the start of the cell, and
  after anything it may treat as a cell boundary -- the separators ``, ; TAB |`` (Excel uses ``;``
  as list separator in most of Europe, TSV importers use TAB, some use ``|``) and a line break.
  A trigger (``= + - @`` or its full-width form U+FF1D, U+FF0B, U+FF0D, U+FF20, after optional spaces) there gets a
  single quote in front of it (and its spaces), which every spreadsheet shows as text.
* **Quote** every text cell that holds a separator (any of the four, full-width forms included),
  a quote or a line break, whatever delimiter the file is written with. ``csv.QUOTE_MINIMAL``
  only quotes for the file's own delimiter, so ``x;=cmd`` went out bare in a ``,`` file and
  became two cells, the second a live formula, when Excel read the file with ``;``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any

__all__ = ["neutralize_csv_cell", "write_csv"]

# Characters a spreadsheet may split a line into cells at, ASCII and full-width.
_SEPARATORS = ",;\t|\uff0c\uff1b\uff5c"
# Characters that start a formula (or DDE payload) when they open a cell.
_TRIGGERS = "=+\\-@\uff1d\uff0b\uff0d\uff20"
# A trigger at the start of the cell or right after a separator or a line break, after optional
# spaces. TAB and CR at the very start of a cell are triggers of their own (OWASP).
_FORMULA = re.compile(rf"(?:^|(?<=[{_SEPARATORS}\r\n]))(?=[ ]*[{_TRIGGERS}])")
_LEADING_CONTROL = re.compile(r"^(?=[\t\r])")
_NEEDS_QUOTES = re.compile(rf'[{_SEPARATORS}"\r\n]')


def neutralize_csv_cell(value: str) -> str:
    """Put a single quote before every place a spreadsheet could start a formula in ``value``.

    The quote goes right after the boundary, so it is the first character of the cell a
    spreadsheet would cut there: ``=1+1`` -> ``'=1+1``; ``x;=cmd`` -> ``x;'=cmd``;
    ``a\\n @x`` -> ``a\\n' @x``; a cell starting with TAB or CR gets the quote in front. Text
    without such a place is unchanged.
    """
    if not value:
        return value
    out = _FORMULA.sub("'", value)
    return _LEADING_CONTROL.sub("'", out)


def _quote(text: str, delimiter: str) -> str:
    if delimiter in text or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(rows: Iterable[Sequence[Any]], fh: IO[str], *, header: Sequence[str] | None = None,
              delimiter: str = ",") -> int:
    """Write rows as CSV with every text cell neutralised and quoted as described above.

    Numbers and dates are written as-is. Lines end in CRLF. Returns the number of data rows
    written. ``fh`` should be opened with ``newline=""``.
    """
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(f"unusable CSV delimiter {delimiter!r}")

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, (int, float, Decimal)):
            return str(v)
        if isinstance(v, date):
            return v.isoformat()
        return _quote(neutralize_csv_cell(v if isinstance(v, str) else str(v)), delimiter)

    def line(values: Iterable[Any]) -> str:
        return delimiter.join(cell(v) for v in values) + "\r\n"

    if header is not None:
        fh.write(line(header))
    count = 0
    for row in rows:
        fh.write(line(row))
        count += 1
    return count
