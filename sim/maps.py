"""The places map of one run: sites and depots by latitude and longitude, load and service level.

:func:`place_map` draws, for one scenario's results, every site joined to its assigned
depot; a depot's marker area grows with the failures it served (mean per replication) and
a site's colour is its share of outages restored within its promise, or within 8 h for a
site without a promise (square markers; the legend says which is which). Plain matplotlib
axes in degrees (no base map is downloaded); longitude is stretched by 1/cos(latitude).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.engine.tally import WITHIN_H
from sim.plots import _figure, place_labels, render, styled
from sim.runner import RunResult

CMAP = "RdYlGn"
CAPTION = (
    "Each site is joined to the depot assigned to it. A depot's triangle grows with the failures it served "
    "(mean per replication); a site's colour is its share of outages restored within its promise (circles), "
    f"or within {WITHIN_H:g} h where it has none (squares): red 0%, green 100%, grey no outage. "
    "The numbers are in sites.csv and depots.csv."
)
NO_DATA = "0.75"  # a site without outages in any replication


def _means(result: RunResult, table: str, measure: str) -> list[float]:
    """Per item of ``table``: the mean of ``measure`` over the replications where it is defined."""
    values = np.array([rep["places"][table][measure] for rep in result.places], dtype=float)
    out = []
    for column in values.T:
        finite = column[np.isfinite(column)]
        out.append(float(finite.mean()) if finite.size else math.nan)
    return out


@styled
def place_map(result: RunResult, label: str = "") -> Figure:
    """The map of one scenario's run (see the module's docstring)."""
    sc = result.scenario
    label = label or sc.name
    sites_at = {s.name: (s.lon, s.lat) for s in sc.sites}
    depots_at = {d.name: (d.lon, d.lat) for d in sc.depots}
    site_rows = result.place_items["sites"][1]  # (site, region, depot, machines, promise_h)
    depot_names = [row[0] for row in result.place_items["depots"][1]]
    promise = _means(result, "sites", "within_promise_share")
    within = _means(result, "sites", f"within_{WITHIN_H:g}h_share")
    load = _means(result, "depots", "failures")
    xy_sites = [sites_at[row[0]] for row in site_rows]
    xy_depots = [depots_at[name] for name in depot_names]
    lons = [x for x, _ in xy_sites + xy_depots]
    lats = [y for _, y in xy_sites + xy_depots]
    lat0 = (min(lats) + max(lats)) / 2
    aspect = 1.0 / max(math.cos(math.radians(lat0)), 0.2)
    fig, axes = _figure((8.0, 6.5))
    ax = axes[0, 0]
    for (sx, sy), row in zip(xy_sites, site_rows):
        dx, dy = depots_at[row[2]]
        ax.plot([sx, dx], [sy, dy], color="0.55", lw=0.7, alpha=0.7, zorder=1)
    norm = Normalize(0.0, 1.0)
    cmap = _cmap()
    for has_promise, marker in ((True, "o"), (False, "s")):
        chosen = [k for k, row in enumerate(site_rows) if (not math.isnan(row[4])) == has_promise]
        if not chosen:
            continue
        shares = [promise[k] if has_promise else within[k] for k in chosen]
        colors = [NO_DATA if math.isnan(v) else cmap(norm(v)) for v in shares]
        ax.scatter([xy_sites[k][0] for k in chosen], [xy_sites[k][1] for k in chosen], s=36, marker=marker,
                   c=colors, edgecolors="0.2", linewidths=0.5, zorder=3)
    top = max((v for v in load if math.isfinite(v)), default=0.0) or 1.0
    sizes = [40 + 460 * (v / top if math.isfinite(v) else 0.0) for v in load]
    ax.scatter([x for x, _ in xy_depots], [y for _, y in xy_depots], s=sizes, marker="^", c="#4c72b0",
               alpha=0.85, edgecolors="black", linewidths=1.0, zorder=4)
    pad_x = 0.08 * max(max(lons) - min(lons), 0.5)
    pad_y = 0.08 * max(max(lats) - min(lats), 0.5)
    ax.set_xlim(min(lons) - pad_x, max(lons) + pad_x)
    ax.set_ylim(min(lats) - pad_y, max(lats) + pad_y)
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    n = len(result.places)
    ax.set_title(f"{label}: who serves whom, load and service ({n} replication{'s' if n != 1 else ''})")
    sm = _scalar_mappable(cmap, norm)
    bar = fig.colorbar(sm, ax=ax, shrink=0.7, pad=0.02)
    bar.set_label(f"share restored within promise (○), within {WITHIN_H:g} h where none (□)")
    kinds = {not math.isnan(row[4]) for row in site_rows}
    handles = [
        *([Line2D([], [], ls="", marker="o", mfc="0.8", mec="0.2", ms=6, label="site with a promise: within its promise")]
          if True in kinds else []),
        *([Line2D([], [], ls="", marker="s", mfc="0.8", mec="0.2", ms=6, label=f"site without a promise: within {WITHIN_H:g} h")]
          if False in kinds else []),
        Line2D([], [], ls="", marker="^", mfc="#4c72b0", mec="black", ms=10,
               label=f"depot (area = failures served; largest {top:,.0f} per replication)"),
        Line2D([], [], color="0.55", lw=0.7, label="assigned depot"),
    ]
    if any(math.isnan(v) for v in promise + within):
        handles.append(Line2D([], [], ls="", marker="o", mfc=NO_DATA, mec="0.2", ms=6, label="no outage"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    fig.tight_layout()
    place_labels(ax, xy_depots, depot_names)
    return fig


def map_png(result: RunResult, label: str = "") -> bytes:
    """:func:`place_map` as PNG bytes (``map.png`` of run and compare folders)."""
    return render(place_map(result, label))["png"]


def _cmap() -> Any:
    from matplotlib import colormaps

    return colormaps[CMAP]


def _scalar_mappable(cmap: Any, norm: Normalize) -> Any:
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    return sm
