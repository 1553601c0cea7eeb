"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.checkpoint import NAME as CHECKPOINT
from sim.checkpoint import Checkpoint, plan_of
from sim.commands import UsageError
from sim.folder import INCOMPLETE
from sim.kpis import CATALOGUE, REGION_PREFIX, known
from sim.output import dumps_json, versions
from sim.runner import RunResult, check_jobs, executing, run_scenarios
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--jobs, --scheduler, --quiet."""
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (results identical to serial)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def add_run_options(p: argparse.ArgumentParser) -> None:
    """--replications, --seed, --set, then the executor options."""
    p.add_argument("--replications", "-n", type=int, default=None, help="replications (default: the file's)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. sites[Chengdu-1].downtime_cost_per_h=5000 (repeatable)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish the interrupted run in --out: give the same files and options again (see docs/outputs.md)",
    )
    add_executor_options(p)


def load(path: str, overrides: list[str] | None = None) -> Scenario:
    """Load and validate a scenario file (raises ScenarioError)."""
    return load_scenario(Path(path), overrides or [])


def _schema_bound(field: str, which: str) -> int | None:
    """The ``ge``/``le`` bound the scenario schema puts on an integer field."""
    for constraint in Scenario.model_fields[field].metadata:
        value = getattr(constraint, which, None)
        if value is not None:
            return int(value)
    return None


def check_run_options(args: argparse.Namespace) -> None:
    """Raise UsageError (RunError for --jobs) when --jobs, --seed or --replications is outside what a run allows."""
    check_jobs(getattr(args, "jobs", 1), getattr(args, "scheduler", None))
    lowest_seed = _schema_bound("seed", "ge")
    if args.seed is not None and lowest_seed is not None and args.seed < lowest_seed:
        raise UsageError(f"--seed must be at least {lowest_seed} (got {args.seed})")
    if args.replications is not None:
        lo, hi = _schema_bound("replications", "ge") or 1, _schema_bound("replications", "le")
        if args.replications < lo:
            raise UsageError(f"--replications must be at least {lo} (got {args.replications})")
        if hi is not None and args.replications > hi:
            raise UsageError(f"--replications must be at most {hi:,} (got {args.replications:,})")


def apply_run_options(scenarios: Sequence[Scenario], args: argparse.Namespace) -> list[Scenario]:
    """Every scenario with one seed and replication count: --seed/--replications, else the first scenario's.

    Sharing them gives common random numbers across the scenarios.
    """
    check_run_options(args)
    seed = args.seed if args.seed is not None else scenarios[0].seed
    n = args.replications if args.replications is not None else scenarios[0].replications
    return [sc.model_copy(update={"seed": seed, "replications": n}) for sc in scenarios]


def load_for_run(files: Sequence[str], args: argparse.Namespace) -> list[Scenario]:
    """Load ``files`` with the --set overrides and apply --seed/--replications (see :func:`apply_run_options`).

    Prints a warning to stderr for every legal but suspicious setting (:mod:`sim.diagnostics`).
    """
    from sim.diagnostics import print_warnings
    from sim.scenario.loader import load_scenarios

    check_run_options(args)  # before loading: a bad option is reported without the files' problems
    scenarios = apply_run_options(load_scenarios(files, args.overrides), args)  # every file's problems at once
    print_warnings(scenarios)
    return scenarios


def check_kpis(kpis: Sequence[str], columns: Sequence[str] | None = None) -> None:
    """Raise UsageError naming every unknown KPI.

    Without ``columns`` a KPI must be a possible column (:func:`sim.kpis.known`); with
    them (a run's columns) it must be one of them.
    """
    bad = [k for k in kpis if (k not in columns if columns is not None else not known(k))]
    if bad:
        listed = list(columns) if columns is not None else [*CATALOGUE, f"{REGION_PREFIX}<region>"]
        raise UsageError(f"unknown KPI{'s' if len(bad) > 1 else ''}: {', '.join(bad)}; known: {', '.join(listed)}")


def check_region_kpis(kpis: Sequence[str], scenarios: Sequence[Scenario]) -> None:
    """Before a run: raise UsageError naming per-region KPIs whose region some scenario does not list."""
    bad = []
    for k in kpis:
        if k.startswith(REGION_PREFIX):
            region = k[len(REGION_PREFIX) :]
            if any(region not in {r.name for r in sc.regions} for sc in scenarios):
                bad.append(k)
    if bad:
        raise UsageError(f"unknown KPI{'s' if len(bad) > 1 else ''}: {', '.join(bad)} (no such region in every scenario)")


@contextmanager
def executing_for(
    args: argparse.Namespace, total: int, label: str
) -> Iterator[tuple[Executor | None, int, Callable[[int], None]]]:
    """:func:`sim.runner.executing` for the --jobs/--scheduler/--quiet options."""
    with executing(total, label, args.jobs, args.scheduler, False if args.quiet else None) as run:
        yield run


def incomplete_manifest(command: str, scenarios: Sequence[Scenario], started: datetime) -> dict[str, Any]:
    """The manifest of a run that has not finished: what it runs and where its checkpoint is."""
    return {
        "status": INCOMPLETE,
        "command": command,
        "checkpoint": CHECKPOINT,
        "scenarios": [{"name": sc.name, "seed": sc.seed, "replications": sc.replications} for sc in scenarios],
        "started_utc": started.isoformat(timespec="seconds"),
        **versions(),
        "argv": sys.argv,
    }


def run_all(scenarios: Sequence[Scenario], label: str, args: argparse.Namespace, out: Path, started: datetime) -> list[RunResult]:
    """Run every scenario with its own seed and replications on the executor of the options.

    The run keeps a checkpoint in ``out`` (``--resume`` starts from it): the folder is
    claimed first (refused when it is not the tool's), finished replications are saved as
    they finish and a failing replication's traceback goes to ``error.log`` beside them.
    ``label`` names the run on the progress line.
    """
    total = sum(sc.replications for sc in scenarios)
    checkpoint = Checkpoint(out, plan_of(scenarios), args.command)
    if args.resume:
        finished = checkpoint.resume()
    else:
        checkpoint.start(dumps_json(incomplete_manifest(args.command, scenarios, started)))
        finished = {}
    try:
        with executing_for(args, total, label) as (ex, workers, tick):
            return run_scenarios(
                scenarios,
                executor=ex,
                workers=workers,
                progress=tick,
                finished=finished,
                on_finished=checkpoint.record,
                failure_log=checkpoint.write_log,
            )
    except KeyboardInterrupt as exc:
        note = f"{checkpoint.kept} of {total} replications kept in {checkpoint.path}; run the same command with --resume to finish"
        exc.args = (note,)
        raise


@contextmanager
def writing_results(out: Path) -> Iterator[None]:
    """Around what follows :func:`run_all`: an interrupt while the results are rendered and
    written says that every replication is kept and ``--resume`` writes them."""
    try:
        yield
    except KeyboardInterrupt as exc:
        if not exc.args and (out / CHECKPOINT).is_file():
            exc.args = (f"every replication is kept in {out / CHECKPOINT}; run the same command with --resume to write the results",)
        raise
