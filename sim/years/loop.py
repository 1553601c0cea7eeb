"""The year loop: one replication of a multi-year scenario, year after year on a changing installed base.

Each year the maker's current customers are built into a one-year network
(:func:`sim.build.build` on a copy of the scenario with their sites), run by the one-year
engine and priced by :func:`sim.ledger.price`; the year's aggregates become one row and
the customers then decide (will-fit parts, supplier at the end of a machine's life) and
new customers arrive. Only per-year aggregates and the customers' state are kept, so
memory does not grow with the number of years.

Random numbers: year 1 runs on exactly the streams of ``sim run`` (replication ``r``);
year ``y > 1`` on replication key ``r + REPLICATION_SPAN × (y − 1)``, distinct from every
single-horizon replication (the schema allows at most 100 000). Choices and arrivals draw
from their own named streams per (replication, year, customer), the same in every scenario
(common random numbers).
"""

from __future__ import annotations

import dataclasses
import gc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.build import HOURS_PER_YEAR, ComponentSpec, Network, build
from sim.distributions import sampler
from sim.engine.model import Replication
from sim.ledger import (
    CUSTOMERS,
    MAKER,
    PriceList,
    price,
    rival_cost_per_machine_year,
    site_customer_costs,
)
from sim.rng import stream
from sim.scenario.schema import Scenario, Site, TravelLeg
from sim.scenario.years import Market
from sim.years.choice import (
    buys_willfit,
    logit_probabilities,
    pick,
    rival_constants,
    utilities,
)

REPLICATION_SPAN = 100_000  # > the most replications a scenario may have (schema)

YEAR_COLUMNS = (
    "year",
    "installed_base",
    "customers_retained",
    "customers_lost",
    "customers_won",
    "market_share",
    "maker_revenue",
    "maker_cost",
    "maker_profit",
    "discounted_profit",
    "npv",
    "willfit_share",
    "customer_total_cost",
)


def year_replication(replication: int, year: int) -> int:
    """The engine's replication key of ``year`` (1-based) in replication ``replication``."""
    return replication if year == 1 else replication + REPLICATION_SPAN * (year - 1)


@dataclass
class Customer:
    """A customer site over the years (a site of the file, or a new customer copied from one)."""

    name: str
    template: int  # index of the file's site it is (a copy of)
    supplier: int  # 0 the maker, j ≥ 1 rival j − 1
    age_years: float
    willfit: frozenset[str] = frozenset()  # parts it buys at parts shops
    cost_per_machine_year: float = math.nan  # its last year with the maker: total cost ÷ machine-years
    restore_mean_h: float = 0.0  # its last year with the maker: downtime hours ÷ restores


@dataclass(frozen=True)
class YearRow:
    """The aggregates of one year of one replication (the columns of years.csv after ``year``)."""

    year: int
    installed_base: int
    customers_retained: int
    customers_lost: int
    customers_won: int
    market_share: float
    maker_revenue: float
    maker_cost: float
    maker_profit: float
    discounted_profit: float
    npv: float
    willfit_share: float
    customer_total_cost: float

    def values(self) -> tuple[float, ...]:
        """The row in :data:`YEAR_COLUMNS` order."""
        return tuple(getattr(self, c) for c in YEAR_COLUMNS)


def site_life_years(sc: Scenario, site: Site) -> float:
    """A site's machines are bought and replaced together: the longest life among its models."""
    lives = {m.name: m.life_years for m in sc.machine_models}
    return max((lives[name] for name, n in site.machines.items() if n > 0), default=8.0)


