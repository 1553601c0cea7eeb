"""``sim years A.yaml B.yaml [...]``: run multi-year scenarios with common random numbers and compare their NPV.

Each file needs ``years`` and ``market`` (docs/years.md). Writes ``years.csv``,
``years_summary.csv``, figures (installed base, market share, cumulative NPV per year with
95% bands) and ``report.html`` saying which policy wins over the horizon and from which year.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands import UsageError
from sim.commands.common import add_executor_options, load_for_run
from sim.output import write_folder
from sim.years.loop import run_scenarios_years
from sim.years.output import verdict_lines, year_files

NAME = "years"
HELP = "run multi-year scenarios (customers over years) with common random numbers and compare their NPV"
DEFAULT_OUT = Path("results") / "years"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="multi-year scenario files (with years: and market:); the first is the baseline")
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/)")
    p.add_argument("--replications", "-n", type=int, default=None, help="replications (default: the first file's)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the first file's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    p.add_argument("--no-figures", action="store_true", help="CSV files only (no figures, no report)")
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    scenarios = load_for_run(args.files, args)
    single = [str(f) for f, sc in zip(args.files, scenarios) if sc.years is None]
    if single:
        raise UsageError(f"not a multi-year scenario (no years: and market:): {', '.join(single)}")
    names = [sc.name for sc in scenarios]
    if len(set(names)) != len(names):
        raise UsageError(f"scenario names must differ: {', '.join(names)}")
    out = Path(args.out) if args.out else DEFAULT_OUT
    results = run_scenarios_years(scenarios, args.jobs, args.scheduler, False if args.quiet else None)
    files: dict[str, str | bytes] = dict(year_files(scenarios, results))
    lines = verdict_lines(scenarios, results)
    if not args.no_figures:
        from sim.year_plots import year_report

        files.update(year_report(scenarios, results, lines))
    write_folder(out, files, command=NAME)
    print("\n".join(lines))
    print(f"\nresults written to {out}/")
    return 0
