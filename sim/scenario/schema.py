"""The scenario file format, as pydantic v2 models.

Every field is documented here; ``docs/scenario-reference.md`` is generated from these
models (``python -m sim.scenario.reference``). Unknown keys are errors. Units live in the
field names: ``_h`` hours, ``_km`` kilometres, ``_kmh`` km per hour, ``_per_year``
per year, ``_per_h`` per hour. Money is in the scenario's ``currency``.

Validation happens in two passes: field by field (pydantic), then the cross-references
between sections (:func:`Scenario.problems`), so that a file with many mistakes reports
all of them at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from sim.scenario.fields import (  # noqa: F401  (re-exported: sim.scenario.schema.Exponential, ...)
    Deterministic,
    Distribution,
    Exponential,
    Gamma,
    Lognormal,
    Model,
    Money,
    Name,
    NonNegFloat,
    PositiveFloat,
    Uniform,
    Weibull,
    _mean_h,
)
from sim.scenario.names import did_you_mean
from sim.scenario.years import (
    Market,  # Y: the multi-year market section (docs/years.md)
)


def lists_none(section: str) -> str:
    """What a reference into an empty ``section`` is told (the section was left out, emptied or is invalid)."""
    return f"{section} lists none"


def unknown(what: str, name: str, known: set[str], section: str) -> str:
    """``unknown region 'Zhejian'; did you mean 'Zhejiang'?`` (the suggestion when one is close).

    With nothing known, says that ``section`` lists none (it was left out or emptied).
    """
    if not known:
        return f"unknown {what} {name!r}: {lists_none(section)}"
    return f"unknown {what} {name!r}" + did_you_mean(name, sorted(known), n=2)


# Distributions (of durations in hours): in sim/scenario/fields.py, shared with years.py


# --------------------------------------------------------------------------------------
# Catalogue: parts and machine models
# --------------------------------------------------------------------------------------


class PartRepair(Model):
    """How failed units (carcasses) of a repairable part are repaired (Sherbrooke's METRIC world).

    A share is repaired at the depot whose stock supplied the unit; the rest travel to the
    central repair shop, where a share is condemned and replaced by a new unit from the factory.
    """

    depot_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(
        0.0, description="Share of failed units repaired at the depot that supplied them (0 to 1)."
    )
    depot_repair_time_h: Distribution | None = Field(
        None, description="Depot repair time from the failure, hours (required when depot_share > 0)."
    )
    return_time_h: Distribution = Field(
        default_factory=lambda: Deterministic(dist="deterministic", value=0.0),
        description="Carcass transport to the central repair shop, hours.",
    )
    central_repair_time_h: Distribution | None = Field(
        None, description="Central repair time once the carcass arrives, hours (required when depot_share < 1)."
    )
    condemnation_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "Share of carcasses sent to central that are scrapped and replaced by a new unit bought "
            "from the supplier (central.factory_lead_time_h)."
        ),
    )
    repair_cost: Money = Field(0.0, description="Maker's cost of one repair (labour, material), depot or central.")


class Part(Model):
    """A spare part: what it costs the maker, what the customer pays, what holding it costs."""

    name: Name = Field(description="Part name (referenced by components and base_stock).")
    unit_cost: Money = Field(description="Cost of one unit to the maker.")
    price: Money = Field(description="Price the customer pays per unit used.")
    holding_rate_per_year: NonNegFloat = Field(
        0.25, description="Holding cost per year as a share of unit cost (capital, storage, obsolescence)."
    )
    repair: PartRepair | None = Field(
        None, description="Repair of failed units; null = consumable (every unit used is bought new)."
    )


class Component(Model):
    """A failure mode of a machine model: what breaks, which part it consumes, how long repair takes."""

    name: Name = Field(description="Component (failure mode) name, unique within its machine model.")
    part: Name | None = Field(
        None, description="Part consumed by the repair; null for a failure that needs only a technician."
    )
    time_to_failure_h: Distribution = Field(description="Operating hours between failures of this component.")
    repair_time_h: Distribution = Field(description="Hands-on repair time once part and technician are on site.")


class MachineModel(Model):
    """A machine model sold to customers."""

    name: Name = Field(description="Machine model name (referenced by sites' machines).")
    price: Money = Field(description="Price the customer pays for one machine (before pricing.machine_price_multiplier).")
    cost_to_make: Money = Field(description="Maker's cost to build one machine.")
    life_years: PositiveFloat = Field(
        8.0, description="Economic life: price and cost are annualised straight-line over it."
    )
    components: list[Component] = Field(min_length=1, description="Failure modes of the machine.")


# --------------------------------------------------------------------------------------
# Market: regions and customer sites
# --------------------------------------------------------------------------------------


class Region(Model):
    """A sales region, with an optional restore-time promise for its sites."""

    name: Name = Field(description="Region name (referenced by sites).")
    promise_h: PositiveFloat | None = Field(
        None, description="Promised restore time (failure to running again), hours; null = no promise."
    )
    late_penalty_per_h: Money = Field(0.0, description="Penalty the maker pays per hour a restore is late.")


class Perishable(Model):
    """Work in progress spoiled when one outage lasts longer than a threshold."""

    threshold_h: PositiveFloat = Field(description="Outage length after which the work in progress is lost, hours.")
    loss: Money = Field(description="One-off loss when an outage passes the threshold.")


class Site(Model):
    """A customer site with installed machines."""

    name: Name = Field(description="Site name, unique; also a place name for travel.table.")
    lat: Annotated[float, Field(ge=-90, le=90)] = Field(description="Latitude, degrees.")
    lon: Annotated[float, Field(ge=-180, le=180)] = Field(description="Longitude, degrees.")
    region: Name | None = Field(None, description="Region name (must be listed in regions).")
    machines: dict[Name, Annotated[int, Field(ge=0)]] = Field(
        description="Machines installed, by machine model name."
    )
    downtime_cost_per_h: Money = Field(description="Customer's cost per hour one machine is down.")
    perishable: Perishable | None = Field(None, description="Perishable work in progress, if any.")
    promise_h: PositiveFloat | None = Field(None, description="Overrides the region's promise, hours.")
    late_penalty_per_h: Money | None = Field(None, description="Overrides the region's late penalty per hour.")
    depot: Name | None = Field(None, description="Assigned depot; default: nearest depot by travel time.")
    service_plan: Name | None = Field(None, description="Service plan name (see service_plans); default: none.")


class ServicePlan(Model):
    """What the customer pays for service, and what the service changes."""

    name: Name = Field(description="Plan name (referenced by sites' service_plan).")
    fee_per_visit: Money = Field(0.0, description="Fee per technician visit (repair).")
    fee_per_machine_year: Money = Field(0.0, description="Contract fee per machine per year.")
    time_to_failure_factor: PositiveFloat = Field(
        1.0, description="Multiplies every time to failure (e.g. 1.2 = training makes failures 20% rarer)."
    )
    parts_included: bool = Field(False, description="Parts are included in the contract (customer pays no part price).")
    training_fee_per_machine_year: Money = Field(  # Y: case 4, a training option sold at a fee (docs/years.md)
        0.0,
        description="Fee per machine per year for training the customer's maintenance staff (its effect: time_to_failure_factor).",
    )


# --------------------------------------------------------------------------------------
# Network: depots, central warehouse, travel, dispatch
# --------------------------------------------------------------------------------------


class Depot(Model):
    """A regional stocking point with technicians."""

    name: Name = Field(description="Depot name, unique; also a place name for travel.table.")
    lat: Annotated[float, Field(ge=-90, le=90)] = Field(description="Latitude, degrees.")
    lon: Annotated[float, Field(ge=-180, le=180)] = Field(description="Longitude, degrees.")
    fixed_cost_per_year: Money = Field(0.0, description="Rent and overheads per year.")
    technicians: Annotated[int, Field(ge=0)] = Field(description="Technicians based here.")
    technician_cost_per_year: Money = Field(0.0, description="Cost of one technician per year.")
    base_stock: dict[Name, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Base-stock level per part name (one-for-one replenishment)."
    )
    replenishment_lead_time_h: Distribution | None = Field(
        None,
        description="Lead time of a replenishment from the central warehouse, hours; default central.transport_lead_time_h.",
    )
    repair_servers: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Repair servers of the depot's repair shop, shared by all parts (FIFO); null = unlimited."
    )


class Central(Model):
    """The depots' source: infinite supply, or its own base stock fed by the factory (two echelons)."""

    name: Name = Field("central", description="Place name of the central warehouse (for travel.table).")
    lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(None, description="Latitude (for emergency distances).")
    lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(None, description="Longitude.")
    base_stock: dict[Name, Annotated[int, Field(ge=0)]] | None = Field(
        None, description="Base stock per part; null = infinite supply (single echelon)."
    )
    factory_lead_time_h: Distribution | None = Field(
        None, description="Lead time of a central replenishment from the factory, hours (needed with base_stock)."
    )
    transport_lead_time_h: Distribution = Field(
        default_factory=lambda: Deterministic(dist="deterministic", value=72.0),
        description="Default central-to-depot replenishment lead time, hours.",
    )
    repair_servers: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Repair servers of the central repair shop, shared by all parts (FIFO); null = unlimited."
    )


