"""Build step: a validated :class:`~sim.scenario.schema.Scenario` → a plain :class:`Network`.

Everything the engine needs is resolved here, once, before any replication runs: names
become indices, distributions become samplers, sites get their depot, travel times and
lateral candidates, prices get their multipliers. The network is immutable and picklable,
so it can be shipped to worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.distributions import Sampler, sampler
from sim.scenario.schema import Part, Scenario

EARTH_RADIUS_KM = 6371.0088
HOURS_PER_YEAR = 8760.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class PartSpec:
    """A part: money per unit, and how its failed units are repaired (``repairable``)."""

    name: str
    unit_cost: float
    price: float
    holding_rate_per_year: float
    repairable: bool = False  # False: consumable, every unit used is bought new
    depot_repair_share: float = 0.0  # share of carcasses repaired at the depot that supplied the unit
    condemnation_share: float = 0.0  # share of carcasses sent to central that are scrapped
    repair_cost: float = 0.0  # per repair, depot or central
    depot_repair_time: Sampler | None = None
    return_time: Sampler | None = None  # carcass transport to the central repair shop
    central_repair_time: Sampler | None = None
    willfit_price: float = 0.0  # Y: price of the will-fit alternative at parts shops (sim.years)


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """A failure mode of one installed machine."""

    name: str
    part: int  # part index, -1 when the repair needs no part
    time_to_failure: Sampler
    repair_time: Sampler
    willfit_part: int = -1  # Y: the maker's part replaced by a will-fit part (part is then -1), else -1
    willfit_lead_h: float = 0.0  # Y: time until the customer has the will-fit part from a parts shop


@dataclass(frozen=True, slots=True)
class MachineSpec:
    """One installed machine."""

    key: str  # stream-name prefix, stable under reordering: "<site>/<model>#<k>"
    site: int
    model: int
    components: tuple[ComponentSpec, ...]


@dataclass(frozen=True, slots=True)
class Lane:
    """A way a part can reach a site from a depot."""

    depot: int
    time_h: float  # part shipment time including handling
    distance_km: float


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A customer site, resolved."""

    name: str
    region: int  # -1 without region
    machines: int
    downtime_cost_per_h: float
    perishable_threshold_h: float  # inf when nothing perishes
    perishable_loss: float
    promise_h: float  # inf without promise
    late_penalty_per_h: float
    depot: int
    part_time_h: float  # assigned depot → site, part
    part_distance_km: float
    technician_time_h: float  # assigned depot → site, technician (one way)
    technician_distance_km: float
    laterals: tuple[Lane, ...]  # other depots within the lateral limit, nearest first
    emergency_distance_km: float
    fee_per_visit: float
    fee_per_machine_year: float
    parts_included: bool
    training_fee_per_machine_year: float = 0.0  # Y: the service plan's training fee


@dataclass(frozen=True, slots=True)
class DepotSpec:
    """A depot, resolved."""

    name: str
    technicians: int
    technician_cost_per_year: float
    fixed_cost_per_year: float
    base_stock: tuple[int, ...]  # per part index
    replenishment_lead_time: Sampler
    repair_servers: int | None = None  # the depot's repair shop; None = unlimited


@dataclass(frozen=True, slots=True)
class CentralSpec:
    """The central warehouse: infinite, or base stock fed by the factory."""

    infinite: bool
    base_stock: tuple[int, ...]
    factory_lead_time: Sampler | None
    repair_servers: int | None = None  # the central repair shop; None = unlimited


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """Poisson part demand at a depot."""

    name: str
    depot: int
    part: int
    rate_per_h: float


@dataclass(frozen=True, slots=True)
class Policy:
    """Dispatch switches."""

    lateral: bool
    emergency: bool
    emergency_lead_time: Sampler
    emergency_cost_per_shipment: float
    technician_with_part: bool


@dataclass(frozen=True, slots=True)
class FreightRates:
    """Freight cost rates."""

    normal_per_km: float
    lateral_per_km: float
    emergency_per_km: float
    replenishment_per_unit: float
    technician_per_km: float


