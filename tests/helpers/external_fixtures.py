"""Where the real payloads live and the synthetic ones: ``tests/fixtures/external`` (a copy of the
team's shared fixtures; ``MV_EXTERNAL_FIXTURES`` names another folder) and ``tests/fixtures/synthetic``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("MV_EXTERNAL_FIXTURES") or REPO_ROOT / "tests" / "fixtures" / "external").resolve()
SYNTHETIC = REPO_ROOT / "tests" / "fixtures" / "synthetic"


def fixture(*parts: str) -> Path:
    """Path to a real external fixture; fails loudly if it is missing."""
    path = FIXTURES.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"missing external fixture {path} (MV_EXTERNAL_FIXTURES={FIXTURES})")
    return path


def fixture_files(folder: str, pattern: str = "*") -> list[Path]:
    """Every real fixture file in ``folder`` matching ``pattern`` (sorted; never empty)."""
    files = sorted(p for p in (FIXTURES / folder).glob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no fixtures {pattern} in {FIXTURES / folder}")
    return files
