"""Exact closed-form results the simulation is validated against.

Palm's theorem for a single base-stock location, the finite-source
machine-repairman queue, and Sherbrooke's METRIC / VARI-METRIC two-echelon
approximations. Pure functions on numpy/scipy only; time units are whatever
the caller uses for lead times (rates are per that unit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
from scipy import stats
from scipy.special import logsumexp

__all__ = [
    "BaseStockResult",
    "RepairmanResult",
    "MetricResult",
    "backorder_moments",
    "base_stock_from_distribution",
    "palm",
    "negbin_base_stock",
    "machine_repairman",
    "metric",
    "erlang_loss",
    "queue_wait",
    "central_resupply_mean",
]

_TAIL_RTOL = 1e-18  # stop summing survival terms once they are this small relative to the sum


@dataclass(frozen=True)
class BaseStockResult:
    """Steady-state performance of a base-stock location (wait in lead-time units)."""

    fill_rate: float
    expected_backorders: float
    mean_wait: float
    expected_on_hand: float
    pipeline_mean: float


@dataclass(frozen=True)
class RepairmanResult:
    """Steady state of the machine-repairman queue (n = machines down)."""

    availability: float
    mean_down: float
    mean_downtime_per_failure: float
    failure_rate_total: float
    probabilities: tuple[float, ...]
    technician_utilisation: float


@dataclass(frozen=True)
class MetricResult:
    """Two-echelon METRIC / VARI-METRIC result for one part."""

    central: BaseStockResult
    central_delay: float
    depots: tuple[BaseStockResult, ...]
    depot_resupply_mean: tuple[float, ...]
    depot_pipeline_variance: tuple[float, ...]
    central_demand_rate: float = 0.0  # lambda0: depot orders reaching central (repairs at depots excluded)


def _check_stock(base_stock: int) -> int:
    s = int(base_stock)
    if s != base_stock or s < 0:
        raise ValueError(f"base_stock must be a non-negative integer, got {base_stock!r}")
    return s


def _sf_tail(dist: stats.rv_discrete, start: int, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """k = start, start+1, ... and P(N > k), extended until the tail is negligible."""
    chunk = max(64, int(math.ceil(10.0 * sd)))
    hi = max(start, int(math.ceil(mean))) + chunk
    ks = np.arange(start, hi)
    sf = dist.sf(ks)
    while sf.size and sf[-1] > _TAIL_RTOL * max(float(sf.sum()), 1e-300):
        more = np.arange(hi, hi + chunk)
        hi += chunk
        chunk *= 2  # heavy (negative binomial) tails: grow geometrically
        ks = np.concatenate([ks, more])
        sf = np.concatenate([sf, dist.sf(more)])
    return ks, sf


def backorder_moments(dist: stats.rv_discrete, base_stock: int) -> tuple[float, float]:
    """(E[B], Var[B]) of backorders B = (N - S)^+ for a frozen discrete pipeline N.

    Uses E[B] = sum_{k>=S} P(N>k) and E[B^2] = sum_{k>=S} (2(k-S)+1) P(N>k), summed
    over survival-function terms so that tiny tails keep their relative precision.
    """
    s = _check_stock(base_stock)
    mean, var = (float(x) for x in dist.stats(moments="mv"))
    if mean <= 0.0:
        return 0.0, 0.0
    ks, sf = _sf_tail(dist, s, mean, math.sqrt(max(var, 0.0)))
    ebo = float(sf.sum())
    eb2 = float(((2.0 * (ks - s) + 1.0) * sf).sum())
    return ebo, max(eb2 - ebo * ebo, 0.0)


def base_stock_from_distribution(
    dist: stats.rv_discrete, rate: float, base_stock: int, *, wait_if_no_demand: float = 0.0
) -> BaseStockResult:
    """Base-stock metrics for any frozen discrete pipeline distribution N.

    fill = P(N <= S-1); EBO = E[(N-S)^+]; on hand = E[(S-N)^+] = sum_{k<S} P(N<=k);
    mean wait = EBO/rate (Little). With rate 0 the wait is `wait_if_no_demand`.
    """
    s = _check_stock(base_stock)
    if rate < 0:
        raise ValueError("rate must be >= 0")
    mean = float(dist.mean())
    fill = float(dist.cdf(s - 1)) if s > 0 else 0.0
    on_hand = float(dist.cdf(np.arange(s)).sum()) if s > 0 else 0.0
    ebo, _ = backorder_moments(dist, s)
    wait = ebo / rate if rate > 0 else wait_if_no_demand
    return BaseStockResult(fill, ebo, wait, on_hand, mean)


def palm(rate: float, mean_lead_time: float, base_stock: int) -> BaseStockResult:
    """Palm's theorem: Poisson(rate) demand, iid lead times of mean L -> pipeline Poisson(rate*L)."""
    if rate < 0 or mean_lead_time < 0:
        raise ValueError("rate and mean_lead_time must be >= 0")
    s = _check_stock(base_stock)
    # With no demand, a (hypothetical) demand waits a full lead time only if S == 0.
    no_demand_wait = float(mean_lead_time) if s == 0 else 0.0
    return base_stock_from_distribution(
        stats.poisson(rate * mean_lead_time), rate, s, wait_if_no_demand=no_demand_wait
    )


