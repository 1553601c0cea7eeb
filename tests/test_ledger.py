"""Money proven by hand: every ledger flow and money KPI of small deterministic scenarios.

The expected figures are derived here, step by step, from the model as docs/model.md
("Money") states it, not from the code: event times follow from the deterministic
lifetimes, lead times and travel legs; each amount is the documented formula applied to
the quantities of that timeline.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from sim.build import build
from sim.engine.model import Replication
from sim.kpis import CUSTOMER_COST_LINES, MAKER_COST_LINES, evaluate, kpi_row
from sim.ledger import CUSTOMERS, MAKER, PriceList, price
from sim.scenario.schema import Scenario

H_PER_YEAR = 8760.0


def det(value: float) -> dict:
    return {"dist": "deterministic", "value": value}


def three_routes() -> Scenario:
    """One machine that fails three times in 1000 h: served from stock, laterally, then by emergency.

    Timeline (hand-derived; travel from the table, no handling or mobilisation time):
      t=300  failure 1 (age 300). Depot A has 1 unit: stock. A reorders (arrives 300+750=1050,
             after the horizon). Part and technician arrive at 301 (A→S is 1 h); restore at 303.
             Down 3 h. Technician busy 300→304 (1 h out, 2 h repair, 1 h back).
      t=603  failure 2 (age 600 = restored at 303 + 300 operating hours). A is empty, B (5 h
             away, within the 10 h lateral limit) has 1: lateral. B reorders (arrives 1353).
             Part at 608; technician leaves 607, arrives 608; restore 610. Down 7 h. Busy 607→611.
      t=910  failure 3. A and B empty: emergency from central, 24 h: part at 934; technician
             leaves 933; restore 936. Down 26 h: 14 h past the 12 h promise, past the 10 h
             perishable threshold. Busy 933→937. Next failure at 1236, after the horizon.
    """
    return Scenario.model_validate(
        {
            "name": "three-routes",
            "seed": 1,
            "horizon_h": 1000.0,
            "warmup_h": 0.0,
            "parts": [{"name": "p", "unit_cost": 100, "price": 300, "holding_rate_per_year": 0.25}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 87600,
                    "cost_to_make": 43800,
                    "life_years": 10,
                    "components": [{"name": "c", "part": "p", "time_to_failure_h": det(300), "repair_time_h": det(2)}],
                }
            ],
            "service_plans": [{"name": "care", "fee_per_visit": 40, "fee_per_machine_year": 876}],
            "sites": [
                {
                    "name": "S",
                    "lat": 30.0,
                    "lon": 120.0,
                    "machines": {"M": 1},
                    "downtime_cost_per_h": 50,
                    "perishable": {"threshold_h": 10, "loss": 700},
                    "promise_h": 12,
                    "late_penalty_per_h": 20,
                    "depot": "A",
                    "service_plan": "care",
                }
            ],
            "depots": [
                {
                    "name": "A",
                    "lat": 30.0,
                    "lon": 120.1,
                    "technicians": 1,
                    "technician_cost_per_year": 8760,
                    "fixed_cost_per_year": 17520,
                    "base_stock": {"p": 1},
                    "replenishment_lead_time_h": det(750),
                },
                {
                    "name": "B",
                    "lat": 31.0,
                    "lon": 121.0,
                    "technicians": 0,
                    "fixed_cost_per_year": 8760,
                    "base_stock": {"p": 1},
                    "replenishment_lead_time_h": det(750),
                },
            ],
            "central": {"name": "central", "lat": 35.0, "lon": 115.0},
            "dispatch": {
                "lateral": {"enabled": True, "max_time_h": 10},
                "emergency": {"enabled": True, "lead_time_h": det(24), "cost_per_shipment": 150},
            },
            "travel": {
                "handling_h": 0,
                "technician_mobilisation_h": 0,
                "table": [
                    {"from": "A", "to": "S", "time_h": 1, "distance_km": 30},
                    {"from": "B", "to": "S", "time_h": 5, "distance_km": 200},
                    {"from": "central", "to": "S", "time_h": 20, "distance_km": 800},
                ],
            },
            "freight": {
                "normal_cost_per_km": 2,
                "lateral_cost_per_km": 3,
                "emergency_cost_per_km": 4,
                "replenishment_cost_per_unit": 25,
                "technician_cost_per_km": 0.5,
            },
        }
    )


# ---- the hand computation for three_routes (window 1000 h = 1000/8760 years)
YEARS = 1000.0 / H_PER_YEAR
HAND = {
    # customers pay the maker
    "machines": 87600 / 10 * 1 * YEARS,  # price ÷ life × 1 machine × window years = 1000
    "parts": 3 * 300.0,  # 3 units used, plan does not include parts
    "service_visits": 3 * 40.0,  # 3 restores = 3 visits
    "service_contracts": 876 * 1 * YEARS,  # fee per machine-year × 1 machine = 100
    # customers lose
    "downtime": (3 + 7 + 26) * 50.0,  # machine-hours down × 50/h
    "perishable": 1 * 700.0,  # one outage (26 h) past the 10 h threshold
    # the maker pays the customers
    "late_penalties": (26 - 12) * 20.0,  # 14 h past the promise × 20/h
    "counter_parts": 0.0,  # no demand streams
    # the maker pays outside parties
    "machines_made": 43800 / 10 * 1 * YEARS,  # 500
    "parts_bought": 3 * 100.0,
    "repairs": 0.0,  # a consumable part: no repairs
    # owned unit-hours: A's unit on the shelf 0→300 then in the pipeline 300→1000 (1000);
    # B's on the shelf 0→603 then in the pipeline 603→1000 (1000): 2000 unit-h
    "holding": 2000 * 100 * 0.25 / H_PER_YEAR,
    "depots": (17520 + 8760) * YEARS,  # both depots' fixed cost, 2000 + 1000
    "technicians": 1 * 8760 * YEARS,  # 1000
    "freight_normal": 30 * 2.0,  # one shipment A→S, 30 km
    "freight_lateral": 200 * 3.0,  # one shipment B→S, 200 km at the lateral rate
    "freight_emergency": 150 + 800 * 4.0,  # per shipment + 800 km central→S
    "freight_replenishment": 2 * 25.0,  # A and B each reordered one unit
    "technician_travel": 3 * 2 * 30 * 0.5,  # 3 visits, there and back, 30 km each way
    "willfit_parts": 0.0,  # Y: no will-fit parts outside multi-year runs
    "training": 0.0,  # Y: no training fee in this plan
}


@pytest.fixture(scope="module")
def run():
    net = build(three_routes())
    outcome = Replication(net, 1, 0, check_invariants=True).run()
    prices = PriceList.of(net)
    ledger = price(outcome, prices)
    return outcome, ledger, kpi_row(outcome, ledger, prices)


def test_physical_outcome_matches_the_timeline(run) -> None:
    o, _, _ = run
    assert (o.failures, o.restored, o.open_outages) == (3, 3, 0)
    assert o.site_downtime_h == pytest.approx((36.0,), abs=1e-9)
    assert o.demands_by_source[:4] == (1, 1, 1, 0)
    assert o.site_part_units == ((3,),)
    assert o.purchased_units == (3,)  # a consumable part: every unit used is bought
    assert (o.depot_repairs, o.central_repairs, o.condemned_units) == ((0,), (0,), (0,))
    assert o.site_visits == (3,)
    assert o.site_late_h == pytest.approx((14.0,), abs=1e-9)
    assert o.site_perishable_events == (1,)
    assert o.owned_unit_h == pytest.approx((2000.0,), abs=1e-9)
    assert (o.normal_shipment_km, o.lateral_shipment_km, o.emergency_shipment_km) == (30.0, 200.0, 800.0)
    assert (o.emergency_shipments, o.replenishment_units, o.technician_km) == (1, 2, 180.0)
    assert o.technician_busy_h == pytest.approx(12.0, abs=1e-9)


def test_every_ledger_flow_equals_the_hand_computation(run) -> None:
    _, ledger, _ = run
    assert [f.term for f in ledger] == list(HAND)  # one flow per term, no term missing or extra
    for flow in ledger:
        assert flow.amount == pytest.approx(HAND[flow.term], rel=1e-12, abs=1e-9), flow.term


def test_money_kpis_equal_the_hand_computation(run) -> None:
    _, _, k = run
    h = HAND
    expected = {
        "customer_machine_cost": h["machines"],
        "customer_parts_cost": h["parts"],
        "customer_service_cost": h["service_visits"] + h["service_contracts"],
        "customer_downtime_cost": h["downtime"],
        "customer_perishable_loss": h["perishable"],
        "customer_penalties_received": h["late_penalties"],
        # 1000 + 900 + 120 + 100 + 1800 + 700 − 280
        "customer_total_cost": 4340.0,
        "customer_cost_per_machine_year": 4340.0 / YEARS,
        "maker_revenue_machines": 1000.0,
        "maker_revenue_parts": 900.0,
        "maker_revenue_parts_counter": 0.0,
        "maker_revenue_service": 220.0,
        "maker_revenue": 2120.0,
        "maker_cost_machines": 500.0,
        "maker_cost_parts": 300.0,
        "maker_cost_holding": h["holding"],
        "maker_cost_depots": 3000.0,
        "maker_cost_technicians": 1000.0,
        "maker_cost_freight_normal": 60.0,
        "maker_cost_freight_lateral": 600.0,
        "maker_cost_freight_emergency": 3350.0,
        "maker_cost_freight_replenishment": 50.0,
        "maker_cost_technician_travel": 90.0,
        "maker_penalties": 280.0,
        # 500 + 300 + holding + 3000 + 1000 + 60 + 600 + 3350 + 50 + 90 + 280
        "maker_cost": 9230.0 + h["holding"],
        "maker_profit": 2120.0 - 9230.0 - h["holding"],
        # stocks, not flows: on the shelves A 0→300, B 0→603 (unit-h) ÷ 1000 h at 100 each
        "inventory_on_hand_value": (300 + 603) * 100 / 1000.0,
        "inventory_investment": 2 * 100.0,
    }
    for name, value in expected.items():
        assert k[name] == pytest.approx(value, rel=1e-12, abs=1e-9), name


def test_service_kpis_equal_the_hand_computation(run) -> None:
    _, _, k = run
    expected = {
        "failures": 3,
        "outages_restored": 3,
        "open_outages_at_end": 0,
        "availability": 1 - 36 / 1000,
        "restore_time_mean_h": 36 / 3,
        "restore_time_max_h": 26.0,
        "within_promise_share": 2 / 3,
        "restored_within_4h_share": 1 / 3,
        "restored_within_8h_share": 2 / 3,
        "restored_within_24h_share": 2 / 3,
        "restored_within_48h_share": 1.0,
        "part_demands": 3,
        "fill_rate": 1 / 3,
        "lateral_share": 1 / 3,
        "emergency_share": 1 / 3,
        "backorder_share": 0.0,
        "backorders_mean": 0.0,
        "part_wait_mean_h": 0.0,
        "on_hand_mean": (300 + 603) / 1000,
        "technician_utilisation": 12 / 1000,
        "customer_downtime_h": 36.0,
        "perishable_events": 1,
        "technician_visits": 3,
    }
    for name, value in expected.items():
        assert k[name] == pytest.approx(value, rel=1e-12, abs=1e-9), name


def test_totals_are_sums_of_ledger_lines(run) -> None:
    _, ledger, k = run
    assert k["maker_cost"] == pytest.approx(sum(k[n] for n in MAKER_COST_LINES), rel=1e-12)
    assert k["customer_total_cost"] == pytest.approx(
        sum(k[n] for n in CUSTOMER_COST_LINES) - k["customer_penalties_received"], rel=1e-12
    )
    assert k["maker_profit"] == pytest.approx(k["maker_revenue"] - k["maker_cost"], rel=1e-12)
    assert k["maker_revenue"] == pytest.approx(
        k["maker_revenue_machines"] + k["maker_revenue_parts"] + k["maker_revenue_service"], rel=1e-12
    )
    # a flow between maker and customers is revenue on one side and cost on the other
    to_maker = sum(f.amount for f in ledger if f.payer == CUSTOMERS and f.payee == MAKER)
    assert to_maker == pytest.approx(HAND["machines"] + HAND["parts"] + HAND["service_visits"] + HAND["service_contracts"])
    assert k["maker_revenue"] == pytest.approx(to_maker + HAND["counter_parts"], rel=1e-12)


def test_counter_sales_and_included_parts_priced_by_hand(run) -> None:
    """Pure pricing: counter sales are maker revenue but no fleet customer's cost; a plan that
    includes parts bills the customer nothing for them; the maker buys every unit either way."""
    outcome, _, _ = run
    net = build(three_routes())
    prices = PriceList.of(net)
    # the engine counts the 5 counter units among the units bought from the supplier
    with_counter = dataclasses.replace(outcome, stream_part_units=(5,), purchased_units=(3 + 5,))
    ledger = price(with_counter, prices)
    assert ledger.amount("counter_parts") == 5 * 300.0
    assert ledger.amount("parts") == 3 * 300.0  # the fleet's customers pay only their own parts
    assert ledger.amount("parts_bought") == (3 + 5) * 100.0
    k = kpi_row(with_counter, ledger, prices)
    assert k["maker_revenue_parts_counter"] == 1500.0
    assert k["maker_revenue_parts"] == 900.0 + 1500.0
    assert k["customer_parts_cost"] == 900.0
    assert k["customer_total_cost"] == pytest.approx(4340.0, rel=1e-12)  # unchanged by counter sales

    included = dataclasses.replace(prices, site_parts_included=(True,))
    ledger = price(outcome, included)
    assert ledger.amount("parts") == 0.0
    assert ledger.amount("parts_bought") == 3 * 100.0


def central_stocked_out() -> Scenario:
    """A depot fed by a central warehouse that holds no stock: its orders wait at central.

    Timeline (depot D 0 h from site S; depot lead 100 h; factory lead 200 h; repair 1 h):
      t=100  failure 1: D's unit used (on D's shelf 0→100). D orders; central is empty, so the
             order waits at central and central orders from the factory (unit U2, due 300).
             Restore at 101; next failure at 201.
      t=201  failure 2: D empty: backorder. D orders again: waits at central; factory unit U3
             due 401.
      t=300  U2 reaches central and is shipped to D at once (due 400).
      t=400  U2 reaches D and goes to the waiting machine: restore at 401; next failure at 501.
      t=401  U3 reaches central, shipped to D (due 501, after the 500 h horizon).
    Units the maker owns, each once: U1 100 h (shelf), U2 300 h (100→400: factory, then road),
    U3 299 h (201→500): 699 unit-hours. Counting a depot order waiting at central both as the
    depot's pipeline and as central's order from the factory would give 1099.
    """
    return Scenario.model_validate(
        {
            "name": "central-stocked-out",
            "horizon_h": 500.0,
            "warmup_h": 0.0,
            "parts": [{"name": "p", "unit_cost": 876, "price": 1000, "holding_rate_per_year": 0.5}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 1000,
                    "cost_to_make": 500,
                    "components": [{"name": "c", "part": "p", "time_to_failure_h": det(100), "repair_time_h": det(1)}],
                }
            ],
            "sites": [{"name": "S", "lat": 30, "lon": 120, "machines": {"M": 1}, "downtime_cost_per_h": 1, "depot": "D"}],
            "depots": [
                {
                    "name": "D",
                    "lat": 30,
                    "lon": 120,
                    "technicians": 1,
                    "base_stock": {"p": 1},
                    "replenishment_lead_time_h": det(100),
                }
            ],
            "central": {"base_stock": {"p": 0}, "factory_lead_time_h": det(200)},
            "dispatch": {"lateral": {"enabled": False}, "emergency": {"enabled": False}},
            "travel": {"handling_h": 0, "technician_mobilisation_h": 0, "table": [{"from": "D", "to": "S", "time_h": 0, "distance_km": 0}]},
        }
    )


def test_holding_counts_a_unit_waiting_at_central_once() -> None:
    net = build(central_stocked_out())
    outcome = Replication(net, 1, 0, check_invariants=True).run()
    assert outcome.owned_unit_h == pytest.approx((699.0,), abs=1e-9)
    assert outcome.depot_backorder_unit_h == pytest.approx((199.0,), abs=1e-9)  # machine waits 201→400
    k = evaluate(net, outcome)
    # holding rate × unit cost × unit-years owned
    assert k["maker_cost_holding"] == pytest.approx(0.5 * 876 * 699 / H_PER_YEAR, rel=1e-12)
    assert k["customer_downtime_h"] == pytest.approx(1 + 200, abs=1e-9)


def test_pricing_is_pure(run) -> None:
    outcome, ledger, _ = run
    prices = PriceList.of(build(three_routes()))
    assert price(outcome, prices) == ledger == price(outcome, prices)
    assert not math.isnan(sum(f.amount for f in ledger))


def repairable_parts() -> Scenario:
    """One machine with three repairable parts, every carcass's fate fixed, zero downtime (R).

    Parts: a repaired at the depot (share 1, 5 h, repair cost 10); b repaired at central (share
    0: 20 h back, 30 h repair, repair cost 7); c condemned at central (share 1). Site S and
    depot D are at the same place with no handling or mobilisation time, and every repair on
    site takes 0 h, so the machine never waits and its operating age is the clock.

    Timeline (hand-derived): a fails at 97, 194, ..., 970 (10 times); b at 211, 422, 633, 844
    (4); c at 503 (1); no two coincide. Each takes D's one unit (always back in time: a's
    repair takes 5 h, b's and c's orders on central 50 h).
      a: 10 depot repairs, each replenishing D instead of an order on central: no order.
      b: 4 orders on central (D's replenishment), 4 carcasses repaired at central, busy 4 × 30 h.
      c: 1 order on central, 1 carcass condemned: the only unit bought from the supplier.
    """
    return Scenario.model_validate(
        {
            "name": "repairables",
            "seed": 1,
            "horizon_h": 1000.0,
            "warmup_h": 0.0,
            "parts": [
                {"name": "a", "unit_cost": 100, "price": 150, "repair": {"depot_share": 1, "depot_repair_time_h": det(5), "repair_cost": 10}},
                {"name": "b", "unit_cost": 200, "price": 260, "repair": {"return_time_h": det(20), "central_repair_time_h": det(30), "repair_cost": 7}},
                {"name": "c", "unit_cost": 300, "price": 390, "repair": {"central_repair_time_h": det(1), "condemnation_share": 1, "repair_cost": 5}},
            ],
            "machine_models": [
                {
                    "name": "M",
                    "price": 87600,
                    "cost_to_make": 43800,
                    "life_years": 10,
                    "components": [
                        {"name": "ca", "part": "a", "time_to_failure_h": det(97), "repair_time_h": det(0)},
                        {"name": "cb", "part": "b", "time_to_failure_h": det(211), "repair_time_h": det(0)},
                        {"name": "cc", "part": "c", "time_to_failure_h": det(503), "repair_time_h": det(0)},
                    ],
                }
            ],
            "sites": [{"name": "S", "lat": 30.0, "lon": 120.0, "machines": {"M": 1}, "downtime_cost_per_h": 50, "depot": "D"}],
            "depots": [
                {
                    "name": "D",
                    "lat": 30.0,
                    "lon": 120.0,
                    "technicians": 1,
                    "fixed_cost_per_year": 8760,
                    "base_stock": {"a": 1, "b": 1, "c": 1},
                    "replenishment_lead_time_h": det(50),
                    "repair_servers": 1,
                }
            ],
            "dispatch": {"lateral": {"enabled": False}, "emergency": {"enabled": False}},
            "travel": {"handling_h": 0, "technician_mobilisation_h": 0},
            "freight": {"replenishment_cost_per_unit": 25},
        }
    )


def test_repairable_parts_counted_and_priced_by_hand() -> None:
    net = build(repairable_parts())
    o = Replication(net, 1, 0, check_invariants=True).run()
    assert (o.failures, o.restored, o.downtime_h) == (15, 15, 0.0)
    assert o.site_part_units == ((10, 4, 1),)
    assert (o.depot_repairs, o.central_repairs, o.condemned_units) == ((10, 0, 0), (0, 4, 0), (0, 0, 1))
    assert o.purchased_units == (0, 0, 1)
    assert o.replenishment_units == 4 + 1  # a's depot repairs replace its orders on central
    assert o.owned_unit_h == pytest.approx((1000.0, 1000.0, 1000.0), abs=1e-9)  # one unit each, never backordered
    assert o.depot_repair_busy_h == pytest.approx((10 * 5.0,), abs=1e-9)
    assert o.depot_repair_server_h == (1 * 1000.0,)
    assert o.central_repair_busy_h == pytest.approx(4 * 30.0, abs=1e-9)
    assert o.central_repair_server_h == math.inf  # central's shop: unlimited servers
    prices = PriceList.of(net)
    ledger = price(o, prices)
    hand = {
        "machines": 1000.0,
        "parts": 10 * 150 + 4 * 260 + 1 * 390.0,  # the customer pays every unit used, repaired or new
        "parts_bought": 1 * 300.0,  # only the condemned unit of c is bought
        "repairs": 10 * 10 + 4 * 7.0,  # 10 depot repairs of a, 4 central repairs of b; c was scrapped
        "holding": 1000 * (100 + 200 + 300) * 0.25 / H_PER_YEAR,
        "depots": 1000.0,
        "freight_replenishment": 5 * 25.0,
        "downtime": 0.0,
    }
    for term, amount in hand.items():
        assert ledger.amount(term) == pytest.approx(amount, rel=1e-12, abs=1e-9), term
    k = kpi_row(o, ledger, prices)
    assert k["maker_cost_repairs"] == pytest.approx(128.0, rel=1e-12)
    assert k["maker_cost_parts"] == pytest.approx(300.0, rel=1e-12)
    assert k["maker_cost"] == pytest.approx(sum(k[n] for n in MAKER_COST_LINES), rel=1e-12)
