"""The analytics report of a release (spec 5.1, criterion 8): CSV and PDF.

One row per music video: its metadata, its budget (band, estimate, allocations, cast cost and
the variance from ``music_video_budget_variance``), its latest live metrics (soft-deleted rows
never count) and how they compare with its KPI targets.

The rows are read in the caller's request (:func:`workers.db.postgrest_request`), so the
report shows exactly what row-level security lets that user see. CSV cells are neutralised
against formula injection (:func:`workers.reports.csv_output.write_csv`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from workers.reports.csv_output import write_csv


@dataclass(frozen=True)
class ReportRow:
    music_video_id: UUID
    title: str | None
    slug: str | None
    status: str
    quality_tier: str | None
    target_release_date: date | None
    budget_band: str | None
    currency_code: str | None
    min_cost: int | None
    max_cost: int | None
    budget_estimate: int | None
    total_allocation: int
    cast_cost: int
    budget_variance: int | None
    budget_variance_pct: Decimal | None
    kpi_view_target: int | None
    views_total: int | None
    likes_total: int | None
    views_collected_at: datetime | None
    views_vs_target: int | None
    views_pct_of_target: Decimal | None
    kpi_chart_target: str | None
    chart_position: int | None
    chart_week: datetime | None


COLUMNS = [f.name for f in fields(ReportRow)]

# Latest live YouTube sample, and the latest position on the video's target chart; both read
# the (music_video_id, platform, collected_at) index backwards.
REPORT_SQL = """
select
  v.id as music_video_id, v.title, v.slug, v.status::text, v.quality_tier::text, v.target_release_date,
  bv.budget_band, bv.currency_code::text, bv.min_cost, bv.max_cost, bv.budget_estimate,
  bv.total_allocation, bv.cast_cost, bv.budget_variance, bv.budget_variance_pct,
  v.kpi_view_target, yt.views_total, yt.likes_total, yt.collected_at as views_collected_at,
  yt.views_total - v.kpi_view_target as views_vs_target,
  case when v.kpi_view_target > 0 and yt.views_total is not null
       then round(100.0 * yt.views_total / v.kpi_view_target, 1) end as views_pct_of_target,
  v.kpi_chart_target, ch.chart_position, ch.collected_at as chart_week
from public.music_videos as v
join public.music_video_budget_variance as bv on bv.music_video_id = v.id
left join lateral (
  select m.views_total, m.likes_total, m.collected_at
  from public.music_video_metrics as m
  where m.music_video_id = v.id and m.platform = 'youtube' and m.deleted_at is null
  order by m.collected_at desc
  limit 1
) as yt on true
left join lateral (
  select m.chart_position, m.collected_at
  from public.music_video_metrics as m
  where m.music_video_id = v.id and m.platform = 'other' and m.source = v.kpi_chart_target
    and m.deleted_at is null and m.chart_position is not null
  order by m.collected_at desc
  limit 1
) as ch on true
where v.release_id = %(release_id)s
order by array_position(enum_range(null::public.video_status_enum), v.status), v.title, v.id
"""


def build_report(conn: psycopg.Connection, release_id: UUID | str) -> list[ReportRow]:
    """The report rows of a release, as the current request's role sees them."""
    with conn.cursor(row_factory=class_row(ReportRow)) as cur:
        cur.execute(REPORT_SQL, {"release_id": str(release_id)})
        return cur.fetchall()


def write_report_csv(rows: Sequence[ReportRow], fh: IO[str]) -> int:
    """CSV with a header row; text cells neutralised. ``fh`` opened with ``newline=""``."""
    return write_csv(([getattr(r, c) for c in COLUMNS] for r in rows), fh, header=COLUMNS)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _paragraph(text: str, style: object) -> object:
    """A reportlab Paragraph showing ``text`` as text: its mini-language never sees user markup.

    Paragraph parses XML-like tags (``<img src=...>`` reads files, ``<a>``, ``<font>``), so every
    user-supplied string is escaped first; control characters the parser rejects are dropped.
    """
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    clean = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return Paragraph(escape(clean), style)


def write_report_pdf(rows: Sequence[ReportRow], path: str, *, title: str,
                     generated_at: datetime | None = None, compress: bool = True) -> None:
    """A landscape A4 PDF: one table row per video (reportlab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    doc = SimpleDocTemplate(path, pagesize=landscape(A4), title=title, invariant=True,
                            pageCompression=1 if compress else 0,
                            leftMargin=24, rightMargin=24, topMargin=24, bottomMargin=24)
    header = ["Video", "Status", "Band", "Estimate", "Allocated", "Variance", "Views", "View target",
              "% of target", "Chart", "Position"]
    body = [[
        _paragraph(r.title or "(untitled draft)", cell), r.status, _fmt(r.budget_band),
        _fmt(r.budget_estimate), _fmt(r.total_allocation), _fmt(r.budget_variance), _fmt(r.views_total),
        _fmt(r.kpi_view_target), _fmt(r.views_pct_of_target), _fmt(r.kpi_chart_target), _fmt(r.chart_position),
    ] for r in rows]
    table = Table([header, *body], repeatRows=1, colWidths=[170, 70, 60, 60, 60, 60, 70, 70, 55, 110, 50])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#263238")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eceff1")]),
        ("ALIGN", (3, 0), (8, -1), "RIGHT"),
        ("ALIGN", (10, 0), (10, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    stamp = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z")
    doc.build([_paragraph(title, styles["Title"]),
               Paragraph(f"{len(rows)} video(s); generated {stamp}", styles["Normal"]),
               Spacer(1, 12), table])
