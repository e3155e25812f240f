"""Command-line entry point: ``mv <command>`` (or ``python -m workers.cli``).

    mv db start|stop|status|migrate|url   the embedded database and the migration runner
    mv run                                 start the database, migrate, seed, run the services

Subcommands of the ingestion runtime register themselves in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable

from devtools.localdb import LocalCluster
from devtools.migrate import migrate
from workers.config import Settings, load_settings
from workers.errors import MusicVideoError

log = logging.getLogger("workers")

# name -> (configure parser, handler). Other modules add their commands here.
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace, Settings], int]]] = {}


def database_url(settings: Settings, *, start: bool = True) -> str:
    """The configured URL, or the embedded cluster's (started on demand)."""
    if settings.database_url:
        return settings.database_url
    cluster = LocalCluster.default()
    if start:
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
        print(database_url(settings, start=False))
    elif args.action == "migrate":
        report = migrate(database_url(settings), seed=not args.no_seed)
        print(f"baseline: {'applied' if report.baseline_applied else 'present'}; "
              f"applied {len(report.applied)} migration(s), {len(report.skipped)} already applied; "
              f"seed: {'applied' if report.seeded else 'skipped'}")
        for name in report.applied:
            print(f"  + {name}")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    report = migrate(url)
    print(f"database ready at {url} ({len(report.applied)} new migration(s))")
    services = [name for name in ("worker", "scheduler") if name in COMMANDS]
    if not services or args.no_services:
        print("no services to start; the database keeps running (stop it with: mv db stop)")
        return 0
    from workers.services import run_services  # the worker and scheduler, side by side

    return run_services(settings, url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mv", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="the embedded database and migrations")
    p.add_argument("action", choices=["start", "stop", "status", "migrate", "url"])
    p.add_argument("--no-seed", action="store_true", help="migrate without applying seed.sql")
    p.set_defaults(handler=_db)

    p = sub.add_parser("run", help="database, migrations, seed and services")
    p.add_argument("--no-services", action="store_true")
    p.set_defaults(handler=_run)

    _load_plugin_commands()
    for name, (configure, handler) in COMMANDS.items():
        p = sub.add_parser(name)
        configure(p)
        p.set_defaults(handler=handler)
    return parser


def _load_plugin_commands() -> None:
    """Import the modules that register commands; absent ones are simply not offered."""
    import importlib

    for mod in ("workers.commands", "workers.reports.commands"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return args.handler(args, settings)
    except MusicVideoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Under `python -m workers.cli` this file runs as __main__, a second copy of the module with
    # its own COMMANDS; delegate to the imported module so plugins register in one place.
    from workers.cli import main as _main

    sys.exit(_main())
