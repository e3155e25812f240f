"""The development command line: ``python -m devtools <command>``, from the checkout.

    python -m devtools db start|stop|status|migrate|url   the embedded database and the migrations
    python -m devtools db demo [--reload]                  load the demo data (supabase/demo/, local only)
    python -m devtools run [--no-services] [--no-demo]     start it, migrate, seed, load the demo, run the services
    python -m devtools contract generate|check             the TypeScript types and the API reference

``db migrate`` and ``run`` work on ``MV_DATABASE_URL`` when it is set (for example the database
``supabase start`` runs), else on the embedded cluster (``.local/pg``, ``MV_LOCAL_PGPORT``).
The services themselves are the runtime's (``music-videos worker`` and ``scheduler``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from devtools.demo import DEMO_EMAIL, DEMO_PASSWORD, is_local, load_demo
from devtools.errors import DevToolsError
from devtools.localdb import LocalCluster
from devtools.migrate import migrate
from devtools.paths import PROJECT_ROOT
from workers.config import Settings, load_settings
from workers.errors import MusicVideoError

PROG = "python -m devtools"


def database_url(settings: Settings) -> str:
    """``MV_DATABASE_URL``, or the embedded cluster's (started on demand, checked to be ours)."""
    if settings.database_url:
        return settings.database_url
    cluster = LocalCluster.default()
    cluster.start()
    return cluster.url()


def _db(args: argparse.Namespace, settings: Settings) -> int:
    cluster = LocalCluster.default()
    if args.action == "start":
        cluster.start()
        print(f"PostgreSQL running at {cluster.url()}")
    elif args.action == "stop":
        cluster.stop()
        print("PostgreSQL stopped")
    elif args.action == "status":
        print(json.dumps(cluster.status(), indent=2))
    elif args.action == "url":
        if settings.database_url:
            print(settings.database_url)
        else:
            if cluster.running():
                cluster.verify()
            print(cluster.url())
    elif args.action == "migrate":
        report = migrate(database_url(settings), seed=not args.no_seed)
        print(f"baseline: {'applied' if report.baseline_applied else 'present'}; "
              f"applied {len(report.applied)} migration(s), {len(report.skipped)} already applied; "
              f"seed: {'applied' if report.seeded else 'skipped'}")
        for name in report.applied:
            print(f"  + {name}")
    elif args.action == "demo":
        load_demo_and_say(database_url(settings), force=args.reload)
    return 0


def load_demo_and_say(url: str, *, force: bool = False) -> None:
    """Load the demo data (skipped when unchanged) and say how to sign in."""
    report = load_demo(url, force=force)
    state = "loaded" if report.loaded else "unchanged, kept"
    print(f"demo data {state}: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD} (README, \"The demo\")", flush=True)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    report = migrate(url)
    print(f"database ready at {url} ({len(report.applied)} new migration(s))", flush=True)
    if args.no_demo:
        pass
    elif is_local(url):
        load_demo_and_say(url)
    else:
        print("demo data not loaded: the database is not on this machine (the demo is for local databases only)")
    if args.no_services:
        print(f"the database keeps running (stop it with: {PROG} db stop)")
        return 0
    from workers.services import run_services  # the worker and scheduler, side by side

    update: dict = {"database_url": url}
    if "MV_STORAGE_LOCAL_DIR" not in os.environ:
        update["storage_local_dir"] = PROJECT_ROOT / ".local" / "storage"
    update.update(_worker_defaults(settings))
    os.environ["MV_DATABASE_URL"] = url  # what the services' own subprocesses and helpers read
    return run_services(settings.model_copy(update=update), url)


def _contract(args: argparse.Namespace, settings: Settings) -> int:
    from devtools import contract  # imported here: only this command needs it

    return contract.main(args.action)


def _worker_defaults(settings: Settings) -> dict:
    """A local run's worker: told to skip the sources this machine cannot serve (no YouTube key, no
    chart feed: said so on the terminal), and its metrics served on MV_WORKER_METRICS_PORT or 54332."""
    from workers.sources.registry import HANDLERS, unservable

    wanted = settings.worker_sources if settings.worker_sources is not None else list(HANDLERS)
    reasons = unservable(settings, [s for s in wanted if s not in settings.worker_skip_sources])
    for source, why in sorted(reasons.items()):
        print(f"the worker skips {source}: {why}", flush=True)
    update: dict = {"worker_skip_sources": [*settings.worker_skip_sources, *sorted(reasons)]}
    if settings.worker_metrics_port is None:
        update["worker_metrics_port"] = 54332
    return update


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Development tooling: the embedded database, "
                                     "migrations, and running everything locally.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    p = sub.add_parser("db", help="the embedded database and migrations",
                       description="the embedded PostgreSQL 15 cluster and the migration runner")
    p.add_argument("action", choices=["start", "stop", "status", "migrate", "url", "demo"],
                   help="start, stop or describe the cluster; migrate (baseline, migrations, seed); print its URL; "
                        "load the demo data (local databases only)")
    p.add_argument("--no-seed", action="store_true", help="migrate without applying supabase/seed.sql")
    p.add_argument("--reload", action="store_true", help="demo: load it again even when unchanged")
    p.set_defaults(handler=_db)

    p = sub.add_parser("run", help="start the database, migrate and seed, then run the worker, scheduler and service",
                       description="start the database, migrate and seed, then run the worker, the scheduler and "
                                   "the HTTP service (webhooks, /healthz, /metrics)")
    p.add_argument("--no-services", action="store_true", help="stop after migrating; leave the database running")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo data (supabase/demo/)")
    p.set_defaults(handler=_run)

    p = sub.add_parser("contract", help="generate or check the TypeScript types and the API reference",
                       description="the contract from a scratch database with every migration applied: "
                       "supabase/types/database.types.ts (Supabase's generator) and docs/api-reference.md")
    p.add_argument("action", choices=["generate", "check"],
                   help="generate: write both files; check: exit 1 with a diff when either is stale")
    p.set_defaults(handler=_contract)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        return args.handler(args, settings)
    except (DevToolsError, MusicVideoError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
