"""Exports: the analytics report of a release, and an import's failed rows.

    music-videos report --release ID [--format csv|pdf] [--out PATH] [--as-user UUID]
    music-videos import-errors IMPORT_ID [--out PATH] [--as-user UUID]

``--as-user`` builds the export the way that user would see it through the API (RLS applies, and
what they may not see is "not found"); without it the export runs as ``service_role`` (operators).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import psycopg

from workers.cli.base import Command, CommandError, output_path, require_row
from workers.config import Settings
from workers.db import jwt_claims, postgrest_request
from workers.reports.analytics import export_release, load_report, write_report_csv
from workers.reports.import_errors import export_import_errors


@contextmanager
def _request(settings: Settings, as_user: UUID | None) -> Iterator[psycopg.Connection]:
    """One PostgREST-like request as the given user, or as the service role."""
    claims = jwt_claims(sub=as_user) if as_user else jwt_claims(role="service_role")
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn, \
            postgrest_request(conn, claims):
        yield conn


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--release", required=True, type=UUID, metavar="ID", help="the release to report on")
    p.add_argument("--format", choices=["csv", "pdf"], default="csv", help="output format (default: csv)")
    p.add_argument("--out", type=output_path, metavar="PATH",
                   help="file to write (default: stdout for CSV; required for PDF)")
    p.add_argument("--as-user", type=UUID, metavar="USER_ID", help="build it as this user sees it (RLS)")


def _report(args: argparse.Namespace, settings: Settings) -> int:
    if args.format == "pdf" and not args.out:
        raise CommandError("--out is required for a PDF")
    with _request(settings, args.as_user) as conn:
        require_row(conn, "select 1 from public.releases where id = %s", (args.release,), f"release {args.release}")
        if args.out:  # the same rendering as the export jobs the app requests (workers/exports)
            rows = export_release(conn, args.release, args.format, str(args.out)).rows
        else:
            report = load_report(conn, args.release)
            rows = report.rows
            write_report_csv(rows, sys.stdout, chart_ids=[c.id for c in report.chart_sources])
    print(f"{len(rows)} video(s) reported", file=sys.stderr)
    return 0


def _import_errors_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("import_id", type=UUID, metavar="IMPORT_ID", help="the import whose failed rows to export")
    p.add_argument("--out", type=output_path, metavar="PATH", help="file to write (default: stdout)")
    p.add_argument("--as-user", type=UUID, metavar="USER_ID", help="export it as this user sees it (RLS)")


def _import_errors(args: argparse.Namespace, settings: Settings) -> int:
    with _request(settings, args.as_user) as conn:
        require_row(conn, "select 1 from public.music_video_metric_imports where id = %s", (args.import_id,),
                    f"import {args.import_id}")
        if args.out:
            with open(args.out, "w", newline="", encoding="utf-8") as fh:
                n = export_import_errors(conn, args.import_id, fh)
        else:
            n = export_import_errors(conn, args.import_id, sys.stdout)
    print(f"{n} failed row(s) exported", file=sys.stderr)
    return 0


COMMANDS = (
    Command("report", "write a release's analytics report (CSV or PDF)", _report_args, _report),
    Command("import-errors", "export an import's failed rows as CSV", _import_errors_args, _import_errors),
)