class MarketSetup:
    """The static part of a multi-year scenario: rivals' costs per site, constants, templates."""

    def __init__(self, sc: Scenario) -> None:
        assert sc.market is not None and sc.years is not None
        self.sc = sc
        self.m: Market = sc.market
        choice = self.m.choice
        self.constants = [choice.maker_constant] + rival_constants(
            [r.constant for r in self.m.rivals], choice.rival_attraction
        )
        names = [s.name for s in sc.sites]
        self.templates = [names.index(t) for t in self.m.new_customer_templates] or list(range(len(sc.sites)))
        self.life = [site_life_years(sc, s) for s in sc.sites]
        self.rival_costs = [self._rival_costs(s, life) for s, life in zip(sc.sites, self.life)]
        plans = {p.name: p for p in sc.service_plans}
        self.plan_factor = [plans[s.service_plan].time_to_failure_factor if s.service_plan else 1.0 for s in sc.sites]
        self.part_price = {p.name: p.price * sc.pricing.part_price_multiplier for p in sc.parts}
        self.willfit = {w.part: w for w in self.m.willfit}
        self.legs: dict[str, list[TravelLeg]] = {}
        for leg in sc.travel.table:
            self.legs.setdefault(leg.origin, []).append(leg)
            self.legs.setdefault(leg.to, []).append(leg)

    def _rival_costs(self, site: Site, life: float) -> list[float]:
        """Each rival's stated annual cost per machine to this site (sim.ledger.rival_cost_per_machine_year)."""
        models = {m.name: m for m in self.sc.machine_models}
        parts = {p.name: p.price * self.sc.pricing.part_price_multiplier for p in self.sc.parts}
        total = sum(site.machines.values())
        rates: list[float] = []
        prices: list[float] = []
        for name, n in site.machines.items():
            for c in models[name].components:
                rates.append(HOURS_PER_YEAR / sampler(c.time_to_failure_h).mean * n / max(total, 1))
                prices.append(parts[c.part] if c.part else 0.0)
        thr = site.perishable.threshold_h if site.perishable else math.inf
        loss = site.perishable.loss if site.perishable else 0.0
        return [
            rival_cost_per_machine_year(
                r.machine_price / life,
                tuple(f * r.failure_rate_factor for f in rates),
                tuple(p * r.parts_price_factor for p in prices),
                r.restore_h,
                site.downtime_cost_per_h,
                thr,
                loss,
            )
            for r in self.m.rivals
        ]

    def scenario_for(self, active: Sequence[Customer]) -> Scenario:
        """The one-year scenario of the maker's current customers (the file's own when nothing changed)."""
        sc = self.sc
        sites = [sc.sites[c.template] if c.name == sc.sites[c.template].name else
                 sc.sites[c.template].model_copy(update={"name": c.name}) for c in active]
        legs = list(sc.travel.table)
        for c in active:
            t = sc.sites[c.template].name
            if c.name != t:
                for leg in self.legs.get(t, []):
                    renamed = {"origin": c.name} if leg.origin == t else {"to": c.name}
                    legs.append(leg.model_copy(update=renamed))
        update: dict[str, object] = {"sites": sites}
        if len(legs) != len(sc.travel.table):
            update["travel"] = sc.travel.model_copy(update={"table": legs})
        return sc.model_copy(update=update)

    def network_for(self, active: Sequence[Customer]) -> Network:
        """The year's network: the scenario built, with will-fit parts in the components customers chose them for."""
        sc = self.sc
        net = build(self.scenario_for(active))
        part_index = {p.name: i for i, p in enumerate(sc.parts)}
        parts = tuple(
            dataclasses.replace(p, willfit_price=self.willfit[p.name].price) if p.name in self.willfit else p
            for p in net.parts
        )
        if not any(c.willfit for c in active):
            return dataclasses.replace(net, parts=parts)
        models = {m.name: m for m in sc.machine_models}
        machines = []
        for m in net.machines:
            chosen = active[m.site].willfit
            if chosen:
                comps = []
                for spec, comp in zip(m.components, models[sc.machine_models[m.model].name].components):
                    w = self.willfit.get(comp.part) if comp.part is not None and comp.part in chosen else None
                    if w is None:
                        comps.append(spec)
                        continue
                    plan = self.plan_factor[active[m.site].template]
                    ttf = (sampler(w.time_to_failure_h, plan) if w.time_to_failure_h is not None
                           else sampler(comp.time_to_failure_h, plan * w.time_to_failure_factor))
                    comps.append(
                        ComponentSpec(spec.name, -1, ttf, spec.repair_time,
                                      willfit_part=part_index[w.part], willfit_lead_h=w.lead_time_h)
                    )
                m = dataclasses.replace(m, components=tuple(comps))
            machines.append(m)
        return dataclasses.replace(net, parts=parts, machines=tuple(machines))