@dataclass(frozen=True, slots=True)
class MachineEconomics:
    """Per machine model, per year of the window."""

    name: str
    price_per_year: float
    cost_per_year: float


@dataclass(frozen=True, slots=True)
class Network:
    """Everything one replication needs, as plain immutable objects."""

    name: str
    horizon_h: float
    warmup_h: float
    trace: bool
    parts: tuple[PartSpec, ...]
    regions: tuple[str, ...]
    region_promised: tuple[bool, ...]
    sites: tuple[SiteSpec, ...]
    depots: tuple[DepotSpec, ...]
    central: CentralSpec
    machines: tuple[MachineSpec, ...]
    machine_economics: tuple[MachineEconomics, ...]
    machines_per_model: tuple[int, ...]
    streams: tuple[StreamSpec, ...]
    policy: Policy
    freight: FreightRates

    @property
    def window_h(self) -> float:
        """Statistics window, hours."""
        return self.horizon_h - self.warmup_h


class _Travel:
    """Travel times and distances between named places."""

    def __init__(self, scenario: Scenario, coords: dict[str, tuple[float | None, float | None]]) -> None:
        self.t = scenario.travel
        self.coords = coords
        self.table: dict[tuple[str, str], tuple[float, float | None]] = {}
        for leg in self.t.table:
            self.table[(leg.origin, leg.to)] = (leg.time_h, leg.distance_km)
            self.table.setdefault((leg.to, leg.origin), (leg.time_h, leg.distance_km))

    def distance_km(self, a: str, b: str) -> float:
        """Road distance, km (tabled, else great-circle × road factor; 0 without coordinates)."""
        if (a, b) in self.table and self.table[(a, b)][1] is not None:
            return float(self.table[(a, b)][1])  # type: ignore[arg-type]
        (la, oa), (lb, ob) = self.coords.get(a, (None, None)), self.coords.get(b, (None, None))
        if la is None or lb is None or oa is None or ob is None:
            return 0.0
        return great_circle_km(la, oa, lb, ob) * self.t.road_factor

    def drive_h(self, a: str, b: str) -> float:
        """Driving time, hours (tabled, else distance ÷ speed)."""
        if (a, b) in self.table:
            return self.table[(a, b)][0]
        return self.distance_km(a, b) / self.t.speed_kmh

    def part_h(self, a: str, b: str) -> float:
        """Time for a part shipment: handling + driving."""
        return self.t.handling_h + self.drive_h(a, b)

    def technician_h(self, a: str, b: str) -> float:
        """Time for a technician to reach a place: mobilisation + driving."""
        return self.t.technician_mobilisation_h + self.drive_h(a, b)


def places(sc: Scenario) -> _Travel:
    """Travel between the scenario's sites, depots (open or not) and central warehouse."""
    coords: dict[str, tuple[float | None, float | None]] = {s.name: (s.lat, s.lon) for s in sc.sites}
    coords.update({d.name: (d.lat, d.lon) for d in sc.depots})
    coords[sc.central.name] = (sc.central.lat, sc.central.lon)
    return _Travel(sc, coords)


def _close_depots(sc: Scenario, open_names: Sequence[str], assignment: Mapping[str, str] | None = None) -> Scenario:
    """The scenario with only the named depots (in file order).

    With ``assignment`` (site -> depot, from the network design) every site gets its depot;
    without, sites of closed depots go to the nearest open one.
    """
    keep = set(open_names)
    closed = {d.name for d in sc.depots if d.name not in keep}
    if assignment is not None:
        sites = [s.model_copy(update={"depot": assignment[s.name]}) for s in sc.sites]
    else:
        sites = [s.model_copy(update={"depot": None}) if s.depot in closed else s for s in sc.sites]
    legs = [leg for leg in sc.travel.table if leg.origin not in closed and leg.to not in closed]
    return sc.model_copy(
        update={
            "depots": [d for d in sc.depots if d.name in keep],
            "sites": sites,
            "travel": sc.travel.model_copy(update={"table": legs}),
        }
    )