def negbin_base_stock(rate: float, mean: float, variance: float, base_stock: int) -> BaseStockResult:
    """Base stock with a negative-binomial pipeline of given mean and variance (VARI-METRIC).

    NB(n = mean^2/(var-mean), p = mean/var); falls back to Poisson(mean) when
    variance <= mean*(1+1e-12) (the NB cannot be under-dispersed).
    """
    if rate < 0 or mean < 0 or variance < 0:
        raise ValueError("rate, mean and variance must be >= 0")
    if mean == 0.0 or variance <= mean * (1.0 + 1e-12):
        dist = stats.poisson(mean)
    else:
        dist = stats.nbinom(mean * mean / (variance - mean), mean / variance)
    return base_stock_from_distribution(dist, rate, base_stock)


def machine_repairman(
    machines: int, failure_rate: float, repair_rate: float, technicians: int
) -> RepairmanResult:
    """Finite-source M/M/c//N queue: n down, birth (N-n)*lambda, death min(n,c)*mu.

    Stationary law computed in log space (no overflow for large N). Availability
    = E[N-n]/N, failure throughput = lambda*E[N-n], mean downtime per failure =
    E[n]/throughput (Little), technician utilisation = E[min(n,c)]/c.
    """
    if machines < 1 or technicians < 1:
        raise ValueError("machines and technicians must be >= 1")
    if failure_rate < 0 or repair_rate <= 0:
        raise ValueError("failure_rate must be >= 0 and repair_rate > 0")
    n_all = np.arange(machines + 1)
    if failure_rate == 0:
        p = np.zeros(machines + 1)
        p[0] = 1.0
    else:
        up = np.arange(machines, 0, -1, dtype=float)  # N-n+1 for n = 1..N
        busy = np.minimum(n_all[1:], technicians).astype(float)
        steps = np.log(up * failure_rate) - np.log(busy * repair_rate)
        logp = np.concatenate([[0.0], np.cumsum(steps)])
        p = np.exp(logp - logsumexp(logp))
    mean_down = float((n_all * p).sum())
    mean_up = float(((machines - n_all) * p).sum())
    throughput = failure_rate * mean_up
    per_failure = mean_down / throughput if throughput > 0 else 1.0 / repair_rate
    util = min(float((np.minimum(n_all, technicians) * p).sum()) / technicians, 1.0)
    return RepairmanResult(
        availability=mean_up / machines,
        mean_down=mean_down,
        mean_downtime_per_failure=per_failure,
        failure_rate_total=throughput,
        probabilities=tuple(float(x) for x in p),
        technician_utilisation=util,
    )


def central_resupply_mean(
    condemnation_share: float, return_mean: float, central_repair_mean: float, procurement_mean: float
) -> float:
    """Mean resupply time of the central warehouse for a unit sent to it (Sherbrooke's repair mix).

    A carcass returned to central is repaired there (return + repair time) unless it is
    condemned (share c), when a new unit is procured: T0 = (1-c)(return + D) + c·P.
    A consumable part is c = 1: T0 = P.
    """
    c = float(condemnation_share)
    if not 0.0 <= c <= 1.0:
        raise ValueError("condemnation_share must be in [0, 1]")
    if min(return_mean, central_repair_mean, procurement_mean) < 0:
        raise ValueError("times must be >= 0")
    if c == 1.0:
        return float(procurement_mean)
    return (1.0 - c) * (return_mean + central_repair_mean) + c * procurement_mean


def erlang_loss(rate: float, mean_lead_time: float, base_stock: int) -> float:
    """Share of demands that find no stock when stock-outs are lost to the location (Erlang B).

    A base-stock location whose stock-outs are served elsewhere (an emergency shipment)
    and not reordered is an M/G/S/S loss system: the units out are the busy servers, and by
    insensitivity P(all S out) = B(S, a), a = rate x mean lead time, for any lead-time law.
    Computed by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.
    """
    s = _check_stock(base_stock)
    if rate < 0 or mean_lead_time < 0:
        raise ValueError("rate and mean_lead_time must be >= 0")
    a = rate * mean_lead_time
    b = 1.0
    for k in range(1, s + 1):
        b = a * b / (k + a * b)
    return b


def queue_wait(rate: float, mean_service: float, servers: int, service_scv: float = 1.0) -> float:
    """Mean wait in queue of an M/G/c queue: Erlang C for M/M/c, scaled by (1 + scv)/2 (Allen-Cunneen).

    Exact for exponential service (``service_scv`` = 1) and for c = 1 (Pollaczek-Khinchine);
    an approximation otherwise. Infinite when the offered load rate x mean_service >= servers.
    """
    if servers < 1 or rate < 0 or mean_service < 0 or service_scv < 0:
        raise ValueError("servers must be >= 1; rate, mean_service and service_scv >= 0")
    a = rate * mean_service
    if a == 0.0:
        return 0.0
    if a >= servers:
        return math.inf
    b = 1.0  # Erlang B by recursion, then C = B / (1 - (a/c)(1 - B))
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    c = b / (1.0 - (a / servers) * (1.0 - b))
    return c * mean_service / (servers - a) * (1.0 + service_scv) / 2.0


