"""Integer base stock: one :class:`Bin` per depot and part, one per part at central.

Stock is plain integers and demands waiting for stock are a FIFO deque (made when first
needed: most bins of a large network never backorder): no SimPy stores, no process per
demand. Invariant (one-for-one replenishment): ``on_hand + in_transit - backorders ==
base_stock``.

Time-weighted levels are kept per group of bins (:class:`Levels`, one per part and
echelon, and one per depot for the per-place outputs), not per bin: a level L(t) that changes by δ_k at times t_k has

    ∫_w^T L dt = L(T)·T − L(w)·w − Σ_{w < t_k ≤ T} δ_k·t_k,

so a change costs one addition to its group's running sum, with no clock per bin, and a
bin is only integers (large networks stay cache-friendly). In-transit needs no sum of its
own: by the invariant its area is ``base_stock × window − on hand area + backorder area``.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class Levels:
    """The summed time-weighted stock levels of a group of bins, over a window."""

    __slots__ = ("bins", "on_hand_moment", "backorders_moment", "start_h", "on_hand_start", "backorders_start")

    def __init__(self) -> None:
        self.bins: list[Bin] = []
        self.on_hand_moment = 0.0  # Σ δ·t of on-hand changes since the window's start
        self.backorders_moment = 0.0  # the same for backorders
        self.start_h = 0.0
        self.on_hand_start = 0
        self.backorders_start = 0

    def bin(self, base_stock: int, depot: int, part: int, place: Levels | None = None) -> Bin:
        """A new bin of this group, full; ``place`` is a second group it also counts in (its depot's)."""
        place = Levels() if place is None else place
        b = Bin(base_stock, depot, part, self, place)
        self.bins.append(b)
        self.on_hand_start += base_stock
        place.bins.append(b)
        place.on_hand_start += base_stock
        return b

    def start_window(self, now: float) -> None:
        """Start the statistics window at ``now``."""
        self.start_h = now
        self.on_hand_start = sum(b.on_hand for b in self.bins)
        self.backorders_start = sum(b.backorders for b in self.bins)
        self.on_hand_moment = self.backorders_moment = 0.0

    def areas(self, end: float) -> tuple[float, float, float]:
        """Unit-hours on hand, in transit and backordered from the window's start to ``end``."""
        start = self.start_h
        on_hand = sum(b.on_hand for b in self.bins) * end - self.on_hand_start * start - self.on_hand_moment
        backorders = sum(b.backorders for b in self.bins) * end - self.backorders_start * start - self.backorders_moment
        base = sum(b.base_stock for b in self.bins)
        return on_hand, base * (end - start) - on_hand + backorders, backorders


class Bin:
    """Stock of one part at one location; its time-weighted levels go to its group."""

    __slots__ = ("depot", "part", "base_stock", "on_hand", "in_transit", "backorders", "_waiting", "levels", "place")

    def __init__(self, base_stock: int, depot: int, part: int, levels: Levels, place: Levels) -> None:
        self.depot = depot  # its depot's index, -1 at central
        self.part = part
        self.base_stock = base_stock
        self.on_hand = base_stock
        self.in_transit = 0
        self.backorders = 0  # demands waiting for a unit
        self._waiting: deque[Any] | None = None  # them, first come first served
        self.levels = levels  # its part's group (all depots, or central)
        self.place = place  # its place's group (all parts of its depot)

    def take(self, now: float) -> None:
        """One unit leaves the shelf (check ``on_hand`` first)."""
        self.on_hand -= 1
        self.levels.on_hand_moment -= now
        self.place.on_hand_moment -= now

    def put(self, now: float) -> None:
        """One unit arrives on the shelf."""
        self.on_hand += 1
        self.levels.on_hand_moment += now
        self.place.on_hand_moment += now

    def wait(self, demand: Any, now: float) -> None:
        """Backorder a demand."""
        if self._waiting is None:
            self._waiting = deque()
        self._waiting.append(demand)
        self.backorders += 1
        self.levels.backorders_moment += now
        self.place.backorders_moment += now

    def next_waiting(self, now: float) -> Any:
        """The oldest backordered demand, removed; None if none."""
        if not self.backorders:
            return None
        self.backorders -= 1
        self.levels.backorders_moment -= now
        self.place.backorders_moment -= now
        return self._waiting.popleft()  # type: ignore[union-attr]

    def balanced(self) -> bool:
        """The one-for-one invariant holds."""
        return self.on_hand + self.in_transit - self.backorders == self.base_stock
