"""KPIs of one replication's window, from its tally and time-weighted levels.

Money over a window shorter than a machine's life: machine price and cost to make are
annualised straight-line over ``life_years`` and charged for the window's length in years
(``window_h / 8760``), for every installed machine. Holding cost is charged on stock the
maker owns: on hand and in transit at depots, on hand and in transit at central.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.build import HOURS_PER_YEAR
from sim.engine.records import BACKORDER, EMERGENCY, LATERAL, STOCK
from sim.engine.tally import YARDSTICKS_H, hist_quantile

if TYPE_CHECKING:
    from sim.engine.model import Replication


def _share(num: float, den: float) -> float:
    return num / den if den else math.nan


def compute_kpis(rep: "Replication") -> dict[str, float]:
    """The KPI row of a finished replication (see :mod:`sim.kpis` for names and units)."""
    net = rep.net
    t = rep.tally
    window = net.window_h
    years = window / HOURS_PER_YEAR
    n_machines = len(net.machines)
    k: dict[str, float] = {}

    downtime_h = sum(rep.down_area)
    k["failures"] = t.failures
    k["outages_restored"] = t.restored
    k["open_outages_at_end"] = len(rep.open_elapsed_h)
    k["availability"] = 1.0 - downtime_h / (n_machines * window) if n_machines else math.nan
    k["restore_time_mean_h"] = _share(t.restore_sum, t.restored)
    k["restore_time_p50_h"] = hist_quantile(t.hist, 0.50)
    k["restore_time_p90_h"] = hist_quantile(t.hist, 0.90)
    k["restore_time_p95_h"] = hist_quantile(t.hist, 0.95)
    k["restore_time_max_h"] = t.restore_max if t.restored else math.nan
    k["within_promise_share"] = _share(t.promise_ok, t.promise_known)
    # fixed yardsticks, comparable across scenarios whatever their promises; an outage
    # still open at the end counts as missing every yardstick it has already passed
    for i, limit in enumerate(YARDSTICKS_H):
        late_open = sum(1 for e in rep.open_elapsed_h if e > limit)
        k[f"restored_within_{limit:g}h_share"] = _share(t.yardstick_ok[i], t.yardstick_known + late_open)
    for r, name in enumerate(net.regions):
        if net.region_promised[r]:
            k[f"within_promise_share.{name}"] = _share(t.region_ok[r], t.region_known[r])

    demands = t.demands
    k["part_demands"] = demands
    k["fill_rate"] = _share(t.by_source[STOCK], demands)
    k["lateral_share"] = _share(t.by_source[LATERAL], demands)
    k["emergency_share"] = _share(t.by_source[EMERGENCY], demands)
    k["backorder_share"] = _share(t.by_source[BACKORDER], demands)
    end = net.horizon_h
    on_hand_h = backorder_h = 0.0
    on_hand_value = 0.0
    holding_h = 0.0
    investment = 0.0
    for at_depots, levels_by_part in ((True, rep.depot_levels), (False, rep.central_levels)):
        for part, levels in zip(net.parts, levels_by_part):
            on_hand, in_transit, backorders = levels.areas(end)
            if at_depots:  # service KPIs are the depots'; central's stock is owned too
                on_hand_h += on_hand
                backorder_h += backorders
            on_hand_value += on_hand * part.unit_cost
            owned = (on_hand + in_transit) * part.unit_cost
            holding_h += owned * part.holding_rate_per_year
            investment += sum(b.base_stock for b in levels.bins) * part.unit_cost
    k["backorders_mean"] = backorder_h / window
    k["part_wait_mean_h"] = _share(backorder_h, demands)  # Little's law over the window
    k["on_hand_mean"] = on_hand_h / window
    k["inventory_on_hand_value"] = on_hand_value / window
    k["inventory_investment"] = investment
    techs = sum(d.technicians for d in net.depots)
    k["technician_utilisation"] = _share(sum(p.area_busy for p in rep.pools), techs * window)

    # customer ledger
    machine_years = n_machines * years
    machine_price = sum(e.price_per_year * n for e, n in zip(net.machine_economics, net.machines_per_model)) * years
    machine_cost = sum(e.cost_per_year * n for e, n in zip(net.machine_economics, net.machines_per_model)) * years
    contract = sum(s.fee_per_machine_year * s.machines for s in net.sites) * years
    service_paid = contract + t.visit_fees
    downtime_cost = sum(a * s.downtime_cost_per_h for a, s in zip(rep.down_area, net.sites))
    k["customer_downtime_h"] = downtime_h
    k["customer_downtime_cost"] = downtime_cost
    k["customer_perishable_loss"] = t.perishable_loss
    k["customer_machine_cost"] = machine_price
    k["customer_parts_cost"] = t.parts_revenue
    k["customer_service_cost"] = service_paid
    k["customer_penalties_received"] = t.late_penalty
    k["customer_total_cost"] = (
        machine_price + t.parts_revenue + service_paid + downtime_cost + t.perishable_loss - t.late_penalty
    )
    k["customer_cost_per_machine_year"] = _share(k["customer_total_cost"], machine_years)

    # maker ledger
    fixed = sum(d.fixed_cost_per_year for d in net.depots) * years
    staff = sum(d.technicians * d.technician_cost_per_year for d in net.depots) * years
    holding = holding_h / HOURS_PER_YEAR
    revenue = machine_price + t.parts_revenue + service_paid
    tech_travel = t.technician_km * net.freight.technician_per_km
    costs = {
        "maker_cost_machines": machine_cost,
        "maker_cost_parts": t.parts_cost,
        "maker_cost_holding": holding,
        "maker_cost_depots": fixed,
        "maker_cost_technicians": staff,
        "maker_cost_freight_normal": t.freight_normal,
        "maker_cost_freight_lateral": t.freight_lateral,
        "maker_cost_freight_emergency": t.freight_emergency,
        "maker_cost_freight_replenishment": t.freight_replenishment,
        "maker_cost_technician_travel": tech_travel,
        "maker_penalties": t.late_penalty,
    }
    k["maker_revenue_machines"] = machine_price
    k["maker_revenue_parts"] = t.parts_revenue
    k["maker_revenue_service"] = service_paid
    k["maker_revenue"] = revenue
    k.update(costs)
    k["maker_cost"] = sum(costs.values())
    k["maker_profit"] = revenue - k["maker_cost"]
    k["perishable_events"] = t.perishable_events
    k["technician_visits"] = t.visits
    return {name: float(v) for name, v in k.items()}
