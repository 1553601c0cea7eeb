"""The money: one pure function prices a physical :class:`~sim.engine.outcome.Outcome`.

:func:`price` turns an outcome and a :class:`PriceList` into a :class:`Ledger`: one
:class:`Flow` per money term, each from a payer to a payee. A flow between the maker and
its customers lands in both ledgers (the customer's part price is the maker's parts
revenue); a flow to or from an outside party lands in one (freight is paid to carriers,
a counter sale is paid by buyers outside the simulated fleet). Every money KPI, total,
table and plot reads these flows: maker profit is what the maker receives minus what it
pays; the customers' total cost of ownership is what they pay (or lose) minus what they
receive. docs/model.md ("Money") states each term's formula and unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sim.build import HOURS_PER_YEAR, Network
from sim.engine.outcome import Outcome

MAKER = "maker"
CUSTOMERS = "customers"  # the fleet's customers: every simulated site
# outside parties: money leaves or enters the two ledgers there
COUNTER_BUYERS = "counter buyers"  # part demand from outside the simulated fleet
SUPPLIERS = "suppliers"
CAPITAL = "capital"
LANDLORDS = "landlords"
STAFF = "staff"
REPAIR_SHOPS = "repair shops"  # labour and material of repairs of repairable parts
CARRIERS = "carriers"
LOST_OUTPUT = "lost output"  # downtime and spoiled goods: a loss nobody receives
PARTS_SHOPS = "parts shops"  # Y: sellers of will-fit parts (sim.years)


@dataclass(frozen=True, slots=True)
class PriceList:
    """Every price and cost rate of a network, by index (parts, models, sites, depots)."""

    part_price: tuple[float, ...]  # per unit used, after the part price multiplier
    part_unit_cost: tuple[float, ...]
    part_holding_rate_per_year: tuple[float, ...]  # share of unit cost per unit-year owned
    machine_price_per_year: tuple[float, ...]  # per machine model: price ÷ life (after the multiplier)
    machine_cost_per_year: tuple[float, ...]  # per machine model: cost to make ÷ life
    site_downtime_cost_per_h: tuple[float, ...]  # per machine-hour down
    site_perishable_loss: tuple[float, ...]  # per outage past the threshold
    site_late_penalty_per_h: tuple[float, ...]  # per hour past the promise
    site_fee_per_visit: tuple[float, ...]
    site_fee_per_machine_year: tuple[float, ...]
    site_parts_included: tuple[bool, ...]  # the service plan covers part prices
    depot_fixed_cost_per_year: tuple[float, ...]
    depot_technician_cost_per_year: tuple[float, ...]  # per technician
    freight_normal_per_km: float
    freight_lateral_per_km: float
    freight_emergency_per_km: float
    emergency_cost_per_shipment: float
    replenishment_cost_per_unit: float
    technician_cost_per_km: float
    part_repair_cost: tuple[float, ...] = ()  # per repair of a repairable part, depot or central
    part_willfit_price: tuple[float, ...] = ()  # Y: per part, the will-fit price at parts shops (sim.years)
    site_training_fee_per_machine_year: tuple[float, ...] = ()  # Y: the service plan's training fee

    @classmethod
    def of(cls, net: Network) -> "PriceList":
        """The prices a built network carries."""
        return cls(
            part_price=tuple(p.price for p in net.parts),
            part_unit_cost=tuple(p.unit_cost for p in net.parts),
            part_holding_rate_per_year=tuple(p.holding_rate_per_year for p in net.parts),
            machine_price_per_year=tuple(e.price_per_year for e in net.machine_economics),
            machine_cost_per_year=tuple(e.cost_per_year for e in net.machine_economics),
            site_downtime_cost_per_h=tuple(s.downtime_cost_per_h for s in net.sites),
            site_perishable_loss=tuple(s.perishable_loss for s in net.sites),
            site_late_penalty_per_h=tuple(s.late_penalty_per_h for s in net.sites),
            site_fee_per_visit=tuple(s.fee_per_visit for s in net.sites),
            site_fee_per_machine_year=tuple(s.fee_per_machine_year for s in net.sites),
            site_parts_included=tuple(s.parts_included for s in net.sites),
            depot_fixed_cost_per_year=tuple(d.fixed_cost_per_year for d in net.depots),
            depot_technician_cost_per_year=tuple(d.technician_cost_per_year for d in net.depots),
            freight_normal_per_km=net.freight.normal_per_km,
            freight_lateral_per_km=net.freight.lateral_per_km,
            freight_emergency_per_km=net.freight.emergency_per_km,
            emergency_cost_per_shipment=net.policy.emergency_cost_per_shipment,
            replenishment_cost_per_unit=net.freight.replenishment_per_unit,
            technician_cost_per_km=net.freight.technician_per_km,
            part_repair_cost=tuple(p.repair_cost for p in net.parts),
            part_willfit_price=tuple(p.willfit_price for p in net.parts),
            site_training_fee_per_machine_year=tuple(s.training_fee_per_machine_year for s in net.sites),
        )


@dataclass(frozen=True, slots=True)
class Flow:
    """One money term over the window: ``amount`` paid by ``payer`` to ``payee``."""

    term: str
    payer: str
    payee: str
    amount: float


@dataclass(frozen=True, slots=True)
class Ledger:
    """The flows of one replication's window, one per term, in a fixed order."""

    flows: tuple[Flow, ...]

    def __iter__(self) -> Iterator[Flow]:
        return iter(self.flows)

    def amount(self, *terms: str) -> float:
        """The summed amount of the named terms (each must exist)."""
        by_term = {f.term: f.amount for f in self.flows}
        return sum(by_term[t] for t in terms)

    def paid(self, party: str) -> float:
        """Everything ``party`` pays (or loses)."""
        return sum(f.amount for f in self.flows if f.payer == party)

    def received(self, party: str) -> float:
        """Everything ``party`` receives."""
        return sum(f.amount for f in self.flows if f.payee == party)

    def net(self, party: str) -> float:
        """Received minus paid: the maker's profit, minus the customers' total cost."""
        return self.received(party) - self.paid(party)


