"""``sim optimize FILE --budget AMOUNT | --target KPI=VALUE``: base stock per depot and part by marginal analysis.

Sherbrooke's greedy on expected backorders per unit of investment (METRIC with a central
echelon), from zero stock: writes the efficient curve (``curve.csv``, ``curve.png``), the
chosen plan as a scenario (``optimized.yaml``, which ``sim run`` accepts) and ``plan.csv``.
``--verify N`` simulates today's plan, the optimised plan and a uniform spread of the same
units with common random numbers and prints the paired differences. See docs/optimize.md.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.build import Network, build
from sim.commands import UsageError
from sim.commands.common import executing_for, load
from sim.commands.optimize_network import add_network_arguments, run_network
from sim.diagnostics import print_warnings
from sim.optimize.demand import demand_rates
from sim.optimize.figure import curve_png
from sim.optimize.plan import curve_csv, scenario_yaml, uniform_levels, with_stock
from sim.optimize.stock import (
    CENTRAL,
    WEIGHTS,
    Curve,
    Point,
    Target,
    evaluate,
    optimize,
    parse_target,
)
from sim.optimize.verify import ARMS, Verification, verify
from sim.output import csv_text, dumps_json, write_folder
from sim.runner import check_jobs
from sim.scenario.loader import load_scenario_data, validate_data
from sim.table import number, render

NAME = "optimize"
HELP = "choose base stock per depot and part: least backorders within a budget, or least investment reaching a target"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario YAML file")
    goal = p.add_mutually_exclusive_group()  # one of --budget, --target or --network (checked in main)
    goal.add_argument("--budget", type=float, metavar="AMOUNT", help="inventory investment allowed (base stock × unit cost)")
    goal.add_argument(
        "--target",
        metavar="KPI=VALUE",
        help="least investment reaching fill_rate=0.95, availability=0.99 or within_promise[REGION]=0.9 (analytic)",
    )
    p.add_argument(
        "--weight",
        choices=WEIGHTS,
        default="machines",
        help="what a backorder costs: a stopped machine (default) or its site's downtime cost per hour",
    )
    p.add_argument("--out", default=None, help="output folder (default results/<scenario name>-optimized/)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    p.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="simulate today's, the optimised and a uniform plan, N replications each, common random numbers",
    )
    p.add_argument("--seed", type=int, default=None, help="root seed of --verify (default: the file's)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes for --verify")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler for --verify")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    add_network_arguments(p)  # --network, --depots, --objective: which depots to open (sim/commands/optimize_network.py)


def today_levels(net: Network) -> np.ndarray:
    """The scenario's own base stocks: (depots + 1, parts), central's last."""
    return np.array([list(d.base_stock) for d in net.depots] + [list(net.central.base_stock)], dtype=np.int64)


def _figures(point: Point, regions: list[str], all_regions: tuple[str, ...]) -> list[str]:
    within = [number(point.within[all_regions.index(r)], "share") for r in regions]
    return [
        number(point.investment, "money"),
        f"{point.ebo_total:.4g}",
        number(point.fill_rate, "share"),
        f"{100 * point.availability:.3f}%",
        *within,
    ]


def analytic_table(curve: Curve, points: dict[str, Point], target: Target | None) -> str:
    """Today's and the chosen plan side by side (analytic figures)."""
    d = curve.demand
    regions = [r for r, t in zip(d.regions, d.region_total_per_h) if t > 0]
    if target is not None and target.region is None:
        regions = regions[:3]
    elif target is not None:
        regions = [target.region] if target.region else []
    else:
        regions = []
    header = ["plan", "investment", "backorders", "fill rate", "availability", *[f"in promise {r}" for r in regions]]
    rows = [[name, *_figures(p, regions, d.regions)] for name, p in points.items()]
    return render(header, rows, "l" + "r" * (len(header) - 1))


def verification_table(v: Verification, currency: str) -> str:
    """Each arm's mean and the paired differences with their 95% CI."""
    from sim.kpis import describe

    rows = []
    for k in v.kpis:
        unit = describe(k).unit

        def fmt(x: float, unit: str = unit, k: str = k) -> str:
            return f"{100 * x:.3f}%" if k == "availability" else number(x, unit)  # 99.9% hides the difference

        means = [fmt(s.mean) for s in v.summaries[k]]
        diffs = [f"{fmt(d.mean)} [{fmt(d.low)}, {fmt(d.high)}]" for d in (v.vs_today[k], v.vs_uniform[k])]
        rows.append([k, *means, *diffs])
    header = ["KPI", *ARMS, "optimised − today [95% CI]", "optimised − uniform [95% CI]"]
    title = f"simulated: {v.replications} replications each, seed {v.seed}, common random numbers, money in {currency} over the window"
    return title + "\n" + render(header, rows, "l" + "r" * (len(header) - 1))


def verification_csv(v: Verification) -> str:
    """``verify.csv``: per KPI the arms' means and CIs and the paired differences."""
    header = ["kpi"]
    for arm in ARMS:
        header += [f"{arm}_mean", f"{arm}_ci_low", f"{arm}_ci_high"]
    header += ["optimised_minus_today", "vs_today_ci_low", "vs_today_ci_high", "optimised_minus_uniform", "vs_uniform_ci_low", "vs_uniform_ci_high"]
    rows = []
    for k in v.kpis:
        row: list[Any] = [k]
        for s in v.summaries[k]:
            row += [s.mean, s.low, s.high]
        for d in (v.vs_today[k], v.vs_uniform[k]):
            row += [d.mean, d.low, d.high]
        rows.append(row)
    return csv_text(header, rows)


