"""Figures of comparisons, as PNG and SVG bytes (matplotlib, Agg backend).
The sweep figures are in :mod:`sim.sweep_plots`.

Plotting happens after the simulation, from finished results. Output is deterministic:
SVG ids come from a fixed hash salt and carry no date, PNGs carry no time stamp, so the
same results give byte-identical files.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import ListedColormap, to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from sim.compare import promises_nothing, seller, window_text  # noqa: E402
from sim.engine.tally import bin_value, hist_quantile  # noqa: E402
from sim.kpis import CUSTOMER_COST_LINES, MAKER_COST_LINES, describe  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402
from sim.stats import summarize  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "sim-plots",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.dpi": 100,
}
PNG_DPI = 120


def _palette(name: str) -> tuple[tuple[float, float, float], ...]:
    """The colours of a qualitative matplotlib colour map, in order."""
    cmap = plt.get_cmap(name)
    assert isinstance(cmap, ListedColormap)
    return tuple(to_rgb(cmap(i)) for i in range(cmap.N))


COLORS = _palette("tab10")
LINE_COLORS = _palette("tab20")
LINE_STYLES = ("-", "--", "-.", ":")


def color(k: int) -> tuple[float, float, float]:
    """The colour of the k-th scenario, the same in every figure."""
    return COLORS[k % len(COLORS)]


def render(fig: Figure) -> dict[str, bytes]:
    """A figure as ``{"png": ..., "svg": ...}`` bytes; closes it."""
    out = {}
    with matplotlib.rc_context(STYLE):
        for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, dpi=PNG_DPI, metadata=meta, bbox_inches="tight")
            out[ext] = buf.getvalue()
    plt.close(fig)
    return out


def styled(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure builder under :data:`STYLE` (rcParams are read when artists are made)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def _figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Figure, np.ndarray]:
    """A grid of axes (always 2-D); called from :func:`styled` builders, so under :data:`STYLE`."""
    return plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kw)


# ------------------------------------------------------------------------------ units


@dataclass(frozen=True)
class MoneyScale:
    """How money is shown on an axis: divided by ``factor``, named ``unit``."""

    factor: float
    unit: str
    decimals: int = 0  # on tick labels

    def formatter(self) -> FuncFormatter:
        """Tick labels in the scale, with thousands separators."""
        return FuncFormatter(lambda v, _pos: f"{v / self.factor:,.{self.decimals}f}")

    def text(self, value: float) -> str:
        """A value in the scale, one more decimal than the ticks."""
        return f"{value / self.factor:,.{self.decimals + 1}f}" if self.factor != 1 else f"{value:,.0f}"


def money_scale(values: Sequence[float], currency: str) -> MoneyScale:
    """A scale that keeps tick labels short for the largest of ``values``."""
    big = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if big >= 1e6:
        factor, unit = 1e6, f"{currency} million"
    elif big >= 1e4:
        factor, unit = 1e3, f"{currency} thousand"
    else:
        return MoneyScale(1.0, currency, 0)
    scaled = big / factor
    return MoneyScale(factor, unit, 0 if scaled >= 20 else (1 if scaled >= 2 else 2))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _short(name: str, width: int = 18) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# ------------------------------------------------------------------------------ compare figures


@dataclass(frozen=True)
class Arm:
    """What a compare figure needs of one scenario: its label, scenario, per-replication columns and what the run resolved.

    ``site_depots`` is, per scenario site, the index in ``scenario.depots`` of the depot
    that served it in the run (:attr:`sim.runner.RunResult.site_depots`): the map draws
    what was simulated without building the network again.
    """

    label: str
    scenario: Scenario
    column: Callable[[str], np.ndarray]
    restore_hist: Mapping[int, int]
    site_depots: Sequence[int]


def _axis_format(unit: str, values: Sequence[float], currency: str) -> tuple[str, FuncFormatter, Callable[[float], str]]:
    """Axis label, tick formatter and value formatter for a KPI unit."""
    if unit == "share":
        return "% of outages", FuncFormatter(lambda v, _p: f"{100 * v:.0f}"), lambda v: f"{100 * v:.1f}%"
    if unit == "money":
        scale = money_scale(values, currency)
        return scale.unit, scale.formatter(), scale.text
    return unit, FuncFormatter(lambda v, _p: f"{v:,.3g}"), lambda v: f"{v:,.3g}"


BAR_KPIS = ("customer_total_cost", "customer_downtime_cost", "maker_profit", "within_promise_share")


@styled
def kpi_bars(arms: Sequence[Arm], kpis: Sequence[str] = BAR_KPIS) -> Figure:
    """One panel per KPI: the mean per scenario as a bar, its 95% CI as a whisker."""
    currency = arms[0].scenario.currency
    ncols = 2
    nrows = -(-len(kpis) // ncols)
    fig, axes = _figure((10.5, 3.9 * nrows), nrows, ncols)
    x = np.arange(len(arms))
    for ax, kpi in zip(axes.flat, kpis):
        meta = describe(kpi)
        stats = [summarize(a.column(kpi)) for a in arms]
        means = np.array([s.mean for s in stats])
        hws = np.array([s.half_width if math.isfinite(s.half_width) else 0.0 for s in stats])
        others = [j for j, a in enumerate(arms) if kpi == "maker_profit" and seller(a.scenario) != "maker"]
        whose = " or ".join(sorted({seller(arms[j].scenario) for j in others}))
        ax.set_title(meta.label + (f"\n(hatched: the {whose}'s profit, not the maker's)" if others else ""))
        ticks = [_short(a.label) + (f"\n({seller(a.scenario)}'s)" if j in others else "") for j, a in enumerate(arms)]
        ax.set_xticks(x, ticks, rotation=20 if len(arms) > 3 else 0, ha="right" if len(arms) > 3 else "center")
        ax.grid(axis="x", visible=False)
        if not np.isfinite(means).any():
            ax.text(0.5, 0.5, "not defined in these scenarios\n(no restore promise)", ha="center", va="center", transform=ax.transAxes, color="0.4")
            ax.set_yticks([])
            ax.set_xticks([])
            ax.spines[["left", "bottom"]].set_visible(False)
            continue
        shown = np.where(np.isfinite(means), means, 0.0)
        ylabel, tick, fmt_value = _axis_format(meta.unit, list(shown + hws) + list(shown - hws), currency)
        bars = ax.bar(x, shown, color=[color(k) for k in range(len(arms))], width=0.6, zorder=2)
        for j in others:
            bars[j].set_facecolor("white")
            bars[j].set_edgecolor(color(j))
            bars[j].set_hatch("//")
        ax.errorbar(x, shown, yerr=hws, fmt="none", ecolor="black", capsize=6, lw=1.2, zorder=3)
        ax.yaxis.set_major_formatter(tick)
        ax.set_ylabel(ylabel)
        ax.axhline(0, color="0.3", lw=0.8)
        lo = min(0.0, float(np.min(shown - hws)))
        hi = max(0.0, float(np.max(shown + hws)))
        pad = 0.12 * (hi - lo or 1.0)
        ax.set_ylim(lo - (pad if lo < 0 else 0), hi + pad)
        for k, (m, h) in enumerate(zip(means, hws)):
            if not math.isfinite(m):
                none = kpi.startswith("within_promise_share") and promises_nothing(arms[k].scenario)
                ax.text(k, 0, "no promise" if none else "n/a", ha="center", va="bottom", fontsize=8, color="0.4")
                continue
            y = m + h if m >= 0 else m - h
            ax.annotate(fmt_value(m), (k, y), xytext=(0, 3 if m >= 0 else -3), textcoords="offset points",
                        ha="center", va="bottom" if m >= 0 else "top", fontsize=8, color="0.15")
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    n = len(arms[0].column(kpis[0]))
    fig.suptitle(
        f"Key results per scenario: mean and 95% CI over {n} replications\n"
        f"money in {currency} over the {window_text(arms[0].scenario)}",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


@styled
def restore_ecdf(arms: Sequence[Arm]) -> Figure:
    """Cumulative share of outages restored within x hours, per scenario (log time axis)."""
    fig, axes = _figure((9.0, 5.2))
    ax = axes[0, 0]
    lo, hi = math.inf, 0.0
    for k, arm in enumerate(arms):
        hist = arm.restore_hist
        n = sum(hist.values())
        if n == 0:
            ax.plot([], [], color=color(k), label=f"{arm.label} (no restored outages)")
            continue
        bins = sorted(hist)
        x = np.array([max(bin_value(b), 1e-3) for b in bins])
        y = np.cumsum([hist[b] for b in bins]) / n
        median, p90 = (max(hist_quantile(dict(hist), q), 1e-3) for q in (0.5, 0.9))  # clamped as x is
        ax.step(np.r_[x[0], x], np.r_[0.0, y], where="post", color=color(k), lw=1.8, ls=LINE_STYLES[k % len(LINE_STYLES)],
                label=f"{arm.label}: median {median:.3g} h, 90% within {p90:.3g} h ({n:,} outages)")
        lo, hi = min(lo, x[0]), max(hi, x[-1])
    promises = sorted({p for a in arms for p in _promises(a.scenario)})
    dashes = ((0, (4, 3)), (0, (1, 2)), (0, (6, 2, 1, 2)), (0, (8, 4)), (0, (2, 4)), (0, (1, 1)))
    for p, ls in zip(promises, dashes):
        ax.axvline(p, color="0.35", ls=ls, lw=1, label=f"restore promise: {p:g} h")
    if math.isfinite(lo):
        ax.set_xscale("log")
        lo, hi = lo / 1.3, hi * 1.3
        ax.set_xlim(lo, hi)
        ticks = [t for t in HOUR_TICKS if lo <= t <= hi]
        if len(ticks) >= 2:
            ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}%"))
    ax.set_xlabel("restore time: failure to running again (hours, log scale)")
    ax.set_ylabel("share of outages restored within x")
    ax.set_title("How fast failed machines run again (all replications pooled)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1 if len(arms) > 2 else 2)
    fig.tight_layout()
    return fig


HOUR_TICKS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760)


def _promises(scenario: Scenario) -> set[float]:
    out = {r.promise_h for r in scenario.regions if r.promise_h is not None}
    return out | {s.promise_h for s in scenario.sites if s.promise_h is not None}


@styled
def cost_breakdown(arms: Sequence[Arm]) -> Figure:
    """Stacked means: the customer's cost lines, and the maker's revenue against its cost lines."""
    currency = arms[0].scenario.currency
    fig, axes = _figure((11.0, 9.0), 2, 1)
    x = np.arange(len(arms))
    labels = [_short(a.label, 22) for a in arms]

    def mean(arm: Arm, kpi: str) -> float:
        m = summarize(arm.column(kpi)).mean
        return m if math.isfinite(m) else 0.0

    # customer
    ax = axes[0, 0]
    totals = [mean(a, "customer_total_cost") for a in arms]
    credits = [mean(a, "customer_penalties_received") for a in arms]
    tops = [sum(mean(a, k) for k in CUSTOMER_COST_LINES) for a in arms]
    scale = money_scale(tops + [-c for c in credits], currency)
    bottom = np.zeros(len(arms))
    for j, kpi in enumerate(CUSTOMER_COST_LINES):
        vals = np.array([mean(a, kpi) for a in arms])
        if not vals.any():
            continue
        ax.bar(x, vals, 0.55, bottom=bottom, color=LINE_COLORS[(2 * j) % 20], label=_line_label(kpi), zorder=2)
        bottom += vals
    if any(credits):
        ax.bar(x, -np.array(credits), 0.55, color="white", edgecolor="0.3", hatch="//", label="penalties received (credit)", zorder=2)
    ax.scatter(x, totals, marker="D", color="black", zorder=4, label="total cost (net of credits)")
    for k, t in enumerate(totals):
        ax.annotate(
            f"total {scale.text(t)}", (k, t), xytext=(9, 0), textcoords="offset points", ha="left", va="center",
            fontsize=8, fontweight="bold", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    ax.set_title("What the customer pays: cost of ownership by line")
    ax.set_ylabel(scale.unit)
    ax.yaxis.set_major_formatter(scale.formatter())
    ax.set_xticks(x, labels)
    ax.grid(axis="x", visible=False)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_ylim(top=max(tops) * 1.1 if max(tops) > 0 else None)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))

    # maker
    ax = axes[1, 0]
    w = 0.36
    rev_lines = ("maker_revenue_machines", "maker_revenue_parts", "maker_revenue_service")
    cost_lines = [k for k in MAKER_COST_LINES if any(mean(a, k) != 0 for a in arms)]
    revenue = [sum(mean(a, k) for k in rev_lines) for a in arms]
    cost = [sum(mean(a, k) for k in cost_lines) for a in arms]
    scale = money_scale(revenue + cost, currency)
    bottom = np.zeros(len(arms))
    greens = ("#1b7837", "#5aae61", "#a6dba0")
    for j, kpi in enumerate(rev_lines):
        vals = np.array([mean(a, kpi) for a in arms])
        if vals.any():
            ax.bar(x - w / 2 - 0.01, vals, w, bottom=bottom, color=greens[j], label=_line_label(kpi), zorder=2)
            bottom += vals
    bottom = np.zeros(len(arms))
    for j, kpi in enumerate(cost_lines):
        vals = np.array([mean(a, kpi) for a in arms])
        ax.bar(x + w / 2 + 0.01, vals, w, bottom=bottom, color=_cost_color(j), label=_line_label(kpi), zorder=2)
        bottom += vals
    for k in range(len(arms)):
        profit = mean(arms[k], "maker_profit")
        who = seller(arms[k].scenario)
        ax.annotate(
            f"profit {scale.text(profit)}" if who == "maker" else f"{who}'s profit {scale.text(profit)}",
            (k, max(revenue[k], cost[k])),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            fontweight="bold",
        )
    sellers = {seller(a.scenario) for a in arms} - {"maker"}
    other = f" (or the {', '.join(sorted(sellers))}, where marked)" if sellers else ""
    ax.set_title(f"What the maker{other} earns: revenue (left bar) against cost (right bar)")
    ax.set_ylabel(scale.unit)
    ax.yaxis.set_major_formatter(scale.formatter())
    ax.set_xticks(x, [lab if seller(a.scenario) == "maker" else f"{lab}\n({seller(a.scenario)}'s)" for lab, a in zip(labels, arms)])
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(revenue + cost) * 1.12 if max(revenue + cost) > 0 else 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Money per scenario: means over replications, {currency} over the {window_text(arms[0].scenario)}", fontsize=11)
    fig.tight_layout()
    return fig


_COST_PALETTE = (
    "#d73027", "#f46d43", "#fdae61", "#fee090", "#8073ac", "#b2abd2",
    "#4575b4", "#74add1", "#abd9e9", "#969696", "#525252",
)


def _cost_color(j: int) -> str:
    return _COST_PALETTE[j % len(_COST_PALETTE)]


def _line_label(kpi: str) -> str:
    label = describe(kpi).label
    for prefix, new in (("Customer ", ""), ("Maker cost: ", "cost: "), ("Maker revenue: ", "revenue: "), ("Maker ", "cost: ")):
        if label.startswith(prefix):
            label = new + label[len(prefix):]
            break
    return label if label[1:2].isupper() else label[0].lower() + label[1:]


@styled
def network_map(arms: Sequence[Arm]) -> Figure:
    """Sites (size = machines) and depots on longitude/latitude, one panel per scenario.

    A thin line joins each site to the depot it is assigned to; no basemap. A central
    warehouse far outside the network (e.g. abroad) is named in a note, not drawn.
    """
    n = len(arms)
    ncols = {1: 1, 2: 2, 3: 3, 4: 2}.get(n, 3)
    nrows = -(-n // ncols)
    lats = [s.lat for a in arms for s in a.scenario.sites] + [d.lat for a in arms for d in a.scenario.depots]
    lons = [s.lon for a in arms for s in a.scenario.sites] + [d.lon for a in arms for d in a.scenario.depots]
    span_lon, span_lat = max(lons) - min(lons), max(lats) - min(lats)
    centrals = {}
    for k, a in enumerate(arms):
        c = a.scenario.central
        if c.lat is None or c.lon is None:
            continue
        near = min(lons) - span_lon <= c.lon <= max(lons) + span_lon and min(lats) - span_lat <= c.lat <= max(lats) + span_lat
        centrals[k] = near
        if near:
            lats.append(c.lat)
            lons.append(c.lon)
    lat0 = (min(lats) + max(lats)) / 2
    aspect = 1.0 / max(math.cos(math.radians(lat0)), 0.2)  # degrees of longitude are shorter
    lon_c, lat_c = (min(lons) + max(lons)) / 2, lat0
    half_lon = 0.55 * max(max(lons) - min(lons), 0.5) + 0.2
    half_lat = 0.55 * max(max(lats) - min(lats), 0.5) + 0.2
    # widen the narrower side so that a panel is between 0.75 and 1.25 times as high as wide
    shape = half_lat * aspect / half_lon
    if shape > 1.25:
        half_lon = half_lat * aspect / 1.25
    elif shape < 0.75:
        half_lat = 0.75 * half_lon / aspect
    shape = half_lat * aspect / half_lon
    panel_w = 5.0 if ncols > 2 else 6.5
    fig, axes = _figure((panel_w * ncols, panel_w * shape * nrows + 1.2), nrows, ncols)
    labels: list[tuple[Any, list[tuple[float, float]], list[str]]] = []
    for k, (ax, arm) in enumerate(zip(axes.flat, arms)):
        sc = arm.scenario
        if len(arm.site_depots) != len(sc.sites):
            raise ValueError(f"{arm.label}: {len(arm.site_depots)} site assignments for {len(sc.sites)} sites")
        depot_color = [LINE_COLORS[(2 * j) % 20] for j in range(len(sc.depots))]
        machines = [sum(site.machines.values()) for site in sc.sites]
        max_m = max(machines, default=1) or 1
        segments = [[(site.lon, site.lat), (sc.depots[j].lon, sc.depots[j].lat)] for site, j in zip(sc.sites, arm.site_depots)]
        ax.add_collection(LineCollection(segments, colors=[depot_color[j] for j in arm.site_depots], linewidths=0.6, alpha=0.6, zorder=1))
        ax.scatter(
            [s.lon for s in sc.sites],
            [s.lat for s in sc.sites],
            s=[10 + 50 * m / max_m for m in machines],
            c=[depot_color[j] for j in arm.site_depots],
            edgecolors="0.2",
            linewidths=0.4,
            zorder=2,
        )
        ax.scatter(
            [d.lon for d in sc.depots], [d.lat for d in sc.depots], s=120, marker="^",
            c=depot_color, edgecolors="black", linewidths=1.2, zorder=4,
        )
        c = sc.central
        if centrals.get(k):
            ax.scatter([c.lon], [c.lat], s=100, marker="s", c="white", edgecolors="black", linewidths=1.5, zorder=3)
        elif k in centrals:
            ax.text(0.02, 0.02, f"central warehouse '{c.name}' off the map\nat {c.lat:.1f}°N, {c.lon:.1f}°E",
                    transform=ax.transAxes, fontsize=8, color="0.3", va="bottom")
        ax.set_xlim(lon_c - half_lon, lon_c + half_lon)
        ax.set_ylim(lat_c - half_lat, lat_c + half_lat)
        ax.set_aspect(aspect)
        ax.set_title(f"{_short(arm.label, 30)}\n{_count(len(sc.depots), 'depot')}, {_count(len(sc.sites), 'site')}")
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        labels.append((ax, [(d.lon, d.lat) for d in sc.depots], [_short(d.name, 16) for d in sc.depots]))
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], ls="", marker="o", mfc="0.6", mec="0.2", ms=6, label="customer site (size = machines, colour = its depot)"),
        Line2D([], [], ls="", marker="^", mfc="0.6", mec="black", ms=9, label="depot"),
    ]
    if any(centrals.values()):
        handles.append(Line2D([], [], ls="", marker="s", mfc="white", mec="black", ms=8, label="central warehouse"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("Where customers and depots are; lines join each site to its assigned depot", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    for ax, xy, names in labels:  # after the layout, so that label sizes in points are final
        place_labels(ax, xy, names)
    return fig


LABEL_OFFSETS = (
    (6, 6), (6, -6), (-6, 6), (-6, -6), (0, 10), (0, -10), (10, 0), (-10, 0),
    (14, 14), (14, -14), (-14, 14), (-14, -14), (0, 20), (0, -20), (22, 0), (-22, 0),
)


def place_labels(ax: Any, xy: Sequence[tuple[float, float]], names: Sequence[str], fontsize: float = 7.5) -> None:
    """Label points, choosing for each the offset that overlaps the fewest labels and markers so far."""
    if not xy:
        return
    fig = ax.figure
    ax.apply_aspect()
    pts = ax.transData.transform(np.asarray(xy, dtype=float))
    px = fig.dpi / 72.0
    axbox = ax.get_window_extent()
    r = 6 * px
    taken = [(x - r, y - r, x + r, y + r) for x, y in pts]  # the markers themselves

    def overlap(b: tuple[float, float, float, float]) -> float:
        area = sum(max(0.0, min(b[2], t[2]) - max(b[0], t[0])) * max(0.0, min(b[3], t[3]) - max(b[1], t[1])) for t in taken)
        out_w = max(0.0, axbox.x0 - b[0]) + max(0.0, b[2] - axbox.x1)
        out_h = max(0.0, axbox.y0 - b[1]) + max(0.0, b[3] - axbox.y1)
        return area + 1e3 * (out_w + out_h)

    order = sorted(range(len(names)), key=lambda i: (-pts[i][1], pts[i][0]))
    for i in order:
        x, y = pts[i]
        w, h = 0.6 * fontsize * px * len(names[i]) + 4, 1.4 * fontsize * px
        best = None
        for dx, dy in LABEL_OFFSETS:
            bx = x + dx * px - (w if dx < 0 else (w / 2 if dx == 0 else 0))
            by = y + dy * px - (h if dy < 0 else (h / 2 if dy == 0 else 0))
            box = (bx, by, bx + w, by + h)
            cost = overlap(box)
            if best is None or cost < best[0]:
                best = (cost, dx, dy, box)
            if cost == 0:
                break
        assert best is not None
        _, dx, dy, box = best
        taken.append(box)
        ax.annotate(
            names[i], xy[i], xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, zorder=5,
            ha="right" if dx < 0 else ("center" if dx == 0 else "left"),
            va="top" if dy < 0 else ("center" if dy == 0 else "bottom"),
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
        )
