"""The analytics report of a release (spec 5.1, criterion 8): CSV and PDF.

Per music video: its metadata (title, status, theme, art style, quality tier, target release and
shoot dates); its budget exactly as ``get_music_video`` shows it (the rows come from
``private.music_video_document``, so band, allocations per line item, cast costs after their
multipliers, projected total, contingency and the budget warnings are that function's numbers,
never recomputed here); the variance, explained; the latest live metrics of every platform
(soft-deleted rows never count) and the latest position on every chart (by the chart's display
name from ``music_video_chart_sources``), each with its as-of date; the KPI progress against the
targets; and the chart run from ``private.music_video_chart_history`` (peak, weeks on chart).

Actuals: each line item's actual spend (``actual_<category>``), its variance against the
allocation (``actual_variance_<category>`` = actual - allocation, empty without that line item) and
the totals (``total_actual``, ``actual_variance`` = total_actual - total_allocation; positive:
overspent), as ``get_music_video``'s ``line_items[].actual_amount`` and ``budget_actuals`` give them.

Variance (documented contract, the same formula as the ``music_video_budget_variance`` view):
the reference is the video's budget estimate, or its band's maximum when it has no estimate;
``budget_variance = allocation_total - reference`` and ``projected_variance = projected_total -
reference`` (projected = allocations + cast costs after multipliers). Positive means over. A
video is **over budget** when its projected variance is positive or ``get_music_video`` warns
about the band (``budget_over_band``, ``budget_over_contingency``, ``cast_cost_over_band``).

The rows are read in the caller's request (:func:`workers.db.postgrest_request`), so the report
shows exactly what row-level security lets that user see. Videos are streamed from a server-side
cursor, and the PDF fetches each video's time series only while drawing that video, so memory
does not grow with the history. CSV cells are neutralised against formula injection
(:func:`workers.reports.csv_output.write_csv`); in the PDF every user string is escaped before
reportlab's Paragraph markup (:func:`_paragraph`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row, tuple_row

from workers.reports.csv_output import write_csv

# platform_enum without 'other' (chart rows), in the enum's order.
PLATFORMS = ("youtube", "mtv", "vevo", "tiktok", "instagram", "regional_tv")
PLATFORM_LABELS = {"youtube": "YouTube", "mtv": "MTV", "vevo": "Vevo", "tiktok": "TikTok",
                   "instagram": "Instagram", "regional_tv": "Regional TV"}
LINE_ITEMS = ("direction", "cinematography", "post", "marketing")
# get_music_video's budget codes that mean "over" (warnings and the hard-stop problem).
OVER_CODES = ("budget_over_band", "budget_over_contingency", "cast_cost_over_band")
BUDGET_CODES = (*OVER_CODES, "budget_below_band")


@dataclass(frozen=True)
class ChartSource:
    id: str
    label: str


@dataclass(frozen=True)
class LatestMetric:
    platform: str
    views_total: int | None
    likes_total: int | None
    comments_total: int | None
    as_of: datetime | None
    source: str | None


@dataclass(frozen=True)
class ChartPosition:
    chart: str
    position: int
    as_of: datetime


@dataclass(frozen=True)
class CastLine:
    name: str
    role: str | None
    cost_estimate: int | None
    cost_multiplier: Decimal
    projected_cost: int
    confirmed: bool


@dataclass(frozen=True)
class ReportRow:
    music_video_id: UUID
    title: str | None
    slug: str | None
    status: str
    theme: str | None
    art_style: str | None
    quality_tier: str | None
    target_release_date: date | None
    shoot_start_date: date | None
    shoot_end_date: date | None
    budget_band: str | None
    currency_code: str | None
    min_cost: int | None
    max_cost: int | None
    contingency_pct: Decimal | None
    hard_limit: int | None
    budget_estimate: int | None
    allocations: Mapping[str, int]
    total_allocation: int
    cast: tuple[CastLine, ...]
    cast_cost: int  # after multipliers, as get_music_video's budget.cast_cost_total
    projected_total: int
    budget_reference: str | None  # 'estimate' | 'band maximum' | None
    budget_variance: int | None
    budget_variance_pct: Decimal | None
    projected_variance: int | None
    over_budget: bool
    budget_notes: tuple[str, ...]
    latest: Mapping[str, LatestMetric]  # platform -> newest live row
    charts: Mapping[str, ChartPosition]  # chart id -> newest live position
    kpi_view_target: int | None
    views_total: int | None  # YouTube, the platform the view target is about
    likes_total: int | None
    views_collected_at: datetime | None
    views_vs_target: int | None
    views_pct_of_target: Decimal | None
    views_vs_target_pct: Decimal | None  # signed: +12.5 is 12.5 % over the target
    kpi_chart_target: str | None
    chart_position: int | None  # latest on the target chart
    chart_week: datetime | None
    chart_peak: int | None  # the chart run of music_video_chart_history (any chart)
    chart_peak_week: date | None
    weeks_on_chart: int
    chart_weeks: tuple[tuple[date, int | None], ...] = field(default=(), repr=False)
    # Actual spend per line item and in total (get_music_video's line_items[].actual_amount and
    # budget_actuals); variance = actual - allocation, positive: overspent.
    actuals: Mapping[str, int] = field(default_factory=dict)
    total_actual: int = 0
    actual_variance: int = 0

    def line_variance(self, category: str) -> int | None:
        if category not in self.allocations:
            return None
        return self.actuals.get(category, 0) - self.allocations[category]


@dataclass
class Report:
    release_id: UUID
    release_title: str | None
    chart_sources: list[ChartSource]
    rows: list[ReportRow]

    @property
    def chart_labels(self) -> dict[str, str]:
        return {c.id: c.label for c in self.chart_sources}


# One row per video, newest metric per platform and per chart, the document and the chart run.
# The per-chart subquery and the series reads use music_video_metrics_live_idx.
ROWS_SQL = """
select
  v.id,
  private.music_video_document(v.id) as doc,
  private.music_video_chart_history(v.id, null) as run,
  (
    select coalesce(jsonb_agg(jsonb_build_object(
      'chart', c.source, 'position', c.chart_position, 'as_of', c.collected_at)), '[]'::jsonb)
    from (
      select distinct on (m.source) m.source, m.chart_position, m.collected_at
      from public.music_video_metrics as m
      where m.music_video_id = v.id and m.platform = 'other' and m.deleted_at is null
        and m.chart_position is not null and m.source is not null
      order by m.source, m.collected_at desc
    ) as c
  ) as charts
