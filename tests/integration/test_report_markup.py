"""User text in the PDF report is text: reportlab's markup never sees it (hostile-input issue)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from workers.db import postgrest_request
from workers.reports.analytics import build_report, write_report_pdf

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (Debian poppler-utils) missing")


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_markup_in_titles_is_printed_not_interpreted(conn, factory, tmp_path):
    secret = tmp_path / "operator-secret.txt"
    secret.write_text("TOP-SECRET-OPERATOR-FILE")
    owner = factory.user()
    rel = factory.release(owner, 'Release <font size="300">big</font>')
    # (<img src="/dev/zero"/> is the same tag: unescaped, it grows the process without bound)
    titles = ['<img src="/etc/hostname"/>', f'<img src="{secret}"/>', '<img src="/nonexistent"/>',
              '<a href="javascript:alert(1)">click</a> & <b>bold</b>', "tab\tand\x07bell"]
    for i, t in enumerate(titles):
        factory.video(rel, t, slug=f"v{i}")
    with postgrest_request(conn, owner.claims()):
        rows = build_report(conn, rel)
    out = tmp_path / "report.pdf"
    write_report_pdf(rows, str(out), title='Music videos — Release <font size="300">big</font>')
    assert out.stat().st_size < 200_000  # no file of the operator's machine embedded
    text = "".join(_pdf_text(out).split())  # compared without whitespace: long titles wrap in their cell
    assert "TOP-SECRET-OPERATOR-FILE" not in text
    # each title shown as typed, twice: its summary row and its own page (the long path may wrap)
    assert text.count('<imgsrc="') == 6
    for shown in ('<img src="/etc/hostname"/>', '<img src="/nonexistent"/>',
                  '<a href="javascript:alert(1)">click</a> & <b>bold</b>', '<font size="300">big</font>'):
        assert "".join(shown.split()) in text, shown
