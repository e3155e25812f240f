"""Errors of the development tooling (the runtime's own tree is in :mod:`workers.errors`)::

    DevToolsError
    ├── ClusterError      the embedded cluster cannot start, or another server answers on its port
    └── MigrationError    a migration failed: file, statement number, statement
"""

from __future__ import annotations


class DevToolsError(Exception):
    """Base of every error the development tooling raises on purpose."""


class ClusterError(DevToolsError):
    """The embedded cluster is missing a piece, will not start, or is not the server answering."""


class MigrationError(DevToolsError):
    """A migration file failed and was rolled back whole."""

    def __init__(self, *, file: str, statement_no: int, statement: str, cause: str) -> None:
        head = " ".join(statement.split())[:200]
        super().__init__(f"{file}: statement {statement_no} failed: {cause}\n  statement: {head}")
        self.file = file
        self.statement_no = statement_no
        self.statement = statement
        self.cause = cause
