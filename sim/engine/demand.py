"""Poisson part demand: each depot's streams superposed, all depots merged by time.

The independent Poisson streams of one depot are, exactly, one Poisson stream of the
summed rate whose every arrival is for part *k* with probability ``rate_k / total``.
A :class:`DepotDemand` draws that stream from the depot's own random stream
(``demand/<depot>``), so its arrivals depend on nothing but that depot's rates: streams of
other depots are untouched by any change at this depot (common random numbers). The
engine orders a depot's streams by name, so reordering entries in the file changes nothing.

A :class:`DemandMerge` hands out the arrivals of all depots in time order, a block of
time at a time: each depot's arrivals in the block are cut from its own buffer and the
block is sorted once in numpy. The merge is exact (the same arrivals, in time order) and
its cost per demand does not grow with the number of depots, where a heap of one pending
arrival per depot costs a logarithm of the network's size per demand. Block length does
not change any draw: each depot draws in batches of ``REFILL`` whatever the merge asks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REFILL = 256  # draws per refill of a depot's buffer: a fixed pattern, whatever the merge asks
PER_SOURCE = 64  # expected arrivals per depot in one merged block


class DepotDemand:
    """The superposed demand streams of one depot, as absolute arrival times and keys.

    ``keys[k]`` labels what stream *k*'s arrivals are for (the engine uses the index of the
    depot's bin of that part); ``rates_per_h[k]`` is its Poisson rate.
    """

    __slots__ = ("rng", "mean_gap_h", "keys", "cum", "_times", "_picks", "_pos")

    def __init__(self, rng: np.random.Generator, keys: Sequence[int], rates_per_h: Sequence[float]) -> None:
        total = float(sum(rates_per_h))
        self.rng = rng
        self.mean_gap_h = 1.0 / total
        self.keys = np.asarray(keys, dtype=np.int64)
        acc, cum = 0.0, []
        for r in rates_per_h[:-1]:
            acc += r / total
            cum.append(acc)
        self.cum = np.asarray(cum)  # upper bounds of each stream's share, last one implicit
        self._times = np.empty(0)  # buffered arrivals not yet handed out start at _pos
        self._picks = np.empty(0, dtype=np.int64)
        self._pos = 0

    def _draw(self, after_h: float) -> tuple[np.ndarray, np.ndarray]:
        """The next ``REFILL`` arrivals after the one at ``after_h``: times and keys."""
        acc = np.empty(REFILL + 1)
        acc[0] = after_h
        acc[1:] = self.rng.exponential(self.mean_gap_h, REFILL)
        np.add.accumulate(acc, out=acc)  # sequential sums: t_k = t_{k-1} + gap_k, as a loop would
        if len(self.keys) == 1:
            return acc[1:], np.full(REFILL, self.keys[0])
        return acc[1:], self.keys[self.cum.searchsorted(self.rng.random(REFILL), side="right")]

    def until(self, end_h: float) -> tuple[np.ndarray, np.ndarray]:
        """The next arrivals strictly before ``end_h``: their times and keys.

        The buffer is extended batch by batch until it reaches ``end_h``, then joined once,
        so a depot much busier than the block's average costs time linear in its arrivals.
        """
        times, picks, pos = self._times, self._picks, self._pos
        if not len(times) or times[-1] < end_h:  # every buffered arrival is before end_h
            more_t, more_k = [times[pos:]], [picks[pos:]]
            last = times[-1] if len(times) else 0.0
            while last < end_h:
                t, k = self._draw(last)
                more_t.append(t)
                more_k.append(k)
                last = t[-1]
            times, picks, pos = np.concatenate(more_t), np.concatenate(more_k), 0
            self._times, self._picks = times, picks
        stop = int(times.searchsorted(end_h))
        self._pos = stop
        return times[pos:stop], picks[pos:stop]


class DemandMerge:
    """The arrivals of several depots' demand sources in time order, a block at a time."""

    __slots__ = ("sources", "block_h", "_end_h")

    def __init__(self, sources: Sequence[DepotDemand], per_source: int = PER_SOURCE) -> None:
        self.sources = list(sources)
        total_rate = sum(1.0 / s.mean_gap_h for s in self.sources)
        self.block_h = per_source * max(1, len(self.sources)) / total_rate
        self._end_h = 0.0

    def next_block(self) -> tuple[list[float], list[int]]:
        """Times and keys of the next non-empty block's arrivals, in time order.

        Ties in time keep the order of the sources, so the order is reproducible.
        """
        while True:
            self._end_h += self.block_h
            cut = [source.until(self._end_h) for source in self.sources]
            if any(len(t) for t, _ in cut):
                break
        times = np.concatenate([t for t, _ in cut])
        order = np.argsort(times, kind="stable")
        return times[order].tolist(), np.concatenate([k for _, k in cut])[order].tolist()
