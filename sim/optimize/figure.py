"""The efficient curve of a stock optimisation as a figure: backorders and fill rate against investment."""

from __future__ import annotations

from matplotlib.figure import Figure

from sim.optimize.stock import Curve, Point
from sim.plots import _figure, money_scale, render, styled


@styled
def curve_figure(curve: Curve, chosen: int, today: Point | None, currency: str, title: str) -> Figure:
    """Expected backorders (log scale) and fill rate against investment, with the chosen point and today's plan."""
    fig, axes = _figure((8.0, 4.2), 1, 2)
    scale = money_scale([float(curve.investment[-1]), today.investment if today else 0.0], currency)
    x = curve.investment
    pick = curve.point(chosen)
    for ax, values, mark, today_value, label in (
        (axes[0, 0], curve.ebo_total, pick.ebo_total, today.ebo_total if today else None, "Expected backorders (machines waiting)"),
        (axes[0, 1], curve.fill_rate, pick.fill_rate, today.fill_rate if today else None, "Fill rate at the assigned depot"),
    ):
        ax.step(x, values, where="post", color="#1f77b4", lw=1.4, label="efficient curve (greedy)")
        ax.plot([pick.investment], [mark], "o", color="#d62728", ms=7, label=f"chosen (step {chosen})", zorder=3)
        if today_value is not None and today is not None:
            ax.plot([today.investment], [today_value], "s", color="#2ca02c", ms=7, label="today's plan", zorder=3)
        ax.xaxis.set_major_formatter(scale.formatter())
        ax.set_xlabel(f"Inventory investment ({scale.unit})")
        ax.set_title(label)
    right = 2.0 * max(pick.investment, today.investment if today else 0.0)
    if 0.0 < right < float(x[-1]):  # the curve's far tail (backorders below 1e-9) says nothing
        for ax in axes[0]:
            ax.set_xlim(-0.02 * right, right)
    axes[0, 0].set_yscale("symlog", linthresh=1e-3)
    axes[0, 0].set_ylim(bottom=0.0)  # backorders are never negative (symlog pads below 0 otherwise)
    axes[0, 1].set_ylim(0.0, 1.02)
    axes[0, 1].legend(loc="lower right")
    fig.suptitle(title)
    return fig


def curve_png(curve: Curve, chosen: int, today: Point | None, currency: str, title: str) -> bytes:
    """The figure as PNG bytes (deterministic)."""
    return render(curve_figure(curve, chosen, today, currency, title))["png"]