def _machines(sc: Scenario, c: Customer) -> int:
    return sum(sc.sites[c.template].machines.values())


def initial_customers(mk: MarketSetup) -> list[Customer]:
    """The file's sites, all the maker's, with ages given or spread evenly over their life in file order."""
    sc, n = mk.sc, len(mk.sc.sites)
    out = []
    for i, s in enumerate(sc.sites):
        age = mk.m.initial_age_years.get(s.name, mk.life[i] * i / n if n else 0.0)
        out.append(Customer(s.name, i, 0, age))
    return out


ChoiceObserver = Callable[["MarketSetup", "Customer", Sequence[float], int], None]


def run_years(sc: Scenario, replication: int, on_choice: ChoiceObserver | None = None) -> list[YearRow]:
    """Every year of one replication of a multi-year scenario.

    ``on_choice(setup, customer, probabilities, new)`` is told of every supplier choice drawn
    (before the customer's state changes): the logit probabilities and the alternative picked.

    The objects alive at the start are frozen for the garbage collector while it runs, so
    that collecting each year's engine (its agendas are reference cycles) costs little.
    """
    gc.freeze()
    try:
        return _run_years(sc, replication, on_choice)
    finally:
        gc.unfreeze()


def _run_years(sc: Scenario, replication: int, on_choice: ChoiceObserver | None = None) -> list[YearRow]:
    mk = MarketSetup(sc)
    m = mk.m
    assert sc.years is not None
    customers = initial_customers(mk)
    reference: dict[int, float] = {}  # per template: the maker's last mean cost per machine-year to its customers
    fleet_reference = math.nan
    npv = 0.0
    rows: list[YearRow] = []
    for year in range(1, sc.years + 1):
        active = [c for c in customers if c.supplier == 0]
        all_machines = sum(_machines(sc, c) for c in customers)
        net = mk.network_for(active)
        engine = Replication(net, sc.seed, year_replication(replication, year))
        outcome = engine.run()
        prices = PriceList.of(net)
        ledger = price(outcome, prices)
        window_years = outcome.window_h / HOURS_PER_YEAR
        costs = site_customer_costs(outcome, prices)
        by_template: dict[int, list[float]] = {}
        for i, c in enumerate(active):
            n = outcome.site_machines[i]
            if n:
                c.cost_per_machine_year = costs[i] / (n * window_years)
                by_template.setdefault(c.template, []).append(c.cost_per_machine_year)
            visits = outcome.site_visits[i]
            c.restore_mean_h = outcome.site_downtime_h[i] / visits if visits else 0.0
        for t, values in by_template.items():
            reference[t] = sum(values) / len(values)
        if by_template:
            fleet_reference = sum(sum(v) for v in by_template.values()) / sum(len(v) for v in by_template.values())
        willfit_units = sum(sum(row) for row in outcome.site_willfit_units)
        maker_units = sum(sum(row) for row in outcome.site_part_units)
        profit = ledger.net(MAKER)
        revenue, cost, customer_cost = ledger.received(MAKER), ledger.paid(MAKER), -ledger.net(CUSTOMERS)
        discounted = profit / (1.0 + m.discount_rate_per_year) ** year
        npv += discounted

        # the customers' decisions at the end of the year
        for c in active:
            c.willfit = frozenset(
                w.part
                for w in m.willfit
                if buys_willfit(mk.part_price[w.part], w.price, c.restore_mean_h, w.rule.max_price_ratio, w.rule.max_restore_h)
            )
        retained = lost = won = 0
        for c in customers:
            c.age_years += 1.0
            life = mk.life[c.template]
            if c.age_years + 1e-9 < life:
                continue
            new = _choose(mk, c, reference, fleet_reference, replication, year, on_choice)
            retained += c.supplier == 0 and new == 0
            lost += c.supplier == 0 and new != 0
            won += c.supplier != 0 and new == 0
            if new != c.supplier:
                c.willfit = frozenset()
            c.supplier, c.age_years = new, 0.0
        if m.new_customers_per_year > 0 and mk.templates:
            rng = stream(sc.seed, replication, f"years/{year}/arrivals")
            for k in range(int(rng.poisson(m.new_customers_per_year))):
                t = mk.templates[int(rng.integers(len(mk.templates)))]
                c = Customer(f"{sc.sites[t].name}~{year}.{k + 1}", t, -1, 0.0)
                c.supplier = _choose(mk, c, reference, fleet_reference, replication, year, on_choice)
                won += c.supplier == 0
                customers.append(c)
        installed = outcome.machines
        del net, engine, outcome, ledger, prices  # nothing of the year is kept but its row
        gc.collect()  # the engine's agendas are cycles: free the year now (fast: older objects are frozen)
        rows.append(
            YearRow(
                year=year,
                installed_base=installed,
                customers_retained=retained,
                customers_lost=lost,
                customers_won=won,
                market_share=installed / all_machines if all_machines else math.nan,
                maker_revenue=revenue,
                maker_cost=cost,
                maker_profit=profit,
                discounted_profit=discounted,
                npv=npv,
                willfit_share=willfit_units / (willfit_units + maker_units) if willfit_units + maker_units else math.nan,
                customer_total_cost=customer_cost,
            )
        )
    return rows


