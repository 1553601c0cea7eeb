"""Closed-form evaluation of a built network: Palm, METRIC and VARI-METRIC per location and part.

:func:`analyse` is pure and fast (no random numbers): it derives each depot's part demand
from the fleet (machines x 1 / mean time to failure of every component using the part,
service-plan factors included, times the machine's availability: a machine that is down
does not age) plus the demand streams, evaluates every depot and the central warehouse
with :mod:`sim.theory`, and rolls the result up into fleet figures (restore time,
availability, downtime cost, inventory investment, holding cost). Money comes from the
network's :class:`~sim.ledger.PriceList` only. docs/analytic.md states every formula and
which figures are exact and which approximate.

Two stock models, chosen by the scenario's dispatch:

* **backorder** (no emergency shipments, or a central warehouse with its own stock):
  METRIC / VARI-METRIC, Palm with one echelon. With emergency shipments and a finite
  central warehouse the emergencies are ignored (approximate; said in the notes).
* **loss** (emergency shipments from an infinite central warehouse): a depot out of stock
  sends the demand to central and orders nothing, so the depot is an M/G/S/S loss system:
  fill rate 1 − B(S, λL) (Erlang B, exact for Poisson demand, any lead-time law), no
  backorders, emergency share B.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

import numpy as np
from scipy import stats

from sim.build import HOURS_PER_YEAR, CentralSpec, DepotSpec, Network
from sim.distributions import Deterministic, Sampler
from sim.ledger import PriceList
from sim.theory import BaseStockResult, central_resupply_mean, erlang_loss, metric, negbin_base_stock, queue_wait

Method = Literal["metric", "vari-metric"]
METHODS: tuple[Method, ...] = ("metric", "vari-metric")
CENTRAL = "central"
LOAD_FLAG = 0.7  # offered load above which a queue (repair shop, technicians) makes the figures optimistic
FIXED_POINT_ROUNDS = 6  # demand depends on availability, availability on restore times: a few rounds
AVAILABILITY_TOL = 1e-7  # ... until no machine's availability moves by more than this


@dataclass(frozen=True, slots=True)
class StockRow:
    """One location and part: the stock figures of one method."""

    method: str
    location: str  # a depot's name, or "central"
    part: str
    base_stock: int
    demand_per_h: float
    pipeline_mean: float
    pipeline_var: float
    ebo: float
    fill_rate: float
    part_wait_mean_h: float  # EBO / demand rate (Little): allocation wait, as the KPI
    emergency_share: float  # demands sent to central as emergencies (loss model), else 0
    exact: bool  # exact for Poisson demand (Palm, Erlang loss, METRIC's exact cases)


@dataclass(frozen=True, slots=True)
class ShopLoad:
    """Offered load of a repair shop or a depot's technicians (no queue in the formulas)."""

    kind: str  # "repair shop" or "technicians"
    location: str
    servers: int
    load: float  # arrival rate x mean service time / servers

    @property
    def high(self) -> bool:
        """Above :data:`LOAD_FLAG`: queues form that the closed forms ignore."""
        return self.load > LOAD_FLAG


@dataclass(frozen=True, slots=True)
class FleetFigures:
    """Fleet-level figures of one method (approximate: see docs/analytic.md)."""

    failures_per_h: float
    restore_time_mean_h: float
    availability: float
    downtime_h_per_year: float
    downtime_cost_per_year: float
    part_demand_per_h: float
    fill_rate: float  # demand-weighted over depots: served at once from the assigned depot
    emergency_share: float
    lateral_share: float  # served from another depot's shelf (loss model with laterals)
    backorders: float  # expected backorders summed over depots and parts
    part_wait_mean_h: float  # backorders / part demand rate (the KPI's definition)
    inventory_investment: float  # base stock x unit cost, depots and central
    holding_cost_per_year: float  # units owned (base stock + depot backorders) x unit cost x rate


@dataclass(frozen=True, slots=True)
class SiteFigures:
    """One customer site's figures (approximate, as the fleet's)."""

    site: str
    depot: str
    machines: int
    failures_per_h: float
    restore_time_mean_h: float
    availability: float
    downtime_cost_per_year: float


@dataclass(frozen=True, slots=True)
class Analysis:
    """The closed-form evaluation of a network by one method."""

    method: str
    model: str  # "backorder" or "loss"
    rows: tuple[StockRow, ...]
    fleet: FleetFigures
    loads: tuple[ShopLoad, ...]
    notes: tuple[str, ...]  # what the formulas leave out for this network
    sites: tuple[SiteFigures, ...] = ()


@dataclass(frozen=True, slots=True)
class RepairMix:
    """How a failed unit of a part is resupplied (consumable: share 0, condemnation 1)."""

    repairable: bool
    depot_share: float
    depot_repair_mean_h: float
    return_mean_h: float
    central_repair_mean_h: float
    condemnation_share: float
    deterministic: bool  # return and central repair times are constants


CONSUMABLE = RepairMix(False, 0.0, 0.0, 0.0, 0.0, 1.0, True)


def repair_mix(net: Network, part: int) -> RepairMix:
    """The repair mix of a part, from its spec (a consumable part is never repaired)."""
    p = net.parts[part]
    if not p.repairable:
        return CONSUMABLE
    central_repair = p.central_repair_time or p.depot_repair_time  # the engine's fallback
    return RepairMix(
        True, p.depot_repair_share, _mean(p.depot_repair_time), _mean(p.return_time), _mean(central_repair),
        p.condemnation_share, _deterministic(p.return_time) and _deterministic(central_repair),
    )


