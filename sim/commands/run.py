"""``sim run FILE``: simulate one scenario and write its results."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands.common import add_run_options, load
from sim.kpis import HEADLINE, describe
from sim.output import now_utc, run_files, write_folder
from sim.runner import RunError, run_scenario
from sim.scenario.loader import resolved_yaml, scenario_hash
from sim.stats import summarize
from sim.table import number, render

NAME = "run"
HELP = "simulate a scenario file and write its results"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--out", default=None, help="output folder (default results/<scenario name>/)")
    add_run_options(p)


def headline(result) -> str:  # type: ignore[no-untyped-def]
    """The headline KPIs as a table: mean ± 95% half-width."""
    rows = []
    names = [k for k in HEADLINE if k in result.kpis] + [
        k for k in result.kpis if k.startswith("within_promise_share.")
    ]
    for k in names:
        s = summarize(result.column(k))
        meta = describe(k)
        unit = "" if meta.unit in ("share", "count", "money") else meta.unit
        hw = number(s.half_width, meta.unit) if s.n > 1 else "—"
        rows.append([meta.label, number(s.mean, meta.unit), "± " + hw, unit])
    cur = result.scenario.currency
    title = f"{result.scenario.name}: {len(result.rows)} replications, money in {cur} over the window"
    return title + "\n" + render(["KPI", "mean", "95% CI", "unit"], rows, "lrrl")


def main(args: argparse.Namespace) -> int:
    scenario = load(args.file, args.overrides)
    if args.seed is not None:
        scenario = scenario.model_copy(update={"seed": args.seed})
    if args.replications is not None:
        if args.replications < 1:
            raise RunError(f"--replications must be at least 1 (got {args.replications})")
        scenario = scenario.model_copy(update={"replications": args.replications})
    started = now_utc()
    result = run_scenario(
        scenario,
        jobs=args.jobs,
        scheduler=args.scheduler,
        show_progress=False if args.quiet else None,
    )
    out = Path(args.out) if args.out else Path("results") / scenario.name
    files = run_files(
        result, resolved_yaml(scenario), scenario_hash(scenario), started, source_file=str(args.file), jobs=args.jobs
    )
    write_folder(out, files)
    print(headline(result))
    print(f"\nresults written to {out}/")
    return 0
