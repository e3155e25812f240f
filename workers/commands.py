"""The ingestion runtime's subcommands, registered into :data:`workers.cli.COMMANDS`.

    mv worker [--concurrency N] [--sources youtube,charts] [--exit-when-idle]
    mv scheduler [--run-now]
    mv enqueue-nightly [--date YYYY-MM-DD]
    mv sync VIDEO_ID | --release ID | --scheduled  [--sources ...] [--wait [--timeout S]] [--inline]
    mv replay [--import-id ID ...] [--since ISO-DATE]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from workers.cli import COMMANDS, database_url
from workers.config import Settings
from workers.logs import configure_logging

TERMINAL = ("succeeded", "failed", "partially_failed")


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, row_factory=dict_row, application_name="mv-cli")


def _sources(value: str | None) -> list[str] | None:
    return [s.strip() for s in value.split(",") if s.strip()] if value else None


# --------------------------------------------------------------------------- worker


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concurrency", type=int, help="batches in flight (MV_WORKER_CONCURRENCY)")
    p.add_argument("--sources", help="comma-separated sources to serve (default: all registered)")
    p.add_argument("--exit-when-idle", action="store_true", help="stop once nothing is due or in hand")


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from workers.queue.worker import Worker

    configure_logging(settings)
    if args.sources:
        settings = settings.model_copy(update={"worker_sources": _sources(args.sources)})
    worker = Worker(settings, database_url(settings), concurrency=args.concurrency)
    return worker.run(exit_when_idle=args.exit_when_idle)


# --------------------------------------------------------------------------- scheduler


def _scheduler_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run-now", action="store_true", help="enqueue today's run once and exit")


def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from workers.scheduler import NightlyScheduler

    configure_logging(settings)
    sched = NightlyScheduler(settings, database_url(settings))
    if args.run_now:
        req = sched.run_for(datetime.now(sched.tz).date())
        print(f"enqueued {req.created} job(s), {req.reused} already live", file=sys.stderr)
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sched.shutdown()
    return 0


def _enqueue_nightly_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=date.fromisoformat, help="run date (default: today in MV_SYNC_TIMEZONE)")


def _enqueue_nightly(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from workers.scheduler import enqueue_nightly

    run_date = args.date or datetime.now(ZoneInfo(settings.sync_timezone)).date()
    with _connect(database_url(settings)) as conn:
        req = enqueue_nightly(conn, run_date)
    print(f"{run_date}: enqueued {req.created} job(s), {req.reused} already live, "
          f"{len(req.by_video)} scheduled video(s)")
    return 0


# --------------------------------------------------------------------------- sync


def _sync_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", nargs="?", type=UUID, help="music video id")
    p.add_argument("--release", type=UUID, help="every video of this release")
    p.add_argument("--scheduled", action="store_true", help="every video with sync_strategy = 'scheduled'")
    p.add_argument("--sources", help="comma-separated sources (default: every source the video has)")
    p.add_argument("--wait", action="store_true", help="follow the import rows to the end, with a progress bar")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (with --wait)")
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
        rows = conn.execute("select status::text, count(*) as n from public.music_video_metric_imports"
                            " where id = any(%s) group by 1", (list(ids),)).fetchall()
        counts = {r["status"]: r["n"] for r in rows}
        done = sum(counts.get(s, 0) for s in TERMINAL)
        line = progress_line(done, len(ids), counts, time.monotonic() - start)
        if tty:
            out.write("\r" + line)
        elif done != last_done:
            out.write(line + "\n")
        out.flush()
        last_done = done
        if done >= len(ids) or time.monotonic() - start > timeout:
            break
        time.sleep(interval)
    if tty:
        out.write("\n")
    return counts


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from workers.sync import sync_music_video_metrics

    chosen = [x for x in (args.video, args.release, args.scheduled or None) if x is not None]
    if len(chosen) != 1:
        print("error: give one video id, --release ID or --scheduled", file=sys.stderr)
        return 2
    url = database_url(settings)
    with _connect(url) as conn:
        req = sync_music_video_metrics(conn, args.video, release_id=args.release, scheduled=args.scheduled,
                                       sources=_sources(args.sources))
        print(f"sync requested: {req.created} new job(s), {req.reused} already live", file=sys.stderr)
        for vid, entries in req.by_video.items():
            for e in entries:
                print(f"{vid}\t{e['source']}\t{e['import_id']}\t{e['status']}")
        if not req.import_ids:
            print("nothing to sync: no video with a syncable source", file=sys.stderr)
            return 1
        if not (args.wait or args.inline):
            return 0
        worker = None
        thread = None
        if args.inline:
            from workers.queue.worker import Worker

            configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
            worker = Worker(settings, url)
            thread = threading.Thread(target=worker.run, kwargs={"install_signals": False}, daemon=True)
            thread.start()
        try:
            counts = follow(conn, req.import_ids, timeout=args.timeout)
        finally:
            if worker is not None:
                worker.stop()
                thread.join(30)
        done = sum(counts.get(s, 0) for s in TERMINAL)
        if done < len(req.import_ids):
            print(f"timed out: {len(req.import_ids) - done} job(s) still running", file=sys.stderr)
            return 3
        failed = conn.execute(
            "select id, source, error_message from public.music_video_metric_imports"
            " where id = any(%s) and status <> 'succeeded'", (req.import_ids,)).fetchall()
        for r in failed:
            print(f"{r['id']} ({r['source']}): {r['error_message']}", file=sys.stderr)
        return 0 if not failed else 1


# --------------------------------------------------------------------------- replay


def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--import-id", type=UUID, action="append", help="an import to replay (repeatable)")
    p.add_argument("--since", type=datetime.fromisoformat, help="imports created since (ISO date/time)")


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    from workers.sources.youtube.job import replay_youtube
    from workers.storage import make_storage

    with _connect(database_url(settings)) as conn:
        rep = replay_youtube(conn, make_storage(settings), import_ids=args.import_id, since=args.since)
    print(f"replayed {rep.payloads} payload(s) for {rep.imports} import(s): {rep.counts.inserted} inserted, "
          f"{rep.counts.updated} updated, {rep.not_found} id(s) absent from their payload")
    return 0


_OURS = {
    "worker": (_worker_args, _worker),
    "scheduler": (_scheduler_args, _scheduler),
    "enqueue-nightly": (_enqueue_nightly_args, _enqueue_nightly),
    "sync": (_sync_args, _sync),
    "replay": (_replay_args, _replay),
}
COMMANDS.update(_OURS)
