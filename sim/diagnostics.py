"""Warnings before a run: settings that are legal but probably not what the planner meant.

A scenario can be valid and still certain to give a useless answer: a depot whose
technicians are offered more work than they can do (outages queue without bound), a site
no technician can reach within its promise, a site left at latitude 0, longitude 0. The
checks here work on the validated :class:`~sim.scenario.schema.Scenario` and the built
:class:`~sim.build.Network` (read-only) and return one :class:`Diagnostic` per problem,
each naming the item and giving the numbers behind it. What is certainly wrong is an
error of the loader, not a warning.

Rates are the long-run rates of the model's inputs: a component fails ``1 / mean time to
failure`` times per operating hour (the service plan's factor applied, as the build
applies it), and is counted as if its machine were always running (an upper bound on
failures, hence a warning threshold that errs towards speaking up).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from sim.build import Network, PartSpec, _Travel, build
from sim.scenario.checks import CHECKS
from sim.scenario.schema import Scenario

__all__ = ["CHECKS", "Diagnostic", "diagnose", "format_warnings", "print_warnings"]

EXAMPLES = 3
"""How many items a grouped warning names before saying "and N more"."""


@dataclass(frozen=True)
class Diagnostic:
    """One suspicious setting: a check's ``code``, the ``subject`` it names, and the ``message`` with numbers."""

    code: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


def diagnose(scenario: Scenario, network: Network | None = None) -> list[Diagnostic]:
    """Every warning for a validated scenario (built here unless ``network`` is given)."""
    net = network if network is not None else build(scenario)
    travel = _travel(scenario)
    rates = _failure_rates(net)
    out: list[Diagnostic] = []
    out += _idle_depots(net)
    out += _unstaffed_nearest(scenario, net, travel)
    out += _technician_load(net, rates)
    out += _beyond_promise(scenario, net, travel)
    out += _null_island(scenario, net)
    out += _short_stock(scenario, net, rates)
    out += _repair_load(scenario, net, rates)
    return out


def _travel(scenario: Scenario) -> _Travel:
    """The build's travel rule (``travel.table`` if it has the leg, else great-circle distance ×
    road factor ÷ speed, plus mobilisation) between the scenario's sites and depots.

    The network holds only each site's assigned depot; the checks that ask "could another
    depot do better?" need the others.
    """
    coords: dict[str, tuple[float | None, float | None]] = {s.name: (s.lat, s.lon) for s in scenario.sites}
    coords.update({d.name: (d.lat, d.lon) for d in scenario.depots})
    return _Travel(scenario, coords)


# ------------------------------------------------------------------------------ rates


Rates = tuple[list[float], list[float], dict[tuple[int, int], float]]


def _failure_rates(net: Network) -> Rates:
    """(failures per hour per site, mean repair hours per failure per site, part demands per hour by (depot, part))."""
    rate = [0.0] * len(net.sites)
    repair = [0.0] * len(net.sites)  # Σ rate × mean repair, divided below
    parts: dict[tuple[int, int], float] = defaultdict(float)
    for m in net.machines:
        site = net.sites[m.site]
        for c in m.components:
            r = 1.0 / c.time_to_failure.mean if c.time_to_failure.mean > 0 else math.inf
            rate[m.site] += r
            repair[m.site] += r * c.repair_time.mean
            if c.part >= 0:
                parts[(site.depot, c.part)] += r
    repair = [x / r if r > 0 else 0.0 for x, r in zip(repair, rate)]
    for s in net.streams:
        parts[(s.depot, s.part)] += s.rate_per_h
    return rate, repair, parts


# ------------------------------------------------------------------------------ checks


