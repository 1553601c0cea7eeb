"""KPI catalogue: label, unit and which direction is better, for tables, plots and checks.

The columns of ``replications.csv`` come from :func:`sim.engine.kpis.compute_kpis`;
per-region service levels are named ``within_promise_share.<region>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KPI:
    """What a KPI column means."""

    name: str
    label: str
    unit: str
    better: str  # "higher", "lower" or "" (neither)


_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("failures", "Failures in window", "count", ""),
    ("outages_restored", "Outages restored", "count", ""),
    ("open_outages_at_end", "Outages open at end", "count", "lower"),
    ("availability", "Machine availability", "share", "higher"),
    ("restore_time_mean_h", "Restore time, mean", "h", "lower"),
    ("restore_time_p50_h", "Restore time, median", "h", "lower"),
    ("restore_time_p90_h", "Restore time, 90th percentile", "h", "lower"),
    ("restore_time_p95_h", "Restore time, 95th percentile", "h", "lower"),
    ("restore_time_max_h", "Restore time, max", "h", "lower"),
    ("within_promise_share", "Restored within promise (each scenario's own promises)", "share", "higher"),
    ("restored_within_4h_share", "Restored within 4 h", "share", "higher"),
    ("restored_within_8h_share", "Restored within 8 h", "share", "higher"),
    ("restored_within_24h_share", "Restored within 24 h", "share", "higher"),
    ("restored_within_48h_share", "Restored within 48 h", "share", "higher"),
    ("part_demands", "Part demands", "count", ""),
    ("fill_rate", "Fill rate at assigned depot", "share", "higher"),
    ("lateral_share", "Served by lateral transshipment", "share", ""),
    ("emergency_share", "Served by emergency shipment", "share", ""),
    ("backorder_share", "Backordered", "share", "lower"),
    ("backorders_mean", "Backorders, time average", "units", "lower"),
    ("part_wait_mean_h", "Part allocation wait, mean", "h", "lower"),
    ("on_hand_mean", "On-hand stock, time average", "units", ""),
    ("inventory_on_hand_value", "On-hand stock value", "money", ""),
    ("inventory_investment", "Inventory investment (base stock)", "money", ""),
    ("technician_utilisation", "Technician utilisation", "share", ""),
    ("customer_downtime_h", "Customer downtime", "machine-h", "lower"),
    ("customer_downtime_cost", "Customer downtime cost", "money", "lower"),
    ("customer_perishable_loss", "Customer perishable losses", "money", "lower"),
    ("customer_machine_cost", "Customer machine cost (annualised)", "money", ""),
    ("customer_parts_cost", "Customer parts paid", "money", ""),
    ("customer_service_cost", "Customer service paid", "money", ""),
    ("customer_penalties_received", "Penalties received by customer", "money", ""),
    ("customer_total_cost", "Customer total cost of ownership", "money", "lower"),
    ("customer_cost_per_machine_year", "Customer cost per machine-year", "money", "lower"),
    ("maker_revenue_machines", "Maker revenue: machines", "money", ""),
    ("maker_revenue_parts", "Maker revenue: parts", "money", ""),
    ("maker_revenue_service", "Maker revenue: service", "money", ""),
    ("maker_revenue", "Maker revenue", "money", "higher"),
    ("maker_cost_machines", "Maker cost: machines made", "money", ""),
    ("maker_cost_parts", "Maker cost: parts", "money", ""),
    ("maker_cost_holding", "Maker cost: holding", "money", ""),
    ("maker_cost_depots", "Maker cost: depots", "money", ""),
    ("maker_cost_technicians", "Maker cost: technicians", "money", ""),
    ("maker_cost_freight_normal", "Maker cost: freight, normal", "money", ""),
    ("maker_cost_freight_lateral", "Maker cost: freight, lateral", "money", ""),
    ("maker_cost_freight_emergency", "Maker cost: freight, emergency", "money", ""),
    ("maker_cost_freight_replenishment", "Maker cost: replenishment freight", "money", ""),
    ("maker_cost_technician_travel", "Maker cost: technician travel", "money", ""),
    ("maker_penalties", "Maker SLA penalties", "money", "lower"),
    ("maker_cost", "Maker cost", "money", "lower"),
    ("maker_profit", "Maker profit", "money", "higher"),
    ("perishable_events", "Outages past the perishable threshold", "count", "lower"),
    ("technician_visits", "Technician visits", "count", ""),
)

CATALOGUE: dict[str, KPI] = {row[0]: KPI(*row) for row in _TABLE}

HEADLINE = (
    "failures",
    "availability",
    "restore_time_mean_h",
    "restore_time_p90_h",
    "within_promise_share",
    "restored_within_8h_share",
    "fill_rate",
    "technician_utilisation",
    "customer_downtime_cost",
    "customer_total_cost",
    "maker_profit",
)

MAKER_COST_LINES = tuple(n for n in CATALOGUE if n.startswith("maker_cost_") or n == "maker_penalties")
CUSTOMER_COST_LINES = (
    "customer_machine_cost",
    "customer_parts_cost",
    "customer_service_cost",
    "customer_downtime_cost",
    "customer_perishable_loss",
)


REGION_PREFIX = "within_promise_share."  # + region name: a per-region service level


def known(name: str) -> bool:
    """Whether ``name`` can be a KPI column: a catalogue name or a per-region service level."""
    return name in CATALOGUE or (name.startswith(REGION_PREFIX) and len(name) > len(REGION_PREFIX))


def table_kpis(available: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """The KPIs of a printed table: headline ones, then ``extra``, then per-region promises, if in ``available``."""
    return [k for k in (*HEADLINE, *extra) if k in available] + [k for k in available if k.startswith(REGION_PREFIX)]


def describe(name: str) -> KPI:
    """Metadata of a KPI column, including per-region ones."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    if name.startswith(REGION_PREFIX):
        region = name.split(".", 1)[1]
        return KPI(name, f"Restored within promise, {region}", "share", "higher")
    return KPI(name, name, "", "")