from public.music_videos as v
where v.release_id = %(release_id)s
order by array_position(enum_range(null::public.video_status_enum), v.status), v.title, v.id
"""

SERIES_SQL = """
select m.platform::text as platform, m.collected_at, m.views_total
from public.music_video_metrics as m
where m.music_video_id = %s and m.deleted_at is null and m.platform <> 'other' and m.views_total is not null
order by m.platform, m.collected_at
"""


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _d(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _pct(num: int, den: int) -> Decimal:
    return (Decimal(100) * num / den).quantize(Decimal("0.1") if den else Decimal(1), ROUND_HALF_UP)


def _row(doc: Mapping[str, Any], run: Mapping[str, Any] | None, charts: Iterable[Mapping[str, Any]]) -> ReportRow:
    budget = doc.get("budget") or {}
    allocations = {li["category"]: int(li["amount"]) for li in doc.get("line_items") or []}
    actuals = {li["category"]: int(li.get("actual_amount") or 0) for li in doc.get("line_items") or []}
    spent = doc.get("budget_actuals") or {}
    cast = tuple(CastLine(c["name"], c.get("role_override") or c.get("role"), _int(c.get("cost_estimate")),
                          Decimal(str(c["cost_multiplier"])), int(c["projected_cost"]), bool(c.get("confirmed")))
                 for c in doc.get("cast_assignments") or [])
    allocation = int(budget.get("allocation_total") or 0)
    cast_cost = int(budget.get("cast_cost_total") or 0)
    projected = int(budget.get("projected_total") or allocation + cast_cost)
    estimate, max_cost = _int(doc.get("budget_estimate")), _int(budget.get("max_cost"))
    reference, ref_kind = (estimate, "estimate") if estimate is not None else (max_cost, "band maximum")
    if reference is None:
        ref_kind = None
    variance = allocation - reference if reference is not None else None
    variance_pct = (Decimal(100) * variance / reference).quantize(Decimal("0.01"), ROUND_HALF_UP) \
        if reference else None
    projected_variance = projected - reference if reference is not None else None
    notes = [p for p in [*(doc.get("warnings") or []), *(doc.get("open_problems") or [])]
             if p.get("code") in BUDGET_CODES]
    over = (projected_variance or 0) > 0 or any(p["code"] in OVER_CODES for p in notes)

    latest: dict[str, LatestMetric] = {}
    for m in doc.get("latest_metrics") or []:
        if m["platform"] in PLATFORMS:
            latest[m["platform"]] = LatestMetric(m["platform"], _int(m.get("views_total")), _int(m.get("likes_total")),
                                                 _int(m.get("comments_total")), _dt(m.get("collected_at")),
                                                 m.get("source"))
    positions = {c["chart"]: ChartPosition(c["chart"], int(c["position"]), _dt(c["as_of"])) for c in charts}
    yt = latest.get("youtube")
    target = _int(doc.get("kpi_view_target"))
    views = yt.views_total if yt else None
    has_progress = target is not None and target > 0 and views is not None
    chart_target = doc.get("kpi_chart_target")
    on_target = positions.get(chart_target) if chart_target else None
    run = run or {}
    weeks = tuple((date.fromisoformat(w["week_start"]), w.get("chart_position"))
                  for w in reversed(run.get("weeks") or []))
    return ReportRow(
        music_video_id=UUID(doc["id"]), title=doc.get("title"), slug=doc.get("slug"), status=doc["status"],
        theme=(doc.get("theme") or {}).get("name"), art_style=(doc.get("art_style") or {}).get("name"),
        quality_tier=doc.get("quality_tier"), target_release_date=_d(doc.get("target_release_date")),
        shoot_start_date=_d(doc.get("shoot_start_date")), shoot_end_date=_d(doc.get("shoot_end_date")),
        budget_band=budget.get("band"), currency_code=budget.get("currency_code"),
        min_cost=_int(budget.get("min_cost")), max_cost=max_cost,
        contingency_pct=Decimal(str(budget["contingency_pct"])) if budget.get("contingency_pct") is not None else None,
        hard_limit=_int(budget.get("hard_limit")), budget_estimate=estimate,
        allocations=allocations, total_allocation=allocation, cast=cast, cast_cost=cast_cost,
        projected_total=projected, budget_reference=ref_kind, budget_variance=variance,
        budget_variance_pct=variance_pct, projected_variance=projected_variance, over_budget=over,
        budget_notes=tuple(p["message"] for p in notes), latest=latest, charts=positions,
        actuals=actuals, total_actual=int(spent.get("actual_total") or sum(actuals.values())),
        actual_variance=int(spent.get("variance_total") or sum(actuals.values()) - allocation),
        kpi_view_target=target, views_total=views, likes_total=yt.likes_total if yt else None,
        views_collected_at=yt.as_of if yt else None,
        views_vs_target=views - target if target is not None and views is not None else None,
        views_pct_of_target=_pct(views, target) if has_progress else None,
        views_vs_target_pct=_pct(views - target, target) if has_progress else None,
        kpi_chart_target=chart_target,
        chart_position=on_target.position if on_target else None,
        chart_week=on_target.as_of if on_target else None,
        chart_peak=_int(run.get("peak_position")), chart_peak_week=_d(run.get("peak_week")),
        weeks_on_chart=int(run.get("weeks_on_chart") or 0), chart_weeks=weeks,
    )


def iter_report_rows(conn: psycopg.Connection, release_id: UUID | str, *, batch: int = 50) -> Iterator[ReportRow]:
    """The report rows of a release as the current request's role sees them, streamed.

    Call inside a transaction (:func:`workers.db.postgrest_request`): the rows come from a
    server-side cursor, ``batch`` at a time.
    """
    with conn.cursor(name="music_video_report", row_factory=dict_row) as cur:
        cur.itersize = batch
        cur.execute(ROWS_SQL, {"release_id": str(release_id)})
        for r in cur:
            if r["doc"] is not None:
                yield _row(r["doc"], r["run"], r["charts"])


def build_report(conn: psycopg.Connection, release_id: UUID | str) -> list[ReportRow]:
    """The report rows of a release, as the current request's role sees them."""
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        with conn.transaction():
            return list(iter_report_rows(conn, release_id))
    return list(iter_report_rows(conn, release_id))


