"""Repairable parts (Sherbrooke's METRIC world) against exact theory, conservation and validation.

Fleet demand is made Poisson by a large fleet of machines with exponential lives that are
restored at once (no travel, no hands-on repair time): a machine is down only while its
part is backordered, which removes (expected backorders ÷ fleet size) of the failure rate,
far below the statistical tolerance. Counter sales are never repaired, so only the fleet
can bring carcasses.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import kpis

from sim.build import build
from sim.cli import main
from sim.diagnostics import diagnose
from sim.engine.model import Replication
from sim.engine.outcome import Outcome
from sim.kpis import evaluate
from sim.scenario.schema import Scenario
from sim.theory import palm

Z = 4.0
ROOT = Path(__file__).resolve().parent.parent


def det(value: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": value}


def expo(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def fleet(
    rate_per_h: float,
    base_stock: int,
    repair: dict[str, Any],
    lead: dict[str, Any],
    horizon_h: float,
    warmup_h: float,
    machines: int = 200,
    repair_servers: int | None = None,
    seed: int = 3,
    central: dict[str, Any] | None = None,
    emergency: bool = False,
) -> Scenario:
    """One depot next to one site of ``machines`` machines whose failures are a Poisson stream of ``rate_per_h``."""
    return Scenario.model_validate(
        {
            "name": "repairable-fleet",
            "seed": seed,
            "horizon_h": horizon_h,
            "warmup_h": warmup_h,
            "parts": [{"name": "p", "unit_cost": 100, "price": 150, "repair": repair}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 1000,
                    "cost_to_make": 500,
                    "components": [
                        {"name": "c", "part": "p", "time_to_failure_h": expo(machines / rate_per_h), "repair_time_h": det(0)}
                    ],
                }
            ],
            "sites": [{"name": "S", "lat": 0, "lon": 0, "machines": {"M": machines}, "downtime_cost_per_h": 1}],
            "depots": [
                {
                    "name": "D",
                    "lat": 0,
                    "lon": 0,
                    "technicians": 5,
                    "base_stock": {"p": base_stock},
                    "replenishment_lead_time_h": lead,
                    "repair_servers": repair_servers,
                }
            ],
            "central": central or {},
            "dispatch": {"lateral": {"enabled": False}, "emergency": {"enabled": emergency}},
            "travel": {"handling_h": 0, "technician_mobilisation_h": 0},
        }
    )


def outcomes(sc: Scenario, n: int, check: bool = False) -> list[Outcome]:
    net = build(sc)
    return [Replication(net, sc.seed, r, check).run() for r in range(n)]


def assert_close(values: list[float] | np.ndarray, exact: float, label: str) -> None:
    v = np.asarray(values, dtype=float)
    se = v.std(ddof=1) / math.sqrt(len(v))
    assert se > 0, label
    assert abs(v.mean() - exact) <= Z * se, f"{label}: sim {v.mean():.5f} ± {se:.5f}, exact {exact:.5f}"


def pipeline_mean(o: Outcome) -> float:
    """Time-average units in the depot's resupply pipeline (infinite central: owned = on hand + pipeline)."""
    return (o.owned_unit_h[0] - o.depot_on_hand_unit_h[0]) / o.window_h


