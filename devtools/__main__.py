"""``python -m devtools``: the development command line (see :mod:`devtools.cli`)."""

import sys

from devtools.cli import main

sys.exit(main())
