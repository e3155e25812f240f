"""``python -m workers``: the runtime command line (the ``music-videos`` command)."""

import sys

from workers.cli import main

sys.exit(main())
