"""``years.csv`` (one row per scenario × replication × year) and ``years_summary.csv`` (mean and 95% CI per year)."""

from __future__ import annotations

from collections.abc import Sequence

from sim.output import csv_text, fmt
from sim.scenario.schema import Scenario
from sim.stats import summarize
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
