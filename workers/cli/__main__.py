"""``python -m workers.cli``: the runtime command line."""

import sys

from workers.cli import main

sys.exit(main())
