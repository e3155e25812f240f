"""Chart feeds in a test: weekly Hot 100 documents derived from the real one, and the chart RPCs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.helpers.reads import read
from workers.db import call_as_postgrest, jwt_claims, postgrest_request

AS_OF = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)  # a Monday: the latest Hot 100 is dated 2026-08-08
LATEST = date(2026, 8, 8)
WEEKS = 52
SERVICE = jwt_claims(role="service_role")


def hot100_fixture(shared_fixtures: Path) -> dict:
    return json.loads((shared_fixtures / "billboard" / "hot100_mhollingshead_2026-08-08_top30.json").read_text())


def make_hot100_weeks(real: dict, weeks: int = WEEKS, *, latest: date = LATEST,
                      absent: dict[str, set[int]] | None = None) -> dict[date, dict]:
    """Weekly Hot 100 documents derived from the real one: week k (0 = latest) is dated
    ``latest - 7k`` and entry i is ranked ``(i + k) % n + 1``. ``absent`` drops a song from some
    weeks (song title -> set of k). Peaks/previous/weeks stay consistent so the parser accepts them."""
    rows = real["data"]
    n = len(rows)
    absent = absent or {}
    docs: dict[date, dict] = {}
    for k in range(weeks):
        day = latest - timedelta(weeks=k)
        data = []
        for i, row in enumerate(rows):
            if k in absent.get(row["song"], set()):
                continue
            rank = (i + k) % n + 1
            older = k + 1 < weeks and k + 1 not in absent.get(row["song"], set())
            data.append({"song": row["song"], "artist": row["artist"], "this_week": rank,
                         "last_week": (i + k + 1) % n + 1 if older else None, "peak_position": 1,
                         "weeks_on_chart": weeks - k + 1})
        docs[day] = {"date": day.isoformat(), "data": sorted(data, key=lambda r: r["this_week"])}
    return docs


def write_weeks(folder: Path, docs: dict[date, dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for day, doc in docs.items():
        (folder / f"{day.isoformat()}.json").write_text(json.dumps(doc))
    return str(folder / "{date}.json")


def request_backfill(conn, user, vid, weeks=None):
    with postgrest_request(conn, user.claims()) as c:
        return call_as_postgrest(c, "request_music_video_chart_backfill",
                        {"music_video_id": vid, **({"weeks": weeks} if weeks is not None else {})}).body


WEEK_KEYS = ("week_start", "on_chart", "chart_position", "chart", "entry_kind", "metric_id", "import_batch_id",
             "position_id", "feed_peak_rank", "feed_previous_rank", "feed_weeks_on_chart", "feed_consistent")
RUN_KEYS = ("first_week", "last_week", "peak_position", "peak_week", "weeks_on_chart", "weeks_off_chart",
            "current_entry_kind", "current_position", "since_debut_peak_position", "since_debut_weeks_on_chart",
            "since_debut_source")


def chart_run(rows):
    """music_video_chart_history's week rows folded into {<the run's summary>, weeks: [...]}: the
    summary columns are the same on every row (checked here); no row is an empty run."""
    summaries = {tuple(r[k] for k in RUN_KEYS) for r in rows}
    assert len(summaries) <= 1, "the run's summary differs between rows"
    summary = dict(zip(RUN_KEYS, summaries.pop(), strict=True)) if rows else {
        **dict.fromkeys(RUN_KEYS), "weeks_on_chart": 0, "weeks_off_chart": 0, "since_debut_weeks_on_chart": 0,
        "since_debut_source": "stored_history"}
    summary["entry_kind"] = summary.pop("current_entry_kind")
    return {**summary, "weeks": [{k: r[k] for k in WEEK_KEYS} for r in rows]}


def chart_history(conn, user, vid, chart=None):
    return chart_run(read(conn, user.claims(), "music_video_chart_history", music_video_id=str(vid),
                          **({"chart": chart} if chart else {})))


def chart_rows(conn, vid):
    return conn.execute("select collected_at, chart_position, source, detail, import_batch_id, deleted_at"
                        " from public.music_video_metrics where music_video_id = %s and platform = 'other'"
                        " order by collected_at", (vid,)).fetchall()


def job(conn, import_id):
    return conn.execute("select * from public.music_video_metric_imports where id = %s", (import_id,)).fetchone()