def choice_costs(mk: MarketSetup, c: Customer, reference: dict[int, float], fleet: float) -> list[float]:
    """The annual costs per machine customer ``c`` compares: the maker's (experienced), then each rival's (stated)."""
    maker = c.cost_per_machine_year if c.supplier == 0 and not math.isnan(c.cost_per_machine_year) else reference.get(c.template, fleet)
    if math.isnan(maker):  # the maker has served nobody yet: its customers' cost is unknown, rivals' stated
        maker = min(mk.rival_costs[c.template])
    return [maker, *mk.rival_costs[c.template]]


def _choose(
    mk: MarketSetup,
    c: Customer,
    reference: dict[int, float],
    fleet: float,
    replication: int,
    year: int,
    on_choice: ChoiceObserver | None = None,
) -> int:
    """The supplier customer ``c`` buys its next machines from (0 maker, j rival j − 1)."""
    choice = mk.m.choice
    if not mk.m.rivals or (not choice.churn and c.supplier >= 0):
        return max(c.supplier, 0)
    costs = choice_costs(mk, c, reference, fleet)
    u = utilities(costs, mk.constants, c.supplier, choice.switching_cost / mk.life[c.template], choice.sensitivity)
    probabilities = logit_probabilities(u)
    draw = float(stream(mk.sc.seed, replication, f"years/{year}/choice/{c.name}").random())
    new = pick(probabilities, draw)
    if on_choice is not None:
        on_choice(mk, c, probabilities, new)
    return new


def run_chunk(sc: Scenario, replications: Sequence[int]) -> list[list[YearRow]]:
    """Some replications of a multi-year scenario (an executor task)."""
    return [run_years(sc, r) for r in replications]


__all__ = ["REPLICATION_SPAN", "YEAR_COLUMNS", "Customer", "YearRow", "run_chunk", "run_years", "year_replication"]


def run_scenarios_years(
    scenarios: Sequence[Scenario], jobs: int = 1, scheduler: str | None = None, show_progress: bool | None = False
) -> list[list[list[YearRow]]]:
    """Every replication of every multi-year scenario: ``[scenario][replication][year]``.

    Replication ``r`` of every scenario uses the same streams (common random numbers); with
    ``jobs > 1`` (or a Dask ``scheduler``) replications run in workers, with identical results.
    ``show_progress``: the progress line of :func:`sim.runner.executing` (None: on a terminal).
    """
    from concurrent.futures import as_completed

    from sim.runner import executing

    total = sum(sc.replications for sc in scenarios)
    out: list[list[list[YearRow]]] = []
    with executing(total, "years", jobs, scheduler, show_progress) as (ex, _workers, tick):
        for sc in scenarios:
            reps = list(range(sc.replications))
            if ex is None:
                rows = []
                for r in reps:
                    rows.append(run_years(sc, r))
                    tick(1)
                out.append(rows)
                continue
            futures = {ex.submit(run_chunk, sc, [r]): r for r in reps}
            by_rep: dict[int, list[YearRow]] = {}
            for fut in as_completed(futures):
                (by_rep[futures[fut]],) = fut.result()
                tick(1)
            out.append([by_rep[r] for r in reps])
    return out
