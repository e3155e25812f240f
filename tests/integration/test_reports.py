"""The analytics report: contents, RLS, soft-deleted metrics, CSV injection, PDF, and the command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from tests.helpers.csv_inert import cells, live_formulas
from workers.db import jwt_claims, postgrest_request
from workers.reports.analytics import build_report, csv_columns, write_report_csv, write_report_pdf

ROOT = Path(__file__).resolve().parents[2]


def _seed(conn, factory):
    owner, other = factory.user(), factory.user()
    rel, other_rel = factory.release(owner, "Owner LP"), factory.release(other, "Other LP")
    band = conn.execute("select id from public.music_video_budgets where name = 'Standard'").fetchone()["id"]
    hit = factory.video(rel, "=HYPERLINK(\"http://evil\")", slug="hit", budget_band_id=band, budget_estimate=40000,
                        kpi_view_target=1000, kpi_chart_target="billboard_hot_100")
    quiet = factory.video(rel, "Quiet One", slug="quiet")
    factory.video(other_rel, "Not Yours", slug="not-yours")
    conn.execute("insert into public.music_video_budget_line_items (music_video_id, category, amount)"
                 " values (%s, 'direction', 30000), (%s, 'post', 15000)", (hit, hit))
    conn.execute(
        "insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total, collected_at,"
        " deleted_at) values (%s, 'youtube', 400, 10, '2026-11-01', null),"
        " (%s, 'youtube', 900, 20, '2026-11-10', null),"
        " (%s, 'youtube', 99999, 1, '2026-11-20', now())",  # rolled back: must not count
        (hit, hit, hit))
    conn.execute(
        "insert into public.music_video_metrics (music_video_id, platform, chart_position, source, collected_at)"
        " values (%s, 'other', 12, 'billboard_hot_100', '2026-11-09'),"
        " (%s, 'other', 3, 'spotify_global_weekly', '2026-11-16')", (hit, hit))
    return SimpleNamespace(owner=owner, other=other, rel=rel, hit=hit, quiet=quiet)


def test_the_owner_gets_one_row_per_video_with_budget_latest_live_metrics_and_targets(conn, factory):
    s = _seed(conn, factory)
    with postgrest_request(conn, s.owner.claims()):
        rows = build_report(conn, s.rel)
    assert [r.music_video_id for r in rows] == [s.hit, s.quiet]  # by lane, then title
    r = rows[0]
    assert (r.budget_band, r.budget_estimate, r.total_allocation, r.budget_variance) == ("Standard", 40000, 45000, 5000)
    # the latest *live* sample: the soft-deleted 99,999 is ignored
    assert (r.views_total, r.likes_total, r.views_vs_target, float(r.views_pct_of_target)) == (900, 20, -100, 90.0)
    # the position on the video's own target chart, not a better rank on another chart
    assert (r.kpi_chart_target, r.chart_position) == ("billboard_hot_100", 12)
    q = rows[1]
    assert (q.views_total, q.chart_position, q.total_allocation) == (None, None, 0)


def test_another_user_sees_nothing_of_the_release_and_anon_is_refused(conn, factory):
    s = _seed(conn, factory)
    with postgrest_request(conn, s.other.claims()):
        assert build_report(conn, s.rel) == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")):
        build_report(conn, s.rel)


def test_csv_has_every_column_and_neutralises_formulas(conn, factory):
    s = _seed(conn, factory)
    with postgrest_request(conn, s.owner.claims()):
        rows = build_report(conn, s.rel)
    buf = io.StringIO(newline="")
    assert write_report_csv(rows, buf) == 2
    parsed = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(parsed[0].keys()) == csv_columns(["billboard_hot_100", "spotify_global_weekly"])
    titles = {p["title"] for p in parsed}
    assert "'=HYPERLINK(\"http://evil\")" in titles  # stored as data, exported inert
    assert "Quiet One" in titles
    assert next(p for p in parsed if p["slug"] == "hit")["budget_variance"] == "5000"


def test_csv_neutralises_formulas_after_a_separator_for_semicolon_locales(conn, factory):
    s = _seed(conn, factory)
    factory.video(s.rel, "x;=cmd|' /C calc'!A0", slug="semi")
    factory.video(s.rel, "Live\n@SUM(A1)", slug="multi")
    with postgrest_request(conn, s.owner.claims()):
        rows = build_report(conn, s.rel)
    buf = io.StringIO(newline="")
    assert write_report_csv(rows, buf) == 4
    text = buf.getvalue()
    assert live_formulas(text) == []  # Excel with ';' (or TAB, '|') as list separator runs nothing
    titles = {r[1] for r in cells(text, ",")[1:]}
    assert {"x;'=cmd|' /C calc'!A0", "Live\n'@SUM(A1)"} <= titles


def test_pdf_is_a_pdf_with_the_videos(conn, factory, tmp_path):
    s = _seed(conn, factory)
    with postgrest_request(conn, s.owner.claims()):
        rows = build_report(conn, s.rel)
    out = tmp_path / "report.pdf"
    write_report_pdf(rows, str(out), title="Music videos - Owner LP", compress=False)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"Quiet One" in data and b"Owner LP" in data and b"Not Yours" not in data


def test_report_command_writes_csv_as_the_user_sees_it(db_url, conn, factory, tmp_path):
    s = _seed(conn, factory)
    owner, other, rel = s.owner, s.other, s.rel
    env = {**os.environ, "MV_DATABASE_URL": db_url}
    out = tmp_path / "r.csv"
    proc = subprocess.run([sys.executable, "-m", "workers.cli", "report", "--release", str(rel), "--out", str(out),
                           "--as-user", str(other.id)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 4 and f"release {rel} not found" in proc.stderr, proc.stderr  # not theirs
    assert not out.exists()
    proc = subprocess.run([sys.executable, "-m", "workers.cli", "report", "--release", str(rel), "--out", str(out),
                           "--as-user", str(owner.id)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(list(csv.DictReader(out.open(newline="")))) == 2


def test_import_errors_command_exports_failed_rows_neutralised_and_by_rls(db_url, conn, factory, tmp_path):
    s = _seed(conn, factory)
    imp = conn.execute("insert into public.music_video_metric_imports (music_video_id, platform, source, status)"
                       " values (%s, 'mtv', 'broadcast', 'partially_failed') returning id", (s.hit,)).fetchone()["id"]
    conn.execute("insert into public.music_video_import_row_errors (import_id, music_video_id, line, column_name,"
                 " raw_value, reason) values (%s, %s, 9, 'viewers', '=1+2', 'not a number'),"
                 " (%s, %s, 4, 'air_date', 'January 15', 'date without a year')", (imp, s.hit, imp, s.hit))
    env = {**os.environ, "MV_DATABASE_URL": db_url}
    out = tmp_path / "errors.csv"

    def run(user):
        return subprocess.run([sys.executable, "-m", "workers.cli", "import-errors", str(imp), "--out", str(out),
                               "--as-user", str(user.id)], cwd=ROOT, env=env, capture_output=True, text=True)

    proc = run(s.owner)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(out.open(newline="")))
    assert rows == [["line", "column", "value", "reason"], ["4", "air_date", "January 15", "date without a year"],
                    ["9", "viewers", "'=1+2", "not a number"]]
    out.unlink()
    proc = run(s.other)
    assert proc.returncode == 4 and f"import {imp} not found" in proc.stderr, proc.stderr  # not theirs
    assert not out.exists()
