"""Integer base stock: one :class:`Bin` per depot and part, one per part at central.

Stock is plain integers and demands waiting for stock are a FIFO deque: no SimPy stores,
no process per demand. Each bin keeps time-weighted areas of its levels for the KPIs.
Invariant (one-for-one replenishment): ``on_hand + in_transit - backorders == base_stock``.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class Bin:
    """Stock of one part at one location."""

    __slots__ = (
        "base_stock",
        "on_hand",
        "in_transit",
        "waiting",
        "last_t",
        "area_on_hand",
        "area_in_transit",
        "area_backorders",
    )

    def __init__(self, base_stock: int) -> None:
        self.base_stock = base_stock
        self.on_hand = base_stock
        self.in_transit = 0
        self.waiting: deque[Any] = deque()  # backordered demands, first come first served
        self.last_t = 0.0
        self.area_on_hand = 0.0
        self.area_in_transit = 0.0
        self.area_backorders = 0.0

    @property
    def backorders(self) -> int:
        """Demands waiting for a unit."""
        return len(self.waiting)

    def touch(self, now: float) -> None:
        """Accumulate time-weighted areas up to ``now``; call before any change."""
        dt = now - self.last_t
        if dt > 0.0:
            self.area_on_hand += self.on_hand * dt
            self.area_in_transit += self.in_transit * dt
            self.area_backorders += len(self.waiting) * dt
            self.last_t = now

    def reset_areas(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.touch(now)
        self.area_on_hand = self.area_in_transit = self.area_backorders = 0.0
        self.last_t = now

    def balanced(self) -> bool:
        """The one-for-one invariant holds."""
        return self.on_hand + self.in_transit - len(self.waiting) == self.base_stock
