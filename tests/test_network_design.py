"""Depot-network design (sim.optimize.network): the MILP against brute force, `open_depots`, the command."""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.build import build, places
from sim.commands import UsageError
from sim.commands.optimize_network import run_network
from sim.optimize.network import (
    _poisson_fill_ebo,
    brute_force,
    cost_model,
    design,
    evaluate_open,
    solve,
    technician_loads,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.theory import palm, queue_wait

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example.yaml"


def candidates(n_depots: int = 6, n_sites: int = 12, seed: int = 7, **extra: Any) -> Scenario:
    """Random candidate depots (differing rent, staff, stock) and sites around eastern China."""
    rng = np.random.default_rng(seed)
    depots = [
        {
            "name": f"D{j}",
            "lat": float(28 + 6 * rng.random()),
            "lon": float(112 + 8 * rng.random()),
            "fixed_cost_per_year": float(rng.integers(50, 400) * 1000),
            "technicians": int(rng.integers(1, 3)),
            "technician_cost_per_year": 150000,
            "base_stock": {"jaw": int(rng.integers(0, 3)), "drive": int(rng.integers(0, 2))},
        }
        for j in range(n_depots)
    ]
    sites = [
        {
            "name": f"S{i}",
            "lat": float(28 + 6 * rng.random()),
            "lon": float(112 + 8 * rng.random()),
            "machines": {"M": int(rng.integers(1, 8))},
            "downtime_cost_per_h": float(rng.integers(200, 4000)),
            "promise_h": 8,
            "late_penalty_per_h": 300,
            **({"perishable": {"threshold_h": 6, "loss": 20000}} if i % 3 == 0 else {}),
        }
        for i in range(n_sites)
    ]
    data: dict[str, Any] = {
        "name": "candidates",
        "parts": [{"name": "jaw", "unit_cost": 3000, "price": 5000}, {"name": "drive", "unit_cost": 9000, "price": 14000}],
        "machine_models": [
            {
                "name": "M",
                "price": 400000,
                "cost_to_make": 250000,
                "components": [
                    {"name": "jaw", "part": "jaw", "time_to_failure_h": {"dist": "exponential", "mean": 2000},
                     "repair_time_h": {"dist": "deterministic", "value": 2}},
                    {"name": "drive", "part": "drive", "time_to_failure_h": {"dist": "weibull", "shape": 1.5, "mean": 6000},
                     "repair_time_h": {"dist": "exponential", "mean": 3}},
                    {"name": "adjust", "time_to_failure_h": {"dist": "exponential", "mean": 3000},
                     "repair_time_h": {"dist": "deterministic", "value": 1}},
                ],
            }
        ],
        "sites": sites,
        "depots": depots,
        "central": {"name": "factory", "lat": 30.3, "lon": 120.2},
        "dispatch": {"emergency": {"enabled": True, "cost_per_shipment": 500}},
        "freight": {"normal_cost_per_km": 2, "emergency_cost_per_km": 4, "technician_cost_per_km": 1.5},
    }
    data.update(extra)
    return Scenario.model_validate(data)


@pytest.mark.parametrize("objective", ["total_cost", "maker_profit"])
def test_milp_equals_brute_force_over_every_subset(objective: str) -> None:
    sc = candidates()
    model = cost_model(sc, places(sc))
    for n in [1, 2, 3, 4, 5, 6, None]:
        exact = brute_force(model, objective, n)  # type: ignore[arg-type]
        milp = solve(model, objective, n)  # type: ignore[arg-type]
        assert milp.cost_per_year == pytest.approx(exact.cost_per_year, rel=1e-9), n
        assert milp.open == exact.open, n
        if n is not None:
            assert len(milp.open) == n


def test_milp_equals_brute_force_with_own_depots_and_demand_streams() -> None:
    # sites that name their depot keep it when it is open; a depot with counter sales is always open
    base = candidates(seed=3, n_sites=10)
    sites = [s.model_dump(by_alias=True) for s in base.sites]
    sites[0]["depot"], sites[4]["depot"] = "D5", "D2"
    streams = [{"name": "counter", "depot": "D1", "part": "jaw", "rate_per_h": 0.002}]
    sc = candidates(seed=3, n_sites=10, sites=sites, demand_streams=streams)
    model = cost_model(sc, places(sc))
    for n in [1, 2, 3, None]:
        exact, milp = brute_force(model, "total_cost", n), solve(model, "total_cost", n)
        assert milp.cost_per_year == pytest.approx(exact.cost_per_year, rel=1e-9)
        assert 1 in milp.open  # D1, forced by its stream
        for i, d in ((0, 5), (4, 2)):
            if d in milp.open:
                assert milp.assignment[i] == d


def test_best_n_cost_of_serving_cannot_rise_with_n() -> None:
    # with opening free, a bigger open set can only lower the serving cost: the best N is non-increasing in N,
    # and the overall best is the least over N
    sc = candidates(n_depots=7, seed=11)
    model = cost_model(sc, places(sc))
    free = type(model)(**{**model.__dict__, "depot_cost": np.zeros(len(model.depots))})
    costs = [solve(free, "total_cost", n).cost_per_year for n in range(1, 8)]
    assert all(b <= a + 1e-6 for a, b in zip(costs, costs[1:])), costs
    assert costs[-1] < costs[0]
    with_rent = [solve(model, "total_cost", n).cost_per_year for n in range(1, 8)]
    assert solve(model, "total_cost", None).cost_per_year == pytest.approx(min(with_rent), rel=1e-12)


def test_palm_in_the_cost_model_is_palm() -> None:
    m = np.array([0.0, 0.3, 1.7, 4.2, 9.0])
    for s in range(5):
        fill, ebo = _poisson_fill_ebo(m, np.array(s))
        for k, mean in enumerate(m):
            exact = palm(1.0, float(mean), s)
            assert fill[k] == pytest.approx(exact.fill_rate if mean > 0 or s == 0 else 1.0, abs=1e-12)
            assert ebo[k] == pytest.approx(exact.expected_backorders, abs=1e-12)


def test_cost_model_by_hand_for_one_site_and_one_depot() -> None:
    # deep stock (fill ≈ 1): every failure costs (max(part, technician) + technician queue + repair) × downtime cost,
    # the queue an M/M/c one (Erlang C) of the site's visits, each busy for the drive there and back and the repair
    sc = candidates(n_depots=1, n_sites=1, seed=5)
    sc = sc.model_copy(update={"depots": [sc.depots[0].model_copy(update={"base_stock": {"jaw": 30, "drive": 30}})]})
    travel = places(sc)
    model = cost_model(sc, travel)
    site, depot = sc.sites[0], sc.depots[0]
    n = site.machines["M"]
    part_h, tech_h = travel.part_h(depot.name, site.name), travel.technician_h(depot.name, site.name)
    rates = {"jaw": n * 8760 / 2000, "drive": n * 8760 / 6000, "adjust": n * 8760 / 3000}
    repair = {"jaw": 2, "drive": 3, "adjust": 1}
    visits_per_h = sum(rates.values()) / 8760
    busy_h = sum(rates[c] * (2 * tech_h + repair[c]) for c in rates) / 8760 / visits_per_h
    queue = queue_wait(visits_per_h, busy_h, depot.technicians)
    assert 0 < queue < 1  # a light load: a short wait
    arrive = max(part_h, tech_h) + queue  # with_part: the technician waits, then travels to meet the part
    restore = {"jaw": arrive + 2, "drive": arrive + 3, "adjust": tech_h + queue + 1}
    downtime = sum(rates[c] * restore[c] for c in rates) * site.downtime_cost_per_h
    spoiled = sum(rates[c] for c in rates if restore[c] > 6) * 20000  # site 0 is perishable after 6 h
    assert model.customer_loss[0, 0] == pytest.approx(downtime + spoiled, rel=1e-9)
    km = travel.distance_km(depot.name, site.name)
    freight = (rates["jaw"] + rates["drive"]) * 2 * km + sum(rates.values()) * 1.5 * 2 * km
    late = sum(rates[c] * max(restore[c] - 8, 0) for c in rates) * 300
    assert model.maker_cost[0, 0] == pytest.approx(freight + late, rel=1e-6)
    assert model.penalty[0, 0] == pytest.approx(late, rel=1e-9)
    rent = depot.fixed_cost_per_year + depot.technicians * 150000 + 30 * 0.25 * (3000 + 9000)
    assert model.depot_cost[0] == pytest.approx(rent)


def test_open_depots_number_opens_the_best_not_the_first(tmp_path: Path) -> None:
    # the first depot in the file is in Lhasa, far from every site: "first 1" would open it, "best 1" must not
    text = EXAMPLE.read_text().replace(
        "depots:\n",
        "depots:\n  - {name: Lhasa, lat: 29.65, lon: 91.17, technicians: 1, fixed_cost_per_year: 1000,"
        " base_stock: {sealing_jaw: 3, servo_drive: 1}}\n",
        1,
    )
    f = tmp_path / "lhasa.yaml"
    f.write_text(text)
    sc = load_scenario(f, ["open_depots=1"])
    assert sc.depots[0].name == "Lhasa"
    net = build(sc)
    chosen = design(sc, places(sc), 1, "total_cost")
    assert [d.name for d in net.depots] == list(chosen.open) != ["Lhasa"]
    # the built network carries the design's assignment, and it beats every other single depot by the figures
    # (fill rates and technician queue at the depot's own load: every site goes to the one depot)
    assert {s.name: net.depots[s.depot].name for s in net.sites} == chosen.assignment
    costs = {name: evaluate_open(sc, places(sc), [name], "total_cost").cost_per_year for name in ("Lhasa", "Hangzhou", "Shanghai")}
    assert chosen.figures.cost_per_year == pytest.approx(min(costs.values()), rel=1e-12)
    assert costs["Lhasa"] > 2 * min(costs.values())
    # the linear model without the queue would have opened Shanghai, further from most sites: a technician's longer
    # drives there and back make a longer queue (one technician each)
    index = {d.name: j for j, d in enumerate(sc.depots)}
    alone = {name: [index[name]] * len(sc.sites) for name in costs}
    linear = {n: cost_model(sc, places(sc), a, queueing=False).evaluate([a[0]], "total_cost", a).cost_per_year for n, a in alone.items()}
    assert min(linear, key=linear.__getitem__) == "Shanghai" and chosen.open == ("Hangzhou",)
    two = build(load_scenario(f, ["open_depots=2"]))
    assert [d.name for d in two.depots] == ["Hangzhou", "Shanghai"]


def test_open_depots_explicit_list_and_its_errors(tmp_path: Path) -> None:
    net = build(load_scenario(EXAMPLE, ["open_depots=[Shanghai]"]))
    assert [d.name for d in net.depots] == ["Shanghai"] and {s.depot for s in net.sites} == {0}
    with pytest.raises(ScenarioError) as e:
        load_scenario(EXAMPLE, ["open_depots=[Shanghia, Hangzhou, Hangzhou]"])
    text = str(e.value)
    assert "open_depots[0]" in text and "did you mean 'Shanghai'" in text
    assert "open_depots[2]" in text and "listed twice" in text
    with pytest.raises(ScenarioError, match="only 2 listed"):
        load_scenario(EXAMPLE, ["open_depots=3"])
    with pytest.raises(ScenarioError, match="design_objective"):
        load_scenario(EXAMPLE, ["design_objective=profit"])


def test_the_design_objective_changes_the_choice() -> None:
    # the maker alone opens fewer depots than the maker and its customers together
    sc = candidates(n_depots=6, n_sites=14, seed=2)
    travel = places(sc)
    total = design(sc, travel, None, "total_cost")
    maker = design(sc, travel, None, "maker_profit")
    assert len(maker.open) < len(total.open)
    assert total.figures.customer_cost_per_year < maker.figures.customer_cost_per_year
    assert all(math.isfinite(x) for x in (total.figures.cost_per_year, maker.figures.cost_per_year))
    # in one linear model (exact optima) each objective's optimum is the best by its own measure
    model = cost_model(sc, travel, queueing=False)
    by_total, by_maker = solve(model, "total_cost"), solve(model, "maker_profit")
    assert by_maker.maker_profit_per_year >= by_total.maker_profit_per_year
    assert by_total.cost_per_year <= model.evaluate(by_maker.open, "total_cost").cost_per_year
    assert len(by_maker.open) < len(by_total.open)


def network_args(**options: Any) -> argparse.Namespace:
    """The options ``sim optimize FILE --network`` parses (the stock optimiser's shared ones included)."""
    base: dict[str, Any] = dict(file=str(EXAMPLE), overrides=[], out=None, verify=0, seed=None, jobs=1, scheduler=None,
                                quiet=True, network=True, depots=None, objective=None)
    return argparse.Namespace(**{**base, **options})


def test_optimize_network_writes_a_network_that_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net"
    assert run_network(network_args(verify=2, overrides=["replications=4"], out=str(out))) == 0
    printed = capsys.readouterr().out
    assert "◀ chosen" in printed and "rank (analytic)" in printed
    rows = read_csv(out / "network.csv")
    assert [r["label"] for r in rows] == ["1", "2", "file"]
    chosen = [r for r in rows if r["chosen"] == "True"]
    assert len(chosen) == 1 and chosen[0]["open_depots"] == "Hangzhou;Shanghai"
    assert chosen[0] is min(rows[:2], key=lambda r: float(r["objective_value"]))
    sites = read_csv(out / "assignment.csv")
    assert len(sites) == 8 and {r["depot"] for r in sites} == {"Hangzhou", "Shanghai"}
    # network.yaml loads back, and runs the design's network with its assignment
    sc = load_scenario(out / "network.yaml")
    assert sc.open_depots == ["Hangzhou", "Shanghai"]
    net = build(sc)
    assert {s.name: net.depots[s.depot].name for s in net.sites} == {r["site"]: r["depot"] for r in sites}
    verified = read_csv(out / "verify.csv")
    assert [r["analytic_rank"] for r in verified] == ["1", "2"]
    assert [r["simulated_rank"] for r in verified] == ["1", "2"]
    # the one-depot network is worse in simulation too, by a paired CI that excludes zero (common random numbers)
    assert float(verified[1]["minus_best_ci_low"]) > 0 and float(verified[0]["minus_best"]) == 0
    # --depots 1: the best single depot is chosen and written
    assert run_network(network_args(depots=1, out=str(tmp_path / "one"))) == 0
    assert load_scenario(tmp_path / "one" / "network.yaml").open_depots == ["Hangzhou"]


def test_technician_load_by_hand() -> None:
    """Offered load per technician: Σ over the depot's sites of failures/h × (2 × technician time + repair), ÷ technicians."""
    sc = candidates(4, 12)
    travel = places(sc)
    e = evaluate_open(sc, travel, ["D0", "D2"], "total_cost")
    loads = technician_loads(sc, travel, e)
    assert set(loads) == {"D0", "D2"}
    for j in (0, 2):
        d = sc.depots[j]
        busy = 0.0
        for s, a in zip(sc.sites, e.assignment):
            if a != j:
                continue
            m = s.machines["M"]
            tt = travel.technician_h(d.name, s.name)
            busy += m / 2000 * (2 * tt + 2) + m / 6000 * (2 * tt + 3) + m / 3000 * (2 * tt + 1)
        assert loads[d.name] == pytest.approx(busy / d.technicians, rel=1e-9)


def test_network_flags_designs_whose_technicians_are_overloaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A design with technician load >= 1 (no steady state) is flagged in the table, network.csv and a warning."""
    assert run_network(network_args(out=str(tmp_path / "ok"))) == 0
    printed = capsys.readouterr().out
    rows = read_csv(tmp_path / "ok" / "network.csv")
    assert all(0 < float(r["technician_load_max"]) < 1 for r in rows)
    assert "tech load max" in printed and "technician load" not in printed
    # the sealing jaw failing every 15 h instead of 1,500 h: every design overloads its single technicians
    f = tmp_path / "busy.yaml"
    f.write_text(EXAMPLE.read_text().replace("shape: 1.5, mean: 1500}", "shape: 1.5, mean: 15}", 1))
    assert run_network(network_args(file=str(f), out=str(tmp_path / "busy"))) == 0
    printed = capsys.readouterr().out
    rows = read_csv(tmp_path / "busy" / "network.csv")
    assert all(float(r["technician_load_max"]) >= 1 for r in rows)
    assert "⚠" in printed
    warnings = [line for line in printed.splitlines() if "technician load" in line and ">= 1" in line]
    assert len(warnings) == len(rows)
    assert any(line.startswith("warning: the chosen network:") for line in warnings)

def test_sim_optimize_network_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli import main

    out = tmp_path / "cli"
    assert main(["optimize", str(EXAMPLE), "--network", "--depots", "2", "--out", str(out), "-q"]) == 0
    assert "◀ chosen" in capsys.readouterr().out
    assert load_scenario(out / "network.yaml").open_depots == ["Hangzhou", "Shanghai"]
    assert main(["optimize", str(EXAMPLE), "--network", "--budget", "1000", "--out", str(tmp_path / "x"), "-q"]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert main(["optimize", str(EXAMPLE), "--out", str(tmp_path / "x"), "-q"]) == 2
    assert "give --budget AMOUNT, --target KPI=VALUE or --network" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_optimize_network_refuses_bad_options(tmp_path: Path) -> None:
    out = tmp_path / "never"
    with pytest.raises(UsageError, match="--depots must be between 1 and the 2 depots"):
        run_network(network_args(depots=3, out=str(out)))
    with pytest.raises(UsageError, match="--verify needs at least 2 networks"):
        run_network(network_args(verify=1, out=str(out)))
    with pytest.raises(UsageError, match="at least 2 replications"):
        run_network(network_args(verify=2, overrides=["replications=1"], out=str(out)))
    assert not out.exists()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))
