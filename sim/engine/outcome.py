"""The physical outcome of one replication's statistics window: no money anywhere.

A replication returns an :class:`Outcome`: counts, hours, km and unit-hours, per site,
part and region where prices or KPIs need them. :func:`sim.ledger.price` turns it into
money with the scenario's prices; :mod:`sim.kpis` reads both. Every field is a plain
number or a tuple of them (frozen, picklable, cheap to ship from a worker).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.records import SOURCES


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened in ``[warmup_h, horizon_h)`` of one replication, in physical units."""

    window_h: float
    regions: tuple[str, ...]  # region names, in file order
    region_promised: tuple[bool, ...]  # whether the region (or a site in it) has a promise
    # --- the fleet (static over a run; counted here so pricing needs nothing else)
    machines_per_model: tuple[int, ...]  # installed machines per machine model
    site_machines: tuple[int, ...]  # installed machines per site
    depot_technicians: tuple[int, ...]  # technicians on the payroll per depot
    # --- outages
    failures: int
    restored: int  # outages that failed in the window and were restored by its end
    restore_sum_h: float  # their restore times, summed
    restore_max_h: float
    restore_hist: tuple[tuple[int, int], ...]  # (bin, count) of restore times, see sim.engine.tally
    open_outages: int  # failed in the window, still open at its end
    promise_known: int  # outages whose outcome against their promise is known
    promise_ok: int
    region_known: tuple[int, ...]  # per region
    region_ok: tuple[int, ...]
    yardstick_known: int  # restored outages (an open one is known only once past a yardstick)
    yardstick_ok: tuple[int, ...]  # per yardstick of sim.engine.tally.YARDSTICKS_H
    yardstick_open_late: tuple[int, ...]  # open outages already past each yardstick
    site_downtime_h: tuple[float, ...]  # machine-hours down per site
    site_visits: tuple[int, ...]  # technician visits (restores) per site
    site_late_h: tuple[float, ...]  # hours past the promise, summed over the site's outages
    site_perishable_events: tuple[int, ...]  # outages past the site's perishable threshold
    # --- parts
    part_demands: int  # fleet and demand-stream demands for a part
    demands_by_source: tuple[int, ...]  # per source of sim.engine.records.SOURCES
    site_part_units: tuple[tuple[int, ...], ...]  # [site][part]: units used by the site's machines
    stream_part_units: tuple[int, ...]  # [part]: units demanded by demand streams (counter sales)
    depot_on_hand_unit_h: tuple[float, ...]  # [part]: unit-hours on the depots' shelves
    depot_backorder_unit_h: tuple[float, ...]  # [part]: demand-hours waiting at depots
    owned_unit_h: tuple[float, ...]  # [part]: unit-hours the maker owns (shelves and pipelines, each unit once)
    central_on_hand_unit_h: tuple[float, ...]  # [part]: unit-hours on central's shelf (0 when infinite)
    base_stock_units: tuple[int, ...]  # [part]: base stock summed over depots and central
    # --- transport and labour
    normal_shipment_km: float  # parts sent from the assigned depot to a site
    lateral_shipment_km: float  # parts sent from another depot
    emergency_shipments: int
    emergency_shipment_km: float
    replenishment_units: int  # units ordered by depots on central (one-for-one)
    technician_km: float  # both ways
    technician_busy_h: float  # technician-hours busy (travel, waiting, repair)
    technician_rostered_h: float  # technician-hours on duty (technicians × window, unless a hook changed them)
    # --- per place (P: sim.places reads these for depots.csv, sites.csv, regions.csv, parts.csv)
    depot_demands_by_source: tuple[tuple[int, ...], ...] = ()  # [depot][source]: demands at the assigned depot
    depot_lateral_sent: tuple[int, ...] = ()  # [depot]: lateral transshipments it sent to other depots' sites
    depot_normal_km: tuple[float, ...] = ()  # [depot]: km of the parts it shipped to its own sites
    depot_lateral_km: tuple[float, ...] = ()  # [depot]: km of the lateral transshipments it sent
    depot_stock_on_hand_unit_h: tuple[float, ...] = ()  # [depot]: unit-hours on its shelves, all parts
    depot_stock_backorder_unit_h: tuple[float, ...] = ()  # [depot]: demand-hours waiting there, all parts
    depot_technician_busy_h: tuple[float, ...] = ()  # [depot]
    depot_technician_rostered_h: tuple[float, ...] = ()  # [depot]
    site_failures: tuple[int, ...] = ()  # [site]: outages starting in the window
    site_restored: tuple[int, ...] = ()  # [site]: of those, restored by the window's end
    site_restore_sum_h: tuple[float, ...] = ()  # [site]: their restore times, summed
    site_promise_known: tuple[int, ...] = ()  # [site]: outages whose outcome against the promise is known
    site_promise_ok: tuple[int, ...] = ()  # [site]: restored within the promise
    site_within_8h: tuple[int, ...] = ()  # [site]: restored within sim.engine.tally.WITHIN_H
    part_demands_by_source: tuple[tuple[int, ...], ...] = ()  # [part][source]
    # Y (sim.years): will-fit parts customers bought at parts shops, [site][part]; empty = none
    site_willfit_units: tuple[tuple[int, ...], ...] = ()
    # R (repairable parts): per part, carcasses committed in the window (at the failure), and
    # units bought from the supplier (consumable units used + condemned units + counter sales)
    depot_repairs: tuple[int, ...] = ()
    central_repairs: tuple[int, ...] = ()
    condemned_units: tuple[int, ...] = ()
    purchased_units: tuple[int, ...] = ()
    # R: repair shops' busy server-hours and server-hours available (inf when unlimited)
    depot_repair_busy_h: tuple[float, ...] = ()  # [depot]
    depot_repair_server_h: tuple[float, ...] = ()  # [depot]
    central_repair_busy_h: float = 0.0
    central_repair_server_h: float = 0.0

    @property
    def technicians(self) -> int:
        """Technicians in the network."""
        return sum(self.depot_technicians)

    @property
    def machines(self) -> int:
        """Installed machines."""
        return sum(self.machines_per_model)

    @property
    def downtime_h(self) -> float:
        """Machine-hours down, all sites."""
        return sum(self.site_downtime_h)

    @property
    def visits(self) -> int:
        """Technician visits, all sites."""
        return sum(self.site_visits)

    @property
    def perishable_events(self) -> int:
        """Outages past their site's perishable threshold."""
        return sum(self.site_perishable_events)

    def source_count(self, source: str) -> int:
        """Demands served by ``source`` (one of :data:`sim.engine.records.SOURCES`)."""
        return self.demands_by_source[SOURCES.index(source)]
