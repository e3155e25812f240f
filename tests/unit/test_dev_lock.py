"""The development tools are pinned: every one of pyproject's ``dev`` extra has an exact version in
requirements/dev.lock, and scripts/bootstrap installs with it and reinstalls when it changes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.lock"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and re.fullmatch(r"[\w.+!-]+", version), f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dev_tool_is_pinned_exactly_within_pyprojects_range():
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pins = _pins()
    for spec in dev:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in {LOCK.name}"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} outside {spec}"


def test_bootstrap_installs_with_the_lock_and_stamps_it():
    script = (ROOT / "scripts" / "bootstrap").read_text()
    assert "pip install -q -c requirements/dev.lock -e '.[dev]'" in script
    stamp = next(line for line in script.splitlines() if line.startswith("stamp="))
    assert "requirements/dev.lock" in stamp and "pyproject.toml" in stamp