def load_report(conn: psycopg.Connection, release_id: UUID | str) -> Report:
    """Rows, the release's title and the chart catalog, in the current request."""
    rows = build_report(conn, release_id)
    title = conn.execute("select title from public.releases where id = %s", (str(release_id),)).fetchone()
    sources = conn.execute("select id, label from public.music_video_chart_sources order by label, id").fetchall()
    return Report(UUID(str(release_id)), _first(title), [ChartSource(_first(s), _second(s)) for s in sources], rows)


def _first(row: Any) -> Any:
    if row is None:
        return None
    return row[0] if isinstance(row, tuple | list) else next(iter(row.values()))


def _second(row: Any) -> Any:
    return row[1] if isinstance(row, tuple | list) else list(row.values())[1]


# --------------------------------------------------------------------------- CSV

BASE_COLUMNS = [
    "music_video_id", "title", "slug", "status", "theme", "art_style", "quality_tier", "target_release_date",
    "shoot_start_date", "shoot_end_date",
    "budget_band", "currency_code", "min_cost", "max_cost", "contingency_pct", "hard_limit", "budget_estimate",
    *[f"allocation_{c}" for c in LINE_ITEMS], "total_allocation", "cast_cost", "projected_total",
    "budget_reference", "budget_variance", "budget_variance_pct", "projected_variance", "over_budget",
    "budget_notes", "cast_detail",
    *[f"actual_{c}" for c in LINE_ITEMS], *[f"actual_variance_{c}" for c in LINE_ITEMS],
    "total_actual", "actual_variance",
]
KPI_COLUMNS = [
    "kpi_view_target", "views_total", "likes_total", "views_collected_at", "views_vs_target",
    "views_pct_of_target", "views_vs_target_pct",
    "kpi_chart_target", "chart_position", "chart_week", "chart_peak", "chart_peak_week", "weeks_on_chart",
]
PLATFORM_COLUMNS = [f"{p}_{k}" for p in PLATFORMS for k in ("views", "likes", "as_of")]


