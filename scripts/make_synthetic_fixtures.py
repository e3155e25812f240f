#!/usr/bin/env python3
"""Write the SYNTHETIC broadcast CSV fixtures to tests/fixtures/synthetic/ (deterministic).

No real TV ratings file with semicolons, ``1.234.567`` / ``1,234,567`` / ``1 234 567``
thousands separators, a BOM, tabs or CRLF was found (see tests/fixtures/external/README.md),
so these variants are hand-written here. Every file is labelled synthetic in the README this
script writes next to them. Run it again and commit the output whenever it changes; a unit
test checks that regenerating gives identical bytes.

    python scripts/make_synthetic_fixtures.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "synthetic"
NBSP, NNBSP = "\u00a0", "\u202f"

# name -> (description, bytes)
FILES: dict[str, tuple[str, bytes]] = {}


def add(name: str, description: str, text: str, *, bom: bool = False, newline: str = "\n",
        raw_lines: dict[int, bytes] | None = None) -> None:
    """Register a file: ``text`` uses ``\\n``; ``raw_lines`` replaces 1-based lines with raw bytes."""
    lines = [line.encode("utf-8") for line in text.split("\n")]
    for number, raw in (raw_lines or {}).items():
        lines[number - 1] = raw
    data = newline.encode().join(lines)
    FILES[name] = (description, (b"\xef\xbb\xbf" if bom else b"") + data)


add(
    "semicolon_dot_thousands_day_first.csv",
    "European export: `;` delimiter, `1.234.567` thousands, `,` decimals, `DD.MM.YYYY` dates "
    "(mapping: day_first=True).",
    "Sendedatum;Sendung;Zuschauer\n"
    "11.06.2002;Tagesschau;1.234.567\n"
    "12.06.2002;Tatort;9.850.000\n"
    "13.06.2002;Nachtmagazin;1.234\n"
    "14.06.2002;\"Wetten, dass..?\";12.500.000\n"
    "15.06.2002;Sportschau;987\n",
)
add(
    "comma_thousands_quoted_multiline.csv",
    "`,` delimiter with quoted `1,234,567` thousands, doubled quotes, an embedded comma and an "
    "embedded newline inside a quoted programme name (the record after it starts on line 5).",
    "air_date,program,viewers\n"
    "2002-06-11,\"The \"\"Big\"\" Show\",\"1,234,567\"\n"
    "2002-06-12,\"News, Weather & Sport\",\"2,500,000\"\n"
    "2002-06-13,\"Late\nNight\",\"987,654\"\n"
    "2002-06-14,Plain,12345\n",
)
add(
    "tab_space_thousands.tsv",
    "Tab-delimited with space, NBSP and narrow-NBSP thousands separators and mixed date formats "
    "(`Jun 11 2002`, `June 12, 2002`, ISO with a time, `13 June 2002`).",
    "Date\tShow\tAudience\n"
    "Jun 11 2002\tMorning Show\t1 234 567\n"
    f"\"June 12, 2002\"\tEvening News\t2{NBSP}345{NBSP}678\n"
    f"2002-06-13T20:00\tPrime Time\t3{NNBSP}456{NNBSP}789\n"
    "13 June 2002\tLate Show\t456 789\n",
)
add(
    "bom_crlf.csv",
    "UTF-8 BOM and CRLF line ends, accented programme names.",
    "air_date,program,viewers\n"
    "2002-06-11,Télé Matin,120000\n"
    "2002-06-12,Señorita,230000\n",
    bom=True, newline="\r\n",
)
add(
    "bad_rows.csv",
    "One good row and one of each failure: impossible date, unparsable date, month 13, date "
    "without a year, negative, non-integer, `N/A`, empty, a row with too few fields, an invalid "
    "UTF-8 byte (line 12), a spreadsheet-formula programme name (parsed as text) and an "
    "unterminated quote at the end.",
    "air_date,program,viewers\n"
    "2002-06-11,Good Show,1000\n"
    "2002-02-30,Impossible Date,1000\n"
    "yesterday,Unparsable Date,1000\n"
    "13/13/2002,Month Thirteen,1000\n"
    "January 15,No Year,1000\n"
    "2002-06-12,Negative,-5\n"
    "2002-06-13,Fraction,12.5\n"
    "2002-06-14,Not Available,N/A\n"
    "2002-06-15,Empty,\n"
    "2002-06-16,Too Few\n"
    "PLACEHOLDER\n"
    "2002-06-18,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",2000\n"
    "2002-06-19,\"Unterminated,3000\n",
    raw_lines={12: b"2002-06-17,Bad \xff Byte,1000"},
)
add(
    "millions_us_dates.csv",
    "Viewers in millions with decimals (mapping: viewers_scale=1_000_000) and `MM/DD/YYYY` dates.",
    "airdate,episode,viewers_in_millions\n"
    "06/11/2002,Auditions,9.85\n"
    "05/19/2010,Top 3 Results Show,19.003\n"
    "01/21/2003,\"New York, Miami & Austin Auditions\",26.5\n"
    "01/29/2003,Hollywood Week,26\n",
)
add(
    "wide_semicolon.csv",
    "Wide layout with `;`: one column per programme, the date first, `NA`/empty for no broadcast, "
    "an all-missing day and a value in a column without a header.",
    "Datum;Show A;Show B;\n"
    "2024-01-01;1.000;2.000;\n"
    "2024-01-02;NA;3.000;\n"
    "2024-01-03;;NA;\n"
    "2024-01-04;4.000;;99\n",
)


def readme() -> bytes:
    lines = [
        "# Synthetic broadcast CSV fixtures",
        "",
        "**Every file in this folder is SYNTHETIC**: hand-written by `scripts/make_synthetic_fixtures.py`",
        "to cover CSV variants for which no real file was found (see",
        "`tests/fixtures/external/README.md`, tv_ratings). They are not real ratings data.",
        "Do not edit them by hand: change the script, run it, and commit both.",
        "",
        "| File | Synthetic: what it covers |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {desc} |" for name, (desc, _) in FILES.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render() -> dict[str, bytes]:
    """Every output file name -> its exact bytes."""
    out = {name: data for name, (_, data) in FILES.items()}
    out["README.md"] = readme()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if the files on disk differ")
    args = parser.parse_args(argv)
    stale = []
    for name, data in render().items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if stale:
        print("stale synthetic fixtures: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
