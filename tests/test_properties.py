"""Property tests: random small networks keep the invariants and give coherent KPIs."""

from __future__ import annotations

import math

from builders import kpis, network
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.build import build
from sim.engine.tally import HIST_LOG_STEP
from sim.kpis import CUSTOMER_COST_LINES, MAKER_COST_LINES, MAKER_REVENUE_LINES

# a bin's value is its geometric middle, so it is within a factor exp(step/2) of anything in it
HIST_RTOL = math.expm1(HIST_LOG_STEP / 2) + 1e-12

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
    # counter sales at the first depot, sometimes: maker revenue that is no fleet customer's cost
    streams = [{"name": "walk-in", "depot": CITIES[0][0], "part": "jaw", "rate_per_h": 0.01}] if draw(st.booleans()) else None
    return network(
        depots, central=central, dispatch=dispatch, horizon_h=1500.0, warmup_h=draw(st.sampled_from([0.0, 100.0])),
        demand_streams=streams,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(0, 1000))
def test_random_networks_are_coherent(sc, replication: int) -> None:
    # check_invariants: stock conservation is asserted after every stock event
    k = kpis(build(sc), sc.seed, replication, check_invariants=True)
    assert 0.0 <= k["availability"] <= 1.0
    if k["part_demands"] > 0:
        shares = k["fill_rate"] + k["lateral_share"] + k["emergency_share"] + k["backorder_share"]
        assert math.isclose(shares, 1.0, rel_tol=1e-12)
    assert 0.0 <= k["technician_utilisation"] <= 1.0 + 1e-12
    if k["outages_restored"] > 0:
        assert k["restore_time_p50_h"] <= k["restore_time_p90_h"] <= k["restore_time_p95_h"] <= k["restore_time_max_h"] * (1 + HIST_RTOL)
        assert k["restore_time_mean_h"] <= k["restore_time_max_h"] + 1e-9
    if not sc.dispatch.lateral.enabled:
        assert k["lateral_share"] in (0.0,) or math.isnan(k["lateral_share"])
    if not sc.dispatch.emergency.enabled:
        assert k["emergency_share"] in (0.0,) or math.isnan(k["emergency_share"])
    # the ledgers add up: every cost and revenue line of the catalogue is in its total
    assert math.isclose(k["maker_cost"], sum(k[x] for x in MAKER_COST_LINES), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(k["maker_revenue"], sum(k[x] for x in MAKER_REVENUE_LINES), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(
        k["customer_total_cost"],
        sum(k[x] for x in CUSTOMER_COST_LINES) - k["customer_penalties_received"],
        rel_tol=1e-9,
        abs_tol=1e-6,
    )
    # what the customer pays for machines, parts and service is the maker's revenue, with counter sales
    # (buyers outside the fleet); penalties move the other way
    paid = k["customer_machine_cost"] + k["customer_parts_cost"] + k["customer_service_cost"]
    assert math.isclose(paid + k["maker_revenue_parts_counter"], k["maker_revenue"], rel_tol=1e-9, abs_tol=1e-6)
    assert k["customer_penalties_received"] == k["maker_penalties"]
