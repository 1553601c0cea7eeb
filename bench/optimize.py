"""``python -m bench.optimize``: time ``sim optimize``'s greedy on a synthetic 50 depots × 1,000 parts network.

The network is made directly as the optimiser's input (:class:`sim.optimize.demand.Demand`):
per depot and part a Poisson demand rate drawn log-uniformly between 0.1 and 20 a year
(fixed seed), unit costs log-uniform between 10 and 20,000, replenishment lead times of
48-240 h per depot; one echelon (ample central stock) and, with ``--two-echelon``, a central
warehouse with a 500 h factory lead time (METRIC). Prints the median and range of the wall
time (and the median CPU time) over ``--rounds`` runs (default 3) of :func:`sim.optimize.stock.optimize` (the whole
efficient curve), the curve's length, and one budget look-up.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

import numpy as np

from sim.optimize.demand import Demand
from sim.optimize.stock import optimize


def synthetic(depots: int = 50, parts: int = 1000, seed: int = 1, central_lead_time_h: float = 0.0) -> Demand:
    """A random but fixed problem of ``depots`` × ``parts`` items (see the module doc)."""
    rng = np.random.default_rng(seed)
    rate = np.exp(rng.uniform(np.log(0.1), np.log(20.0), (depots, parts))) / 8760.0
    return Demand(
        depots=tuple(f"depot{j}" for j in range(depots)),
        parts=tuple(f"part{p}" for p in range(parts)),
        unit_cost=np.round(np.exp(rng.uniform(np.log(10.0), np.log(20000.0), parts))),
        rate_per_h=rate,
        fleet_rate_per_h=rate,
        downtime_cost_per_h=np.ones_like(rate),
        lead_time_h=np.repeat(rng.uniform(48.0, 240.0, depots)[:, None], parts, axis=1),
        to_central=np.ones_like(rate),
        central_lead_time_h=np.full(parts, central_lead_time_h),
        two_echelon=central_lead_time_h > 0,
        machines=10_000,
        base_down=10.0,
        regions=(),
        region_total_per_h=np.zeros(0),
        region_fixed_per_h=np.zeros(0),
        region_stock_per_h=np.zeros((0, depots, parts)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.optimize", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--depots", type=int, default=50)
    p.add_argument("--parts", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--two-echelon", action="store_true", help="central warehouse with stock (METRIC)")
    args = p.parse_args(argv)
    demand = synthetic(args.depots, args.parts, central_lead_time_h=500.0 if args.two_echelon else 0.0)
    times, cpu = [], []
    for _ in range(args.rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        curve = optimize(demand)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    budget = float(curve.investment[-1]) / 2
    t0 = time.perf_counter()
    step = curve.within_budget(budget)
    levels = curve.levels(step)
    pick = time.perf_counter() - t0
    kind = "two echelons (METRIC)" if args.two_echelon else "one echelon"
    print(f"| network | steps on the curve | optimise, wall: median [min – max] of {args.rounds} | CPU time, median | plan at half the curve's investment |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.depots} depots × {args.parts:,} parts, {kind} | {curve.steps:,} | "
        f"{statistics.median(times):.2f} s [{min(times):.2f} – {max(times):.2f}] | {statistics.median(cpu):.2f} s | "
        f"{pick:.2f} s ({int(levels.sum()):,} units) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