def price(outcome: Outcome, prices: PriceList) -> Ledger:
    """The ledger of an outcome at the given prices (pure: no state, no randomness)."""
    o, p = outcome, prices
    years = o.window_h / HOURS_PER_YEAR
    parts = range(len(p.part_price))
    sites = range(len(p.site_downtime_cost_per_h))

    def flow(term: str, payer: str, payee: str, amount: float) -> Flow:
        return Flow(term, payer, payee, float(amount))

    return Ledger(
        (
            flow("machines", CUSTOMERS, MAKER, years * sum(map(_mul, p.machine_price_per_year, o.machines_per_model))),
            flow(
                "parts",
                CUSTOMERS,
                MAKER,
                sum(
                    o.site_part_units[s][k] * p.part_price[k]
                    for s in sites
                    if not p.site_parts_included[s]
                    for k in parts
                ),
            ),
            flow("service_visits", CUSTOMERS, MAKER, sum(map(_mul, o.site_visits, p.site_fee_per_visit))),
            flow(
                "service_contracts",
                CUSTOMERS,
                MAKER,
                years * sum(map(_mul, o.site_machines, p.site_fee_per_machine_year)),
            ),
            flow("downtime", CUSTOMERS, LOST_OUTPUT, sum(map(_mul, o.site_downtime_h, p.site_downtime_cost_per_h))),
            flow("perishable", CUSTOMERS, LOST_OUTPUT, sum(map(_mul, o.site_perishable_events, p.site_perishable_loss))),
            flow("late_penalties", MAKER, CUSTOMERS, sum(map(_mul, o.site_late_h, p.site_late_penalty_per_h))),
            flow("counter_parts", COUNTER_BUYERS, MAKER, sum(map(_mul, o.stream_part_units, p.part_price))),
            flow("machines_made", MAKER, SUPPLIERS, years * sum(map(_mul, p.machine_cost_per_year, o.machines_per_model))),
            flow(
                "parts_bought",
                MAKER,
                SUPPLIERS,
                sum(o.purchased_units[k] * p.part_unit_cost[k] for k in parts),
            ),
            flow("repairs", MAKER, REPAIR_SHOPS, _repairs(o, p)),
            flow(
                "holding",
                MAKER,
                CAPITAL,
                sum(
                    o.owned_unit_h[k] * p.part_unit_cost[k] * p.part_holding_rate_per_year[k] for k in parts
                )
                / HOURS_PER_YEAR,
            ),
            flow("depots", MAKER, LANDLORDS, years * sum(p.depot_fixed_cost_per_year)),
            flow("technicians", MAKER, STAFF, years * sum(map(_mul, o.depot_technicians, p.depot_technician_cost_per_year))),
            flow("freight_normal", MAKER, CARRIERS, o.normal_shipment_km * p.freight_normal_per_km),
            flow("freight_lateral", MAKER, CARRIERS, o.lateral_shipment_km * p.freight_lateral_per_km),
            flow(
                "freight_emergency",
                MAKER,
                CARRIERS,
                o.emergency_shipments * p.emergency_cost_per_shipment + o.emergency_shipment_km * p.freight_emergency_per_km,
            ),
            flow("freight_replenishment", MAKER, CARRIERS, o.replenishment_units * p.replenishment_cost_per_unit),
            flow("technician_travel", MAKER, CARRIERS, o.technician_km * p.technician_cost_per_km),
            flow("willfit_parts", CUSTOMERS, PARTS_SHOPS, _willfit(o, p)),  # Y
            flow("training", CUSTOMERS, MAKER, years * sum(map(_mul, o.site_machines, p.site_training_fee_per_machine_year))),  # Y
        )
    )


