"""One replication: machines fail, parts are dispatched, technicians repair, stock refills.

Event budget per machine failure: the failure itself, the restore, the technician's
return, and the replenishment of the unit used; a backordered demand waits in a deque,
not in a process. Pending items of every kind are entries in the one heap of a SimPy
environment (:class:`~sim.engine.environment.CalendarEnvironment`), next to any SimPy
process a user's hook adds; demand streams of all depots are one merged item
(:class:`~sim.engine.demand.DemandMerge`).

Dispatch order for a part: the assigned depot's stock; a lateral transshipment from the
nearest other depot with stock within the limit; an emergency shipment from central;
otherwise a backorder at the assigned depot, filled first come first served.
Restore time = max(part arrival, technician arrival) + repair time.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sim.build import Network
from sim.engine import records
from sim.distributions import Deterministic
from sim.engine.agenda import Agenda
from sim.engine.demand import DemandMerge, DepotDemand
from sim.engine.environment import CalendarEnvironment
from sim.engine.outcome import Outcome
from sim.engine.records import BACKORDER, EMERGENCY, LATERAL, N_SOURCES, NO_PART, SOURCES, STOCK
from sim.engine.repair import RepairCounts, RepairShop
from sim.engine.stock import Bin, Levels
from sim.engine.tally import YARDSTICKS_H, Tally
from sim.engine.technicians import TechnicianPool
from sim.rng import Streams


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting goes on).

    The event loop makes no reference cycles (a test checks that garbage does not grow with
    the horizon), so the collector would find nothing; but each of its passes walks every
    live container, and a large network has many (bins, sites, in-flight items), so the
    passes cost time that grows with the network. Any set-up cycles are collected later.
    The pause is process-wide: in a Dask worker it also covers the worker's own threads
    for the length of a replication (their cycles wait for the next pass; nothing leaks).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Job:
    """An outage of one machine (or, with ``machine == -1``, a demand-stream request)."""

    __slots__ = ("machine", "comp", "site", "fail_t", "part_t", "tech_t", "repair_h", "source", "part")

    def __init__(self, machine: int, comp: int, site: int, fail_t: float, repair_h: float, part: int) -> None:
        self.machine, self.comp, self.site, self.fail_t = machine, comp, site, fail_t
        self.repair_h, self.part = repair_h, part
        self.part_t: float | None = None
        self.tech_t: float | None = None
        self.source = NO_PART


Hook = Callable[["Replication"], None]
"""A user hook: called with each new replication; may start SimPy processes on its ``env``."""


class Replication:
    """The state and event handlers of one replication of a network."""

    def __init__(
        self,
        net: Network,
        seed: int,
        replication: int,
        check_invariants: bool = False,
        hooks: Sequence[Hook] = (),
    ) -> None:
        self.net = net
        self.streams = Streams(seed, replication)
        self.check = check_invariants
        # one SimPy environment whose one heap holds SimPy's events and the engine's timed items
        self.env = env = CalendarEnvironment()
        self.trace: list[Any] | None = [] if net.trace else None
        self.dispatched: dict[int, tuple[float, int]] = {}  # traced: machine -> (part allocated at, from depot)
        self.tally = Tally.of(net)
        n_parts = len(net.parts)
        # time-weighted stock levels are summed per part and echelon (all the KPIs need)
        self.depot_levels = [Levels() for _ in range(n_parts)]
        self.central_levels = [Levels() for _ in range(n_parts)] if not net.central.infinite else []
        self.depot_places = [Levels() for _ in net.depots]  # the same levels per depot, all parts (sim.places)
        self.bins = [
            [self.depot_levels[p].bin(d.base_stock[p], i, p, self.depot_places[i]) for p in range(n_parts)]
            for i, d in enumerate(net.depots)
        ]
        self.flat_bins = [b for row in self.bins for b in row]  # depot * n_parts + part
        self.central = None if net.central.infinite else [
            self.central_levels[p].bin(s, -1, p) for p, s in enumerate(net.central.base_stock)
        ]
        self.pools = [TechnicianPool(d.technicians, self._technician_sets_off) for d in net.depots]
        self._lanes: dict[str, Any] = {}
        self._depot_lanes: list[Any] = [None] * len(net.depots)
        # fixed replenishment lead times need no stream and no draw
        self._fixed_lead_h: list[float | None] = [
            d.replenishment_lead_time.mean if isinstance(d.replenishment_lead_time, Deterministic) else None
            for d in net.depots
        ]

        # every timed item lives in the environment: env.push(at, handler, item), or an agenda per handler
        self.failures = Agenda(env, self._fail)
        self.restores = Agenda(env, self._restore)
        self.returns = Agenda(env, self._technician_back)
        self.departures = Agenda(env, self._technician_request)
        self.arrivals = Agenda(env, self._replenished)
        self.central_arrivals = Agenda(env, self._central_replenished)
        # repairable parts: a repair shop per depot and at central, carcasses travelling to central
        self._repairable = [p.repairable for p in net.parts]
        self.repairs = RepairCounts(n_parts)
        self.depot_shops = [RepairShop(env, d.repair_servers, self._replenished) for d in net.depots]
        self.central_shop = RepairShop(env, net.central.repair_servers, self._central_repaired)
        self.carcasses = Agenda(env, self._carcass_at_central)

        # machines: operating age, next failure age per component, one stream per component
        machines = net.machines
        self.age = [0.0] * len(machines)
        self.fail_age: list[list[float]] = []
        self.rngs: list[list[Any]] = []
        self.jobs: list[Job | None] = [None] * len(machines)
        self.open_elapsed_h: list[float] = []  # filled at the end of the run
        for i, m in enumerate(machines):
            # the first life of every component comes from the machine's "initial" stream;
            # a component's own failure and repair streams are created at its first failure
            # (most components of a large fleet never fail within a horizon, and creating a
            # stream costs ~10 µs)
            init = self.streams(f"machine/{m.key}/initial")
            ages = [c.time_to_failure.sample(init) for c in m.components]
            self.rngs.append([None] * len(ages))
            self.fail_age.append(ages)
            self.failures.push(min(ages), i)
        # customer sites: machines down, as time-weighted levels
        self.down = [0] * len(net.sites)
        self.down_last = [0.0] * len(net.sites)
        self.down_area = [0.0] * len(net.sites)
        # demand streams, superposed per depot (exact for Poisson streams)
        by_depot: dict[int, list] = {}
        for st in sorted(net.streams, key=lambda st: st.name):
            by_depot.setdefault(st.depot, []).append(st)
        sources = [  # each arrival is for a bin, keyed by its place in flat_bins
            DepotDemand(
                self.streams(f"demand/{net.depots[d].name}"),
                [d * n_parts + st.part for st in group],
                [st.rate_per_h for st in group],
            )
            for d, group in sorted(by_depot.items())
        ]
        # all depots' arrivals merged by time, a block at a time: one pending calendar item
        self._merge = DemandMerge(sources) if sources else None
        self._dem_t: list[float] = []
        self._dem_k: list[int] = []
        self._dem_i = 0
        if self._merge is not None:
            self._dem_t, self._dem_k = self._merge.next_block()
            env.push(self._dem_t[0], self._stream_demand, None)
        if net.warmup_h > 0:
            env.timeout(net.warmup_h).callbacks.append(self._start_window)
        # the user's hooks (docs/model.md, "Extension points"): ordinary SimPy processes and
        # resources on self.env, in the same calendar as the engine's items
        self.hooks = tuple(hooks)
        for hook in self.hooks:
            hook(self)

    # ------------------------------------------------------------------ extension points
    def depot_index(self, name: str) -> int:
        """The index of the depot called ``name`` (KeyError naming it if none)."""
        for i, d in enumerate(self.net.depots):
            if d.name == name:
                return i
        raise KeyError(f"no depot called {name!r}")

    def set_technicians(self, depot: int | str, count: int) -> None:
        """Put ``count`` technicians on duty at ``depot`` (index or name) from now on.

        Busy technicians above the new count finish their job first; queued jobs start as
        technicians become free. For a hook's SimPy process (a closure, a shift calendar).
        """
        d = self.depot_index(depot) if isinstance(depot, str) else depot
        self.pools[d].set_count(count, self.env.now)

    # ------------------------------------------------------------------ helpers
    def _lane(self, name: str) -> Any:
        rng = self._lanes.get(name)
        if rng is None:
            rng = self._lanes[name] = self.streams(name)
        return rng

    def _site_level(self, s: int, delta: int, now: float) -> None:
        self.down_area[s] += self.down[s] * (now - self.down_last[s])
        self.down_last[s] = now
        self.down[s] += delta

    def _start_window(self, _event: Any = None) -> None:
        now = self.env.now
        self.tally = Tally.of(self.net)
        for levels in self.depot_levels + self.central_levels + self.depot_places:
            levels.start_window(now)
        for pool in self.pools:
            pool.reset_areas(now)
        self.repairs = RepairCounts(len(self.net.parts))
        for shop in self.depot_shops:
            shop.reset_areas(now)
        self.central_shop.reset_areas(now)
        for s in range(len(self.down)):
            self._site_level(s, 0, now)
            self.down_area[s] = 0.0
        if self.trace is not None:
            self.trace.clear()

    def _check(self) -> None:
        for echelon, levels_by_part in (("a depot", self.depot_levels), ("central", self.central_levels)):
            for levels in levels_by_part:
                if not all(b.balanced() for b in levels.bins):
                    raise AssertionError(f"stock conservation violated at {echelon}")

    # ------------------------------------------------------------------ failures
    def _fail(self, i: int) -> None:
        now = self.env.now
        net = self.net
        m = net.machines[i]
        ages = self.fail_age[i]
        c = ages.index(min(ages))
        comp = m.components[c]
        age = ages[c]
        self.age[i] = age
        rngs = self.rngs[i][c]
        if rngs is None:  # the component's failure and repair streams, made at its first failure
            prefix = f"machine/{m.key}/{comp.name}"
            rngs = self.rngs[i][c] = (self.streams(prefix + "/failure"), self.streams(prefix + "/repair"))
        repair_h = comp.repair_time.sample(rngs[1])
        ages[c] = age + comp.time_to_failure.sample(rngs[0])
        self.tally.failures += 1
        self.tally.site_failures[m.site] += 1
        self._site_level(m.site, 1, now)
        job = Job(i, c, m.site, now, repair_h, comp.part)
        self.jobs[i] = job
        if self.trace is not None:
            self.trace.append(records.Failure(now, m.key, net.sites[m.site].name, comp.name, age))
        site = net.sites[m.site]
        if not net.policy.technician_with_part:
            self.pools[site.depot].request(job, now)
        if comp.part < 0:
            if comp.willfit_part >= 0:  # Y: a will-fit part, bought by the customer at a parts shop
                self.tally.site_willfit_units[m.site][comp.willfit_part] += 1
            self._part_ready(job, now + comp.willfit_lead_h)
        else:
            self._demand(job, self.bins[site.depot][comp.part])

    def _stream_demand(self, _: Any) -> None:
        """Serve the merged demand streams' next arrivals, while they come before anything else.

        An arrival that would be the next entry served anyway is served here at once
        (``take_turn`` moves the clock), in the very order the calendar would have used;
        the first one that would not is pushed.
        """
        env = self.env
        demand = self._demand
        flat_bins = self.flat_bins
        times, keys, i = self._dem_t, self._dem_k, self._dem_i
        while True:
            demand(None, flat_bins[keys[i]])
            i += 1
            if i == len(times):
                times, keys = self._dem_t, self._dem_k = self._merge.next_block()  # type: ignore[union-attr]
                i = 0
            if not env.take_turn(times[i]):
                break
        self._dem_i = i
        env.push(times[i], self._stream_demand, None)

    # ------------------------------------------------------------------ parts
    def _demand(self, job: Job | None, b: Bin) -> None:
        """Serve a demand for bin ``b``'s part at its depot: stock, lateral, emergency, else backorder.

        ``job`` is the outage needing the part, or None for a demand-stream request (which
        gets a Job only if it has to wait, to keep its place in the backorder queue).
        """
        now = self.env.now
        net = self.net
        tally = self.tally
        tally.demands += 1
        part = b.part
        if job is not None:
            site = net.sites[job.site]
            tally.site_part_units[job.site][part] += 1
        else:
            site = None
            tally.stream_part_units[part] += 1
        if b.on_hand > 0:
            b.take(now)
            self._order(b, now, job is not None and self._repairable[part])
            tally.by_source[STOCK] += 1
            tally.depot_source[b.depot * N_SOURCES + STOCK] += 1
            tally.part_source[part * N_SOURCES + STOCK] += 1
            if job is None:  # a demand-stream request, served at once
                if self.trace is not None or self.check:
                    job = Job(-1, -1, -1, now, 0.0, part)
                    job.source = STOCK
                    self._allocated(job, b.depot, now, now)
                return
            job.source = STOCK
            tally.normal_km += site.part_distance_km  # type: ignore[union-attr]
            self._allocated(job, b.depot, now, now + site.part_time_h)  # type: ignore[union-attr]
            return
        if job is not None and site is not None and net.policy.lateral:
            for lane in site.laterals:
                other = self.bins[lane.depot][part]
                if other.on_hand > 0:
                    other.take(now)
                    self._order(other, now, self._repairable[part])
                    job.source = LATERAL
                    tally.by_source[LATERAL] += 1
                    tally.depot_source[b.depot * N_SOURCES + LATERAL] += 1
                    tally.part_source[part * N_SOURCES + LATERAL] += 1
                    tally.depot_lateral_sent[lane.depot] += 1
                    tally.lateral_km += lane.distance_km
                    tally.depot_freight_km[lane.depot * 2 + 1] += lane.distance_km
                    self._allocated(job, lane.depot, now, now + lane.time_h)
                    return
        if net.policy.emergency and job is not None and site is not None:
            central = self.central
            if central is None or central[part].on_hand > 0:
                if central is not None:
                    cb = central[part]
                    cb.take(now)
                    self._order_central(part, now, self._repairable[part])
                elif self._repairable[part]:  # R: the carcass goes to the central repair shop
                    self._carcass_to_central(part, now)
                lead = net.policy.emergency_lead_time.sample(self._lane(f"lane/emergency->{site.name}"))
                job.source = EMERGENCY
                tally.by_source[EMERGENCY] += 1
                tally.depot_source[b.depot * N_SOURCES + EMERGENCY] += 1
                tally.part_source[part * N_SOURCES + EMERGENCY] += 1
                tally.emergency_shipments += 1
                tally.emergency_km += site.emergency_distance_km
                self._allocated(job, -1, now, now + lead)
                return
        if job is None:
            job = Job(-1, -1, -1, now, 0.0, part)
        b.wait(job, now)
        self._order(b, now, job.machine >= 0 and self._repairable[part])
        job.source = BACKORDER
        tally.by_source[BACKORDER] += 1
        tally.depot_source[b.depot * N_SOURCES + BACKORDER] += 1
        tally.part_source[part * N_SOURCES + BACKORDER] += 1
        if self.check:
            self._check()

    def _allocated(self, job: Job, depot: int, now: float, arrival: float) -> None:
        if self.trace is not None:
            net = self.net
            self.trace.append(
                records.Demand(
                    job.fail_t,
                    now,
                    arrival,
                    net.parts[job.part].name,
                    net.depots[depot].name if depot >= 0 else "central",
                    net.sites[job.site].name if job.site >= 0 else "",
                    SOURCES[job.source],
                )
            )
            if job.machine >= 0:
                self.dispatched[job.machine] = (now, depot)
        if job.site >= 0 and depot >= 0 and job.source != LATERAL:  # a normal shipment from the depot
            self.tally.depot_freight_km[depot * 2] += self.net.sites[job.site].part_distance_km
        if self.check:
            self._check()
        if job.machine >= 0:
            self._part_ready(job, arrival)

    def _order(self, b: Bin, now: float, carcass: bool = False) -> None:
        """One-for-one replenishment of depot bin ``b``: a depot repair, else an order on central.

        ``carcass``: the unit taken replaces a failed unit of a repairable part, whose repair
        (at ``b``'s depot, or at central) is the replenishment (docs/model.md, "Repairable parts").
        """
        b.in_transit += 1
        if carcass:
            spec = self.net.parts[b.part]
            share = spec.depot_repair_share
            if share > 0.0:
                prefix = f"repair/{self.net.depots[b.depot].name}/{spec.name}"
                if share >= 1.0 or self._lane(prefix).random() < share:
                    self.repairs.depot[b.part] += 1
                    repair_h = spec.depot_repair_time.sample(self._lane(prefix + "/time"))  # type: ignore[union-attr]
                    self.depot_shops[b.depot].submit(b, repair_h, now)
                    return
        self.tally.replenishment_units += 1
        central = self.central
        if central is None:
            self._ship_to_depot(b, now)
            if carcass:
                self._carcass_to_central(b.part, now)
            return
        cb = central[b.part]
        if cb.on_hand > 0:
            cb.take(now)
            self._order_central(b.part, now, carcass)
            self._ship_to_depot(b, now)
        else:
            cb.wait(b, now)
            self._order_central(b.part, now, carcass)

    def _ship_to_depot(self, b: Bin, now: float) -> None:
        depot = b.depot
        lead = self._fixed_lead_h[depot]
        if lead is None:  # a random lead time: the depot's lane stream, made on first use
            rng = self._depot_lanes[depot]
            if rng is None:
                rng = self._depot_lanes[depot] = self.streams(f"lane/central->{self.net.depots[depot].name}")
            lead = self.net.depots[depot].replenishment_lead_time.sample(rng)
        self.arrivals.push(now + lead, b)

    def _order_central(self, part: int, now: float, carcass: bool = False) -> None:
        """Replenish central's position of ``part``: the carcass's repair, else a unit from the factory."""
        if carcass:
            self._carcass_to_central(part, now)
            return
        cb = self.central[part]  # type: ignore[index]
        cb.in_transit += 1
        lead = self.net.central.factory_lead_time.sample(self._lane("lane/factory->central"))  # type: ignore[union-attr]
        self.central_arrivals.push(now + lead, part)

    def _carcass_to_central(self, part: int, now: float) -> None:
        """A carcass goes to the central repair shop: condemned (a new unit from the factory) or repaired.

        With a finite central the repaired (or new) unit replenishes central's stock position;
        with an infinite central the repair is counted (and costed) but changes no stock.
        """
        spec = self.net.parts[part]
        prefix = f"repair-central/{spec.name}"
        condemn = spec.condemnation_share
        if condemn > 0.0 and (condemn >= 1.0 or self._lane(prefix + "/condemn").random() < condemn):
            self.repairs.condemned[part] += 1
            if self.central is not None:
                self._order_central(part, now)
            return
        self.repairs.central[part] += 1
        if self.central is not None:
            self.central[part].in_transit += 1
        back_h = spec.return_time.sample(self._lane(prefix + "/return"))  # type: ignore[union-attr]
        self.carcasses.push(now + back_h, part)

    def _carcass_at_central(self, part: int) -> None:
        """A carcass reaches the central repair shop (an emergency's carcass without a central
        repair time, possible when depot_share = 1, takes the depot repair time)."""
        spec = self.net.parts[part]
        dist = spec.central_repair_time if spec.central_repair_time is not None else spec.depot_repair_time
        repair_h = dist.sample(self._lane(f"repair-central/{spec.name}/time"))  # type: ignore[union-attr]
        self.central_shop.submit(part, repair_h, self.env.now)

    def _central_repaired(self, part: int) -> None:
        if self.central is not None:
            self._central_replenished(part)

    def _central_replenished(self, part: int) -> None:
        now = self.env.now
        cb = self.central[part]  # type: ignore[index]
        cb.in_transit -= 1
        if cb.backorders:
            self._ship_to_depot(cb.next_waiting(now), now)
        else:
            cb.put(now)
        if self.check:
            self._check()

    def _replenished(self, b: Bin) -> None:
        now = self.env.now
        b.in_transit -= 1
        if b.backorders:
            job = b.next_waiting(now)
            site = self.net.sites[job.site] if job.site >= 0 else None
            if site is not None:
                self.tally.normal_km += site.part_distance_km
                self._allocated(job, b.depot, now, now + site.part_time_h)
            else:
                self._allocated(job, b.depot, now, now)
        else:
            b.put(now)
            if self.check:
                self._check()

    # ------------------------------------------------------------------ technicians
    def _part_ready(self, job: Job, arrival: float) -> None:
        job.part_t = arrival
        if self.net.policy.technician_with_part:
            site = self.net.sites[job.site]
            leave = arrival - site.technician_time_h
            if leave > self.env.now:
                self.departures.push(leave, job)
            else:
                self.pools[site.depot].request(job, self.env.now)
        elif job.tech_t is not None:
            self._schedule_restore(job)

    def _technician_request(self, job: Job) -> None:
        self.pools[self.net.sites[job.site].depot].request(job, self.env.now)

    def _technician_sets_off(self, job: Job) -> None:
        site = self.net.sites[job.site]
        job.tech_t = self.env.now + site.technician_time_h
        self.tally.technician_km += 2.0 * site.technician_distance_km
        if job.part_t is not None:
            self._schedule_restore(job)

    def _schedule_restore(self, job: Job) -> None:
        start: float = job.part_t if job.part_t > job.tech_t else job.tech_t  # type: ignore[operator, assignment]
        self.restores.push(start + job.repair_h, job)

    def _restore(self, job: Job) -> None:
        now = self.env.now
        net = self.net
        i = job.machine
        site = net.sites[job.site]
        self._site_level(job.site, -1, now)
        self.jobs[i] = None
        self.returns.push(now + site.technician_time_h, site.depot)
        ages = self.fail_age[i]
        self.failures.push(now + min(ages) - self.age[i], i)
        if job.fail_t >= net.warmup_h:
            tally = self.tally
            duration = now - job.fail_t
            tally.restored_outage(duration, job.site)
            tally.outage_outcome(duration, site.promise_h, site.region, site.perishable_threshold_h, job.site)
            tally.site_visits[job.site] += 1
        if self.trace is not None:
            m = net.machines[i]
            dispatch_t, from_depot = self.dispatched.pop(i, (math.nan, -2))
            self.trace.append(
                records.Restore(
                    job.fail_t,
                    job.part_t,  # type: ignore[arg-type]
                    job.tech_t,  # type: ignore[arg-type]
                    now,
                    m.key,
                    site.name,
                    m.components[job.comp].name,
                    SOURCES[job.source],
                    dispatch_t,
                    "" if from_depot == -2 else ("central" if from_depot < 0 else net.depots[from_depot].name),
                )
            )

    def _technician_back(self, depot: int) -> None:
        self.pools[depot].release(self.env.now)

    # ------------------------------------------------------------------ run
    def run(self) -> Outcome:
        """Simulate to the horizon and return the physical outcome of the window."""
        net = self.net
        with cyclic_gc_paused():
            self.env.run(until=net.horizon_h)
        end = net.horizon_h
        for pool in self.pools:
            pool.touch(end)
        for shop in self.depot_shops:
            shop.touch(end)
        self.central_shop.touch(end)
        for s in range(len(self.down)):
            self._site_level(s, 0, end)
        # outages open at the end that failed in the window, with their time down so far
        for job in self.jobs:
            if job is not None and job.fail_t >= net.warmup_h:
                site = net.sites[job.site]
                self.open_elapsed_h.append(end - job.fail_t)
                self.tally.open_outage(
                    end - job.fail_t, site.promise_h, site.region, site.perishable_threshold_h, job.site
                )
        return self.outcome()

    def outcome(self) -> Outcome:
        """The physical outcome of the window (call after :meth:`run`)."""
        net = self.net
        t = self.tally
        end = net.horizon_h
        n_parts = len(net.parts)
        depot_on_hand, depot_backorders, owned = [0.0] * n_parts, [0.0] * n_parts, [0.0] * n_parts
        central_on_hand = [0.0] * n_parts
        for k in range(n_parts):
            on_hand, in_transit, backorders = self.depot_levels[k].areas(end)
            depot_on_hand[k], depot_backorders[k] = on_hand, backorders
            owned[k] = on_hand + in_transit  # a depot's pipeline: shipping to it, or waiting at central
            if self.central_levels:
                c_on_hand, c_in_transit, c_backorders = self.central_levels[k].areas(end)
                central_on_hand[k] = c_on_hand
                # a depot order waiting at central is in the depot's pipeline and is the same
                # unit as central's order from the factory: count it once
                owned[k] += c_on_hand + c_in_transit - c_backorders
        base_stock = [sum(b.base_stock for b in self.depot_levels[k].bins) for k in range(n_parts)]
        if self.central_levels:
            base_stock = [s + sum(b.base_stock for b in self.central_levels[k].bins) for k, s in enumerate(base_stock)]
        open_late = tuple(sum(1 for e in self.open_elapsed_h if e > limit) for limit in YARDSTICKS_H)
        return Outcome(
            window_h=net.window_h,
            regions=net.regions,
            region_promised=net.region_promised,
            machines_per_model=net.machines_per_model,
            site_machines=tuple(s.machines for s in net.sites),
            depot_technicians=tuple(d.technicians for d in net.depots),
            failures=t.failures,
            restored=t.restored,
            restore_sum_h=t.restore_sum,
            restore_max_h=t.restore_max,
            restore_hist=tuple(sorted(t.hist.items())),
            open_outages=len(self.open_elapsed_h),
            promise_known=t.promise_known,
            promise_ok=t.promise_ok,
            region_known=tuple(t.region_known),
            region_ok=tuple(t.region_ok),
            yardstick_known=t.yardstick_known,
            yardstick_ok=tuple(t.yardstick_ok),
            yardstick_open_late=open_late,
            site_downtime_h=tuple(self.down_area),
            site_visits=tuple(t.site_visits),
            site_late_h=tuple(t.site_late_h),
            site_perishable_events=tuple(t.site_perishable),
            part_demands=t.demands,
            demands_by_source=tuple(t.by_source),
            site_part_units=tuple(tuple(row) for row in t.site_part_units),
            site_willfit_units=tuple(tuple(row) for row in t.site_willfit_units),  # Y
            stream_part_units=tuple(t.stream_part_units),
            depot_on_hand_unit_h=tuple(depot_on_hand),
            depot_backorder_unit_h=tuple(depot_backorders),
            owned_unit_h=tuple(owned),
            central_on_hand_unit_h=tuple(central_on_hand),
            base_stock_units=tuple(base_stock),
            normal_shipment_km=t.normal_km,
            lateral_shipment_km=t.lateral_km,
            emergency_shipments=t.emergency_shipments,
            emergency_shipment_km=t.emergency_km,
            replenishment_units=t.replenishment_units,
            technician_km=t.technician_km,
            technician_busy_h=sum(p.area_busy for p in self.pools),
            technician_rostered_h=sum(p.area_rostered for p in self.pools),
            **self._places(),
            **self._repair_outcome(),  # R: repairable parts
        )

    def _repair_outcome(self) -> dict[str, Any]:
        """The repair counts, purchased units and repair-shop hours of the window."""
        t, r = self.tally, self.repairs
        end = self.net.horizon_h
        fleet = [sum(row[k] for row in t.site_part_units) for k in range(len(self.net.parts))]
        purchased = tuple(
            r.condemned[k] + t.stream_part_units[k] + (0 if rep else fleet[k]) for k, rep in enumerate(self._repairable)
        )
        return dict(
            depot_repairs=tuple(r.depot),
            central_repairs=tuple(r.central),
            condemned_units=tuple(r.condemned),
            purchased_units=purchased,
            depot_repair_busy_h=tuple(shop.area_busy for shop in self.depot_shops),
            depot_repair_server_h=tuple(shop.server_hours(end) for shop in self.depot_shops),
            central_repair_busy_h=self.central_shop.area_busy,
            central_repair_server_h=self.central_shop.server_hours(end),
        )

    def _places(self) -> dict[str, Any]:
        """The per-place fields of the outcome (depots, sites, parts; sim.places reads them)."""
        t = self.tally
        end = self.net.horizon_h
        n = N_SOURCES
        areas = [levels.areas(end) for levels in self.depot_places]
        return dict(
            depot_demands_by_source=tuple(tuple(t.depot_source[d * n : d * n + n]) for d in range(len(self.pools))),
            depot_lateral_sent=tuple(t.depot_lateral_sent),
            depot_normal_km=tuple(t.depot_freight_km[0::2]),
            depot_lateral_km=tuple(t.depot_freight_km[1::2]),
            depot_stock_on_hand_unit_h=tuple(a[0] for a in areas),
            depot_stock_backorder_unit_h=tuple(a[2] for a in areas),
            depot_technician_busy_h=tuple(p.area_busy for p in self.pools),
            depot_technician_rostered_h=tuple(p.area_rostered for p in self.pools),
            site_failures=tuple(t.site_failures),
            site_restored=tuple(t.site_restored),
            site_restore_sum_h=tuple(t.site_restore_sum),
            site_promise_known=tuple(t.site_known),
            site_promise_ok=tuple(t.site_ok),
            site_within_8h=tuple(t.site_within_8h),
            part_demands_by_source=tuple(tuple(t.part_source[k * n : k * n + n]) for k in range(len(self.net.parts))),
        )


def run_replication(
    net: Network, seed: int, replication: int, check_invariants: bool = False, hooks: Sequence[Hook] = ()
) -> Outcome:
    """Run replication ``replication`` of ``net`` (with the user's ``hooks``) and return its outcome."""
    return Replication(net, seed, replication, check_invariants, hooks).run()


__all__ = ["Hook", "Job", "Replication", "run_replication"]
