"""The two verdicts of a check: exact (did any output number change?) and statistical (did a watched KPI move?)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.kpis import describe
from sim.output import package_versions
from sim.regression.runs import ScenarioRun
from sim.regression.significance import CORRECTIONS, TESTS, TestOutcome, adjust, paired_test, welch_test
from sim.regression.store import Baseline, BaselineScenario
from sim.regression.suite import Suite, SuiteScenario, Watch
from sim.scenario.loader import scenario_hash


@dataclass(frozen=True)
class KPICheck:
    """The statistical verdict on one scenario × KPI."""

    scenario: str
    kpi: str
    test: str
    outcome: TestOutcome
    p_adjusted: float
    min_difference: float
    identical: bool
    moved: bool
    note: str = ""

    @property
    def direction(self) -> str:
        """'better', 'worse' or '' (no preferred direction, or no move)."""
        better = describe(self.kpi).better
        d = self.outcome.difference
        if not better or not math.isfinite(d) or d == 0:
            return ""
        return "better" if (d > 0) == (better == "higher") else "worse"

    @property
    def verdict(self) -> str:
        """same, ok, or MOVED (worse|better)."""
        if self.moved:
            return f"MOVED ({self.direction})" if self.direction else "MOVED"
        return "same" if self.identical else "ok"


@dataclass(frozen=True)
class ExactCheck:
    """The exact verdict on one scenario: did any output number change under the fixed seed?"""

    scenario: str
    baseline_sha256: str
    now_sha256: str
    reason: str

    @property
    def unchanged(self) -> bool:
        """True when the outputs are byte-identical to the baseline's."""
        return self.baseline_sha256 == self.now_sha256


@dataclass(frozen=True)
class CheckResult:
    """Both verdicts of a check."""

    suite: Suite
    baseline: Baseline
    exact: list[ExactCheck]
    kpis: list[KPICheck]
    strict_exact: bool = False

    @property
    def moved(self) -> list[KPICheck]:
        """The KPIs that moved (statistical regressions)."""
        return [k for k in self.kpis if k.moved]

    @property
    def exact_unchanged(self) -> bool:
        """True when every scenario's outputs are byte-identical to the baseline's."""
        return all(e.unchanged for e in self.exact)

    @property
    def passed(self) -> bool:
        """No KPI moved (and, with strict_exact, no fingerprint changed)."""
        return not self.moved and (self.exact_unchanged or not self.strict_exact)

    @property
    def exit_code(self) -> int:
        """0 pass, 1 fail."""
        return 0 if self.passed else 1

    def test_statement(self) -> str:
        """The statistical test, in words, as printed and documented."""
        tests = " / ".join(TESTS[t] for t in self.suite.tests_used)
        m = len(self.kpis)
        return (
            f"{tests}, two-sided; {CORRECTIONS[self.suite.correction]} family-wise level "
            f"alpha = {self.suite.alpha:g} across {m} scenario x KPI tests"
        )


def _exact_reason(run: ScenarioRun, base: BaselineScenario, baseline: Baseline) -> str:
    if run.outputs_sha256 == base.outputs_sha256:
        return "byte-identical to the baseline"
    if run.result.seed != base.seed:
        return f"changed: run seed {run.result.seed} differs from the baseline's {base.seed}"
    if scenario_hash(run.entry.scenario) != base.scenario_hash:
        return "changed: the scenario inputs differ from the baseline's"
    now = package_versions()
    moved = [f"{k} {v} -> {now.get(k, 'absent')}" for k, v in baseline.packages.items() if now.get(k, v) != v]
    what = f"packages changed ({', '.join(moved)})" if moved else f"model code changed since {baseline.code_version}"
    return f"changed: same inputs and seed; {what}"


def check(suite: Suite, baseline: Baseline, runs: Sequence[ScenarioRun], strict_exact: bool = False) -> CheckResult:
    """Both verdicts for ``runs`` against ``baseline``; all KPI tests of the suite form one family."""
    exact: list[ExactCheck] = []
    pending: list[tuple[SuiteScenario, Watch, TestOutcome, bool]] = []
    for run in runs:
        base = baseline.scenarios[run.entry.label]
        exact.append(ExactCheck(run.entry.label, base.outputs_sha256, run.outputs_sha256, _exact_reason(run, base, baseline)))
        for w in run.entry.watches:
            a, b = base.columns[w.kpi], run.result.column(w.kpi)
            identical = a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
            outcome = (welch_test if w.test == "welch" else paired_test)(a, b)
            pending.append((run.entry, w, outcome, identical))
    adjusted = adjust([o.p_value for _, _, o, _ in pending], suite.correction)
    checks = []
    for (entry, w, o, identical), p_adj in zip(pending, adjusted):
        note = ""
        if identical:
            moved = False
        elif math.isnan(o.p_value):
            moved, note = True, "values differ but fewer than 2 finite values on a side: cannot test"
        else:
            moved = p_adj <= suite.alpha and abs(o.difference) >= w.min_difference
            if p_adj <= suite.alpha and not moved:
                note = f"significant but |difference| < min_difference {w.min_difference:g}"
        checks.append(KPICheck(entry.label, w.kpi, w.test, o, p_adj, w.min_difference, identical, moved, note))
    return CheckResult(suite, baseline, exact, checks, strict_exact)
