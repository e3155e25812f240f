"""CSV formula injection: neutralised wherever a spreadsheet could start a formula, in any locale.

Each hostile cell is written by :func:`write_csv` and read back with Python's csv module with
``,`` and ``;`` (and TAB and ``|``) as delimiter: no cell of any reading may start a formula, and
reading with the file's own delimiter gives the neutralised text back in one cell.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests.helpers.csv_inert import cells, live_formulas
from workers.reports.csv_output import neutralize_csv_cell, write_csv

HOSTILE = [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "  =cmd",
    "x;=cmd|' /C calc'!A0",                     # Excel with ';' as list separator (most of Europe)
    "x,=cmd|' /C calc'!A0", "x\t=cmd", "x|=cmd", "x; =cmd", "a;b;+c", "a;b;-c;@d",
    "x\n=cmd", "x\r\n@cmd", "x\r+cmd",          # after a line break inside a quoted cell
    "\uff1dcmd", "x;\uff0bcmd", "x\uff1b\uff1dcmd", "x\uff0c\uff20cmd", "x\uff5c\uff0dcmd",  # full-width
    'x;=HYPERLINK("http://evil.example";"y")', "'quoted'", '"q";=1',
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_reading_of_a_hostile_cell_starts_a_formula(value, delimiter):
    buf = io.StringIO(newline="")
    write_csv([("Plain", value, 5)], buf, header=["a", "b", "c"], delimiter=delimiter)
    text = buf.getvalue()
    assert live_formulas(text) == []
    # read with the file's own delimiter the row has its three cells, the hostile one neutralised
    assert cells(text, delimiter)[1] == ["Plain", neutralize_csv_cell(value), "5"]


@pytest.mark.parametrize(("cell", "expected"), [
    ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
    ("x\t=cmd", "x\t'=cmd"), ("x|@cmd", "x|'@cmd"), ("x,+1", "x,'+1"), ("x; -1", "x;' -1"),
    ("x\n=cmd", "x\n'=cmd"), ("x\r\n=cmd", "x\r\n'=cmd"), ("x;\uff1dcmd", "x;'\uff1dcmd"),
    ("x\uff1b=cmd", "x\uff1b'=cmd"), ("\t=x", "'\t'=x"),
    ("a=b;c-d", "a=b;c-d"), ("Rock & Roll; Pop", "Rock & Roll; Pop"),
])
def test_neutralize_anywhere_a_cell_could_start(cell, expected):
    assert neutralize_csv_cell(cell) == expected


@pytest.mark.parametrize("value", ["a;b", "a\tb", "a|b", "a\uff1bb", 'say "hi"', "a\nb", "a\rb"])
def test_cells_with_a_separator_quote_or_line_break_are_quoted_whatever_the_delimiter(value):
    buf = io.StringIO(newline="")
    write_csv([(value, "z")], buf)
    line = buf.getvalue()
    assert line == '"' + value.replace('"', '""') + '",z\r\n'
    assert cells(line, ",") == [[value, "z"]]
    # read with ';' the quoted cell is not split at its own ';' (the ',' is then plain text)
    assert cells(line, ";")[0][0].startswith(value)


def test_semicolon_file_read_as_comma_and_comma_file_read_as_semicolon():
    rows = [("x;=cmd|' /C calc'!A0", "y,=2+3", -7, date(2024, 1, 2))]
    for d in (",", ";"):
        buf = io.StringIO(newline="")
        write_csv(rows, buf, delimiter=d)
        assert live_formulas(buf.getvalue()) == []
        assert cells(buf.getvalue(), d) == [["x;'=cmd|' /C calc'!A0", "y,'=2+3", "-7", "2024-01-02"]]


def test_unusable_delimiter_is_refused():
    with pytest.raises(ValueError, match="delimiter"):
        write_csv([], io.StringIO(), delimiter='"')
