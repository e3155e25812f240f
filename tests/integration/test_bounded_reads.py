"""The bounded reads of issue 13 §1 return what the definitions they replace returned.

music_video_trends now reads one index range per platform and joins no sample to another
(20261202030000), and get_music_video's latest metrics are one probe per platform
(20261202030100). The previous definitions (the newest migration before each of those that
defines the function) are loaded into a scratch schema and both are called on the same
generated data: several platforms (daily, weekly, irregular, chart-only, one that stopped long
ago), two samples on some days, odd data that the flag trigger marks, soft-deleted samples,
admin overrides and a rolled-back import, then a machine re-sync of the corrected samples
(corrections stick: the overridden values and the rolled-back rows must show as before, in both
definitions).
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from devtools.paths import PROJECT_ROOT
from tests.helpers.plan_rpc import SERVICE
from tests.helpers.reads import panel, read
from workers.db import call_rpc, postgrest_request
from workers.metrics import MetricSample, upsert_samples

MIGRATIONS = PROJECT_ROOT / "supabase" / "migrations"
# function -> the migration that made it bounded; the previous definition is the newest one before it
REPLACED_BY = {"public.music_video_trends": "20261202030000_trends_bounded_plan.sql",
               "private.music_video_document": "20261202030100_latest_metrics_per_platform_probe.sql"}
DAY0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)  # today, UTC midnight


def previous_definition(name: str, replaced_by: str) -> str:
    """The ``create function`` statement of ``name`` in the newest migration before ``replaced_by``."""
    for path in sorted(MIGRATIONS.glob("*.sql"), reverse=True):
        if path.name >= replaced_by:
            continue
        text = path.read_text()
        start = re.search(rf"create (or replace )?function {re.escape(name)}\(", text)
        if start:
            return text[start.start():text.index("\n$$;", start.start()) + 4]
    raise AssertionError(f"no definition of {name} before {replaced_by}")


def load_previous(conn: psycopg.Connection) -> None:
    """The previous definitions, as landed, in the schema ``previous`` (callable by the API roles)."""
    conn.execute("create schema previous")
    conn.execute("grant usage on schema previous to authenticated, service_role")
    for name, replaced_by in REPLACED_BY.items():
        statement = previous_definition(name, replaced_by)
        short = name.split(".")[1]
        conn.execute(statement.replace(f"function {name}(", f"function previous.{short}(", 1))
    conn.execute("grant execute on all functions in schema previous to authenticated, service_role")


def samples(rng: random.Random, vid, platform: str, times: list[datetime], *, views: bool = True,
            chart: bool = False, batch=None) -> list[MetricSample]:
    """A growing series with odd data in it: drops, freezes and jumps (the flag trigger marks them)."""
    out, total = [], rng.randrange(1000, 50_000)
    for at in times:
        r = rng.random()
        total = total - rng.randrange(1, 500) if r < 0.05 else total if r < 0.1 else \
            total + rng.randrange(50_000, 500_000) if r < 0.13 else total + rng.randrange(0, 3000)
        out.append(MetricSample(vid, platform, at, "billboard_hot_100" if chart and rng.random() < 0.7 else
                                ("chart_x" if chart else platform), views_total=total if views else None,
                                likes_total=total // 20 if views and rng.random() < 0.8 else None,
                                chart_position=rng.randrange(1, 100) if chart else None, import_batch_id=batch))
    return out


@pytest.fixture
def world(conn, factory):
    rng = random.Random(13)
    owner, admin = factory.user(), factory.user(admin=True)
    rel = factory.release(owner)
    deep = factory.video(rel, "Deep", kpi_view_target=90_000_000)
    single = factory.video(rel, "One sample", kpi_view_target=10)
    empty = factory.video(rel, "No samples")
    imp = conn.execute("insert into public.music_video_metric_imports (music_video_id, platform, source, status)"
                       " values (%s, 'mtv', 'broadcast', 'succeeded') returning id", (deep,)).fetchone()["id"]

    daily = [DAY0 - timedelta(days=d, hours=rng.choice([0, 3, 7])) for d in range(1200, -1, -1)]
    twice = [DAY0 - timedelta(days=d) + timedelta(hours=20) for d in range(400, 0, -5)]  # two on those days
    weekly = [DAY0 - timedelta(weeks=w) + timedelta(hours=6) for w in range(150, 3, -1)]
    rolled = [DAY0 - timedelta(weeks=w) + timedelta(hours=6) for w in range(3, 0, -1)]  # the import's weeks
    irregular = sorted(DAY0 - timedelta(days=rng.randrange(0, 700), hours=rng.randrange(0, 24)) for _ in range(150))
    stale = [DAY0 - timedelta(days=d) for d in range(400, 200, -1)]  # stopped 200 days ago
    rows = (samples(rng, deep, "youtube", sorted(daily + twice))
            + samples(rng, deep, "mtv", weekly) + samples(rng, deep, "mtv", rolled, batch=imp)
            + samples(rng, deep, "regional_tv", sorted(set(irregular)))
            + samples(rng, deep, "tiktok", stale)
            + samples(rng, deep, "other", weekly, views=False, chart=True)
            + samples(rng, single, "youtube", [DAY0 - timedelta(hours=5)]))
    with conn.transaction():
        upsert_samples(conn, rows)

    def metric(platform: str, at: datetime):
        return conn.execute("select id from public.music_video_metrics where music_video_id = %s and platform = %s"
                            " and collected_at = %s", (deep, platform, at)).fetchone()["id"]

    # soft-deleted samples (among them the latest regional_tv one) count nowhere
    youtube, regional = sorted(daily + twice), sorted(set(irregular))
    for platform, at in [*(("youtube", at) for at in youtube[-60:-20:7]), ("regional_tv", regional[-1])]:
        conn.execute("update public.music_video_metrics set deleted_at = now() where id = %s", (metric(platform, at),))

    overrides = {(platform, at): value for platform, at, value in (
        ("youtube", youtube[-1], 77_777_777), ("youtube", youtube[-4], 1),
        ("mtv", weekly[-1], 5_555_555), ("tiktok", stale[-2], 42))}
    with postgrest_request(conn, admin.claims()) as c:
        for (platform, at), value in overrides.items():
            call_rpc(c, "override_music_video_metric",
                     {"metric_id": str(metric(platform, at)), "views_total": value, "reason": "partner recount"})
        call_rpc(c, "override_music_video_metric", {"metric_id": str(metric("other", weekly[-1])),
                                                    "chart_position": 1, "reason": "chart corrected"})
        call_rpc(c, "rollback_music_video_import", {"import_id": str(imp), "reason": "wrong weeks"})
    # a machine re-sync of the corrected samples: the corrections stick
    with conn.transaction():
        upsert_samples(conn, [MetricSample(deep, p, at, p, views_total=3) for p, at in overrides]
                       + [MetricSample(deep, "mtv", at, "broadcast", views_total=4) for at in rolled])
    conn.execute("analyze public.music_video_metrics")
    return {"owner": owner, "admin": admin, "release": rel, "videos": (deep, single, empty), "overrides": overrides,
            "rolled": rolled, "weekly": weekly}


def trends(conn, claims, schema: str, vid, days: int, platforms) -> list | tuple:
    """The rows as PostgREST sends them, or (sqlstate, message) of the error."""
    try:
        with postgrest_request(conn, claims) as c:
            return c.execute(f"select coalesce(json_agg(t), '[]'::json) as rows from {schema}.music_video_trends("
                             "%s, %s::public.platform_enum[], %s) as t", (str(vid), platforms, days)).fetchone()["rows"]
    except psycopg.Error as exc:
        return exc.sqlstate, exc.diag.message_primary


def document(conn, claims, schema: str, vid) -> dict:
    with postgrest_request(conn, claims) as c:
        return c.execute(f"select {schema}.music_video_document(%s) as d", (vid,)).fetchone()["d"]


def test_trends_equal_the_previous_definition(conn, world):
    load_previous(conn)
    who = {"owner": world["owner"].claims(), "admin": world["admin"].claims(), "service": SERVICE}
    compared = 0
    for vid in world["videos"]:
        for days in (1, 7, 30, 90, 365, 1095):
            for platforms in (None, [], ["youtube"], ["mtv", "other"], ["tiktok", "vevo"]):
                for name, claims in who.items():
                    new = trends(conn, claims, "public", vid, days, platforms)
                    assert new == trends(conn, claims, "previous", vid, days, platforms), (name, vid, days, platforms)
                    compared += len(new) if isinstance(new, list) else 0
    assert compared > 150  # rows were compared, not only empty answers or errors

    deep = world["videos"][0]
    rows = {r["platform"]: r for r in trends(conn, SERVICE, "public", deep, 1095, None)}
    assert set(rows) == {"youtube", "mtv", "regional_tv", "tiktok", "other"}
    overrides = world["overrides"]
    youtube_at = max(at for p, at in overrides if p == "youtube")
    assert (rows["youtube"]["latest_views"], rows["youtube"]["views_total"][-1]) == (77_777_777, 77_777_777)
    assert datetime.fromisoformat(rows["youtube"]["latest_at"]) == youtube_at
    # the rolled-back weeks are gone: MTV ends at its last week before them, as overridden
    assert datetime.fromisoformat(rows["mtv"]["latest_at"]) == world["weekly"][-1]
    assert rows["mtv"]["latest_views"] == 5_555_555
    assert rows["other"]["chart_position"][-1] == 1 and rows["other"]["latest_views"] is None
    assert any(r["flagged_days"] > 0 for r in rows.values())  # odd data was flagged and compared
    assert trends(conn, SERVICE, "public", world["videos"][2], 90, None) == []


def test_latest_metrics_equal_the_previous_definition(conn, world):
    load_previous(conn)
    owner, admin = world["owner"].claims(), world["admin"].claims()
    for vid in world["videos"]:
        for claims in (owner, admin, SERVICE):
            assert document(conn, claims, "private", vid) == document(conn, claims, "previous", vid)
        assert panel(conn, owner, vid)["latest_metrics"] == document(conn, owner, "previous", vid)["latest_metrics"]

    latest = {m["platform"]: m for m in panel(conn, owner, world["videos"][0])["latest_metrics"]}
    assert list(latest) == ["youtube", "mtv", "tiktok", "regional_tv", "other"]  # enum order
    assert latest["youtube"]["views_total"] == 77_777_777
    assert latest["youtube"]["detail"]["manual_override"]["reason"] == "partner recount"
    assert datetime.fromisoformat(latest["mtv"]["collected_at"]) == world["weekly"][-1]  # not a rolled-back week
    assert latest["mtv"]["views_total"] == 5_555_555
    assert latest["other"]["chart_position"] == 1
    assert panel(conn, owner, world["videos"][2])["latest_metrics"] == []


def test_a_foreign_video_is_still_not_found(conn, world, factory):
    stranger = factory.user()
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, stranger.claims()) as c:
        c.execute("select * from public.music_video_trends(%s)", (str(world["videos"][0]),))
    assert (exc.value.sqlstate, exc.value.diag.message_primary) == ("PT404", "Music video not found")
    # the private reader returns nothing to a caller who may not read the video, whoever calls it
    with postgrest_request(conn, stranger.claims()) as c:
        assert c.execute("select count(*) as n from private.music_video_trend_rows(%s, null, 1095)",
                         (world["videos"][0],)).fetchone()["n"] == 0


def test_the_kpi_counts_the_views_the_card_shows(conn, world):
    """The trends' KPI views are the board card's views (20261202030000: a TV platform's audience to
    date is read from the card summary): YouTube's latest count as overridden, MTV's live audiences
    with the admin's value and without the rolled-back weeks, regional_tv without its soft-deleted
    sample. Inside a transaction that wrote samples (the card is refreshed at its commit) the KPI
    already counts them."""
    deep, owner = world["videos"][0], world["owner"].claims()

    def card() -> dict:
        cards = read(conn, owner, "list_music_videos", release_id=str(world["release"]))
        return next(c for c in cards if c["id"] == str(deep))

    def kpi() -> int:  # the reader behind the RPC, as the superuser (inside the test's transaction)
        return conn.execute("select kpi_views_total as v from private.music_video_trend_rows(%s, null, 90) limit 1",
                            (deep,)).fetchone()["v"]

    def live_sum(platform: str) -> int:
        return conn.execute("select sum(views_total) as s from public.music_video_metrics where music_video_id = %s"
                            " and platform = %s and deleted_at is null", (deep, platform)).fetchone()["s"]

    shown = card()
    assert set(shown["views_by_platform"]) == {"youtube", "mtv", "regional_tv", "tiktok"}
    assert shown["views_by_platform"]["youtube"] == 77_777_777  # the override stuck
    for tv in ("mtv", "regional_tv"):
        assert shown["views_by_platform"][tv] == live_sum(tv)
    rolled_live = conn.execute("select count(*) as n from public.music_video_metrics where music_video_id = %s"
                               " and platform = 'mtv' and collected_at = any(%s) and deleted_at is null",
                               (deep, world["rolled"])).fetchone()["n"]
    assert rolled_live == 0  # the rolled-back weeks are not in the audience, even after a re-sync
    last_week = conn.execute("select views_total as v from public.music_video_metrics where music_video_id = %s"
                             " and platform = 'mtv' and collected_at = %s", (deep, world["weekly"][-1])).fetchone()
    assert last_week["v"] == 5_555_555  # the overridden audience is counted as the admin set it
    for claims in (owner, SERVICE):
        rows = trends(conn, claims, "public", deep, 90, None)
        assert isinstance(rows, list), rows
        assert {r["kpi_views_total"] for r in rows} == {shown["views_total"]}

    # a write and a read in one transaction: the card is refreshed at commit, the KPI counts it now
    with conn.transaction():
        upsert_samples(conn, [MetricSample(deep, "mtv", DAY0 + timedelta(hours=1), "broadcast", views_total=1_000)])
        assert kpi() == shown["views_total"] + 1_000
        assert conn.execute("select views_total as v from private.music_video_metric_summaries"
                            " where music_video_id = %s", (deep,)).fetchone()["v"] == shown["views_total"]
    assert card()["views_total"] == shown["views_total"] + 1_000  # refreshed at commit
    assert {r["kpi_views_total"] for r in trends(conn, owner, "public", deep, 90, None)} == {card()["views_total"]}
