"""The per-value rules of a broadcast CSV: column mapping, missing markers, viewer numbers, air dates.

Pure functions, the one home of these formats. The engine applies them in bulk: the number forms
are also exported as regex data (:func:`integer_forms`) that it runs in SQL, and every value the
SQL form does not settle is judged here, once per distinct raw text.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workers.errors import RowError

MAX_VIEWERS = 2**63 - 1  # bigint
MAX_COLUMNS = 1000
MAX_LINE_BYTES = 1024 * 1024
MAX_RAW = 200  # characters of a raw value kept in a row error
MISSING_VALUE = "missing value"
NUL_REASON = "the value contains a NUL byte"
DELIMITERS = (",", ";", "\t")
# Whitespace a spreadsheet puts in numbers: NBSP, narrow NBSP, thin space, figure space.
NUMBER_SPACES = "\u00a0\u202f\u2009\u2007"
# A missing-value marker (after strip, case-insensitive). Literal characters only, so the same
# text is a valid pattern for Python's re and for RE2 (DuckDB).
MISSING_PATTERN = "#?n/?a[a-z]?|nan|null|none|[-\u2013\u2014]+|\\?"
# A programme name that is already normalised: printable ASCII words separated by single spaces.
PLAIN_NAME_PATTERN = "[!-~]+(?: [!-~]+)*"


class ColumnMapping(BaseModel):
    """How the uploader's headers map to ``air_date`` / ``program`` / ``viewers``.

    ``layout='wide'``: ``air_date`` names the date column and ``viewers`` is ``'*'`` (every other
    column is a programme, minus ``ignore``) or one programme column; ``program`` must be None.
    ``viewers_scale`` multiplies the viewer figures (``1_000_000`` for "viewers_in_millions").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    air_date: str = Field(min_length=1)
    program: str | None = None
    viewers: str = Field(min_length=1)
    layout: Literal["long", "wide"] = "long"
    day_first: bool = False
    viewers_scale: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    delimiter: Literal[",", ";", "\t"] | None = None  # None: sniffed
    decimal_separator: Literal[".", ","] | None = None  # None: ',' for ';' files, else '.'
    ignore: tuple[str, ...] = ()  # wide layout: extra non-programme columns

    @model_validator(mode="after")
    def _check(self) -> ColumnMapping:
        if self.layout == "long":
            if self.viewers == "*":
                raise ValueError("viewers='*' is only for the wide layout")
            if self.ignore:
                raise ValueError("ignore is only for the wide layout")
            names = [self.air_date, self.viewers] + ([self.program] if self.program else [])
            if len(set(names)) != len(names):
                raise ValueError("air_date, program and viewers must be different columns")
        else:
            if self.program is not None:
                raise ValueError("wide layout takes programme names from the headers; leave program unset")
            if self.viewers == self.air_date:
                raise ValueError("viewers and air_date must be different columns")
        return self

    def decimal_for(self, delimiter: str) -> str:
        return self.decimal_separator or ("," if delimiter == ";" else ".")


# --------------------------------------------------------------------------- raw values