class Lateral(Model):
    """Lateral transshipment from another depot."""

    enabled: bool = Field(True, description="Try other depots when the assigned one is out of stock.")
    max_time_h: NonNegFloat = Field(12.0, description="Only depots within this travel time of the site.")


class Emergency(Model):
    """Emergency shipment from the central warehouse straight to the site."""

    enabled: bool = Field(True, description="Ship from central when no depot can serve.")
    lead_time_h: Distribution = Field(
        default_factory=lambda: Deterministic(dist="deterministic", value=24.0),
        description="Time from order to arrival at the site, hours.",
    )
    cost_per_shipment: Money = Field(0.0, description="Fixed cost of one emergency shipment.")


class Dispatch(Model):
    """How a part demand is served: assigned depot, lateral, emergency, then backorder."""

    lateral: Lateral = Field(default_factory=Lateral)
    emergency: Emergency = Field(default_factory=Emergency)
    technician_dispatch: Literal["with_part", "on_failure"] = Field(
        "with_part",
        description=(
            "with_part: the technician leaves so as to arrive with the part (busy from departure); "
            "on_failure: a technician is taken at failure and waits on site for the part."
        ),
    )


class TravelLeg(Model):
    """An explicit travel time between two named places (depot, site or central)."""

    origin: Name = Field(alias="from", description="Place the leg starts from (site, depot or central name).")
    to: Name = Field(description="Place the leg goes to.")
    time_h: NonNegFloat = Field(description="Driving time, hours (handling or mobilisation is added).")
    distance_km: NonNegFloat | None = Field(None, description="Road distance, km (for freight); default from coordinates.")

    model_config = ConfigDict(populate_by_name=True)  # merged with Model's settings


