"""Stock optimisation (issue 12, section 3): the greedy's curve against brute force, budgets, targets, the command."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from sim.analytic import analyse
from sim.build import build
from sim.cli import main
from sim.optimize.demand import Demand, demand_rates
from sim.optimize.plan import uniform_levels
from sim.optimize.stock import Curve, Target, evaluate, optimize, parse_target
from sim.scenario.loader import load_scenario
from sim.theory import metric

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example.yaml"


def demand(
    rate_per_h: list[list[float]],
    unit_cost: list[float],
    lead_time_h: list[float],
    *,
    central_lead_time_h: float = 0.0,
    downtime: list[list[float]] | None = None,
    counter_share: float = 0.0,
) -> Demand:
    """A synthetic optimisation problem: depots × parts rates, one region whose promise stock decides."""
    rate = np.array(rate_per_h, dtype=float)
    n_d, n_p = rate.shape
    return Demand(
        depots=tuple(f"d{j}" for j in range(n_d)),
        parts=tuple(f"p{p}" for p in range(n_p)),
        unit_cost=np.array(unit_cost, dtype=float),
        rate_per_h=rate,
        fleet_rate_per_h=rate * (1.0 - counter_share),
        downtime_cost_per_h=np.array(downtime, dtype=float) if downtime is not None else np.ones_like(rate),
        lead_time_h=np.repeat(np.array(lead_time_h, dtype=float)[:, None], n_p, axis=1),
        to_central=np.ones_like(rate),
        central_lead_time_h=np.full(n_p, central_lead_time_h),
        two_echelon=central_lead_time_h > 0,
        machines=50,
        base_down=0.3,
        regions=("east",),
        region_total_per_h=np.array([rate.sum() * 1.2]),
        region_fixed_per_h=np.array([rate.sum() * 0.1]),
        region_stock_per_h=rate[None] * 0.8,
    )


def lower_hull_value(costs: np.ndarray, objs: np.ndarray, at: float) -> float:
    """The lower convex hull of the points, evaluated at cost ``at`` (inside their cost range)."""
    best = {}
    for c, o in zip(costs, objs):
        best[c] = min(o, best.get(c, np.inf))
    pts = sorted(best.items())
    hull: list[tuple[float, float]] = []
    for c, o in pts:
        while len(hull) >= 2 and (hull[-1][1] - hull[-2][1]) * (c - hull[-2][0]) >= (o - hull[-2][1]) * (hull[-1][0] - hull[-2][0]):
            hull.pop()
        hull.append((c, o))
    xs, ys = zip(*hull)
    return float(np.interp(at, xs, ys))


def brute_force(d: Demand, weight: str, top: int, central_top: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(investment, objective) of every allocation with depot levels 0..top (and central 0..central_top)."""
    n_d, n_p = d.rate_per_h.shape
    costs, objs = [], []
    central_range = range(central_top + 1) if d.two_echelon else [0]
    for depots in itertools.product(range(top + 1), repeat=n_d * n_p):
        for central in itertools.product(central_range, repeat=n_p):
            levels = np.vstack([np.array(depots).reshape(n_d, n_p), np.array(central)[None, :]])
            point = evaluate(d, levels, weight)
            costs.append(point.investment)
            objs.append(point.objective)
    return np.array(costs), np.array(objs)


def check_on_hull(curve: Curve, d: Demand, weight: str, top: int, central_top: int = 0) -> int:
    """Every greedy point inside the enumerated box is on the brute force's lower hull and dominated by none of its points."""
    costs, objs = brute_force(d, weight, top, central_top)
    checked = 0
    for step in range(curve.steps + 1):
        levels = curve.levels(step)
        if levels[:-1].max() > top or levels[-1].max() > central_top:
            continue  # outside the enumerated allocations
        point = evaluate(d, levels, weight)
        assert point.investment == pytest.approx(curve.investment[step])
        assert point.objective == pytest.approx(curve.objective[step], abs=1e-9)  # the curve's running sums are the plan's figures
        assert point.objective == pytest.approx(lower_hull_value(costs, objs, point.investment), abs=1e-9)
        dominated = (costs <= point.investment + 1e-9) & (objs < point.objective - 1e-9)
        assert not dominated.any(), (step, costs[dominated][:3], objs[dominated][:3])
        checked += 1
    return checked


