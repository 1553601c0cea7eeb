"""``years.csv`` (one row per scenario × replication × year) and ``years_summary.csv`` (mean and 95% CI per year)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.output import csv_text, fmt
from sim.scenario.schema import Scenario
from sim.stats import paired_difference, summarize
from sim.years.loop import YEAR_COLUMNS, YearRow

SUMMARY_COLUMNS = ("scenario", "year", "kpi", "n", "mean", "std", "half_width", "low", "high")


def _cell(value: float) -> str | int:
    return value if isinstance(value, int) else fmt(value)


def years_csv(scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]]) -> str:
    """One row per scenario × replication × year, columns ``scenario, replication`` then :data:`YEAR_COLUMNS`."""
    rows = [
        [sc.name, r, *(_cell(v) for v in row.values())]
        for sc, reps in zip(scenarios, results)
        for r, years in enumerate(reps)
        for row in years
    ]
    return csv_text(["scenario", "replication", *YEAR_COLUMNS], rows)


def years_summary(scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]]) -> list[dict[str, object]]:
    """Mean, standard deviation and 95% CI of each column, per scenario and year."""
    out: list[dict[str, object]] = []
    for sc, reps in zip(scenarios, results):
        for y in range(len(reps[0]) if reps else 0):
            for kpi in YEAR_COLUMNS[1:]:
                s = summarize([float(getattr(years[y], kpi)) for years in reps])
                out.append({"scenario": sc.name, "year": y + 1, "kpi": kpi, **s.as_dict()})
    return out


def years_summary_csv(table: Sequence[dict[str, object]]) -> str:
    """The summary as CSV."""
    return csv_text(SUMMARY_COLUMNS, [[_cell(v) if isinstance(v, float) else v for v in (t[c] for c in SUMMARY_COLUMNS)] for t in table])


def year_files(scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]]) -> dict[str, str]:
    """The files a multi-year run adds to its output folder."""
    return {
        "years.csv": years_csv(scenarios, results),
        "years_summary.csv": years_summary_csv(years_summary(scenarios, results)),
    }


def _money(x: float) -> str:
    return f"{x:,.0f}"


def verdict_lines(scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]]) -> list[str]:
    """Which policy wins over the horizon (cumulative NPV, paired over replications) and from which year.

    Every scenario is compared with the first (the baseline) on the same replications (common
    random numbers): the difference of cumulative NPV, mean and 95% CI, at the last year; it
    "wins from year k" when the difference's CI excludes 0 with the final sign from year k to the end.
    """
    base, base_reps = scenarios[0], results[0]
    cur = base.currency
    n_years = len(base_reps[0]) if base_reps else 0
    years_text = "1 year" if n_years == 1 else f"{n_years} years"
    reps_text = "1 replication" if len(base_reps) == 1 else f"{len(base_reps)} replications"
    lines = [f"Cumulative NPV of the maker's profit after {years_text} ({cur}, mean ± 95% CI over {reps_text}):"]
    for sc, reps in zip(scenarios, results):
        s = summarize([years[-1].npv for years in reps])
        share = summarize([years[-1].market_share for years in reps])
        wf = [years[-1].willfit_share for years in reps if not math.isnan(years[-1].willfit_share)]
        willfit = f"{sum(wf) / len(wf):.1%}" if wf else "n/a"
        lost = sum(row.customers_lost for years in reps for row in years) / max(len(reps) * n_years, 1)
        lines.append(
            f"  {sc.name}: {_money(s.mean)} ± {_money(s.half_width)}  (market share in year {n_years}: {share.mean:.1%}, "
            f"will-fit share {willfit}; customers lost per year: {lost:.1f})"
        )
    for sc, reps in zip(scenarios[1:], results[1:]):
        diffs = [paired_difference([a[y].npv for a in base_reps], [b[y].npv for b in reps]) for y in range(n_years)]
        last = diffs[-1]
        if not last.significant:
            lines.append(
                f"{sc.name} − {base.name}: {_money(last.mean)} ± {_money(last.half_width)}: no significant difference over the horizon."
            )
            continue
        sign = 1 if last.mean > 0 else -1
        start = n_years
        while start > 1 and diffs[start - 2].significant and (1 if diffs[start - 2].mean > 0 else -1) == sign:
            start -= 1
        winner = sc.name if sign > 0 else base.name
        lines.append(
            f"{sc.name} − {base.name}: {_money(last.mean)} ± {_money(last.half_width)}: {winner} wins over the horizon, "
            f"significantly ahead in cumulative NPV from year {start} on."
        )
    return lines
