"""The event engine: one replication of a :class:`~sim.build.Network` on SimPy.

Modules by concept: :mod:`~sim.engine.agenda` (many timed items behind one SimPy event),
:mod:`~sim.engine.stock` (integer base stock per depot and part),
:mod:`~sim.engine.technicians` (a pool of technicians with a FIFO queue),
:mod:`~sim.engine.tally` (online statistics), :mod:`~sim.engine.records` (event trace),
:mod:`~sim.engine.model` (the replication that wires them together).
"""

from sim.engine.model import Replication, run_replication

__all__ = ["Replication", "run_replication"]
