"""Online statistics of one replication's window: counters and a restore-time histogram.

Memory is bounded by the network size, not by the horizon: restore times go to a
log-spaced histogram whose bins are 0.2% wide, so percentiles are exact to ±0.1%.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.engine.records import N_SOURCES

if TYPE_CHECKING:
    from sim.build import Network

HIST_FLOOR_H = 1e-3
YARDSTICKS_H = (4.0, 8.0, 24.0, 48.0)  # fixed restore-time yardsticks, the same for every scenario
HIST_LOG_STEP = math.log(1.002)
WITHIN_H = 8.0  # per-site yardstick of the map and sites.csv where a site has no promise


def hist_bin(duration_h: float) -> int:
    """Histogram bin of a duration (bin 0 holds everything under 1e-3 h)."""
    if duration_h < HIST_FLOOR_H:
        return 0
    return int(math.log(duration_h / HIST_FLOOR_H) / HIST_LOG_STEP) + 1


def bin_value(b: int) -> float:
    """Representative value of a bin (its geometric middle)."""
    return 0.0 if b == 0 else HIST_FLOOR_H * math.exp((b - 0.5) * HIST_LOG_STEP)


def hist_quantile(hist: dict[int, int], q: float) -> float:
    """The q-quantile of a histogram (nan when empty)."""
    n = sum(hist.values())
    if n == 0:
        return math.nan
    rank = q * n
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return bin_value(b)
    return bin_value(max(hist))


class Tally:
    """Physical counters of the statistics window; a fresh one starts at the end of warm-up.

    Nothing here is money: :func:`sim.ledger.price` prices the :class:`~sim.engine.outcome.Outcome`
    these counters end up in.
    """

    __slots__ = (
        "failures",
        "demands",
        "by_source",
        "site_part_units",
        "stream_part_units",
        "normal_km",
        "lateral_km",
        "emergency_shipments",
        "emergency_km",
        "replenishment_units",
        "technician_km",
        "site_visits",
        "restored",
        "restore_sum",
        "restore_max",
        "hist",
        "promise_known",
        "promise_ok",
        "region_known",
        "region_ok",
        "site_late_h",
        "site_perishable",
        "yardstick_known",
        "yardstick_ok",
        # per place (sim.places): a few list increments per event
        "depot_source",
        "depot_lateral_sent",
        "depot_freight_km",
        "site_failures",
        "site_restored",
        "site_restore_sum",
        "site_known",
        "site_ok",
        "site_within_8h",
        "part_source",
        "site_willfit_units",  # Y: will-fit parts bought at parts shops, [site][part]
    )

    def __init__(self, n_regions: int, n_sites: int, n_parts: int, n_depots: int = 0) -> None:
        self.failures = 0
        self.demands = 0
        self.by_source = [0, 0, 0, 0, 0]
        self.site_part_units = [[0] * n_parts for _ in range(n_sites)]
        self.stream_part_units = [0] * n_parts
        self.normal_km = 0.0
        self.lateral_km = 0.0
        self.emergency_shipments = 0
        self.emergency_km = 0.0
        self.replenishment_units = 0
        self.technician_km = 0.0
        self.site_visits = [0] * n_sites
        self.restored = 0
        self.restore_sum = 0.0
        self.restore_max = 0.0
        self.hist: dict[int, int] = {}
        self.promise_known = 0
        self.promise_ok = 0
        self.region_known = [0] * n_regions
        self.region_ok = [0] * n_regions
        self.site_late_h = [0.0] * n_sites
        self.site_perishable = [0] * n_sites
        self.yardstick_known = 0  # outages whose outcome against the yardsticks is known
        self.yardstick_ok = [0] * len(YARDSTICKS_H)
        n_sources = N_SOURCES
        self.depot_source = [0] * (n_depots * n_sources)  # [depot * 5 + source]: demands at the assigned depot
        self.depot_lateral_sent = [0] * n_depots  # lateral transshipments a depot sent
        self.depot_freight_km = [0.0] * (2 * n_depots)  # [depot * 2]: normal shipments' km, [depot * 2 + 1]: lateral
        self.site_failures = [0] * n_sites
        self.site_restored = [0] * n_sites
        self.site_restore_sum = [0.0] * n_sites
        self.site_known = [0] * n_sites  # outages whose outcome against the site's promise is known
        self.site_ok = [0] * n_sites
        self.site_within_8h = [0] * n_sites  # restored within 8 h (the map's yardstick without a promise)
        self.part_source = [0] * (n_parts * n_sources)  # [part * 5 + source]
        self.site_willfit_units = [[0] * n_parts for _ in range(n_sites)]  # Y: will-fit parts, [site][part]

    @classmethod
    def of(cls, net: Network) -> Tally:
        """Fresh counters sized for a network's regions, sites and parts."""
        return cls(len(net.regions), len(net.sites), len(net.parts), len(net.depots))

    def outage_outcome(self, duration_h: float, promise_h: float, region: int, threshold_h: float, site: int) -> None:
        """Service level, late hours and perishable event of a restored outage."""
        if promise_h != math.inf:
            self.promise_known += 1
            self.site_known[site] += 1
            ok = duration_h <= promise_h
            if ok:
                self.promise_ok += 1
                self.site_ok[site] += 1
            else:
                self.site_late_h[site] += duration_h - promise_h
            if region >= 0:
                self.region_known[region] += 1
                if ok:
                    self.region_ok[region] += 1
        if duration_h > threshold_h:
            self.site_perishable[site] += 1

    def restored_outage(self, duration_h: float, site: int = -1) -> None:
        """A restore time for the distribution statistics (and its site's, when given)."""
        self.restored += 1
        self.restore_sum += duration_h
        if site >= 0:
            self.site_restored[site] += 1
            self.site_restore_sum[site] += duration_h
            if duration_h <= WITHIN_H:
                self.site_within_8h[site] += 1
        if duration_h > self.restore_max:
            self.restore_max = duration_h
        b = hist_bin(duration_h)
        self.hist[b] = self.hist.get(b, 0) + 1
        self.yardstick_known += 1
        for k, limit in enumerate(YARDSTICKS_H):
            if duration_h <= limit:
                self.yardstick_ok[k] += 1

    def open_outage(self, elapsed_h: float, promise_h: float, region: int, threshold_h: float, site: int) -> None:
        """An outage still open at the end: counted late only once past its promise."""
        if promise_h != math.inf and elapsed_h > promise_h:
            self.promise_known += 1
            self.site_known[site] += 1
            self.site_late_h[site] += elapsed_h - promise_h
            if region >= 0:
                self.region_known[region] += 1
        if elapsed_h > threshold_h:
            self.site_perishable[site] += 1