class Travel(Model):
    """Travel times: great-circle distance × road factor ÷ speed + handling, unless tabled."""

    road_factor: Annotated[float, Field(ge=1.0, le=5.0)] = Field(1.3, description="Road distance / great-circle distance.")
    speed_kmh: PositiveFloat = Field(60.0, description="Average road speed, km per hour.")
    handling_h: NonNegFloat = Field(0.5, description="Picking and handing over a part shipment, hours.")
    technician_mobilisation_h: NonNegFloat = Field(0.25, description="Time for a technician to set off, hours.")
    table: list[TravelLeg] = Field(default_factory=list, description="Explicit legs that override the formula (both directions).")


class Freight(Model):
    """Freight costs."""

    normal_cost_per_km: Money = Field(0.0, description="Part shipped from a depot to a site, per km.")
    lateral_cost_per_km: Money = Field(0.0, description="Part shipped from another depot, per km.")
    emergency_cost_per_km: Money = Field(0.0, description="Emergency shipment from central, per km.")
    replenishment_cost_per_unit: Money = Field(0.0, description="Central-to-depot replenishment, per unit.")
    technician_cost_per_km: Money = Field(0.0, description="Technician travel, per km (both ways).")


class DemandStream(Model):
    """Poisson part demand at a depot from outside the simulated fleet (counter sales, unmodelled installed base)."""

    name: Name = Field(description="Stream name (keys its random stream).")
    depot: Name = Field(description="Depot where the demand arrives.")
    part: Name = Field(description="Part demanded.")
    rate_per_h: PositiveFloat = Field(description="Demands per hour.")


