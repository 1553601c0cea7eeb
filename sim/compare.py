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
    if unit == "share":
        return f"{100 * value:+.1f} pp"
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


def money_words(value: float, currency: str) -> str:
    """An amount for a sentence: ``CNY 3.73 million`` or ``CNY 12,345``."""
    if not math.isfinite(value):
        return "undefined"
    if abs(value) >= 1e6:
        return f"{currency} {value / 1e6:,.2f} million"
    return f"{currency} {value:,.0f}"


def _amount(value: float, unit: str, currency: str) -> str:
    if unit == "money":
        return money_words(value, currency)
    if unit == "share":
        return f"{100 * value:.1f}%"
    return f"{number(value, unit)} {unit}".strip()


def _gap(value: float, unit: str, currency: str) -> str:
    if unit == "share":
        return f"{100 * abs(value):.1f} percentage points"
    return _amount(abs(value), unit, currency)


def verdict_for(comparison: Comparison, kpi: str, subject: str) -> str | None:
    """One sentence-group naming the best alternative on ``kpi`` and how sure we are.

    ``subject`` completes "… has the lowest/highest {subject}".
    """
    if kpi not in comparison.names():
        return None
    meta = describe(kpi)
    cur = comparison.currency
    k = comparison.kpi(kpi)
    means = [s.mean for s in k.summaries]
    if not any(math.isfinite(m) for m in means):
        return None
    lower_better = meta.better == "lower"
    finite = [j for j, m in enumerate(means) if math.isfinite(m)]
    best = (min if lower_better else max)(finite, key=means.__getitem__)  # ties: the first listed
    alts = comparison.alternatives
    s = k.summaries[best]
    word = "lowest" if lower_better else "highest"
    spread = f"95% CI ± {_gap(s.half_width, meta.unit, cur)}" if s.n > 1 else "one replication, no CI"
    out = [f"{alts[best].label} has the {word} {subject}: {_amount(s.mean, meta.unit, cur)} on average ({spread})."]
    for j, alt in enumerate(alts):
        if j == best or not math.isfinite(means[j]):
            continue
        d = comparison.pair(kpi, best, j)  # other − best
        direction = "more" if d.mean > 0 else "less"
        if meta.unit == "share":
            direction = "higher" if d.mean > 0 else "lower"
        if d.n < 2:
            out.append(f"{alt.label} is {_gap(d.mean, meta.unit, cur)} {direction} (one replication: no confidence interval).")
            continue
        ci = f"95% CI {_signed_words(d.low, meta.unit, cur)} to {_signed_words(d.high, meta.unit, cur)}"
        if d.std == 0 and d.mean == 0:
            out.append(f"{alt.label} is the same in every replication.")
            continue
        if d.significant:
            sure = f"significant, p {'< 0.001' if d.p_value < 0.001 else f'= {d.p_value:.3f}'}"
        else:
            sure = f"not significant at 95% (p = {d.p_value:.2f}): more replications are needed to separate them"
        out.append(f"{alt.label} is {_gap(d.mean, meta.unit, cur)} {direction} ({ci}; {sure}).")
    return " ".join(out)


def _signed_words(value: float, unit: str, currency: str) -> str:
    if not math.isfinite(value):
        return "undefined"
    if unit == "share":
        return f"{100 * value:+.1f} pp".replace("-", "−")
    if unit == "money":
        sign = "−" if value < 0 else "+"
        return sign + money_words(abs(value), currency).split(" ", 1)[1]
    return f"{value:+,.3g}".replace("-", "−")


VERDICT_KPIS = (
    ("customer_total_cost", "total cost to the customer (machines, parts, service, downtime, spoiled goods)"),
    ("maker_profit", "profit for the maker"),
    ("within_promise_share", "share of outages restored within the promised time (each scenario's own promises)"),
    ("restored_within_8h_share", "share of outages restored within 8 hours (one yardstick for all)"),
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
        line = verdict_for(comparison, kpi, subject)
        if line:
            out.append(line)
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
