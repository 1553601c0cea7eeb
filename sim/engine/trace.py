"""The per-outage event log of a traced replication: one flat row per outage of the window.

A replication run with ``trace: true`` keeps event records (:mod:`sim.engine.records`);
:func:`outage_rows` flattens them into one row per outage that started in the statistics
window (restored, or still open at its end, with empty times for what has not happened):
the rows of ``trace.csv`` (docs/outputs.md, "trace.csv").
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sim.engine.records import SOURCES, Restore

if TYPE_CHECKING:
    from sim.engine.model import Replication

COLUMNS = (
    "machine",
    "component",
    "site",
    "depot",
    "part",
    "failure_h",
    "dispatch_h",
    "source",
    "source_depot",
    "part_arrival_h",
    "technician_arrival_h",
    "restore_h",
)


def outage_rows(rep: Replication) -> list[tuple[Any, ...]]:
    """One row per outage of the window (columns :data:`COLUMNS`), by failure time then machine."""
    net = rep.net
    by_key = {m.key: i for i, m in enumerate(net.machines)}

    def row(i: int, comp: int, fail_t: float, dispatch_t: float, source: str, source_depot: str,
            part_t: float | None, tech_t: float | None, restore_t: float) -> tuple[Any, ...]:
        m = net.machines[i]
        c = m.components[comp]
        site = net.sites[m.site]
        part = net.parts[c.part].name if c.part >= 0 else ""
        return (m.key, c.name, site.name, net.depots[site.depot].name, part, fail_t, dispatch_t, source, source_depot,
                math.nan if part_t is None else part_t, math.nan if tech_t is None else tech_t, restore_t)

    rows = []
    for rec in rep.trace or []:
        if isinstance(rec, Restore) and rec.fail_t >= net.warmup_h:
            i = by_key[rec.machine]
            comp = [c.name for c in net.machines[i].components].index(rec.component)
            rows.append(row(i, comp, rec.fail_t, rec.dispatch_t, rec.source, rec.source_depot, rec.part_t,
                            rec.technician_t, rec.restore_t))
    for i, job in enumerate(rep.jobs):
        if job is not None and job.fail_t >= net.warmup_h:
            dispatch_t, depot = rep.dispatched.get(i, (math.nan, -2))
            source_depot = "" if depot == -2 else ("central" if depot < 0 else net.depots[depot].name)
            rows.append(row(i, job.comp, job.fail_t, dispatch_t, SOURCES[job.source], source_depot,
                            job.part_t, job.tech_t, math.nan))
    rows.sort(key=lambda r: (r[5], r[0]))
    return rows
