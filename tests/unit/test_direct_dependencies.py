"""What the runtime package imports is what pyproject declares: every third-party module that
``workers/`` imports belongs to a distribution listed in ``[project] dependencies`` (not one that
only arrives as another package's dependency, as storage3 once came with supabase), and the
Storage client is pinned in requirements/dev.lock within that range."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, Requirement]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {canonicalize_name(Requirement(d).name): Requirement(d) for d in deps}


def _imported_modules() -> dict[str, str]:
    """Top-level module name -> first file importing it, for every absolute import in workers/."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "workers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_of_the_runtime_is_a_direct_dependency():
    declared = _declared()
    dists = importlib.metadata.packages_distributions()
    undeclared = {}
    for module, where in _imported_modules().items():
        if module in sys.stdlib_module_names or module == "workers":
            continue
        owners = {canonicalize_name(d) for d in dists.get(module, [])}
        assert owners, f"{module} (imported by {where}) is not installed"
        if not owners & declared.keys():
            undeclared[module] = (where, sorted(owners))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    assert "storage3" in declared  # workers/storage.py's Supabase Storage client


def test_the_storage_client_is_pinned_within_its_range():
    pins = {}
    for line in (ROOT / "requirements" / "dev.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    req = _declared()["storage3"]
    assert "storage3" in pins and req.specifier.contains(pins["storage3"])
