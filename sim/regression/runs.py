"""Running a suite: every scenario's replications and the exact fingerprint of its outputs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from sim.output import replications_csv
from sim.regression.suite import Suite, SuiteScenario
from sim.runner import RunError, RunResult, run_scenarios


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ScenarioRun:
    """One suite scenario's replications and the fingerprint of its outputs."""

    entry: SuiteScenario
    result: RunResult
    outputs_sha256: str  # of replications.csv as written by sim.output.replications_csv


def run_suite(
    suite: Suite,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[ScenarioRun]:
    """Run every scenario of the suite (each with its own seed and replication count)."""
    results = run_scenarios([s.scenario for s in suite.scenarios], None, None, executor, workers, progress)
    runs = []
    for entry, result in zip(suite.scenarios, results):
        missing = [w.kpi for w in entry.watches if w.kpi not in result.kpis]
        if missing:
            raise RunError(f"{suite.path}: scenario {entry.label!r} does not produce KPI(s) {', '.join(missing)}")
        runs.append(ScenarioRun(entry, result, fingerprint(replications_csv(result))))
    return runs
