"""The reference workload written the way a typical SimPy tutorial writes it.

One ``simpy.Container`` of integer stock per depot-part, a generator process per demand
stream, a process per demand (it takes a unit from the container, waiting first come
first served when there is none) and a process per replenishment (it waits the lead time,
then puts the unit back). One-for-one replenishment: the order is placed when the demand
arrives, so the number of units on order is the M/D/infinity pipeline of Palm's theorem.

This is the yardstick of issue 5, not part of the product: it shares no code with ``sim``.
Events per demand (counted, in an untimed run, by an environment whose ``schedule`` counts:
SimPy's documented extension point): the inter-arrival timeout, the demand process's
start, its ``get``, its end, the replenishment's start, its timeout, its ``put`` and its
end: 8. Timed runs use a plain ``simpy.Environment``.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy


@dataclass(frozen=True)
class IdiomaticResult:
    """What the idiomatic model measured over its horizon."""

    demands: int
    fill_rate: float
    wait_mean_h: float
    events: int | None  # SimPy events scheduled, when counted

    @property
    def events_per_demand(self) -> float:
        """SimPy events scheduled per demand (nan when not counted)."""
        return self.events / self.demands if self.demands and self.events is not None else float("nan")


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events scheduled on it (for an untimed run)."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def schedule(self, event: simpy.Event, priority: Any = 1, delay: float = 0) -> None:
        """SimPy's ``schedule``, counted."""
        self.scheduled += 1
        super().schedule(event, priority, delay)


class Stats:
    """Counters the demand processes update."""

    def __init__(self) -> None:
        self.demands = 0
        self.from_stock = 0
        self.wait_h = 0.0
        self.open = 0  # demands still waiting for a unit
        self.open_since_sum_h = 0.0  # sum of their arrival times


def replenish(env: simpy.Environment, stock: simpy.Container, lead_time_h: float) -> Generator[simpy.Event, Any, None]:
    """One replenishment: ship a unit from the (infinite) central warehouse."""
    yield env.timeout(lead_time_h)
    yield stock.put(1)


def demand(
    env: simpy.Environment, stock: simpy.Container, lead_time_h: float, stats: Stats
) -> Generator[simpy.Event, Any, None]:
    """One demand: order a replacement at once, take a unit (waiting FCFS if none)."""
    arrived = env.now
    stats.demands += 1
    if stock.level > 0:
        stats.from_stock += 1
    env.process(replenish(env, stock, lead_time_h))
    stats.open += 1
    stats.open_since_sum_h += arrived
    yield stock.get(1)
    stats.open -= 1
    stats.open_since_sum_h -= arrived
    stats.wait_h += env.now - arrived


def source(
    env: simpy.Environment,
    stock: simpy.Container,
    rate_per_h: float,
    lead_time_h: float,
    rng: random.Random,
    stats: Stats,
) -> Generator[simpy.Event, Any, None]:
    """Poisson demand at one depot-part."""
    while True:
        yield env.timeout(rng.expovariate(rate_per_h))
        env.process(demand(env, stock, lead_time_h, stats))


def run(
    depots: int = 10,
    parts: int = 5,
    base_stock: int = 4,
    rate_per_h: float = 0.2 / 24,
    lead_time_h: float = 240.0,
    horizon_h: float = 480_000.0,
    seed: int = 1,
    count_events: bool = False,
) -> IdiomaticResult:
    """Simulate the network to ``horizon_h`` and return fill rate and mean wait.

    The mean wait is over demands that arrived in the horizon (a demand still waiting at the
    end counts with its wait so far), the same definition as the engine's backorder-hours
    per demand, up to the few demands still waiting at the end.
    """
    env = CountingEnvironment() if count_events else simpy.Environment()
    stats = Stats()
    rng = random.Random(seed)
    for _ in range(depots * parts):
        stock = simpy.Container(env, capacity=float("inf"), init=base_stock)
        env.process(source(env, stock, rate_per_h, lead_time_h, rng, stats))
    env.run(until=horizon_h)
    # demands still waiting at the horizon count with their wait so far (as the engine's areas do)
    stats.wait_h += stats.open * horizon_h - stats.open_since_sum_h
    events = env.scheduled if isinstance(env, CountingEnvironment) else None
    n = stats.demands
    return IdiomaticResult(
        demands=n,
        fill_rate=stats.from_stock / n if n else float("nan"),
        wait_mean_h=stats.wait_h / n if n else float("nan"),
        events=events,
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    import time

    t0 = time.perf_counter()
    res = run()
    dt = time.perf_counter() - t0
    print(res, f"{res.demands / dt:,.0f} demands/s, {run(horizon_h=48_000.0, count_events=True).events_per_demand:.2f} events/demand")
