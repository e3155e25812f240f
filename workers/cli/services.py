"""The long-running services and the nightly enqueue.

    music-videos worker [--concurrency N] [--sources youtube,charts] [--skip-sources youtube]
                        [--metrics-port PORT] [--exit-when-idle]
    music-videos service [--host H] [--port P] [--workers N]
    music-videos scheduler [--run-now]
    music-videos enqueue-nightly [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import date, datetime

from workers.cli.base import Command, connect, sources_list
from workers.config import Settings
from workers.logs import configure_logging


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concurrency", type=int, metavar="N", help="batches in flight (default: MV_WORKER_CONCURRENCY)")
    p.add_argument("--sources", metavar="LIST", help="comma-separated sources to serve (default: all registered)")
    p.add_argument("--skip-sources", metavar="LIST",
                   help="comma-separated sources not to serve, e.g. youtube without a key (MV_WORKER_SKIP_SOURCES)")
    p.add_argument("--metrics-port", type=int, metavar="PORT",
                   help="serve Prometheus metrics on this port (MV_WORKER_METRICS_PORT)")
    p.add_argument("--exit-when-idle", action="store_true", help="stop once nothing is due or in hand")


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from workers.queue.worker import Worker

    url = settings.require_database_url()
    configure_logging(settings)
    if args.sources:
        settings = settings.model_copy(update={"worker_sources": sources_list(args.sources)})
    if args.skip_sources:
        settings = settings.model_copy(update={"worker_skip_sources": sources_list(args.skip_sources)})
    if args.metrics_port is not None:
        settings = settings.model_copy(update={"worker_metrics_port": args.metrics_port})
    return Worker(settings, url, concurrency=args.concurrency).run(exit_when_idle=args.exit_when_idle)


def _service_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default: MV_SERVICE_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: MV_SERVICE_PORT, 54331)")
    p.add_argument("--workers", type=int, metavar="N", help="uvicorn processes (default: MV_SERVICE_WORKERS, 2)")


def _service(args: argparse.Namespace, settings: Settings) -> int:
    from workers.service.server import run_service

    configure_logging(settings)
    return run_service(settings, host=args.host, port=args.port, workers=args.workers)


def _scheduler_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run-now", action="store_true",
                   help="enqueue today's run and rebuild the timeline lanes for today once, then exit")


def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from workers.scheduler import NightlyScheduler

    url = settings.require_database_url()
    configure_logging(settings)
    sched = NightlyScheduler(settings, url)
    if args.run_now:
        req = sched.run_for(datetime.now(sched.tz).date())
        print(f"enqueued {req.summary()}", file=sys.stderr)
        lanes = sched.refresh_timeline()
        print(lanes.summary() if lanes else "timeline lane refresh failed (see the log)", file=sys.stderr)
        return 0 if lanes else 1
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
    p.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="run date, YYYY-MM-DD (default: today in MV_SYNC_TIMEZONE)")


def _enqueue_nightly(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from workers.scheduler import enqueue_nightly

    run_date = args.date or datetime.now(ZoneInfo(settings.sync_timezone)).date()
    with connect(settings) as conn:
        plan = enqueue_nightly(conn, run_date, settings=settings)
    print(f"{run_date}: enqueued {plan.created} job(s); {plan.reused} reused a live job, "
          f"{plan.already_enqueued} already enqueued for this night; {plan.scheduled_videos} scheduled"
          f" YouTube video(s); {plan.summary()}")
    return 0


COMMANDS = (
    Command("worker", "process import jobs until stopped (run any number, on any machines)",
            _worker_args, _worker),
    Command("service", "serve partner webhooks, /healthz and /metrics over HTTP (uvicorn)",
            _service_args, _service),
    Command("scheduler", "enqueue the nightly sync of scheduled videos (MV_SYNC_CRON)",
            _scheduler_args, _scheduler),
    Command("enqueue-nightly", "enqueue one night's sync now (idempotent per date) and exit",
            _enqueue_nightly_args, _enqueue_nightly),
)
