"""What the stock optimiser needs from a network: demand, lead times, weights, promises.

Everything is per *item* = (depot, part), in the order depot-major (item ``j * P + p``).
Demand rates are steady-state Poisson rates per hour, ``sim.analytic.demand_per_h`` (``analyse``'s
``demand_per_h`` per depot and part, by the same fixed point): each installed machine's component that uses a part
fails at availability / mean time to failure (a machine that is down does not age), summed
over the sites assigned to the depot, plus the depot's ``demand_streams``. The failure
rates per site and component that weight downtime costs and promises are the same without
the availability factor (a common factor per site: it cancels in those weights).

Repairable parts follow :mod:`sim.analytic`'s repair mix (``sim.analytic.repair_mix``): a
share r of a depot's demands (its fleet demands × the part's ``depot_repair_share``) is
resupplied by the depot's own repair, the rest by the central warehouse, so the depot's
resupply time without central delay is r·depot repair + (1 − r)·transport, and only the
rest, (1 − r)·λ, reaches central. Central's own resupply of a fleet carcass is
``sim.theory.central_resupply_mean`` (repair or condemnation and purchase); of a counter
sale, the factory lead time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analytic import demand_per_h, repair_mix
from sim.build import Network
from sim.theory import central_resupply_mean


@dataclass(frozen=True)
class Demand:
    """Per depot × part (arrays of shape (depots, parts)) and per region what stock can change."""

    depots: tuple[str, ...]
    parts: tuple[str, ...]
    unit_cost: np.ndarray  # (P,)
    rate_per_h: np.ndarray  # (D, P): all part demand at the depot (fleet and demand streams)
    fleet_rate_per_h: np.ndarray  # (D, P): the fleet's share of it (a backorder stops a machine)
    downtime_cost_per_h: np.ndarray  # (D, P): fleet-rate-weighted downtime cost of the machines waiting
    lead_time_h: np.ndarray  # (D, P): mean depot resupply time without central delay (repair mix included)
    to_central: np.ndarray  # (D, P): share of the depot's demands resupplied through central (1 for consumables)
    central_lead_time_h: np.ndarray  # (P,): central's mean resupply time (two echelons), else 0
    two_echelon: bool
    machines: int
    base_down: float  # machines down on average with every part in stock (travel + repair)
    regions: tuple[str, ...]
    region_total_per_h: np.ndarray  # (R,): failure rate at the region's sites that have a promise
    region_fixed_per_h: np.ndarray  # (R,): rate restored within promise whatever the stock (no part needed)
    region_stock_per_h: np.ndarray  # (R, D, P): rate restored within promise when the part is in stock


def demand_rates(net: Network) -> Demand:
    """The optimiser's inputs read from a built network (see the module doc)."""
    n_d, n_p, n_r = len(net.depots), len(net.parts), len(net.regions)
    fleet = np.zeros((n_d, n_p))
    cost_rate = np.zeros((n_d, n_p))
    region_total = np.zeros(n_r)
    region_fixed = np.zeros(n_r)
    region_stock = np.zeros((n_r, n_d, n_p))
    base_down = 0.0
    for m in net.machines:
        site = net.sites[m.site]
        d = site.depot
        for c in m.components:
            rate = 1.0 / c.time_to_failure.mean
            repair = c.repair_time.mean
            if c.part >= 0:
                fleet[d, c.part] += rate
                cost_rate[d, c.part] += rate * site.downtime_cost_per_h
                restore = max(site.part_time_h, site.technician_time_h) + repair
            else:
                restore = site.technician_time_h + repair
            base_down += rate * restore
            if site.region >= 0 and math.isfinite(site.promise_h):
                region_total[site.region] += rate
                if restore <= site.promise_h:
                    if c.part >= 0:
                        region_stock[site.region, d, c.part] += rate
                    else:
                        region_fixed[site.region] += rate
    streams = np.zeros((n_d, n_p))
    for s in net.streams:
        streams[s.depot, s.part] += s.rate_per_h
    rate_all = demand_per_h(net, "metric")  # analyse's demand_per_h rows, without its per-location rows
    fleet_all = np.maximum(rate_all - streams, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        downtime = np.where(fleet > 0, cost_rate / np.where(fleet > 0, fleet, 1.0), 0.0)
    transport = np.array([d.replenishment_lead_time.mean for d in net.depots], dtype=float)
    factory = net.central.factory_lead_time
    factory_h = float(factory.mean) if factory is not None and not net.central.infinite else 0.0
    lead = np.zeros((n_d, n_p))
    to_central = np.ones((n_d, n_p))
    central_h = np.full(n_p, factory_h)
    for k in range(n_p):
        mix = repair_mix(net, k)
        if not mix.repairable:
            lead[:, k] = transport
            continue
        r = mix.depot_share * np.divide(fleet_all[:, k], rate_all[:, k], out=np.zeros(n_d), where=rate_all[:, k] > 0)
        lead[:, k] = r * mix.depot_repair_mean_h + (1.0 - r) * transport
        to_central[:, k] = 1.0 - r
        if factory_h:
            carcass = (fleet_all[:, k] * (1.0 - mix.depot_share)).sum()
            bought = (rate_all[:, k] - fleet_all[:, k]).sum()
            fleet_h = central_resupply_mean(mix.condemnation_share, mix.return_mean_h, mix.central_repair_mean_h, factory_h)
            central_h[k] = (carcass * fleet_h + bought * factory_h) / (carcass + bought) if carcass + bought > 0 else factory_h
    return Demand(
        depots=tuple(d.name for d in net.depots),
        parts=tuple(p.name for p in net.parts),
        unit_cost=np.array([p.unit_cost for p in net.parts], dtype=float),
        rate_per_h=rate_all,
        fleet_rate_per_h=fleet_all,
        downtime_cost_per_h=downtime,
        lead_time_h=lead,
        to_central=to_central,
        central_lead_time_h=central_h,
        two_echelon=not net.central.infinite,
        machines=len(net.machines),
        base_down=base_down,
        regions=net.regions,
        region_total_per_h=region_total,
        region_fixed_per_h=region_fixed,
        region_stock_per_h=region_stock,
    )
