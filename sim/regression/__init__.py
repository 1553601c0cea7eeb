"""Regression checks of model outputs against committed baselines (``sim check``, ``sim baseline``).

A *suite* file names scenarios, a replication count, a seed and the KPIs to watch. A
*baseline* folder holds, per scenario, the watched KPIs of every replication (CSV) and a
manifest with the reason, date, code and package versions and fingerprints.

Two verdicts per check:

- **exact**: the SHA-256 of each scenario's full ``replications.csv`` text under the fixed
  seed; any change to the numbers, however small, changes it.
- **statistical**: per scenario × watched KPI, a two-sided test of "the KPI's mean is the
  same as in the baseline" on the replication values: a paired t-test over replication
  indices (default) or Welch's two-sample t-test. The p-values of all tests of a suite
  form one family (Holm's step-down correction by default). A KPI *moves* when its
  adjusted p-value is at most ``alpha`` and the difference is at least its
  ``min_difference``. See docs/regression-checks.md for why both tests hold their level.

Modules, one job each, in dependency order:

- :mod:`~sim.regression.significance` the statistical tests and multiplicity corrections;
- :mod:`~sim.regression.suite` the suite file and how it loads;
- :mod:`~sim.regression.runs` running a suite, the exact fingerprint of its outputs;
- :mod:`~sim.regression.store` the baseline folder: writing, reading, checking;
- :mod:`~sim.regression.verdict` the exact and statistical verdicts of a check;
- :mod:`~sim.regression.report` a check's verdicts as text, Markdown, JUnit XML and JSON;
- :mod:`~sim.regression.study` the false-alarm study (``python -m sim.regression``).

The commands are :mod:`sim.commands.check` and :mod:`sim.commands.baseline`.
"""