@pytest.mark.parametrize("weight", ["machines", "downtime-cost"])
def test_one_echelon_greedy_points_lie_on_the_lower_convex_hull_of_brute_force(weight: str) -> None:
    d = demand(
        [[0.004, 0.001], [0.010, 0.002]],  # 2 depots × 2 parts: 4 items, levels 0..4 -> 625 allocations
        unit_cost=[500.0, 4000.0],
        lead_time_h=[72.0, 120.0],
        downtime=[[1500.0, 1500.0], [3000.0, 3000.0]],
    )
    curve = optimize(d, weight)
    assert check_on_hull(curve, d, weight, top=4) >= 8


def test_two_echelon_greedy_points_lie_on_the_lower_convex_hull_of_brute_force() -> None:
    d = demand([[0.01], [0.02], [0.005]], unit_cost=[1000.0], lead_time_h=[24.0, 48.0, 24.0], central_lead_time_h=200.0)
    curve = optimize(d, "machines")
    assert (curve.change_location == 3).any()  # central stock was worth buying
    assert check_on_hull(curve, d, "machines", top=5, central_top=6) >= 6


def test_two_parts_two_echelons_with_counter_demand_on_the_hull() -> None:
    d = demand(
        [[0.01, 0.002], [0.004, 0.003]],
        unit_cost=[300.0, 2000.0],
        lead_time_h=[48.0, 24.0],
        central_lead_time_h=300.0,
        counter_share=0.25,
    )
    curve = optimize(d, "machines")
    assert check_on_hull(curve, d, "machines", top=2, central_top=3) >= 3


def test_metric_figures_agree_with_sim_theory() -> None:
    d = demand([[0.01], [0.02]], unit_cost=[1000.0], lead_time_h=[24.0, 48.0], central_lead_time_h=200.0)
    levels = np.array([[2], [1], [3]])
    point = evaluate(d, levels)
    ref = metric([0.01, 0.02], [24.0, 48.0], [2, 1], 200.0, 3)
    assert point.ebo_total == pytest.approx(sum(r.expected_backorders for r in ref.depots), rel=1e-9)
    fill = (0.01 * ref.depots[0].fill_rate + 0.02 * ref.depots[1].fill_rate) / 0.03
    assert point.fill_rate == pytest.approx(fill, rel=1e-9)


def test_budget_is_respected_and_the_next_step_would_break_it() -> None:
    d = demand([[0.004, 0.001, 0.02], [0.010, 0.002, 0.001]], unit_cost=[500.0, 4000.0, 90.0], lead_time_h=[72.0, 120.0])
    curve = optimize(d)
    assert np.all(np.diff(curve.investment) > 0) and np.all(np.diff(curve.objective) <= 1e-15)
    for budget in (0.0, 400.0, 5000.0, 12345.0, 40000.0):
        step = curve.within_budget(budget)
        assert curve.investment[step] <= budget
        assert step == curve.steps or curve.investment[step + 1] > budget


@pytest.mark.parametrize("target", [Target("fill_rate", 0.9), Target("availability", 0.99), Target("within_promise", 0.7, "east")])
def test_target_is_met_with_the_least_investment_on_the_curve(target: Target) -> None:
    d = demand([[0.004, 0.001, 0.02], [0.010, 0.002, 0.001]], unit_cost=[500.0, 4000.0, 90.0], lead_time_h=[72.0, 120.0])
    curve = optimize(d)
    step = curve.reaching(target)
    assert step is not None and step > 0
    values = curve.values(target)
    assert values[step] >= target.value and values[step - 1] < target.value
    point = evaluate(d, curve.levels(step))
    figure = {"fill_rate": point.fill_rate, "availability": point.availability}.get(target.kpi, point.within[0])
    assert figure == pytest.approx(values[step], abs=1e-9)
    assert np.all(np.diff(values) >= -1e-12)  # service only improves along the curve
    assert curve.reaching(Target("availability", 0.99999)) is None  # machines down for travel and repair: no stock buys it


