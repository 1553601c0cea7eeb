"""The engine's SimPy environment: SimPy's semantics, one calendar, and the user's hooks."""

from __future__ import annotations

import ast
import pickle
from collections.abc import Callable, Generator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import simpy
from builders import repairman
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.build import build
from sim.engine.agenda import Agenda
from sim.engine.environment import CalendarEnvironment
from sim.engine.model import Replication, run_replication
from sim.engine.records import Restore
from sim.kpis import evaluate
from sim.runner import replicate
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ SimPy's semantics

# one operation of a random script: (parent op or -1 for the start, delay in whole hours, kind)
KINDS = ("item", "agenda", "timeout", "process", "resource")
ops_strategy = st.lists(
    st.tuples(st.integers(-1, 30), st.integers(0, 4), st.sampled_from(KINDS)), min_size=1, max_size=40
)


def play(env: simpy.Environment, ops: list[tuple[int, int, str]], fast: bool, until: float | None) -> list[Any]:
    """Run a script of timed operations; return the log of (time, op) in the order they ran.

    With ``fast`` the "item" and "agenda" operations are the engine's fast items; without,
    plain SimPy timeouts at the same time (the reference order). Whole-hour delays keep
    SimPy's now + delay exact, so both must give the very same log.
    """
    log: list[Any] = []
    children: dict[int, list[int]] = {}
    for k, (parent, _, _) in enumerate(ops):
        children.setdefault(parent if parent < k else -1, []).append(k)
    res = simpy.Resource(env, capacity=1)

    def later(at: float, fn: Callable[[int], None], k: int) -> None:
        env.timeout(at - env.now).callbacks.append(lambda _ev: fn(k))

    agenda = Agenda(env, lambda k: run(k)) if isinstance(env, CalendarEnvironment) and fast else None

    def proc(k: int, delay: int) -> Generator[simpy.Event, Any, None]:
        log.append((env.now, k, "start"))
        yield env.timeout(delay)
        run(k)

    def holder(k: int, delay: int) -> Generator[simpy.Event, Any, None]:
        with res.request() as req:
            yield req
            log.append((env.now, k, "got"))
            yield env.timeout(delay)
        run(k)

    def schedule(k: int) -> None:
        _, delay, kind = ops[k]
        at = env.now + delay
        if kind == "item":
            if fast:
                env.push(at, run, k)  # type: ignore[attr-defined]
            else:
                later(at, run, k)
        elif kind == "agenda":
            if agenda is not None:
                agenda.push(at, k)
            else:
                later(at, run, k)
        elif kind == "timeout":
            env.timeout(delay).callbacks.append(lambda _ev: run(k))
        elif kind == "process":
            env.process(proc(k, delay))
        else:
            env.process(holder(k, delay))

    def run(k: int) -> None:
        log.append((env.now, k))
        for c in children.get(k, []):
            schedule(c)

    for k in children.get(-1, []):
        schedule(k)
    env.run(until=until)
    log.append(("end", env.now))
    return log


@settings(max_examples=150, deadline=None)
@given(ops_strategy, st.sampled_from([None, 3, 5.0, 9]))
def test_fast_items_interleave_with_simpy_events_exactly_as_simpy_orders_its_own(
    ops: list[tuple[int, int, str]], until: float | None
) -> None:
    """Processes, resources, timeouts and fast items: the same order as plain SimPy with timeouts."""
    want = play(simpy.Environment(), ops, fast=False, until=until)
    got = play(CalendarEnvironment(), ops, fast=True, until=until)
    assert got == want


def test_an_agendas_run_yields_at_equal_times_to_what_was_scheduled_before() -> None:
    """Items of one agenda served in a row stop for anything due at the same time that came first."""
    env = CalendarEnvironment()
    log: list[str] = []
    agenda = Agenda(env, log.append)
    agenda.push(2.0, "a1")
    env.push(2.0, log.append, "item")
    agenda.push(2.0, "a2")
    env.timeout(2.0).callbacks.append(lambda _ev: log.append("timeout"))
    agenda.push(2.0, "a3")
    agenda.push(3.0, "a4")

    def urgent() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(2.0)
        log.append("process")  # resumed at 2.0, after the entries scheduled before its timeout

    env.process(urgent())
    env.run()
    assert log == ["a1", "item", "a2", "timeout", "a3", "process", "a4"]


def test_run_until_event_step_peek_and_empty_schedule() -> None:
    env = CalendarEnvironment()
    seen: list[tuple[float, str]] = []
    env.push(2.0, lambda x: seen.append((env.now, x)), "item")
    done = env.timeout(5.0, value="five")
    assert env.peek() == 2.0
    assert env.run(until=done) == "five"
    assert env.now == 5.0 and seen == [(2.0, "item")]
    assert env.run(until=done) == "five"  # already processed: its value at once
    with pytest.raises(ValueError):
        env.run(until=5.0)  # not after now
    env.push(7.0, lambda x: seen.append((env.now, x)), "later")
    assert env.peek() == 5.0  # as in SimPy, the until event is requeued (no callbacks left)
    env.step()
    env.step()
    assert env.now == 7.0 and seen[-1] == (7.0, "later")
    assert env.peek() == float("inf")
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()
    never = env.event()
    with pytest.raises(RuntimeError):
        env.run(until=never)


