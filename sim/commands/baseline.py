"""sim baseline [SUITE] --message WHY: rerun the regression suite and rewrite its baseline on purpose.

The manifest records the reason, the date (UTC), the code and package versions and, per
scenario, the seed, replications and fingerprints that ``sim check`` compares against.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands import UsageError
from sim.commands.common import add_executor_options, executing_for
from sim.folder import claim
from sim.output import now_utc, write_folder
from sim.regression.runs import run_suite
from sim.regression.store import BASELINE_DEFAULT, MANIFEST, baseline_files
from sim.regression.suite import SUITE_DEFAULT, load_suite
from sim.table import render

NAME = "baseline"
HELP = "rerun the regression suite and rewrite its baseline (needs --message)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", nargs="?", default=str(SUITE_DEFAULT), help=f"suite file (default {SUITE_DEFAULT})")
    p.add_argument("--message", "-m", default=None, help="why the baseline changes (required; kept in the manifest)")
    p.add_argument("--baseline", default=str(BASELINE_DEFAULT), help=f"baseline folder to write (default {BASELINE_DEFAULT})")
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    message = (args.message or "").strip()
    if not message:
        raise UsageError('sim baseline rewrites the reference results: say why with --message "..."')
    suite = load_suite(args.suite)
    folder = Path(args.baseline)
    claim(folder, [MANIFEST, *(s.csv_name for s in suite.scenarios)], NAME)  # before the run, as write_folder will
    with executing_for(args, suite.total_replications, "baseline") as (ex, workers, tick):
        runs = run_suite(suite, ex, workers, tick)
    files = baseline_files(suite, runs, message, now_utc())
    write_folder(folder, files, command=NAME)
    rows = [
        [r.entry.label, str(len(r.result.rows)), str(r.result.seed), str(len(r.entry.watches)), r.outputs_sha256[:16]]
        for r in runs
    ]
    print(render(["scenario", "replications", "seed", "KPIs watched", "fingerprint"], rows, "lrrrl"))
    wall = runs[0].result.wall_time_s if runs else 0.0
    print(f"\nbaseline written to {folder}/ in {wall:.1f} s: {message!r}")
    return 0
