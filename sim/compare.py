"""Comparing scenarios run with common random numbers: summaries, paired differences, verdict.

Every scenario runs with the same seed and replication indices, so replication ``i`` of
each sees the same failure draws wherever their fleets agree; the difference of a KPI is
taken replication by replication (B − A) and its confidence interval is that of the mean
of those differences (:func:`sim.stats.paired_difference`).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from scipy import stats as sps

from sim.kpis import describe, table_kpis
from sim.output import csv_text, fmt, provenance
from sim.runner import RunResult
from sim.scenario.schema import Scenario
from sim.stats import CONFIDENCE, Difference, Summary, paired_difference, summarize
from sim.table import number, render

EXTRA_TABLE_KPIS = ("customer_perishable_loss", "maker_revenue", "maker_cost")


@dataclass(frozen=True)
class Alternative:
    """One scenario of a comparison: its label, source file and results."""

    label: str
    file: str
    result: RunResult
    folder: str  # sub-folder of the output holding its files


@dataclass(frozen=True)
class KpiComparison:
    """One KPI across the alternatives: summaries, and paired differences against the first."""

    kpi: str
    summaries: tuple[Summary, ...]
    differences: tuple[Difference | None, ...]  # None for the first (the baseline)


@dataclass(frozen=True)
class Comparison:
    """Alternatives run with common random numbers, and their KPIs compared."""

    alternatives: tuple[Alternative, ...]
    kpis: tuple[KpiComparison, ...]
    seed: int
    replications: int

    @property
    def baseline(self) -> Alternative:
        """The first alternative: differences are taken against it."""
        return self.alternatives[0]

    @property
    def currency(self) -> str:
        """The money unit (the baseline's currency)."""
        return self.baseline.result.scenario.currency

    def kpi(self, name: str) -> KpiComparison:
        """The comparison of one KPI."""
        for k in self.kpis:
            if k.kpi == name:
                return k
        raise KeyError(name)

    def names(self) -> list[str]:
        """KPI names in column order."""
        return [k.kpi for k in self.kpis]

    def pair(self, kpi: str, i: int, j: int) -> Difference:
        """Paired difference of ``kpi``: alternative ``j`` minus alternative ``i``."""
        a, b = self.alternatives[i].result, self.alternatives[j].result
        return paired_difference(a.column(kpi), b.column(kpi))


def window_text(scenario: Scenario) -> str:
    """The statistics window in words, e.g. ``8,040-h window (0.92 year)``."""
    h = scenario.window_h
    return f"{h:,.0f}-h window ({h / 8760:.2f} year)"


def labels_for(results: Sequence[RunResult], files: Sequence[str]) -> list[str]:
    """Unique labels: scenario names, else file names, else numbered."""
    names = [r.scenario.name for r in results]
    if len(set(names)) == len(names):
        return names
    stems = [re.sub(r"\.ya?ml$", "", f.replace("\\", "/").rsplit("/", 1)[-1]) for f in files]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{n} #{k + 1}" for k, n in enumerate(names)]


def folder_name(label: str, taken: set[str]) -> str:
    """A file-system-safe, unique folder name for a label."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("._") or "scenario"
    name, k = base, 2
    while name.lower() in taken:
        name, k = f"{base}-{k}", k + 1
    taken.add(name.lower())
    return name


def compare(results: Sequence[RunResult], files: Sequence[str]) -> Comparison:
    """Summaries and paired differences (vs the first) of every KPI of ``results``.

    All results must come from the same seed and replication count (common random numbers).
    """
    if len(results) < 2:
        raise ValueError("a comparison needs at least two scenarios")
    seeds = {r.seed for r in results}
    counts = {len(r.rows) for r in results}
    if len(seeds) != 1 or len(counts) != 1:
        raise ValueError("compared results must share the seed and the number of replications")
    taken: set[str] = set()
    alts = tuple(
        Alternative(label, file, r, folder_name(label, taken))
        for label, file, r in zip(labels_for(results, files), files, results)
    )
    names: list[str] = []
    for r in results:
        names += [k for k in r.kpis if k not in names]
    base = results[0]
    rows = []
    for k in names:
        summaries = tuple(summarize(r.column(k)) for r in results)
        diffs = (None,) + tuple(paired_difference(base.column(k), r.column(k)) for r in results[1:])
        rows.append(KpiComparison(k, summaries, diffs))
    return Comparison(alts, tuple(rows), seeds.pop(), counts.pop())


def default_kpis(comparison: Comparison) -> list[str]:
    """KPIs of the printed table: the headline ones, a few money totals, per-region promises."""
    have = [k.kpi for k in comparison.kpis if any(s.n > 0 for s in k.summaries)]  # defined somewhere
    return table_kpis(have, EXTRA_TABLE_KPIS)


# ------------------------------------------------------------------------------ formatting


def unit_of(kpi: str, currency: str) -> str:
    """The unit shown next to a KPI (money in the currency; shares are shown as %)."""
    unit = describe(kpi).unit
    return {"money": currency, "share": "%", "count": ""}.get(unit, unit)


def spread(value: float, scale: float, unit: str) -> str:
    """A half-width for people; rounding noise on a constant KPI shows as 0."""
    if math.isfinite(value) and abs(value) <= 1e-9 * max(1.0, abs(scale)):
        value = 0.0
    return number(value, unit)


def signed(value: float, unit: str) -> str:
    """A difference with its sign, e.g. ``+412,000`` or ``-1.2%`` (shares in percentage points)."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "share":  # digits enough that a non-zero difference never reads +0.0
        return f"{100 * value:+.{decimals_for([100 * value], 1)}f} pp"
    if value != 0 and abs(value) < 0.05 and unit != "money":
        return f"{value:+.2g}"
    text = number(value, unit)
    return text if text.startswith("-") else "+" + text


def p_text(p: float) -> str:
    """A p-value for people."""
    if not math.isfinite(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def table_rows(comparison: Comparison, kpis: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the comparison table (one row per KPI and scenario)."""
    base = comparison.baseline.label
    header = ["KPI", "scenario", "mean", "95% CI", f"Δ vs {base}", "95% CI of Δ", "p", "significant"]
    rows: list[list[str]] = []
    for name in kpis:
        k = comparison.kpi(name)
        meta = describe(name)
        unit = unit_of(name, comparison.currency)
        label = meta.label + (f" ({unit})" if unit and unit != "%" else "")
        for j, (alt, s, d) in enumerate(zip(comparison.alternatives, k.summaries, k.differences)):
            hw = "± " + spread(s.half_width, s.mean, meta.unit) if s.n > 1 else "—"
            row = [label if j == 0 else "", alt.label, number(s.mean, meta.unit), hw]
            if d is None:
                row += ["", "", "", ""]
            else:
                ci = f"[{signed(d.low, meta.unit)}, {signed(d.high, meta.unit)}]" if d.n > 1 else "—"
                sig = "yes" if d.significant else ("no" if d.n > 1 else "—")
                row += [signed(d.mean, meta.unit), ci, p_text(d.p_value), sig]
            rows.append(row)
    return header, rows


def terminal_table(comparison: Comparison, kpis: Sequence[str]) -> str:
    """The comparison table for a terminal, with a title line."""
    header, rows = table_rows(comparison, kpis)
    first = comparison.baseline.result.scenario
    title = (
        f"{len(comparison.alternatives)} scenarios, {comparison.replications} replications each, "
        f"common random numbers (seed {comparison.seed}); money in {comparison.currency} over the "
        f"{first.window_h:,.0f}-h window; Δ = scenario − {comparison.baseline.label}, paired"
    )
    return title + "\n" + render(header, rows, "llrrrrrl")


# ------------------------------------------------------------------------------ verdict


def seller(scenario: Scenario) -> str:
    """Who earns the ledger's "maker" profit in ``scenario``: ``maker``, or e.g. ``importer``."""
    return str(getattr(scenario.pricing, "seller", "maker"))


def promises_of(scenario: Scenario) -> tuple[float | None, ...]:
    """Each site's restore promise in hours (its own, else its region's; None: no promise)."""
    regions = {r.name: r.promise_h for r in scenario.regions}
    return tuple(s.promise_h if s.promise_h is not None else regions.get(s.region or "") for s in scenario.sites)


def promises_differ(comparison: Comparison) -> bool:
    """True when the scenarios promise different restore times to the same sites."""
    return len({promises_of(a.result.scenario) for a in comparison.alternatives}) > 1


def promises_nothing(scenario: Scenario) -> bool:
    """True when no site of ``scenario`` has a restore promise."""
    return all(p is None for p in promises_of(scenario))


def decimals_for(values: Sequence[float], base: int) -> int:
    """Decimals that show every non-zero value with at least two significant digits (at least ``base``)."""
    d = base
    for v in values:
        if math.isfinite(v) and v != 0:
            d = max(d, min(8, 1 - math.floor(math.log10(abs(v)))))
    return d


def amount_text(
    value: float, unit: str, currency: str, signed_: bool = False, like: Sequence[float] = (), named: bool = True,
    scale_of: Sequence[float] = (),
) -> str:
    """A value for a short sentence or a cell: ``CNY 65.07 M``, ``98.2%``, ``3.82 h``; ``signed_`` adds + or −.

    ``like``: other values shown beside it (a CI); digits are added until none of them
    rounds to zero, so that a real difference never reads as 0.0. ``scale_of``: values of the
    same column, whose largest decides millions or not (default: ``value`` and ``like``).
    """
    if not math.isfinite(value):
        return "—"
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed_ else ("−" if value < 0 else "")
    v = abs(value)
    vals = [abs(x) for x in (value, *like)]
    if unit == "share":
        d = decimals_for([100 * x for x in vals], 1)
        return f"{sign}{100 * v:.{d}f}{' pp' if signed_ else '%'}"
    if unit == "money":
        cur = f"{currency} " if named and not signed_ else ""  # a signed amount is a gap beside an amount that names it
        if max([*vals, *(abs(x) for x in scale_of if math.isfinite(x))]) >= 1e6:
            d = decimals_for([x / 1e6 for x in vals], 2)
            return f"{sign}{cur}{v / 1e6:,.{d}f} M"
        d = decimals_for(vals, 0) if max(vals) < 100 else 0
        return f"{sign}{cur}{v:,.{d}f}"
    d = decimals_for(vals, 1 if max(vals) < 1000 else 0)
    shown = "" if unit in ("count", "") else f" {unit}"
    return f"{sign}{v:,.{d}f}{shown}"


@dataclass(frozen=True)
class Ranking:
    """The best alternative on one KPI among some, and each other one's paired difference to it."""

    kpi: str
    winner: int
    others: tuple[tuple[int, Difference], ...]  # (alternative, other − winner)
    left_out: tuple[int, ...]  # alternatives not ranked (KPI undefined, or another seller's profit)


def rank(comparison: Comparison, kpi: str, among: Sequence[int] | None = None) -> Ranking | None:
    """The best of ``among`` (default all) on ``kpi``; ties go to the first listed. None: undefined everywhere."""
    if kpi not in comparison.names():
        return None
    meta = describe(kpi)
    k = comparison.kpi(kpi)
    pool = list(range(len(comparison.alternatives))) if among is None else list(among)
    finite = [j for j in pool if math.isfinite(k.summaries[j].mean)]
    if not finite:
        return None
    pick = min if meta.better == "lower" else max
    best = pick(finite, key=lambda j: k.summaries[j].mean)
    others = tuple((j, comparison.pair(kpi, best, j)) for j in finite if j != best)
    left = tuple(j for j in range(len(comparison.alternatives)) if j not in finite)
    return Ranking(kpi, best, others, left)


def maker_sold(comparison: Comparison) -> list[int]:
    """Alternatives whose profit is the maker's own (not an importer's)."""
    return [j for j, a in enumerate(comparison.alternatives) if seller(a.result.scenario) == "maker"]


def ranked_among(comparison: Comparison, kpi: str) -> list[int] | None:
    """Who competes on ``kpi``: for the maker's money only the maker's own scenarios, else everyone (None)."""
    return maker_sold(comparison) if kpi.startswith("maker_") else None


@dataclass(frozen=True)
class BreakEven:
    """Where two alternatives cost the customer the same, as one lever varies (the others fixed).

    ``value`` is the lever's break-even, ``low``/``high`` the interval of levers where the
    paired difference's 95% CI contains zero (Fieller); ``low``/``high`` are infinite when
    the data cannot bound it. ``current`` is the lever's value in the scenarios.
    """

    lever: str  # "downtime" or "price"
    winner: int
    other: int
    value: float
    low: float
    high: float
    current: float
    above: bool  # True: the winner is the cheaper one above the break-even, False: below it


def fieller(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Root c of mean(a) + c·mean(b) = 0 with the 95% set of c where the paired mean's CI holds 0.

    ``a_i + c·b_i`` is the paired difference at lever value c in replication i; the set is
    {c : (ā + c·b̄)² ≤ t² · var(a + c·b) / n}, bounded when b̄ is clearly non-zero.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = len(x)
    ma, mb = float(x.mean()), float(y.mean())
    root = -ma / mb if mb else math.nan
    if n < 2:
        return root, math.nan, math.nan
    q = float(sps.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) ** 2 / n
    saa, sbb = float(x.var(ddof=1)), float(y.var(ddof=1))
    sab = float(np.cov(x, y, ddof=1)[0, 1])
    qa, qb, qc = mb * mb - q * sbb, 2 * (ma * mb - q * sab), ma * ma - q * saa
    disc = qb * qb - 4 * qa * qc
    if qa <= 0 or disc < 0:
        return root, -math.inf, math.inf
    r = math.sqrt(disc)
    lo, hi = sorted(((-qb - r) / (2 * qa), (-qb + r) / (2 * qa)))
    return root, lo, hi


def break_evens(comparison: Comparison) -> list[BreakEven]:
    """The customer's break-evens between the customer's best alternative and the baseline (else the runner-up).

    Downtime cost: the same cost per machine-hour at every site, c, makes each customer's
    cost (total − downtime cost) + c × machine-hours down; the break-even c equates the two.
    Machine price: the winner's machine price scaled until its customer cost equals the
    other's (its machine cost is linear in the price multiplier). Both are exact for the
    simulated replications: neither lever changes what is simulated.
    """
    r = rank(comparison, "customer_total_cost")
    names = comparison.names()
    if r is None or not r.others or not all(k in names for k in ("customer_downtime_cost", "customer_downtime_h", "customer_machine_cost")):
        return []
    other = 0 if r.winner != 0 else min(r.others, key=lambda o: o[1].mean)[0]
    w, o = comparison.alternatives[r.winner].result, comparison.alternatives[other].result
    out = []
    # downtime: other − winner at c is (rest_o − rest_w) + c (h_o − h_w)
    rest = (o.column("customer_total_cost") - o.column("customer_downtime_cost")) - (
        w.column("customer_total_cost") - w.column("customer_downtime_cost"))
    hours = o.column("customer_downtime_h") - w.column("customer_downtime_h")
    cost = np.concatenate([w.column("customer_downtime_cost"), o.column("customer_downtime_cost")])
    down = np.concatenate([w.column("customer_downtime_h"), o.column("customer_downtime_h")])
    current = float(cost.sum() / down.sum()) if down.sum() > 0 else math.nan
    if np.all(np.isfinite(rest)) and np.all(np.isfinite(hours)) and hours.mean() != 0:
        out.append(BreakEven("downtime", r.winner, other, *fieller(rest, hours), current, bool(hours.mean() > 0)))
    # price: other − winner at multiplier m is (tc_o − tc_w + mc_w) − m · mc_w / m_w
    m_w = comparison.alternatives[r.winner].result.scenario.pricing.machine_price_multiplier
    mc_w = w.column("customer_machine_cost")
    if np.all(np.isfinite(mc_w)) and mc_w.mean() > 0:
        base = o.column("customer_total_cost") - w.column("customer_total_cost") + mc_w
        out.append(BreakEven("price", r.winner, other, *fieller(base, -mc_w / m_w), m_w, False))
    return out


def break_even_text(b: BreakEven, comparison: Comparison) -> str:
    """A break-even in one sentence."""
    alts = comparison.alternatives
    win, oth = alts[b.winner].label, alts[b.other].label
    cur = comparison.currency
    if b.lever == "downtime":
        def val(x: float) -> str:
            return f"{x:,.0f}" if math.isfinite(x) else ("−∞" if x < 0 else "∞")
        ci = f"95% interval {val(b.low)} to {val(b.high)}" if math.isfinite(b.low) else "the interval is unbounded: more replications are needed"
        if not math.isfinite(b.value) or b.value <= 0:
            if b.above:
                sure = "" if math.isfinite(b.high) and b.high <= 0 else f" (break-even below zero; {ci})"
                return f"{win} costs the customer less than {oth} at any downtime cost per machine-hour{sure}."
            return (f"At no downtime cost per machine-hour, the same at every site, is {win} cheaper for the customer "
                    f"than {oth} ({ci}): its lead comes from which sites lose most per hour.")
        now = f"; these two scenarios average {cur} {b.current:,.0f} per machine-hour down" if math.isfinite(b.current) else ""
        side = "more" if b.above else "less"
        return (f"{win} is cheaper for the customer than {oth} when downtime costs {side} than "
                f"{cur} {val(b.value)} per machine-hour, the same at every site ({ci}){now}.")
    def mul(x: float) -> str:
        return f"×{x:.2f}" if math.isfinite(x) else ("−∞" if x < 0 else "∞")
    ci = f"95% interval {mul(b.low)} to {mul(b.high)}" if math.isfinite(b.low) else "the interval is unbounded"
    return (f"{win} stays cheaper for the customer than {oth} up to a machine price multiplier of "
            f"{mul(b.value)} ({ci}; now {mul(b.current)}).")


def verdict_for(comparison: Comparison, kpi: str, subject: str, among: Sequence[int] | None = None) -> str | None:
    """A short sentence-group naming the best alternative on ``kpi`` and each other's paired gap to it.

    ``subject`` completes "… has the lowest/highest {subject}". No p-values here: they
    are in the table; a gap reads "(not significant)" when its 95% CI holds zero.
    """
    r = rank(comparison, kpi, among)
    if r is None:
        return None
    meta = describe(kpi)
    cur = comparison.currency
    alts = comparison.alternatives
    s = comparison.kpi(kpi).summaries[r.winner]
    word = "lowest" if meta.better == "lower" else "highest"
    hw = f" (± {amount_text(s.half_width, meta.unit, cur, signed_=True, like=(s.mean,))[1:]})" if s.n > 1 else ""
    out = [f"{alts[r.winner].label} has the {word} {subject}: {amount_text(s.mean, meta.unit, cur)}{hw}."]
    for j, d in r.others:
        gap = amount_text(d.mean, meta.unit, cur, signed_=True, like=(d.low, d.high, s.mean))
        if d.n < 2:
            out.append(f"{alts[j].label} {gap} (one replication).")
        elif d.std == 0 and d.mean == 0:
            out.append(f"{alts[j].label} is the same in every replication.")
        else:
            lo = amount_text(d.low, meta.unit, cur, signed_=True, like=(d.mean, d.high, s.mean))
            hi = amount_text(d.high, meta.unit, cur, signed_=True, like=(d.mean, d.low, s.mean))
            note = "" if d.significant else ", not significant"
            out.append(f"{alts[j].label} {gap} (95% CI {lo} to {hi}{note}).")
    for j in r.left_out:
        sc = alts[j].result.scenario
        if kpi == "within_promise_share" and promises_nothing(sc):
            out.append(f"{alts[j].label}: no promise.")
        elif kpi.startswith("maker_") and seller(sc) != "maker":
            m = comparison.kpi(kpi).summaries[j].mean
            out.append(f"{alts[j].label}: {amount_text(m, meta.unit, cur)}, the {seller(sc)}'s profit, not the maker's.")
    return " ".join(out)


VERDICT_KPIS = (
    ("customer_total_cost", "total cost to the customer"),
    ("maker_profit", "profit for the maker"),
    ("within_promise_share", "share restored within its own promise"),
    ("restored_within_8h_share", "share restored within 8 h (one yardstick for all)"),
    ("restore_time_mean_h", "mean restore time"),
)


def verdict(comparison: Comparison) -> list[str]:
    """The answer in words: who costs the customer less, who earns the maker more, with CIs."""
    first = comparison.baseline.result.scenario
    out = [
        f"All figures are means over {comparison.replications} replications of a "
        f"{first.window_h:,.0f}-hour window; differences are paired replication by replication "
        "(common random numbers) with 95% confidence intervals."
    ]
    for kpi, subject in VERDICT_KPIS:
        among = ranked_among(comparison, kpi)
        if kpi == "within_promise_share" and not promises_differ(comparison):
            subject = "share restored within the promise"
        line = verdict_for(comparison, kpi, subject, among)
        if line:
            out.append(line)
    for b in break_evens(comparison):
        out.append("Break-even: " + break_even_text(b, comparison))
    windows = {a.result.scenario.window_h for a in comparison.alternatives}
    if len(windows) > 1:
        out.append("Warning: the scenarios have different statistics windows, so money totals are not directly comparable.")
    currencies = {a.result.scenario.currency for a in comparison.alternatives}
    if len(currencies) > 1:
        out.append(f"Warning: the scenarios use different currencies ({', '.join(sorted(currencies))}); amounts are shown in {comparison.currency}.")
    return out


# ------------------------------------------------------------------------------ files


CSV_COLUMNS = (
    "kpi", "label", "unit", "scenario", "n", "mean", "std", "half_width", "low", "high",
    "diff_vs", "diff_n", "diff_mean", "diff_std", "diff_half_width", "diff_low", "diff_high",
    "t", "p_value", "significant",
)


def comparison_csv(comparison: Comparison) -> str:
    """Every KPI per scenario (mean, 95% CI) and paired differences vs the baseline, one row each."""
    rows = []
    base = comparison.baseline.label
    for k in comparison.kpis:
        meta = describe(k.kpi)
        unit = unit_of(k.kpi, comparison.currency)
        for alt, s, d in zip(comparison.alternatives, k.summaries, k.differences):
            row: list[Any] = [k.kpi, meta.label, "share" if unit == "%" else unit, alt.label, s.n]
            row += [fmt(v) for v in (s.mean, s.std, s.half_width, s.low, s.high)]
            if d is None:
                row += [""] * 9
            else:
                row += [base, d.n, *(fmt(v) for v in (d.mean, d.std, d.half_width, d.low, d.high, d.t, d.p_value))]
                row.append("true" if d.significant else "false")
            rows.append(row)
    return csv_text(CSV_COLUMNS, rows)


def comparison_json(comparison: Comparison, verdict_lines: Sequence[str]) -> dict[str, Any]:
    """The comparison as plain data."""
    return {
        "confidence": CONFIDENCE,
        "seed": comparison.seed,
        "replications": comparison.replications,
        "currency": comparison.currency,
        "baseline": comparison.baseline.label,
        "scenarios": [
            {"label": a.label, "name": a.result.scenario.name, "file": a.file, "folder": f"scenarios/{a.folder}"}
            for a in comparison.alternatives
        ],
        "verdict": list(verdict_lines),
        "kpis": [
            {
                "kpi": k.kpi,
                "label": describe(k.kpi).label,
                "unit": describe(k.kpi).unit,
                "better": describe(k.kpi).better,
                "scenarios": [
                    {"scenario": a.label, **s.as_dict()} for a, s in zip(comparison.alternatives, k.summaries)
                ],
                "differences": [
                    {"scenario": a.label, "vs": comparison.baseline.label, **d.as_dict()}
                    for a, d in zip(comparison.alternatives, k.differences)
                    if d is not None
                ],
            }
            for k in comparison.kpis
        ],
    }


def manifest(started: datetime, finished: datetime, **extra: Any) -> dict[str, Any]:
    """Provenance of a multi-scenario run (compare, sweep): ``extra``, times, code and package versions."""
    return {**extra, **provenance(started, finished), "argv": sys.argv}