def test_palm_is_exact_for_a_repair_transport_mixture() -> None:
    """Depot share r, repair time A (exponential), else transport O from an infinite central:
    resupply times are iid, so the pipeline is Poisson(λ·(r·E[A] + (1−r)·O)) (Palm)."""
    rate, share, repair_h, transport_h, base_stock = 0.4 / 24, 0.6, 120.0, 240.0, 4
    sc = fleet(
        rate,
        base_stock,
        {"depot_share": share, "depot_repair_time_h": expo(repair_h), "central_repair_time_h": expo(100), "repair_cost": 5},
        det(transport_h),
        horizon_h=30000.0,
        warmup_h=1500.0,
    )
    lead_h = share * repair_h + (1 - share) * transport_h
    exact = palm(rate, lead_h, base_stock)
    assert exact.fill_rate < 0.9  # stock-outs happen: the check has teeth
    net = build(sc)
    outs = [Replication(net, sc.seed, r).run() for r in range(30)]
    rows = [evaluate(net, o) for o in outs]
    assert_close([k["fill_rate"] for k in rows], exact.fill_rate, "fill rate")
    assert_close([k["backorders_mean"] for k in rows], exact.expected_backorders, "EBO")
    assert_close([pipeline_mean(o) for o in outs], rate * lead_h, "pipeline mean")
    # every fleet carcass goes one way: a depot repair (share r) or central (no condemnation)
    for o in outs:
        assert o.depot_repairs[0] + o.central_repairs[0] == sum(row[0] for row in o.site_part_units)
        assert o.condemned_units == (0,) and o.purchased_units == (0,)
    repaired = sum(o.depot_repairs[0] for o in outs)
    n = sum(o.depot_repairs[0] + o.central_repairs[0] for o in outs)
    assert abs(repaired - share * n) <= Z * math.sqrt(n * share * (1 - share))


def erlang_c_number_in_system(arrival_per_h: float, repair_mean_h: float, servers: int) -> float:
    """Mean number in an M/M/c system (Erlang C): L = Lq + a, a = λ/μ."""
    a = arrival_per_h * repair_mean_h
    rho = a / servers
    assert rho < 1
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / math.factorial(servers) / (1 - rho)
    wait_probability = tail / (head + tail)
    return wait_probability * rho / (1 - rho) + a


def test_few_repair_servers_form_an_mmc_queue() -> None:
    """depot_share 1, exponential repair, c servers, Poisson carcasses: the units in repair are
    the M/M/c number in system, above METRIC's no-queue figure λ·E[repair]; the busy share of
    the servers is ρ = λ·E[repair]/c."""
    rate, repair_h, servers = 0.1, 15.0, 2
    sc = fleet(
        rate,
        30,  # far above the queue: the fleet never waits, so carcasses stay Poisson
        {"depot_share": 1, "depot_repair_time_h": expo(repair_h)},
        det(72),
        horizon_h=20000.0,
        warmup_h=1000.0,
        repair_servers=servers,
        seed=8,
    )
    exact = erlang_c_number_in_system(rate, repair_h, servers)
    no_queue = rate * repair_h
    assert exact > no_queue * 2  # 3.43 against METRIC's 1.5
    outs = outcomes(sc, 20)
    assert_close([pipeline_mean(o) for o in outs], exact, "units in repair (M/M/c)")
    assert np.mean([pipeline_mean(o) for o in outs]) > no_queue
    net = build(sc)
    utilisation = [evaluate(net, o)["repair_shop_utilisation"] for o in outs]  # central's shop is unlimited
    assert utilisation == [o.depot_repair_busy_h[0] / o.depot_repair_server_h[0] for o in outs]
    assert_close(utilisation, no_queue / servers, "utilisation")
    assert all(o.replenishment_units == 0 for o in outs)  # every unit came back from the depot's shop


