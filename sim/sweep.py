"""One-parameter sweeps with common random numbers, and break-evens between scenarios.

Every (file, value) point runs with the same seed and replication indices, so the paired
difference of two files at one value is taken replication by replication.

Whose money: a scenario sold by someone else (``pricing.seller``, e.g. an importer) reports that
seller's profit in the maker's KPIs (``maker_*``). Its curve is labelled "(importer's profit)", and
no maker-profit difference or break-even is taken between it and a scenario of another seller:
the two lines are different firms' money (the reason is said instead).

Break-even method (also printed with the results): for files A and B and a KPI, let
d(v) be the mean paired difference B − A at sweep value v, with its pointwise 95% CI
[lo(v), hi(v)]. Between adjacent sweep points d, lo and hi are interpolated linearly.
The break-even estimate is where d changes sign (a curve that only touches 0, or is 0 at an
end of the range, or is 0 throughout, does not cross: no break-even); its 95% interval is the stretch of
parameter values around it where the CI of the difference contains 0 (lo ≤ 0 ≤ hi),
i.e. where the data cannot tell which file is better. An end of that stretch at the
edge of the swept range means the interval reaches beyond it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.compare import seller
from sim.kpis import describe
from sim.output import csv_text, fmt
from sim.runner import RunResult
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.stats import CONFIDENCE, Difference, Summary, paired_difference, summarize

DEFAULT_KPIS = ("customer_total_cost", "maker_profit")
METHOD = (
    "break-even = where the mean paired difference (common random numbers) changes sign, "
    "interpolated linearly between adjacent sweep points; its 95% interval = the parameter "
    "values around it where the pointwise 95% CI of the difference contains 0 (CI bounds "
    "interpolated linearly)"
)

# ------------------------------------------------------------------------------ values


def value_text(v: float) -> str:
    """A swept number as override text: ``50`` not ``50.0``, no float noise (``0.3``)."""
    return format(float(v), ".12g")


def range_values(low: float, high: float, steps: int) -> list[str]:
    """``steps`` evenly spaced values from ``low`` to ``high`` inclusive, as override text."""
    if steps < 2:
        raise ValueError("--range needs at least 2 steps")
    return [value_text(v) for v in np.linspace(low, high, steps)]


def parse_values(texts: Sequence[str]) -> list[tuple[float, str]]:
    """(number, text) per value, sorted by number; raises ValueError on non-numbers or repeats."""
    out = []
    bad = []
    for t in texts:
        try:
            x = float(t)
        except ValueError:
            bad.append(t)
            continue
        if not math.isfinite(x):
            bad.append(t)
            continue
        out.append((x, t))
    if bad:
        raise ValueError(f"sweep values must be finite numbers: {', '.join(bad)}")
    xs = [x for x, _ in out]
    if len(set(xs)) != len(xs):
        raise ValueError("sweep values must be distinct")
    if len(out) < 2:
        raise ValueError("a sweep needs at least 2 values")
    return sorted(out)


# ------------------------------------------------------------------------------ variants

def variant(file: str, overrides: Sequence[str], param: str, text: str) -> Scenario:
    """The scenario of ``file`` with ``param`` set to ``text`` after the other overrides.

    ``param`` may use ``[*]`` (every item of a list or key of a mapping), e.g.
    ``sites[*].downtime_cost_per_h``: the loader applies it to each.
    """
    return load_scenario(file, [*overrides, f"{param}={text}"])


# ------------------------------------------------------------------------------ break-even


@dataclass(frozen=True)
class BreakEven:
    """Where the paired difference of a KPI between two files changes sign, with its 95% interval.

    ``estimate`` is None when the mean difference keeps its sign over the swept range
    (``extrapolated`` then holds a linear extrapolation, if the trend points outside the
    range). ``low``/``high`` are None when the interval reaches beyond the swept range.
    """

    kpi: str
    a: str
    b: str
    estimate: float | None
    low: float | None
    high: float | None
    extrapolated: float | None
    ci_excludes_zero_somewhere: bool
    text: str


def _roots(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Where the piecewise-linear y(x) is zero or changes sign (zero stretches give their ends)."""
    out: list[float] = []
    for k in range(len(x)):
        if y[k] == 0 and (k == 0 or y[k - 1] != 0 or k == len(x) - 1 or y[k + 1] != 0):
            out.append(float(x[k]))
        if k + 1 < len(x) and y[k] * y[k + 1] < 0:
            out.append(float(x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])))
    return out