def csv_columns(chart_ids: Sequence[str]) -> list[str]:
    """The CSV header: fixed columns, then one position and as-of pair per chart source."""
    return [*BASE_COLUMNS, *PLATFORM_COLUMNS, *KPI_COLUMNS,
            *[f"chart_{c}_{k}" for c in chart_ids for k in ("position", "as_of")]]


def _cast_text(r: ReportRow) -> str:
    return "; ".join(f"{c.name} ({c.role or '-'}): {_plain(c.cost_estimate)} x {c.cost_multiplier} = "
                     f"{c.projected_cost}" for c in r.cast)


def _plain(v: object) -> str:
    return "-" if v is None else str(v)


def csv_values(r: ReportRow, chart_ids: Sequence[str]) -> list[Any]:
    base = [r.music_video_id, r.title, r.slug, r.status, r.theme, r.art_style, r.quality_tier, r.target_release_date,
            r.shoot_start_date, r.shoot_end_date, r.budget_band, r.currency_code, r.min_cost, r.max_cost,
            r.contingency_pct, r.hard_limit, r.budget_estimate, *[r.allocations.get(c) for c in LINE_ITEMS],
            r.total_allocation, r.cast_cost, r.projected_total, r.budget_reference, r.budget_variance,
            r.budget_variance_pct, r.projected_variance, r.over_budget, " | ".join(r.budget_notes), _cast_text(r),
            *[r.actuals.get(c) for c in LINE_ITEMS], *[r.line_variance(c) for c in LINE_ITEMS],
            r.total_actual, r.actual_variance]
    plat: list[Any] = []
    for p in PLATFORMS:
        m = r.latest.get(p)
        plat += [m.views_total, m.likes_total, m.as_of] if m else [None, None, None]
    kpi = [r.kpi_view_target, r.views_total, r.likes_total, r.views_collected_at, r.views_vs_target,
           r.views_pct_of_target, r.views_vs_target_pct, r.kpi_chart_target, r.chart_position, r.chart_week,
           r.chart_peak, r.chart_peak_week, r.weeks_on_chart]
    charts: list[Any] = []
    for c in chart_ids:
        pos = r.charts.get(c)
        charts += [pos.position, pos.as_of] if pos else [None, None]
    return [*base, *plat, *kpi, *charts]


def write_report_csv(rows: Iterable[ReportRow], fh: IO[str], *, chart_ids: Sequence[str] | None = None) -> int:
    """CSV with a header row (:func:`csv_columns`); text cells neutralised. ``fh`` opened with ``newline=""``.

    ``chart_ids`` (default: the charts the rows mention, sorted) names the per-chart columns.
    """
    if chart_ids is None:
        rows = list(rows)
        chart_ids = sorted({c for r in rows for c in r.charts})
    return write_csv((csv_values(r, chart_ids) for r in rows), fh, header=csv_columns(chart_ids))


# --------------------------------------------------------------------------- PDF


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _signed(value: Decimal | int | None, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:+,}{suffix}"
    return f"{value:+}{suffix}"


def _money(value: int | None, currency: str | None) -> str:
    return "-" if value is None else f"{value:,} {currency or ''}".rstrip()


def _paragraph(text: str, style: object) -> object:
    """A reportlab Paragraph showing ``text`` as text: its mini-language never sees user markup.

    Paragraph parses XML-like tags (``<img src=...>`` reads files, ``<a>``, ``<font>``), so every
    user-supplied string is escaped first; control characters the parser rejects are dropped.
    """
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    clean = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return Paragraph(escape(clean), style)


