"""Scenario files: YAML → validated pydantic models (see :mod:`sim.scenario.schema`)."""
