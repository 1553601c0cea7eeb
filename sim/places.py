"""Results where they happen: per depot, site, region and part measures of one replication.

:func:`measure` reads a replication's physical :class:`~sim.engine.outcome.Outcome` into
plain per-item lists (JSON- and pickle-friendly, so they travel from workers and into the
checkpoint); :func:`items` gives the names and fixed columns of the items (known before
any replication runs); :func:`tables` turns the replications' measures into the rows of
``depots.csv``, ``sites.csv``, ``regions.csv`` and ``parts.csv``: the mean over
replications and the 95% confidence half-width of each measure. Money comes only from
:mod:`sim.ledger` (per-site customer cost and downtime cost, per-depot running cost).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.build import Network
from sim.engine.outcome import Outcome
from sim.engine.records import BACKORDER, EMERGENCY, LATERAL, STOCK
from sim.engine.tally import WITHIN_H
from sim.stats import summarize

Measures = dict[str, dict[str, list[float]]]  # table -> measure -> value per item
Items = dict[str, tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]]  # table -> (fixed columns, rows)

TABLES = ("depots", "sites", "regions", "parts")
NO_REGION = ""  # a site without region is listed under this name in regions.csv


def _share(num: float, den: float) -> float:
    return num / den if den else math.nan


def items(net: Network) -> Items:
    """Per table: the fixed columns (the item's name first) and one row per item; plus ``assignment``."""
    regions = _region_names(net)
    depots = tuple((d.name, d.technicians, sum(d.base_stock)) for d in net.depots)
    sites = tuple(
        (s.name, regions[s.region] if s.region >= 0 else NO_REGION, net.depots[s.depot].name, s.machines,
         s.promise_h if s.promise_h != math.inf else math.nan)
        for s in net.sites
    )
    assignment = tuple(
        (s.name, regions[s.region] if s.region >= 0 else NO_REGION, net.depots[s.depot].name, s.part_distance_km,
         s.part_time_h, s.technician_distance_km, s.technician_time_h)
        for s in net.sites
    )
    return {
        "depots": (("depot", "technicians", "base_stock_units"), depots),
        "sites": (("site", "region", "depot", "machines", "promise_h"), sites),
        "regions": (("region", "sites", "machines"), tuple(
            (r, sum(1 for s in net.sites if _region_of(net, s.region) == r),
             sum(s.machines for s in net.sites if _region_of(net, s.region) == r))
            for r in _region_list(net)
        )),
        "parts": (("part", "base_stock_units"), tuple(
            (p.name, sum(d.base_stock[k] for d in net.depots)) for k, p in enumerate(net.parts)
        )),
        "assignment": (
            ("site", "region", "depot", "distance_km", "part_time_h", "technician_distance_km", "technician_time_h"),
            assignment,
        ),
    }


def _region_names(net: Network) -> tuple[str, ...]:
    return net.regions


def _region_of(net: Network, region: int) -> str:
    return net.regions[region] if region >= 0 else NO_REGION


def _region_list(net: Network) -> list[str]:
    """The regions of regions.csv: file order, plus "" when some site has none."""
    out = list(net.regions)
    if any(s.region < 0 for s in net.sites):
        out.append(NO_REGION)
    return out


def measure(net: Network, o: Outcome, site_cost: Sequence[float] = (), site_downtime_cost: Sequence[float] = (),
            depot_cost: Sequence[float] = ()) -> Measures:
    """One replication's measures per depot, site, region and part (money from the ledger's helpers)."""
    w = o.window_h
    n_depots, n_sites = len(net.depots), len(net.sites)
    served_failures = [0] * n_depots
    for s, site in enumerate(net.sites):
        served_failures[site.depot] += o.site_failures[s]
    dep = o.depot_demands_by_source
    depots: dict[str, list[float]] = {
        "failures": [float(x) for x in served_failures],
        "part_demands": [float(sum(row)) for row in dep],
        "fill_rate": [_share(row[STOCK], sum(row)) for row in dep],
        "lateral_received": [float(row[LATERAL]) for row in dep],
        "lateral_sent": [float(x) for x in o.depot_lateral_sent],
        "emergency_shipments": [float(row[EMERGENCY]) for row in dep],
        "backorders": [float(row[BACKORDER]) for row in dep],
        "on_hand_mean": [a / w for a in o.depot_stock_on_hand_unit_h],
        "backorders_mean": [a / w for a in o.depot_stock_backorder_unit_h],
        "technician_utilisation": [
            _share(b, r) for b, r in zip(o.depot_technician_busy_h, o.depot_technician_rostered_h)
        ],
    }
    if depot_cost:
        depots["running_cost"] = list(depot_cost)
    sites: dict[str, list[float]] = {
        "failures": [float(x) for x in o.site_failures],
        "restored": [float(x) for x in o.site_restored],
        "restore_time_mean_h": [_share(t, n) for t, n in zip(o.site_restore_sum_h, o.site_restored)],
        "within_promise_share": [_share(k, n) for k, n in zip(o.site_promise_ok, o.site_promise_known)],
        f"within_{WITHIN_H:g}h_share": [_share(k, n) for k, n in zip(o.site_within_8h, o.site_restored)],
        "downtime_h": list(o.site_downtime_h),
        "availability": [
            1.0 - d / (m * w) if m else math.nan for d, m in zip(o.site_downtime_h, o.site_machines)
        ],
        "late_h": list(o.site_late_h),
    }
    if site_downtime_cost:
        sites["downtime_cost"] = list(site_downtime_cost)
    if site_cost:
        sites["customer_cost"] = list(site_cost)
    regions = _regions(net, o)
    parts = {
        "part_demands": [float(sum(row)) for row in o.part_demands_by_source],
        "fill_rate": [_share(row[STOCK], sum(row)) for row in o.part_demands_by_source],
        "lateral_share": [_share(row[LATERAL], sum(row)) for row in o.part_demands_by_source],
        "emergency_share": [_share(row[EMERGENCY], sum(row)) for row in o.part_demands_by_source],
        "backorder_share": [_share(row[BACKORDER], sum(row)) for row in o.part_demands_by_source],
        "on_hand_mean": [a / w for a in o.depot_on_hand_unit_h],
        "backorders_mean": [a / w for a in o.depot_backorder_unit_h],
    }
    assert len(sites["failures"]) == n_sites
    return {"depots": depots, "sites": sites, "regions": regions, "parts": parts}


def _regions(net: Network, o: Outcome) -> dict[str, list[float]]:
    names = _region_list(net)
    index = {r: i for i, r in enumerate(names)}
    n = len(names)
    failures, restored, restore_sum, downtime, machines = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n, [0] * n
    for s, site in enumerate(net.sites):
        r = index[_region_of(net, site.region)]
        failures[r] += o.site_failures[s]
        restored[r] += o.site_restored[s]
        restore_sum[r] += o.site_restore_sum_h[s]
        downtime[r] += o.site_downtime_h[s]
        machines[r] += site.machines
    known = list(o.region_known) + ([0] if len(names) > len(net.regions) else [])
    ok = list(o.region_ok) + ([0] if len(names) > len(net.regions) else [])
    return {
        "failures": failures,
        "restored": restored,
        "restore_time_mean_h": [_share(t, k) for t, k in zip(restore_sum, restored)],
        "within_promise_share": [_share(a, b) for a, b in zip(ok, known)],
        "downtime_h": downtime,
        "availability": [1.0 - d / (m * o.window_h) if m else math.nan for d, m in zip(downtime, machines)],
    }


def tables(fixed: Items, replications: Sequence[Measures]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Per table: header and rows; per measure its mean over replications and 95% half-width (``_hw``)."""
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for table in TABLES:
        columns, rows = fixed[table]
        names = list(replications[0][table]) if replications else []
        header = list(columns)
        for m in names:
            header += [m, m + "_hw"]
        body = []
        for i, row in enumerate(rows):
            line: list[Any] = list(row)
            for m in names:
                s = summarize([rep[table][m][i] for rep in replications])
                line += [s.mean, s.half_width]
            body.append(line)
        out[table] = (header, body)
    return out