def two_echelon(seed: int = 4) -> Scenario:
    """Three depots with repair shops of one server, a central with stock and one repair server,
    lateral and emergency shipments, a condemnation share, counter sales and a consumable part."""
    sites = [
        {"name": "Hangzhou", "lat": 30.27, "lon": 120.16, "machines": {"M": 6}, "downtime_cost_per_h": 1000},
        {"name": "Shanghai", "lat": 31.23, "lon": 121.47, "machines": {"M": 8}, "downtime_cost_per_h": 2000},
        {"name": "Chengdu", "lat": 30.66, "lon": 104.07, "machines": {"M": 5}, "downtime_cost_per_h": 800},
    ]
    depots = [
        {"name": n, "lat": la, "lon": lo, "technicians": 2, "base_stock": {"jaw": 1, "drive": 1, "belt": 1}, "repair_servers": 1}
        for n, la, lo in (("D-Hangzhou", 30.27, 120.16), ("D-Shanghai", 31.23, 121.47), ("D-Chengdu", 30.66, 104.07))
    ]
    return Scenario.model_validate(
        {
            "name": "two-echelon-repairables",
            "seed": seed,
            "horizon_h": 6000.0,
            "warmup_h": 300.0,
            "parts": [
                {"name": "jaw", "unit_cost": 100, "price": 180, "repair": {
                    "depot_share": 0.4, "depot_repair_time_h": {"dist": "lognormal", "mean": 30, "cv": 0.5},
                    "return_time_h": det(24), "central_repair_time_h": expo(60), "condemnation_share": 0.3, "repair_cost": 20}},
                {"name": "drive", "unit_cost": 500, "price": 800, "repair": {
                    "return_time_h": expo(30), "central_repair_time_h": {"dist": "gamma", "mean": 80, "cv": 0.7},
                    "condemnation_share": 0.1, "repair_cost": 90}},
                {"name": "belt", "unit_cost": 20, "price": 40},
            ],
            "machine_models": [
                {
                    "name": "M",
                    "price": 1000,
                    "cost_to_make": 600,
                    "components": [
                        {"name": "jaw", "part": "jaw", "time_to_failure_h": {"dist": "weibull", "shape": 1.5, "mean": 200}, "repair_time_h": det(2)},
                        {"name": "drive", "part": "drive", "time_to_failure_h": expo(500), "repair_time_h": det(3)},
                        {"name": "belt", "part": "belt", "time_to_failure_h": expo(400), "repair_time_h": det(1)},
                    ],
                }
            ],
            "sites": sites,
            "depots": depots,
            "central": {"lat": 30.0, "lon": 120.0, "base_stock": {"jaw": 2, "drive": 1, "belt": 1},
                        "factory_lead_time_h": expo(150), "repair_servers": 1},
            "dispatch": {"lateral": {"enabled": True, "max_time_h": 8}},
            "demand_streams": [{"name": "counter", "depot": "D-Shanghai", "part": "jaw", "rate_per_h": 0.01}],
        }
    )


def test_two_echelon_conservation_condemnation_and_reruns() -> None:
    sc = two_echelon()
    net = build(sc)
    outs = [Replication(net, sc.seed, r, True).run() for r in range(6)]  # raises on any broken invariant
    condemned = sent = 0
    sources = np.zeros(5)
    for o in outs:
        fleet_units = [sum(row[k] for row in o.site_part_units) for k in range(3)]
        for k in (0, 1):  # repairable: every fleet carcass is repaired at a depot, at central, or condemned
            assert o.depot_repairs[k] + o.central_repairs[k] + o.condemned_units[k] == fleet_units[k]
        assert o.depot_repairs[1] == 0  # drive: depot share 0
        assert (o.depot_repairs[2], o.central_repairs[2], o.condemned_units[2]) == (0, 0, 0)  # belt: consumable
        # bought from the supplier: condemned units, counter sales, consumable units used
        assert o.purchased_units == (
            o.condemned_units[0] + o.stream_part_units[0],
            o.condemned_units[1] + o.stream_part_units[1],
            fleet_units[2] + o.stream_part_units[2],
        )
        assert o.stream_part_units[0] > 0
        condemned += o.condemned_units[0]
        sent += o.central_repairs[0] + o.condemned_units[0]
        sources += np.array(o.demands_by_source)
        assert all(0 < b <= s for b, s in zip(o.depot_repair_busy_h, o.depot_repair_server_h))
        assert 0 < o.central_repair_busy_h <= o.central_repair_server_h
        busy = sum(o.depot_repair_busy_h) + o.central_repair_busy_h
        assert evaluate(net, o)["repair_shop_utilisation"] == busy / (sum(o.depot_repair_server_h) + o.central_repair_server_h)
    # every dispatch route ran with repairable parts (lateral, emergency, backorder)
    assert (sources[:4] > 0).all(), sources
    # condemnations among the carcasses sent to central: binomial(n, 0.3)
    assert abs(condemned - 0.3 * sent) <= Z * math.sqrt(sent * 0.3 * 0.7), (condemned, sent)
    # the same replication again: the same outcome, byte for byte
    again = Replication(build(sc), sc.seed, 2, True).run()
    assert pickle.dumps(again) == pickle.dumps(outs[2])


