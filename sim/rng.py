"""Named random streams: one numpy Generator per (seed, replication, stream name).

Streams are keyed by *name*, not by position, so adding, removing or reordering entries in
a scenario leaves every other stream untouched: two scenarios that share a fleet see the
same failure draws in replication ``i`` (common random numbers). Each stream is a
``SeedSequence(seed, spawn_key=(replication, *hash(name)))`` driving an SFC64 generator.
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> tuple[int, ...]:
    """A stable 128-bit key for a stream name, as four 32-bit words."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of stream ``name`` in replication ``replication`` of root ``seed``."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, *name_key(name)))
    return np.random.Generator(np.random.SFC64(seq))


class Streams:
    """The named streams of one replication."""

    __slots__ = ("seed", "replication")

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication

    def __call__(self, name: str) -> np.random.Generator:
        return stream(self.seed, self.replication, name)
