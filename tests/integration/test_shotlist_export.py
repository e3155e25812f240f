""""Export Shotlist" end to end: request_music_video_shotlist_export (as the owner) -> an 'export'
job of kind 'shotlist' -> the real worker runtime -> the file in the music-video-exports bucket ->
readable by the owner only under storage RLS; the PDF's sections and text per scene (pdftotext),
the CSV's rows (neutralised); dedup beside the analytics export; bad arguments.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
import pytest

from tests.helpers.exports import can_select_object, job_as, request_export
from tests.helpers.worker import run_worker, settings_for
from workers.db import call_as_postgrest, call_rpc, jwt_claims, postgrest_request
from workers.exports.job import EXPORT_BUCKET
from workers.reports.shotlist import CSV_COLUMNS
from workers.storage import LocalStorage

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

SHOTS = [  # scene, description, size, angle, movement, lens, location, cast index list, seconds, status
    ("Highway <b>night</b>", "Wide of the car on the empty highway", "EWS", "high", "drone push-in", "24mm",
     "Route 9 overpass", [0], 12, "planned"),
    ("Highway <b>night</b>", "Close on Sam's hands on the wheel", "CU", "eye level", "static", "85mm",
     "Car interior", [0], 4, "shot"),
    ("Diner", '=HYPERLINK("http://evil.example","click") <img src="/etc/hostname"/>', "MS", "low", "handheld",
     "35mm", "Rosie's Diner", [0, 1], 20, "planned"),
    ("Highway <b>night</b>", "Tail lights fade out", "WS", "low", "static", "50mm", "Route 9", [], 6, "cut"),
    (None, "Pickup: insert of the jukebox", "ECU", None, None, None, None, [], None, "planned"),
]


def _seed(conn, factory):
    owner, other = factory.user(), factory.user()
    rel = factory.release(owner, "Owner <i>LP</i>")
    video = factory.video(rel, "Night <b>Drive</b> & Co", slug="night-drive", shoot_start_date="2026-12-14",
                          shoot_end_date="2026-12-16", target_release_date="2027-02-01")
    opts = conn.execute("select id, name from public.music_video_cast_options order by name limit 2").fetchall()
    cast = [conn.execute("insert into public.music_video_cast_assignments (music_video_id, cast_option_id, confirmed)"
                         " values (%s, %s, %s) returning id", (video, o["id"], i == 0)).fetchone()["id"]
            for i, o in enumerate(opts)]
    with postgrest_request(conn, owner.claims()) as c:
        for scene, desc, size, angle, move, lens, loc, who, secs, status in SHOTS:
            call_rpc(c, "add_music_video_shot", {
                "music_video_id": str(video), "scene": scene, "description": desc, "shot_size": size, "angle": angle,
                "movement": move, "lens": lens, "location": loc, "cast_assignment_ids": [str(cast[i]) for i in who],
                "duration_seconds": secs, "status": status})
    return SimpleNamespace(owner=owner, other=other, rel=rel, video=video, cast_names=[o["name"] for o in opts])


def request_shotlist(conn, claims, video, fmt):
    with postgrest_request(conn, claims) as c:
        params = {"music_video_id": str(video), "format": fmt}
        return call_as_postgrest(c, "request_music_video_shotlist_export", params).body


def export_and_run(conn, db_url, tmp_path, s, fmt):
    storage = LocalStorage(tmp_path / "storage")
    body = request_shotlist(conn, s.owner.claims(), s.video, fmt)
    assert body["created"] is True and body["status"] == "pending" and body["kind"] == "shotlist"
    assert (body["format"], body["music_video_id"], body["release_id"]) == (fmt, str(s.video), str(s.rel))
    run_worker(db_url, settings_for(tmp_path), storage, sources=("export",), clock=lambda: NOW)
    job = job_as(conn, s.owner.claims(), body["id"])
    assert job is not None and job["status"] == "succeeded", job
    out = job["metadata"]["output"]
    assert out["bucket"] == EXPORT_BUCKET and out["object_path"] == f"{s.rel}/{body['id']}.{fmt}"
    data = storage.get(EXPORT_BUCKET, out["object_path"])
    assert out["size_bytes"] == len(data) and job["metadata"]["shots"] == len(SHOTS)
    return body, out, data


def test_shotlist_pdf_end_to_end_and_only_the_owner_may_read_it(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    body, out, data = export_and_run(conn, db_url, tmp_path, s, "pdf")
    assert data.startswith(b"%PDF-")
    conn.execute("insert into storage.objects (bucket_id, name, metadata) values (%s, %s, %s)",
                 (EXPORT_BUCKET, out["object_path"], json.dumps({"mimetype": "application/pdf"})))
    assert can_select_object(conn, s.owner.claims(), out["object_path"])
    assert not can_select_object(conn, s.other.claims(), out["object_path"])
    assert not can_select_object(conn, factory.user(admin=True).claims(), out["object_path"])
    assert not can_select_object(conn, jwt_claims(role="anon"), out["object_path"])
    assert job_as(conn, s.other.claims(), body["id"]) is None

    pdf = tmp_path / "shotlist.pdf"
    pdf.write_bytes(data)
    if os.environ.get("MV_KEEP_SHOTLIST_PDF"):  # to look at the pages: pdftoppm -png -r 60 <file> /tmp/p
        pdf_copy = os.environ["MV_KEEP_SHOTLIST_PDF"]
        with open(pdf_copy, "wb") as fh:
            fh.write(data)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    first = " ".join(pages[0].split())
    # first page: title (markup printed as typed), release, shoot dates, cast with their shots
    assert "Shot list — Night <b>Drive</b> & Co" in first and "Owner <i>LP</i>" in first
    assert "2026-12-14 to 2026-12-16 (3 days)" in first and "2027-02-01" in first
    assert "5 (3 planned, 1 shot, 1 cut) in 3 scene(s)" in first and "0:36" in first  # 12+4+20, cut excluded
    assert "Cast" in first and s.cast_names[0] in first and s.cast_names[1] in first
    assert "1-3" in first  # the first cast member is in shots 1 to 3
    flat = " ".join(" ".join(pages).split())
    # one table per scene, in the order scenes first appear; shots under their own scene
    i_high, i_diner, i_none = (flat.index("Scene: Highway <b>night</b>"), flat.index("Scene: Diner"),
                               flat.index("Scene: (no scene)"))
    assert i_high < i_diner < i_none
    highway, diner, none = flat[i_high:i_diner], flat[i_diner:i_none], flat[i_none:]
    assert "Wide of the car" in highway and "Close on Sam" in highway and "Tail lights fade out" in highway
    assert "3 shot(s) · shots 1-2, 4" in highway and "est. 0:16" in highway
    assert '=HYPERLINK("http://evil.example","click") <img src="/etc/hostname"/>' in diner
    assert "Rosie's Diner" in diner and "handheld" in diner
    assert "Pickup: insert of the jukebox" in none and "ECU" in none
    assert "Wide of the car" not in diner + none
    for col in ("Size", "Angle", "Movement", "Lens", "Description", "Location", "Cast", "Dur.", "Status"):
        assert col in highway, col


def test_shotlist_csv_rows_are_neutralised(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    _body, _out, data = export_and_run(conn, db_url, tmp_path, s, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0].keys()) == CSV_COLUMNS
    assert [r["shot_number"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["scene"] == "Highway <b>night</b>" and rows[0]["shot_size"] == "EWS"
    assert rows[0]["cast"] == s.cast_names[0] and rows[0]["duration_seconds"] == "12"
    assert rows[2]["description"].startswith("'=HYPERLINK(")  # a formula is text in a spreadsheet
    assert rows[2]["cast"] == ", ".join(sorted(s.cast_names))
    assert (rows[3]["status"], rows[4]["scene"], rows[4]["duration_seconds"]) == ("cut", "", "")


def test_shotlist_requests_dedupe_beside_the_analytics_export_and_refuse_bad_arguments(conn, factory):
    s = _seed(conn, factory)
    first = request_shotlist(conn, s.owner.claims(), s.video, "pdf")
    again = request_shotlist(conn, s.owner.claims(), s.video, "pdf")
    assert first["created"] and not again["created"] and again["id"] == first["id"]
    # the release's analytics export of the same format is its own job (kind analytics, as before)
    analytics = request_export(conn, s.owner, s.rel, "pdf")
    assert analytics["created"] and analytics["id"] != first["id"]
    # one music_video_export_request row each (20261202020500): every key present, the shot-list
    # ones null on the analytics export
    assert (analytics["kind"], analytics["music_video_id"], first["kind"], first["music_video_id"]) == (
        None, None, "shotlist", str(s.video))
    assert list(analytics) == list(first) == ["id", "release_id", "format", "status", "created", "kind",
                                              "music_video_id"]
    meta = conn.execute("select metadata from public.music_video_metric_imports where id = %s",
                        (analytics["id"],)).fetchone()["metadata"]
    assert meta["kind"] == "analytics" and "music_video_id" not in meta
    # another video of the release gets its own shot-list job
    other_video = factory.video(s.rel, "Second")
    assert request_shotlist(conn, s.owner.claims(), other_video, "pdf")["created"]

    with pytest.raises(psycopg.Error) as err:
        request_shotlist(conn, s.owner.claims(), s.video, "docx")
    assert err.value.sqlstate == "22P02"  # the export_format_enum, converted by PostgREST
    with pytest.raises(psycopg.Error) as err:
        request_shotlist(conn, s.owner.claims(), s.video, None)
    assert err.value.sqlstate == "22023"
    assert [(p["field"], p["code"]) for p in json.loads(err.value.diag.message_detail)["problems"]] == [
        ("format", "required")]
    for bad in ("nope", "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(psycopg.Error) as err:
            request_shotlist(conn, s.owner.claims(), bad, "csv")
        assert err.value.sqlstate == "PT404"
    with pytest.raises(psycopg.Error) as err:
        request_shotlist(conn, s.other.claims(), s.video, "csv")
    assert err.value.sqlstate == "PT404"
    svc = request_shotlist(conn, jwt_claims(role="service_role"), s.video, "csv")
    assert svc["created"] and svc["release_id"] == str(s.rel)
    # the table refuses a shot-list job without its video
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("insert into public.music_video_metric_imports (source, metadata) values ('export', %s)",
                     (json.dumps({"release_id": str(s.rel), "format": "csv", "kind": "shotlist"}),))


def test_a_requester_who_lost_the_video_gets_a_failed_job(conn, db_url, factory, tmp_path):
    s = _seed(conn, factory)
    body = request_shotlist(conn, s.owner.claims(), s.video, "csv")
    conn.execute("update public.releases set user_id = %s where id = %s", (s.other.id, s.rel))
    run_worker(db_url, settings_for(tmp_path), LocalStorage(tmp_path / "storage"), sources=("export",),
               clock=lambda: NOW)
    row = conn.execute("select status, error_message from public.music_video_metric_imports where id = %s",
                       (body["id"],)).fetchone()
    assert row["status"] == "failed" and "music video not found" in row["error_message"]
