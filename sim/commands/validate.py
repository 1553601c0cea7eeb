"""sim validate FILE...: check scenario files (and regression suites) without running them.

Problems are errors (exit 2, nothing else happens). Settings that are legal but suspicious
(an overloaded depot, a promise no technician can keep, coordinates 0, 0, ...; see
:mod:`sim.diagnostics`) are printed as warnings to stderr; ``--strict`` makes them errors.
"""

from __future__ import annotations

import argparse
import sys

from sim.commands import UsageError
from sim.diagnostics import format_warnings
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import read_yaml, validate_file
from sim.scenario.schema import Scenario

NAME = "validate"
HELP = "check scenario files (and regression suite files) without running them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="scenario YAML files, base files or regression suites")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--strict", action="store_true", help="treat warnings (suspicious settings) as errors: exit 2")


def _is_suite(path: str) -> bool:
    """A regression suite file (``scenarios:`` list, no network) rather than a scenario."""
    data, _, problems = read_yaml(path)  # refuses alias bombs and bad bytes: the loader then says why
    return not problems and isinstance(data, dict) and isinstance(data.get("scenarios"), list) and "depots" not in data


def _check(path: str, overrides: list[str]) -> tuple[str, Scenario | None]:
    """One line saying what the valid file is, and its scenario (None for suites and bases); raises ScenarioError otherwise."""
    if _is_suite(path):
        from sim.regression.suite import load_suite

        suite = load_suite(path)
        watches = sum(len(s.watches) for s in suite.scenarios)
        return f"ok (regression suite: {len(suite.scenarios)} scenarios, {watches} watched KPIs)", None
    sc = validate_file(path, overrides)
    if sc is None:
        return "ok (base file: its fields are valid; run a file that extends it)", None
    machines = sum(sum(s.machines.values()) for s in sc.sites)
    chosen = sc.open_depots  # a list of names, or the best N (docs/network-design.md)
    opened = "" if chosen is None else f", {len(chosen)} open" if isinstance(chosen, list) else f", the best {chosen} open"
    return f"ok ({sc.name}: {len(sc.sites)} sites, {machines} machines, {len(sc.depots)} depots{opened})", sc


def main(args: argparse.Namespace) -> int:
    failed: list[ScenarioError] = []
    warnings: list[str] = []
    for f in args.files:
        try:
            line, sc = _check(f, args.overrides)
        except ScenarioError as exc:
            failed.append(exc)
            continue
        found = format_warnings([(sc, "")]) if sc is not None else []
        warnings += found
        print(f"{f}: {line}" + (f", {len(found)} warning{'s' if len(found) > 1 else ''}" if found else ""))
    for w in warnings:
        print(w, file=sys.stderr)
    if failed:
        raise ScenarioError([p for exc in failed for p in exc.problems])
    if warnings and args.strict:
        raise UsageError(f"--strict: {len(warnings)} warning{'s' if len(warnings) > 1 else ''} (above)")
    return 0