def _willfit(o: Outcome, p: PriceList) -> float:
    """Will-fit units bought at parts shops × their price (Y, sim.years)."""
    return float(sum(n * c for row in o.site_willfit_units for n, c in zip(row, p.part_willfit_price)))


def site_customer_costs(outcome: Outcome, prices: PriceList) -> tuple[float, ...]:
    """Each site's share of the customers' total cost (Y, sim.years): the customer-side flows of
    :func:`price` that belong to one site, per site; they add up to ``-price(...).net(CUSTOMERS)``.

    Machines are charged to a site by its machine count at the fleet's mean price per machine-year of
    each model (a site's models are not in the outcome: sim.years gives each site one model).
    """
    o, p = outcome, prices
    years = o.window_h / HOURS_PER_YEAR
    n = sum(o.site_machines)
    machines = years * sum(map(_mul, p.machine_price_per_year, o.machines_per_model))
    per_machine = machines / n if n else 0.0
    out = []
    for s, count in enumerate(o.site_machines):
        parts = 0.0 if p.site_parts_included[s] else sum(map(_mul, o.site_part_units[s], p.part_price))
        willfit = sum(map(_mul, o.site_willfit_units[s], p.part_willfit_price)) if o.site_willfit_units else 0.0
        out.append(
            count * per_machine
            + parts
            + o.site_visits[s] * p.site_fee_per_visit[s]
            + years * count * p.site_fee_per_machine_year[s]
            + (years * count * p.site_training_fee_per_machine_year[s] if p.site_training_fee_per_machine_year else 0.0)
            + o.site_downtime_h[s] * p.site_downtime_cost_per_h[s]
            + o.site_perishable_events[s] * p.site_perishable_loss[s]
            - o.site_late_h[s] * p.site_late_penalty_per_h[s]
            + willfit
        )
    return tuple(out)


def _repairs(o: Outcome, p: PriceList) -> float:
    """Repairs of repairable parts (depot and central) × each part's repair cost."""
    return float(sum((o.depot_repairs[k] + o.central_repairs[k]) * c for k, c in enumerate(p.part_repair_cost) if c))


def _mul(a: float, b: float) -> float:
    return a * b


def inventory_value(unit_h: tuple[float, ...], outcome: Outcome, prices: PriceList) -> float:
    """Time-average value at unit cost of per-part unit-hours over the window (a stock, not a flow)."""
    return sum(u * c for u, c in zip(unit_h, prices.part_unit_cost)) / outcome.window_h


def investment(outcome: Outcome, prices: PriceList) -> float:
    """Base stock at unit cost, depots and central (a stock, not a flow)."""
    return float(sum(n * c for n, c in zip(outcome.base_stock_units, prices.part_unit_cost)))


def rival_cost_per_machine_year(
    machine_price_per_year: float,
    failures_per_year: tuple[float, ...],
    part_price: tuple[float, ...],
    restore_h: float,
    downtime_cost_per_h: float,
    perishable_threshold_h: float,
    perishable_loss: float,
) -> float:
    """A rival's stated annual cost to a customer per machine (Y, sim.years: an input of the choice,
    not a flow of the simulated world): price per year + per expected failure (per component, rates
    per machine-year already scaled by the rival's factor) its stated restore time × downtime cost,
    the perishable loss if that restore passes the threshold, and its part price.
    """
    per_failure = restore_h * downtime_cost_per_h + (perishable_loss if restore_h > perishable_threshold_h else 0.0)
    return machine_price_per_year + sum(f * (per_failure + c) for f, c in zip(failures_per_year, part_price))


def place_costs(outcome: Outcome, prices: PriceList) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per site the ``downtime`` flow of :func:`price`, and per depot its ``depots``, ``technicians``,
    ``freight_normal`` and ``freight_lateral`` flows (the parts it ships) (P, sim.places: the per-place
    CSVs); each adds up over places to the flows' amounts."""
    o, p = outcome, prices
    years = o.window_h / HOURS_PER_YEAR
    downtime = tuple(map(_mul, o.site_downtime_h, p.site_downtime_cost_per_h))
    depots = tuple(
        years * (fixed + n * per) + normal_km * p.freight_normal_per_km + lateral_km * p.freight_lateral_per_km
        for fixed, n, per, normal_km, lateral_km in zip(
            p.depot_fixed_cost_per_year, o.depot_technicians, p.depot_technician_cost_per_year,
            o.depot_normal_km, o.depot_lateral_km,
        )
    )
    return downtime, depots
