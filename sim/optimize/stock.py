"""Base stock per location and part by marginal analysis (Sherbrooke's greedy).

The objective is the total *weighted* expected backorders at the depots, Σ w·EBO, where a
depot backorder of a part the fleet demanded is a machine standing still (Little's law:
time-average backorders = machines waiting for a part). Weights (``--weight``):

* ``machines`` (default): w = the fleet's share of the depot-part demand (1 without
  ``demand_streams``), so the objective is machines down waiting for parts, and
  availability ≈ 1 − (machines down for travel and repair + Σ w·EBO) / machines;
* ``downtime-cost``: w additionally × the failure-weighted downtime cost per hour of the
  machines the depot serves, so the objective is the downtime cost per hour of waiting.

One echelon (central warehouse with ample stock): a depot's pipeline is Poisson with mean
λ·L (Palm), EBO is convex in the stock, and the greedy adds, one unit at a time, the unit
with the largest objective decrease per unit of investment (``unit_cost``). Because every
item's ratios fall with its stock, the greedy's order is the order of all (item, level)
ratios sorted together: one numpy sort, no heap. Every point it visits is on the lower
convex hull of (investment, objective) over all allocations.

Two echelons (central ``base_stock``): METRIC. Central stock S0 of a part delays every depot
order by EBO0(S0)/λ0; depot pipelines are Poisson with mean λ·(L + delay). For each part and
each S0 in a range, the depots are filled greedily (exact for a fixed S0: equal unit costs);
the part's efficient plans are the lower convex hull of all those (investment, objective)
points, and the parts' hull segments are then merged by ratio, as in the one-echelon case.
A step may then change several locations of one part at once (a new central level with the
depot levels that go with it); the curve lists every change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from sim.optimize.demand import Demand

WEIGHTS = ("machines", "downtime-cost")
TARGETS = ("fill_rate", "availability", "within_promise[REGION]")
TAIL = 1e-10  # a unit whose backorder decrease is below this (in probability) is not worth listing
CENTRAL = "central"


@dataclass(frozen=True)
class Target:
    """A service target: ``kpi`` (fill_rate, availability, within_promise) at least ``value``."""

    kpi: str
    value: float
    region: str | None = None

    @property
    def label(self) -> str:
        return f"within_promise[{self.region}]" if self.region is not None else self.kpi


@dataclass(frozen=True)
class Point:
    """The analytic figures of one stock plan."""

    investment: float
    ebo_total: float
    objective: float
    fill_rate: float
    availability: float
    within: tuple[float, ...]  # per region with a promise (nan without one)


@dataclass(frozen=True)
class Curve:
    """The efficient curve: figures after each greedy step (step 0 = no stock) and the changes of each step."""

    demand: Demand
    weight: str
    investment: np.ndarray
    ebo_total: np.ndarray
    objective: np.ndarray
    fill_rate: np.ndarray
    availability: np.ndarray
    within: np.ndarray  # (regions, steps + 1)
    change_step: np.ndarray  # every change: its step (1-based), location index (depots, then central), part, new level
    change_location: np.ndarray
    change_part: np.ndarray
    change_level: np.ndarray

    @property
    def steps(self) -> int:
        """Greedy steps (the curve has steps + 1 points)."""
        return len(self.investment) - 1

    def point(self, step: int) -> Point:
        """The figures after ``step`` steps."""
        return Point(
            float(self.investment[step]),
            float(self.ebo_total[step]),
            float(self.objective[step]),
            float(self.fill_rate[step]),
            float(self.availability[step]),
            tuple(float(x) for x in self.within[:, step]),
        )

    def levels(self, step: int) -> np.ndarray:
        """Base stock after ``step`` steps: shape (depots + 1, parts), the last row central's."""
        out = np.zeros((len(self.demand.depots) + 1, len(self.demand.parts)), dtype=np.int64)
        n = int(np.searchsorted(self.change_step, step, side="right"))
        key = (self.change_location[:n] * out.shape[1] + self.change_part[:n])[::-1]
        _, last = np.unique(key, return_index=True)  # in step order the last change of a location and part wins
        out.ravel()[key[last]] = self.change_level[:n][::-1][last]
        return out

    def within_budget(self, budget: float) -> int:
        """The last step whose investment is at most ``budget`` (0 when even one unit costs more)."""
        return int(np.searchsorted(self.investment, budget * (1 + 1e-12), side="right")) - 1

    def reaching(self, target: Target) -> int | None:
        """The first step (least investment on the curve) whose figure reaches ``target``; None if none does."""
        values = self.values(target)
        ok = np.flatnonzero(values >= target.value - 1e-12)
        return int(ok[0]) if ok.size else None

    def values(self, target: Target) -> np.ndarray:
        """The target's KPI along the curve."""
        if target.kpi == "fill_rate":
            return self.fill_rate
        if target.kpi == "availability":
            return self.availability
        assert target.region is not None
        return self.within[self.demand.regions.index(target.region)]