class _Charts:
    """Views over time and chart position over time of one video, drawn by matplotlib as PDF.

    Route: one matplotlib Figure (two axes) is reused for every video; each video's figure is
    saved as a one-page PDF using the 14 standard PDF fonts (no font embedding, ~5 KB), read back
    with pdfrw as a form XObject and placed by reportlab: vector all the way, no SVG re-parsing
    (svglib cost ~90 ms a chart, twice matplotlib's own time), constant memory across videos.
    """

    def __init__(self, width_pt: float, height_pt: float) -> None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        self.rc = {"pdf.use14corefonts": True, "font.family": "sans-serif",
                   "font.sans-serif": ["Helvetica", "DejaVu Sans"], "font.size": 7, "axes.titlesize": 8,
                   "pdf.compression": 6}
        with matplotlib.rc_context(self.rc):
            self.fig = Figure(figsize=(width_pt / 72, height_pt / 72))
            self.views_ax, self.chart_ax = self.fig.subplots(1, 2)
            self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.18)
        self.mdates, self.MaxNLocator, self.FuncFormatter = mdates, MaxNLocator, FuncFormatter
        self.matplotlib = matplotlib
        with matplotlib.rc_context(self.rc):
            self._axis(self.views_ax, "Views over time")
            self._axis(self.chart_ax, "Chart position over time (best rank per week)")
            # Artists are made once and only their data changes per video: clearing and rebuilding
            # the axes cost 4x the drawing itself.
            self.view_lines = {p: self.views_ax.plot([], [], linewidth=1.0, label=PLATFORM_LABELS[p])[0]
                               for p in PLATFORMS}
            self.chart_line = self.chart_ax.plot([], [], marker="o", markersize=1.5, linewidth=1.0,
                                                 color="#c62828")[0]
            self.views_ax.yaxis.set_major_formatter(FuncFormatter(_compact))
            self.no_views = self.views_ax.text(0.5, 0.5, "no view data", transform=self.views_ax.transAxes,
                                               ha="center", va="center", color="grey")
            self.no_chart = self.chart_ax.text(0.5, 0.5, "not on a chart", transform=self.chart_ax.transAxes,
                                               ha="center", va="center", color="grey")
        self._legend_for: tuple[str, ...] | None = None

    def _axis(self, ax: Any, title: str) -> None:
        ax.set_title(title, loc="left")
        locator = self.mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(self.mdates.ConciseDateFormatter(locator))
        ax.yaxis.set_major_locator(self.MaxNLocator(5, integer=True))
        ax.grid(True, linewidth=0.3, color="#cfd8dc")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    def render(self, views: Mapping[str, tuple[list[datetime], list[int]]],
               weeks: Sequence[tuple[date, int | None]]) -> bytes:
        with self.matplotlib.rc_context(self.rc):
            shown = tuple(p for p in PLATFORMS if p in views)
            for p, line in self.view_lines.items():
                xs, ys = views.get(p, ([], []))
                line.set_data(xs, ys)
                line.set_visible(p in views)
            if shown != self._legend_for:
                legend = self.views_ax.get_legend()
                if legend is not None:
                    legend.remove()
                if shown:
                    self.views_ax.legend(handles=[self.view_lines[p] for p in shown], loc="upper left",
                                         fontsize=6, frameon=False)
                self._legend_for = shown
            self.no_views.set_visible(not shown)
            self.views_ax.relim(visible_only=True)
            self.views_ax.autoscale_view()
            charted = [(w, p) for w, p in weeks if p is not None]
            self.chart_line.set_data([w for w, _p in charted], [p for _w, p in charted])
            self.no_chart.set_visible(not charted)
            self.chart_line.set_visible(bool(charted))
            self.chart_ax.relim(visible_only=True)
            self.chart_ax.autoscale_view(scaley=False)
            self.chart_ax.set_ylim(max((p for _w, p in charted), default=10) + 1, 0.5)  # rank 1 at the top
            buf = io.BytesIO()
            self.fig.savefig(buf, format="pdf", metadata={"CreationDate": None})
        return buf.getvalue()


def _compact(value: float, _pos: object = None) -> str:
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= div:
            return f"{value / div:g}{unit}"
    return f"{value:g}"


def _pdf_flowable(data: bytes, width: float, height: float) -> object:
    """A reportlab Flowable drawing the first page of a PDF (vector) scaled into width x height."""
    from pdfrw import PdfReader
    from pdfrw.buildxobj import pagexobj
    from pdfrw.toreportlab import makerl
    from reportlab.platypus import Flowable

    xobj = pagexobj(PdfReader(fdata=data).pages[0])

    class _Page(Flowable):
        def wrap(self, *_args: object) -> tuple[float, float]:
            return width, height

        def draw(self) -> None:
            canv = self.canv
            name = makerl(canv, xobj)
            canv.saveState()
            canv.scale(width / float(xobj.BBox[2] - xobj.BBox[0]), height / float(xobj.BBox[3] - xobj.BBox[1]))
            canv.doForm(name)
            canv.restoreState()

    return _Page()


