"""The ``sim`` command line: ``sim run``, ``sim validate`` and the other sub-commands.

Expected failures (bad scenario files, bad options, an output folder that cannot be
written, a closed output pipe) print a clear message and exit 2 without a traceback; a
statistical regression in ``sim check`` exits 1. SIGTERM is handled like Ctrl-C: the run
stops, keeps what finished (see docs/outputs.md) and exits 130 (SIGINT) or 143 (SIGTERM).

This module imports only the standard library at load time: the model, numpy and pydantic
are imported by :func:`main`, so that Ctrl-C while they load (the first second) is handled
like any other, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType

from sim import __version__
from sim.commands import UsageError

COMMANDS = ("run", "validate", "compare", "sweep", "check", "baseline", "analytic", "optimize", "years")


def _modules() -> list[ModuleType]:
    """The sub-command modules, imported when the parser is built."""
    return [importlib.import_module(f"sim.commands.{name}") for name in COMMANDS]


def parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = argparse.ArgumentParser(prog="sim", description="Spare-parts logistics simulator.")
    p.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in _modules():
        summary = (mod.__doc__ or "").strip().splitlines()[0].replace("``", "")  # --help shows no reST markup
        sp = sub.add_parser(mod.NAME, help=mod.HELP, description=summary)
        mod.add_arguments(sp)
        sp.set_defaults(_main=mod.main)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread where Ctrl-C would raise KeyboardInterrupt."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM stops the command as Ctrl-C does (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stdout_closed() -> None:
    """stdout's reader went away (``sim run ... | head -1``): send the rest to /dev/null, quietly."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _usage_errors() -> tuple[type[Exception], ...]:
    """The errors a user causes (bad files, options, output folders): a message and exit 2."""
    from sim.runner import RunError
    from sim.scenario.errors import ScenarioError

    return ScenarioError, RunError, UsageError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    try:
        with sigterm_as_interrupt():
            args = parser().parse_args(argv)  # imports the sub-commands and with them the model
            return int(args._main(args))
    except BrokenPipeError:
        _stdout_closed()
        print("error: standard output was closed early (broken pipe); the rest of the printout was dropped", file=sys.stderr)
        return 2
    except OSError as exc:  # a file the command reads or writes: name it
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not isinstance(exc, _usage_errors()):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
        print(f"interrupted ({name})" + (f": {exc}" if str(exc) else ""), file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
