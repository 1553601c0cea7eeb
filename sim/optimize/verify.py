"""Verify a stock plan by simulation: today's plan, the optimised plan and a uniform plan, with common random numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from sim.runner import RunResult, run_scenarios
from sim.scenario.schema import Scenario
from sim.stats import Difference, Summary, paired_difference, summarize

KPIS = (
    "customer_downtime_cost",
    "customer_downtime_h",
    "fill_rate",
    "availability",
    "restore_time_mean_h",
    "inventory_investment",
    "maker_profit",
    "customer_total_cost",
)
ARMS = ("today", "optimised", "uniform")


@dataclass(frozen=True)
class Verification:
    """Per KPI: each arm's summary, and the paired differences optimised − today and optimised − uniform."""

    replications: int
    seed: int
    kpis: tuple[str, ...]
    summaries: dict[str, tuple[Summary, ...]]  # kpi -> per arm (ARMS order)
    vs_today: dict[str, Difference]
    vs_uniform: dict[str, Difference]


def verify(
    arms: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Simulate the three arms (``ARMS`` order) on one seed and the same replications (common random numbers)."""
    results: list[RunResult] = run_scenarios(list(arms), replications, seed, executor, workers, progress)
    kpis = tuple(k for k in KPIS if k in results[0].kpis)
    today, optimised, uniform = results
    return Verification(
        replications,
        seed,
        kpis,
        {k: tuple(summarize(r.column(k)) for r in results) for k in kpis},
        {k: paired_difference(today.column(k), optimised.column(k)) for k in kpis},
        {k: paired_difference(uniform.column(k), optimised.column(k)) for k in kpis},
    )
