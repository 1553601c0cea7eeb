"""Figures and report of a multi-year comparison: installed base, market share, cumulative NPV per year.

Every scenario is a line (mean over replications) with its 95% confidence band, all on the
same axes; :func:`year_report` renders them and writes a small ``report.html``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.plots import _figure, color, render, styled
from sim.scenario.schema import Scenario
from sim.stats import summarize
from sim.years.loop import YearRow

CSS = (
    "body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1000px; margin: 1em auto; padding: 0 1.5em; }"
    " ul.verdict li { margin-bottom: 0.4em; } .note { color: #555; font-size: 0.85em; }"
    " figure img { max-width: 100%; border: 1px solid #ddd; } figcaption { color: #444; font-size: 0.9em; }"
)

PANELS = (
    ("installed_base", "Installed base (maker's machines)", "machines"),
    ("market_share", "Market share (machines)", "share"),
    ("npv", "Cumulative NPV of maker profit", "money"),
)


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI (the report is one self-contained file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _bands(reps: Sequence[Sequence[YearRow]], column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per year: mean, low and high of the 95% CI over replications."""
    stats = [summarize([float(getattr(years[y], column)) for years in reps]) for y in range(len(reps[0]))]
    mean = np.array([s.mean for s in stats])
    hw = np.nan_to_num(np.array([s.half_width for s in stats]))
    return mean, mean - hw, mean + hw


@styled
def year_figure(scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]], column: str) -> Figure:
    """One KPI per year, scenarios on the same axes with 95% bands."""
    title, unit = next((t, u) for c, t, u in PANELS if c == column)
    fig, axes = _figure((7.0, 3.6))
    ax = axes[0, 0]
    for k, (sc, reps) in enumerate(zip(scenarios, results)):
        years = np.arange(1, len(reps[0]) + 1)
        mean, low, high = _bands(reps, column)
        ax.plot(years, mean, color=color(k), marker="o", ms=3, label=sc.name)
        ax.fill_between(years, low, high, color=color(k), alpha=0.2, linewidth=0)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if unit == "share":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    elif unit == "money":
        cur = scenarios[0].currency
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} M"))
        ax.set_ylabel(f"million {cur}")
        ax.axhline(0.0, color="0.5", linewidth=0.8)
    else:
        ax.set_ylabel(unit)
    ax.set_title(title + " — mean and 95% CI")
    ax.legend(loc="best", fontsize=8)
    return fig


def year_report(
    scenarios: Sequence[Scenario], results: Sequence[Sequence[Sequence[YearRow]]], verdict: Sequence[str]
) -> dict[str, str | bytes]:
    """The figures (PNG and SVG) and ``report.html`` of a multi-year comparison."""
    files: dict[str, str | bytes] = {}
    sections = []
    for column, title, _ in PANELS:
        rendered = render(year_figure(scenarios, results, column))
        files[f"years_{column}.png"] = rendered["png"]
        files[f"years_{column}.svg"] = rendered["svg"]
        sections.append(
            f'<figure><img alt="{html.escape(title)}" src="{data_uri(rendered["png"])}">'
            f"<figcaption>{html.escape(title)} per year: lines are means over replications, bands the 95% "
            "confidence interval of the mean.</figcaption></figure>"
        )
    names = ", ".join(html.escape(sc.name) for sc in scenarios)
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in verdict)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customers over years</title>"
        f"<style>{CSS}</style></head><body><h1>Customers over years: {names}</h1>"
        f'<ul class="verdict">{items}</ul>'
        "<p class=\"note\">Money in " + html.escape(scenarios[0].currency) + "; NPV discounts each year's profit at the "
        "file's market.discount_rate_per_year (end-of-year cash flows). See docs/years.md for the model.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )
    files["report.html"] = page
    return files
