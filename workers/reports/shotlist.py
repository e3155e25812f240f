"""The shot list of one music video as CSV or PDF ("Export Shotlist", spec 1.2 and 4.1).

Read in the current request (the export job runs it as the requester, so RLS decides what it
sees): the video's title, status and dates, its release's title, its cast assignments, and the
shots through ``public.get_music_video_shots`` (the rows the app reads, ordered by number, with
cast names). The PDF is a production shot list: the first page names the video, the shoot dates
and the cast (with the shots each person is in); then one table per scene, scenes in the order
they first appear, each shot's number, size, angle, movement, lens, description, location, cast,
estimated duration and status. User text only ever reaches reportlab through ``_paragraph`` (escaped);
the CSV goes through ``write_csv`` (formula-neutralised).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from workers.reports.analytics import HEAD_BG, STRIPE, _paragraph, _Styles
from workers.reports.csv_output import write_csv

__all__ = ["CSV_COLUMNS", "Shotlist", "export_shotlist", "load_shotlist", "write_shotlist_csv",
           "write_shotlist_pdf"]

CSV_COLUMNS = ["shot_number", "scene", "description", "shot_size", "angle", "movement", "lens", "location",
               "cast", "duration_seconds", "status"]
SIZE_LABELS = {"ECU": "extreme close-up", "CU": "close-up", "MCU": "medium close-up", "MS": "medium shot",
               "WS": "wide shot", "EWS": "extreme wide shot"}
NO_SCENE = "(no scene)"


@dataclass
class CastMember:
    assignment_id: str
    name: str
    role: str | None
    confirmed: bool
    shots: list[int] = field(default_factory=list)


@dataclass
class Shotlist:
    music_video_id: UUID
    title: str | None
    release_title: str | None
    status: str
    shoot_start_date: date | None
    shoot_end_date: date | None
    target_release_date: date | None
    cast: list[CastMember]
    shots: list[dict[str, Any]]
    total_duration_seconds: int

    def scenes(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Shots grouped by scene, scenes in the order of their first shot, shots by number."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for shot in self.shots:
            groups.setdefault(shot.get("scene") or NO_SCENE, []).append(shot)
        return list(groups.items())


VIDEO_SQL = """
select v.id, v.title, v.status::text as status, v.shoot_start_date, v.shoot_end_date, v.target_release_date,
  (select r.title from public.releases as r where r.id = v.release_id) as release_title
from public.music_videos as v where v.id = %s
"""
CAST_SQL = """
select a.id::text as assignment_id, o.name, coalesce(a.role_override, o.role) as role, a.confirmed
from public.music_video_cast_assignments as a
join public.music_video_cast_options as o on o.id = a.cast_option_id
where a.music_video_id = %s
order by a.created_at, o.name, a.id
"""
SHOTS_SQL = """
select coalesce(json_agg(s), '[]') as shots,
  coalesce(sum(s.duration_seconds) filter (where s.status <> 'cut'), 0)::integer as total
from public.get_music_video_shots(music_video_id => %s) as s
"""


def load_shotlist(conn: psycopg.Connection, music_video_id: UUID | str) -> Shotlist:
    """Everything the export shows, read in the caller's request (raises LookupError when hidden)."""
    with conn.cursor(row_factory=dict_row) as cur:
        video = cur.execute(VIDEO_SQL, (music_video_id,)).fetchone()
        if video is None:
            raise LookupError(f"music video {music_video_id} not found")
        cast = [CastMember(r["assignment_id"], r["name"], r["role"], r["confirmed"])
                for r in cur.execute(CAST_SQL, (music_video_id,))]
        # The rows the app reads, as PostgREST serialises them (json_agg), and the total of the
        # shots not cut (the figure the list document of the write RPCs carries).
        doc = cur.execute(SHOTS_SQL, (str(music_video_id),)).fetchone()
    by_id = {c.assignment_id: c for c in cast}
    for shot in doc["shots"]:
        for member in shot["cast"]:
            if member["assignment_id"] in by_id:
                by_id[member["assignment_id"]].shots.append(shot["shot_number"])
    return Shotlist(video["id"], video["title"], video["release_title"], video["status"], video["shoot_start_date"],
                    video["shoot_end_date"], video["target_release_date"], cast, doc["shots"],
                    doc["total"])