def _series(conn: psycopg.Connection, video_id: UUID) -> dict[str, tuple[list[datetime], list[int]]]:
    out: dict[str, tuple[list[datetime], list[int]]] = {}
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(SERIES_SQL, (video_id,))
        for platform, at, views in cur:
            xs, ys = out.setdefault(platform, ([], []))
            xs.append(at)
            ys.append(views)
    return out


class _Styles:
    def __init__(self) -> None:
        from reportlab.lib.styles import getSampleStyleSheet

        s = getSampleStyleSheet()
        self.title, self.normal, self.h2 = s["Title"], s["Normal"], s["Heading2"]
        self.h3 = s["Heading3"].clone("h3", spaceBefore=2, spaceAfter=2)
        self.cell = s["BodyText"].clone("cell", fontSize=7.5, leading=9)
        self.note = s["BodyText"].clone("note", fontSize=7, leading=8.5, textColor="#455a64")


HEAD_BG, STRIPE, OVER_BG = "#263238", "#eceff1", "#ffcdd2"


def _table(data: list[list[Any]], widths: Sequence[float], *, header: bool = True,
           extra: Sequence[tuple] = (), right_from: int | None = 1) -> object:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    style = [("FONTSIZE", (0, 0), (-1, -1), 7.5), ("LEADING", (0, 0), (-1, -1), 9),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
             ("LINEBELOW", (0, -1), (-1, -1), 0.3, colors.HexColor("#b0bec5"))]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
                  ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                  ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor(STRIPE)])]
    else:
        style += [("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]
    if right_from is not None:
        style.append(("ALIGN", (right_from, 0), (-1, -1), "RIGHT"))
    t.setStyle(TableStyle([*style, *extra]))
    return t


def _summary(report: Report, st: _Styles, *, generated: str, width: float) -> list[object]:
    from reportlab.lib import colors
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    rows = report.rows
    currencies = sorted({r.currency_code for r in rows if r.currency_code})
    cur = currencies[0] if len(currencies) == 1 else None
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    over = [r for r in rows if r.over_budget]
    with_target = [r for r in rows if r.views_pct_of_target is not None]
    met = [r for r in with_target if r.views_pct_of_target >= 100]
    totals = [
        ["Videos", _fmt(len(rows)) + "  (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in by_status.items())
         + ")"],
        ["Budget estimates", _money(sum(r.budget_estimate or 0 for r in rows), cur)],
        ["Allocated (line items)", _money(sum(r.total_allocation for r in rows), cur)],
        ["Actual spend (line items)", _money(sum(r.total_actual for r in rows), cur)
         + f"  (variance {_signed(sum(r.actual_variance for r in rows))})"],
        ["Cast cost (after multipliers)", _money(sum(r.cast_cost for r in rows), cur)],
        ["Projected total", _money(sum(r.projected_total for r in rows), cur)],
        ["Projected variance", _signed(sum(r.projected_variance or 0 for r in rows))
         + (f" {cur}" if cur else "")],
        ["Over budget", f"{len(over)} video(s)"],
        *[[f"Latest {PLATFORM_LABELS[p]} views", _fmt(sum(r.latest[p].views_total or 0 for r in rows
                                                             if p in r.latest))]
          for p in PLATFORMS if any(p in r.latest for r in rows)],
        ["View targets met", f"{len(met)} of {len(with_target)} video(s) with a target and YouTube views"],
        ["Best chart peak", _fmt(min((r.chart_peak for r in rows if r.chart_peak), default=None))],
    ]
    if len(currencies) > 1:
        totals.insert(1, ["Currencies", ", ".join(currencies) + " (money totals mix currencies)"])
    out: list[object] = [
        _paragraph(f"Music videos — {report.release_title or report.release_id}", st.title),
        Paragraph(f"Release summary · {len(rows)} video(s) · generated {generated}", st.normal), Spacer(1, 8),
        _table(totals, [170, 330], header=False, right_from=None), Spacer(1, 10),
        Paragraph("Videos", st.h2),
    ]
    header = ["Video", "Status", "Band", "Estimate", "Allocated", "Cast", "Projected", "Variance",
              "YouTube views", "View target", "vs target", "Chart peak", "Weeks"]
    body: list[list[Any]] = [header]
    extra = []
    for i, r in enumerate(rows, start=1):
        body.append([_paragraph(r.title or "(untitled draft)", st.cell), r.status.replace("_", " "),
                     _paragraph(r.budget_band or "-", st.cell), _fmt(r.budget_estimate), _fmt(r.total_allocation),
                     _fmt(r.cast_cost), _fmt(r.projected_total), _signed(r.projected_variance),
                     _fmt(r.views_total), _fmt(r.kpi_view_target), _signed(r.views_vs_target_pct, " %"),
                     _fmt(r.chart_peak), _fmt(r.weeks_on_chart)])
        if r.over_budget:
            extra += [("BACKGROUND", (0, i), (-1, i), colors.HexColor(OVER_BG)),
                      ("TEXTCOLOR", (7, i), (7, i), colors.HexColor("#b71c1c"))]
    widths = [150, 58, 62, 52, 52, 48, 56, 52, 60, 52, 48, 42, 36]
    out += [_table(body, widths, extra=extra, right_from=3),
            Paragraph("Variance = projected total (allocations + cast costs after multipliers) minus the budget "
                      "estimate, or the band's maximum when there is no estimate; positive is over. Rows in red "
                      "are over budget (positive variance, or a band warning from the plan). vs target: latest "
                      "YouTube views against the view target, signed.", st.note),
            PageBreak()]
    return out


def _video(r: ReportRow, report: Report, st: _Styles, chart: object | None, width: float) -> list[object]:
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table

    cur = r.currency_code
    labels = report.chart_labels
    half = (width - 12) / 2
    meta = [["Status", r.status.replace("_", " ")], ["Theme", _paragraph(r.theme or "-", st.cell)],
            ["Art style", _paragraph(r.art_style or "-", st.cell)], ["Quality tier", _fmt(r.quality_tier)],
            ["Target release", _fmt(r.target_release_date)],
            ["Shoot", f"{_fmt(r.shoot_start_date)} to {_fmt(r.shoot_end_date)}"]]
    budget: list[list[Any]] = [["Budget", "Amount"],
                               [_paragraph(f"Band: {r.budget_band or '-'}", st.cell),
                                f"{_fmt(r.min_cost)} to {_money(r.max_cost, cur)}"],
                               [f"Contingency +{_fmt(r.contingency_pct)} %: hard limit", _money(r.hard_limit, cur)],
                               ["Estimate", _money(r.budget_estimate, cur)]]
    budget += [[f"  {c}", _money(r.allocations.get(c), cur)] for c in LINE_ITEMS]
    budget += [["Allocated", _money(r.total_allocation, cur)]]
    budget += [[f"  {c} spent", _money(r.actuals.get(c, 0), cur) + f" ({_signed(r.line_variance(c))})"]
               for c in LINE_ITEMS if c in r.allocations]
    budget += [["Actual spend", _money(r.total_actual, cur)],
               ["Actual variance vs allocations", _signed(r.actual_variance)]]
    budget += [[_paragraph(f"  Cast: {c.name} ({c.role or '-'}) {_fmt(c.cost_estimate)} x {c.cost_multiplier}"
                           f"{'' if c.confirmed else ', unconfirmed'}", st.cell), _money(c.projected_cost, cur)]
               for c in r.cast]
    budget += [["Cast cost (after multipliers)", _money(r.cast_cost, cur)],
               ["Projected total", _money(r.projected_total, cur)],
               [f"Variance vs {r.budget_reference or 'budget'} (allocations)",
                _signed(r.budget_variance) + (f" ({_signed(r.budget_variance_pct, ' %')})"
                                              if r.budget_variance_pct is not None else "")],
               [f"Projected variance vs {r.budget_reference or 'budget'}", _signed(r.projected_variance)]]
    extra = [("FONTNAME", (0, len(budget) - 4), (-1, len(budget) - 1), "Helvetica-Bold")]
    if r.over_budget:
        extra += [("BACKGROUND", (0, len(budget) - 2), (-1, len(budget) - 1), colors.HexColor(OVER_BG)),
                  ("TEXTCOLOR", (1, len(budget) - 2), (1, len(budget) - 1), colors.HexColor("#b71c1c"))]
    metrics: list[list[Any]] = [["Platform / chart", "Latest", "Likes", "As of"]]
    for p in PLATFORMS:
        m = r.latest.get(p)
        if m:
            unit = "viewers" if p in ("mtv", "regional_tv") else "views"
            metrics.append([PLATFORM_LABELS[p], f"{_fmt(m.views_total)} {unit}", _fmt(m.likes_total), _fmt(m.as_of)])
    for cid, pos in sorted(r.charts.items(), key=lambda kv: labels.get(kv[0], kv[0])):
        metrics.append([_paragraph(labels.get(cid, cid), st.cell), f"#{pos.position}", "-", _fmt(pos.as_of)])
    if len(metrics) == 1:
        metrics.append(["no metrics yet", "-", "-", "-"])
    kpi = [["KPI", "Target", "Actual", "Progress"],
           ["YouTube views", _fmt(r.kpi_view_target), _fmt(r.views_total),
            "-" if r.views_pct_of_target is None else
            f"{r.views_pct_of_target} % ({_signed(r.views_vs_target_pct, ' %')})"],
           [_paragraph(f"Chart: {labels.get(r.kpi_chart_target, r.kpi_chart_target or '-')}", st.cell),
            "charting" if r.kpi_chart_target else "-",
            "-" if r.chart_position is None else f"#{r.chart_position}",
            "-" if r.chart_week is None else f"as of {_fmt(r.chart_week)}"],
           ["Chart run (any chart)", "-", "-" if r.chart_peak is None else f"peak #{r.chart_peak}",
            _paragraph(f"{r.weeks_on_chart} week(s) on chart"
                       + (f", peak week {r.chart_peak_week}" if r.chart_peak_week else ""), st.cell)]]
    left = [Paragraph("Plan", st.h3), _table(meta, [80, half - 80], header=False, right_from=None),
            Paragraph("Budget", st.h3), _table(budget, [half - 110, 110], extra=extra)]
    for note in r.budget_notes:
        left.append(_paragraph(note, st.note))
    right = [Paragraph("Latest metrics", st.h3), _table(metrics, [half - 210, 80, 60, 70]),
             Paragraph("KPI progress", st.h3), _table(kpi, [half - 240, 60, 70, 110])]
    grid = Table([[left, right]], colWidths=[half + 6, half + 6])
    grid.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                   ("RIGHTPADDING", (0, 0), (-1, -1), 6)])
    heading = r.title or "(untitled draft)"
    out: list[object] = [_paragraph(heading, st.h2), grid, Spacer(1, 6)]
    if chart is not None:
        out.append(KeepTogether([chart]))
    out.append(PageBreak())
    return out