def _mean(s: Sampler | None) -> float:
    return float(s.mean) if s is not None else 0.0


def _deterministic(s: Sampler | None) -> bool:
    return s is None or isinstance(s, Deterministic)


def _loss_moments(rate: float, lead_h: float, base_stock: int) -> tuple[float, float, float]:
    """(blocking B, mean, variance) of the units out in an M/G/S/S loss system (truncated Poisson)."""
    a = rate * lead_h
    if base_stock == 0 or a == 0.0:
        return (1.0 if base_stock == 0 and rate > 0 else 0.0), 0.0, 0.0
    b = erlang_loss(rate, lead_h, base_stock)
    k = np.arange(base_stock + 1)
    logp = stats.poisson.logpmf(k, a)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    mean = float((k * p).sum())
    return b, mean, max(float((k * k * p).sum()) - mean * mean, 0.0)


class _Groups:
    """Machines grouped by (site, model): identical for the formulas."""

    def __init__(self, net: Network) -> None:
        counts: dict[tuple[int, int], int] = defaultdict(int)
        first: dict[tuple[int, int], int] = {}
        for i, m in enumerate(net.machines):
            key = (m.site, m.model)
            counts[key] += 1
            first.setdefault(key, i)
        self.keys = sorted(counts)
        self.count = [counts[k] for k in self.keys]
        self.components = [net.machines[first[k]].components for k in self.keys]


def analyse(net: Network, method: Method = "vari-metric") -> Analysis:
    """Evaluate ``net`` in closed form with ``method`` (pure, deterministic)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    n_parts, n_depots = len(net.parts), len(net.depots)
    prices = PriceList.of(net)
    groups = _Groups(net)
    mixes = [repair_mix(net, k) for k in range(n_parts)]
    central_finite = not net.central.infinite
    loss_model = net.policy.emergency and not central_finite
    lateral_depots = _lateral_depots(net)
    stream_rate = np.zeros((n_depots, n_parts))
    for st in net.streams:
        stream_rate[st.depot, st.part] += st.rate_per_h
    emergency_h = _mean(net.policy.emergency_lead_time)

    fp = _fixed_point(net, method, groups, mixes, loss_model, lateral_depots, stream_rate, emergency_h)
    availability, restore, tech_loads = fp.availability, fp.restore, fp.tech_loads
    site_rate, fleet_rate, rates = fp.site_rate, fp.fleet_rate, fp.rates
    # the rows of the last round's rates (the fixed point itself needs only how demands are served)
    rows, stock = _stock(net, method, rates, fleet_rate, site_rate, mixes, loss_model, lateral_depots)

    fleet = _fleet_figures(net, prices, groups, availability, restore, rows, rates, stock, site_rate)
    loads = _loads(net, tech_loads, fleet_rate, mixes)
    notes = _notes(net, loss_model, lateral_depots, stream_rate, loads, mixes)
    sites = _site_figures(net, prices, groups, availability, restore)
    return Analysis(method, "loss" if loss_model else "backorder", tuple(rows), fleet, loads, notes, sites)


def demand_per_h(net: Network, method: Method = "vari-metric") -> np.ndarray:
    """Part demand per hour per depot and part, shape (depots, parts): :func:`analyse`'s ``demand_per_h`` rows.

    The fleet's failure rate × availability (a down machine does not age) plus the demand
    streams, at the fixed point with the restore times, computed as :func:`analyse` does (it
    calls the same fixed point), without the per-location stock rows: with emergency
    shipments from an ample central and no laterals (the loss model), the depots' blocking is
    one vectorised Erlang B over every depot and part, so 50 depots × 1,000 parts take well
    under a second; without emergencies and with an ample central (Palm at every depot) one
    vectorised Poisson law. A central warehouse with stock or laterals: METRIC / VARI-METRIC
    per part, as in the rows.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    groups = _Groups(net)
    mixes = [repair_mix(net, k) for k in range(len(net.parts))]
    loss_model = net.policy.emergency and net.central.infinite
    stream_rate = np.zeros((len(net.depots), len(net.parts)))
    for st in net.streams:
        stream_rate[st.depot, st.part] += st.rate_per_h
    fp = _fixed_point(net, method, groups, mixes, loss_model, _lateral_depots(net), stream_rate,
                      _mean(net.policy.emergency_lead_time))
    return fp.rates


@dataclass(frozen=True, slots=True)
class _FixedPoint:
    """Demand and restore times at the availability fixed point (the last round's)."""

    availability: list[float]
    site_rate: np.ndarray
    fleet_rate: np.ndarray
    rates: np.ndarray
    restore: list[list[float]]
    tech_loads: list[float]


def _fixed_point(
    net: Network,
    method: Method,
    groups: _Groups,
    mixes: list[RepairMix],
    loss_model: bool,
    lateral_depots: set[int],
    stream_rate: np.ndarray,
    emergency_h: float,
) -> _FixedPoint:
    """Demand depends on availability, availability on restore times, restore times on how demand is served."""
    availability = [1.0] * len(groups.keys)
    loss_fast = loss_model and not lateral_depots
    palm_fast = not loss_model and net.central.infinite and not lateral_depots
    for _ in range(FIXED_POINT_ROUNDS):
        site_rate = _fleet_demand(net, groups, availability)
        fleet_rate = _by_depot(net, site_rate)
        rates = fleet_rate + stream_rate
        stock: Mapping[tuple[int, int], _Served]
        if loss_fast:
            stock = _LossServed(net, _loss_blocking(net, rates, fleet_rate, mixes))
        elif palm_fast:
            stock = _PalmServed(net, *_palm_fill_wait(net, rates, fleet_rate, mixes))
        else:
            _, stock = _stock(net, method, rates, fleet_rate, site_rate, mixes, loss_model, lateral_depots)
        restore, tech_loads = _restore_times(net, groups, availability, stock, emergency_h)
        previous = availability
        availability = [1.0 / (1.0 + sum(r / c.time_to_failure.mean for r, c in zip(rs, comps)))
                        for rs, comps in zip(restore, groups.components)]
        if max((abs(a - b) for a, b in zip(availability, previous)), default=0.0) < AVAILABILITY_TOL:
            break
    return _FixedPoint(availability, site_rate, fleet_rate, rates, restore, tech_loads)


