"""A stock plan as files: the curve as CSV, the chosen plan as a scenario file, the uniform plan to beat."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import yaml

from sim.optimize.stock import CENTRAL, Curve, Point
from sim.output import csv_text


def curve_csv(curve: Curve) -> str:
    """``curve.csv``: one row per change of a greedy step (one per step with one echelon), after step 0 (no stock)."""
    regions = [r for r, total in zip(curve.demand.regions, curve.demand.region_total_per_h) if total > 0]
    index = [curve.demand.regions.index(r) for r in regions]
    header = [
        "step",
        "investment",
        "ebo_total",
        "objective",
        "fill_rate",
        "availability",
        "location",
        "part",
        "base_stock",
        *[f"within_promise[{r}]" for r in regions],
    ]
    names = (*curve.demand.depots, CENTRAL)

    def row(step: int, loc: str, part: str, level: int | str) -> list[Any]:
        return [
            step,
            f"{curve.investment[step]:.2f}",
            f"{curve.ebo_total[step]:.6g}",
            f"{curve.objective[step]:.6g}",
            f"{curve.fill_rate[step]:.6f}",
            f"{curve.availability[step]:.6f}",
            loc,
            part,
            level,
            *[f"{curve.within[i, step]:.6f}" for i in index],
        ]

    rows = [row(0, "", "", "")]
    for step, loc, part, level in zip(curve.change_step, curve.change_location, curve.change_part, curve.change_level):
        rows.append(row(int(step), names[loc], curve.demand.parts[part], int(level)))
    return csv_text(header, rows)


def with_stock(raw: Mapping[str, Any], curve: Curve, levels: np.ndarray) -> dict[str, Any]:
    """The scenario data ``raw`` (merged, as loaded) with the base stocks of ``levels`` (depots + 1, parts)."""
    data = copy.deepcopy(dict(raw))
    parts = curve.demand.parts
    row = {name: i for i, name in enumerate(curve.demand.depots)}
    for depot in data.get("depots", []):
        if depot.get("name") in row:
            depot["base_stock"] = {p: int(levels[row[depot["name"]], k]) for k, p in enumerate(parts)}
    if curve.demand.two_echelon:
        data["central"]["base_stock"] = {p: int(levels[-1, k]) for k, p in enumerate(parts)}
    return data


_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where PyYAML has it (the same text as SafeDumper, several times faster on large plans)."""


def scenario_yaml(data: Mapping[str, Any], header: str) -> str:
    """The scenario data as YAML, after a comment ``header``."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.dump(dict(data), Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)


def uniform_levels(curve: Curve, levels: np.ndarray) -> np.ndarray:
    """The same units of every part spread evenly over the depots (the rest, one each, to the depots of most demand); central unchanged."""
    out = levels.copy()
    n_d = len(curve.demand.depots)
    for p in range(len(curve.demand.parts)):
        total = int(levels[:n_d, p].sum())
        each, rest = divmod(total, n_d)
        out[:n_d, p] = each
        busiest = np.argsort(-curve.demand.rate_per_h[:, p], kind="stable")[:rest]
        out[busiest, p] += 1
    return out


def describe(point: Point) -> str:
    """One line of a plan's analytic figures."""
    return (
        f"investment {point.investment:,.0f}, expected backorders {point.ebo_total:.4g}, "
        f"fill rate {point.fill_rate:.2%}, availability {point.availability:.3%}"
    )
