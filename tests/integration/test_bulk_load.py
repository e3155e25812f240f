"""devtools.testdb.bulk_load, the benchmarks' seed path: the table ends with exactly the indexes,
keys and incoming foreign keys it had, and the loaded rows are there."""

from __future__ import annotations

from devtools.testdb import bulk_load

TABLE = "public.music_video_metrics"

SHAPE = """
select 'index' as kind, indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition, true as valid
from pg_index where indrelid = %(t)s::regclass
union all
select 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid), convalidated
from pg_constraint where conrelid = %(t)s::regclass or confrelid = %(t)s::regclass
order by 1, 2
"""


def test_bulk_load_rebuilds_every_index_key_and_incoming_foreign_key(conn, factory, owner, release):
    video = factory.video(release)
    before = conn.execute(SHAPE, {"t": TABLE}).fetchall()
    names = {r["name"].rsplit(".", 1)[-1] for r in before}
    # what the benchmarks rely on: the key, the upsert's unique key, the live index, the overrides' FK
    assert {"music_video_metrics_pkey", "music_video_metrics_live_idx",
            "music_video_metrics_video_platform_collected_key", "music_video_metric_overrides_metric_id_fkey"} <= names

    bulk_load(conn, TABLE, f"""
        insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
        select '{video}', 'youtube', g * 10, timestamptz '2026-01-01' + g * interval '1 day'
        from generate_series(1, 500) as g""")

    assert conn.execute(SHAPE, {"t": TABLE}).fetchall() == before
    assert conn.execute("select count(*) from public.music_video_metrics where music_video_id = %s",
                        (video,)).fetchone()["count"] == 500
    plan = conn.execute("explain select collected_at from public.music_video_metrics where music_video_id = %s"
                        " and platform = 'youtube' and deleted_at is null order by collected_at desc limit 1",
                        (video,)).fetchall()
    assert "music_video_metrics_live_idx" in " ".join(r["QUERY PLAN"] for r in plan)