def test_a_queue_at_the_central_shop_delays_the_depots() -> None:
    """With one central server the same scenario has more backorders than with unlimited servers
    (common random numbers): the shop's queue reaches availability through central's stock."""
    sc = two_echelon(seed=9)
    unlimited = sc.model_copy(update={"central": sc.central.model_copy(update={"repair_servers": None})})
    one = [kpis(build(sc), sc.seed, r)["backorders_mean"] for r in range(4)]
    many = [kpis(build(unlimited), sc.seed, r)["backorders_mean"] for r in range(4)]
    assert sum(one) > sum(many)


def _one_part_file(path: Path, name: str, part_line: str, depot_line: str) -> Path:
    """A scenario file with one part, one depot and a counter-sale stream of it (for validation tests)."""
    lines = [f"name: {name}", "parts:", part_line, "depots:", depot_line, "demand_streams:",
             "  - {name: s, depot: D, part: jaw, rate_per_h: 0.1}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "repair,field",
    [
        ("{depot_share: 0.5, central_repair_time_h: {dist: exponential, mean: 10}}", "depot_repair_time_h"),
        ("{depot_share: 0.5, depot_repair_time_h: {dist: exponential, mean: 10}}", "central_repair_time_h"),
        ("{}", "central_repair_time_h"),
    ],
)
def test_missing_repair_time_names_the_field(tmp_path: Path, capsys, repair: str, field: str) -> None:
    path = _one_part_file(
        tmp_path / "repairable.yaml",
        "bad-repair",
        f"  - {{name: jaw, unit_cost: 10, price: 20, repair: {repair}}}",
        "  - {name: D, lat: 0, lon: 0, technicians: 0, base_stock: {jaw: 1}, repair_servers: 1}",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"parts[jaw].repair.{field}" in err, err
    assert "Traceback" not in err


def test_shares_out_of_range_and_zero_servers_are_errors(tmp_path: Path, capsys) -> None:
    path = _one_part_file(
        tmp_path / "ranges.yaml",
        "bad-ranges",
        "  - {name: jaw, unit_cost: 10, price: 20, repair: {depot_share: 1.5, condemnation_share: -0.1,"
        " depot_repair_time_h: {dist: exponential, mean: 5}}}",
        "  - {name: D, lat: 0, lon: 0, technicians: 0, repair_servers: 0}",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    for field in ("parts[jaw].repair.depot_share", "parts[jaw].repair.condemnation_share", "depots[D].repair_servers"):
        assert field in err, err


def test_shipped_repairable_scenario_runs(tmp_path: Path) -> None:
    """(Serial and --jobs 2 give the same bytes for any scenario: tests/test_parallel.py.)"""
    scenario = str(ROOT / "scenarios" / "repairable.yaml")
    serial = tmp_path / "serial"
    assert main(["validate", "--strict", scenario]) == 0  # no warning either
    assert main(["run", scenario, "-n", "2", "--out", str(serial), "-q"]) == 0
    header = (serial / "replications.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    row = dict(zip(header, (serial / "replications.csv").read_text(encoding="utf-8").splitlines()[1].split(",")))
    assert float(row["maker_cost_repairs"]) > 0 and 0 < float(row["repair_shop_utilisation"]) < 1


def test_palm_is_exact_through_an_empty_central_repair_pipeline() -> None:
    """Central holds no stock and repairs every carcass it gets in fixed times (unlimited servers):
    a depot order placed at t is filled by the carcass sent at t, first come first served, at
    t + return + central repair, and arrives a transport time later. With the depot's own
    repairs (share r, exponential) the depot's resupply times are iid:
    L = r·E[A] + (1 − r)·(return + central repair + transport), and Palm is exact."""
    rate, share, depot_h, back_h, central_h, transport_h, base_stock = 0.3 / 24, 0.5, 60.0, 24.0, 48.0, 72.0, 2
    sc = fleet(
        rate,
        base_stock,
        {"depot_share": share, "depot_repair_time_h": expo(depot_h), "return_time_h": det(back_h), "central_repair_time_h": det(central_h)},
        det(transport_h),
        horizon_h=30000.0,
        warmup_h=1500.0,
        seed=12,
        central={"base_stock": {"p": 0}, "factory_lead_time_h": det(500)},
    )
    net = build(sc)
    outs = [Replication(net, sc.seed, r, r == 0).run() for r in range(30)]
    lead_h = share * depot_h + (1 - share) * (back_h + central_h + transport_h)
    exact = palm(rate, lead_h, base_stock)
    rows = [evaluate(net, o) for o in outs]
    assert_close([k["fill_rate"] for k in rows], exact.fill_rate, "fill rate")
    assert_close([k["backorders_mean"] for k in rows], exact.expected_backorders, "EBO")
    # a consumable part would wait for the factory (500 h) instead: a far lower fill rate
    assert palm(rate, 500 + transport_h, base_stock).fill_rate < exact.fill_rate - 0.3


def test_an_emergency_carcass_goes_to_central_even_when_depots_repair_everything() -> None:
    """depot_share 1 (no central repair time): the unit an emergency shipment brought came from
    central, so its carcass is repaired at central, with the depot repair time."""
    repair = {"depot_share": 1, "depot_repair_time_h": det(10)}
    sc = fleet(0.05, 0, repair, det(72), horizon_h=3000.0, warmup_h=0.0, machines=50, emergency=True)
    o = Replication(build(sc), sc.seed, 0, True).run()
    used = o.site_part_units[0][0]
    assert used > 50 and o.source_count("emergency") == used  # no depot stock: every unit came from central
    assert (o.depot_repairs, o.central_repairs, o.condemned_units) == ((0,), (used,), (0,))
    assert o.central_repair_busy_h == pytest.approx(10.0 * used, rel=0.01)  # the last repairs may run past the end


def test_validate_warns_of_an_overloaded_repair_shop(capsys) -> None:
    """Carcasses × mean repair ÷ servers ≥ 1 at a shop with finite servers: a warning naming the shop."""
    repair = {"depot_share": 0.5, "depot_repair_time_h": det(30), "central_repair_time_h": det(50)}
    sc = fleet(0.05, 2, repair, det(72), horizon_h=1000.0, warmup_h=0.0, repair_servers=1,
               central={"repair_servers": 2})
    warnings = [str(d) for d in diagnose(sc)]
    # depot: 0.05/h × 0.5 × 30 h = 0.75 < 1 server; central: 0.05 × 0.5 × 50 = 1.25 < 2 servers: quiet
    assert not [w for w in warnings if "repair load" in w]
    heavy = fleet(0.1, 2, repair, det(72), horizon_h=1000.0, warmup_h=0.0, repair_servers=1,
                  central={"repair_servers": 2})
    warnings = [str(d) for d in diagnose(heavy)]
    # depot: 0.1 × 0.5 × 30 = 1.5 ≥ 1; central: 0.1 × 0.5 × 50 = 2.5 ÷ 2 = 1.25 ≥ 1
    loads = [w for w in warnings if "offered repair load" in w]
    assert len(loads) == 2 and "depot D" in loads[0] and "1.50" in loads[0] and "1.25" in loads[1], loads
