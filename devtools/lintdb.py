"""A throwaway, freshly migrated database for the database linter.

    python -m devtools.lintdb create        prints its URL
    python -m devtools.lintdb drop URL

It is a clone of the migrated template (:mod:`devtools.testdb`), on the server
``MV_TEST_ADMIN_URL`` names or on the embedded cluster.
"""

from __future__ import annotations

import sys

from psycopg.conninfo import conninfo_to_dict

from devtools import testdb


def create() -> str:
    """Clone the migrated template (built when missing) and print a URL for the linter."""
    admin = testdb.admin_url()
    name = testdb.clone_database(admin, testdb.ensure_template(admin), prefix="mv_lint")
    return testdb.postgres_url(testdb.with_dbname(admin, name))


def drop(url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    if not name.startswith("mv_lint_"):
        raise SystemExit(f"refusing to drop {name!r}: not a lint database")
    testdb.drop_database(testdb.admin_url(), name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["create"]:
        print(create())
    elif sys.argv[1:2] == ["drop"] and len(sys.argv) == 3:
        drop(sys.argv[2])
    else:
        raise SystemExit(__doc__)
