"""Discrete-event simulator of after-sales spare-parts logistics, on SimPy.

Pipeline: a scenario YAML file is loaded and validated (:mod:`sim.scenario`), built into a
plain network of components (:mod:`sim.build`), simulated one replication at a time
(:mod:`sim.engine`), and summarised with confidence intervals (:mod:`sim.stats`).
"""

__version__ = "0.1.0"
