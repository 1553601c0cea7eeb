"""``sim validate FILE...``: check scenario files without running them."""

from __future__ import annotations

import argparse

from sim.commands.common import load
from sim.scenario.errors import ScenarioError

NAME = "validate"
HELP = "check scenario files without running them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="scenario YAML files")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")


def main(args: argparse.Namespace) -> int:
    failed: list[ScenarioError] = []
    for f in args.files:
        try:
            sc = load(f, args.overrides)
        except ScenarioError as exc:
            failed.append(exc)
            continue
        machines = sum(sum(s.machines.values()) for s in sc.sites)
        print(f"{f}: ok ({sc.name}: {len(sc.sites)} sites, {machines} machines, {len(sc.depots)} depots)")
    if failed:
        raise ScenarioError([p for exc in failed for p in exc.problems])
    return 0
