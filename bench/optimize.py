"""``python -m bench.optimize``: time ``sim optimize``'s greedy on a synthetic 50 depots × 1,000 parts network.

The network is made directly as the optimiser's input (:class:`sim.optimize.demand.Demand`):
per depot and part a Poisson demand rate drawn log-uniformly between 0.1 and 20 a year
(fixed seed), unit costs log-uniform between 10 and 20,000, replenishment lead times of
48-240 h per depot; one echelon (ample central stock) and, with ``--two-echelon``, a central
warehouse with a 500 h factory lead time (METRIC). Prints the median and range of the wall
time (and the median CPU time) over ``--rounds`` runs (default 3) of :func:`sim.optimize.stock.optimize` (the whole
efficient curve), the curve's length, and one budget look-up.

``--end-to-end`` times the command itself instead: :func:`write_scenario` writes a scenario
of 50 depots × 1,000 parts (500 sites with 10 machine models of 100 components each,
emergency shipments from an ample central: one echelon; fixed seed) and each round runs
``python -m sim optimize FILE --budget 5000000 --out DIR -q`` in a fresh process (load,
build, demand rates, the greedy, the figure, optimized.yaml and the other outputs), with
its wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

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


def write_scenario(path: Path, depots: int = 50, parts: int = 1000, sites: int = 500, models: int = 10, seed: int = 1) -> None:
    """A scenario of ``depots`` × ``parts`` for ``sim optimize`` end to end (see the module doc; fixed seed)."""
    rng = random.Random(seed)
    part_list = [{"name": f"p{i}", "unit_cost": round(10 ** rng.uniform(1, 4.3))} for i in range(parts)]
    for p in part_list:
        p["price"] = p["unit_cost"] * 2
    per_model = parts // models
    model_list = [
        {"name": f"m{m}", "price": 100000, "cost_to_make": 50000, "components": [
            {"name": f"c{i}", "part": f"p{i}",
             "time_to_failure_h": {"dist": "exponential", "mean": round(10 ** rng.uniform(4, 6))},
             "repair_time_h": {"dist": "deterministic", "value": 1}}
            for i in range(m * per_model, (m + 1) * per_model)]}
        for m in range(models)
    ]
    depot_list = [{"name": f"D{j}", "lat": 25 + rng.uniform(0, 15), "lon": 105 + rng.uniform(0, 16), "technicians": 3,
                   "fixed_cost_per_year": 100000, "base_stock": {}} for j in range(depots)]
    site_list = [{"name": f"S{i}", "lat": 25 + rng.uniform(0, 15), "lon": 105 + rng.uniform(0, 16),
                  "machines": {f"m{i % models}": 2}, "downtime_cost_per_h": 1000} for i in range(sites)]
    scenario = {
        "name": "bench-optimize", "seed": 1, "replications": 2, "horizon_h": 8760, "warmup_h": 0,
        "parts": part_list, "machine_models": model_list, "sites": site_list, "depots": depot_list,
        "central": {"name": "f", "lat": 30, "lon": 120, "transport_lead_time_h": {"dist": "deterministic", "value": 72}},
        "dispatch": {"lateral": {"enabled": False}, "emergency": {
            "enabled": True, "lead_time_h": {"dist": "deterministic", "value": 24}, "cost_per_shipment": 600}},
    }
    path.write_text(yaml.safe_dump(scenario))


def end_to_end(rounds: int, depots: int, parts: int) -> int:
    """Time ``sim optimize`` on :func:`write_scenario`'s file, each round a fresh process."""
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "big.yaml"
        write_scenario(file, depots, parts)
        cmd = [sys.executable, "-m", "sim", "optimize", str(file), "--budget", "5000000", "--out", str(Path(tmp) / "out"), "-q"]
        for _ in range(rounds):
            t0 = time.perf_counter()
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
            times.append(time.perf_counter() - t0)
            peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)  # largest child so far, MB
        step = done.stdout.splitlines()[0].split("; ")[-1]
    print(f"| command | wall: median [min – max] of {rounds} | peak RSS | result |")
    print("|---|---|---|---|")
    print(f"| `sim optimize` {depots} depots × {parts:,} parts, one echelon, --budget 5000000 | "
          f"{statistics.median(times):.2f} s [{min(times):.2f} – {max(times):.2f}] | {max(peaks):.0f} MB | {step} |")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.optimize", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--depots", type=int, default=50)
    p.add_argument("--parts", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--two-echelon", action="store_true", help="central warehouse with stock (METRIC)")
    p.add_argument("--end-to-end", action="store_true", help="time the `sim optimize` command on a generated scenario")
    args = p.parse_args(argv)
    if args.end_to_end:
        return end_to_end(args.rounds, args.depots, args.parts)
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
