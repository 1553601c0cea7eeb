"""What common random numbers buy: the variance of B − A with one seed (paired) and with B on another seed.

``python -m sim.crn A.yaml B.yaml [-n N] [--seed S] [--jobs J] [--kpis ...]`` prints, per KPI,
var(B − A) both ways and their ratio (below 1: common random numbers help); see
docs/case-study-tools.md.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.runner import RunError, check_jobs, executor_for, run_scenarios
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.table import render


@dataclass(frozen=True)
class VarianceRatio:
    """Variance of B − A over replications: paired (common seed) and independent (B on another seed)."""

    kpi: str
    paired: float
    independent: float

    @property
    def ratio(self) -> float:
        """paired / independent: below 1 when common random numbers help."""
        return self.paired / self.independent if self.independent > 0 else math.nan


def crn_variance_ratios(
    a: Scenario, b: Scenario, kpis: Sequence[str], replications: int, seed: int, jobs: int = 1
) -> list[VarianceRatio]:
    """Measure what common random numbers buy: B − A with one seed vs B run on seed + 1."""
    with executor_for(jobs) as ex:
        ra, rb = run_scenarios([a, b], replications, seed, ex, jobs)
        (rb_other,) = run_scenarios([b], replications, seed + 1, ex, jobs)
    out = []
    for k in kpis:
        paired = float(np.nanvar(rb.column(k) - ra.column(k), ddof=1))
        independent = float(np.nanvar(rb_other.column(k) - ra.column(k), ddof=1))
        out.append(VarianceRatio(k, paired, independent))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.crn A.yaml B.yaml [-n N] [--seed S] [--jobs J] [--kpis ...]``: print CRN variance ratios."""
    p = argparse.ArgumentParser(prog="python -m sim.crn", description="variance of B − A: common vs independent seeds")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("-n", "--replications", type=int, default=30)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("-j", "--jobs", type=int, default=1)
    p.add_argument("--kpis", nargs="+", default=["customer_total_cost", "customer_downtime_cost", "maker_profit", "restore_time_mean_h"])
    args = p.parse_args(argv)
    if args.replications < 2 or (args.seed is not None and args.seed < 0):
        p.error("-n must be at least 2, --seed at least 0")
    try:
        check_jobs(args.jobs)  # the commands' rule, before the files are read
        a, b = load_scenario(args.a), load_scenario(args.b)
        seed = args.seed if args.seed is not None else a.seed
        ratios = crn_variance_ratios(a, b, args.kpis, args.replications, seed, args.jobs)
    except (ScenarioError, RunError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = [[v.kpi, f"{v.paired:.4g}", f"{v.independent:.4g}", f"{v.ratio:.3g}"] for v in ratios]
    print(f"{b.name} − {a.name}: {args.replications} replications, seed {seed} (independent: B on seed {seed + 1})")
    print(render(["KPI", "var paired (CRN)", "var independent", "ratio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
