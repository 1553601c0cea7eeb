"""The false-alarm study: how often a check fails when only the seed differs from the baseline's."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from scipy import stats as sps

from sim.output import now_utc
from sim.regression.runs import run_suite
from sim.regression.significance import CORRECTIONS
from sim.regression.store import baseline_files, parse_baseline
from sim.regression.suite import Suite
from sim.regression.verdict import check
from sim.runner import executor_for


@dataclass
class StudyResult:
    """How often a check fails when only the seed differs from the baseline's."""

    trials: int
    alpha: float
    correction: str
    tests: int  # scenario × KPI tests per check
    false_alarms: int = 0
    raw_rejections: dict[str, int] = field(default_factory=dict)  # per scenario/KPI: p <= alpha unadjusted
    tail_rejections: int = 0  # tests with p <= alpha / tests (the per-test Bonferroni level), over all trials

    @property
    def rate(self) -> float:
        """Share of trials with any statistical failure."""
        return self.false_alarms / self.trials if self.trials else math.nan

    def upper_bound(self, confidence: float = 0.99) -> float:
        """One-sided Clopper-Pearson upper confidence bound of the false-alarm rate."""
        k, n = self.false_alarms, self.trials
        return 1.0 if k >= n else float(sps.beta.ppf(confidence, k + 1, n - k))

    def allowed(self, confidence: float = 0.99) -> int:
        """Most false alarms consistent with a rate of at most alpha (binomial upper quantile)."""
        return int(sps.binom.ppf(confidence, self.trials, self.alpha))


def false_alarm_study(
    suite: Suite, trials: int, first_seed: int = 1, jobs: int = 1, on_trial: Callable[[int, StudyResult], None] | None = None
) -> StudyResult:
    """Per trial, a baseline under seed ``first_seed + 2i`` and a check under ``first_seed + 2i + 1``.

    Trials use disjoint seeds, so they are independent and the count of false alarms is
    binomial. The baseline goes through the same files and parser as a committed one.
    """
    tests = sum(len(s.watches) for s in suite.scenarios)
    out = StudyResult(trials, suite.alpha, suite.correction, tests)
    with executor_for(jobs) as ex:
        for i in range(trials):
            base_suite = suite.with_seed(first_seed + 2 * i)
            base_runs = run_suite(base_suite, ex, jobs)
            texts = baseline_files(base_suite, base_runs, "false-alarm study", now_utc())
            baseline = parse_baseline("<study>", texts, suite)
            result = check(suite, baseline, run_suite(suite.with_seed(first_seed + 2 * i + 1), ex, jobs))
            out.false_alarms += bool(result.moved)
            for k in result.kpis:
                out.tail_rejections += k.outcome.p_value <= suite.alpha / tests
                key = f"{k.scenario}/{k.kpi}"
                out.raw_rejections[key] = out.raw_rejections.get(key, 0) + (k.outcome.p_value <= suite.alpha)
            if on_trial:
                on_trial(i, out)
    return out


def study_text(result: StudyResult, suite: Suite) -> str:
    """The study's findings as text."""
    lines = [
        f"suite {suite.path}: {result.tests} scenario x KPI tests per check, "
        f"{CORRECTIONS[result.correction]} at family-wise alpha = {result.alpha:g}",
        f"trials: {result.trials} (independent seed pairs)",
        f"false alarms: {result.false_alarms} of {result.trials} = {result.rate:.3f}; "
        f"one-sided 99% upper bound {result.upper_bound():.3f}; "
        f"at most {result.allowed()} expected if the rate were alpha (binomial 99% quantile)",
        f"tests with p <= alpha/{result.tests} (the per-test Bonferroni level): {result.tail_rejections} of "
        f"{result.trials * result.tests} = {result.tail_rejections / max(1, result.trials * result.tests):.5f} "
        f"(calibrated tests: {result.alpha / result.tests:.5f}); this count bounds the false alarms",
        "unadjusted rejections per test (each should be near alpha):",
    ]
    width = max((len(k) for k in result.raw_rejections), default=0)
    for key, n in result.raw_rejections.items():
        lines.append(f"  {key:<{width}}  {n:4d} / {result.trials} = {n / result.trials:.3f}")
    return "\n".join(lines)
