"""sim check [SUITE]: rerun the regression suite and compare it with the committed baseline.

Exit 0 when no watched KPI moved, 1 when one did (or, with ``--strict-exact``, when any
output changed at all), 2 when the suite or the baseline cannot be used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands.common import add_executor_options, executing_for
from sim.folder import claim
from sim.output import dumps_json, write_folder
from sim.regression.report import (
    json_report,
    junit_report,
    markdown_report,
    text_report,
)
from sim.regression.runs import run_suite
from sim.regression.store import BASELINE_DEFAULT, read_baseline
from sim.regression.suite import SUITE_DEFAULT, load_suite
from sim.regression.verdict import check

NAME = "check"
HELP = "rerun the regression suite and compare its KPIs with the committed baseline"
OUT_DEFAULT = Path("results/check")
FILES = ("junit.xml", "summary.md", "check.json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", nargs="?", default=str(SUITE_DEFAULT), help=f"suite file (default {SUITE_DEFAULT})")
    p.add_argument("--baseline", default=str(BASELINE_DEFAULT), help=f"baseline folder (default {BASELINE_DEFAULT})")
    p.add_argument("--out", default=str(OUT_DEFAULT), help=f"report folder: {', '.join(FILES)} (default {OUT_DEFAULT})")
    p.add_argument("--strict-exact", action="store_true", help="also fail (exit 1) when any output number changed")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="run under another root seed than the baseline's, to see seed noise (the exact verdict then reports a change)",
    )
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    suite = load_suite(args.suite)
    if args.seed is not None:
        suite = suite.with_seed(args.seed)
    baseline = read_baseline(args.baseline, suite)
    out = Path(args.out)
    claim(out, FILES, NAME)  # before the run: a folder that is not check's is refused at once
    with executing_for(args, suite.total_replications, "check") as (ex, workers, tick):
        runs = run_suite(suite, ex, workers, tick)
    result = check(suite, baseline, runs, args.strict_exact)
    write_folder(
        out,
        {
            "junit.xml": junit_report(result),
            "summary.md": markdown_report(result),
            "check.json": dumps_json(json_report(result)),
        },
        command=NAME,
    )
    print(text_report(result))
    print(f"\nreport written to {out}/ ({', '.join(FILES)})")
    return result.exit_code
