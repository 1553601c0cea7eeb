"""Figures of a sweep: KPIs against the swept parameter, and each point against a fixed baseline.

Axes read honestly: an integer parameter (a base-stock level, a number of technicians) gets
integer ticks only; tick labels carry as many decimals as it takes for each to read its own
value (so no two read the same); a break-even is drawn only where two curves cross inside the
swept range (see :func:`sim.sweep.break_evens`). Built on the helpers of :mod:`sim.plots`
(style, colours, deterministic PNG/SVG rendering).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, Formatter, MaxNLocator

from sim.kpis import describe
from sim.plots import color, money_scale, styled

MAX_DECIMALS = 6
MAX_VALUE_TICKS = 12
"""Up to this many swept values, the ticks sit at the swept values themselves."""


@dataclass(frozen=True)
class Curve:
    """One scenario's KPI against the swept parameter: mean and 95% CI bounds per value."""

    label: str
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    seller: str = ""  # another seller's money in a maker KPI (e.g. "importer"): drawn dashed, band hatched


@dataclass(frozen=True)
class Mark:
    """A break-even to draw: estimate and its interval (None = beyond the swept range)."""

    text: str
    estimate: float
    low: float | None
    high: float | None
    y: float | None = None  # where the two curves meet, drawn as a dot


def distinct_labels(values: Sequence[float], factor: float = 1.0, suffix: str = "") -> list[str]:
    """Tick labels of ``values / factor``, all with the same, fewest decimals at which every label
    reads its own value (-0.25 reads "-0.25", not "-0.2"), up to :data:`MAX_DECIMALS`.

    "Its own value" is up to float noise (1e-9 of the largest magnitude): a tick at 0.30000000000000004
    reads "0.3". Distinct values then read differently as well.
    """
    scaled = [v / factor for v in values]
    finite = [v for v in scaled if math.isfinite(v)]
    noise = 1e-9 * max((abs(v) for v in finite), default=0.0)
    distinct = len({round(v, MAX_DECIMALS + 3) for v in finite})
    for d in range(MAX_DECIMALS + 1):
        exact = all(abs(v - round(v, d)) <= noise for v in finite)
        if exact and len({f"{v:,.{d}f}" for v in finite}) == distinct:
            break
    labels = [f"{v:,.{d}f}" for v in scaled]
    return [("0" if t.strip("-0.,") == "" else t) + suffix for t in labels]  # no "-0.0"


class DistinctFormatter(Formatter):
    """Formats a whole set of ticks at once so that no two labels read the same."""

    def __init__(self, factor: float = 1.0, suffix: str = "") -> None:
        self.factor, self.suffix = factor, suffix

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        return distinct_labels(list(values), self.factor, self.suffix)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return distinct_labels([x], self.factor, self.suffix)[0]


def is_integer_parameter(x: Sequence[float] | np.ndarray) -> bool:
    """Every swept value is a whole number (a count, a stock level): ticks must be whole too."""
    return all(float(v).is_integer() for v in x)


def format_x(axis: Axis, x: Sequence[float] | np.ndarray) -> None:
    """The parameter axis: ticks at the swept values (a few) or whole numbers for an integer
    parameter (many), distinct labels always."""
    if len(x) <= MAX_VALUE_TICKS:
        axis.set_major_locator(FixedLocator([float(v) for v in x]))
    else:
        axis.set_major_locator(MaxNLocator(nbins=8, integer=is_integer_parameter(x)))
    axis.set_major_formatter(DistinctFormatter())


def format_y(axis: Axis, unit: str, values: Sequence[float], currency: str) -> str:
    """A KPI axis with distinct labels; returns the axis label (the unit)."""
    if unit == "money":
        scale = money_scale(values, currency)
        axis.set_major_formatter(DistinctFormatter(scale.factor))
        return scale.unit
    axis.set_major_locator(MaxNLocator(nbins="auto", integer=unit == "count"))
    if unit == "share":
        axis.set_major_formatter(DistinctFormatter(0.01, "%"))
        return "% of outages"
    axis.set_major_formatter(DistinctFormatter())
    return unit


def draw_curve(ax: Axes, x: np.ndarray, k: int, c: Curve, label: str) -> None:
    """A mean line with its 95% CI band; another seller's money dashed over a hatched band."""
    if c.seller:
        ax.fill_between(x, c.low, c.high, facecolor="none", edgecolor=color(k), hatch="//", alpha=0.5, lw=0)
        ax.plot(x, c.mean, "s--", color=color(k), lw=1.8, ms=4, label=label)
    else:
        ax.fill_between(x, c.low, c.high, color=color(k), alpha=0.2, lw=0)
        ax.plot(x, c.mean, "o-", color=color(k), lw=1.8, ms=4, label=label)