def _cast_names(shot: dict[str, Any]) -> str:
    return ", ".join(c["name"] for c in shot["cast"])


def write_shotlist_csv(sl: Shotlist, fh: IO[str]) -> int:
    """One row per shot, by number; every text cell neutralised. Returns the number of rows."""
    return write_csv(([s["shot_number"], s["scene"], s["description"], s["shot_size"], s["angle"], s["movement"],
                       s["lens"], s["location"], _cast_names(s), s["duration_seconds"], s["status"]]
                      for s in sl.shots), fh, header=CSV_COLUMNS)


def _duration(seconds: int | None) -> str:
    if not seconds:
        return "-"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _numbers(ns: Sequence[int]) -> str:
    """1, 2, 3, 5, 7, 8 -> "1-3, 5, 7-8"."""
    out: list[str] = []
    i = 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and ns[j + 1] == ns[j] + 1:
            j += 1
        out.append(str(ns[i]) if i == j else f"{ns[i]}-{ns[j]}")
        i = j + 1
    return ", ".join(out) or "-"


def _shoot(sl: Shotlist) -> str:
    a, b = sl.shoot_start_date, sl.shoot_end_date
    if a is None and b is None:
        return "not scheduled"
    if a and b:
        days = (b - a).days + 1
        return f"{a.isoformat()} to {b.isoformat()} ({days} day{'s' if days != 1 else ''})"
    return f"{(a or b).isoformat()} (start)" if a else f"until {b.isoformat()}"