def parse_target(text: str, regions: Sequence[str]) -> Target | str:
    """``KPI=VALUE`` as a :class:`Target`, or the message saying what is wrong with it."""
    name, eq, raw = text.partition("=")
    name = name.strip()
    known = f"known: fill_rate, availability, within_promise[REGION] with REGION one of: {', '.join(regions) or '(no regions)'}"
    if not eq:
        return f"--target {text!r}: expected KPI=VALUE ({known})"
    region = None
    if name.startswith("within_promise[") and name.endswith("]"):
        region = name[len("within_promise[") : -1]
        if region not in regions:
            return f"--target {text!r}: unknown region {region!r}; {known}"
        kpi = "within_promise"
    elif name in ("fill_rate", "availability"):
        kpi = name
    else:
        return f"--target {text!r}: unknown KPI {name!r}; {known}"
    try:
        value = float(raw)
    except ValueError:
        return f"--target {text!r}: the value {raw.strip()!r} is not a number"
    if not 0.0 < value <= 1.0 or math.isnan(value):
        return f"--target {text!r}: the value must be a share in (0, 1], got {raw.strip()}"
    return Target(kpi, value, region)


def weights(demand: Demand, weight: str) -> np.ndarray:
    """w per depot and part (see the module doc)."""
    if weight not in WEIGHTS:
        raise ValueError(f"unknown weight {weight!r}; known: {', '.join(WEIGHTS)}")
    rate = demand.rate_per_h
    share = np.divide(demand.fleet_rate_per_h, rate, out=np.zeros_like(rate), where=rate > 0)
    return share * demand.downtime_cost_per_h if weight == "downtime-cost" else share


def _fleet_share(demand: Demand) -> np.ndarray:
    rate = demand.rate_per_h
    return np.divide(demand.fleet_rate_per_h, rate, out=np.zeros_like(rate), where=rate > 0)


