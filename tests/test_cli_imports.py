"""The command line imports only what a command uses: `xchange --help` needs click alone, and a
command loads its own module, not the importer, the pack or the demo generator of the others."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from xchange.cli import COMMANDS, cli
from xchange.cli.lazy import load
from xchange.config import PROJECT_ROOT

# Runs the command line in a fresh interpreter, then prints the top-level packages it imported.
PROBE = """
import json, sys
from xchange.cli import main
sys.argv = ["xchange", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
HEAVY = {"sqlalchemy", "sqlmodel", "pandas", "numpy", "pydantic", "pyarrow"}


def imported(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Exit code and every module a real `xchange ARGS` process imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("-h",)])
def test_help_imports_no_database_layer_nor_pandas(args: tuple[str, ...]) -> None:
    code, modules = imported(*args)
    assert code == 0
    assert not packages(modules) & HEAVY, sorted(packages(modules) & HEAVY)
    assert not {m for m in modules if m.startswith("xchange.")} - {
        "xchange.cli",
        "xchange.cli.lazy",
        "xchange.cli.rules",
    }


def test_a_command_imports_its_own_module_only(sqlite_url: str) -> None:
    code, modules = imported("--db", sqlite_url, "partnership", "list", "--json")
    assert code == 0
    commands = {m for m in modules if m.startswith("xchange.cli.")}
    assert commands == {
        "xchange.cli.context",
        "xchange.cli.lazy",
        "xchange.cli.options",
        "xchange.cli.output",
        "xchange.cli.partnership",
        "xchange.cli.rules",
    }
    assert not {"xchange.imports", "xchange.pack", "xchange.demo"} & modules


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_summary_is_the_commands_own(name: str) -> None:
    """`xchange --help` shows the summaries kept in COMMANDS: each is its command's first line."""
    command = load(COMMANDS[name][0])
    assert command.help is not None
    assert command.help.splitlines()[0] == COMMANDS[name][1]
    context = click.Context(cli)
    assert cli.get_command(context, name) is command
    for limit in (30, 45, 80):
        kept = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
        assert kept == command.get_short_help_str(limit)


def test_an_unknown_command_is_a_usage_error() -> None:
    code, modules = imported("no-such-command")
    assert code == 2
    assert not packages(modules) & HEAVY


@pytest.mark.parametrize("args", [("kpi",), ("kpi", "--json")])
def test_the_headline_kpis_need_no_pandas(sqlite_url: str, args: tuple[str, ...]) -> None:
    """The headline reads the summary tables through SQLAlchemy: no frames, no arrays, no Arrow,
    nothing of the importer, the pack or the demo (breakdowns and the forecast load pandas and
    numpy when asked)."""
    code, modules = imported("--db", sqlite_url, *args)
    assert code == 0
    assert not packages(modules) & {"pandas", "numpy", "pyarrow"}
    assert not {m for m in modules if m.startswith(("xchange.imports", "xchange.pack"))}