def test_run_until_a_number_stops_there_and_resumes() -> None:
    env = CalendarEnvironment()
    seen: list[float] = []
    for t in (1.0, 4.0, 4.0, 6.0):
        env.push(t, seen.append, t)
    env.run(until=4.0)  # items at the end itself wait for the next run, as SimPy's timeouts do
    assert env.now == 4.0 and seen == [1.0]
    env.run(until=10)
    assert env.now == 10 and seen == [1.0, 4.0, 4.0, 6.0]


def test_a_failing_process_crashes_the_run_unless_defused() -> None:
    env = CalendarEnvironment()

    def broken() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(1)
        raise ValueError("boom")

    env.process(broken())
    with pytest.raises(ValueError, match="boom"):
        env.run(until=5)
    # a stale end of the crashed run does not stop the next one early
    seen: list[float] = []
    env.push(6.0, seen.append, 6.0)
    env.run(until=8)
    assert env.now == 8 and seen == [6.0]

    env2 = CalendarEnvironment()
    ev = env2.event()
    ev.fail(KeyError("handled"))
    ev.defused = True
    env2.run()
    assert env2.now == 0


def test_no_private_simpy_attribute_is_used() -> None:
    """sim/ and bench/ neither read nor write SimPy's underscore attributes."""
    private = {"_now", "_queue", "_eid", "_active_proc", "_ok", "_value", "_defused", "_target", "_resume"}
    offences = []
    for base in ("sim", "bench"):
        for path in sorted((ROOT / base).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Attribute) and node.attr in private:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offences == []


def test_simpy_is_not_capped_below_a_major_version() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith('"simpy'))
    assert "<" not in line, line


# ------------------------------------------------------------------ the user's hooks

CLOSED_AT_H = 204.5  # the depot's only technician is busy then (job of the failure at 203 h)
CLOSED_FOR_H = 168.0  # one week


def one_machine(horizon_h: float = 600.0) -> Scenario:
    """One machine next to one depot, one technician, everything deterministic.

    The component fails after 100 operating hours; the part is in stock (no shipping time);
    the technician needs 1 h to reach the site; repair takes 2 h. Without a closure the
    machine fails at 100, 203, 306, ... (100 + 103 k) and each outage lasts 3 h.
    """
    return Scenario.model_validate(
        {
            "name": "one-machine",
            "horizon_h": horizon_h,
            "warmup_h": 0,
            "trace": True,
            "parts": [{"name": "p", "unit_cost": 1, "price": 1}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 100,
                    "cost_to_make": 50,
                    "components": [
                        {
                            "name": "c",
                            "part": "p",
                            "time_to_failure_h": {"dist": "deterministic", "value": 100},
                            "repair_time_h": {"dist": "deterministic", "value": 2},
                        }
                    ],
                }
            ],
            "sites": [{"name": "S", "lat": 30, "lon": 120, "machines": {"M": 1}, "downtime_cost_per_h": 1}],
            "depots": [
                {
                    "name": "D",
                    "lat": 30,
                    "lon": 120,
                    "technicians": 1,
                    "base_stock": {"p": 5},
                    "replenishment_lead_time_h": {"dist": "deterministic", "value": 1},
                }
            ],
            "travel": {"handling_h": 0, "technician_mobilisation_h": 1},
        }
    )


def close_depot_for_a_week(rep: Replication) -> None:
    """A hook (top level, so it pickles): depot D has no technician on duty for a week."""

    def closure() -> Generator[simpy.Event, Any, None]:
        yield rep.env.timeout(CLOSED_AT_H)
        rep.set_technicians("D", 0)
        yield rep.env.timeout(CLOSED_FOR_H)
        rep.set_technicians("D", 1)

    rep.env.process(closure())


def restores(rep: Replication) -> list[tuple[float, float, float]]:
    """(failure, technician arrival, restore) of every restore in the trace."""
    return [(r.fail_t, r.technician_t, r.restore_t) for r in rep.trace or [] if isinstance(r, Restore)]