def write_report_pdf(rows: Sequence[ReportRow] | Report, path: str, *, title: str | None = None,
                     generated_at: datetime | None = None, compress: bool = True,
                     conn: psycopg.Connection | None = None, charts: bool = True) -> None:
    """A landscape A4 PDF: a release summary page, then one page per video (reportlab).

    With ``conn`` (inside the request the rows were read in) each video's page gets its charts
    (views and chart position over time, matplotlib, vector); the series are read one video at
    a time and dropped once drawn. Pages are laid out as the videos come, not collected first.
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import SimpleDocTemplate

    report = rows if isinstance(rows, Report) else Report(UUID(int=0), None, [], list(rows))
    if title is not None and report.release_title is None:
        report.release_title = title.removeprefix("Music videos — ")
    st = _Styles()
    margin = 24
    page_w, _page_h = landscape(A4)
    width = page_w - 2 * margin
    doc = SimpleDocTemplate(path, pagesize=landscape(A4), title=title or f"Music videos — {report.release_title}",
                            invariant=True, pageCompression=1 if compress else 0,
                            leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin)
    stamp = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z")
    drawer = _Charts(width, 150) if charts and conn is not None else None

    def footer(canv: Any, d: Any) -> None:
        canv.saveState()
        canv.setFont("Helvetica", 7)
        canv.setFillColor("#78909c")
        canv.drawRightString(page_w - margin, 12, f"page {d.page}")
        canv.restoreState()

    def pages() -> Iterator[list[object]]:
        yield _summary(report, st, generated=stamp, width=width)
        for r in report.rows:
            chart = None
            if drawer is not None:
                chart = _pdf_flowable(drawer.render(_series(conn, r.music_video_id), r.chart_weeks), width, 150)
            yield _video(r, report, st, chart, width)

    doc.build(_Stream(pages()), onFirstPage=footer, onLaterPages=footer)


class _Stream(list):
    """A flowable list that refills itself from ``chunks`` when it runs dry.

    reportlab's build loop consumes its list from the front (``while len(flowables)``); handing
    it this list lays out one video's flowables (and its chart) at a time instead of holding
    every video's at once.
    """

    def __init__(self, chunks: Iterable[list[object]]) -> None:
        super().__init__()
        self._chunks = iter(chunks)

    def __len__(self) -> int:
        while not super().__len__():
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self.extend(nxt)
        return super().__len__()


def report_fields() -> list[str]:
    return [f.name for f in fields(ReportRow)]


FORMATS = {"csv": "text/csv", "pdf": "application/pdf"}


def export_release(conn: psycopg.Connection, release_id: UUID | str, fmt: str, path: str, *,
                   generated_at: datetime | None = None, charts: bool = True) -> Report:
    """Write the report of a release to ``path`` as ``fmt`` (csv or pdf), in the current request.

    The one rendering path of the CLI's ``music-videos report`` and of the export jobs the app requests.
    """
    report = load_report(conn, release_id)
    if fmt == "pdf":
        write_report_pdf(report, path, conn=conn, generated_at=generated_at, charts=charts)
    elif fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            write_report_csv(report.rows, fh, chart_ids=[c.id for c in report.chart_sources])
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return report
