"""Customers over years: a year loop on top of the one-year engine (docs/years.md).

:mod:`sim.years.choice` holds the customer's decisions (logit choice of supplier, the will-fit
rule), :mod:`sim.years.loop` runs one replication year after year, :mod:`sim.years.output`
writes ``years.csv`` and ``years_summary.csv``.
"""
