"""What the runtime commands share: the command record, the database connection, typed exits."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from workers.config import Settings

# Exit statuses (besides 0): 1 a job failed or there was nothing to do, 2 usage or configuration,
# 3 timed out, 4 an id that does not exist (or that this caller may not see).
EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_NOT_FOUND = 1, 2, 3, 4
# sync --wait: every unfinished job waits on a paused source (the YouTube quota) until a known time
EXIT_PAUSED = 5


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, its one-line help, how to add its options, what it runs."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]


class CommandError(Exception):
    """A failure the command explains in one line (printed as ``error: ...``), with an exit status."""

    exit_code = EXIT_USAGE


class NotFound(CommandError):
    """An id that names nothing (or something the caller may not see)."""

    exit_code = EXIT_NOT_FOUND


def connect(settings: Settings) -> psycopg.Connection:
    """An autocommit connection with dict rows to ``MV_DATABASE_URL`` (required)."""
    return psycopg.connect(settings.require_database_url(), autocommit=True, row_factory=dict_row,
                           application_name="music-videos")


def require_row(conn: psycopg.Connection, query: str, params: Any, what: str) -> dict:
    """The row ``query`` finds, or :class:`NotFound` saying ``<what> not found``."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise NotFound(f"{what} not found")
    return row


def output_path(value: str) -> Path:
    """``--out``: a file in an existing, writable folder (checked before any work is done)."""
    path = Path(value)
    folder = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give a file name")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"folder {folder} is not writable")
    return path


def sources_list(value: str | None) -> list[str] | None:
    """``--sources youtube,charts`` as a list (None when not given)."""
    return [s.strip() for s in value.split(",") if s.strip()] if value else None
