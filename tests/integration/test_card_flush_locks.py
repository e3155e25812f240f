"""The card-summary flush at commit locks the cards it refreshes by row (20261202070000): two commits
of one video take turns and the card ends with both; commits of other videos do not wait; a card
created for nothing (no import, no sample left) is not kept; a video deleted in the same
transaction flushes without error."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg.rows import dict_row

from tests.helpers.queue_support import make_videos

SAMPLE = ("insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
          " values (%s, %s, now() - make_interval(days => %s), %s, %s)")


def card(conn, video):
    return conn.execute("select * from private.music_video_metric_summaries where music_video_id = %s",
                        (video,)).fetchone()


def commit_in_thread(url, statements):
    """Run the statements in one transaction on a connection of its own, in a thread; returns the
    thread and a list that gets the commit's end time."""
    done: list = []

    def run():
        with psycopg.connect(url, row_factory=dict_row) as c:
            for sql, args in statements:
                c.execute(sql, args)
            c.commit()  # the flush runs here
            done.append(time.monotonic())

    t = threading.Thread(target=run)
    t.start()
    return t, done


def test_a_big_commit_waiting_in_its_flush_holds_back_its_own_videos_only(conn, factory, db_url):
    """A commit of 1,500 videos' samples waits in its flush for one card (a third session holds its
    row). A commit of another video goes through meanwhile (the stripe locks of 20261201040100 made
    it wait: 1,500 videos cover every one of the 256 stripes but a ~0.3% chance); a commit of a video
    in the batch waits its turn, and the card ends with both commits' samples."""
    vids = [v for v, _ in make_videos(conn, factory, 1502)]
    v, other, batch = vids[0], vids[1], vids[2:]
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
                 " select u, 'youtube', now() - interval '3 days', 'youtube', 10 from unnest(%s::uuid[]) as u",
                 (vids,))
    with psycopg.connect(db_url, row_factory=dict_row) as blocker:
        blocker.execute("select 1 from private.music_video_metric_summaries where music_video_id = %s for update",
                        (v,))
        big, big_done = commit_in_thread(db_url, [(
            "insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
            " select u, 'youtube', now() - interval '1 day', 'youtube', 500 from unnest(%s::uuid[]) as u",
            ([v, *batch],))])
        time.sleep(0.5)  # the big commit reaches v's card and waits there
        same, same_done = commit_in_thread(db_url, [(SAMPLE, (v, "vevo", 1, "vevo", 70))])
        alone, alone_done = commit_in_thread(db_url, [(SAMPLE, (other, "youtube", 1, "youtube", 900))])
        alone.join(30)
        assert alone_done and not big_done and not same_done
        blocker.rollback()
    big.join(60)
    same.join(30)
    assert big_done and same_done
    assert card(conn, v)["views_by_platform"] == {"youtube": 500, "vevo": 70}
    assert card(conn, other)["views_total"] == 900
    assert conn.execute("select count(*) as n from private.music_video_metric_summaries"
                        " where music_video_id = any(%s) and views_total = 500", (batch,)).fetchone()["n"] == 1500


def test_the_first_card_of_a_video_is_created_once_by_concurrent_commits(conn, factory, db_url):
    (v, _), = make_videos(conn, factory, 1)
    assert card(conn, v) is None
    threads = [commit_in_thread(db_url, [(SAMPLE, (v, p, 1, p, n))])
               for p, n in (("youtube", 5), ("vevo", 6), ("tiktok", 7))]
    for t, _ in threads:
        t.join(30)
    assert all(done for _, done in threads)
    assert card(conn, v)["views_by_platform"] == {"youtube": 5, "vevo": 6, "tiktok": 7}


def test_a_card_with_nothing_left_is_not_kept(conn, factory):
    (v, _), = make_videos(conn, factory, 1)
    with conn.transaction():  # an import inserted (last sync noted) and deleted before commit
        conn.execute("insert into public.music_video_metric_imports (music_video_id, source) values (%s, 'youtube')",
                     (v,))
        conn.execute("delete from public.music_video_metric_imports where music_video_id = %s", (v,))
    assert card(conn, v) is None
    conn.execute("insert into public.music_video_metric_imports (music_video_id, source) values (%s, 'youtube')", (v,))
    assert card(conn, v)["last_sync_status"] == "pending"


def test_a_video_deleted_in_the_flushing_transaction_leaves_no_card(conn, factory):
    (v, _), = make_videos(conn, factory, 1)
    conn.execute(SAMPLE, (v, "youtube", 1, "youtube", 10))
    with conn.transaction():
        conn.execute(SAMPLE, (v, "youtube", 0, "youtube", 20))
        conn.execute("delete from public.music_videos where id = %s", (v,))
    assert card(conn, v) is None


def test_a_flush_of_over_ten_thousand_videos_takes_turns_with_a_small_one(conn, factory, db_url):
    """A flush of more than 10,000 videos (a nightly's) locks stripes exclusively instead of rows; a
    small flush of one of its videos takes its stripe in shared mode first, so it waits for the big
    one, and the card ends with both commits' samples."""
    vids = [v for v, _ in make_videos(conn, factory, 10_001)]
    stripe = ("select abs(hashtextextended(%s::text, 0) %% 256) as s")
    last = 255
    v = next(x for x in vids if conn.execute(stripe, (x,)).fetchone()["s"] < last)
    below = conn.execute("select count(distinct abs(hashtextextended(u::text, 0) %% 256)) as n"
                         " from unnest(%s::uuid[]) as u where abs(hashtextextended(u::text, 0) %% 256) < %s",
                         (vids, last)).fetchone()["n"]
    with psycopg.connect(db_url, row_factory=dict_row) as blocker:
        blocker.execute("select pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:stripe', %s))",
                        (last,))
        big, big_done = commit_in_thread(db_url, [(
            "insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
            " select u, 'youtube', now() - interval '1 day', 'youtube', 500 from unnest(%s::uuid[]) as u",
            (vids,))])
        for _ in range(600):  # the big flush holds every lower stripe and waits for the last one
            if conn.execute("select count(*) as n from pg_locks where locktype = 'advisory' and granted"
                            " and mode = 'ExclusiveLock'").fetchone()["n"] >= 1 + below:
                break
            time.sleep(0.1)
        small, small_done = commit_in_thread(db_url, [(SAMPLE, (v, "vevo", 1, "vevo", 70))])
        small.join(1.0)
        assert not small_done and not big_done  # the small flush waits behind the big one's stripe
        blocker.rollback()
    big.join(120)
    small.join(30)
    assert big_done and small_done and small_done[0] >= big_done[0]
    assert card(conn, v)["views_by_platform"] == {"youtube": 500, "vevo": 70}