def _idle_depots(net: Network) -> list[Diagnostic]:
    """Open depots with no assigned site and no demand stream (one warning for all of them)."""
    served = {s.depot for s in net.sites} | {s.depot for s in net.streams}
    idle = []
    for j, d in enumerate(net.depots):
        if j in served:
            continue
        paid_for = []
        if d.technicians:
            paid_for.append(f"{d.technicians} technician{'s' if d.technicians > 1 else ''}")
        if any(d.base_stock):
            paid_for.append(f"{sum(d.base_stock)} units of base stock")
        if d.fixed_cost_per_year:
            paid_for.append(f"fixed cost {d.fixed_cost_per_year:,.0f} per year")
        idle.append((d, ", ".join(paid_for)))
    if not idle:
        return []
    lateral = net.policy.lateral and any(any(d.base_stock) for d, _ in idle)
    tail = " (stock may still go out as lateral shipments)" if lateral else ""
    if len(idle) == 1:
        ((depot, what),) = idle
        paid = f": {what} for no assigned customer" if what else ""
        return [Diagnostic("idle-depot", f"depot {depot.name}", f"serves no site and no demand stream{paid}{tail}")]
    listed = _listed([f"{d.name} ({what})" if what else d.name for d, what in idle])
    msg = f"{len(idle)} of the {len(net.depots)} open depots serve no site and no demand stream: {listed}{tail}"
    return [Diagnostic("idle-depot", f"{len(idle)} depots", msg)]


def _listed(items: Sequence[str]) -> str:
    """The first :data:`EXAMPLES` items, then how many more."""
    more = f" and {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else ""
    return "; ".join(items[:EXAMPLES]) + more


def _nearest_staffed(scenario: Scenario, net: Network, travel: _Travel) -> Callable[[int], tuple[float, int]]:
    """(technician hours, depot) of the nearest staffed open depot of site ``i``.

    A site the build assigned by itself already has it (the nearest staffed depot), so only
    the sites a scenario assigns to a depot by name cost a search over the depots.
    """
    open_names = {d.name for d in net.depots}
    staffed = [j for j, d in enumerate(net.depots) if d.technicians > 0]

    def nearest(i: int) -> tuple[float, int]:
        site = net.sites[i]
        if scenario.sites[i].depot not in open_names:
            return site.technician_time_h, site.depot
        return min(((travel.technician_h(net.depots[k].name, site.name), k) for k in staffed), default=(math.inf, -1))

    return nearest


def _unstaffed_nearest(scenario: Scenario, net: Network, travel: _Travel) -> list[Diagnostic]:
    """Open depots without technicians that are the nearest depot of some sites (served from farther away)."""
    nearest = _nearest_staffed(scenario, net, travel)
    out = []
    for d in net.depots:
        if d.technicians > 0:
            continue
        near = []
        for i, s in enumerate(net.sites):
            here = travel.technician_h(d.name, s.name)
            if s.machines == 0 or here >= s.technician_time_h:  # not nearer than the depot it has
                continue
            if here < nearest(i)[0]:
                near.append((s.name, here, s.technician_time_h, net.depots[s.depot].name))
        if near:
            listed = _listed([f"{n} {_num(t, 1)} h from {src} instead of {_num(h, 1)} h" for n, h, t, src in near])
            msg = (
                f"has no technicians, yet it is the nearest depot of {len(near)} site{'s' if len(near) > 1 else ''} "
                f"whose failures need one; they are served from farther depots ({listed})"
            )
            out.append(Diagnostic("no-technicians", f"depot {d.name}", msg))
    return out


def _technician_load(net: Network, rates: Rates) -> list[Diagnostic]:
    """Depots whose offered technician load (failures × busy time per visit ÷ technicians) is at least one."""
    rate, repair, _ = rates
    on_failure = not net.policy.technician_with_part
    failures = [0.0] * len(net.depots)
    busy = [0.0] * len(net.depots)  # Σ rate × busy hours per visit
    for i, s in enumerate(net.sites):
        failures[s.depot] += rate[i]
        busy[s.depot] += rate[i] * (2.0 * s.technician_time_h + repair[i])
    out = []
    for j, d in enumerate(net.depots):
        if failures[j] <= 0:
            continue
        per_visit = busy[j] / failures[j]
        techs = d.technicians
        load = busy[j] / techs if techs > 0 else math.inf
        if load < 1.0:
            continue
        bound = " at least" if on_failure else ""
        wait = (
            "; a lower bound: with technician_dispatch on_failure a technician also waits on site for the part"
            if on_failure
            else ""
        )
        msg = (
            f"offered technician load{bound} {_num(load, 2)} (failures {failures[j]:.3g}/h × {_num(per_visit, 1)} h busy per visit "
            f"[2 × travel + repair] ÷ {techs} technician{'s' if techs != 1 else ''}) ≥ 1: outages will queue without "
            f"bound and many stay open at the horizon{wait}"
        )
        out.append(Diagnostic("technician-load", f"depot {d.name}", msg))
    return out