def open_network(sc: Scenario) -> Scenario:
    """``open_depots`` applied: an explicit list keeps those depots; a number N opens the best N.

    The best N come from the network design (:mod:`sim.optimize.network`, objective
    ``design_objective``), and the sites keep the design's assignment.
    """
    chosen = sc.open_depots
    if chosen is None:
        return sc
    if isinstance(chosen, int):
        from sim.optimize.network import design  # the design reads scenarios, never builds

        best = design(sc, places(sc), chosen, sc.design_objective)
        return _close_depots(sc, best.open, best.assignment)
    return _close_depots(sc, chosen)


def _part(p: Part, price_multiplier: float) -> PartSpec:
    """A part's spec: its prices, and its repair samplers when it is repairable (R)."""
    price = p.price * price_multiplier
    r = p.repair
    if r is None:
        return PartSpec(p.name, p.unit_cost, price, p.holding_rate_per_year)
    return PartSpec(
        p.name,
        p.unit_cost,
        price,
        p.holding_rate_per_year,
        repairable=True,
        depot_repair_share=r.depot_share,
        condemnation_share=r.condemnation_share,
        repair_cost=r.repair_cost,
        depot_repair_time=sampler(r.depot_repair_time_h) if r.depot_repair_time_h is not None else None,
        return_time=sampler(r.return_time_h),
        central_repair_time=sampler(r.central_repair_time_h) if r.central_repair_time_h is not None else None,
    )


