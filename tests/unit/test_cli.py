"""The two command lines without a database: help for everything, MV_DATABASE_URL required,
the runtime never importing the development tooling, and a command name that shadows nothing."""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from devtools import cli as devcli
from workers import cli

ROOT = Path(__file__).resolve().parents[2]
SOME_ID = "00000000-0000-0000-0000-000000000001"
RUNTIME_COMMANDS = ["worker", "service", "scheduler", "enqueue-nightly", "sync", "replay", "report", "import-errors"]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_the_runtime_offers_exactly_its_commands():
    assert list(_subparsers(cli.build_parser())) == RUNTIME_COMMANDS
    assert list(_subparsers(devcli.build_parser())) == ["db", "run", "contract"]


@pytest.mark.parametrize("module", [cli, devcli])
def test_top_level_help_lists_every_command_with_a_line(module, capsys):
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    subs = _subparsers(module.build_parser())
    (action,) = [a for a in module.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {c.dest: c.help for c in action._choices_actions}
    assert set(helps) == set(subs)
    for name, text in helps.items():
        assert text and "\n" not in text, name
        assert f"{name} {text}" in out


@pytest.mark.parametrize("module", [cli, devcli])
def test_every_option_of_every_command_has_a_one_line_help(module):
    for name, sub in _subparsers(module.build_parser()).items():
        for action in sub._actions:
            assert action.help and "\n" not in action.help, f"{name} {action.option_strings or action.dest}"


@pytest.mark.parametrize("argv", [["worker"], ["scheduler", "--run-now"], ["enqueue-nightly"], ["sync", SOME_ID],
                                  ["replay"], ["report", "--release", SOME_ID], ["import-errors", SOME_ID]])
def test_every_runtime_command_requires_mv_database_url(argv, monkeypatch, capsys):
    monkeypatch.delenv("MV_DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)  # no .env here
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "MV_DATABASE_URL is not set" in err and err.startswith(f"music-videos {argv[0]}: error:")


@pytest.mark.parametrize("out", ["/no/such/dir/x.pdf", "/no/such/dir/x.csv"])
def test_an_out_file_in_a_missing_folder_is_a_usage_error_before_any_work(out, monkeypatch, capsys):
    monkeypatch.delenv("MV_DATABASE_URL", raising=False)  # it never gets as far as needing the database
    with pytest.raises(SystemExit) as exit_:
        cli.main(["report", "--release", SOME_ID, "--format", "pdf", "--out", out])
    assert exit_.value.code == 2
    assert "argument --out: folder /no/such/dir does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import-errors", SOME_ID, "--out", out])
    assert exit_.value.code == 2


def test_an_out_that_is_a_folder_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["import-errors", SOME_ID, "--out", str(tmp_path)])
    assert "is a folder" in capsys.readouterr().err


def test_the_runtime_package_never_imports_devtools():
    offenders = []
    for path in (ROOT / "workers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "devtools"]
    assert offenders == []


def test_the_runtime_package_never_finds_files_through_its_own_location():
    """An installed wheel has no checkout around it: no ``__file__`` arithmetic in workers/."""
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno}"
                 for path in (ROOT / "workers").rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text(), str(path)))
                 if isinstance(node, ast.Name) and node.id == "__file__"]
    assert offenders == []


def test_running_the_runtime_cli_loads_no_devtools_module():
    code = ("import sys, pkgutil, importlib, workers\n"
            "for m in pkgutil.walk_packages(workers.__path__, 'workers.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'devtools'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["workers", "workers.cli"])
def test_python_dash_m_runs_the_runtime_cli(module):
    out = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "import-errors" in out.stdout and "usage: music-videos" in out.stdout


def test_the_console_script_is_music_videos_and_shadows_no_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"music-videos": "workers.cli:main"}
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    path = os.pathsep.join([path, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    for name in scripts:
        assert shutil.which(name, path=path) is None, f"{name} would shadow {shutil.which(name, path=path)}"
