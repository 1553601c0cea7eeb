"""An agenda: many pending timed items behind a single pending SimPy event.

SimPy's cost per event grows with the number of pending events, so a fleet of thousands
of machines each waiting on its own timeout is slow. An agenda keeps its items in its own
queue and keeps exactly one SimPy timeout armed, at its earliest item. Items pushed in
non-decreasing time order (deterministic lead times, for instance) go to a FIFO deque at
O(1); others go to a binary heap. Ties are served in push order, so runs are reproducible.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

INF = float("inf")


class Agenda:
    """Timed items handed to ``handler(item)`` at their time, in (time, push order)."""

    __slots__ = ("env", "handler", "_heap", "_fifo", "_seq", "_armed", "_armed_at", "_firing", "_fire_cb")

    def __init__(self, env: simpy.Environment, handler: Callable[[Any], None]) -> None:
        self.env = env
        self.handler = handler
        self._heap: list[tuple[float, int, Any]] = []
        self._fifo: deque[tuple[float, int, Any]] = deque()
        self._seq = 0
        self._armed: simpy.Event | None = None
        self._armed_at = INF
        self._firing = False  # while handing out items, arm once at the end
        self._fire_cb = self._fire

    def __len__(self) -> int:
        return len(self._heap) + len(self._fifo)

    def push(self, at: float, item: Any) -> None:
        """Hand ``item`` to the handler at time ``at`` (not before now)."""
        entry = (at, self._seq, item)
        self._seq += 1
        fifo = self._fifo
        if not fifo or at >= fifo[-1][0]:
            fifo.append(entry)
        else:
            heapq.heappush(self._heap, entry)
        if at < self._armed_at and not self._firing:
            self._arm(at)

    def _arm(self, at: float) -> None:
        self._armed_at = at
        ev = self.env.timeout(max(0.0, at - self.env.now))
        ev.callbacks.append(self._fire_cb)  # type: ignore[union-attr]
        self._armed = ev

    def _fire(self, event: simpy.Event) -> None:
        if event is not self._armed:  # superseded by an earlier arm
            return
        # due = everything up to the armed time: SimPy's clock is now + (at - now), which
        # can differ from ``at`` in the last bit; items are due at the time they were armed for
        now = self._armed_at
        self._armed, self._armed_at = None, INF
        self._firing = True
        heap, fifo, handler = self._heap, self._fifo, self.handler
        try:
            while True:
                if fifo:
                    f = fifo[0]
                    if heap:
                        h = heap[0]
                        use_fifo = f[0] < h[0] or (f[0] == h[0] and f[1] < h[1])
                    else:
                        use_fifo = True
                    if use_fifo:
                        if f[0] > now:
                            break
                        item = fifo.popleft()[2]
                    elif h[0] <= now:
                        item = heapq.heappop(heap)[2]
                    else:
                        break
                elif heap and heap[0][0] <= now:
                    item = heapq.heappop(heap)[2]
                else:
                    break
                handler(item)
        finally:
            self._firing = False
        a = fifo[0][0] if fifo else INF
        b = heap[0][0] if heap else INF
        nxt = a if a < b else b
        if nxt < INF:
            self._arm(nxt)
