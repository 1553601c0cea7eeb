"""Property tests: random small networks keep the invariants and give coherent KPIs."""

from __future__ import annotations

import math

from builders import network
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.build import build
from sim.engine.model import Replication

CITIES = [("Hangzhou", 30.27, 120.16), ("Shanghai", 31.23, 121.47), ("Chengdu", 30.66, 104.07), ("Tianjin", 39.08, 117.2)]

lead = st.one_of(
    st.builds(lambda v: {"dist": "deterministic", "value": v}, st.floats(1, 300)),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(1, 300)),
)


@st.composite
def networks(draw):
    n = draw(st.integers(1, 4))
    depots = []
    for name, lat, lon in CITIES[:n]:
        depots.append(
            {
                "name": name,
                "lat": lat,
                "lon": lon,
                "technicians": draw(st.integers(1, 3)),
                "base_stock": {"jaw": draw(st.integers(0, 3)), "drive": draw(st.integers(0, 2))},
                "replenishment_lead_time_h": draw(lead),
            }
        )
    central = {"lat": 30.0, "lon": 120.0}
    if draw(st.booleans()):
        central |= {"base_stock": {"jaw": draw(st.integers(0, 3)), "drive": draw(st.integers(0, 2))}, "factory_lead_time_h": draw(lead)}
    dispatch = {
        "lateral": {"enabled": draw(st.booleans()), "max_time_h": draw(st.floats(0, 40))},
        "emergency": {"enabled": draw(st.booleans())},
        "technician_dispatch": draw(st.sampled_from(["with_part", "on_failure"])),
    }
    return network(depots, central=central, dispatch=dispatch, horizon_h=1500.0, warmup_h=draw(st.sampled_from([0.0, 100.0])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(0, 1000))
def test_random_networks_are_coherent(sc, replication: int) -> None:
    rep = Replication(build(sc), sc.seed, replication, check_invariants=True)
    k = rep.run()
    assert 0.0 <= k["availability"] <= 1.0
    if k["part_demands"] > 0:
        shares = k["fill_rate"] + k["lateral_share"] + k["emergency_share"] + k["backorder_share"]
        assert math.isclose(shares, 1.0, rel_tol=1e-12)
    assert 0.0 <= k["technician_utilisation"] <= 1.0 + 1e-12
    if k["outages_restored"] > 0:
        assert k["restore_time_p50_h"] <= k["restore_time_p90_h"] <= k["restore_time_p95_h"] <= k["restore_time_max_h"] * 1.0011
        assert k["restore_time_mean_h"] <= k["restore_time_max_h"] + 1e-9
    if not sc.dispatch.lateral.enabled:
        assert k["lateral_share"] in (0.0,) or math.isnan(k["lateral_share"])
    if not sc.dispatch.emergency.enabled:
        assert k["emergency_share"] in (0.0,) or math.isnan(k["emergency_share"])
    # the ledgers add up
    assert math.isclose(
        k["maker_profit"], k["maker_revenue"] - k["maker_cost"], rel_tol=1e-9, abs_tol=1e-6
    )
    lines = ("customer_machine_cost", "customer_parts_cost", "customer_service_cost", "customer_downtime_cost", "customer_perishable_loss")
    assert math.isclose(
        k["customer_total_cost"], sum(k[x] for x in lines) - k["customer_penalties_received"], rel_tol=1e-9, abs_tol=1e-6
    )
    # downtime hours never exceed machine-hours in the window, and match availability
    machines = sum(s.machines["M"] for s in sc.sites)
    assert math.isclose(k["customer_downtime_h"], (1 - k["availability"]) * machines * sc.window_h, rel_tol=1e-9, abs_tol=1e-6)
    for row in rep.bins:
        for b in row:
            assert b.balanced()
