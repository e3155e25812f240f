"""CSV export of an import's failed rows (spec 3.3 / acceptance criterion 7), for the release team.

The cells are the uploaded file's own text, so every text cell is neutralised against
spreadsheet formula injection (``workers.reports.csv_output.write_csv``: a ``= + - @`` at the
start of the cell or after a separator or line break gets a ``'`` before it, and a cell holding
a separator is quoted whatever the delimiter). Rows are streamed with a server-side cursor, so an import with
millions of bad rows is exported in constant memory.

The command line wraps it (``music-videos import-errors IMPORT_ID --out errors.csv``)::

    from workers.reports.import_errors import export_import_errors
    with psycopg.connect(url) as conn:
        export_import_errors(conn, import_id, sys.stdout)
"""

from __future__ import annotations

from typing import IO
from uuid import UUID

import psycopg

from workers.reports.csv_output import write_csv

__all__ = ["HEADER", "export_import_errors"]

HEADER = ("line", "column", "value", "reason")


def export_import_errors(conn: psycopg.Connection, import_id: UUID | str, fh: IO[str]) -> int:
    """Write the import's row errors as CSV (header + one row per error, by line); returns the count.

    ``conn`` decides what may be read: a service connection sees every import, a connection
    acting as a user (``workers.db.postgrest_request``) only what RLS lets that user read.
    """
    with conn.transaction(), conn.cursor(name=f"import_errors_{UUID(str(import_id)).hex[:12]}") as cur:
        cur.itersize = 5000
        cur.execute("select line, column_name, raw_value, reason from public.music_video_import_row_errors"
                    " where import_id = %s order by line, id", (UUID(str(import_id)),))
        rows = ((r[0], r[1], r[2], r[3]) if not isinstance(r, dict)
                else (r["line"], r["column_name"], r["raw_value"], r["reason"]) for r in cur)
        return write_csv(rows, fh, header=HEADER)
