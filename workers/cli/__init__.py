"""The runtime command line: ``music-videos <command>`` (or ``python -m workers``).

Every command works on the database ``MV_DATABASE_URL`` names; development tooling (the
embedded database, migrations, ``run``) is a separate command line, ``python -m devtools``.
The commands are listed here, module by module; nothing registers itself.
"""

from __future__ import annotations

import argparse
import logging
import sys

from workers.cli import exports, services, sync
from workers.cli.base import EXIT_USAGE, Command, CommandError
from workers.config import load_settings
from workers.errors import MusicVideoError

PROG = "music-videos"
COMMANDS: tuple[Command, ...] = (*services.COMMANDS, *sync.COMMANDS, *exports.COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Music Videos services and exports; needs MV_DATABASE_URL.",
        epilog="Settings come from MV_* environment variables (see workers/config.py).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands", description="run '%(prog)s COMMAND --help' for its options")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(run=cmd.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        return args.run(args, settings)
    except CommandError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except MusicVideoError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.filename is None:
            raise
        print(f"{PROG} {args.command}: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