def build(scenario: Scenario) -> Network:
    """Resolve a validated scenario into a :class:`Network`."""
    sc = open_network(scenario)
    part_index = {p.name: i for i, p in enumerate(sc.parts)}
    model_index = {m.name: i for i, m in enumerate(sc.machine_models)}
    region_index = {r.name: i for i, r in enumerate(sc.regions)}
    depot_index = {d.name: i for i, d in enumerate(sc.depots)}
    plans = {p.name: p for p in sc.service_plans}
    travel = places(sc)

    parts = tuple(_part(p, sc.pricing.part_price_multiplier) for p in sc.parts)
    depots = tuple(
        DepotSpec(
            name=d.name,
            technicians=d.technicians,
            technician_cost_per_year=d.technician_cost_per_year,
            fixed_cost_per_year=d.fixed_cost_per_year,
            base_stock=tuple(d.base_stock.get(p.name, 0) for p in sc.parts),
            replenishment_lead_time=sampler(d.replenishment_lead_time_h or sc.central.transport_lead_time_h),
            repair_servers=d.repair_servers,
        )
        for d in sc.depots
    )
    central = CentralSpec(
        infinite=sc.central.base_stock is None,
        base_stock=tuple((sc.central.base_stock or {}).get(p.name, 0) for p in sc.parts),
        factory_lead_time=sampler(sc.central.factory_lead_time_h) if sc.central.factory_lead_time_h else None,
        repair_servers=sc.central.repair_servers,
    )
    staffed = [i for i, d in enumerate(sc.depots) if d.technicians > 0]  # Scenario.problems: not empty if sites
    regions_promise = {r.name: r for r in sc.regions}

    sites: list[SiteSpec] = []
    machines: list[MachineSpec] = []
    for s_idx, s in enumerate(sc.sites):
        if s.depot is not None:
            d_idx = depot_index[s.depot]
        else:  # nearest staffed depot by technician travel time; ties by file order
            d_idx = min(staffed, key=lambda j: (travel.technician_h(sc.depots[j].name, s.name), j))
        dname = sc.depots[d_idx].name
        region = regions_promise.get(s.region) if s.region else None
        promise = s.promise_h if s.promise_h is not None else (region.promise_h if region else None)
        penalty = (
            s.late_penalty_per_h
            if s.late_penalty_per_h is not None
            else (region.late_penalty_per_h if region else 0.0)
        )
        laterals = []
        if sc.dispatch.lateral.enabled:
            for j, d in enumerate(sc.depots):
                if j == d_idx:
                    continue
                t = travel.part_h(d.name, s.name)
                if t <= sc.dispatch.lateral.max_time_h:
                    laterals.append(Lane(j, t, travel.distance_km(d.name, s.name)))
            laterals.sort(key=lambda lane: (lane.time_h, lane.depot))
        plan = plans.get(s.service_plan) if s.service_plan else None
        factor = plan.time_to_failure_factor if plan else 1.0
        n_machines = 0
        for model_name, count in s.machines.items():
            m_idx = model_index[model_name]
            model = sc.machine_models[m_idx]
            comps = tuple(
                ComponentSpec(
                    c.name,
                    part_index[c.part] if c.part is not None else -1,
                    sampler(c.time_to_failure_h, factor),
                    sampler(c.repair_time_h),
                )
                for c in model.components
            )
            for k in range(count):
                machines.append(MachineSpec(f"{s.name}/{model_name}#{k}", s_idx, m_idx, comps))
            n_machines += count
        sites.append(
            SiteSpec(
                name=s.name,
                region=region_index[s.region] if s.region else -1,
                machines=n_machines,
                downtime_cost_per_h=s.downtime_cost_per_h,
                perishable_threshold_h=s.perishable.threshold_h if s.perishable else math.inf,
                perishable_loss=s.perishable.loss if s.perishable else 0.0,
                promise_h=promise if promise is not None else math.inf,
                late_penalty_per_h=penalty,
                depot=d_idx,
                part_time_h=travel.part_h(dname, s.name),
                part_distance_km=travel.distance_km(dname, s.name),
                technician_time_h=travel.technician_h(dname, s.name),
                technician_distance_km=travel.distance_km(dname, s.name),
                laterals=tuple(laterals),
                emergency_distance_km=travel.distance_km(sc.central.name, s.name),
                fee_per_visit=plan.fee_per_visit if plan else 0.0,
                fee_per_machine_year=plan.fee_per_machine_year if plan else 0.0,
                parts_included=plan.parts_included if plan else False,
                training_fee_per_machine_year=plan.training_fee_per_machine_year if plan else 0.0,  # Y
            )
        )

    mult = sc.pricing.machine_price_multiplier
    economics = tuple(
        MachineEconomics(m.name, m.price * mult / m.life_years, m.cost_to_make / m.life_years)
        for m in sc.machine_models
    )
    per_model = [0] * len(sc.machine_models)
    for m in machines:
        per_model[m.model] += 1
    region_promised = tuple(
        r.promise_h is not None or any(s.region == r.name and s.promise_h is not None for s in sc.sites)
        for r in sc.regions
    )
    em = sc.dispatch.emergency
    return Network(
        name=sc.name,
        horizon_h=sc.horizon_h,
        warmup_h=sc.warmup_h,
        trace=sc.trace,
        parts=parts,
        regions=tuple(r.name for r in sc.regions),
        region_promised=region_promised,
        sites=tuple(sites),
        depots=depots,
        central=central,
        machines=tuple(machines),
        machine_economics=economics,
        machines_per_model=tuple(per_model),
        streams=tuple(
            StreamSpec(d.name, depot_index[d.depot], part_index[d.part], d.rate_per_h) for d in sc.demand_streams
        ),
        policy=Policy(
            lateral=sc.dispatch.lateral.enabled,
            emergency=em.enabled,
            emergency_lead_time=sampler(em.lead_time_h),
            emergency_cost_per_shipment=em.cost_per_shipment,
            technician_with_part=sc.dispatch.technician_dispatch == "with_part",
        ),
        freight=FreightRates(
            sc.freight.normal_cost_per_km,
            sc.freight.lateral_cost_per_km,
            sc.freight.emergency_cost_per_km,
            sc.freight.replenishment_cost_per_unit,
            sc.freight.technician_cost_per_km,
        ),
    )