def _crossings(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Where the piecewise-linear y(x) changes sign: the curves cross there.

    A touch (0 between two values of the same sign), a 0 at an end of the range and a
    curve that is 0 throughout are not crossings. A run of zeros between opposite signs
    crosses at the middle of the run.
    """
    nz = [k for k in range(len(x)) if y[k] != 0]
    out: list[float] = []
    for k, m in itertools.pairwise(nz):
        if (y[k] > 0) == (y[m] > 0):
            continue
        if m == k + 1:
            out.append(float(x[k] - y[k] * (x[m] - x[k]) / (y[m] - y[k])))
        else:
            out.append(float((x[k + 1] + x[m - 1]) / 2))
    return out


def _contains_zero_set(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[tuple[float, float]]:
    """Maximal intervals of [x0, xn] where the interpolated CI [lo, hi] contains 0."""
    cuts = sorted({*map(float, x), *_roots(x, lo), *_roots(x, hi)})

    def inside(v: float) -> bool:
        return float(np.interp(v, x, lo)) <= 0.0 <= float(np.interp(v, x, hi))

    pieces: list[tuple[float, float]] = []
    for p, q in zip(cuts, cuts[1:]):
        if inside((p + q) / 2):
            if pieces and pieces[-1][1] == p:
                pieces[-1] = (pieces[-1][0], q)
            else:
                pieces.append((p, q))
    for c in cuts:  # isolated points (the CI touches 0 only there)
        if inside(c) and not any(a <= c <= b for a, b in pieces):
            pieces.append((c, c))
    return sorted(pieces)


def break_evens(
    x: Sequence[float] | np.ndarray, mean: Sequence[float], low: Sequence[float], high: Sequence[float]
) -> tuple[list[tuple[float, float | None, float | None]], bool, float | None]:
    """Sign changes of a difference curve and their intervals.

    Returns ([(estimate, interval low or None, interval high or None)], whether the CI
    excludes 0 at some point of the range, linear extrapolation of the root or None).
    An interval end is None when it reaches the edge of the swept range.
    """
    xa, m = np.asarray(x, float), np.asarray(mean, float)
    lo, hi = np.asarray(low, float), np.asarray(high, float)
    ok = np.isfinite(m)
    xa, m, lo, hi = xa[ok], m[ok], lo[ok], hi[ok]
    if xa.size < 2:
        return [], False, None
    lo = np.where(np.isfinite(lo), lo, m)
    hi = np.where(np.isfinite(hi), hi, m)
    pieces = _contains_zero_set(xa, lo, hi)
    excludes = not (len(pieces) == 1 and pieces[0] == (float(xa[0]), float(xa[-1])))
    first, last = float(xa[0]), float(xa[-1])
    out = []
    for r in _crossings(xa, m):
        piece = next(((a, b) for a, b in pieces if a <= r <= b), (r, r))
        out.append((r, None if piece[0] <= first else piece[0], None if piece[1] >= last else piece[1]))
    extrapolated = None
    if not out and not np.any(m == 0):  # a curve touching 0 at a swept value has no root to extrapolate
        slope, intercept = np.polyfit(xa, m, 1)
        if abs(slope) * (last - first) > 1e-9 * float(np.max(np.abs(m))):  # not flat
            root = -intercept / slope
            if root < first or root > last:
                extrapolated = float(root)
    return out, excludes, extrapolated


# ------------------------------------------------------------------------------ the sweep


@dataclass(frozen=True)
class Sweep:
    """Results of every (file, value) point, run with common random numbers."""

    param: str
    labels: tuple[str, ...]
    files: tuple[str, ...]
    values: tuple[float, ...]
    texts: tuple[str, ...]
    results: tuple[tuple[RunResult, ...], ...]  # [file][value]
    kpis: tuple[str, ...]
    seed: int
    replications: int
    baseline: RunResult | None = None  # --baseline: a fixed scenario every point is differenced against
    baseline_label: str = ""
    baseline_file: str = ""

    @property
    def currency(self) -> str:
        """Money unit (the first file's)."""
        return self.results[0][0].scenario.currency

    def summary(self, f: int, v: int, kpi: str) -> Summary:
        """Mean and CI of a KPI at one point."""
        return summarize(self.results[f][v].column(kpi))

    def difference(self, kpi: str, i: int, j: int, v: int) -> Difference:
        """Paired difference file j − file i at value index v."""
        return paired_difference(self.results[i][v].column(kpi), self.results[j][v].column(kpi))

    def vs_baseline(self, kpi: str, f: int, v: int) -> Difference:
        """Paired difference file f at value index v − the baseline (same seed and replications)."""
        if self.baseline is None:
            raise ValueError("the sweep has no baseline")
        return paired_difference(self.baseline.column(kpi), self.results[f][v].column(kpi))

    def seller(self, f: int | None) -> str:
        """Who earns the "maker" KPIs of file ``f`` (None: the baseline): ``maker`` or e.g. ``importer``."""
        if f is None:
            return seller(self.baseline.scenario) if self.baseline is not None else "maker"
        return seller(self.results[f][0].scenario)

    def whose(self, kpi: str, f: int | None) -> str:
        """The other seller whose money file ``f`` reports in the maker's ``kpi``; "" when it is the maker's own."""
        who = self.seller(f)
        return who if kpi.startswith("maker_") and who != "maker" else ""

    def comparable(self, kpi: str, f: int | None, g: int | None) -> bool:
        """Files f and g (None: the baseline) can be differenced on ``kpi``: not two sellers' profits."""
        return not kpi.startswith("maker_") or self.seller(f) == self.seller(g)

    def curve_label(self, kpi: str, f: int) -> str:
        """File f's label on ``kpi``, marked when it is another seller's money: ``imported (importer's profit)``."""
        who = self.whose(kpi, f)
        return f"{self.labels[f]} ({who}'s {_money_word(kpi)})" if who else self.labels[f]

    def seller_note(self, kpi: str) -> str:
        """Why some lines of ``kpi`` are not the maker's and not differenced; "" when all are the maker's."""
        files = [f for f in range(len(self.labels)) if self.whose(kpi, f)]
        base = self.baseline is not None and bool(self.whose(kpi, None))
        if not files and not base:
            return ""
        parts = [f"{self.labels[f]} is sold by the {self.seller(f)}" for f in files]
        if base:
            parts.append(f"the baseline {self.baseline_label} is sold by the {self.seller(None)}")
        its, it = ("its", "it is") if len(parts) == 1 else ("their", "they are")
        return (
            "; ".join(parts) + f": {its} {_money_word(kpi)} is the {_or(self, kpi)}'s, not the maker's, so {it} "
            "not differenced against another seller's and no break-even is sought between them"
        )

    def break_even(self, kpi: str, i: int, j: int) -> BreakEven:
        """The break-even of ``kpi`` between files i and j (difference j − i)."""
        if not self.comparable(kpi, i, j):
            return self._not_comparable(kpi, self.labels[i], self.labels[j], i, j)
        diffs = [self.difference(kpi, i, j, v) for v in range(len(self.values))]
        return self._break_even(kpi, self.labels[i], self.labels[j], diffs, who=self.whose(kpi, i))

    def baseline_break_even(self, kpi: str, f: int) -> BreakEven:
        """Where file f, swept, crosses the fixed baseline on ``kpi`` (difference file − baseline)."""
        lab = self.baseline_label
        words = lab if lab.endswith("(baseline)") else f"the baseline {lab}"
        if not self.comparable(kpi, None, f):
            return self._not_comparable(kpi, lab, self.labels[f], None, f, words)
        diffs = [self.vs_baseline(kpi, f, v) for v in range(len(self.values))]
        return self._break_even(kpi, lab, self.labels[f], diffs, words, who=self.whose(kpi, f))

    def _not_comparable(self, kpi: str, a: str, b: str, i: int | None, j: int | None, a_words: str = "") -> BreakEven:
        """No break-even between two sellers' money: the sentence says whose each is."""
        money = _money_word(kpi)
        own = [(a_words or a, self.seller(i)), (b, self.seller(j))]
        whose = " and ".join(f"{lab}'s {money} is the {who}'s" for lab, who in own)
        text = (f"{kpi}: {b} − {a_words or a}: not compared: {whose}, so there is no maker-{money} break-even "
                "between them (different sellers, pricing.seller).")
        return BreakEven(kpi, a, b, None, None, None, None, False, text)

    def _break_even(
        self, kpi: str, a: str, b: str, diffs: Sequence[Difference], a_words: str = "", who: str = ""
    ) -> BreakEven:
        x = np.array(self.values)
        found, excludes, extra = break_evens(x, [d.mean for d in diffs], [d.low for d in diffs], [d.high for d in diffs])
        if any(d.n < 2 for d in diffs):  # no confidence intervals: estimate only
            found = [(est, None, None) for est, _, _ in found]
            excludes = False
        words = describe_break_even(self, kpi, a_words or a, b, diffs, found, excludes, extra)
        if who:  # both sold by the same other seller: its money on both sides
            words += f" Both are the {who}'s {_money_word(kpi)}, not the maker's."
        if not found:
            return BreakEven(kpi, a, b, None, None, None, extra, excludes, words)
        est, lo, hi = found[0]
        return BreakEven(kpi, a, b, est, lo, hi, None, excludes, words)


def _money_word(kpi: str) -> str:
    """``profit`` for maker_profit, else the KPI's own word (``revenue``, ``cost``)."""
    return kpi.removeprefix("maker_").replace("_", " ") if kpi.startswith("maker_") else describe(kpi).label.lower()


def _or(sweep: Sweep, kpi: str) -> str:
    """The other sellers of ``kpi`` in the sweep, e.g. ``importer``."""
    files: list[int | None] = [*range(len(sweep.labels)), None]
    return " or ".join(sorted({sweep.whose(kpi, f) for f in files if sweep.whose(kpi, f)}))


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"


def describe_break_even(
    sweep: Sweep,
    kpi: str,
    a: str,
    b: str,
    diffs: Sequence[Difference],
    found: Sequence[tuple[float, float | None, float | None]],
    excludes: bool,
    extrapolated: float | None,
) -> str:
    """The break-even of ``b − a`` in words, e.g. ``customer_total_cost: dense − sparse changes sign at … ≈ 64.2 (95% interval 58.1 to 71.0)``."""
    x0, x1 = sweep.values[0], sweep.values[-1]
    head = f"{kpi}: {b} − {a}"
    meta = describe(kpi)
    if not found:
        means = [d.mean for d in diffs if math.isfinite(d.mean)]
        if not means:
            return f"{head}: undefined over the swept range"
        nonzero = [m for m in means if m != 0]
        if not nonzero:
            return f"{head} is 0 at every swept value of {sweep.param}: the two never differ, no break-even."
        sign = ("positive" if nonzero[0] > 0 else "negative") + (" or 0" if len(nonzero) < len(means) else "")
        better = _better(meta.better, b, a, nonzero[0])
        text = f"{head} stays {sign} over {sweep.param} = {_num(x0)} to {_num(x1)}: no break-even in the swept range"
        text += f" ({better} {'wherever they differ' if len(nonzero) < len(means) else 'throughout'})" if better else ""
        if any(d.n < 2 for d in diffs):
            text += " (no confidence interval: fewer than 2 replications)"
        elif not excludes:
            text += "; its 95% CI contains 0 at every swept value, so the sign itself is uncertain"
        if extrapolated is not None:
            text += f"; a straight line through the means would cross 0 at ≈ {_num(extrapolated)}, outside the swept range (extrapolation, not a result)"
        return text + "."
    if any(d.n < 2 for d in diffs):
        where = " and ".join(f"≈ {_num(est)}" for est, _, _ in found)
        return f"{head} changes sign at {sweep.param} {where} (no interval: fewer than 2 replications)."
    parts = []
    for est, lo, hi in found:
        lo_t = _num(lo) if lo is not None else f"below {_num(x0)} (beyond the swept range)"
        hi_t = _num(hi) if hi is not None else f"above {_num(x1)} (beyond the swept range)"
        parts.append(f"≈ {_num(est)} (95% interval {lo_t} to {hi_t})")
    text = f"{head} changes sign at {sweep.param} " + " and ".join(parts)
    after = [d.mean for d, v in zip(diffs, sweep.values) if v > found[-1][0] and math.isfinite(d.mean)]
    if after:
        better = _better(meta.better, b, a, after[0])
        if better:
            text += f"; above it {better}"
    if not excludes:
        text += "; the 95% CI of the difference contains 0 at every swept value, so the break-even is not located"
    return text + "."


def _better(direction: str, b: str, a: str, diff: float) -> str:
    """Which file is better when b − a = diff."""
    if direction not in ("lower", "higher") or diff == 0:
        return ""
    b_wins = (diff < 0) == (direction == "lower")
    return f"{b if b_wins else a} has the {'lower' if direction == 'lower' else 'higher'} value"


# ------------------------------------------------------------------------------ files


def sweep_csv(sweep: Sweep) -> str:
    """file, value, KPI, mean, half-width, CI bounds, n, one row per point and KPI."""
    rows = []
    for f, label in enumerate(sweep.labels):
        for v, (x, t) in enumerate(zip(sweep.values, sweep.texts)):
            for k in sweep.kpis:
                s = sweep.summary(f, v, k)
                rows.append([label, sweep.files[f], t, k, fmt(s.mean), fmt(s.half_width), fmt(s.low), fmt(s.high), s.n])
    return csv_text(["scenario", "file", "value", "kpi", "mean", "half_width", "low", "high", "n"], rows)


def replications_csv(sweep: Sweep) -> str:
    """Per-replication values of the chosen KPIs at every point."""
    rows = []
    for f, label in enumerate(sweep.labels):
        for v, t in enumerate(sweep.texts):
            res = sweep.results[f][v]
            cols = [res.column(k) for k in sweep.kpis]
            for r in range(len(res.rows)):
                rows.append([label, sweep.files[f], t, r, *(fmt(c[r]) for c in cols)])
    return csv_text(["scenario", "file", "value", "replication", *sweep.kpis], rows)


BASELINE_COLUMNS = (
    "scenario", "file", "value", "kpi", "baseline", "baseline_mean", "mean", "diff_mean", "diff_std",
    "diff_half_width", "diff_low", "diff_high", "n", "p_value", "significant",
)


def baseline_csv(sweep: Sweep) -> str:
    """Each point against the fixed baseline: the paired difference point − baseline and its 95% CI."""
    assert sweep.baseline is not None
    rows = []
    for f, label in enumerate(sweep.labels):
        for v, t in enumerate(sweep.texts):
            for k in sweep.kpis:
                d = sweep.vs_baseline(k, f, v)
                base, point = summarize(sweep.baseline.column(k)), sweep.summary(f, v, k)
                rows.append([
                    label, sweep.files[f], t, k, sweep.baseline_label, fmt(base.mean), fmt(point.mean),
                    *(fmt(x) for x in (d.mean, d.std, d.half_width, d.low, d.high)), d.n, fmt(d.p_value),
                    "true" if d.significant else "false",
                ])
    return csv_text(BASELINE_COLUMNS, rows)


def baseline_break_evens(sweep: Sweep) -> list[BreakEven]:
    """Every KPI and file against the baseline (difference file − baseline); empty without one."""
    if sweep.baseline is None:
        return []
    return [sweep.baseline_break_even(k, f) for k in sweep.kpis for f in range(len(sweep.labels))]


def _opt(v: float | None) -> str:
    return "" if v is None else fmt(v)


def break_even_csv(found: Sequence[BreakEven]) -> str:
    """One row per KPI and pair of files."""
    rows = [
        [b.kpi, b.a, b.b, _opt(b.estimate), _opt(b.low), _opt(b.high), _opt(b.extrapolated),
         "true" if b.ci_excludes_zero_somewhere else "false", b.text]
        for b in found
    ]
    return csv_text(
        ["kpi", "a", "b", "estimate", "low", "high", "extrapolated", "ci_excludes_zero_somewhere", "text"], rows
    )


def all_break_evens(sweep: Sweep) -> list[BreakEven]:
    """Every KPI and every pair of files (i < j, difference j − i)."""
    n = len(sweep.labels)
    return [sweep.break_even(k, i, j) for k in sweep.kpis for i in range(n) for j in range(i + 1, n)]


def sweep_json(sweep: Sweep, found: Sequence[BreakEven]) -> dict[str, Any]:
    """The sweep as plain data."""
    return {
        "param": sweep.param,
        "values": list(sweep.texts),
        "seed": sweep.seed,
        "replications": sweep.replications,
        "confidence": CONFIDENCE,
        "currency": sweep.currency,
        "scenarios": [{"label": lab, "file": f, "seller": sweep.seller(k)} for k, (lab, f) in enumerate(zip(sweep.labels, sweep.files))],
        "kpis": list(sweep.kpis),
        "points": [
            {
                "scenario": sweep.labels[f],
                "value": sweep.texts[v],
                "kpis": {k: sweep.summary(f, v, k).as_dict() for k in sweep.kpis},
            }
            for f in range(len(sweep.labels))
            for v in range(len(sweep.values))
        ],
        **({} if sweep.baseline is None else {"baseline": {
            "label": sweep.baseline_label,
            "file": sweep.baseline_file,
            "seller": sweep.seller(None),
            "kpis": {k: summarize(sweep.baseline.column(k)).as_dict() for k in sweep.kpis},
            "differences": [
                {"scenario": sweep.labels[f], "value": sweep.texts[v], "kpi": k,
                 "difference": f"{sweep.labels[f]} - {sweep.baseline_label}", **sweep.vs_baseline(k, f, v).as_dict()}
                for f in range(len(sweep.labels)) for v in range(len(sweep.values)) for k in sweep.kpis
            ],
        }}),
        "break_even_method": METHOD,
        "break_evens": [
            {
                "kpi": b.kpi, "a": b.a, "b": b.b, "difference": f"{b.b} - {b.a}", "estimate": b.estimate,
                "low": b.low, "high": b.high, "extrapolated": b.extrapolated,
                "ci_excludes_zero_somewhere": b.ci_excludes_zero_somewhere, "text": b.text,
            }
            for b in found
        ],
    }


def param_label(param: str, currency: str) -> str:
    """Axis label of the swept parameter, with a unit guessed from the field name."""
    field = re.split(r"[.\]]", param)[-1]
    if field.endswith("_multiplier"):
        unit = "×"
    elif field.endswith("_per_h") and ("cost" in field or "penalty" in field):
        unit = f"{currency} per hour"
    elif field.endswith("_per_year") and "cost" in field:
        unit = f"{currency} per year"
    elif field.endswith("_h"):
        unit = "hours"
    elif field.endswith("_km"):
        unit = "km"
    elif "base_stock" in param:
        unit = "units"
    elif field in ("price", "unit_cost", "loss") or field.endswith("cost"):
        unit = currency
    else:
        unit = ""
    return f"{param} ({unit})" if unit else param
