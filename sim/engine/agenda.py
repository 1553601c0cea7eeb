"""An agenda: the timed items of one handler in a :class:`CalendarEnvironment`'s calendar.

Every pending item of a replication (a failure, a restore, a shipment's arrival) is an
entry in the environment's one heap (:mod:`sim.engine.environment`), next to any SimPy
event; at its time the environment calls the agenda's handler with it. Items pushed in
non-decreasing time order (deterministic lead times) wait in the agenda's FIFO and only its
head sits in the heap, so the heap stays small; the order served is unchanged: by time,
then push order (the environment's one counter).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any

from sim.engine.environment import ITEM_PRIORITY, CalendarEnvironment, Entry


class Agenda:
    """Timed items handed to ``handler(item)`` at their time, in (time, push order).

    The FIFO holds ready-made heap entries; its head is in the environment's heap. When the
    head is served, the items behind it that come before everything else in the heap (by
    time, priority and push order: the comparison the heap itself makes) are served at once,
    in a loop, with the clock moved to each: the order is exactly the heap's, without a push
    and a pop per item.
    """

    __slots__ = ("env", "handler", "_heap", "_ids", "_fifo", "_head_cb")

    def __init__(self, env: CalendarEnvironment, handler: Callable[[Any], None]) -> None:
        self.env = env
        self.handler = handler
        self._heap = env._cal_heap  # the environment's heap and counter (this package's own class)
        self._ids = env._cal_ids
        self._fifo: deque[Entry] = deque()
        self._head_cb = self._head

    def push(self, at: float, item: Any) -> None:
        """Hand ``item`` to the handler at time ``at`` (not before now)."""
        fifo = self._fifo
        if not fifo:
            entry = (at, ITEM_PRIORITY, next(self._ids), self._head_cb, item)
            fifo.append(entry)
            heappush(self._heap, entry)
        elif at >= fifo[-1][0]:
            fifo.append((at, ITEM_PRIORITY, next(self._ids), self._head_cb, item))  # behind the head
        else:
            heappush(self._heap, (at, ITEM_PRIORITY, next(self._ids), self.handler, item))

    def _head(self, item: Any) -> None:
        fifo = self._fifo
        fifo.popleft()
        handler = self.handler
        if not fifo:  # an item the handler pushes to this agenda becomes a head in the heap
            handler(item)
            return
        heap = self._heap
        env = self.env
        while True:  # the next item's entry is not in the heap: serve it here or put it there
            handler(item)  # pushes to this agenda go behind the FIFO's tail or into the heap
            entry = fifo[0]
            if heap and heap[0] < entry:
                heappush(heap, entry)
                return
            fifo.popleft()
            env.now = entry[0]
            item = entry[4]
            if not fifo:
                handler(item)
                return
