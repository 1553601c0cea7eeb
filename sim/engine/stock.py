"""Integer base stock: one :class:`Bin` per depot and part, one per part at central.

Stock is plain integers and demands waiting for stock are a FIFO deque (made when first
needed: most bins of a large network never backorder): no SimPy stores, no process per
demand. Each bin keeps time-weighted areas of its levels for the KPIs.
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
        "backorders",
        "_waiting",
        "last_t",
        "area_on_hand",
        "area_in_transit",
        "area_backorders",
    )

    def __init__(self, base_stock: int) -> None:
        self.base_stock = base_stock
        self.on_hand = base_stock
        self.in_transit = 0
        self.backorders = 0  # demands waiting for a unit
        self._waiting: deque[Any] | None = None  # them, first come first served
        self.last_t = 0.0
        self.area_on_hand = 0.0
        self.area_in_transit = 0.0
        self.area_backorders = 0.0

    def wait(self, demand: Any) -> None:
        """Backorder a demand (call :meth:`touch` first)."""
        if self._waiting is None:
            self._waiting = deque()
        self._waiting.append(demand)
        self.backorders += 1

    def next_waiting(self) -> Any:
        """The oldest backordered demand, removed (call :meth:`touch` first); None if none."""
        if not self.backorders:
            return None
        self.backorders -= 1
        return self._waiting.popleft()  # type: ignore[union-attr]

    def touch(self, now: float) -> None:
        """Accumulate time-weighted areas up to ``now``; call before any change."""
        dt = now - self.last_t
        if dt > 0.0:
            self.area_on_hand += self.on_hand * dt
            self.area_in_transit += self.in_transit * dt
            self.area_backorders += self.backorders * dt
            self.last_t = now

    def reset_areas(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.touch(now)
        self.area_on_hand = self.area_in_transit = self.area_backorders = 0.0
        self.last_t = now

    def balanced(self) -> bool:
        """The one-for-one invariant holds."""
        return self.on_hand + self.in_transit - self.backorders == self.base_stock
