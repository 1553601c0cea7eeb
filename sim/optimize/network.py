"""Depot-network design: which candidate depots to open, and which depot serves each site.

Every depot a scenario lists is a candidate. Opening depot *j* costs its rent, its
technicians and the holding cost of its base stock per year; serving site *i* from *j*
costs the maker freight, technician kilometres, emergency shipments and late penalties,
and costs the customer downtime and spoiled goods, all as expected values per year from
closed forms (Palm's theorem for the depot's fill rate). With ``y_j`` (open) binary and
``x_ij`` (site *i* served by *j*) in [0, 1] this is an uncapacitated facility-location
problem, solved exactly with ``scipy.optimize.milp`` (HiGHS):

    minimise   Σ_j F_j y_j + Σ_ij c_ij x_ij
    subject to Σ_j x_ij = 1 (every site served),  x_ij ≤ y_j (only by an open depot),
               x_id ≥ y_d (a site's own ``depot`` serves it when open),
               y_j = 1 for depots with demand streams,  Σ_j y_j = N (for "the best N").

The fill rate of a depot and its technicians' queue depend on the load it gets, i.e. on
the assignment; to keep the model linear they are evaluated at an assignment fixed
beforehand, and the design is iterated: solve, recompute every depot's load from the
solution, solve again, until the network repeats (:func:`design`). Approximations
(docs/network-design.md): lateral transshipments are ignored, a stock-out at the assigned
depot waits for an emergency shipment (or for the depot's backorder when emergencies are
off), the technicians' queue is M/M/c, the central warehouse is treated as never short,
failures are counted as if machines never stopped, repair times by their means.

The cost model reads the scenario and a :class:`Places` (the build's travel rule); it does
not import :mod:`sim.build`, which calls it to resolve ``open_depots: N``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from scipy import sparse, stats
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.distributions import sampler
from sim.scenario.schema import Scenario
from sim.theory import queue_wait

HOURS_PER_YEAR = 8760.0
Objective = Literal["total_cost", "maker_profit"]
OBJECTIVES: tuple[str, ...] = ("total_cost", "maker_profit")
MAX_ROUNDS = 6  # solves per sequence; the network usually repeats after two to four
MAX_SWAP_PASSES = 20  # improving moves after the solves


class DesignError(ValueError):
    """The design problem has no solution (e.g. more depots must be open than N allows)."""


class Places(Protocol):
    """Travel between named places (:class:`sim.build._Travel` is one)."""

    def distance_km(self, a: str, b: str) -> float: ...

    def part_h(self, a: str, b: str) -> float: ...

    def technician_h(self, a: str, b: str) -> float: ...


class _Remembered:
    """A :class:`Places` that computes each leg once (the design asks for the same legs every round)."""

    def __init__(self, places: Places) -> None:
        self.places = places
        self.memo: dict[tuple[str, str, str], float] = {}

    def _get(self, kind: str, a: str, b: str) -> float:
        key = (kind, a, b)
        if key not in self.memo:
            self.memo[key] = float(getattr(self.places, kind)(a, b))
        return self.memo[key]

    def distance_km(self, a: str, b: str) -> float:
        return self._get("distance_km", a, b)

    def part_h(self, a: str, b: str) -> float:
        return self._get("part_h", a, b)

    def technician_h(self, a: str, b: str) -> float:
        return self._get("technician_h", a, b)


@dataclass(frozen=True)
class CostModel:
    """The linear model: yearly costs of opening each depot and of serving each site from each depot."""

    depots: tuple[str, ...]
    sites: tuple[str, ...]
    depot_cost: np.ndarray  # (J,) maker: fixed + technicians + holding of the base stock, per year
    maker_cost: np.ndarray  # (I, J) maker: freight, technician km, emergency shipments, late penalties, per year
    penalty: np.ndarray  # (I, J) the late penalties in maker_cost (paid to the customers)
    customer_loss: np.ndarray  # (I, J) customers: downtime and perishable losses, per year
    restore_h: np.ndarray  # (I, J) expected restore time per failure, hours
    failures_per_year: np.ndarray  # (I,)
    allowed: np.ndarray  # (I, J) bool: j may serve i (staffed)
    preferred: tuple[int, ...]  # per site: index of its own ``depot`` or -1
    forced: tuple[bool, ...]  # per depot: must be open (demand streams arrive there)
    maker_constant: float  # maker's yearly profit before any depot and site cost
    customer_constant: float  # customers' yearly payments that no design changes

    def site_cost(self, objective: Objective) -> np.ndarray:
        """c_ij: the yearly cost of serving site i from depot j under ``objective``."""
        if objective == "maker_profit":
            return self.maker_cost
        # total cost: the penalties are a transfer from the maker to the customers and cancel
        return self.maker_cost - self.penalty + self.customer_loss

    def assign(self, open_set: Sequence[int], objective: Objective) -> np.ndarray:
        """Each site's depot among ``open_set``: its own depot if open, else the cheapest (ties: file order)."""
        cost = np.where(self.allowed, self.site_cost(objective), np.inf)
        idx = np.array(sorted(open_set), dtype=int)
        best = idx[np.argmin(cost[:, idx], axis=1)]
        for i, d in enumerate(self.preferred):
            if d >= 0 and d in open_set:
                best[i] = d
        return best

    def evaluate(
        self, open_set: Sequence[int], objective: Objective, assignment: Sequence[int] | np.ndarray | None = None
    ) -> "Evaluation":
        """The figures of one open set with its best assignment (or the one given)."""
        a = self.assign(open_set, objective) if assignment is None else np.asarray(assignment, dtype=int)
        rows = np.arange(len(self.sites))
        fixed = float(self.depot_cost[list(open_set)].sum())
        maker = fixed + float(self.maker_cost[rows, a].sum())
        loss = float(self.customer_loss[rows, a].sum())
        penalty = float(self.penalty[rows, a].sum())
        cost = fixed + float(self.site_cost(objective)[rows, a].sum())
        fails = float(self.failures_per_year.sum())
        restore = float((self.failures_per_year * self.restore_h[rows, a]).sum() / fails) if fails > 0 else 0.0
        return Evaluation(
            open=tuple(sorted(open_set)),
            assignment=tuple(int(j) for j in a),
            cost_per_year=cost,
            maker_profit_per_year=self.maker_constant - maker,
            customer_cost_per_year=self.customer_constant + loss - penalty,
            customer_loss_per_year=loss,
            restore_h_mean=restore,
        )