def write_shotlist_pdf(sl: Shotlist, path: str, *, generated_at: datetime | None = None,
                       compress: bool = True) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    st = _Styles()
    scene_style = st.h3.clone("scene", fontSize=11, leading=14, spaceBefore=8, spaceAfter=3, keepWithNext=1)
    margin = 24
    page_w, _ = landscape(A4)
    width = page_w - 2 * margin
    title = sl.title or "(untitled draft)"
    doc = SimpleDocTemplate(path, pagesize=landscape(A4), title=f"Shot list — {title}", invariant=True,
                            pageCompression=1 if compress else 0, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin + 6)
    stamp = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z")

    def footer(canv: Any, d: Any) -> None:
        canv.saveState()
        canv.setFont("Helvetica", 7)
        canv.setFillColor("#78909c")
        # drawString draws the title as plain characters (no markup parser on the canvas)
        canv.drawString(margin, 12, f"Shot list — {title[:120]}")
        canv.drawRightString(page_w - margin, 12, f"page {d.page}")
        canv.restoreState()

    counts = {k: sum(1 for s in sl.shots if s["status"] == k) for k in ("planned", "shot", "cut")}
    scenes = sl.scenes()
    info = [["Release", _paragraph(sl.release_title or "-", st.cell)],
            ["Video status", sl.status.replace("_", " ")],
            ["Shoot dates", _shoot(sl)],
            ["Target release", sl.target_release_date.isoformat() if sl.target_release_date else "-"],
            ["Shots", f"{len(sl.shots)} ({counts['planned']} planned, {counts['shot']} shot, {counts['cut']} cut)"
                      f" in {len(scenes)} scene(s)"],
            ["Estimated screen time", f"{_duration(sl.total_duration_seconds)} (shots not cut)"]]
    info_t = Table(info, colWidths=[120, 380], hAlign="LEFT")
    info_t.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8),
                                ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    story: list[object] = [
        _paragraph(f"Shot list — {title}", st.title),
        Paragraph(f"Generated {stamp}", st.normal), Spacer(1, 6), info_t, Spacer(1, 8),
        Paragraph("Cast", st.h2),
    ]
    cast_rows: list[list[Any]] = [["Name", "Role", "Confirmed", "In shots"]]
    for c in sl.cast:
        cast_rows.append([_paragraph(c.name, st.cell), _paragraph(c.role or "-", st.cell),
                          "yes" if c.confirmed else "no", _paragraph(_numbers(c.shots), st.cell)])
    if len(cast_rows) == 1:
        cast_rows.append(["no cast assigned", "", "", ""])
    story.append(_grid(cast_rows, [200, 160, 60, width - 420], colors, Table, TableStyle))
    story.append(Spacer(1, 6))
    if not sl.shots:
        story.append(Paragraph("No shots planned yet.", st.normal))

    cols = ["#", "Size", "Angle", "Movement", "Lens", "Description", "Location", "Cast", "Dur.", "Status"]
    widths = [26, 34, 60, 64, 48, width - 26 - 34 - 60 - 64 - 48 - 110 - 120 - 34 - 44, 110, 120, 34, 44]
    grey = colors.HexColor("#9e9e9e")
    for scene, shots in scenes:
        secs = sum(s["duration_seconds"] or 0 for s in shots if s["status"] != "cut")
        heading = _paragraph(f"Scene: {scene}", scene_style)
        sub = Paragraph(f"{len(shots)} shot(s) · shots {_numbers([s['shot_number'] for s in shots])}"
                        f" · est. {_duration(secs)}", st.note)
        rows: list[list[Any]] = [cols]
        extra = []
        for i, s in enumerate(shots, start=1):
            cell = st.cell if s["status"] != "cut" else st.note
            rows.append([str(s["shot_number"]), s["shot_size"] or "-", _paragraph(s["angle"] or "-", cell),
                         _paragraph(s["movement"] or "-", cell), _paragraph(s["lens"] or "-", cell),
                         _paragraph(s["description"], cell), _paragraph(s["location"] or "-", cell),
                         _paragraph(_cast_names(s) or "-", cell), _duration(s["duration_seconds"]), s["status"]])
            if s["status"] == "cut":
                extra.append(("TEXTCOLOR", (0, i), (-1, i), grey))
        table = _grid(rows, widths, colors, Table, TableStyle, extra=extra)
        story.append(KeepTogether([heading, sub, Spacer(1, 2), table]) if len(shots) <= 8
                     else _Heading([heading, sub, Spacer(1, 2)], table))
    doc.build(_flatten(story), onFirstPage=footer, onLaterPages=footer)


class _Heading:
    """A scene heading kept on the page of its table's first rows (long tables split and repeat their header)."""

    def __init__(self, head: list[object], table: object) -> None:
        self.head, self.table = head, table


def _flatten(story: list[object]) -> list[object]:
    from reportlab.platypus import CondPageBreak

    out: list[object] = []
    for item in story:
        if isinstance(item, _Heading):
            out.append(CondPageBreak(120))  # heading + header + a few rows, or a new page
            out.extend(item.head)
            out.append(item.table)
        else:
            out.append(item)
    return out


def _grid(rows: list[list[Any]], widths: Sequence[float], colors: Any, table_cls: Any, style_cls: Any, *,
          extra: Sequence[tuple] = ()) -> object:
    t = table_cls(rows, colWidths=list(widths), repeatRows=1)
    t.setStyle(style_cls([
        ("FONTSIZE", (0, 0), (-1, -1), 7.5), ("LEADING", (0, 0), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor(STRIPE)]),
        ("LINEBELOW", (0, -1), (-1, -1), 0.3, colors.HexColor("#b0bec5")),
        *extra]))
    return t


def export_shotlist(conn: psycopg.Connection, music_video_id: UUID | str, fmt: str, path: str, *,
                    generated_at: datetime | None = None) -> Shotlist:
    """Write the shot list of a video to ``path`` as csv or pdf, in the current request."""
    sl = load_shotlist(conn, music_video_id)
    if fmt == "pdf":
        write_shotlist_pdf(sl, path, generated_at=generated_at)
    elif fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            write_shotlist_csv(sl, fh)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return sl