def clip(text: str, limit: int = MAX_RAW) -> str:
    """A raw value fit for an error report: NUL escaped (PostgreSQL text cannot hold it), clipped."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else text[:limit] + "..."


def row_error(line: int, column: str | None, value: str | None, reason: str) -> RowError:
    return RowError(line=max(line, 1), column=None if column is None else clip(column),
                    value=None if value is None else clip(value), reason=reason.replace("\x00", "\\x00"))


_MISSING = re.compile(f"^(?:{MISSING_PATTERN})$", re.IGNORECASE)
_SPACES = str.maketrans(dict.fromkeys(NUMBER_SPACES, " "))


def is_missing(text: str | None) -> bool:
    """Empty, ``NA``, ``N/A``, footnoted ``N/Ab``, ``NaN``, ``null``, ``-`` and the like."""
    if text and text[0].isdigit():
        return False
    return text is None or not text.strip() or bool(_MISSING.match(text.strip()))


def program_name(text: str) -> str:
    """A programme name with its whitespace collapsed; raises ``ValueError`` with a reason."""
    if "\x00" in text:
        raise ValueError(NUL_REASON)
    if is_missing(text):
        raise ValueError(MISSING_VALUE)
    return " ".join(text.split())


def header_name(name: str) -> str:
    return " ".join(name.strip().casefold().split())


# --------------------------------------------------------------------------- viewer numbers


def _cls(ch: str) -> str:
    return f"[{ch}]"  # a one-character class means the same to re and RE2, whatever the character


@functools.lru_cache(maxsize=4)
def integer_forms(dec: str) -> tuple[tuple[str, str], ...]:
    """(pattern, separator to delete) of the whole-number forms, for a decimal separator.

    ``1234567``; ``1,234,567`` / ``1.234.567`` / ``1 234 567`` / ``1'234'567`` with a separator
    other than ``dec``; and ``1.234.567`` (two or more groups) even when ``.`` is ``dec``.
    ASCII digits only; the same text is a pattern for re (with ``re.ASCII``) and RE2.
    """
    forms = [("[0-9]+", "")]
    forms += [(f"[0-9]{{1,3}}(?:{_cls(sep)}[0-9]{{3}})+", sep) for sep in (" ", "'", ",", ".") if sep != dec]
    forms.append((f"[0-9]{{1,3}}(?:{_cls(dec)}[0-9]{{3}}){{2,}}", dec))
    return tuple(forms)


@functools.lru_cache(maxsize=4)
def _compiled(dec: str) -> tuple[tuple[tuple[re.Pattern[str], str], ...], re.Pattern[str]]:
    """The integer forms compiled, and 'd.ddd' (a hint that ``dec`` may be a thousands separator)."""
    forms = tuple((re.compile(p, re.ASCII), sep) for p, sep in integer_forms(dec))
    return forms, re.compile(f"[0-9]{{1,3}}{_cls(dec)}[0-9]{{3}}", re.ASCII)


def _integer_part(text: str, dec: str) -> str | None:
    for pattern, sep in _compiled(dec)[0]:
        if pattern.fullmatch(text):
            return text.replace(sep, "") if sep else text
    return None


def parse_viewers(text: str, *, scale: float = 1.0, decimal_separator: str = ".") -> int:
    """Parse a viewer count; raises ``ValueError`` with a human reason."""
    if "\x00" in text:
        raise ValueError(NUL_REASON)
    raw = text.translate(_SPACES).strip()
    raw = raw.removeprefix("+")
    if raw.startswith("-"):
        raise ValueError("negative viewer count")
    dec = decimal_separator
    value: Decimal | None = None
    if (whole := _integer_part(raw, dec)) is not None:
        value = Decimal(whole)
    elif dec in raw:  # a fraction: '9.85', '1.234.567,5'
        head, _, frac = raw.rpartition(dec)
        whole = _integer_part(head, dec) if head else "0"
        if whole is not None and frac.isdigit() and frac.isascii():
            value = Decimal(f"{whole}.{frac}")
    if value is None:
        raise ValueError("not a number")
    if value != value.to_integral_value() and scale == 1:
        three = _compiled(dec)[1]
        hint = f" (if {dec!r} separates thousands here, set decimal_separator)" if three.fullmatch(raw) else ""
        raise ValueError(f"non-integer viewer count{hint}")
    try:
        scaled = (value * Decimal(scale)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise ValueError("number out of range") from exc
    if scaled > MAX_VIEWERS:
        raise ValueError("number out of range")
    return int(scaled)


# --------------------------------------------------------------------------- air dates

_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], 1) for name in names}
_WEEKDAY = re.compile(r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"
                  r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$", re.IGNORECASE)
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$", re.IGNORECASE)
_SEASON = re.compile(r"^\d{4}\s*[-\u2013\u2014/]\s*\d{2,4}$")


def _ymd(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"invalid date ({exc})") from exc


def parse_air_date(text: str, *, day_first: bool = False) -> date:
    """Parse an air date; raises ``ValueError`` with a human reason (never guesses a year)."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # fast path: YYYY-MM-DD
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raw = _WEEKDAY.sub("", " ".join(text.translate(_SPACES).split()))
    if m := _ISO.match(raw):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _YMD_SLASH.match(raw):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC.match(raw):
        a, b = int(m[1]), int(m[2])
        day, month = (a, b) if day_first else (b, a)
        if month > 12:
            raise ValueError(f"invalid date (month {month} > 12 with day_first={day_first})")
        return _ymd(int(m[3]), month, day)
    if (m := _MONTH_FIRST.match(raw)) and (month := _MONTHS.get(m[1].casefold())):
        if m[3] is None:
            raise ValueError("date has no year")
        return _ymd(int(m[3]), month, int(m[2]))
    if (m := _DAY_FIRST.match(raw)) and (month := _MONTHS.get(m[2].casefold())):
        return _ymd(int(m[3]), month, int(m[1]))
    if _SEASON.match(raw):
        raise ValueError("a season range, not an air date")
    raise ValueError("unrecognised date format")


def judge_air_date(text: str, *, day_first: bool, today: date | None) -> date:
    """An air date cell as the import sees it (missing, unparsable, in the future: ``ValueError``)."""
    if "\x00" in text:
        raise ValueError(NUL_REASON)
    if is_missing(text):
        raise ValueError(MISSING_VALUE)
    day = parse_air_date(text, day_first=day_first)
    if today is not None and day > today:
        raise ValueError(f"air date is after today ({today.isoformat()})")
    return day


# --------------------------------------------------------------------------- the header


def sniff_delimiter(sample: str) -> str:
    """Pick ',', ';' or tab: the candidate giving a multi-field header and the most consistent rows."""
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the last sampled line may be cut
        consistent = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def duplicates(names: Sequence[str]) -> list[str]:
    """Names that occur more than once, in order of first occurrence (linear time)."""
    counts = Counter(names)
    return [n for n in counts if counts[n] > 1]
