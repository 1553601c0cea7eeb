"""The statistical tests of a regression check: Welch's and the paired t-test, and multiplicity corrections.

Welch's test is scipy's :func:`scipy.stats.ttest_ind` with ``equal_var=False``; the paired
t-test is :func:`sim.stats.paired_difference`, the same paired difference ``sim compare``
and ``sim sweep`` report (equal to :func:`scipy.stats.ttest_rel`, which the tests check).
This module adds what a check needs around them: undefined (``nan``) KPI values dropped,
samples without spread given a definite answer, and the family-wise adjustment of all
p-values of a check (Holm's step-down, which scipy does not offer, or Bonferroni).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps

from sim.stats import paired_difference

TestName = Literal["welch", "paired"]
TESTS: dict[str, str] = {
    "paired": "paired t-test over replication indices",
    "welch": "Welch two-sample t-test on replication values",
}
"""Test name → the test in words, in the order reports list them."""
CorrectionName = Literal["holm", "bonferroni", "none"]
CORRECTIONS: dict[str, str] = {
    "holm": "Holm step-down",
    "bonferroni": "Bonferroni",
    "none": "no multiplicity correction",
}


@dataclass(frozen=True)
class TestOutcome:
    """A two-sided test of equal means; ``difference`` is now − baseline (paired: mean of the pair differences)."""

    n_baseline: int
    n_now: int
    baseline_mean: float
    now_mean: float
    difference: float
    statistic: float
    df: float
    p_value: float


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def _no_spread(difference: float) -> tuple[float, float]:
    """(t, p) when neither sample varies: no change is certain either way."""
    if difference == 0:
        return 0.0, 1.0
    return math.copysign(math.inf, difference), 0.0


def welch_test(baseline: np.ndarray, now: np.ndarray) -> TestOutcome:
    """Welch's t-test (unequal variances) on the finite values; p is nan below 2 values a side."""
    a, b = _finite(np.asarray(baseline, float)), _finite(np.asarray(now, float))
    na, nb = a.size, b.size
    ma, mb = _mean(a), _mean(b)
    diff = mb - ma
    if na < 2 or nb < 2:
        return TestOutcome(na, nb, ma, mb, diff, math.nan, math.nan, math.nan)
    if a.var() == 0.0 and b.var() == 0.0:
        t, p = _no_spread(diff)
        return TestOutcome(na, nb, ma, mb, diff, t, float(na + nb - 2), p)
    with warnings.catch_warnings():  # nearly constant samples: scipy warns of precision loss; t and p still stand
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sps.ttest_ind(b, a, equal_var=False)
    return TestOutcome(na, nb, ma, mb, diff, float(res.statistic), float(res.df), float(res.pvalue))


def paired_test(baseline: np.ndarray, now: np.ndarray) -> TestOutcome:
    """Paired t-test over replications where both are finite; p is nan below 2 pairs.

    The means are each side's finite values; ``difference`` is the mean paired difference
    over the complete pairs, the quantity the test is about.
    """
    a, b = np.asarray(baseline, float), np.asarray(now, float)
    d = paired_difference(a, b)
    n_a, n_b = int(np.isfinite(a).sum()), int(np.isfinite(b).sum())
    return TestOutcome(n_a, n_b, _mean(_finite(a)), _mean(_finite(b)), d.mean, d.t, float(d.n - 1), d.p_value)


def adjust(p_values: Sequence[float], correction: str) -> list[float]:
    """Family-wise adjusted p-values (nan counts as 1): Holm step-down, Bonferroni, or none."""
    p = [1.0 if math.isnan(x) else x for x in p_values]
    m = len(p)
    if correction == "none":
        return p
    if correction == "bonferroni":
        return [min(1.0, m * x) for x in p]
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: p[i])):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out
