"""Exports the app requests, end to end: request_music_video_export (as the owner) -> an 'export'
job -> the real worker runtime -> the file in the music-video-exports bucket -> readable by the
owner under storage RLS, not by another user, not by anon; the PDF's sections (pdftotext) and the
CSV's columns; a live identical request deduped; bad arguments.

Storage is a LocalStorage in a tmp dir. Supabase Storage records an uploaded object as a
``storage.objects`` row; the test inserts that row (as Storage's service role would) and then asks
storage RLS, acting as each caller, whether it may select it (what signing a URL needs).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import psycopg
import pytest

from tests.helpers.exports import can_select_object, job_as, request_export
from tests.helpers.worker import run_worker, settings_for
from workers.db import call_as_postgrest, jwt_claims, postgrest_request
from workers.exports.job import EXPORT_BUCKET
from workers.reports.analytics import csv_columns
from workers.storage import LocalStorage

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _seed(conn, factory):
    owner, other = factory.user(), factory.user()
    rel = factory.release(owner, "Owner <b>LP</b>")
    band = conn.execute("select id, max_cost from public.music_video_budgets where name = 'Standard'").fetchone()
    hit = factory.video(rel, "Hit <img src=\"/etc/hostname\"/>", slug="hit", budget_band_id=band["id"],
                        budget_estimate=40000, kpi_view_target=1000, kpi_chart_target="billboard_hot_100",
                        status="released", quality_tier="premium", target_release_date="2026-10-01",
                        shoot_start_date="2026-08-01", shoot_end_date="2026-08-03")
    quiet = factory.video(rel, "Quiet One", slug="quiet")
    conn.execute("insert into public.music_video_budget_line_items (music_video_id, category, amount)"
                 " values (%s, 'direction', 30000), (%s, 'post', 15000)", (hit, hit))
    opt = conn.execute("select id, cost_multiplier from public.music_video_cast_options"
                       " order by name limit 1").fetchone()
    conn.execute("insert into public.music_video_cast_assignments (music_video_id, cast_option_id, cost_estimate)"
                 " values (%s, %s, 1000)", (hit, opt["id"]))
    for d in range(10):
        conn.execute("insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total,"
                     " collected_at) values (%s, 'youtube', %s, %s, %s)",
                     (hit, 100 * (d + 1), d, datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=d)))
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)"
                 " values (%s, 'mtv', 52000, '2026-11-05')", (hit,))
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, chart_position, source,"
                 " collected_at) values (%s, 'other', 12, 'billboard_hot_100', '2026-10-26'),"
                 " (%s, 'other', 7, 'billboard_hot_100', '2026-11-02'),"
                 " (%s, 'other', 3, 'spotify_global_weekly', '2026-11-09')", (hit, hit, hit))
    doc = conn.execute("select private.music_video_document(%s) as d", (hit,)).fetchone()["d"]
    return SimpleNamespace(owner=owner, other=other, rel=rel, hit=hit, quiet=quiet, doc=doc,
                           multiplier=opt["cost_multiplier"])


def export_and_run(conn, db_url, tmp_path, s, fmt):
    storage = LocalStorage(tmp_path / "storage")
    body = request_export(conn, s.owner, s.rel, fmt)
    assert body["created"] is True and body["status"] == "pending" and body["format"] == fmt
    run_worker(db_url, settings_for(tmp_path), storage, sources=("export",), clock=lambda: NOW)
    job = job_as(conn, s.owner.claims(), body["id"])  # the app polls the job row under RLS
    assert job is not None and job["status"] == "succeeded", job
    meta = job["metadata"]["output"]
    assert meta["bucket"] == EXPORT_BUCKET and meta["object_path"] == f"{s.rel}/{body['id']}.{fmt}"
    data = storage.get(EXPORT_BUCKET, meta["object_path"])
    assert meta["size_bytes"] == len(data) and job["metadata"]["videos"] == 2
    return body, meta, data


def test_pdf_export_end_to_end_and_only_the_owner_may_read_it(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    body, meta, data = export_and_run(conn, db_url, tmp_path, s, "pdf")
    assert data.startswith(b"%PDF-")

    # Supabase Storage records the upload; storage RLS then decides who may read (sign) it.
    conn.execute("insert into storage.objects (bucket_id, name, metadata) values (%s, %s, %s)",
                 (EXPORT_BUCKET, meta["object_path"], json.dumps({"mimetype": "application/pdf"})))
    assert can_select_object(conn, s.owner.claims(), meta["object_path"])
    assert not can_select_object(conn, s.other.claims(), meta["object_path"])
    assert not can_select_object(conn, jwt_claims(role="anon"), meta["object_path"])  # Storage grants anon; no policy
    # ... and nobody but the worker writes there
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, s.owner.claims()) as c:
        c.execute("insert into storage.objects (bucket_id, name) values (%s, %s)",
                  (EXPORT_BUCKET, f"{s.rel}/forged.pdf"))
    # the other user does not see the job row either
    assert job_as(conn, s.other.claims(), body["id"]) is None

    pdf = tmp_path / "export.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for section in ("Release summary", "Plan", "Budget", "Latest metrics", "KPI progress",
                    "Views over time", "Chart position over time"):
        assert section in flat, section
    # user text printed as typed, never interpreted as markup
    assert "Owner <b>LP</b>" in flat and 'Hit <img src="/etc/hostname"/>' in flat
    b = s.doc["budget"]  # get_music_video's own figures
    assert f"{b['cast_cost_total']:,}" in flat and f"{b['projected_total']:,}" in flat
    assert "45,000" in flat  # allocated
    assert "Billboard Hot 100" in flat and "#7" in flat and "Spotify Weekly Top Songs Global" in flat and "#3" in flat
    assert "52,000 viewers" in flat  # MTV
    assert "+0.0 %" in flat or "100.0 %" in flat  # 1,000 views of a 1,000 target
    assert "2 week(s) on chart" in flat or "3 week(s) on chart" in flat


def test_csv_export_columns_and_figures_match_get_music_video(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    _body, _meta, data = export_and_run(conn, db_url, tmp_path, s, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    charts = [r["id"] for r in conn.execute("select id from public.music_video_chart_sources order by label, id")]
    assert list(rows[0].keys()) == csv_columns(charts)
    hit = next(r for r in rows if r["slug"] == "hit")
    b = s.doc["budget"]
    assert int(hit["total_allocation"]) == b["allocation_total"] == 45000
    assert int(hit["cast_cost"]) == b["cast_cost_total"] == round(1000 * s.multiplier)
    assert int(hit["projected_total"]) == b["projected_total"]
    assert (hit["budget_reference"], hit["budget_variance"]) == ("estimate", "5000")
    assert int(hit["projected_variance"]) == b["projected_total"] - 40000
    assert hit["over_budget"] == "True"
    assert (hit["allocation_direction"], hit["allocation_post"], hit["allocation_marketing"]) == ("30000", "15000", "")
    assert (hit["youtube_views"], hit["mtv_views"]) == ("1000", "52000")
    assert hit["youtube_as_of"].startswith("2026-11-10") and hit["mtv_as_of"].startswith("2026-11-05")
    assert (hit["views_pct_of_target"], hit["views_vs_target_pct"]) == ("100.0", "0.0")
    assert (hit["chart_billboard_hot_100_position"], hit["chart_spotify_global_weekly_position"]) == ("7", "3")
    assert (hit["chart_position"], hit["chart_peak"]) == ("7", "3")
    assert hit["theme"] == (s.doc.get("theme") or {}).get("name", "") or hit["theme"] == ""
    assert hit["title"] == 'Hit <img src="/etc/hostname"/>'  # data, not markup; no formula either


def test_a_live_identical_request_is_deduped_and_a_finished_one_is_not(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    first = request_export(conn, s.owner, s.rel, "csv")
    again = request_export(conn, s.owner, s.rel, "csv")  # format is the export_format_enum: exactly csv or pdf
    assert (again["id"], again["created"]) == (first["id"], False)
    pdf = request_export(conn, s.owner, s.rel, "pdf")  # another format is another export
    assert pdf["id"] != first["id"] and pdf["created"]
    conn.execute("update public.music_video_metric_imports set status = 'succeeded', started_at = now(),"
                 " completed_at = now() where id = %s", (first["id"],))
    later = request_export(conn, s.owner, s.rel, "csv")
    assert later["created"] and later["id"] != first["id"]
    n = conn.execute("select count(*) as n from public.music_video_metric_imports where source = 'export'"
                     " and music_video_id is null and metadata ->> 'release_id' = %s", (str(s.rel),)).fetchone()["n"]
    assert n == 3


def _error(conn, claims, release_id, fmt):
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, claims) as c:
        call_as_postgrest(c, "request_music_video_export", {"release_id": release_id, "format": fmt})
    return exc.value


def test_bad_format_is_refused_and_another_users_release_is_pt404(conn, factory):
    s = _seed(conn, factory)
    # format is the export_format_enum: another value is PostgREST's cast error, null a 22023 problem
    for fmt in ("xlsx", "", "CSV"):
        assert _error(conn, s.owner.claims(), str(s.rel), fmt).sqlstate == "22P02", fmt
    err = _error(conn, s.owner.claims(), str(s.rel), None)
    assert err.sqlstate == "22023"
    problems = json.loads(err.diag.message_detail)["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("format", "required")]
    for rel in (str(s.rel), "not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        err = _error(conn, s.other.claims(), rel, "pdf")
        assert err.sqlstate == "PT404"
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")) as c:
        call_as_postgrest(c, "request_music_video_export", {"release_id": str(s.rel), "format": "pdf"})
    assert conn.execute("select count(*) as n from public.music_video_metric_imports"
                        " where source = 'export'").fetchone()["n"] == 0


def test_an_export_of_a_requester_who_lost_the_release_fails_without_a_file(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    body = request_export(conn, s.owner, s.rel, "csv")
    conn.execute("update public.releases set user_id = %s where id = %s", (s.other.id, s.rel))
    storage = LocalStorage(tmp_path / "storage")
    run_worker(db_url, settings_for(tmp_path), storage, sources=("export",), clock=lambda: NOW)
    job = conn.execute("select status, error_message from public.music_video_metric_imports where id = %s",
                       (body["id"],)).fetchone()
    assert job["status"] == "failed" and "no longer has access" in job["error_message"]
    assert storage.list(EXPORT_BUCKET) == []
