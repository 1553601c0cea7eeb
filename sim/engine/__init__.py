"""The event engine: one replication of a :class:`~sim.build.Network` on SimPy.

Modules by concept: :mod:`~sim.engine.environment` (a SimPy environment whose one heap holds
SimPy's events and the engine's timed items), :mod:`~sim.engine.agenda` (a handler's items
pushed in time order, in a FIFO),
:mod:`~sim.engine.stock` (integer base stock per depot and part),
:mod:`~sim.engine.technicians` (a pool of technicians with a FIFO queue),
:mod:`~sim.engine.tally` (online statistics), :mod:`~sim.engine.records` (event trace),
:mod:`~sim.engine.model` (the replication that wires them together).
"""

from sim.engine.model import Replication, run_replication

__all__ = ["Replication", "run_replication"]
