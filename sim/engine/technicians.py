"""Technicians of a depot: an integer count of free ones and a FIFO queue of jobs."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any


class TechnicianPool:
    """``count`` technicians; :meth:`request` starts a job now or queues it."""

    __slots__ = ("count", "free", "queue", "start", "last_t", "area_busy")

    def __init__(self, count: int, start: Callable[[Any], None]) -> None:
        self.count = count
        self.free = count
        self.queue: deque[Any] = deque()
        self.start = start  # called with the job when a technician sets off for it
        self.last_t = 0.0
        self.area_busy = 0.0

    def touch(self, now: float) -> None:
        """Accumulate busy technician-hours up to ``now``."""
        dt = now - self.last_t
        if dt > 0.0:
            self.area_busy += (self.count - self.free) * dt
            self.last_t = now

    def reset_areas(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.touch(now)
        self.area_busy = 0.0
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
        """A technician is back at the depot: take the next job or become free."""
        if self.queue:
            self.start(self.queue.popleft())
        else:
            self.touch(now)
            self.free += 1