def test_a_hook_closes_a_depot_for_a_week_with_exact_effect() -> None:
    net = build(one_machine())
    plain = Replication(net, 1, 0)
    plain.run()
    assert restores(plain) == [(100 + 103 * k, 101 + 103 * k, 103 + 103 * k) for k in range(5)]

    rep = Replication(net, 1, 0, hooks=(close_depot_for_a_week,))
    rep.run()
    reopen = CLOSED_AT_H + CLOSED_FOR_H  # 372.5
    assert restores(rep) == [
        (100.0, 101.0, 103.0),
        (203.0, 204.0, 206.0),  # busy when the depot closed: the job is finished
        (306.0, reopen + 1, reopen + 3),  # failed in the closed week: waits for the reopening
        (reopen + 103, reopen + 104, reopen + 106),  # 475.5: 100 operating hours after 375.5
        (reopen + 206, reopen + 207, reopen + 209),  # 578.5
    ]
    pool = rep.pools[0]
    assert pool.area_rostered == pytest.approx(600.0 - CLOSED_FOR_H, abs=1e-9)
    # each job keeps the technician 4 h (1 h there, 2 h repair, 1 h back), whenever it starts
    assert pool.area_busy == pytest.approx(5 * 4.0, abs=1e-9)
    assert rep.outcome().technician_busy_h == pytest.approx(20.0, abs=1e-9)
    # utilisation is busy hours over hours on duty: the closed week is not idle time
    assert rep.outcome().technician_rostered_h == pytest.approx(600.0 - CLOSED_FOR_H, abs=1e-9)
    assert evaluate(net, rep.outcome())["technician_utilisation"] == pytest.approx(20.0 / (600.0 - CLOSED_FOR_H))
    assert rep.outcome().site_downtime_h[0] == pytest.approx(4 * 3.0 + (reopen + 3 - 306.0), abs=1e-9)


def shift_8_to_16(rep: Replication) -> None:
    """A hook: every depot's technicians work 08:00-16:00 each day (top level, so it pickles)."""
    staff = [d.technicians for d in rep.net.depots]

    def shifts() -> Generator[simpy.Event, Any, None]:
        for d in range(len(staff)):
            rep.set_technicians(d, 0)
        while True:
            yield rep.env.timeout(8.0)
            for d, n in enumerate(staff):
                rep.set_technicians(d, n)
            yield rep.env.timeout(8.0)
            for d in range(len(staff)):
                rep.set_technicians(d, 0)
            yield rep.env.timeout(8.0)

    rep.env.process(shifts())


def test_a_shift_calendar_hook_sends_technicians_only_on_shift() -> None:
    """Machine-repairman fleet, 2 technicians on day shifts: every set-off falls in a shift."""
    sc = repairman(machines=10, mttf_h=60.0, mttr_h=2.0, technicians=2, horizon_h=2000.0, warmup_h=0.0)
    net = build(sc.model_copy(update={"trace": True}))
    rep = Replication(net, 3, 0, hooks=(shift_8_to_16,))
    rep.run()
    # on_failure dispatch with no travel: a technician's arrival is when they set off
    starts = [r.technician_t for r in rep.trace or [] if isinstance(r, Restore)]
    assert len(starts) > 100
    assert all(8.0 <= t % 24.0 < 16.0 or t % 24.0 == 16.0 for t in starts)
    assert any(8.0 == t % 24.0 for t in starts)  # the night's queue starts at 08:00
    # on duty 08:00-16:00 on each of the 83 whole days in 2000 h (the last 8 h are a night): 2 technicians
    assert rep.pools[0].area_rostered == pytest.approx(2 * 8.0 * 83, abs=1e-9)
    # without the shifts the same fleet's set-offs are spread over the whole day
    free = Replication(net, 3, 0)
    free.run()
    assert any(not 8.0 <= r.technician_t % 24.0 <= 16.0 for r in free.trace or [] if isinstance(r, Restore))


def test_hooks_are_picklable_and_give_the_same_outcome_in_a_worker_process() -> None:
    net = build(one_machine())
    pickle.dumps(close_depot_for_a_week)
    here = run_replication(net, 1, 0, hooks=(close_depot_for_a_week,))
    with ProcessPoolExecutor(1) as pool:
        there = pool.submit(run_replication, net, 1, 0, False, (close_depot_for_a_week,)).result()
    assert there == here
    assert here != run_replication(net, 1, 0)


def test_the_runner_task_passes_hooks_to_every_replication_serial_or_parallel() -> None:
    net = build(one_machine())
    serial = replicate(net, 1, [0, 1, 2], hooks=(close_depot_for_a_week,))
    with ProcessPoolExecutor(2) as pool:
        parallel = [row for part in pool.map(replicate, [net, net], [1, 1], [[0, 1], [2]],
                                             [(close_depot_for_a_week,)] * 2) for row in part]
    assert repr(parallel) == repr(serial)  # byte for byte (rows hold nan, which is never == itself)
    plain = replicate(net, 1, [0])[0][0]
    closed = serial[0][0]
    # the closure adds the week's wait to the outage of the failure at 306 h: 372.5 + 3 - 306 - 3 h
    assert closed["restore_time_max_h"] == pytest.approx(CLOSED_AT_H + CLOSED_FOR_H + 3 - 306.0, abs=1e-9)
    assert plain["restore_time_max_h"] == pytest.approx(3.0, abs=1e-9)
