"""The engine against exact theory: Palm, machine-repairman, METRIC where it is exact.

Each check runs independent replications and asserts the simulated mean is within four
standard errors (replication-to-replication) of the closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import depot, kpis, network, repairman, single_depot

from sim.build import build
from sim.theory import machine_repairman, metric, palm

Z = 4.0


def replicate(scenario, n: int, check: bool = False) -> dict[str, np.ndarray]:
    net = build(scenario)
    rows = [kpis(net, scenario.seed, r, check_invariants=check) for r in range(n)]
    return {k: np.array([row[k] for row in rows]) for k in rows[0]}


def assert_close(values: np.ndarray, exact: float, label: str) -> None:
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert se > 0, label
    assert abs(values.mean() - exact) <= Z * se, f"{label}: sim {values.mean():.5f} ± {se:.5f}, exact {exact:.5f}"


DAY = 24.0
PALM_CASES = [
    # (label, rate per day, lead days, S, lead distribution)
    ("light-deterministic", 0.2, 10, 5, "deterministic"),
    ("light-exponential", 0.2, 10, 5, "exponential"),
    ("heavy-deterministic", 0.5, 10, 4, "deterministic"),
    ("heavy-exponential", 0.5, 10, 4, "exponential"),
]


@pytest.mark.parametrize("label,rate_d,lead_d,S,dist", PALM_CASES, ids=[c[0] for c in PALM_CASES])
def test_palm_single_depot(label: str, rate_d: float, lead_d: float, S: int, dist: str) -> None:
    lead = (
        {"dist": "deterministic", "value": lead_d * DAY}
        if dist == "deterministic"
        else {"dist": "exponential", "mean": lead_d * DAY}
    )
    sc = single_depot(rate_d / DAY, lead, S, horizon_h=30000.0, warmup_h=1500.0, seed=11)
    exact = palm(rate_d / DAY, lead_d * DAY, S)
    if label.startswith("heavy"):
        assert exact.fill_rate < 0.6
    sim = replicate(sc, 30)
    assert_close(sim["fill_rate"], exact.fill_rate, "fill rate")
    assert_close(sim["backorders_mean"], exact.expected_backorders, "expected backorders")
    assert_close(sim["part_wait_mean_h"], exact.mean_wait, "mean wait (h)")
    assert_close(sim["on_hand_mean"], exact.expected_on_hand, "on hand")


@pytest.mark.parametrize("machines,technicians,mttf,mttr", [(10, 2, 100.0, 20.0), (6, 1, 50.0, 12.0), (4, 4, 30.0, 10.0)])
def test_machine_repairman(machines: int, technicians: int, mttf: float, mttr: float) -> None:
    sc = repairman(machines, mttf, mttr, technicians, horizon_h=20000.0, warmup_h=500.0)
    exact = machine_repairman(machines, 1 / mttf, 1 / mttr, technicians)
    sim = replicate(sc, 20)
    assert_close(sim["availability"], exact.availability, "availability")
    assert_close(sim["technician_utilisation"], exact.technician_utilisation, "utilisation")
    assert_close(sim["restore_time_mean_h"], exact.mean_downtime_per_failure, "downtime per failure")


def _two_echelon(central_stock: int, factory_h: float, transport_h: float, rate_per_h: float, S: int):
    sc = single_depot(rate_per_h, {"dist": "deterministic", "value": transport_h}, S, 30000.0, 2000.0, seed=5)
    return sc.model_copy(
        update={
            "central": sc.central.model_copy(
                update={
                    "base_stock": {"p": central_stock},
                    "factory_lead_time_h": sc.central.transport_lead_time_h.model_copy(update={"value": factory_h}),
                }
            )
        }
    )


def test_metric_exact_when_central_is_empty() -> None:
    """Central stock 0, deterministic lead times: depot resupply is exactly T0 + Tj (Palm)."""
    rate, t0, tj, S = 0.3 / DAY, 96.0, 72.0, 3
    sc = _two_echelon(0, t0, tj, rate, S)
    exact = metric([rate], [tj], [S], t0, 0).depots[0]
    sim = replicate(sc, 30, check=True)
    assert_close(sim["fill_rate"], exact.fill_rate, "fill rate")
    assert_close(sim["backorders_mean"], exact.expected_backorders, "EBO")


def test_metric_exact_when_central_is_ample() -> None:
    """Central stock far above its pipeline: no central delay, depot is Palm with L = Tj."""
    rate, t0, tj, S = 0.3 / DAY, 96.0, 72.0, 2
    sc = _two_echelon(40, t0, tj, rate, S)
    exact = metric([rate], [tj], [S], t0, 40).depots[0]
    sim = replicate(sc, 30, check=True)
    assert_close(sim["fill_rate"], exact.fill_rate, "fill rate")
    assert_close(sim["backorders_mean"], exact.expected_backorders, "EBO")


def test_conservation_everywhere() -> None:
    """on hand + in transit − backorders = base stock after every stock event, every depot and part.

    check_invariants=True makes the replication check it after every stock event (and raise).
    """
    depots = [depot("Hangzhou", 30.27, 120.16, jaw=1, drive=0), depot("Shanghai", 31.23, 121.47, jaw=1, drive=1), depot("Chengdu", 30.66, 104.07, jaw=0, drive=0)]
    served = dict.fromkeys(("fill_rate", "lateral_share", "emergency_share", "backorder_share"), 0.0)
    for central in ({"lat": 30.0, "lon": 120.0}, {"lat": 30.0, "lon": 120.0, "base_stock": {"jaw": 1, "drive": 0}, "factory_lead_time_h": {"dist": "exponential", "mean": 200}}):
        sc = network(depots, central=central, dispatch={"lateral": {"enabled": True, "max_time_h": 8}})
        for r in range(4):
            k = kpis(build(sc), sc.seed, r, check_invariants=True)
            assert abs(sum(k[x] for x in served) - 1) < 1e-12
            for x in served:
                served[x] += k[x]
    # every route of the dispatch was exercised (backorders with finite central stock), so
    # every kind of stock event was checked
    assert all(v > 0 for v in served.values()), served
