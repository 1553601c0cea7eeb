"""``python -m sim.regression --false-alarm-study [SUITE] --trials N``: measure a check's false-alarm rate."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sim.regression.study import StudyResult, false_alarm_study, study_text
from sim.regression.suite import SUITE_DEFAULT, load_suite
from sim.runner import RunError, check_jobs
from sim.scenario.errors import ScenarioError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the false-alarm study and print its findings; 2 when the suite cannot be loaded."""
    p = argparse.ArgumentParser(
        prog="python -m sim.regression", description="Measure how often sim check fails on seed-only noise."
    )
    p.add_argument("suite", nargs="?", default=str(SUITE_DEFAULT), help="suite file")
    p.add_argument("--false-alarm-study", action="store_true", required=True, help="measure the false-alarm rate")
    p.add_argument("--trials", type=int, default=200, help="independent seed pairs (default 200)")
    p.add_argument("--first-seed", type=int, default=1, help="seeds used: first-seed .. first-seed + 2*trials - 1")
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes")
    args = p.parse_args(argv)
    if args.trials < 1 or args.first_seed < 0:
        p.error("--trials must be at least 1, --first-seed at least 0")
    try:
        check_jobs(args.jobs)  # the commands' rule, before the suite is read
        suite = load_suite(args.suite)
    except (ScenarioError, RunError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def tick(i: int, r: StudyResult) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rtrial {i + 1}/{args.trials}: {r.false_alarms} false alarms")
            sys.stderr.flush()

    try:
        result = false_alarm_study(suite, args.trials, args.first_seed, args.jobs, tick)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        print(study_text(result, suite), flush=True)
    except RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # ``... | head``: the reader went away; drop the rest quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("error: standard output was closed early (broken pipe)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
