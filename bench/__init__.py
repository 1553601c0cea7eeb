"""Benchmarks of issue 5: the project's engine against an idiomatic SimPy model, scaling,
memory, the case study's wall time and parallel speed-up. Run ``python -m bench``."""
