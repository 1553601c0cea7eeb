"""The KPIs: one declaration of every column of ``replications.csv``, with its formula.

Each :class:`KPI` says what it is (label, unit, which direction is better, a description,
whether it is money) and how it is computed from a replication's physical
:class:`~sim.engine.outcome.Outcome` and its :class:`~sim.ledger.Ledger`. Money KPIs read
ledger flows only; nothing here multiplies a quantity by a price. Outputs, compare,
sweep, check, the report and the plots all read this table. Per-region service levels
(``within_promise_share.<region>``) are declared once, as a family.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.build import HOURS_PER_YEAR, Network
from sim.engine.outcome import Outcome
from sim.engine.tally import YARDSTICKS_H, hist_quantile
from sim.ledger import CUSTOMERS, MAKER, Ledger, PriceList, inventory_value, investment, price

Formula = Callable[[Outcome, Ledger, PriceList], float]


@dataclass(frozen=True)
class KPI:
    """What a KPI column means, and how it is computed."""

    name: str
    label: str
    unit: str  # "count", "share", "h", "units", "machine-h" or "money"
    better: str  # "higher", "lower" or "" (neither)
    description: str = ""
    formula: Formula | None = field(default=None, repr=False, compare=False)
    total: str = ""  # the total this money line adds into ("maker_revenue", "maker_cost", "customer_total_cost")

    @property
    def money(self) -> bool:
        """Whether the KPI is an amount of money (in the scenario's currency)."""
        return self.unit == "money"


def _share(num: float, den: float) -> float:
    return num / den if den else math.nan


def _quantile(q: float) -> Formula:
    return lambda o, L, p: hist_quantile(dict(o.restore_hist), q)


def _yardstick(i: int) -> Formula:
    # an outage still open at the end counts as missing every yardstick it has already passed
    return lambda o, L, p: _share(o.yardstick_ok[i], o.yardstick_known + o.yardstick_open_late[i])


def _source(name: str) -> Formula:
    return lambda o, L, p: _share(o.source_count(name), o.part_demands)


def _flows(*terms: str) -> Formula:
    return lambda o, L, p: L.amount(*terms)


def _repair_utilisation(o: Outcome) -> float:
    """Busy ÷ available server-hours over the repair shops with finite servers (R: repairable parts)."""
    shops = [*zip(o.depot_repair_busy_h, o.depot_repair_server_h), (o.central_repair_busy_h, o.central_repair_server_h)]
    finite = [(busy, hours) for busy, hours in shops if math.isfinite(hours)]
    return _share(sum(b for b, _ in finite), sum(h for _, h in finite))


def _customer_total(o: Outcome, L: Ledger, p: PriceList) -> float:
    return -L.net(CUSTOMERS)


_YARDSTICK_KPIS = tuple(
    KPI(
        f"restored_within_{limit:g}h_share",
        f"Restored within {limit:g} h",
        "share",
        "higher",
        f"Share of outages restored within {limit:g} h of the failure, the same yardstick for every scenario; "
        "an outage still open at the end counts as late once past it.",
        _yardstick(i),
    )
    for i, limit in enumerate(YARDSTICKS_H)
)

REGION_PREFIX = "within_promise_share."  # + region name: a per-region service level

DECLARED: tuple[KPI, ...] = (
    KPI("failures", "Failures in window", "count", "", "Machine failures in the statistics window.",
        lambda o, L, p: o.failures),
    KPI("outages_restored", "Outages restored", "count", "",
        "Outages that failed in the window and were restored before its end.", lambda o, L, p: o.restored),
    KPI("open_outages_at_end", "Outages open at end", "count", "lower",
        "Outages that failed in the window and were still open at its end.", lambda o, L, p: o.open_outages),
    KPI("availability", "Machine availability", "share", "higher",
        "1 − machine-hours down ÷ (machines × window hours).",
        lambda o, L, p: 1.0 - o.downtime_h / (o.machines * o.window_h) if o.machines else math.nan),
    KPI("restore_time_mean_h", "Restore time, mean", "h", "lower",
        "Mean time from failure to running again, over restored outages.",
        lambda o, L, p: _share(o.restore_sum_h, o.restored)),
    KPI("restore_time_p50_h", "Restore time, median", "h", "lower",
        "Median restore time (log histogram, ±0.1%).", _quantile(0.50)),
    KPI("restore_time_p90_h", "Restore time, 90th percentile", "h", "lower",
        "90th percentile of restore times (±0.1%).", _quantile(0.90)),
    KPI("restore_time_p95_h", "Restore time, 95th percentile", "h", "lower",
        "95th percentile of restore times (±0.1%).", _quantile(0.95)),
    KPI("restore_time_max_h", "Restore time, max", "h", "lower", "Longest restore time.",
        lambda o, L, p: o.restore_max_h if o.restored else math.nan),
    KPI("within_promise_share", "Restored within promise (each scenario's own promises)", "share", "higher",
        "Share of outages with a promise restored within it; open outages count once past their promise.",
        lambda o, L, p: _share(o.promise_ok, o.promise_known)),
    *_YARDSTICK_KPIS,
    KPI("part_demands", "Part demands", "count", "", "Demands for a part, from the fleet and demand streams.",
        lambda o, L, p: o.part_demands),
    KPI("fill_rate", "Fill rate at assigned depot", "share", "higher",
        "Share of part demands served at once from the assigned depot's shelf.", _source("stock")),
    KPI("lateral_share", "Served by lateral transshipment", "share", "",
        "Share of part demands served from another depot.", _source("lateral")),
    KPI("emergency_share", "Served by emergency shipment", "share", "",
        "Share of part demands served by an emergency shipment from central.", _source("emergency")),
    KPI("backorder_share", "Backordered", "share", "lower",
        "Share of part demands that waited for a replenishment.", _source("backorder")),
    KPI("backorders_mean", "Backorders, time average", "units", "lower",
        "Time-average number of demands waiting at depots.",
        lambda o, L, p: sum(o.depot_backorder_unit_h) / o.window_h),
    KPI("part_wait_mean_h", "Part allocation wait, mean", "h", "lower",
        "Backorder unit-hours ÷ part demands (Little's law; Palm's EBO/λ).",
        lambda o, L, p: _share(sum(o.depot_backorder_unit_h), o.part_demands)),
    KPI("on_hand_mean", "On-hand stock, time average", "units", "", "Time-average units on the depots' shelves.",
        lambda o, L, p: sum(o.depot_on_hand_unit_h) / o.window_h),
    KPI("inventory_on_hand_value", "On-hand stock value", "money", "",
        "Time-average value at unit cost of the units on depot and central shelves (a stock, not a flow).",
        lambda o, L, p: inventory_value(
            tuple(a + b for a, b in zip(o.depot_on_hand_unit_h, o.central_on_hand_unit_h)), o, p)),
    KPI("inventory_investment", "Inventory investment (base stock)", "money", "",
        "Base stock of depots and central at unit cost (a stock, not a flow).", lambda o, L, p: investment(o, p)),
    KPI("technician_utilisation", "Technician utilisation", "share", "",
        "Busy technician-hours ÷ technician-hours on duty (technicians × window hours, unless a hook "
        "changes the roster).",
        lambda o, L, p: _share(o.technician_busy_h, o.technician_rostered_h)),
    KPI("repair_shop_utilisation", "Repair-shop utilisation", "share", "",
        "Busy repair-server hours ÷ server-hours of the repair shops (depots and central) that have a finite "
        "repair_servers; empty (nan) when every shop has unlimited servers.",
        lambda o, L, p: _repair_utilisation(o)),
    KPI("customer_downtime_h", "Customer downtime", "machine-h", "lower", "Machine-hours down in the window.",
        lambda o, L, p: o.downtime_h),
    KPI("customer_downtime_cost", "Customer downtime cost", "money", "lower",
        "Ledger flow 'downtime': machine-hours down × the site's downtime cost per hour.",
        _flows("downtime"), "customer_total_cost"),
    KPI("customer_perishable_loss", "Customer perishable losses", "money", "lower",
        "Ledger flow 'perishable': the site's one-off loss per outage past its threshold.",
        _flows("perishable"), "customer_total_cost"),
    KPI("customer_machine_cost", "Customer machine cost (annualised)", "money", "",
        "Ledger flow 'machines': machine price ÷ life × machine-years in the window.",
        _flows("machines"), "customer_total_cost"),
    KPI("customer_parts_cost", "Customer parts paid", "money", "",
        "Ledger flow 'parts': part price × units used by the fleet, unless the service plan includes parts.",
        _flows("parts"), "customer_total_cost"),
    KPI("customer_service_cost", "Customer service paid", "money", "",
        "Ledger flows 'service_visits' (fee per visit) + 'service_contracts' (fee per machine-year).",
        _flows("service_visits", "service_contracts"), "customer_total_cost"),
    KPI("customer_penalties_received", "Penalties received by customer", "money", "",
        "Ledger flow 'late_penalties' (maker → customers): hours past the promise × penalty per hour; "
        "subtracted from the customers' total cost.", _flows("late_penalties"), "customer_total_cost"),
    KPI("customer_willfit_cost", "Customer will-fit parts paid", "money", "",
        "Ledger flow 'willfit_parts' (customers → parts shops): will-fit units × will-fit price (multi-year runs).",
        _flows("willfit_parts"), "customer_total_cost"),
    KPI("customer_training_cost", "Customer training paid", "money", "",
        "Ledger flow 'training' (customers → maker): the service plan's training fee × machine-years.",
        _flows("training"), "customer_total_cost"),
    KPI("customer_total_cost", "Customer total cost of ownership", "money", "lower",
        "What the fleet's customers pay or lose minus what they receive, over the ledger's flows.",
        _customer_total),
    KPI("customer_cost_per_machine_year", "Customer cost per machine-year", "money", "lower",
        "Customer total cost ÷ machine-years in the window.",
        lambda o, L, p: _share(_customer_total(o, L, p), o.machines * o.window_h / HOURS_PER_YEAR)),
    KPI("maker_revenue_machines", "Maker revenue: machines", "money", "",
        "Ledger flow 'machines' (customers → maker).", _flows("machines"), "maker_revenue"),
    KPI("maker_revenue_parts", "Maker revenue: parts", "money", "",
        "Ledger flows 'parts' (fleet customers) + 'counter_parts' (buyers outside the fleet).",
        _flows("parts", "counter_parts"), "maker_revenue"),
    KPI("maker_revenue_parts_counter", "Maker revenue: counter sales of parts", "money", "",
        "Ledger flow 'counter_parts': part price × units demanded by demand streams (no fleet customer's cost).",
        _flows("counter_parts")),
    KPI("maker_revenue_service", "Maker revenue: service", "money", "",
        "Ledger flows 'service_visits' + 'service_contracts'.", _flows("service_visits", "service_contracts"),
        "maker_revenue"),
    KPI("maker_revenue_training", "Maker revenue: training", "money", "",
        "Ledger flow 'training' (customers → maker).", _flows("training"), "maker_revenue"),
    KPI("maker_revenue", "Maker revenue", "money", "higher", "Everything the maker receives.",
        lambda o, L, p: L.received(MAKER)),
    KPI("maker_cost_machines", "Maker cost: machines made", "money", "",
        "Ledger flow 'machines_made': cost to make ÷ life × machine-years.", _flows("machines_made"), "maker_cost"),
    KPI("maker_cost_parts", "Maker cost: parts", "money", "",
        "Ledger flow 'parts_bought': unit cost × units bought (fleet units of consumable parts, counter "
        "sales, condemned units of repairable parts).", _flows("parts_bought"), "maker_cost"),
    KPI("maker_cost_repairs", "Maker cost: repairs", "money", "",
        "Ledger flow 'repairs': repairs of repairable parts (at depots and central) × repair cost per repair.",
        _flows("repairs"), "maker_cost"),
    KPI("maker_cost_holding", "Maker cost: holding", "money", "",
        "Ledger flow 'holding': holding rate per year × unit cost × unit-years owned (each unit once).",
        _flows("holding"), "maker_cost"),
    KPI("maker_cost_depots", "Maker cost: depots", "money", "",
        "Ledger flow 'depots': fixed cost per year of every open depot × window years.", _flows("depots"), "maker_cost"),
    KPI("maker_cost_technicians", "Maker cost: technicians", "money", "",
        "Ledger flow 'technicians': technicians × cost per year × window years.", _flows("technicians"), "maker_cost"),
    KPI("maker_cost_freight_normal", "Maker cost: freight, normal", "money", "",
        "Ledger flow 'freight_normal': km from the assigned depot × rate.", _flows("freight_normal"), "maker_cost"),
    KPI("maker_cost_freight_lateral", "Maker cost: freight, lateral", "money", "",
        "Ledger flow 'freight_lateral': km from the sending depot × lateral rate.", _flows("freight_lateral"),
        "maker_cost"),
    KPI("maker_cost_freight_emergency", "Maker cost: freight, emergency", "money", "",
        "Ledger flow 'freight_emergency': cost per shipment + km × emergency rate.", _flows("freight_emergency"),
        "maker_cost"),
    KPI("maker_cost_freight_replenishment", "Maker cost: replenishment freight", "money", "",
        "Ledger flow 'freight_replenishment': units ordered by depots × cost per unit.",
        _flows("freight_replenishment"), "maker_cost"),
    KPI("maker_cost_technician_travel", "Maker cost: technician travel", "money", "",
        "Ledger flow 'technician_travel': km driven (both ways) × rate.", _flows("technician_travel"), "maker_cost"),
    KPI("maker_penalties", "Maker SLA penalties", "money", "lower",
        "Ledger flow 'late_penalties' (maker → customers).", _flows("late_penalties"), "maker_cost"),
    KPI("maker_cost", "Maker cost", "money", "lower", "Everything the maker pays.", lambda o, L, p: L.paid(MAKER)),
    KPI("maker_profit", "Maker profit", "money", "higher", "Maker revenue − maker cost (the ledger's net for the maker).",
        lambda o, L, p: L.net(MAKER)),
    KPI("perishable_events", "Outages past the perishable threshold", "count", "lower",
        "Outages longer than their site's perishable threshold.", lambda o, L, p: o.perishable_events),
    KPI("technician_visits", "Technician visits", "count", "", "Restores in the window (one visit each).",
        lambda o, L, p: o.visits),
)

REGION_KPI = KPI(
    REGION_PREFIX + "<region>", "Restored within promise, <region>", "share", "higher",
    "Share of the region's outages restored within their promise (regions with a promise only).",
)

CATALOGUE: dict[str, KPI] = {k.name: k for k in DECLARED}

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

MAKER_COST_LINES = tuple(k.name for k in DECLARED if k.total == "maker_cost")
MAKER_REVENUE_LINES = tuple(k.name for k in DECLARED if k.total == "maker_revenue")
CUSTOMER_COST_LINES = tuple(
    k.name for k in DECLARED if k.total == "customer_total_cost" and k.name != "customer_penalties_received"
)


def kpi_row(outcome: Outcome, ledger: Ledger, prices: PriceList) -> dict[str, float]:
    """Every KPI of one replication, in declaration order; per-region levels after the yardsticks."""
    o = outcome
    row: dict[str, float] = {}
    for kpi in DECLARED:
        row[kpi.name] = float(kpi.formula(o, ledger, prices))  # type: ignore[misc]
        if kpi is _YARDSTICK_KPIS[-1]:
            for r, name in enumerate(o.regions):
                if o.region_promised[r]:
                    row[REGION_PREFIX + name] = float(_share(o.region_ok[r], o.region_known[r]))
    return row


def evaluate(net: Network, outcome: Outcome, prices: PriceList | None = None) -> dict[str, float]:
    """The KPI row of an outcome of ``net``: price it into a ledger, then read the KPIs.

    ``prices`` defaults to the network's (:meth:`PriceList.of`); pass it when pricing many
    outcomes of one network.
    """
    if prices is None:
        prices = PriceList.of(net)
    return kpi_row(outcome, price(outcome, prices), prices)


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
        return KPI(name, f"Restored within promise, {region}", "share", "higher", REGION_KPI.description)
    return KPI(name, name, "", "")
