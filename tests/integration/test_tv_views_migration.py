"""20261202020200 (the TV rule) and 20261202020210 (its data fix) on a database that already holds
TV samples flagged under the old rule: the data fix clears their flags and recomputes the cards (a
TV platform's views become the sum of its audiences), while a YouTube decrease keeps
views_decreased. The migrations before the rule are applied to an empty database, the data
written, then the rest applied, as a project upgrades."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from devtools.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]
TV_RULE = "20261202020200"


def test_the_migration_unflags_stored_tv_samples_and_recounts_the_cards(empty_db_url, tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    later = []
    for path in sorted((ROOT / "supabase" / "migrations").glob("*.sql")):
        if path.name < TV_RULE:
            shutil.copy(path, tmp_path / "supabase" / "migrations" / path.name)
        else:
            later.append(path)
    migrate(empty_db_url, root=tmp_path, seed=False)
    with psycopg.connect(empty_db_url, autocommit=True, row_factory=dict_row) as c:
        owner = c.execute("insert into auth.users (id, email) values (gen_random_uuid(), 'tv@example.test')"
                          " returning id").fetchone()["id"]
        c.execute("insert into public.profiles (id) values (%s) on conflict do nothing", (owner,))
        rel = c.execute("insert into public.releases (user_id, title) values (%s, 'TV') returning id",
                        (owner,)).fetchone()["id"]
        vid = c.execute("insert into public.music_videos (release_id, title) values (%s, 'On air') returning id",
                        (rel,)).fetchone()["id"]
        c.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
                  " select %s, p.platform::public.platform_enum, date '2026-11-01' + d, p.source, v"
                  " from (values ('mtv', 'broadcast:x.csv'), ('youtube', 'youtube')) as p (platform, source),"
                  " unnest(array[0, 1, 2], array[5000, 3000, 4000]) as u (d, v)", (vid,))
        before = {r["platform"]: r["flags"] for r in c.execute(
            "select platform::text, flags from public.music_video_metrics where collected_at = '2026-11-02'")}
        assert before == {"mtv": ["views_decreased"], "youtube": ["views_decreased"]}  # the old rule
        for path in later:
            shutil.copy(path, tmp_path / "supabase" / "migrations" / path.name)
        report = migrate(empty_db_url, root=tmp_path, seed=False)
        assert report.applied[0].startswith(TV_RULE)
        after = {r["platform"]: r["flags"] for r in c.execute(
            "select platform::text, flags from public.music_video_metrics where collected_at = '2026-11-02'")}
        assert after == {"mtv": [], "youtube": ["views_decreased"]}
        card = c.execute("select views_total, views_by_platform from private.music_video_metric_summaries"
                         " where music_video_id = %s", (vid,)).fetchone()
        assert (card["views_total"], card["views_by_platform"]) == (12000 + 4000, {"mtv": 12000, "youtube": 4000})
