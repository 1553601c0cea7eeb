"""Decisions on top of the model: stock optimisation (:mod:`sim.optimize.stock`) and network design.

Layer: between running and plots (``tests/test_layout.py``): the optimisers read a built
:class:`~sim.build.Network`, and verification simulates their plans with the runner.
"""
