"""The ``sim`` command line: ``sim run``, ``sim validate`` and the other sub-commands.

Expected failures (bad scenario files, bad options) print a clear message and exit 2
without a traceback; a statistical regression in ``sim check`` exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from sim import __version__
from sim.commands import UsageError
from sim.runner import RunError
from sim.scenario.errors import ScenarioError

COMMANDS = ("run", "validate", "compare", "sweep", "check", "baseline")


def _modules() -> list[ModuleType]:
    """The sub-command modules, imported when the parser is built."""
    return [importlib.import_module(f"sim.commands.{name}") for name in COMMANDS]


def parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = argparse.ArgumentParser(prog="sim", description="Spare-parts logistics simulator.")
    p.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in _modules():
        sp = sub.add_parser(mod.NAME, help=mod.HELP, description=(mod.__doc__ or "").strip().splitlines()[0])
        mod.add_arguments(sp)
        sp.set_defaults(_main=mod.main)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return int(args._main(args))
    except (ScenarioError, RunError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