def test_parse_target_names_what_is_wrong() -> None:
    regions = ["Zhejiang", "Fujian"]
    assert parse_target("fill_rate=0.95", regions) == Target("fill_rate", 0.95)
    assert parse_target("within_promise[Zhejiang]=0.9", regions) == Target("within_promise", 0.9, "Zhejiang")
    assert "unknown KPI 'fil_rate'" in str(parse_target("fil_rate=0.9", regions))
    assert "unknown region 'Zhejang'" in str(parse_target("within_promise[Zhejang]=0.9", regions))
    assert "not a number" in str(parse_target("fill_rate=high", regions))
    assert "(0, 1]" in str(parse_target("availability=99", regions))
    assert "KPI=VALUE" in str(parse_target("availability", regions))


def test_demand_rates_of_a_scenario_are_the_fleet_failure_rates() -> None:
    net = build(load_scenario(EXAMPLE))
    d = demand_rates(net)
    jaw = d.parts.index("sealing_jaw")
    per_machine = {}
    for m in net.machines:
        for c in m.components:
            if c.part == jaw:
                per_machine[net.sites[m.site].depot] = per_machine.get(net.sites[m.site].depot, 0.0) + 1.0 / c.time_to_failure.mean
    # sim.analytic's rates: the fleet's failure rates × availability (a machine that is down does not fail)
    assert d.rate_per_h[:, jaw] == pytest.approx([per_machine.get(j, 0.0) for j in range(len(net.depots))], rel=0.01)
    assert (d.rate_per_h[:, jaw] < [per_machine.get(j, 0.0) for j in range(len(net.depots))]).all()
    rows = {(r.location, r.part): r.demand_per_h for r in analyse(net, "metric").rows}
    assert d.rate_per_h[:, jaw] == pytest.approx([rows[(name, "sealing_jaw")] for name in d.depots], rel=1e-12)
    assert d.machines == len(net.machines) and not d.two_echelon


def test_uniform_spreads_the_same_units_of_each_part() -> None:
    d = demand([[0.004, 0.001], [0.010, 0.002], [0.02, 0.0]], unit_cost=[500.0, 4000.0], lead_time_h=[72.0, 120.0, 72.0])
    curve = optimize(d)
    levels = curve.levels(curve.within_budget(20000))
    uniform = uniform_levels(curve, levels)
    assert (uniform[:-1].sum(axis=0) == levels[:-1].sum(axis=0)).all()
    assert (uniform[:-1].max(axis=0) - uniform[:-1].min(axis=0) <= 1).all()
    assert uniform[2, 0] >= uniform[0, 0]  # the rest goes to the busiest depot first


def test_optimized_yaml_stays_within_budget_validates_and_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "opt"
    assert main(["optimize", str(EXAMPLE), "--budget", "20000", "--out", str(out), "-q"]) == 0
    assert {"curve.csv", "curve.png", "optimized.yaml", "plan.csv", "summary.json"} <= {p.name for p in out.iterdir()}
    assert (out / "curve.png").read_bytes().startswith(b"\x89PNG")
    sc = load_scenario(out / "optimized.yaml")
    cost = {p.name: p.unit_cost for p in sc.parts}
    investment = sum(n * cost[p] for d in sc.depots for p, n in d.base_stock.items())
    assert 0 < investment <= 20000
    header = (out / "curve.csv").read_text().splitlines()[0].split(",")
    assert header[:9] == ["step", "investment", "ebo_total", "objective", "fill_rate", "availability", "location", "part", "base_stock"]
    assert main(["validate", str(out / "optimized.yaml")]) == 0
    assert main(["run", str(out / "optimized.yaml"), "-n", "2", "--out", str(tmp_path / "run"), "-q"]) == 0
    assert "results written" in capsys.readouterr().out


def test_target_command_reaches_the_target(tmp_path: Path) -> None:
    out = tmp_path / "t"
    assert main(["optimize", str(EXAMPLE), "--target", "fill_rate=0.9", "--out", str(out), "-q"]) == 0
    net = build(load_scenario(out / "optimized.yaml"))
    levels = np.array([list(d.base_stock) for d in net.depots] + [list(net.central.base_stock)])
    assert evaluate(demand_rates(net), levels).fill_rate >= 0.9


