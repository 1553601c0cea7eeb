"""A SimPy environment whose event queue is also the engine's calendar of timed items.

:class:`CalendarEnvironment` is a :class:`simpy.Environment` that overrides SimPy's
documented environment interface — :attr:`now`, :meth:`schedule`, :meth:`peek`,
:meth:`step` and :meth:`run` — over ONE binary heap of its own. The heap holds two kinds of
entries, both as ``(time, priority, order, function, argument)``:

* SimPy events (timeouts, processes, resources, conditions: anything SimPy schedules through
  :meth:`schedule`), processed as SimPy's own ``step`` does (callbacks, then a failed event
  that nobody defused crashes the run);
* the engine's fast items, :meth:`push` ``(at, handler, item)``: at time ``at`` the loop calls
  ``handler(item)``. A fast item costs a tuple, a heap push, a heap pop and a call: no
  Event object, no callback list.

**Order.** Entries are served by time, then priority (SimPy's ``URGENT`` before ``NORMAL``;
fast items are ``NORMAL``), then the order in which they were scheduled or pushed (one
counter for both kinds). So SimPy processes and resources created on this environment
interleave with the engine's items exactly as they would with SimPy's own events, and ties
are reproducible: at equal times a process's initialisation or an interrupt comes first,
then timeouts and items in the order they were made.

No private attribute of SimPy is read or written here: the base class's ``__init__`` still
runs (event ids, the active process, bound event classes) and its own queue stays empty.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

import simpy
from simpy.core import EmptySchedule, Infinity, SimTime, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority

#: Priority of the engine's fast items: SimPy's default priority for events.
ITEM_PRIORITY = NORMAL

Entry = tuple[float, int, int, Callable[[Any], None], Any]


class _Until:
    """The end of a :meth:`CalendarEnvironment.run` with a numeric ``until``."""

    __slots__ = ("active",)

    def __init__(self) -> None:
        self.active = True


def _stop(until: _Until) -> None:
    if until.active:
        raise StopSimulation(None)


class CalendarEnvironment(simpy.Environment):
    """A SimPy environment over one heap of SimPy events and the engine's fast items.

    ``now`` is a plain attribute (a slot) here rather than SimPy's read-only property, so that
    the engine's handlers read the clock at the cost of an attribute; only this class's loop
    sets it. Everything else is SimPy's documented behaviour.
    """

    __slots__ = ("now", "_cal_heap", "_cal_ids", "simpy_events", "_cal_fire")

    def __init__(self, initial_time: SimTime = 0) -> None:
        super().__init__(initial_time)
        self.now: float = initial_time  # a slot: see the class docstring
        self._cal_heap: list[Entry] = []
        self._cal_ids = count()
        self.simpy_events = 0  # SimPy events scheduled so far (fast items not counted)
        self._cal_fire = self._process_event

    # --------------------------------------------------------------- the engine's items
    def push(self, at: float, handler: Callable[[Any], None], item: Any) -> None:
        """Call ``handler(item)`` at time ``at`` (not before :attr:`now`)."""
        heappush(self._cal_heap, (at, ITEM_PRIORITY, next(self._cal_ids), handler, item))

    def take_turn(self, at: float) -> bool:
        """Move the clock to ``at`` if an item due then would be the next entry served.

        Returns True when an entry pushed now at ``at`` would come before every entry in the
        heap (strictly earlier than the first; at an equal time the earlier entry goes first):
        the caller then serves it at once, in the very order the heap would have, without a
        push and a pop. Returns False (clock unchanged) when the caller must :meth:`push` it.
        """
        heap = self._cal_heap
        if heap and at >= heap[0][0]:
            return False
        self.now = at
        return True

    @property
    def pending(self) -> int:
        """Entries waiting in the heap: SimPy events and fast items."""
        return len(self._cal_heap)

    # ------------------------------------------------------- SimPy's environment interface
    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        """Schedule an *event* with a given *priority* and a *delay* (SimPy's documented method)."""
        heappush(self._cal_heap, (self.now + delay, priority, next(self._cal_ids), self._cal_fire, event))
        self.simpy_events += 1

    def peek(self) -> SimTime:
        """The time of the next entry, SimPy event or item; ``Infinity`` if none."""
        heap = self._cal_heap
        return heap[0][0] if heap else Infinity

    def step(self) -> None:
        """Process the next entry; raise :exc:`simpy.core.EmptySchedule` if there is none."""
        heap = self._cal_heap
        if not heap:
            raise EmptySchedule()
        at, _, _, fn, arg = heappop(heap)
        self.now = at
        fn(arg)

    def run(self, until: SimTime | Event | None = None) -> Any:
        """Process entries until ``until`` (SimPy's documented semantics).

        ``None``: until nothing is left. A number: until the clock reaches it; entries at that
        time scheduled with priority ``URGENT`` before this call are processed, the rest are
        not. An event: until it has been processed; return its value.
        """
        heap = self._cal_heap
        end: _Until | None = None
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current simulation time")
                end = _Until()
                heappush(heap, (at, URGENT, next(self._cal_ids), _stop, end))
            elif until.callbacks is None:
                return until.value  # already processed
            else:
                until.callbacks.append(StopSimulation.callback)
        pop = heappop
        try:
            while heap:
                at, _, _, fn, arg = pop(heap)
                self.now = at
                fn(arg)
        except StopSimulation as exc:
            return exc.args[0]
        finally:
            if end is not None:
                end.active = False  # an exception ended the run: its end is void
        if isinstance(until, Event):
            raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}')
        return None

    def _process_event(self, event: Event) -> None:
        """Process a SimPy event now: SimPy's ``step`` through the events' public attributes."""
        callbacks = event.callbacks or []
        event.callbacks = None  # type: ignore[assignment]  # how SimPy marks an event processed
        for k, callback in enumerate(callbacks):
            try:
                callback(event)
            except StopSimulation:
                # keep the remaining callbacks and process the event first when the run resumes
                event.callbacks = callbacks[k + 1 :]
                self.schedule(event, EventPriority(-1))
                raise
        if not event.ok and not event.defused:
            # a failed event nobody defused crashes the run, as in SimPy: a copy of its exception
            err = event.value
            if not isinstance(err, BaseException):  # pragma: no cover - SimPy fails events with exceptions
                raise TypeError(f"{event} failed with {err!r}, not an exception")
            exc = type(err)(*err.args)
            exc.__cause__ = err
            raise exc


__all__ = ["ITEM_PRIORITY", "CalendarEnvironment"]