@dataclass(frozen=True)
class Evaluation:
    """One open set (depot indices) with its assignment (depot index per site) and its yearly figures."""

    open: tuple[int, ...]
    assignment: tuple[int, ...]
    cost_per_year: float  # the minimised objective: total cost, or the maker's network cost
    maker_profit_per_year: float
    customer_cost_per_year: float  # customers' total cost of ownership
    customer_loss_per_year: float  # downtime and perishable losses
    restore_h_mean: float


@dataclass(frozen=True)
class Design:
    """The chosen network, by name."""

    objective: Objective
    n_open: int | None  # None: the number of depots was free
    open: tuple[str, ...]  # in file order
    assignment: dict[str, str]  # site -> depot
    figures: Evaluation
    rounds: int  # MILP solves and local-search evaluations used


# ----------------------------------------------------------------------------- the cost model


def _mean(spec: object, factor: float = 1.0) -> float:
    return float(sampler(spec, factor).mean)  # type: ignore[arg-type]


def _poisson_fill_ebo(m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Palm: pipeline Poisson(m), base stock s (broadcast): fill = P(N ≤ s-1), EBO = E[(N-s)+]."""
    s = np.broadcast_to(s, m.shape)
    fill = np.where(s > 0, stats.poisson.cdf(s - 1, m), 0.0)
    ebo = m - s  # E[(N-s)+] = m - s + Σ_{k<s} (s-k) P(N=k)
    for k in range(int(s.max(initial=0))):
        ebo = ebo + np.where(k < s, (s - k) * stats.poisson.pmf(k, m), 0.0)
    return fill, np.maximum(ebo, 0.0)


def _nearest(sc: Scenario, places: Places, open_set: Sequence[int]) -> np.ndarray:
    """Each site's nearest staffed open depot by technician time (its own depot when open)."""
    staffed = [j for j in open_set if sc.depots[j].technicians > 0] or list(open_set)
    out = np.empty(len(sc.sites), dtype=int)
    names = {d.name: j for j, d in enumerate(sc.depots)}
    for i, s in enumerate(sc.sites):
        own = names.get(s.depot) if s.depot is not None else None
        if own is not None and own in open_set:
            out[i] = own
        else:
            out[i] = min(staffed, key=lambda j: (places.technician_h(sc.depots[j].name, s.name), j))
    return out


@dataclass(frozen=True)
class _Fixed:
    """What the cost model needs that no assignment changes: failure classes, travel, prices, constants."""

    cls_site: np.ndarray  # (C,) per failure class (a component at a site): the site
    cls_rate: np.ndarray  # (C,) failures per year
    cls_part: np.ndarray  # (C,) part index, -1 without a part
    cls_repair_h: np.ndarray  # (C,) mean repair time
    part_rate: np.ndarray  # (I, K) failures per year needing each part
    stream_rate: np.ndarray  # (J, K) demand streams per year
    lead_h: np.ndarray  # (J,) mean replenishment lead time
    stock: np.ndarray  # (J, K) base stock
    dist_km: np.ndarray  # (I, J)
    part_h: np.ndarray  # (I, J)
    tech_h: np.ndarray  # (I, J)
    em_km: np.ndarray  # (I,) central to site
    downtime_per_h: np.ndarray  # (I,)
    promise_h: np.ndarray  # (I,) inf without promise
    penalty_per_h: np.ndarray  # (I,)
    perish_h: np.ndarray  # (I,) inf when nothing perishes
    perish_loss: np.ndarray  # (I,)
    depot_cost: np.ndarray  # (J,)
    maker_constant: float
    customer_constant: float
    allowed: np.ndarray  # (I, J)
    preferred: tuple[int, ...]
    forced: tuple[bool, ...]


def _fixed(sc: Scenario, places: Places) -> _Fixed:
    """The assignment-free inputs of :func:`cost_model`."""
    J, I, K = len(sc.depots), len(sc.sites), len(sc.parts)
    part_index = {p.name: k for k, p in enumerate(sc.parts)}
    depot_index = {d.name: j for j, d in enumerate(sc.depots)}
    models = {m.name: m for m in sc.machine_models}
    plans = {p.name: p for p in sc.service_plans}
    regions = {r.name: r for r in sc.regions}
    price = np.array([p.price * sc.pricing.part_price_multiplier for p in sc.parts])
    unit_cost = np.array([p.unit_cost for p in sc.parts])
    holding_rate = np.array([p.holding_rate_per_year for p in sc.parts])

    classes: list[tuple[int, float, int, float]] = []  # (site, rate per year, part or -1, repair mean h)
    part_rate = np.zeros((I, K))
    for i, s in enumerate(sc.sites):
        factor = plans[s.service_plan].time_to_failure_factor if s.service_plan else 1.0
        for model_name, count in s.machines.items():
            for c in models[model_name].components:
                if not count:
                    continue
                rate = count * HOURS_PER_YEAR / _mean(c.time_to_failure_h, factor)
                k = part_index[c.part] if c.part is not None else -1
                classes.append((i, rate, k, _mean(c.repair_time_h)))
                if k >= 0:
                    part_rate[i, k] += rate
    stream_rate = np.zeros((J, K))
    for ds in sc.demand_streams:
        stream_rate[depot_index[ds.depot], part_index[ds.part]] += ds.rate_per_h * HOURS_PER_YEAR
    fails = np.zeros(I)
    for i, rate, _, _ in classes:
        fails[i] += rate

    def matrix(leg: str) -> np.ndarray:
        get = getattr(places, leg)
        return np.array([[get(d.name, s.name) for d in sc.depots] for s in sc.sites], dtype=float).reshape(I, J)

    promise, penalty = np.full(I, np.inf), np.zeros(I)
    for i, s in enumerate(sc.sites):
        region = regions.get(s.region) if s.region else None
        p = s.promise_h if s.promise_h is not None else (region.promise_h if region else None)
        promise[i] = p if p is not None else np.inf
        penalty[i] = s.late_penalty_per_h if s.late_penalty_per_h is not None else (region.late_penalty_per_h if region else 0.0)
    stock = np.array([[d.base_stock.get(p.name, 0) for p in sc.parts] for d in sc.depots], dtype=int).reshape(J, K)
    holding = (stock * (unit_cost * holding_rate)[None, :]).sum(axis=1)
    depot_cost = np.array([d.fixed_cost_per_year + d.technicians * d.technician_cost_per_year for d in sc.depots]) + holding

    # what no design changes: machines, parts, fees, counter sales; parts bought, replenishment, central holding
    machines_price = machines_cost = contracts = visits = parts_paid = 0.0
    mmult = sc.pricing.machine_price_multiplier
    for i, s in enumerate(sc.sites):
        plan = plans[s.service_plan] if s.service_plan else None
        for model_name, count in s.machines.items():
            m = models[model_name]
            machines_price += count * m.price * mmult / m.life_years
            machines_cost += count * m.cost_to_make / m.life_years
        if plan is not None:
            contracts += sum(s.machines.values()) * plan.fee_per_machine_year
            visits += fails[i] * plan.fee_per_visit
        if plan is None or not plan.parts_included:
            parts_paid += float(part_rate[i] @ price)
    units = part_rate.sum(axis=0) + stream_rate.sum(axis=0)
    central_stock = np.array([(sc.central.base_stock or {}).get(p.name, 0) for p in sc.parts])
    customer_constant = machines_price + parts_paid + visits + contracts
    maker_constant = (
        customer_constant + float(stream_rate.sum(axis=0) @ price) - machines_cost - float(units @ unit_cost)
        - float(units.sum()) * sc.freight.replenishment_cost_per_unit - float((central_stock * unit_cost * holding_rate).sum())
    )
    em = sc.dispatch.emergency.enabled
    cls = np.array(classes, dtype=float).reshape(len(classes), 4)
    return _Fixed(
        cls_site=cls[:, 0].astype(int),
        cls_rate=cls[:, 1],
        cls_part=cls[:, 2].astype(int),
        cls_repair_h=cls[:, 3],
        part_rate=part_rate,
        stream_rate=stream_rate,
        lead_h=np.array([_mean(d.replenishment_lead_time_h or sc.central.transport_lead_time_h) for d in sc.depots]),
        stock=stock,
        dist_km=matrix("distance_km"),
        part_h=matrix("part_h"),
        tech_h=matrix("technician_h"),
        em_km=np.array([places.distance_km(sc.central.name, s.name) if em else 0.0 for s in sc.sites]),
        downtime_per_h=np.array([s.downtime_cost_per_h for s in sc.sites], dtype=float),
        promise_h=promise,
        penalty_per_h=penalty,
        perish_h=np.array([s.perishable.threshold_h if s.perishable else np.inf for s in sc.sites], dtype=float),
        perish_loss=np.array([s.perishable.loss if s.perishable else 0.0 for s in sc.sites], dtype=float),
        depot_cost=depot_cost,
        maker_constant=float(maker_constant),
        customer_constant=float(customer_constant),
        allowed=np.array([[d.technicians > 0 for d in sc.depots]] * I, dtype=bool).reshape(I, J),
        preferred=tuple(depot_index.get(s.depot, -1) if s.depot is not None else -1 for s in sc.sites),
        forced=tuple(any(ds.depot == d.name for ds in sc.demand_streams) for d in sc.depots),
    )


def cost_model(
    sc: Scenario,
    places: Places,
    demand_from: Sequence[int] | np.ndarray | None = None,
    queue_from: Sequence[int] | np.ndarray | None = None,
    queueing: bool = True,
    fixed: _Fixed | None = None,
) -> CostModel:
    """The linear model of ``sc`` with each depot's part demand taken from ``demand_from``.

    ``demand_from`` is a depot index per site (an assignment; default: nearest of all
    candidates) or an (I, J) bool matrix, True where site i's demand loads depot j. A
    depot's fill rate for site i counts the demand of the sites that load it, plus i's own
    demand when i is not among them (the demand it would have if it served i). The
    technicians' queue (``queueing``) is loaded likewise from the assignment ``queue_from``
    (default: as the parts). ``fixed``: :func:`_fixed` of the same scenario, computed once.
    """
    J, I = len(sc.depots), len(sc.sites)
    fx = fixed if fixed is not None else _fixed(sc, places)
    source = np.asarray(demand_from if demand_from is not None else _nearest(sc, places, range(J)))
    counted = source.astype(bool) if source.ndim == 2 else source[:, None] == np.arange(J)[None, :]  # (I, J)

    # fill rate and conditional wait of depot j for site i, part k (I, J, K)
    demand = fx.stream_rate + counted.T.astype(float) @ fx.part_rate  # (J, K) per year
    lam = demand[None, :, :] + np.where(counted[:, :, None], 0.0, fx.part_rate[:, None, :])  # per year
    fill, ebo = _poisson_fill_ebo(lam * fx.lead_h[None, :, None] / HOURS_PER_YEAR, fx.stock[None, :, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        wait_h = np.where(lam > 0, ebo / (lam / HOURS_PER_YEAR), 0.0)  # mean wait of a demand (Little)
        wait_out_h = np.where(fill < 1.0, wait_h / (1.0 - fill), 0.0)  # mean wait of a demand that waits

    queue_load = counted if queue_from is None else np.asarray(queue_from)[:, None] == np.arange(J)[None, :]
    queue_h = _technician_wait_h(sc, fx, queue_load) if queueing else np.zeros((I, J))  # (I, J)

    # per failure class c (a component at a site) and depot j: the restore time in stock and out of stock
    site, rate, k, repair = fx.cls_site, fx.cls_rate[:, None], fx.cls_part, fx.cls_repair_h[:, None]
    has_part = (k >= 0)[:, None]
    kk = np.maximum(k, 0)
    # the technician's queue: on_failure, a technician is requested at the failure (its travel starts after
    # the wait, the part travels meanwhile); with_part, when it must leave to meet the part
    on_failure = sc.dispatch.technician_dispatch == "on_failure"
    t = fx.tech_h[site] + (queue_h[site] if on_failure else 0.0)
    after = 0.0 if on_failure else queue_h[site]
    f = np.where(has_part, fill[site, :, kk], 1.0)
    p_h = fx.part_h[site]
    em = sc.dispatch.emergency
    arrive_in = np.where(has_part, np.maximum(p_h, t), t)
    if em.enabled:
        arrive_out = np.maximum(_mean(em.lead_time_h), t)
    else:
        arrive_out = np.maximum(p_h + wait_out_h[site, :, kk], t)
    r_in, r_out = arrive_in + after + repair, arrive_out + after + repair
    mean_r = f * r_in + (1.0 - f) * r_out
    promise = fx.promise_h[site][:, None]
    with np.errstate(invalid="ignore"):  # inf - inf where a site has no promise
        late = f * np.maximum(np.nan_to_num(r_in - promise, nan=0.0, neginf=0.0), 0.0) + (1.0 - f) * np.maximum(
            np.nan_to_num(r_out - promise, nan=0.0, neginf=0.0), 0.0
        )
    thr = fx.perish_h[site][:, None]
    spoiled = f * (r_in > thr) + (1.0 - f) * (r_out > thr)
    fr = sc.freight
    dist = fx.dist_km[site]
    if em.enabled:
        part_freight = f * fr.normal_cost_per_km * dist + (1.0 - f) * (
            em.cost_per_shipment + fr.emergency_cost_per_km * fx.em_km[site][:, None]
        )
    else:
        part_freight = fr.normal_cost_per_km * dist
    freight = np.where(has_part, part_freight, 0.0) + fr.technician_cost_per_km * 2.0 * dist
    pen = fx.penalty_per_h[site][:, None]
    per_class_loss = rate * (mean_r * fx.downtime_per_h[site][:, None] + spoiled * fx.perish_loss[site][:, None])

    def by_site(x: np.ndarray) -> np.ndarray:
        out = np.zeros((I, J))
        np.add.at(out, site, x)
        return out

    fails = np.bincount(site, weights=fx.cls_rate, minlength=I).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        restore = np.where(fails[:, None] > 0, by_site(rate * mean_r) / fails[:, None], 0.0)
    return CostModel(
        depots=tuple(d.name for d in sc.depots),
        sites=tuple(s.name for s in sc.sites),
        depot_cost=fx.depot_cost,
        maker_cost=by_site(rate * (freight + late * pen)),
        penalty=by_site(rate * late * pen),
        customer_loss=by_site(per_class_loss),
        restore_h=restore,
        failures_per_year=fails,
        allowed=fx.allowed,
        preferred=fx.preferred,
        forced=fx.forced,
        maker_constant=fx.maker_constant,
        customer_constant=fx.customer_constant,
    )


def _technician_wait_h(sc: Scenario, fx: _Fixed, load: np.ndarray) -> np.ndarray:
    """(I, J): the mean wait for a free technician at depot j when it serves site i (M/M/c, Erlang C).

    A visit keeps a technician busy for the drive there and back and the repair. Depot j's
    load is that of the sites ``load`` puts at it, plus site i's own when i is not among
    them. A wait longer than half the statistics window (an overloaded depot: offered load ≥
    its technicians) is cut to half the window, the mean wait of a queue that grows from
    empty over the window at the most.
    """
    I, J = fx.tech_h.shape
    rate = np.bincount(fx.cls_site, weights=fx.cls_rate, minlength=I) / HOURS_PER_YEAR  # visits per hour per site
    repair = np.bincount(fx.cls_site, weights=fx.cls_rate * fx.cls_repair_h, minlength=I) / HOURS_PER_YEAR
    busy = 2.0 * fx.tech_h * rate[:, None] + repair[:, None]  # technician-hours per hour (Erlangs) per site and depot
    load_rate = load.T.astype(float) @ rate  # (J,)
    load_busy = (load * busy).sum(axis=0)  # (J,)
    cap = sc.window_h / 2.0
    out = np.zeros((I, J))
    for j, d in enumerate(sc.depots):
        if d.technicians < 1:
            continue
        lam = load_rate[j] + np.where(load[:, j], 0.0, rate)
        erlangs = load_busy[j] + np.where(load[:, j], 0.0, busy[:, j])
        for i in range(I):
            if lam[i] > 0:
                out[i, j] = min(queue_wait(float(lam[i]), float(erlangs[i] / lam[i]), d.technicians), cap)
    return out



def technician_loads(sc: Scenario, places: Places, e: Evaluation) -> dict[str, float]:
    """Offered load per technician at each open staffed depot of ``e`` (its own assignment), by depot name.

    Technician-hours per hour (drive there and back and the repair, as in
    :func:`_technician_wait_h`) of the sites assigned to the depot, divided by its
    technicians. At 1 or more the queue has no steady state: the cost model caps its wait at
    half the window, so such a design's analytic figures are optimistic and the simulation
    can rank it far lower.
    """
    fx = _fixed(sc, _Remembered(places))
    I = len(sc.sites)
    rate = np.bincount(fx.cls_site, weights=fx.cls_rate, minlength=I) / HOURS_PER_YEAR
    repair = np.bincount(fx.cls_site, weights=fx.cls_rate * fx.cls_repair_h, minlength=I) / HOURS_PER_YEAR
    a = np.asarray(e.assignment, dtype=int)
    busy = 2.0 * fx.tech_h[np.arange(I), a] * rate + repair  # (I,) at the assigned depot
    per_depot = np.bincount(a, weights=busy, minlength=len(sc.depots))
    return {sc.depots[j].name: float(per_depot[j]) / sc.depots[j].technicians
            for j in e.open if sc.depots[j].technicians > 0}


def technician_load_max(sc: Scenario, places: Places, e: Evaluation) -> tuple[float, str]:
    """The highest technician load of the design and its depot (0 and "" with no staffed depot)."""
    loads = technician_loads(sc, places, e)
    if not loads:
        return 0.0, ""
    name = max(loads, key=lambda n: loads[n])
    return loads[name], name


# ----------------------------------------------------------------------------- solvers


def solve(model: CostModel, objective: Objective, n_open: int | None = None) -> Evaluation:
    """The exact optimum of the linear model (HiGHS MILP): the open set and its assignment."""
    J, I = len(model.depots), len(model.sites)
    _check_feasible(model, n_open)
    c_site = np.where(model.allowed, model.site_cost(objective), 0.0)
    c = np.concatenate([model.depot_cost, c_site.ravel()])
    nx = I * J
    lower = np.concatenate([np.array(model.forced, dtype=float), np.zeros(nx)])
    upper = np.concatenate([np.ones(J), model.allowed.ravel().astype(float)])
    xcol = (np.arange(I)[:, None] * J + np.arange(J)[None, :]).ravel() + J  # column of x_ij
    rows: list[LinearConstraint] = []
    # Σ_j x_ij = 1
    serve = sparse.csr_matrix((np.ones(nx), (np.repeat(np.arange(I), J), xcol)), shape=(I, J + nx))
    rows.append(LinearConstraint(serve, 1.0, 1.0))
    # x_ij - y_j <= 0
    r = np.arange(nx)
    link = sparse.csr_matrix(
        (np.concatenate([np.ones(nx), -np.ones(nx)]), (np.concatenate([r, r]), np.concatenate([xcol, np.tile(np.arange(J), I)]))),
        shape=(nx, J + nx),
    )
    rows.append(LinearConstraint(link, -np.inf, 0.0))
    pref = [(i, d) for i, d in enumerate(model.preferred) if d >= 0]
    if pref:  # x_id - y_d >= 0: the site's own depot serves it when open
        n = len(pref)
        data = np.concatenate([np.ones(n), -np.ones(n)])
        ri = np.concatenate([np.arange(n), np.arange(n)])
        ci = np.concatenate([[J + i * J + d for i, d in pref], [d for _, d in pref]])
        rows.append(LinearConstraint(sparse.csr_matrix((data, (ri, ci)), shape=(n, J + nx)), 0.0, np.inf))
    if n_open is not None:
        rows.append(LinearConstraint(np.concatenate([np.ones(J), np.zeros(nx)])[None, :], n_open, n_open))
    integrality = np.concatenate([np.ones(J), np.zeros(nx)])
    res = milp(c, constraints=rows, integrality=integrality, bounds=Bounds(lower, upper),
               options={"mip_rel_gap": 0.0, "disp": False})
    if res.x is None:
        raise DesignError(f"no feasible network ({res.message})")
    open_set = [j for j in range(J) if res.x[j] > 0.5]
    return model.evaluate(open_set, objective)


def brute_force(model: CostModel, objective: Objective, n_open: int | None = None) -> Evaluation:
    """The optimum by trying every open set (2^J): the check on :func:`solve` for small cases."""
    J = len(model.depots)
    _check_feasible(model, n_open)
    forced = {j for j in range(J) if model.forced[j]}
    staffed = {j for j in range(J) if model.allowed[:, j].any()} if len(model.sites) else set(range(J))
    best: Evaluation | None = None
    sizes = [n_open] if n_open is not None else range(1, J + 1)
    for n in sizes:
        for combo in itertools.combinations(range(J), n):
            if not forced <= set(combo) or (len(model.sites) and not staffed & set(combo)):
                continue
            e = model.evaluate(combo, objective)
            if best is None or e.cost_per_year < best.cost_per_year - 1e-9 * max(1.0, abs(e.cost_per_year)):
                best = e
    if best is None:
        raise DesignError("no feasible network")
    return best


def _check_feasible(model: CostModel, n_open: int | None) -> None:
    J, forced = len(model.depots), sum(model.forced)
    if n_open is not None and not 1 <= n_open <= J:
        raise DesignError(f"cannot open {n_open} of {J} depots")
    if n_open is not None and forced > n_open:
        raise DesignError(f"{forced} depots receive demand streams and must be open, more than {n_open}")
    if len(model.sites) and not model.allowed.any():
        raise DesignError("no depot has technicians to serve the sites")


# ----------------------------------------------------------------------------- the design


_CACHE: dict[tuple[str, int | None, str], Design] = {}
_CACHE_SIZE = 64


def design(sc: Scenario, places: Places, n_open: int | None, objective: Objective) -> Design:
    """The best network of ``n_open`` depots (any number when None) for ``objective``.

    Remembered per scenario (a sweep, its warnings and its runs build the same one several
    times); ``places`` must be the scenario's own travel rule (:func:`sim.build.places`).
    """
    key = (sc.model_dump_json(), n_open, objective)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = _design(sc, places, n_open, objective)
    return _CACHE[key]


def _design(sc: Scenario, places: Places, n_open: int | None, objective: Objective) -> Design:
    """The best network of ``n_open`` depots (any number when None) for ``objective``.

    Two sequences of exact solves, each starting with fill rates at the nearest-depot
    loads (every candidate open) and without the technicians' queue. Each next round
    rebuilds the costs from the previous round's assignment (parts: a closed depot counts
    the sites it would take if it joined) and solves again, until a network (open set and
    assignment) repeats; the second sequence adds the queue from the second round (Erlang C
    at each open depot's load, a closed depot's at the one site's own load). The best
    network of all rounds by its own figures (fill rates and queues at its own assignment)
    is then improved by swapping one open depot for a closed one (adding or dropping one
    when the number is free) while that helps (:func:`_swaps`).
    """
    J = len(sc.depots)
    places = _Remembered(places)
    fx = _fixed(sc, places)
    best: Evaluation | None = None
    rounds = 0
    for queueing in (False, True):
        demand_from: np.ndarray = _nearest(sc, places, range(J))
        queue_from: np.ndarray | None = None
        seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        for _ in range(MAX_ROUNDS):
            rounds += 1
            model = cost_model(sc, places, demand_from, queue_from, queueing=queue_from is not None, fixed=fx)
            sol = solve(model, objective, n_open)
            if (sol.open, sol.assignment) in seen:
                break
            seen.add((sol.open, sol.assignment))
            own = cost_model(sc, places, sol.assignment, sol.assignment, fixed=fx).evaluate(sol.open, objective, sol.assignment)
            if best is None or own.cost_per_year < best.cost_per_year:
                best = own
            demand_from = _joined(sc, places, sol)
            queue_from = np.array(sol.assignment, dtype=int) if queueing else None
    assert best is not None
    best, swaps = _swaps(sc, places, fx, best, objective, free=n_open is None)
    rounds += swaps
    names = tuple(sc.depots[j].name for j in best.open)
    assignment = {s.name: sc.depots[j].name for s, j in zip(sc.sites, best.assignment)}
    return Design(objective, n_open, names, assignment, best, rounds)


def _swaps(
    sc: Scenario, places: Places, fx: _Fixed, best: Evaluation, objective: Objective, free: bool
) -> tuple[Evaluation, int]:
    """Local search on the figures: swap one open depot for a closed one (and, when the number
    of depots is ``free``, add or drop one), keep the first move that helps, repeat.

    A moved set's assignment is the cheapest depot per site in the queue-free model at the
    current network's loads; it is judged by its own figures. At most ``MAX_SWAP_PASSES``
    improving moves; depots with demand streams stay open.
    """
    J = len(sc.depots)
    staffed = {j for j in range(J) if fx.allowed[:, j].any()} if len(sc.sites) else set(range(J))
    tried = 0
    for _ in range(MAX_SWAP_PASSES):
        now = set(best.open)
        closed = [j for j in range(J) if j not in now and j in staffed]
        movable = [j for j in best.open if not fx.forced[j]]
        moves = [(now - {out}) | {into} for out in movable for into in closed]
        if free:
            moves += [now | {into} for into in closed] + [now - {out} for out in movable if len(now) > 1]
        base = cost_model(sc, places, best.assignment, queueing=False, fixed=fx)
        improved = False
        for move in moves:
            if len(sc.sites) and not move & staffed:
                continue
            trial = tuple(sorted(move))
            a = base.assign(trial, objective)
            tried += 1
            e = cost_model(sc, places, a, a, fixed=fx).evaluate(trial, objective, a)
            if e.cost_per_year < best.cost_per_year * (1.0 - 1e-9):
                best, improved = e, True
                break
        if not improved:
            break
    return best, tried


def _joined(sc: Scenario, places: Places, sol: Evaluation) -> np.ndarray:
    """(I, J): the demand each depot is loaded with for the next round.

    An open depot: the sites assigned to it. A closed depot: the sites nearer to it than to
    their assigned depot, the demand it would draw if it joined (not zero).
    """
    I, J = len(sc.sites), len(sc.depots)
    out = np.zeros((I, J), dtype=bool)
    out[np.arange(I), np.array(sol.assignment, dtype=int)] = True
    closed = [j for j, d in enumerate(sc.depots) if j not in sol.open and d.technicians > 0]
    for i, s in enumerate(sc.sites):
        here = places.technician_h(sc.depots[sol.assignment[i]].name, s.name)
        for j in closed:
            out[i, j] = places.technician_h(sc.depots[j].name, s.name) < here
    return out


def evaluate_open(sc: Scenario, places: Places, open_names: Sequence[str], objective: Objective) -> Evaluation:
    """The figures of a given open set (an explicit list) with the nearest-depot assignment, as ``build`` makes it."""
    index = {d.name: j for j, d in enumerate(sc.depots)}
    open_set = sorted(index[n] for n in open_names)
    nearest = _nearest(sc, places, open_set)
    return cost_model(sc, places, nearest).evaluate(open_set, objective, nearest)
