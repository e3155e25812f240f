"""Ask for metrics now, follow the jobs, and re-parse stored payloads.

    music-videos sync VIDEO_ID | --release ID | --scheduled  [--sources ...] [--wait [--timeout S]] [--inline]
    music-videos replay [--import-id ID ...] [--video ID ...] [--since WHEN] [--until WHEN] [--all] [--dry-run]

replay skips imports an admin rolled back. A replay of everything (no scope) asks on a terminal,
and needs --all otherwise (exit 2, a usage error, without it). --dry-run changes nothing and
prints what would change per import.

sync --wait exit codes: 0 all succeeded; 1 some failed; 3 timed out; 5 waiting on a paused
source (the YouTube quota): the jobs stay queued and run after the reset time printed.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO
from uuid import UUID

import psycopg

from workers.cli.base import (
    EXIT_FAILED,
    EXIT_PAUSED,
    EXIT_TIMEOUT,
    Command,
    CommandError,
    NotFound,
    connect,
    require_row,
    sources_list,
)
from workers.config import Settings
from workers.logs import configure_logging

TERMINAL = ("succeeded", "failed", "partially_failed")


def _sync_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", nargs="?", type=UUID, metavar="VIDEO_ID", help="music video id")
    p.add_argument("--release", type=UUID, metavar="ID", help="every video of this release")
    p.add_argument("--scheduled", action="store_true", help="every video with sync_strategy = 'scheduled'")
    p.add_argument("--sources", metavar="LIST", help="comma-separated sources (default: every source the video has)")
    p.add_argument("--wait", action="store_true", help="follow the import rows to the end, with a progress bar")
    p.add_argument("--timeout", type=float, metavar="SECONDS", default=600.0,
                   help="seconds to wait with --wait (default: 600)")
    p.add_argument("--inline", action="store_true",
                   help="also run a worker in this process until the jobs are done (implies --wait)")


def progress_line(done: int, total: int, counts: dict[str, int], elapsed: float, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    bar = "#" * filled + "." * (width - filled)
    detail = ", ".join(f"{counts.get(s, 0)} {s}" for s in TERMINAL if counts.get(s))
    return f"[{bar}] {done}/{total} done" + (f" ({detail})" if detail else "") + f" {elapsed:5.1f}s"


def follow(conn: psycopg.Connection, ids: Sequence[UUID], *, timeout: float, out: TextIO = sys.stderr,
           interval: float = 0.25) -> dict[str, int]:
    """Poll the import rows until all are terminal (or timeout); draw a bar on ``out``."""
    start = time.monotonic()
    tty = out.isatty()
    last_done = -1
    counts: dict[str, int] = {}
    while True:
        rows = conn.execute("select status::text, count(*) as n,"
                            " count(*) filter (where status = 'pending' and metadata ? 'waiting') as waiting"
                            " from public.music_video_metric_imports where id = any(%s) group by 1",
                            (list(ids),)).fetchall()
        counts = {r["status"]: r["n"] for r in rows}
        done = sum(counts.get(s, 0) for s in TERMINAL)
        if done < len(ids) and sum(r["waiting"] for r in rows) == len(ids) - done:
            counts["waiting"] = len(ids) - done  # every unfinished job waits on a paused source
        line = progress_line(done, len(ids), counts, time.monotonic() - start)
        if tty:
            out.write("\r" + line)
        elif done != last_done:
            out.write(line + "\n")
        out.flush()
        last_done = done
        if done >= len(ids) or counts.get("waiting") or time.monotonic() - start > timeout:
            break
        time.sleep(interval)
    if tty:
        out.write("\n")
    return counts


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from workers.sync import sync_music_video_metrics

    chosen = [x for x in (args.video, args.release, args.scheduled or None) if x is not None]
    if len(chosen) != 1:
        raise CommandError("give one video id, --release ID or --scheduled")
    with connect(settings) as conn:
        if args.video:
            require_row(conn, "select 1 from public.music_videos where id = %s", (args.video,),
                        f"music video {args.video}")
        if args.release:
            require_row(conn, "select 1 from public.releases where id = %s", (args.release,),
                        f"release {args.release}")
        req = sync_music_video_metrics(conn, args.video, release_id=args.release, scheduled=args.scheduled,
                                       sources=sources_list(args.sources))
        print(f"sync requested: {req.summary()}", file=sys.stderr)
        for vid, entries in req.by_video.items():
            for e in entries:
                print(f"{vid}\t{e['source']}\t{e['import_id']}\t{e['status']}")
        if not req.import_ids:
            print("nothing to sync: no video with a syncable source", file=sys.stderr)
            return EXIT_FAILED
        if not (args.wait or args.inline):
            return 0
        return _wait(conn, req.import_ids, settings, timeout=args.timeout, inline=args.inline)


def _wait(conn: psycopg.Connection, ids: list[UUID], settings: Settings, *, timeout: float, inline: bool) -> int:
    worker = thread = None
    if inline:
        from workers.queue.worker import Worker

        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
        worker = Worker(settings, settings.require_database_url())
        thread = threading.Thread(target=worker.run, kwargs={"install_signals": False}, daemon=True)
        thread.start()
    try:
        counts = follow(conn, ids, timeout=timeout)
    finally:
        if worker is not None:
            worker.stop()
            thread.join(30)
    done = sum(counts.get(s, 0) for s in TERMINAL)
    if counts.get("waiting"):
        for r in conn.execute("select id, source, metadata #>> '{waiting,message}' as message"
                              " from public.music_video_metric_imports"
                              " where id = any(%s) and status = 'pending' and metadata ? 'waiting'", (ids,)):
            print(f"{r['id']} ({r['source']}): {r['message']}; it runs then, no need to wait", file=sys.stderr)
        return EXIT_PAUSED
    if done < len(ids):
        print(f"timed out: {len(ids) - done} job(s) still running", file=sys.stderr)
        return EXIT_TIMEOUT
    failed = conn.execute(
        "select id, source, error_message from public.music_video_metric_imports"
        " where id = any(%s) and status <> 'succeeded'", (ids,)).fetchall()
    for r in failed:
        print(f"{r['id']} ({r['source']}): {r['error_message']}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--import-id", type=UUID, metavar="ID", action="append",
                   help="a YouTube import to replay (repeatable)")
    p.add_argument("--video", type=UUID, metavar="ID", action="append",
                   help="only the imports of this music video (repeatable)")
    p.add_argument("--since", type=datetime.fromisoformat, metavar="WHEN",
                   help="imports created since this ISO date/time")
    p.add_argument("--until", type=datetime.fromisoformat, metavar="WHEN",
                   help="imports created before this ISO date/time")
    p.add_argument("--all", action="store_true", help="replay every stored payload (needed without a scope)")
    p.add_argument("--dry-run", action="store_true", help="print what would change, per import; change nothing")


def _confirm_everything(args: argparse.Namespace, stdin: TextIO = sys.stdin) -> None:
    """A bare replay touches every YouTube row ever synced: ask on a terminal, else require --all."""
    if args.all or args.dry_run or args.import_id or args.video or args.since or args.until:
        return
    if stdin.isatty():
        sys.stderr.write("replay every stored YouTube payload of every video? [y/N] ")
        sys.stderr.flush()
        if stdin.readline().strip().lower() in ("y", "yes"):
            return
        raise CommandError("replay cancelled")
    raise CommandError("replaying every import needs --all (or a scope: --import-id, --video, --since, --until);"
                       " try --dry-run first")


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    from workers.sources.youtube.job import replay_youtube
    from workers.storage import make_storage

    with connect(settings) as conn:
        _confirm_everything(args)
        if args.import_id:
            known = {r["id"] for r in conn.execute(
                "select id from public.music_video_metric_imports where id = any(%s) and source = 'youtube'",
                (args.import_id,))}
            missing = [str(i) for i in args.import_id if i not in known]
            if missing:
                raise NotFound(f"YouTube import {', '.join(missing)} not found")
        if args.video:
            known = {r["id"] for r in conn.execute("select id from public.music_videos where id = any(%s)",
                                                   (args.video,))}
            missing = [str(i) for i in args.video if i not in known]
            if missing:
                raise NotFound(f"music video {', '.join(missing)} not found")
        rep = replay_youtube(conn, make_storage(settings), import_ids=args.import_id, since=args.since,
                             until=args.until, video_ids=args.video, dry_run=args.dry_run)
    for imp in rep.skipped_rolled_back:
        print(f"{imp}	skipped: rolled back by an admin", file=sys.stderr)
    if rep.dry_run:
        for imp, (ins, upd, changed) in rep.per_import.items():
            print(f"{imp}	would insert {ins}, update {upd} ({changed} with changed values)")
        print(f"dry run: {rep.payloads} payload(s) for {rep.imports} import(s) would insert {rep.counts.inserted}"
              f" and update {rep.counts.updated} row(s); nothing was changed")
        return 0
    print(f"replayed {rep.payloads} payload(s) for {rep.imports} import(s): {rep.counts.inserted} inserted, "
          f"{rep.counts.updated} updated, {rep.not_found} id(s) absent from their payload"
          + (f", {len(rep.skipped_rolled_back)} rolled-back import(s) skipped" if rep.skipped_rolled_back else ""))
    return 0


COMMANDS = (
    Command("sync", "enqueue a metrics sync of a video, a release or every scheduled video", _sync_args, _sync),
    Command("replay", "re-parse stored YouTube payloads and upsert their samples again (no API call)",
            _replay_args, _replay),
)
