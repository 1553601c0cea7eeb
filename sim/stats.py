"""Confidence intervals over replications, and paired differences for common random numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


@dataclass(frozen=True)
class Summary:
    """Mean of a KPI over replications with a Student-t confidence interval."""

    n: int
    mean: float
    std: float
    half_width: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float | bool]:
        """Plain dict (for JSON/CSV)."""
        return asdict(self)


def t_half_width(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t confidence interval of a mean."""
    if n < 2 or not math.isfinite(std):
        return math.nan
    return float(sps.t.ppf(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n))


def summarize(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Summary:
    """Mean, sample standard deviation and CI of the finite values (nan ones are undefined KPIs)."""
    a = _finite(values)
    n = int(a.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = float(a.mean())
    std = float(a.std(ddof=1)) if n > 1 else math.nan
    hw = t_half_width(std, n, confidence)
    return Summary(n, mean, std, hw, mean - hw, mean + hw)


@dataclass(frozen=True)
class Difference(Summary):
    """A paired difference (B − A) over common replications, with its CI and t test."""

    t: float
    p_value: float
    significant: bool


def paired_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> Difference:
    """Paired difference b − a over replications where both are finite."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError("paired samples must have the same length")
    ok = np.isfinite(a_arr) & np.isfinite(b_arr)
    d = b_arr[ok] - a_arr[ok]
    s = summarize(d, confidence)
    if s.n < 2:
        return Difference(s.n, s.mean, s.std, s.half_width, s.low, s.high, math.nan, math.nan, False)
    if s.std == 0.0:
        t = math.copysign(math.inf, s.mean) if s.mean != 0 else 0.0
        p = 0.0 if s.mean != 0 else 1.0
    else:
        t = s.mean / (s.std / math.sqrt(s.n))
        p = float(2 * sps.t.sf(abs(t), s.n - 1))
    return Difference(s.n, s.mean, s.std, s.half_width, s.low, s.high, t, p, p < 1 - confidence)
