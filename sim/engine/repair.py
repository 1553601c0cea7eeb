"""Repair shops and repair counters for repairable parts (Sherbrooke's METRIC world).

A :class:`RepairShop` (one per depot, one at central) has ``servers`` repair servers shared
by all parts, or unlimited ones (``None``: every repair starts at once). Carcasses wait in
one FIFO queue; the shop keeps an integer busy count and its time-weighted busy area (for
utilisation), and no per-event history, so memory stays flat. Completions are items of the
shop's own :class:`~sim.engine.agenda.Agenda` in the replication's one calendar.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from sim.engine.agenda import Agenda
from sim.engine.environment import CalendarEnvironment


class RepairShop:
    """``servers`` FIFO repair servers (None = unlimited); ``finished(item)`` is called at each completion."""

    __slots__ = ("servers", "busy", "queue", "done", "finished", "last_t", "area_busy", "start_h")

    def __init__(self, env: CalendarEnvironment, servers: int | None, finished: Callable[[Any], None]) -> None:
        self.servers = servers
        self.busy = 0  # repairs in progress
        self.queue: deque[tuple[Any, float]] = deque()  # (item, repair hours) waiting for a server
        self.finished = finished
        self.done = Agenda(env, self._done)
        self.last_t = 0.0
        self.area_busy = 0.0  # busy server-hours since the window's start
        self.start_h = 0.0  # the window's start

    @property
    def in_shop(self) -> int:
        """Carcasses in the shop: in repair or waiting for a server."""
        return self.busy + len(self.queue)

    def touch(self, now: float) -> None:
        """Accumulate busy server-hours up to ``now``."""
        self.area_busy += self.busy * (now - self.last_t)
        self.last_t = now

    def reset_areas(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.touch(now)
        self.area_busy = 0.0
        self.start_h = now

    def server_hours(self, end: float) -> float:
        """Server-hours available in the window up to ``end`` (inf when servers are unlimited)."""
        return math.inf if self.servers is None else self.servers * (end - self.start_h)

    def submit(self, item: Any, repair_h: float, now: float) -> None:
        """A carcass arrives needing ``repair_h`` hours of repair: start it now, or queue it."""
        if self.servers is None or self.busy < self.servers:
            self.touch(now)
            self.busy += 1
            self.done.push(now + repair_h, item)
        else:
            self.queue.append((item, repair_h))

    def _done(self, item: Any) -> None:
        now = self.done.env.now
        if self.queue:  # the server takes the next carcass: the busy count is unchanged
            nxt, repair_h = self.queue.popleft()
            self.done.push(now + repair_h, nxt)
        else:
            self.touch(now)
            self.busy -= 1
        self.finished(item)


class RepairCounts:
    """Per part, carcasses committed in the window: repaired at a depot, at central, or condemned."""

    __slots__ = ("depot", "central", "condemned")

    def __init__(self, n_parts: int) -> None:
        self.depot = [0] * n_parts
        self.central = [0] * n_parts
        self.condemned = [0] * n_parts


__all__ = ["RepairCounts", "RepairShop"]