def _repair_load(scenario: Scenario, net: Network, rates: Rates) -> list[Diagnostic]:
    """Repair shops with finite servers whose offered load (carcasses × mean repair ÷ servers) is at least one (R)."""
    _, _, demand = rates
    fleet = dict(demand)  # counter sales are never repaired
    for st in net.streams:
        fleet[(st.depot, st.part)] -= st.rate_per_h
    depot_work = [0.0] * len(net.depots)  # Σ carcasses per hour × mean repair hours
    central_work = 0.0
    for (j, k), rate in fleet.items():
        part = net.parts[k]
        if not part.repairable or rate <= 0:
            continue
        if part.depot_repair_time is not None:
            depot_work[j] += rate * part.depot_repair_share * part.depot_repair_time.mean
        if part.central_repair_time is not None:
            central_work += rate * (1.0 - part.depot_repair_share) * (1.0 - part.condemnation_share) * part.central_repair_time.mean
    shops = [(f"depot {d.name}", d.repair_servers, depot_work[j]) for j, d in enumerate(net.depots)]
    shops.append((f"central warehouse {scenario.central.name}", net.central.repair_servers, central_work))
    out = []
    for where, servers, work in shops:
        if servers is None or work / servers < 1.0:
            continue
        msg = (
            f"offered repair load {_num(work / servers, 2)} (repair-hours per hour {_num(work, 2)} ÷ {servers} repair "
            f"server{'s' if servers != 1 else ''}) ≥ 1: the repair queue grows without bound and repaired units never "
            "catch up with failures"
        )
        out.append(Diagnostic("repair-load", where, msg))
    return out


def _beyond_promise(scenario: Scenario, net: Network, travel: _Travel) -> list[Diagnostic]:
    """Sites whose promise their technician cannot keep: travel alone takes longer (one warning per depot)."""
    nearest = _nearest_staffed(scenario, net, travel)
    by_depot: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(net.sites):
        if math.isfinite(s.promise_h) and s.machines > 0 and s.technician_time_h >= s.promise_h:
            by_depot[s.depot].append(i)
    out = []
    for j, late in by_depot.items():
        examples = []
        for i in late[:EXAMPLES]:
            s = net.sites[i]
            text = f"{s.name} ({_hours(s.technician_time_h, s.promise_h)} against {s.promise_h:g} h"
            best_h, best = nearest(i)
            if best_h < s.promise_h:  # assigned by name to a depot farther than one that could
                text += f"; depot {net.depots[best].name} would take {_hours(best_h, s.promise_h)}"
            examples.append(text + ")")
        more = f" and {len(late) - EXAMPLES} more" if len(late) > EXAMPLES else ""
        served = sum(1 for s in net.sites if s.depot == j)
        msg = (
            f"{len(late)} of its {served} sites cannot be restored within their promise: the technician's travel "
            f"alone takes longer, so every failure there misses it ({'; '.join(examples)}{more})"
        )
        out.append(Diagnostic("beyond-promise", f"depot {net.depots[j].name}", msg))
    return out


def _num(x: float, digits: int) -> str:
    """A figure with ``digits`` decimals, or in 3 significant digits when it is huge (absurd inputs)."""
    return f"{x:.{digits}f}" if abs(x) < 1e6 else f"{x:.3g}"


def _hours(x: float, promise_h: float) -> str:
    """Hours with one decimal, or more where one decimal would read as the promise itself."""
    for digits in (1, 2, 3):
        if round(x, digits) != promise_h:
            break
    return f"{_num(x, digits)} h"


def _null_island(scenario: Scenario, net: Network) -> list[Diagnostic]:
    """Places at latitude 0, longitude 0: coordinates most likely left out."""
    out = []
    places = [("site", s.name, s.lat, s.lon) for s in scenario.sites]
    open_names = {d.name for d in net.depots}  # open_depots may close any of them
    places += [("depot", d.name, d.lat, d.lon) for d in scenario.depots if d.name in open_names]
    if scenario.central.lat is not None and scenario.central.lon is not None:
        places.append(("central warehouse", scenario.central.name, scenario.central.lat, scenario.central.lon))
    for kind, name, lat, lon in places:
        if lat == 0 and lon == 0:
            msg = "at latitude 0, longitude 0 (in the Gulf of Guinea): are its coordinates missing? travel times and freight use them"
            out.append(Diagnostic("null-island", f"{kind} {name}", msg))
    return out


