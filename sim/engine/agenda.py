"""A calendar: every pending timed item of a replication behind a single pending SimPy event.

SimPy's cost per event grows with the number of pending events, and each event costs
an object, a heap push and a callback dispatch. A :class:`Calendar` keeps the items of all
its agendas in one binary heap and keeps exactly one SimPy timeout armed, at its earliest
item. When it fires it hands over items in (time, push order) for as long as the next one
comes strictly before anything else SimPy holds (the run's end, the warm-up mark), moving
SimPy's clock to each item's exact time; so the run costs about one SimPy event per
stretch of calendar items, not one per item. Ties are served in push order: reproducible.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

INF = float("inf")


class Calendar:
    """Timed items of several handlers, in (time, push order), behind one SimPy timeout."""

    __slots__ = ("env", "_heap", "_seq", "_armed", "_armed_at", "_fire_cb")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._armed: simpy.Event | None = None
        self._armed_at = INF
        self._fire_cb = self._fire

    def agenda(self, handler: Callable[[Any], None]) -> "Agenda":
        """An agenda of items for ``handler`` kept in this calendar."""
        return Agenda(self.env, handler, self)

    def push(self, at: float, handler: Callable[[Any], None], item: Any) -> None:
        """Call ``handler(item)`` at time ``at`` (not before now)."""
        heapq.heappush(self._heap, (at, self._seq, handler, item))
        self._seq += 1
        if at < self._armed_at:
            self._arm(at)

    def _arm(self, at: float) -> None:
        self._armed_at = at
        ev = self.env.timeout(max(0.0, at - self.env.now))
        ev.callbacks.append(self._fire_cb)  # type: ignore[union-attr]
        self._armed = ev

    def _fire(self, event: simpy.Event) -> None:
        if event is not self._armed:  # superseded by an earlier arm
            return
        env = self.env
        heap = self._heap
        pop = heapq.heappop
        queue = env._queue  # SimPy's own pending events (the run's end, the warm-up mark)
        # items are due at the time they were armed for (SimPy's relative delay can round
        # in the last bit): put the clock exactly there
        now = self._armed_at
        env._now = now
        self._armed, self._armed_at = None, -INF  # pushes from handlers do not arm: we arm once below
        while heap:
            at = heap[0][0]
            if at > now:
                # fast-forward only strictly before SimPy's next event: ties go through SimPy
                if queue and at >= queue[0][0]:
                    break
                env._now = now = at
            item = pop(heap)
            item[2](item[3])
        self._armed_at = INF
        if heap:
            self._arm(heap[0][0])


class Agenda:
    """Timed items handed to ``handler(item)`` at their time, in (time, push order).

    Agendas made with the same :class:`Calendar` share its heap and its one SimPy timeout;
    without one an agenda has a calendar of its own. Items pushed in non-decreasing time
    order (deterministic lead times) wait in the agenda's FIFO and only its head sits in
    the calendar's heap, so the heap stays small; the order served is unchanged.
    """

    __slots__ = ("handler", "calendar", "_heap", "_fifo", "_head_cb")

    def __init__(self, env: simpy.Environment, handler: Callable[[Any], None], calendar: Calendar | None = None) -> None:
        self.handler = handler
        self.calendar = calendar if calendar is not None else Calendar(env)
        self._heap = self.calendar._heap
        self._fifo: deque[tuple[float, int, Any]] = deque()
        self._head_cb = self._head

    def push(self, at: float, item: Any) -> None:
        """Hand ``item`` to the handler at time ``at`` (not before now)."""
        cal = self.calendar
        seq = cal._seq
        cal._seq = seq + 1
        fifo = self._fifo
        if not fifo:
            fifo.append((at, seq, item))
            heapq.heappush(self._heap, (at, seq, self._head_cb, None))
        elif at >= fifo[-1][0]:
            fifo.append((at, seq, item))
            return  # behind the head: no need to look at the armed time
        else:
            heapq.heappush(self._heap, (at, seq, self.handler, item))
        if at < cal._armed_at:
            cal._arm(at)

    def _head(self, _: Any) -> None:
        fifo = self._fifo
        item = fifo.popleft()[2]
        if fifo:
            at, seq, _item = fifo[0]
            heapq.heappush(self._heap, (at, seq, self._head_cb, None))
        self.handler(item)