def seller_title(kpi: str, curves: Sequence[Curve]) -> str:
    """A panel title's note when some curves are another seller's money (an importer's profit), else ""."""
    whose = " or ".join(sorted({c.seller for c in curves if c.seller}))
    word = kpi.removeprefix("maker_").replace("_", " ") if kpi.startswith("maker_") else "money"
    return f"\n(dashed, hatched: the {whose}'s {word}, not the maker's)" if whose else ""


def _finite(values: Sequence[float] | np.ndarray) -> list[float]:
    return [float(v) for v in values if math.isfinite(v)]


def draw_marks(ax: Axes, marks: Sequence[Mark], xmin: float, xmax: float) -> None:
    """Break-evens: dashed line, grey 95% interval, a dot where the curves meet, a label."""
    for j, m in enumerate(m for m in marks if xmin <= m.estimate <= xmax):  # only crossings inside the range
        right = m.estimate >= (xmin + xmax) / 2  # label on the left of the line, aligned right
        lo = xmin if m.low is None else m.low
        hi = xmax if m.high is None else m.high
        ax.axvspan(lo, hi, color="0.5", alpha=0.12, lw=0)
        ax.axvline(m.estimate, color="0.2", ls="--", lw=1.2)
        if m.y is not None and math.isfinite(m.y):
            ax.plot([m.estimate], [m.y], "o", ms=7, mfc="white", mec="black", mew=1.5, zorder=5)
        ax.annotate(
            m.text, (m.estimate, 1.0), xycoords=("data", "axes fraction"), xytext=(-4 if right else 4, -4 - 24 * j),
            textcoords="offset points", va="top", ha="right" if right else "left",
            fontsize=8, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.6", "alpha": 0.9},
        )


@styled
def sweep_figure(
    x: np.ndarray,
    panels: Sequence[tuple[str, Sequence[Curve], Sequence[Mark]]],
    x_label: str,
    currency: str,
    title: str,
) -> Figure:
    """One panel per KPI: curves with 95% CI bands against the parameter, break-evens marked."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.5, 1.2 + 4.2 * len(panels)), squeeze=False, layout="constrained")
    xmin, xmax = float(np.min(x)), float(np.max(x))
    for ax, (kpi, curves, marks) in zip(axes[:, 0], panels):
        meta = describe(kpi)
        values = _finite([v for c in curves for v in (*c.low, *c.high, *c.mean)])
        ax.set_ylabel(format_y(ax.yaxis, meta.unit, values, currency))
        format_x(ax.xaxis, x)
        for k, c in enumerate(curves):
            draw_curve(ax, x, k, c, f"{c.label} (mean, 95% CI band)")
        draw_marks(ax, marks, xmin, xmax)
        ax.set_title(meta.label + (f" ({currency})" if meta.unit == "money" else "") + seller_title(kpi, curves))
        ax.set_xlabel(x_label)
        ax.legend(loc="best")
    fig.suptitle(title, fontsize=10)
    return fig


@styled
def baseline_figure(
    x: np.ndarray,
    panels: Sequence[tuple[str, Sequence[Curve], Sequence[Mark]]],
    x_label: str,
    currency: str,
    title: str,
) -> Figure:
    """One panel per KPI: each file's paired difference to the baseline (mean, 95% CI band), 0 = the
    baseline; where a file crosses 0 (the baseline) inside the range is marked."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.5, 1.2 + 4.0 * len(panels)), squeeze=False, layout="constrained")
    xmin, xmax = float(np.min(x)), float(np.max(x))
    for ax, (kpi, curves, marks) in zip(axes[:, 0], panels):
        meta = describe(kpi)
        values = _finite([v for c in curves for v in (*c.low, *c.high, *c.mean)]) or [0.0]
        ax.set_ylabel("difference, " + format_y(ax.yaxis, meta.unit, values, currency))
        format_x(ax.xaxis, x)
        ax.axhline(0.0, color="0.2", lw=1.0, label="baseline (difference 0)")
        for k, c in enumerate(curves):
            drawn = bool(np.isfinite(c.mean).any())  # not differenced (two sellers' money): the label says why
            draw_curve(ax, x, k, c, f"{c.label} − baseline (mean, 95% CI)" if drawn else c.label)
        draw_marks(ax, marks, xmin, xmax)
        better = {"lower": "below 0 = better than the baseline", "higher": "above 0 = better than the baseline"}.get(meta.better, "")
        head = meta.label + (f" ({currency})" if meta.unit == "money" else "") + (f": {better}" if better else "")
        ax.set_title(head + seller_title(kpi, curves))
        ax.set_xlabel(x_label)
        ax.legend(loc="best")
    fig.suptitle(title, fontsize=10)
    return fig