def _depot_resupply_h(part: PartSpec, lead_h: float) -> float:
    """Mean depot resupply time of a part (R: a repairable part's depot share is repaired there)."""
    if not part.repairable or part.depot_repair_time is None:
        return lead_h
    return part.depot_repair_share * part.depot_repair_time.mean + (1.0 - part.depot_repair_share) * lead_h


def _central_resupply_h(part: PartSpec, factory_h: float) -> float:
    """Mean central resupply time of a part (R: a repairable carcass's return and repair, or the factory if condemned)."""
    if not part.repairable or part.central_repair_time is None or part.return_time is None:
        return factory_h
    repair_h = part.return_time.mean + part.central_repair_time.mean
    return part.condemnation_share * factory_h + (1.0 - part.condemnation_share) * repair_h


def _short_stock(scenario: Scenario, net: Network, rates: Rates) -> list[Diagnostic]:
    """Parts whose base stock is below the expected demand over one replenishment lead time (one warning per part)."""
    _, _, demand = rates
    out = []
    for p, part in enumerate(net.parts):
        short = []
        for j, d in enumerate(net.depots):
            rate, lead_h = demand.get((j, p), 0.0), _depot_resupply_h(part, d.replenishment_lead_time.mean)
            if rate > 0 and d.base_stock[p] < rate * lead_h:
                short.append(f"{d.name} {d.base_stock[p]} < {_num(rate * lead_h, 2)} ({rate:.3g}/h × {lead_h:g} h)")
        if short:
            where = f"at depot {short[0]}" if len(short) == 1 else f"at {len(short)} of {len(net.depots)} depots: {_listed(short)}"
            msg = (
                f"base stock below the expected demand over the replenishment lead time {where}; most demands there "
                "will wait for a lateral, emergency or backorder (Palm: fill rate below about 50%)"
            )
            out.append(Diagnostic("short-stock", f"part {part.name}", msg))
    c = net.central
    if not c.infinite and c.factory_lead_time is not None:
        short = []
        for p, part in enumerate(net.parts):
            lead_h = _central_resupply_h(part, c.factory_lead_time.mean)
            rate = sum(demand.get((j, p), 0.0) for j in range(len(net.depots))) * (1.0 - part.depot_repair_share)
            if rate > 0 and c.base_stock[p] < rate * lead_h:
                short.append(f"{part.name} {c.base_stock[p]} < {_num(rate * lead_h, 2)} ({rate:.3g}/h × {lead_h:g} h)")
        if short:
            msg = (
                f"base stock below the expected depot demand over the factory lead time for {', '.join(short)}: "
                "depot replenishments will often wait"
            )
            out.append(Diagnostic("short-stock", f"central warehouse {scenario.central.name}", msg))
    return out


# ------------------------------------------------------------------------------ output


def format_warnings(variants: Iterable[tuple[Scenario, str]]) -> list[str]:
    """One ``warning: ...`` line per distinct warning over scenarios and their variant labels.

    ``variants`` are (scenario, label) pairs; the label ('' for none) says which variant
    (``open_depots=1``) a warning belongs to when it does not hold for every variant of the
    scenario's name. A warning found in several variants is printed once.
    """
    found: dict[tuple[str, str], list[str]] = {}
    labels: dict[str, list[str]] = defaultdict(list)
    for scenario, label in variants:
        labels[scenario.name].append(label)
        for d in diagnose(scenario):
            found.setdefault((scenario.name, str(d)), []).append(label)
    lines = []
    for (name, text), where in found.items():
        every = len(where) == len(labels[name])
        suffix = "" if every or not any(where) else f" [with {', '.join(w for w in where if w)}]"
        lines.append(f"warning: {name}: {text}{suffix}")
    return lines


def print_warnings(scenarios: Sequence[Scenario] | Sequence[tuple[Scenario, str]], file: TextIO | None = None) -> int:
    """Print the warnings of scenarios (or (scenario, variant label) pairs) to stderr; return how many."""
    pairs = [x if isinstance(x, tuple) else (x, "") for x in scenarios]
    lines = format_warnings(pairs)
    for line in lines:
        print(line, file=file or sys.stderr)
    return len(lines)
