"""Where the checkout is: the one place development tooling looks for ``supabase/`` and ``sql/``."""

from __future__ import annotations

from pathlib import Path

# devtools/ sits at the top of the checkout; the tooling never runs from an installed wheel.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
