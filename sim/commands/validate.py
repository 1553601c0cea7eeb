"""``sim validate FILE...``: check scenario files (and regression suites) without running them."""

from __future__ import annotations

import argparse

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate_file

NAME = "validate"
HELP = "check scenario files (and regression suite files) without running them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="scenario YAML files, base files or regression suites")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")


def _is_suite(path: str) -> bool:
    """A regression suite file (``scenarios:`` list, no network) rather than a scenario."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # the scenario loader reports it properly
    return isinstance(data, dict) and isinstance(data.get("scenarios"), list) and "depots" not in data


def _check(path: str, overrides: list[str]) -> str:
    """One line saying what the valid file is; raises ScenarioError otherwise."""
    if _is_suite(path):
        from sim.regression.suite import load_suite

        suite = load_suite(path)
        watches = sum(len(s.watches) for s in suite.scenarios)
        return f"ok (regression suite: {len(suite.scenarios)} scenarios, {watches} watched KPIs)"
    sc = validate_file(path, overrides)
    if sc is None:
        return "ok (base file: its fields are valid; run a file that extends it)"
    machines = sum(sum(s.machines.values()) for s in sc.sites)
    return f"ok ({sc.name}: {len(sc.sites)} sites, {machines} machines, {len(sc.depots)} depots)"


def main(args: argparse.Namespace) -> int:
    failed: list[ScenarioError] = []
    for f in args.files:
        try:
            print(f"{f}: {_check(f, args.overrides)}")
        except ScenarioError as exc:
            failed.append(exc)
    if failed:
        raise ScenarioError([p for exc in failed for p in exc.problems])
    return 0