class Pricing(Model):
    """Price levers, handy for sweeps."""

    machine_price_multiplier: PositiveFloat = Field(1.0, description="Multiplies every machine model's price.")
    part_price_multiplier: PositiveFloat = Field(1.0, description="Multiplies every part's price.")
    seller: Name = Field(
        "maker",
        description="Who sells the machines and earns the ledger's 'maker' profit: 'maker', or another party "
        "(e.g. 'importer'); reports label such a profit as that party's and keep it out of the maker's verdict.",
    )


class Scenario(Model):
    """A complete scenario: catalogue, market, network, policies and run settings."""

    name: Name = Field(description="Scenario name; default output folder results/<name>/.")
    description: str = Field("", description="Free text shown in reports.")
    currency: str = Field("CNY", description="Currency of every money amount.")
    seed: Annotated[int, Field(ge=0)] = Field(12345, description="Root seed of every random stream.")
    replications: Annotated[int, Field(ge=1, le=100000)] = Field(10, description="Independent replications.")
    horizon_h: PositiveFloat = Field(8760.0, description="Simulated time per replication including warm-up, hours.")
    warmup_h: NonNegFloat = Field(0.0, description="Initial time discarded from statistics, hours.")
    trace: bool = Field(
        False, description="Write trace.csv: one row per outage (docs/outputs.md); memory grows with the horizon."
    )

    parts: list[Part] = Field(default_factory=list)
    machine_models: list[MachineModel] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    service_plans: list[ServicePlan] = Field(default_factory=list)
    depots: list[Depot] = Field(min_length=1)
    open_depots: Annotated[int, Field(ge=1)] | Annotated[list[Name], Field(min_length=1)] | None = Field(
        None,
        description=(
            "Which listed depots (the candidates) are open. A number N: the best N, chosen by the "
            "network design for design_objective (docs/network-design.md), with each site served by "
            "the depot the design assigns. A list of depot names: exactly those, sites of closed "
            "depots going to the nearest open one. Null: every depot. Sweep the number to vary the "
            "number of depots."
        ),
    )
    design_objective: Literal["total_cost", "maker_profit"] = Field(
        "total_cost",
        description=(
            "What the best N depots of open_depots minimise: total_cost = the maker's network cost "
            "plus the customers' downtime and spoiled-goods losses; maker_profit = the maker's cost "
            "alone (downtime ignored). Expected values per year from closed forms."
        ),
    )
    central: Central = Field(default_factory=Central)
    dispatch: Dispatch = Field(default_factory=Dispatch)
    travel: Travel = Field(default_factory=Travel)
    freight: Freight = Field(default_factory=Freight)
    demand_streams: list[DemandStream] = Field(default_factory=list)
    pricing: Pricing = Field(default_factory=Pricing)
    # Y: customers over years (sim/scenario/years.py, docs/years.md)
    years: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None, description="Run this many years on a changing installed base (needs market); null = one horizon."
    )
    market: Market | None = Field(None, description="Rivals, customer choice, arrivals, will-fit parts (with years).")

    @property
    def window_h(self) -> float:
        """Length of the statistics window (horizon after warm-up), hours."""
        return self.horizon_h - self.warmup_h

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Cross-reference problems as (field path, message); empty when the scenario is coherent."""
        out: list[tuple[tuple[str | int, ...], str]] = []

        def unique(section: str, items: list) -> set[str]:
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.name in seen:
                    out.append(((section, i, "name"), f"duplicate name {item.name!r}"))
                seen.add(item.name)
            return seen

        part_names = unique("parts", self.parts)
        model_names = unique("machine_models", self.machine_models)
        region_names = unique("regions", self.regions)
        site_names = unique("sites", self.sites)
        depot_names = unique("depots", self.depots)
        plan_names = unique("service_plans", self.service_plans)
        unique("demand_streams", self.demand_streams)

        if self.warmup_h >= self.horizon_h:
            out.append((("warmup_h",), f"warm-up {self.warmup_h} h must be shorter than horizon_h {self.horizon_h} h"))
        for i, p in enumerate(self.parts):  # repairable parts: the repair times their shares need
            r = p.repair
            if r is None:
                continue
            if r.depot_share > 0 and r.depot_repair_time_h is None:
                out.append((("parts", i, "repair", "depot_repair_time_h"), "required when depot_share > 0"))
            if r.depot_share < 1 and r.central_repair_time_h is None:
                out.append((("parts", i, "repair", "central_repair_time_h"), "required when depot_share < 1"))
        for i, m in enumerate(self.machine_models):
            seen: set[str] = set()
            for j, c in enumerate(m.components):
                if c.name in seen:
                    out.append((("machine_models", i, "components", j, "name"), f"duplicate component {c.name!r}"))
                seen.add(c.name)
                if _mean_h(c.time_to_failure_h) <= 0:
                    why = "mean time to failure is 0 h: the machine would fail again the moment it is restored"
                    out.append((("machine_models", i, "components", j, "time_to_failure_h"), why))
                if c.part is not None and c.part not in part_names:
                    out.append((("machine_models", i, "components", j, "part"), unknown("part", c.part, part_names, "parts")))
        for i, s in enumerate(self.sites):
            for model in s.machines:
                if model not in model_names:
                    out.append((("sites", i, "machines", model), unknown("machine model", model, model_names, "machine_models")))
            if s.region is not None and s.region not in region_names:
                out.append((("sites", i, "region"), unknown("region", s.region, region_names, "regions")))
            if s.depot is not None and s.depot not in depot_names:
                out.append((("sites", i, "depot"), unknown("depot", s.depot, depot_names, "depots")))
            if s.service_plan is not None and s.service_plan not in plan_names:
                out.append((("sites", i, "service_plan"), unknown("service plan", s.service_plan, plan_names, "service_plans")))
        for i, d in enumerate(self.depots):
            for part in d.base_stock:
                if part not in part_names:
                    out.append((("depots", i, "base_stock", part), unknown("part", part, part_names, "parts")))
            if d.technicians == 0 and any(s.depot == d.name for s in self.sites):
                out.append((("depots", i, "technicians"), "depot has assigned sites but no technicians"))
            if d.name in site_names:
                out.append((("depots", i, "name"), f"{d.name!r} is also a site name: place names must be unique"))
        if self.central.base_stock is not None:
            for part in self.central.base_stock:
                if part not in part_names:
                    out.append((("central", "base_stock", part), unknown("part", part, part_names, "parts")))
            if self.central.factory_lead_time_h is None:
                out.append((("central", "factory_lead_time_h"), "required when central.base_stock is set"))
        emergency_per_km = self.dispatch.emergency.enabled and self.freight.emergency_cost_per_km > 0
        if emergency_per_km and not self.travel.table and (self.central.lat is None or self.central.lon is None):
            out.append((("central", "lat"), "central lat/lon needed to price emergency freight per km"))
        if self.central.name in site_names | depot_names:
            out.append((("central", "name"), f"{self.central.name!r} is also a site or depot name"))
        places = site_names | depot_names | {self.central.name}
        for i, leg in enumerate(self.travel.table):
            for key, value in (("from", leg.origin), ("to", leg.to)):
                if value not in places:
                    out.append((("travel", "table", i, key), unknown("place", value, places, "sites, depots or central")))
        for i, ds in enumerate(self.demand_streams):
            if ds.depot not in depot_names:
                out.append((("demand_streams", i, "depot"), unknown("depot", ds.depot, depot_names, "depots")))
            if ds.part not in part_names:
                out.append((("demand_streams", i, "part"), unknown("part", ds.part, part_names, "parts")))
        out += self._open_depot_problems(depot_names)
        out += _market_problems(self, part_names, site_names)  # Y
        if not self.sites and not self.demand_streams:
            out.append((("sites",), "the scenario has neither sites nor demand_streams: nothing would fail"))
        if self.sites and not any(d.technicians > 0 for d in self.depots):
            out.append((("depots",), "sites need at least one depot with technicians"))
        return out

    def _open_depot_problems(self, depot_names: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
        """``open_depots``: a number within the list, or known names; demand streams at open depots."""
        chosen = self.open_depots
        out: list[tuple[tuple[str | int, ...], str]] = []
        if chosen is None:
            return out
        stream_depots = {ds.depot for ds in self.demand_streams}
        if isinstance(chosen, int):
            if chosen > len(self.depots):
                out.append((("open_depots",), f"{chosen} depots open but only {len(self.depots)} listed"))
            elif len(stream_depots & depot_names) > chosen:
                why = f"demand streams arrive at {len(stream_depots & depot_names)} depots, which must all be open: more than {chosen}"
                out.append((("open_depots",), why))
            return out
        seen: set[str] = set()
        for i, name in enumerate(chosen):
            if name not in depot_names:
                out.append((("open_depots", i), unknown("depot", name, depot_names, "depots")))
            elif name in seen:
                out.append((("open_depots", i), f"depot {name!r} listed twice"))
            seen.add(name)
        for i, ds in enumerate(self.demand_streams):
            if ds.depot in depot_names and ds.depot not in seen:
                out.append((("demand_streams", i, "depot"), f"depot {ds.depot!r} is closed (not in open_depots)"))
        if self.sites and not any(d.technicians > 0 for d in self.depots if d.name in seen):
            out.append((("open_depots",), "no open depot has technicians"))
        return out


def _market_problems(sc: Scenario, part_names: set[str], site_names: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-references of the years/market sections (Y; docs/years.md)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    m = sc.market
    if sc.years is not None and m is None:
        out.append((("market",), "required when years is set"))
    if m is None:
        return out
    if sc.years is None:
        out.append((("years",), "required when market is set"))
    rivals: set[str] = set()
    for i, r in enumerate(m.rivals):
        if r.name in rivals or r.name == "maker":
            out.append((("market", "rivals", i, "name"), f"duplicate supplier name {r.name!r}"))
        rivals.add(r.name)
    for i, t in enumerate(m.new_customer_templates):
        if t not in site_names:
            out.append((("market", "new_customer_templates", i), unknown("site", t, site_names, "sites")))
    for name in m.initial_age_years:
        if name not in site_names:
            out.append((("market", "initial_age_years", name), unknown("site", name, site_names, "sites")))
    seen: set[str] = set()
    for i, w in enumerate(m.willfit):
        if w.part not in part_names:
            out.append((("market", "willfit", i, "part"), unknown("part", w.part, part_names, "parts")))
        if w.part in seen:
            out.append((("market", "willfit", i, "part"), f"a second will-fit for part {w.part!r}"))
        seen.add(w.part)
    return out
