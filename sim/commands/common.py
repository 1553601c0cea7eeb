"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario


def add_run_options(p: argparse.ArgumentParser) -> None:
    """--replications, --seed, --set, --jobs, --scheduler."""
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
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (results identical to serial)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def load(path: str, overrides: list[str] | None = None) -> Scenario:
    """Load and validate a scenario file (raises ScenarioError)."""
    return load_scenario(Path(path), overrides or [])
