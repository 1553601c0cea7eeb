"""``sim optimize FILE --network [--depots N] [--objective ...] [--verify K] [--out DIR]``: which depots to open.

Every depot the scenario lists is a candidate. For each number of depots N the best open
set and its site assignment come from the facility-location MILP of
:mod:`sim.optimize.network` (closed-form yearly costs, HiGHS); the overall best is the best
over N (or the best of ``--depots N``). Writes ``network.csv`` (per N: open set and
analytic figures), ``assignment.csv`` (site → depot of the chosen network) and
``network.yaml`` (the scenario with the chosen explicit list and assignment, which
``sim run`` accepts). ``--verify K`` simulates the K analytically best candidates with
common random numbers and prints them with 95% CIs beside their analytic ranking
(``verify.csv``). See docs/network-design.md.

Wiring (sim/commands/optimize.py): ``add_network_arguments(parser)`` adds ``--network``,
``--depots`` and ``--objective``; when ``args.network`` is set, ``main`` returns
``run_network(args)``, which also reads ``file``, ``overrides`` (--set), ``out``,
``verify``, ``seed``, ``jobs``, ``scheduler`` and ``quiet`` from the optimize options.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim.build import build, places
from sim.commands import UsageError
from sim.commands.common import executing_for, load
from sim.diagnostics import print_warnings
from sim.optimize.network import (
    OBJECTIVES,
    Design,
    DesignError,
    Evaluation,
    Objective,
    design,
    evaluate_open,
    technician_load_max,
)
from sim.output import csv_text, dumps_json, write_folder
from sim.runner import check_jobs, run_scenarios
from sim.scenario.loader import load_scenario_data, validate_data
from sim.scenario.schema import Scenario
from sim.stats import Difference, Summary, paired_difference, summarize
from sim.table import number, render

HOURS_PER_YEAR = 8760.0
SIM_KPIS = ("customer_total_cost", "maker_profit", "customer_downtime_cost", "restore_time_mean_h")


def add_network_arguments(p: argparse.ArgumentParser) -> None:
    """The network-design options of ``sim optimize``."""
    p.add_argument(
        "--network",
        action="store_true",
        help=(
            "choose which listed depots to open (and which depot serves each site) instead of base stocks; "
            "--verify K then simulates the K best networks (the file's replications)"
        ),
    )
    p.add_argument("--depots", type=int, default=None, metavar="N", help="with --network: the best N depots (default: the best number)")
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default=None,
        help="with --network: total_cost (maker's cost + customers' downtime) or maker_profit (default: the file's design_objective)",
    )


@dataclass(frozen=True)
class Candidate:
    """One analytic design: the best network of ``n`` depots (``n`` None: the file's own network)."""

    label: str
    design: Evaluation
    names: tuple[str, ...]


def objective_value(e: Evaluation, objective: Objective) -> float:
    """The figure the design minimises (total cost) or maximises (maker profit), per year."""
    return e.maker_profit_per_year if objective == "maker_profit" else e.cost_per_year


def _sim_objective(customer_total: Any, maker_profit: Any, objective: Objective) -> Any:
    """The simulated counterpart of the objective, up to a constant no design changes.

    total cost = the maker's costs + customers' losses = customer_total_cost − maker_profit +
    (maker revenue − customer payments), the last term the same for every network.
    """
    return maker_profit if objective == "maker_profit" else customer_total - maker_profit


def network_scenario(sc: Scenario, d: Design | Candidate, assignment: dict[str, str]) -> Scenario:
    """``sc`` with the explicit open list and every site's depot from the design."""
    names = list(d.open) if isinstance(d, Design) else list(d.names)
    sites = [s.model_copy(update={"depot": assignment[s.name]}) for s in sc.sites]
    return sc.model_copy(update={"open_depots": names, "sites": sites})


def _names(sc: Scenario, e: Evaluation) -> tuple[str, ...]:
    return tuple(sc.depots[j].name for j in e.open)


def _assignment(sc: Scenario, e: Evaluation) -> dict[str, str]:
    return {s.name: sc.depots[j].name for s, j in zip(sc.sites, e.assignment)}


def _depots(n: int) -> str:
    return f"{n} depot" if n == 1 else f"{n} depots"


def _short(names: Sequence[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else ", ".join(names[:3]) + f", … (+{len(names) - 3})"


Row = tuple[str, Evaluation, tuple[str, ...]]


def _load(loads: dict[str, float] | None, label: str) -> str:
    if loads is None or label not in loads:
        return ""
    return f"{loads[label]:.2f}" + (" ⚠" if loads[label] >= 1.0 else "")


def network_table(rows: list[Row], chosen: str, objective: Objective, loads: dict[str, float] | None = None) -> str:
    """Per number of depots: the best open set and its analytic yearly figures (and highest technician load)."""
    head = ["depots", "open", "objective/yr" if objective == "total_cost" else "profit/yr", "maker profit/yr",
            "customer cost/yr", "restore h", "tech load max", ""]
    body = []
    for label, e, names in rows:
        body.append([label, _short(names), number(objective_value(e, objective)), number(e.maker_profit_per_year),
                     number(e.customer_cost_per_year), f"{e.restore_h_mean:.2f}", _load(loads, label),
                     "◀ chosen" if label == chosen else ""])
    return render(head, body, "rlrrrrrl")


def network_csv(rows: list[Row], chosen: str, objective: Objective, loads: dict[str, float] | None = None) -> str:
    """``network.csv``: one row per number of depots (and the file's own network), analytic figures per year.

    ``technician_load_max``: the highest offered load per technician over the open depots
    (at 1 or more their queue grows without bound, and the analytic figures are optimistic).
    """
    header = ["n_open", "label", "chosen", "objective", "objective_value", "maker_profit_per_year",
              "customer_cost_per_year", "customer_loss_per_year", "restore_time_mean_h", "technician_load_max",
              "method", "open_depots"]
    body = [
        [len(e.open), label, label == chosen, objective, objective_value(e, objective), e.maker_profit_per_year, e.customer_cost_per_year, e.customer_loss_per_year, e.restore_h_mean,
         (loads or {}).get(label, ""), "analytic (Palm fill rates, Erlang C technician queue)", ";".join(names)]
        for label, e, names in rows
    ]
    return csv_text(header, body)


def overload_warnings(rows: list[Row], loads: dict[str, float], where: dict[str, str], chosen: str) -> list[str]:
    """One line per design whose technicians are loaded at 1 or more (no steady state: figures optimistic)."""
    out = []
    for label, _, _ in rows:
        if loads.get(label, 0.0) >= 1.0:
            what = "the chosen network" if label == chosen else ("the file's network" if label == "file" else f"{_depots(int(label))}")
            out.append(f"warning: {what}: technician load {loads[label]:.2f} >= 1 at {where[label]}: the queue grows "
                       "without bound and the analytic figures are optimistic (its wait is capped); simulate it (--verify)")
    return out


def assignment_csv(sc: Scenario, assignment: dict[str, str]) -> str:
    """``assignment.csv``: each site's depot in the chosen network, with distance and travel times."""
    travel = places(sc)
    rows = []
    for s in sc.sites:
        d = assignment[s.name]
        rows.append([s.name, d, travel.distance_km(d, s.name), travel.part_h(d, s.name), travel.technician_h(d, s.name),
                     sum(s.machines.values())])
    return csv_text(["site", "depot", "distance_km", "part_time_h", "technician_time_h", "machines"], rows)


def network_yaml(file: str, overrides: list[str], names: tuple[str, ...], assignment: dict[str, str], header: str) -> str:
    """The input scenario (resolved) with the chosen explicit list and assignment, as YAML that loads back."""
    from sim.optimize.plan import scenario_yaml  # the stock optimiser's writer: same format as optimized.yaml

    data, _ = load_scenario_data(file, overrides)
    data = dict(data)
    data["open_depots"] = list(names)
    data["sites"] = [{**site, "depot": assignment[site["name"]]} for site in data.get("sites", [])]
    validate_data(data)  # the file we write must load back: fail here, not in the user's run
    return scenario_yaml(data, header)


@dataclass(frozen=True)
class Verified:
    """The simulated candidates: per KPI each candidate's summary, and differences against the analytic best."""

    candidates: tuple[Candidate, ...]
    replications: int
    seed: int
    summaries: dict[str, tuple[Summary, ...]]  # kpi (and "objective") -> per candidate
    vs_best: tuple[Difference, ...]  # objective: candidate − analytic best, paired


def verify_candidates(
    sc: Scenario, cands: list[Candidate], arms: list[Scenario], objective: Objective, args: argparse.Namespace
) -> Verified:
    """Simulate the candidates' scenarios ``arms`` on one seed and the same replications (common random numbers)."""
    seed = args.seed if args.seed is not None else sc.seed
    with executing_for(args, len(arms) * sc.replications, f"verify {len(arms)} networks") as (ex, workers, tick):
        results = run_scenarios(arms, sc.replications, seed, ex, workers, tick)
    summaries = {k: tuple(summarize(r.column(k)) for r in results) for k in SIM_KPIS}
    obj = [_sim_objective(r.column("customer_total_cost"), r.column("maker_profit"), objective) for r in results]
    summaries["objective"] = tuple(summarize(o) for o in obj)
    return Verified(tuple(cands), sc.replications, seed, summaries, tuple(paired_difference(obj[0], o) for o in obj))


def verify_rows(v: Verified, objective: Objective, years: float) -> tuple[list[str], list[list[Any]]]:
    """The verification as rows: analytic rank and figure beside the simulated mean and CI, per candidate."""
    better = objective == "maker_profit"
    sim_rank = sorted(range(len(v.candidates)), key=lambda i: v.summaries["objective"][i].mean, reverse=better)
    analytic_rank = sorted(range(len(v.candidates)), key=lambda i: objective_value(v.candidates[i].design, objective), reverse=better)
    header = ["analytic_rank", "simulated_rank", "label", "open_depots", "analytic_objective", "simulated_objective",
              "sim_ci_low", "sim_ci_high", "minus_best", "minus_best_ci_low", "minus_best_ci_high"]
    for k in SIM_KPIS:
        header += [f"{k}_mean", f"{k}_ci_low", f"{k}_ci_high"]
    rows = []
    for i, c in enumerate(v.candidates):
        o, d = v.summaries["objective"][i], v.vs_best[i]
        analytic = objective_value(c.design, objective) * years
        if objective == "total_cost":  # the simulated figure omits the design-independent constant: show the same
            analytic = (c.design.customer_cost_per_year - c.design.maker_profit_per_year) * years
        row: list[Any] = [analytic_rank.index(i) + 1, sim_rank.index(i) + 1, c.label, ";".join(c.names), analytic, o.mean, o.low, o.high,
                          d.mean, d.low, d.high]
        for k in SIM_KPIS:
            s = v.summaries[k][i]
            row += [s.mean, s.low, s.high]
        rows.append(row)
    return header, rows


def verify_table(v: Verified, objective: Objective, years: float, currency: str) -> str:
    """The printed verification table."""
    _, rows = verify_rows(v, objective, years)
    what = "customer total cost − maker profit" if objective == "total_cost" else "maker profit"
    head = ["rank (analytic)", "rank (sim)", "depots: network", f"{what}: analytic", "simulated [95% CI]", "− best [95% CI]"]
    body = [
        [str(r[0]), str(r[1]), f"{r[2]}: {_short(r[3].split(';'))}", number(r[4]), f"{number(r[5])} [{number(r[6])}, {number(r[7])}]",
         "reference" if i == 0 else f"{number(r[8])} [{number(r[9])}, {number(r[10])}]"]
        for i, r in enumerate(rows)
    ]
    title = (f"simulated: {v.replications} replications each, seed {v.seed}, common random numbers; {what} in {currency} "
             f"over the window ({years:g} years), the same design-independent constant left out of both")
    return title + "\n" + render(head, body, "rrlrrr")


def run_network(args: argparse.Namespace) -> int:
    """``sim optimize FILE --network``: the best network per number of depots, the chosen one, files, verification."""
    if args.verify < 0 or args.verify == 1:
        raise UsageError(f"--verify needs at least 2 networks to compare (got {args.verify})")
    if args.verify:
        check_jobs(args.jobs, args.scheduler)
    given = load(args.file, args.overrides)
    sc = given.model_copy(update={"open_depots": None})  # every listed depot is a candidate
    objective: Objective = args.objective or given.design_objective
    n_depots = len(sc.depots)
    if args.depots is not None and not 1 <= args.depots <= n_depots:
        raise UsageError(f"--depots must be between 1 and the {n_depots} depots the scenario lists (got {args.depots})")
    if args.verify and sc.replications < 2:
        raise UsageError(f"--verify needs at least 2 replications per network (the file sets {sc.replications}; --set replications=30)")
    print_warnings([given])
    travel = places(sc)
    rows: list[tuple[str, Evaluation, tuple[str, ...]]] = []
    per_n: dict[int, Design] = {}
    try:
        for n in range(1, n_depots + 1):
            per_n[n] = design(sc, travel, n, objective)
        best_free = design(sc, travel, None, objective)
    except DesignError as e:  # e.g. more depots with demand streams than N
        raise UsageError(f"{args.file}: {e}") from None
    for n, d in per_n.items():
        rows.append((str(n), d.figures, d.open))
    today_names = tuple(d.name for d in build(given).depots)
    today = evaluate_open(sc, travel, today_names, objective)
    rows.append(("file", today, _names(sc, today)))
    if args.depots is not None:
        chosen = per_n[args.depots]
    else:  # the free design, or a best-N the fill-rate iteration found better
        better = objective == "maker_profit"
        pool = [best_free, *per_n.values()]
        chosen = (max if better else min)(pool, key=lambda d: objective_value(d.figures, objective))
    chosen_label = str(len(chosen.open))

    goal = "least total cost (maker's network cost + customers' downtime and spoiled goods)" if objective == "total_cost" \
        else "most maker profit"
    scope = f"the best {_depots(args.depots)}" if args.depots is not None else "the best number of depots"
    print(f"{given.name}: {scope} of {n_depots} candidates for {goal}; analytic figures per year in {sc.currency}")
    loads, where = {}, {}
    for label, figures, _ in rows:
        loads[label], where[label] = technician_load_max(sc, travel, figures)
    print(network_table(rows, chosen_label, objective, loads))
    for line in overload_warnings(rows, loads, where, chosen_label):
        print(line)
    print(f"chosen: {', '.join(chosen.open)} ({_depots(len(chosen.open))})")
    print_warnings([(network_scenario(sc, chosen, chosen.assignment), "chosen network")])  # e.g. technician load ≥ 1

    header = (
        f"Written by `sim optimize --network` from {args.file}: {scope} for {objective}.\n"
        f"Open depots and every site's depot are the design's (analytic {objective} per year "
        f"{objective_value(chosen.figures, objective):,.0f} {sc.currency}).\n"
        "Everything else is the input scenario, resolved (extends merged, --set applied)."
    )
    files: dict[str, str | bytes] = {
        "network.csv": network_csv(rows, chosen_label, objective, loads),
        "assignment.csv": assignment_csv(sc, chosen.assignment),
        "network.yaml": network_yaml(args.file, args.overrides, chosen.open, chosen.assignment, header),
    }
    summary: dict[str, Any] = {
        "scenario": given.name,
        "file": str(args.file),
        "objective": objective,
        "depots": args.depots,
        "chosen": list(chosen.open),
        "chosen_figures": {k: v for k, v in asdict(chosen.figures).items() if k not in ("open", "assignment")},
        "method": "facility-location MILP (scipy.optimize.milp, HiGHS) on closed-form yearly costs; docs/network-design.md",
    }
    if args.verify:
        ranked = sorted(per_n.values(), key=lambda d: objective_value(d.figures, objective), reverse=objective == "maker_profit")
        cands = [Candidate(str(len(d.open)), d.figures, d.open) for d in ranked[: args.verify]]
        arms = [network_scenario(sc, c, _assignment(sc, c.design)) for c in cands]
        if all(set(c.names) != set(today_names) for c in cands):  # the file's own network, as it runs today
            cands.append(Candidate("file", today, _names(sc, today)))
            arms.append(given)
        years = sc.window_h / HOURS_PER_YEAR
        v = verify_candidates(sc, cands, arms, objective, args)
        print()
        print(verify_table(v, objective, years, sc.currency))
        header_v, rows_v = verify_rows(v, objective, years)
        files["verify.csv"] = csv_text(header_v, rows_v)
        summary["verification"] = {"replications": v.replications, "seed": v.seed, "candidates": [c.label for c in cands]}
    files["summary.json"] = dumps_json(summary)
    out = Path(args.out) if args.out else Path("results") / f"{given.name}-network"
    write_folder(out, files, command="optimize")
    print(f"\nresults written to {out}/ (network.yaml: run it with `sim run {out / 'network.yaml'}`)")
    return 0