@pytest.mark.parametrize(
    ("option", "named"),
    [
        (["--target", "fil_rate=0.95"], "fil_rate"),
        (["--target", "within_promise[Atlantis]=0.9"], "Atlantis"),
        (["--target", "availability=1.5"], "availability=1.5"),
        (["--budget", "-5"], "--budget"),
        (["--target", "availability=0.99999"], "not reachable"),
    ],
)
def test_bad_goal_is_named_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], named: str) -> None:
    assert main(["optimize", str(EXAMPLE), *option, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_depot_repaired_part_resupplies_in_its_repair_time() -> None:
    repair = "parts[sealing_jaw].repair={depot_share: 0.75, depot_repair_time_h: {dist: deterministic, value: 8}, return_time_h: {dist: deterministic, value: 48}, central_repair_time_h: {dist: deterministic, value: 100}}"
    plain = demand_rates(build(load_scenario(EXAMPLE)))
    repaired = demand_rates(build(load_scenario(EXAMPLE, [repair])))
    jaw, drive = plain.parts.index("sealing_jaw"), plain.parts.index("servo_drive")
    # 75% of the fleet's jaws come back from the depot's bench after 8 h, the rest after the 72 h transport
    assert repaired.lead_time_h[:, jaw] == pytest.approx(0.75 * 8 + 0.25 * 72)
    assert repaired.to_central[:, jaw] == pytest.approx(0.25)
    assert repaired.lead_time_h[:, drive] == pytest.approx(plain.lead_time_h[:, drive])
    # shorter resupply: the same fill rate for less stock
    target = Target("fill_rate", 0.95)
    a, b = optimize(plain), optimize(repaired)
    a_step, b_step = a.reaching(target), b.reaching(target)
    assert a_step is not None and b_step is not None
    assert b.investment[b_step] < a.investment[a_step]


def test_two_echelon_scenario_gets_central_stock_in_optimized_yaml(tmp_path: Path) -> None:
    central = [
        "central.base_stock={sealing_jaw: 1}",
        "central.factory_lead_time_h={dist: deterministic, value: 600}",
        "depots[*].replenishment_lead_time_h={dist: deterministic, value: 24}",
    ]
    out = tmp_path / "two"
    args = ["optimize", str(EXAMPLE), "--budget", "40000", "--out", str(out), "-q"]
    assert main([*args, *[x for c in central for x in ("--set", c)]]) == 0
    sc = load_scenario(out / "optimized.yaml")
    assert sc.central.base_stock is not None and sum(sc.central.base_stock.values()) > 0
    cost = {p.name: p.unit_cost for p in sc.parts}
    invested = sum(n * cost[p] for d in sc.depots for p, n in d.base_stock.items()) + sum(
        n * cost[p] for p, n in sc.central.base_stock.items()
    )
    assert invested <= 40000


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["optimize", str(EXAMPLE), "--target", "within_promise[Zhejiang]=0.6", "--out", str(tmp_path / name), "-q"]) == 0
    for f in ("curve.csv", "curve.png", "optimized.yaml", "plan.csv", "summary.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_verify_simulates_three_plans_of_which_two_cost_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v"
    short = ["--set", "horizon_h=2500", "--set", "warmup_h=100"]
    assert main(["optimize", str(EXAMPLE), "--budget", "20000", "--verify", "2", "--out", str(out), "-q", *short]) == 0
    assert "optimised − uniform" in capsys.readouterr().out
    rows = {r.split(",")[0]: r.split(",") for r in (out / "verify.csv").read_text().splitlines()}
    header = rows["kpi"]
    investment = dict(zip(header, rows["inventory_investment"]))
    assert float(investment["optimised_minus_uniform"]) == 0.0  # the same units of every part
    assert float(investment["optimised_mean"]) <= 20000
    plan = (out / "plan.csv").read_text().splitlines()
    assert plan[0] == "location,part,today,optimised,uniform"
