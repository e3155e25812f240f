"""Broadcast (TV viewers) CSV uploads: per-value rules, the DuckDB engine, the job handler."""

from __future__ import annotations

from workers.sources.broadcast.engine import DayTotal, Import, ParseStats, Settings, run_import
from workers.sources.broadcast.rules import (
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    ColumnMapping,
    is_missing,
    parse_air_date,
    parse_viewers,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "ColumnMapping",
    "DayTotal",
    "Import",
    "ParseStats",
    "Settings",
    "is_missing",
    "parse_air_date",
    "parse_viewers",
    "run_import",
]