def _loss_blocking(net: Network, rates: np.ndarray, fleet_rate: np.ndarray, mixes: list[RepairMix]) -> np.ndarray:
    """Erlang B of every depot and part at once (loss model without laterals), shape (depots, parts).

    The same operations as :func:`_stock` → :func:`_loss_part` → :func:`sim.theory.erlang_loss`
    element by element, so the figures are bit for bit theirs.
    """
    share = np.array([m.depot_share for m in mixes])
    repair = np.array([m.depot_repair_mean_h for m in mixes])
    transport = np.array([_mean(d.replenishment_lead_time) for d in net.depots])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(rates > 0, share * fleet_rate / np.where(rates > 0, rates, 1.0), 0.0)
    lead = r * repair + (1.0 - r) * transport
    stocks = np.array([list(d.base_stock) for d in net.depots], dtype=np.int64).reshape(rates.shape)
    a = rates * lead
    b = np.ones_like(a)
    for k in range(1, int(stocks.max(initial=0)) + 1):
        b = np.where(stocks >= k, a * b / (k + a * b), b)
    return b


def _palm_fill_wait(
    net: Network, rates: np.ndarray, fleet_rate: np.ndarray, mixes: list[RepairMix]
) -> tuple[np.ndarray, np.ndarray]:
    """(fill, mean wait per demand) of every depot and part at once: backorder model, ample central, no laterals.

    METRIC and VARI-METRIC both reduce to Palm there (no central delay): pipeline
    Poisson(λ · (r·A + (1 − r)·O)), fill P(N ≤ S − 1), EBO = λT − S + E[(S − N)^+], wait
    EBO / λ for the demands that wait (as :func:`_stock`). Equal to :func:`_stock`'s figures
    up to rounding.
    """
    share = np.array([m.depot_share for m in mixes])
    repair = np.array([m.depot_repair_mean_h for m in mixes])
    transport = np.array([_mean(d.replenishment_lead_time) for d in net.depots])[:, None]
    positive = rates > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(positive, share * fleet_rate / np.where(positive, rates, 1.0), 0.0)
    a = rates * (r * repair + (1.0 - r) * transport)
    stocks = np.array([list(d.base_stock) for d in net.depots], dtype=np.int64).reshape(rates.shape)
    fill = np.where(stocks > 0, stats.poisson.cdf(stocks - 1, a), 0.0)
    on_hand = np.zeros_like(a)  # E[(S - N)^+] = Σ_{k<S} P(N <= k)
    for k in range(int(stocks.max(initial=0))):
        on_hand += np.where(k < stocks, stats.poisson.cdf(k, a), 0.0)
    ebo = np.maximum(a - stocks + on_hand, 0.0)
    fill = np.where(positive, fill, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = np.where(positive & (fill < 1.0), ebo / np.where(positive, rates, 1.0), 0.0)
    return fill, wait


class _PalmServed(Mapping[tuple[int, int], "_Served"]):
    """How each (site, part) demand is served with Palm at its depot (ample central, no laterals)."""

    def __init__(self, net: Network, fill: np.ndarray, wait: np.ndarray) -> None:
        self._depot = [s.depot for s in net.sites]
        self._fill, self._wait = fill, wait

    def __getitem__(self, key: tuple[int, int]) -> _Served:
        j = self._depot[key[0]]
        return _Served(float(self._fill[j, key[1]]), 0.0, float(self._wait[j, key[1]]))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((s, k) for s in range(len(self._depot)) for k in range(self._fill.shape[1]))

    def __len__(self) -> int:
        return len(self._depot) * self._fill.shape[1]


class _LossServed(Mapping[tuple[int, int], "_Served"]):
    """How each (site, part) demand is served in the loss model without laterals: its depot's blocking."""

    def __init__(self, net: Network, blocked: np.ndarray) -> None:
        self._depot = [s.depot for s in net.sites]
        self._blocked = blocked

    def __getitem__(self, key: tuple[int, int]) -> _Served:
        b = float(self._blocked[self._depot[key[0]], key[1]])
        return _Served(1.0 - b, b, 0.0, 0.0, 0.0)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((s, k) for s in range(len(self._depot)) for k in range(self._blocked.shape[1]))

    def __len__(self) -> int:
        return len(self._depot) * self._blocked.shape[1]


def _lateral_depots(net: Network) -> set[int]:
    """Depots that send or receive lateral transshipments (none without the lateral policy)."""
    found: set[int] = set()
    if not net.policy.lateral:
        return found
    for s in net.sites:
        if s.laterals:
            found.add(s.depot)
            found.update(lane.depot for lane in s.laterals)
    return found


def _fleet_demand(net: Network, groups: _Groups, availability: list[float]) -> np.ndarray:
    """Part demand per hour of the fleet, per site and part: machines x A x 1/MTTF per component."""
    rate = np.zeros((len(net.sites), len(net.parts)))
    for (site, _), count, comps, a in zip(groups.keys, groups.count, groups.components, availability):
        for c in comps:
            if c.part >= 0:
                rate[site, c.part] += count * a / c.time_to_failure.mean
    return rate


def _by_depot(net: Network, site_rate: np.ndarray) -> np.ndarray:
    """Per-site rates summed per assigned depot."""
    rate = np.zeros((len(net.depots), site_rate.shape[1]))
    for s, site in enumerate(net.sites):
        rate[site.depot] += site_rate[s]
    return rate


@dataclass(frozen=True, slots=True)
class _Served:
    """How a site's demand for a part is served, on average."""

    fill: float  # from the assigned depot's shelf
    emergency: float
    wait_h: float  # EBO / rate, over all demands
    lateral: float = 0.0  # from another depot's shelf
    lateral_h: float = 0.0  # mean shipment time of a lateral


def _loss_part(
    net: Network, k: int, own: list[float], site_rate: np.ndarray, leads: list[float], stocks: list[int]
) -> tuple[list[float], list[float], dict[int, _Served]]:
    """Loss model of one part with lateral transshipments: (blocking B_j, effective rate per depot, per-site service).

    A site's demand that finds its depot empty tries its lateral depots in order; one with
    stock sends the unit (and reorders: its rate grows by the flow), else the demand is an
    emergency. P(every depot of the site's group empty) is the larger of the product of the
    blocking probabilities (independent stock-outs, the usual approximation, e.g. Axsäter
    1990) and the blocking of the group pooled as one loss system (Erlang B of the summed
    stock and load: exact when the group lends fully within itself). Independence alone is
    far too optimistic, because stock-outs of depots that lend to each other come together.
    The lateral share is the rest of the home stock-outs; the lent flows (independent
    stock-outs, lanes tried in order) raise the lenders' rates: a fixed point. Under heavy
    load (fill well below 0.8) overflow demand is burstier than Poisson and the fill rate at
    the home depot comes out optimistic.
    """
    lanes = [site.laterals if net.policy.lateral else () for site in net.sites]
    pooled = []
    for s_i, site in enumerate(net.sites):
        group = [site.depot, *(lane.depot for lane in lanes[s_i])]
        pooled.append(erlang_loss(1.0, sum(own[g] * leads[g] for g in group), sum(stocks[g] for g in group))
                      if lanes[s_i] else 0.0)

    def split(s_i: int, blocked: list[float]) -> tuple[float, list[float]]:
        """(emergency probability, probability per lane that it lends) of a demand at site ``s_i``.

        The lane probabilities assume independent stock-outs (they feed the lenders' rates);
        the emergency probability is corrected for correlation by the pooled figure.
        """
        b0 = blocked[net.sites[s_i].depot]
        p, got = b0, []
        for lane in lanes[s_i]:
            got.append(p * (1.0 - blocked[lane.depot]))
            p *= blocked[lane.depot]
        return min(max(p, pooled[s_i]), b0), got

    eff = list(own)
    blocked = [0.0] * len(own)
    for _ in range(100):
        blocked = [erlang_loss(lam, lead, s) if lam > 0 else (1.0 if s == 0 else 0.0)
                   for lam, lead, s in zip(eff, leads, stocks)]
        inflow = [0.0] * len(own)
        for s_i in range(len(net.sites)):
            _, got = split(s_i, blocked)
            for lane, g in zip(lanes[s_i], got):
                inflow[lane.depot] += float(site_rate[s_i, k]) * g
        new = [o + f for o, f in zip(own, inflow)]
        done = max((abs(a - b) for a, b in zip(new, eff)), default=0.0) <= 1e-13 * max(max(new, default=0.0), 1e-300)
        eff = new
        if done:
            break
    served: dict[int, _Served] = {}
    for s_i, site in enumerate(net.sites):
        emergency, got = split(s_i, blocked)
        lent = sum(got)
        lateral_h = sum(g * lane.time_h for g, lane in zip(got, lanes[s_i])) / lent if lent > 0 else 0.0
        served[s_i] = _Served(1.0 - blocked[site.depot], emergency, 0.0, blocked[site.depot] - emergency, lateral_h)
    return blocked, eff, served


def _stock(
    net: Network,
    method: Method,
    rates: np.ndarray,
    fleet_rate: np.ndarray,
    site_rate: np.ndarray,
    mixes: list[RepairMix],
    loss_model: bool,
    lateral_depots: set[int],
) -> tuple[list[StockRow], dict[tuple[int, int], _Served]]:
    """Rows per location and part, and how each (site, part) demand is served."""
    rows: list[StockRow] = []
    served: dict[tuple[int, int], _Served] = {}
    central = net.central
    for k, part in enumerate(net.parts):
        mix = mixes[k]
        depot_rate = [float(x) for x in rates[:, k]]
        # the fleet's units are repaired at their depot with the part's share; counter sales never are
        shares = [mix.depot_share * float(fleet_rate[j, k]) / lam if lam > 0 else 0.0 for j, lam in enumerate(depot_rate)]
        transport = [_mean(d.replenishment_lead_time) for d in net.depots]
        stocks = [d.base_stock[k] for d in net.depots]
        if loss_model:
            leads = [r * mix.depot_repair_mean_h + (1.0 - r) * t for r, t in zip(shares, transport)]
            blocked, eff, by_site = _loss_part(net, k, depot_rate, site_rate, leads, stocks)
            emergency = [0.0] * len(stocks)
            for s_i, site in enumerate(net.sites):
                served[(s_i, k)] = by_site[s_i]
                emergency[site.depot] += float(site_rate[s_i, k]) * by_site[s_i].emergency
            for j, d in enumerate(net.depots):
                lam = depot_rate[j]
                _, mean, var = _loss_moments(eff[j], leads[j], stocks[j])
                exact = j not in lateral_depots and stream_free(net, j, k) and (d.repair_servers is None or mix.depot_share == 0)
                rows.append(StockRow(method, d.name, part.name, stocks[j], lam, mean, var, 0.0,
                                     1.0 - blocked[j] if lam > 0 else 1.0, 0.0,
                                     emergency[j] / lam if lam > 0 else 0.0, exact))
            continue
        p_mean = _mean(central.factory_lead_time)
        # central's resupply: a fleet carcass is repaired (or condemned and bought); a counter sale is bought
        fleet_c = sum(float(fleet_rate[j, k]) * (1.0 - mix.depot_share) for j in range(len(stocks)))
        stream_c = sum(depot_rate) - float(fleet_rate[:, k].sum())
        t_fleet = (central_resupply_mean(mix.condemnation_share, mix.return_mean_h, mix.central_repair_mean_h, p_mean)
                   if mix.repairable else p_mean)
        t0 = (fleet_c * t_fleet + stream_c * p_mean) / (fleet_c + stream_c) if fleet_c + stream_c > 0 else t_fleet
        s0 = central.base_stock[k] if not central.infinite else None
        repair_means = [mix.depot_repair_mean_h] * len(stocks)
        res = metric(depot_rate, transport, stocks, t0, s0, method, depot_repair_shares=shares,
                     depot_repair_means=repair_means)
        central_exact = s0 is None or (s0 == 0 and _central_deterministic(net, mix, stream_c > 0))
        stream = [lam - float(fleet_rate[j, k]) for j, lam in enumerate(depot_rate)]
        lent, split = _lateral_backorder(net, k, depot_rate, stream, site_rate, list(res.depot_resupply_mean), stocks,
                                         list(res.depot_pipeline_variance))
        for j, d in enumerate(net.depots):
            r = res.depots[j]
            sites_j = [s_i for s_i, site in enumerate(net.sites) if site.depot == j]
            if j in lent:  # lends or borrows: the thinned pipeline replaces METRIC's Poisson / negative binomial
                x = lent[j]
                # backorders by Little: backordered demands x their wait (the pooled group's; counter
                # sales and sites without laterals: the thinned pipeline's)
                own_wait = x.ebo / (stream[j] * (1.0 - x.fill) + sum(
                    float(site_rate[s_i, k]) * split(s_i, x.fill)[0] for s_i in sites_j) or 1.0)
                ebo = stream[j] * (1.0 - x.fill) * own_wait
                for s_i in sites_j:
                    b, _, _, w = split(s_i, x.fill)
                    ebo += float(site_rate[s_i, k]) * b * (own_wait if w is None else w)
                r = BaseStockResult(x.fill, ebo, 0.0, 0.0, x.pipeline_mean)
            lam = depot_rate[j]
            exact = central_exact and j not in lateral_depots and (d.repair_servers is None or mix.depot_share == 0)
            wait = r.expected_backorders / lam if lam > 0 else 0.0
            var = lent[j].pipeline_var if j in lent else res.depot_pipeline_variance[j]
            rows.append(StockRow(method, d.name, part.name, stocks[j], lam, r.pipeline_mean, var,
                                 r.expected_backorders, r.fill_rate if lam > 0 else 1.0, wait, 0.0, exact))
            # who waits: home stock-outs that no lateral depot could serve (counter sales never try one)
            waiting = stream[j] * (1.0 - r.fill_rate) + sum(float(site_rate[s_i, k]) * split(s_i, r.fill_rate)[0]
                                                             for s_i in sites_j)
            per_wait = r.expected_backorders / waiting if waiting > 0 else 0.0  # mean wait of one that waits
            for s_i in sites_j:
                backordered, lateral, lateral_h, _ = split(s_i, r.fill_rate)
                served[(s_i, k)] = _Served(r.fill_rate if lam > 0 else 1.0, 0.0, backordered * per_wait,
                                           lateral, lateral_h)
        if s0 is not None:
            c = res.central
            lam0 = res.central_demand_rate
            # central sees every depot order: Poisson for Poisson demand, with iid resupply (Palm)
            exact0 = not mix.repairable or (
                not net.policy.emergency and not lateral_depots and central.repair_servers is None
            )
            rows.append(StockRow(method, CENTRAL, part.name, s0, lam0, c.pipeline_mean, c.pipeline_mean,
                                 c.expected_backorders, c.fill_rate if lam0 > 0 else 1.0,
                                 c.mean_wait if lam0 > 0 else 0.0, 0.0, exact0))
    return rows, served


@dataclass(frozen=True, slots=True)
class _Lent:
    """A depot's stock figures when it lends and borrows laterally (backorder model)."""

    fill: float
    ebo: float
    pipeline_mean: float
    pipeline_var: float


def _thinned_pipeline(a_low: float, a_high: float, base_stock: int) -> np.ndarray:
    """P(N = n) of outstanding orders when demand arrives at load ``a_low`` below the base stock and
    ``a_high`` at or above it (the M/M/inf birth-death law, used for any lead-time law)."""
    top = base_stock + int(10.0 * math.sqrt(a_high + 1.0) + a_high) + 20
    n = np.arange(top + 1)
    low = math.log(a_low) if a_low > 0 else -math.inf
    high = math.log(a_high) if a_high > 0 else -math.inf
    with np.errstate(invalid="ignore"):  # 0 x -inf: state 0 has probability weight 1 (set below)
        logp = np.where(n <= base_stock, n * low, base_stock * low + (n - base_stock) * high)
    logp = np.nan_to_num(logp, nan=-np.inf) - np.array([math.lgamma(x + 1.0) for x in n])
    logp[0] = 0.0
    p = np.exp(logp - logp.max())
    return p / p.sum()


def _lateral_backorder(
    net: Network, k: int, own: list[float], stream: list[float], site_rate: np.ndarray, resupply_h: list[float],
    stocks: list[int], pipeline_var: list[float],
) -> tuple[dict[int, _Lent], Callable[[int, float], tuple[float, float, float, float | None]]]:
    """Backorder model with lateral transshipments, for the depots that lend or borrow.

    A site's demand that finds its depot's shelf empty takes a unit from the first lateral
    depot with one (which orders it), else it backorders at home and the home depot orders.
    So a depot's orders arrive at its own rate plus what it lends while it has stock, and at
    its own rate thinned to the demands no lateral could serve once it is empty: outstanding
    orders follow that birth-death law (exact for exponential lead times and independent
    shelves; approximate otherwise). Shelves are taken as independent and the rates found by
    fixed point. A demand backorders when its whole group (home and lateral depots) is
    empty: as in the loss model, the larger of the independent product and the pooled
    group's figure — every demand of the group puts one order somewhere in it, so the
    group's outstanding orders are Poisson(Σ λ_g T_g) and its backorders those above the
    summed stock (Palm; exact when the group lends fully within itself; with VARI-METRIC a
    negative binomial with the summed pipeline variances ``pipeline_var``). A backordered
    demand waits the pooled group's mean wait. Returns the figures of the depots involved
    and ``split(site, home fill) -> (backordered, lateral, mean lateral time, wait given a
    backorder or None)``.
    """
    lanes = [site.laterals if net.policy.lateral else () for site in net.sites]
    empty = [0.0] * len(own)
    pooled: list[tuple[float, float] | None] = []  # per site: P(group empty), wait given a backorder
    for s_i, site in enumerate(net.sites):
        if not lanes[s_i]:
            pooled.append(None)
            continue
        group = [site.depot, *(lane.depot for lane in lanes[s_i])]
        rate = sum(own[g] for g in group)
        mu, total = sum(own[g] * resupply_h[g] for g in group), sum(stocks[g] for g in group)
        if rate <= 0:
            pooled.append((0.0, 0.0))
            continue
        x = negbin_base_stock(rate, mu, max(sum(pipeline_var[g] for g in group), mu), total)
        p_empty = 1.0 - x.fill_rate if total > 0 else 1.0
        pooled.append((p_empty, x.expected_backorders / (rate * p_empty) if p_empty > 0 else 0.0))

    def split(s_i: int, home_fill: float) -> tuple[float, float, float, float | None]:
        p, lateral, lateral_h = 1.0 - home_fill, 0.0, 0.0
        for lane in lanes[s_i]:
            got = p * (1.0 - empty[lane.depot])
            lateral += got
            lateral_h += got * lane.time_h
            p *= empty[lane.depot]
        lateral_h = lateral_h / lateral if lateral > 0 else 0.0
        group = pooled[s_i]
        if group is None:
            return p, lateral, lateral_h, None
        backordered = min(max(p, group[0]), 1.0 - home_fill)
        return backordered, 1.0 - home_fill - backordered, lateral_h, group[1]

    involved = {site.depot for site, ln in zip(net.sites, lanes) if ln} | {lane.depot for ln in lanes for lane in ln}
    if not involved:
        return {}, split
    figures: dict[int, _Lent] = {}
    for _ in range(200):
        inflow = [0.0] * len(own)
        waits = list(stream)  # demand that backorders when the shelf is empty: counter sales always
        for s_i, site in enumerate(net.sites):
            rate = float(site_rate[s_i, k])
            p = rate
            for lane in lanes[s_i]:
                inflow[lane.depot] += rate * empty[site.depot] * (p / rate if rate else 0.0) * (1.0 - empty[lane.depot])
                p *= empty[lane.depot]
            waits[site.depot] += p
        new_empty = list(empty)
        for j in involved:
            t, s = resupply_h[j], stocks[j]
            # below S: own demand and lent units; at or above S: only those no lateral could serve
            pmf = _thinned_pipeline((own[j] + inflow[j] / max(1.0 - empty[j], 1e-300)) * t, waits[j] * t, s)
            n = np.arange(pmf.size)
            mean = float((n * pmf).sum())
            fill = float(pmf[:s].sum())
            figures[j] = _Lent(fill, float((np.maximum(n - s, 0) * pmf).sum()), mean,
                               max(float((n * n * pmf).sum()) - mean * mean, 0.0))
            new_empty[j] = 1.0 - fill
        done = max(abs(a - b) for a, b in zip(new_empty, empty)) <= 1e-12
        empty = new_empty
        if done:
            break
    return figures, split


def stream_free(net: Network, depot: int, part: int) -> bool:
    """No demand stream for ``part`` arrives at ``depot`` (its demands backorder, not go emergency)."""
    return not any(st.depot == depot and st.part == part for st in net.streams)


def _central_deterministic(net: Network, mix: RepairMix, streams: bool) -> bool:
    """The central resupply time is a constant (S0 = 0 then delays every depot order by exactly it)."""
    bought = _deterministic(net.central.factory_lead_time)
    if not mix.repairable or mix.condemnation_share >= 1.0:
        return bought
    if mix.condemnation_share > 0.0 or streams:  # a mixture of repair and purchase
        return False
    return mix.deterministic


def _arrival(s: _Served | None, pt: float, tt: float, emergency_h: float) -> float:
    """Mean time from failure until part and technician are both on site (no technician queue).

    fill·max(part time, tech time) + lateral·max(lateral time, tech time) + emergency·max(emergency
    lead, tech time) + backordered·max(part time + wait given a backorder, tech time).
    """
    if s is None:  # the failure needs no part
        return tt
    backordered = max(1.0 - s.fill - s.emergency - s.lateral, 0.0)
    arrival = s.fill * max(pt, tt) + s.emergency * max(emergency_h, tt) + s.lateral * max(s.lateral_h, tt)
    if backordered > 0:
        arrival += backordered * max(pt + s.wait_h / backordered, tt)
    return arrival


def _restore_times(
    net: Network,
    groups: _Groups,
    availability: list[float],
    served: Mapping[tuple[int, int], _Served],
    emergency_h: float,
) -> tuple[list[list[float]], list[float]]:
    """Mean restore time per group and component, and each depot's technicians' offered load per technician.

    Restore = arrival (:func:`_arrival`) + technician queue wait + repair. A depot's
    technicians are an M/G/c queue of jobs (busy from leaving to coming back: travel both ways
    and the repair, plus, when dispatched at failure, the wait on site for the part); its
    wait is Erlang C scaled by (1 + scv)/2 (:func:`sim.theory.queue_wait`). Dispatched with the
    part, the wait delays the restore; dispatched at failure, it overlaps the part's trip.
    """
    n_depots = len(net.depots)
    rate, busy, busy2 = [0.0] * n_depots, [0.0] * n_depots, [0.0] * n_depots
    arrivals: list[list[float]] = []
    with_part = net.policy.technician_with_part
    for (site_i, _), count, comps, a in zip(groups.keys, groups.count, groups.components, availability):
        site = net.sites[site_i]
        tt, pt = site.technician_time_h, site.part_time_h
        row = []
        for c in comps:
            if c.part >= 0:
                arrival = _arrival(served[(site_i, c.part)], pt, tt, emergency_h)
            else:  # no part from the maker: none needed, or a will-fit part the customer buys (its lead time)
                arrival = max(tt, c.willfit_lead_h)
            row.append(arrival)
            f = count * a / c.time_to_failure.mean
            job_h = (2.0 * tt if with_part else arrival + tt) + c.repair_time.mean
            rate[site.depot] += f
            busy[site.depot] += f * job_h
            busy2[site.depot] += f * job_h * job_h
        arrivals.append(row)
    waits, loads = [], []
    for j, d in enumerate(net.depots):
        loads.append(busy[j] / d.technicians if d.technicians else (math.inf if busy[j] else 0.0))
        if rate[j] == 0.0 or not d.technicians or loads[j] >= 1.0:
            waits.append(0.0)  # no jobs, or overloaded: no steady state (the notes say so)
            continue
        mean = busy[j] / rate[j]
        scv = max(busy2[j] / rate[j] / (mean * mean) - 1.0, 0.0) if mean > 0 else 0.0
        waits.append(queue_wait(rate[j], mean, d.technicians, scv))
    out: list[list[float]] = []
    for (site_i, _), comps, row in zip(groups.keys, groups.components, arrivals):
        site = net.sites[site_i]
        w = waits[site.depot]
        if with_part:
            out.append([arrival + w + c.repair_time.mean for arrival, c in zip(row, comps)])
        else:  # the queue wait runs while the part travels
            out.append([max(arrival, site.technician_time_h + w) + c.repair_time.mean for arrival, c in zip(row, comps)])
    return out, loads


def _site_figures(
    net: Network, prices: PriceList, groups: _Groups, availability: list[float], restore: list[list[float]]
) -> tuple[SiteFigures, ...]:
    """Per site: failures per hour, failure-weighted mean restore time, availability, downtime cost per year."""
    n = len(net.sites)
    failures, restore_sum, up = [0.0] * n, [0.0] * n, [0.0] * n
    for (s_i, _), count, comps, a, rs in zip(groups.keys, groups.count, groups.components, availability, restore):
        for c, restore_h in zip(comps, rs):
            f = count * a / c.time_to_failure.mean
            failures[s_i] += f
            restore_sum[s_i] += f * restore_h
        up[s_i] += count * a
    out = []
    for i, site in enumerate(net.sites):
        machines = site.machines
        a = up[i] / machines if machines else math.nan
        down_h = (machines - up[i]) * HOURS_PER_YEAR
        out.append(SiteFigures(
            site.name, net.depots[site.depot].name, machines, failures[i],
            restore_sum[i] / failures[i] if failures[i] else math.nan, a,
            down_h * prices.site_downtime_cost_per_h[i],
        ))
    return tuple(out)


def _fleet_figures(
    net: Network,
    prices: PriceList,
    groups: _Groups,
    availability: list[float],
    restore: list[list[float]],
    rows: list[StockRow],
    rates: np.ndarray,
    served: dict[tuple[int, int], _Served],
    site_rate: np.ndarray,
) -> FleetFigures:
    failures = 0.0
    restore_sum = 0.0
    up = 0.0
    down_h_site = [0.0] * len(net.sites)
    for (site, _), count, comps, a, rs in zip(groups.keys, groups.count, groups.components, availability, restore):
        for c, restore_h in zip(comps, rs):
            f = count * a / c.time_to_failure.mean
            failures += f
            restore_sum += f * restore_h
        up += count * a
        down_h_site[site] += count * (1.0 - a) * HOURS_PER_YEAR
    machines = sum(groups.count)
    depot_rows = [r for r in rows if r.location != CENTRAL]
    demand = float(rates.sum())
    ebo = sum(r.ebo for r in depot_rows)
    fill = sum(r.fill_rate * r.demand_per_h for r in depot_rows) / demand if demand else 1.0
    emergency = sum(r.emergency_share * r.demand_per_h for r in depot_rows) / demand if demand else 0.0
    lateral = sum(float(site_rate[s, k]) * v.lateral for (s, k), v in served.items()) / demand if demand else 0.0
    ebo_by_part = [0.0] * len(net.parts)
    for r in depot_rows:
        ebo_by_part[_index(net, r.part)] += r.ebo
    units = [sum(d.base_stock[k] for d in net.depots) + (0 if net.central.infinite else net.central.base_stock[k])
             for k in range(len(net.parts))]
    investment = sum(u * c for u, c in zip(units, prices.part_unit_cost))
    holding = sum((u + b) * c * h for u, b, c, h in zip(units, ebo_by_part, prices.part_unit_cost,
                                                          prices.part_holding_rate_per_year))
    return FleetFigures(
        failures_per_h=failures,
        restore_time_mean_h=restore_sum / failures if failures else math.nan,
        availability=up / machines if machines else math.nan,
        downtime_h_per_year=sum(down_h_site),
        downtime_cost_per_year=sum(h * c for h, c in zip(down_h_site, prices.site_downtime_cost_per_h)),
        part_demand_per_h=demand,
        fill_rate=fill,
        emergency_share=emergency,
        lateral_share=lateral,
        backorders=ebo,
        part_wait_mean_h=ebo / demand if demand else 0.0,
        inventory_investment=float(investment),
        holding_cost_per_year=float(holding),
    )


def _index(net: Network, part: str) -> int:
    return next(k for k, p in enumerate(net.parts) if p.name == part)


def _loads(
    net: Network, tech_loads: list[float], fleet_rate: np.ndarray, mixes: list[RepairMix]
) -> tuple[ShopLoad, ...]:
    """Technicians' offered load per depot (from :func:`_restore_times`) and repair shops' load."""
    loads: list[ShopLoad] = []
    for j, d in enumerate(net.depots):
        if tech_loads[j] > 0:
            loads.append(ShopLoad("technicians", d.name, d.technicians, tech_loads[j]))
    for j, d in enumerate(net.depots):
        servers = _repair_servers(d)
        work = sum(mixes[k].depot_share * fleet_rate[j, k] * mixes[k].depot_repair_mean_h for k in range(len(net.parts)))
        if servers is not None and work > 0:
            loads.append(ShopLoad("repair shop", d.name, servers, float(work) / servers))
    servers = _repair_servers(net.central)
    work = sum((1 - mixes[k].depot_share) * (1 - mixes[k].condemnation_share) * float(fleet_rate[:, k].sum())
               * mixes[k].central_repair_mean_h for k in range(len(net.parts)))
    if servers is not None and work > 0:
        loads.append(ShopLoad("repair shop", CENTRAL, servers, work / servers))
    return tuple(loads)


def _repair_servers(place: DepotSpec | CentralSpec) -> int | None:
    """A repair shop's servers (None: unlimited)."""
    return place.repair_servers


def _notes(
    net: Network,
    loss_model: bool,
    lateral_depots: set[int],
    stream_rate: np.ndarray,
    loads: tuple[ShopLoad, ...],
    mixes: list[RepairMix],
) -> tuple[str, ...]:
    notes = []
    if net.machines:
        notes.append("fleet failures are taken as Poisson (many machines; a down machine cannot fail): "
                     "'exact' means exact for Poisson demand")
    if lateral_depots:
        notes.append(f"lateral transshipments between {len(lateral_depots)} depots are not in METRIC: approximated "
                     "(lent units added to the lender's demand by fixed point; a group of depots that lend to each "
                     "other runs out together: pooled); those depots' figures are approximate")
    if net.policy.emergency and not net.central.infinite and any(net.central.base_stock):
        notes.append("emergency shipments from a central warehouse with stock are not in METRIC (not modelled): "
                     "depot backorders and restore times are approximate and may come out below or above the "
                     "simulation")
    if loss_model and stream_rate.sum() > 0:
        notes.append("demand streams backorder while fleet demands go emergency: depots with streams are approximate")
    for ld in loads:
        if ld.kind == "technicians" and ld.load >= 1.0:
            notes.append(f"technicians at {ld.location}: offered load {ld.load:.2f} >= 1 ({ld.servers}): the queue grows "
                         "without bound; restore times are shown without it (far too optimistic)")
        elif ld.kind == "technicians" and ld.high:
            notes.append(f"technicians at {ld.location}: offered load {ld.load:.2f} > {LOAD_FLAG} ({ld.servers}): "
                         "their queue is an M/G/c approximation (approximate)")
        elif ld.high:
            notes.append(f"{ld.kind} at {ld.location}: offered load {ld.load:.2f} > {LOAD_FLAG} "
                         f"({ld.servers} server(s)); the formulas have no queue there, so restore times are optimistic")
    notes.append("restore time ≈ max(part arrival, technician arrival) + technician queue wait (M/G/c, Erlang C "
                 "scaled by service variability) + repair; availability = 1 / (1 + Σ restore / MTTF) per machine")
    return tuple(notes)