def poisson_ebo(mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    """E[(N − s)+] for N ~ Poisson(mu): mu·P(N ≥ s) − s·P(N > s)."""
    mu, s = np.asarray(mu, dtype=float), np.asarray(s, dtype=float)
    at_least = np.where(s > 0, special.pdtrc(np.maximum(s - 1, 0), mu), 1.0)  # P(N >= s); 1 for s = 0
    return np.maximum(mu * at_least - s * _sf(s, mu), 0.0)


def central_delay_h(demand: Demand, central: np.ndarray) -> np.ndarray:
    """Per part, METRIC's mean delay of a depot order at central: EBO0(S0)/λ0 (0 with one echelon)."""
    lam0 = (demand.rate_per_h * demand.to_central).sum(axis=0)
    if not demand.two_echelon:
        return np.zeros(len(demand.parts))
    ebo0 = poisson_ebo(lam0 * demand.central_lead_time_h, central)
    return np.divide(ebo0, lam0, out=np.zeros_like(lam0), where=lam0 > 0)


def evaluate(demand: Demand, levels: np.ndarray, weight: str = "machines") -> Point:
    """The analytic figures of a plan ``levels`` (depots + 1, parts); the last row is central's (ignored with one echelon)."""
    levels = np.asarray(levels)
    depots, central = levels[:-1].astype(float), levels[-1].astype(float)
    mu = demand.rate_per_h * (demand.lead_time_h + demand.to_central * central_delay_h(demand, central)[None, :])
    ebo = poisson_ebo(mu, depots)
    fill = stats.poisson.cdf(depots - 1, mu)
    invest_units = depots.sum(axis=0) + (central if demand.two_echelon else 0.0)
    return _point(demand, weight, float((invest_units * demand.unit_cost).sum()), ebo, fill)


def _point(demand: Demand, weight: str, investment: float, ebo: np.ndarray, fill: np.ndarray) -> Point:
    fleet_ebo = float((_fleet_share(demand) * ebo).sum())
    rate = demand.rate_per_h
    fill_rate = float((rate * fill).sum() / rate.sum()) if rate.sum() > 0 else 1.0
    within = _within(demand, (demand.region_stock_per_h * fill[None]).sum(axis=(1, 2)))
    return Point(
        investment,
        float(ebo.sum()),
        float((weights(demand, weight) * ebo).sum()),
        fill_rate,
        float(_availability(demand, fleet_ebo)),
        tuple(float(x) for x in within),
    )


def _availability(demand: Demand, fleet_ebo: np.ndarray | float) -> np.ndarray | float:
    return 1.0 - (demand.base_down + fleet_ebo) / demand.machines if demand.machines else np.nan * fleet_ebo


def _within(demand: Demand, stock_ok: np.ndarray) -> np.ndarray:
    """Share restored within promise per region, given the rate restored in time thanks to stock (regions first axis)."""
    total = demand.region_total_per_h.reshape((-1,) + (1,) * (stock_ok.ndim - 1))
    fixed = demand.region_fixed_per_h.reshape(total.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (fixed + stock_ok) / np.where(total > 0, total, 1.0), np.nan)


def optimize(demand: Demand, weight: str = "machines", tail: float = TAIL) -> Curve:
    """The efficient curve from zero stock (see the module doc for the method)."""
    w = weights(demand, weight)
    if demand.two_echelon:
        return _two_echelon(demand, weight, w, tail)
    return _one_echelon(demand, weight, w, tail)


def _one_echelon(demand: Demand, weight: str, w: np.ndarray, tail: float) -> Curve:
    n_d, n_p = demand.rate_per_h.shape
    mu = (demand.rate_per_h * demand.lead_time_h).ravel()
    wf, share = w.ravel(), _fleet_share(demand).ravel()
    cost = np.broadcast_to(demand.unit_cost, (n_d, n_p)).ravel()
    useful = (mu > 0) & (wf > 0)
    top = int(stats.poisson.isf(tail, mu[useful]).max()) + 2 if useful.any() else 1
    levels = np.arange(top, dtype=float)
    sf = stats.poisson.sf(levels[None, :], mu[:, None])  # EBO decrease of the unit that lifts s to s + 1
    gain = sf * wf[:, None]
    keep = (sf > tail) & useful[:, None]
    ratio = np.where(keep, np.divide(gain, cost[:, None], out=np.full_like(gain, np.inf), where=cost[:, None] > 0), -1.0)
    order = np.argsort(-ratio, axis=None, kind="stable")[: int(keep.sum())]
    item, level = np.divmod(order, top)
    pmf = stats.poisson.pmf(level, mu[item])
    dec = sf[item, level]
    rate = demand.rate_per_h.ravel()
    region_stock = demand.region_stock_per_h.reshape(len(demand.regions), n_d * n_p)
    stock_ok = np.concatenate([np.zeros((len(demand.regions), 1)), np.cumsum(region_stock[:, item] * pmf, axis=1)], axis=1)

    def run(start: float, inc: np.ndarray) -> np.ndarray:
        return np.concatenate([[start], start + np.cumsum(inc)])

    fleet_ebo = run(float((share * mu).sum()), -share[item] * dec)
    total_rate = rate.sum()
    return Curve(
        demand=demand,
        weight=weight,
        investment=run(0.0, cost[item]),
        ebo_total=np.maximum(run(float(mu.sum()), -dec), 0.0),
        objective=np.maximum(run(float((wf * mu).sum()), -wf[item] * dec), 0.0),
        fill_rate=run(0.0, rate[item] * pmf) / total_rate if total_rate > 0 else np.ones(len(item) + 1),
        availability=np.asarray(_availability(demand, np.maximum(fleet_ebo, 0.0))),
        within=_within(demand, stock_ok),
        change_step=np.arange(1, len(item) + 1),
        change_location=item // n_p,
        change_part=item % n_p,
        change_level=level + 1,
    )


@dataclass(frozen=True)
class _PartCurve:
    """The efficient plans of one part (two echelons), cheapest first: figures per plan and its levels."""

    units: np.ndarray  # (H,) units bought (central + depots)
    objective: np.ndarray  # (H,)
    ebo: np.ndarray  # (H,)
    fleet_ebo: np.ndarray  # (H,)
    fill_num: np.ndarray  # (H,) Σ λ·fill
    stock_ok: np.ndarray  # (R, H)
    levels: np.ndarray  # (H, depots + 1): depot levels, then central's


def _lower_hull(cost: np.ndarray, obj: np.ndarray) -> list[int]:
    """Indices of the points on the decreasing lower convex hull, by increasing cost."""
    order = np.lexsort((obj, cost))
    hull: list[int] = []
    for i in order:
        if hull and cost[i] == cost[hull[-1]]:
            continue  # same cost, higher objective (lexsort put the lowest first)
        if hull and obj[i] >= obj[hull[-1]]:
            continue  # no decrease: never efficient
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # b is above the segment a -> i (or on it): drop it
            if (obj[b] - obj[a]) * (cost[i] - cost[a]) >= (obj[i] - obj[a]) * (cost[b] - cost[a]):
                hull.pop()
            else:
                break
        hull.append(int(i))
    return hull


def _sf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(N > k) for N ~ Poisson(mu) (scipy.special: no per-call overhead of scipy.stats)."""
    return special.pdtrc(k, mu)


def _part_curve(demand: Demand, w: np.ndarray, p: int, tail: float) -> _PartCurve:
    """Part ``p``'s efficient plans with a central echelon (METRIC): for each central level the depots'
    greedy (exact: equal unit costs), the best plan per number of units, then their lower convex hull."""
    lam, lead, via = demand.rate_per_h[:, p], demand.lead_time_h[:, p], demand.to_central[:, p]
    n_d, n_r = len(lam), len(demand.regions)
    lam0, t0 = float((lam * via).sum()), float(demand.central_lead_time_h[p])
    wp, share = w[:, p], _fleet_share(demand)[:, p]
    region = demand.region_stock_per_h[:, :, p]  # (R, D)
    if lam0 <= 0 or not (wp > 0).any():
        mu = lam * lead
        return _PartCurve(
            np.zeros(1), np.array([(wp * mu).sum()]), np.array([mu.sum()]), np.array([(share * mu).sum()]),
            np.zeros(1), np.zeros((n_r, 1)), np.zeros((1, n_d + 1), dtype=np.int64),
        )
    top0 = int(stats.poisson.isf(tail, lam0 * t0)) + 2
    s0s = np.arange(top0)
    delays = poisson_ebo(np.full(top0, lam0 * t0), s0s) / lam0
    mu = lam[None, :] * (lead[None, :] + via[None, :] * delays[:, None])  # (S0, D); the largest at S0 = 0
    top = int(stats.poisson.isf(tail, mu.max())) + 2
    grid = np.arange(top, dtype=float)
    sf = _sf(grid[None, None, :], mu[:, :, None])  # (S0, D, levels): the backorder decrease of the unit lifting s to s + 1
    gain = np.where((sf > tail) & (wp[None, :, None] > 0), sf * wp[None, :, None], -1.0).reshape(top0, -1)
    order = np.argsort(-gain, axis=1, kind="stable")  # per central level, the depots' greedy
    valid = np.take_along_axis(gain, order, axis=1) > 0
    depot = order // top
    rows = s0s[:, None]
    dec = np.where(valid, sf.reshape(top0, -1)[rows, order], 0.0)
    objective = np.concatenate([(wp * mu).sum(axis=1)[:, None], (wp * mu).sum(axis=1)[:, None] - np.cumsum(wp[depot] * dec, axis=1)], axis=1)
    objective[:, 1:][~valid] = np.inf  # units past the useful ones do not exist
    cells = objective.shape[1]
    best = np.full((top0, top0 + cells), np.inf)  # objective by central level and total units
    best[rows, s0s[:, None] + np.arange(cells)[None, :]] = objective
    which = best.argmin(axis=0)
    hull = np.array(_lower_hull(np.arange(best.shape[1], dtype=float), best[which, np.arange(best.shape[1])]))
    central = which[hull]
    k = hull - central  # depot units of the greedy at that central level
    levels = np.zeros((len(hull), n_d + 1), dtype=np.int64)
    levels[:, n_d] = central
    for h, (s0, kk) in enumerate(zip(central, k)):
        levels[h, :n_d] = np.bincount(depot[s0, :kk], minlength=n_d)
    mu_h, s_h = mu[central], levels[:, :n_d].astype(float)  # (H, D): the figures of the hull's plans, directly
    ebo = poisson_ebo(mu_h, s_h)
    fill = special.pdtr(s_h - 1, mu_h) * (s_h > 0)
    return _PartCurve(
        units=hull.astype(float),
        objective=objective[central, k],
        ebo=ebo.sum(axis=1),
        fleet_ebo=(share * ebo).sum(axis=1),
        fill_num=(lam * fill).sum(axis=1),
        stock_ok=region @ fill.T,
        levels=levels,
    )


def _two_echelon(demand: Demand, weight: str, w: np.ndarray, tail: float) -> Curve:
    n_p = len(demand.parts)
    curves = [_part_curve(demand, w, p, tail) for p in range(n_p)]
    c = demand.unit_cost
    ratio = []
    for p, pc in enumerate(curves):
        gain = -np.diff(pc.objective) / (np.diff(pc.units) * c[p]) if c[p] > 0 else np.full(len(pc.units) - 1, np.inf)
        ratio.append(np.minimum.accumulate(gain))  # rounding must not reorder a part's moves
    order = np.argsort(-np.concatenate(ratio), kind="stable")  # stable: a part's moves keep their order
    step_of = np.empty(len(order), dtype=np.int64)
    step_of[order] = np.arange(1, len(order) + 1)

    def run(attr: str) -> np.ndarray:
        start = sum(float(getattr(pc, attr)[0]) for pc in curves)
        inc = np.concatenate([np.diff(getattr(pc, attr)) for pc in curves])[order]
        return np.concatenate([[start], start + np.cumsum(inc)])

    cost = np.concatenate([np.diff(pc.units) * c[p] for p, pc in enumerate(curves)])[order]
    ok0 = sum((pc.stock_ok[:, 0] for pc in curves), np.zeros(len(demand.regions)))
    ok_inc = np.concatenate([np.diff(pc.stock_ok, axis=1) for pc in curves], axis=1)[:, order]
    stock_ok = np.concatenate([ok0[:, None], ok0[:, None] + np.cumsum(ok_inc, axis=1)], axis=1)
    first, steps, locs, parts, lvls = 0, [], [], [], []
    for p, pc in enumerate(curves):
        move, loc = np.nonzero(pc.levels[1:] != pc.levels[:-1])
        steps.append(step_of[first + move])
        locs.append(loc)
        parts.append(np.full(len(move), p))
        lvls.append(pc.levels[1:][move, loc])
        first += len(pc.units) - 1
    st = np.concatenate(steps) if steps else np.zeros(0, dtype=np.int64)
    by_step = np.argsort(st, kind="stable")
    total_rate = demand.rate_per_h.sum()
    fill = run("fill_num")
    return Curve(
        demand=demand,
        weight=weight,
        investment=np.concatenate([[0.0], np.cumsum(cost)]),
        ebo_total=np.maximum(run("ebo"), 0.0),
        objective=np.maximum(run("objective"), 0.0),
        fill_rate=fill / total_rate if total_rate > 0 else np.ones_like(fill),
        availability=np.asarray(_availability(demand, np.maximum(run("fleet_ebo"), 0.0))),
        within=_within(demand, stock_ok),
        change_step=st[by_step].astype(np.int64),
        change_location=np.concatenate(locs)[by_step].astype(np.int64),
        change_part=np.concatenate(parts)[by_step].astype(np.int64),
        change_level=np.concatenate(lvls)[by_step].astype(np.int64),
    )