def plan_csv(curve: Curve, plans: dict[str, np.ndarray]) -> str:
    """``plan.csv``: base stock per location and part, one column per plan."""
    names = (*curve.demand.depots, CENTRAL)
    rows = []
    for loc, name in enumerate(names):
        if name == CENTRAL and not curve.demand.two_echelon:
            continue
        for p, part in enumerate(curve.demand.parts):
            rows.append([name, part, *[int(levels[loc, p]) for levels in plans.values()]])
    return csv_text(["location", "part", *plans], rows)


def main(args: argparse.Namespace) -> int:
    if args.network:
        if args.budget is not None or args.target is not None:
            raise UsageError("--network chooses depots, --budget/--target base stocks: give one of them")
        return run_network(args)
    if args.budget is None and args.target is None:
        raise UsageError("give --budget AMOUNT, --target KPI=VALUE or --network")
    if args.budget is not None and (math.isnan(args.budget) or args.budget < 0):
        raise UsageError(f"--budget must be a non-negative amount (got {args.budget})")
    if args.verify < 0 or args.verify == 1:
        raise UsageError(f"--verify needs at least 2 replications for a confidence interval (got {args.verify})")
    if args.verify:
        check_jobs(args.jobs, args.scheduler)
    scenario = load(args.file, args.overrides)
    target: Target | None = None
    if args.target is not None:
        parsed = parse_target(args.target, [r.name for r in scenario.regions])
        if isinstance(parsed, str):
            raise UsageError(parsed)
        target = parsed
    print_warnings([scenario])
    raw, _ = load_scenario_data(args.file, args.overrides)
    net = build(scenario)
    demand = demand_rates(net)
    curve = optimize(demand, args.weight)
    current = today_levels(net)
    today = evaluate(demand, current, args.weight)

    if target is not None:
        step = curve.reaching(target)
        if step is None:
            best = float(curve.values(target).max())
            raise UsageError(
                f"--target {target.label}={target.value}: not reachable by stock alone; the efficient curve reaches "
                f"{best:.4f} at an investment of {curve.investment[-1]:,.0f}"
            )
        goal = f"least investment with {target.label} >= {target.value}"
    else:
        step = curve.within_budget(args.budget)
        goal = f"least backorders within a budget of {args.budget:,.0f}"
    chosen = curve.levels(step)
    point = curve.point(step)
    optimised_data = with_stock(raw, curve, chosen)
    optimised = validate_data(optimised_data)  # the file we write must load back: fail here, not in the user's run
    header = (
        f"Written by `sim optimize` from {args.file}: {goal} ({args.weight} weight).\n"
        f"Base stocks are the greedy's step {step} of {curve.steps}; analytic investment {point.investment:,.0f}, "
        f"expected backorders {point.ebo_total:.4g}, fill rate {point.fill_rate:.2%}.\n"
        "Everything else is the input scenario, resolved (extends merged, --set applied)."
    )
    print(f"{scenario.name}: {goal}; step {step} of {curve.steps} on the efficient curve ({args.weight} weight)")
    print(analytic_table(curve, {"today": today, "optimised": point}, target))

    files: dict[str, str | bytes] = {
        "curve.csv": curve_csv(curve),
        "curve.png": curve_png(curve, step, today, scenario.currency, f"{scenario.name}: efficient stock curve"),
        "optimized.yaml": scenario_yaml(optimised_data, header),
        "plan.csv": "",
    }
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "file": str(args.file),
        "goal": goal,
        "weight": args.weight,
        "method": "metric greedy over central levels" if demand.two_echelon else "greedy (Palm, one echelon)",
        "step": step,
        "steps": curve.steps,
        "today": today.__dict__,
        "optimised": point.__dict__,
    }
    plans = {"today": current, "optimised": chosen}
    if args.verify:
        uniform = uniform_levels(curve, chosen)
        plans["uniform"] = uniform
        arms = [scenario, optimised, validate_data(with_stock(raw, curve, uniform))]
        seed = args.seed if args.seed is not None else scenario.seed
        with executing_for(args, 3 * args.verify, f"verify {scenario.name}") as (ex, workers, tick):
            v = verify(arms, args.verify, seed, ex, workers, tick)
        print()
        print(verification_table(v, scenario.currency))
        files["verify.csv"] = verification_csv(v)
        summary["verification"] = {
            "replications": v.replications,
            "seed": v.seed,
            "optimised_minus_today": {k: d.__dict__ for k, d in v.vs_today.items()},
            "optimised_minus_uniform": {k: d.__dict__ for k, d in v.vs_uniform.items()},
        }
    files["plan.csv"] = plan_csv(curve, plans)
    files["summary.json"] = dumps_json(summary)
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-optimized"
    write_folder(out, files, command=NAME)
    print(f"\nresults written to {out}/ (optimized.yaml: run it with `sim run {out / 'optimized.yaml'}`)")
    return 0
