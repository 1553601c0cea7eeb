"""Poisson part demand at a depot: its demand streams superposed into one.

The independent Poisson streams of one depot are, exactly, one Poisson stream of the
summed rate whose every arrival is for part *k* with probability ``rate_k / total``.
One source per depot keeps one pending item and one random stream
(``demand/<depot>``) per depot instead of one per depot and part, which keeps large
networks cheap. Parts are ordered by stream name, so reordering entries in the file
changes nothing; streams of other depots are untouched by any change at this depot.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

BLOCK_MIN, BLOCK_MAX = 8, 512  # draws per batch, doubling: short runs of many sources draw little


class DepotDemand:
    """The superposed demand streams of one depot: ``next()`` gives (gap in hours, part)."""

    __slots__ = ("rng", "mean_gap_h", "parts", "cum", "_gaps", "_picks", "_block")

    def __init__(self, rng: np.random.Generator, parts: Sequence[int], rates_per_h: Sequence[float]) -> None:
        total = float(sum(rates_per_h))
        self.rng = rng
        self.mean_gap_h = 1.0 / total
        self.parts = tuple(parts)
        acc, cum = 0.0, []
        for r in rates_per_h[:-1]:
            acc += r / total
            cum.append(acc)
        self.cum = tuple(cum)  # upper bounds of each part's share, last one implicit
        self._gaps: list[float] = []
        self._picks: list[int] = []
        self._block = BLOCK_MIN

    def next(self) -> tuple[float, int]:
        """Time to the next demand and the part it is for."""
        if not self._gaps:
            self._refill()
        return self._gaps.pop(), self._picks.pop()

    def _refill(self) -> None:
        n = self._block
        self._block = min(2 * n, BLOCK_MAX)
        self._gaps = self.rng.exponential(self.mean_gap_h, n)[::-1].tolist()
        if len(self.parts) == 1:
            self._picks = [self.parts[0]] * n
        else:
            u = self.rng.random(n)[::-1].tolist()
            self._picks = [self.parts[bisect_right(self.cum, x)] for x in u]
