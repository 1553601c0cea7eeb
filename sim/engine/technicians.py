"""Technicians of a depot: an integer count of free ones and a FIFO queue of jobs.

The number on duty can change during a run (:meth:`TechnicianPool.set_count`, for a user's
SimPy process: a depot closed for a week, a shift calendar). A technician taken off duty
while busy finishes the job and the drive back first; jobs wait in the queue, first come
first served, until one is free.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any


class TechnicianPool:
    """``count`` technicians on duty; :meth:`request` starts a job now or queues it.

    ``free`` is ``count`` minus the busy ones; it is negative while more technicians are busy
    than are on duty (after :meth:`set_count` lowered the count).
    """

    __slots__ = ("count", "free", "queue", "start", "last_t", "area_busy", "area_rostered")

    def __init__(self, count: int, start: Callable[[Any], None]) -> None:
        self.count = count
        self.free = count
        self.queue: deque[Any] = deque()
        self.start = start  # called with the job when a technician sets off for it
        self.last_t = 0.0
        self.area_busy = 0.0  # busy technician-hours
        self.area_rostered = 0.0  # technician-hours on duty

    def touch(self, now: float) -> None:
        """Accumulate busy and on-duty technician-hours up to ``now``."""
        dt = now - self.last_t
        if dt > 0.0:
            self.area_busy += (self.count - self.free) * dt
            self.area_rostered += self.count * dt
            self.last_t = now

    def reset_areas(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.touch(now)
        self.area_busy = 0.0
        self.area_rostered = 0.0
        self.last_t = now

    def request(self, job: Any, now: float) -> None:
        """A job needs a technician."""
        if self.free > 0:
            self.touch(now)
            self.free -= 1
            self.start(job)
        else:
            self.queue.append(job)

    def release(self, now: float) -> None:
        """A technician is back at the depot: take the next job, or become free (or go off duty)."""
        if self.queue and self.free >= 0:
            self.start(self.queue.popleft())
        else:
            self.touch(now)
            self.free += 1

    def set_count(self, count: int, now: float) -> None:
        """Put ``count`` technicians on duty from ``now``; queued jobs start if some are free."""
        if count < 0:
            raise ValueError(f"a depot cannot have {count} technicians on duty")
        self.touch(now)
        self.free += count - self.count
        self.count = count
        while self.free > 0 and self.queue:
            self.free -= 1
            self.start(self.queue.popleft())