def metric(
    depot_rates: Sequence[float],
    depot_transport_means: Sequence[float],
    depot_base_stocks: Sequence[int],
    central_lead_time_mean: float,
    central_base_stock: int | None,
    method: Literal["metric", "vari-metric"] = "metric",
    *,
    depot_repair_shares: Sequence[float] | None = None,
    depot_repair_means: Sequence[float] | None = None,
) -> MetricResult:
    """Sherbrooke's METRIC / VARI-METRIC for one part, central warehouse plus depots.

    Depot j has demand rate lambda_j, a share r_j of it repaired at the depot in mean time
    A_j (``depot_repair_shares`` / ``depot_repair_means``; default 0: consumable), the rest
    ordered from central with order-and-ship time O_j (``depot_transport_means``).
    Central demand lambda0 = sum (1-r_j) lambda_j, its pipeline Poisson(lambda0*T0) (Palm,
    exact), T0 = ``central_lead_time_mean`` (see :func:`central_resupply_mean`); central
    delay = EBO0/lambda0 (0 if central_base_stock is None: ample supply).
    Depot resupply mean = r_j A_j + (1-r_j)(O_j + delay).
    METRIC: depot pipeline Poisson(lambda_j x resupply mean).
    VARI-METRIC (Sherbrooke 2004, ch. 4): negative binomial with mean
    lambda_j r_j A_j + lambda_j (1-r_j) O_j + f EBO0 and variance
    lambda_j r_j A_j + lambda_j (1-r_j) O_j + f(1-f) EBO0 + f^2 VBO0, f = (1-r_j) lambda_j / lambda0:
    each central backorder belongs to depot j with probability f (a binomial thinning).

    Exactness: METRIC is exact for the depots when the central warehouse has ample
    stock (delay 0; Palm with the depot's own resupply times). With S0 = 0 every depot order
    waits a full central resupply, so with a deterministic central resupply time the depot
    resupply is exactly r_j A_j + (1-r_j)(O_j + T0) in mean and iid; both methods then reduce
    to Palm. In between they approximate.
    """
    rates = [float(r) for r in depot_rates]
    trans = [float(t) for t in depot_transport_means]
    stocks = [_check_stock(s) for s in depot_base_stocks]
    shares = [0.0] * len(rates) if depot_repair_shares is None else [float(x) for x in depot_repair_shares]
    repairs = [0.0] * len(rates) if depot_repair_means is None else [float(x) for x in depot_repair_means]
    if not (len(rates) == len(trans) == len(stocks) == len(shares) == len(repairs)) or not rates:
        raise ValueError("depot sequences must be non-empty and of equal length")
    if min(rates) < 0 or min(trans) < 0 or min(repairs) < 0 or central_lead_time_mean < 0:
        raise ValueError("rates and times must be >= 0")
    if min(shares) < 0 or max(shares) > 1:
        raise ValueError("depot repair shares must be in [0, 1]")
    if method not in ("metric", "vari-metric"):
        raise ValueError(f"unknown method {method!r}")
    to_central = [lam * (1.0 - r) for lam, r in zip(rates, shares)]
    lam0 = sum(to_central)
    mu0 = lam0 * central_lead_time_mean
    if central_base_stock is None:
        central = BaseStockResult(1.0, 0.0, 0.0, math.inf, mu0)
        ebo0 = vbo0 = 0.0
    else:
        central = palm(lam0, central_lead_time_mean, central_base_stock)
        ebo0 = central.expected_backorders
        vbo0 = backorder_moments(stats.poisson(mu0), central_base_stock)[1] if method == "vari-metric" else 0.0
    delay = ebo0 / lam0 if lam0 > 0 else 0.0

    depots: list[BaseStockResult] = []
    variances: list[float] = []
    resupply: list[float] = []
    for lam, t, s, r, a, lam_c in zip(rates, trans, stocks, shares, repairs, to_central):
        mean_t = r * a + (1.0 - r) * (t + delay)
        resupply.append(mean_t)
        if method == "metric" or lam0 == 0:
            depots.append(palm(lam, mean_t, s))
            variances.append(lam * mean_t)
        else:
            f = lam_c / lam0
            own = lam * r * a + lam_c * t  # Poisson part: depot repair and transport pipelines
            mean = own + f * ebo0
            var = own + f * (1.0 - f) * ebo0 + f * f * vbo0
            depots.append(negbin_base_stock(lam, mean, var, s))
            variances.append(var)
    return MetricResult(
        central=central,
        central_delay=delay,
        depots=tuple(depots),
        depot_resupply_mean=tuple(resupply),
        depot_pipeline_variance=tuple(variances),
        central_demand_rate=lam0,
    )
