"""Small scenarios built in code for the engine tests."""

from __future__ import annotations

from typing import Any

from sim.build import Network
from sim.engine.model import Replication
from sim.kpis import evaluate
from sim.scenario.schema import Scenario


def kpis(net: Network, seed: int, replication: int, check_invariants: bool = False) -> dict[str, float]:
    """The KPI row of one replication: run it, price its outcome, read the KPIs."""
    return evaluate(net, Replication(net, seed, replication, check_invariants).run())


def single_depot(
    rate_per_h: float,
    lead: dict[str, Any],
    base_stock: int,
    horizon_h: float,
    warmup_h: float,
    seed: int = 1,
) -> Scenario:
    """One depot, one part, Poisson demand, no lateral or emergency: Palm's setting."""
    return Scenario.model_validate(
        {
            "name": "palm",
            "seed": seed,
            "horizon_h": horizon_h,
            "warmup_h": warmup_h,
            "parts": [{"name": "p", "unit_cost": 10, "price": 20}],
            "depots": [
                {
                    "name": "D",
                    "lat": 0,
                    "lon": 0,
                    "technicians": 0,
                    "base_stock": {"p": base_stock},
                    "replenishment_lead_time_h": lead,
                }
            ],
            "dispatch": {"lateral": {"enabled": False}, "emergency": {"enabled": False}},
            "demand_streams": [{"name": "s", "depot": "D", "part": "p", "rate_per_h": rate_per_h}],
        }
    )


def repairman(
    machines: int, mttf_h: float, mttr_h: float, technicians: int, horizon_h: float, warmup_h: float
) -> Scenario:
    """N machines at one site next to one depot, parts always in stock, zero travel."""
    return Scenario.model_validate(
        {
            "name": "repairman",
            "horizon_h": horizon_h,
            "warmup_h": warmup_h,
            "parts": [{"name": "p", "unit_cost": 1, "price": 1}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 100,
                    "cost_to_make": 50,
                    "components": [
                        {
                            "name": "c",
                            "part": "p",
                            "time_to_failure_h": {"dist": "exponential", "mean": mttf_h},
                            "repair_time_h": {"dist": "exponential", "mean": mttr_h},
                        }
                    ],
                }
            ],
            "sites": [{"name": "S", "lat": 0, "lon": 0, "machines": {"M": machines}, "downtime_cost_per_h": 1}],
            "depots": [
                {
                    "name": "D",
                    "lat": 0,
                    "lon": 0,
                    "technicians": technicians,
                    "base_stock": {"p": 10 * machines},
                    "replenishment_lead_time_h": {"dist": "deterministic", "value": 1},
                }
            ],
            "travel": {"handling_h": 0, "technician_mobilisation_h": 0},
            "dispatch": {"technician_dispatch": "on_failure"},
        }
    )


def network(
    depots: list[dict[str, Any]],
    central: dict[str, Any] | None = None,
    dispatch: dict[str, Any] | None = None,
    horizon_h: float = 4000.0,
    warmup_h: float = 200.0,
    trace: bool = False,
    demand_streams: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A small fleet in three cities with a configurable depot network (and optional demand streams)."""
    sites = [
        {"name": "Hangzhou", "lat": 30.27, "lon": 120.16, "region": "East", "machines": {"M": 6}, "downtime_cost_per_h": 1000, "perishable": {"threshold_h": 6, "loss": 5000}},
        {"name": "Shanghai", "lat": 31.23, "lon": 121.47, "region": "East", "machines": {"M": 8}, "downtime_cost_per_h": 2000},
        {"name": "Chengdu", "lat": 30.66, "lon": 104.07, "region": "West", "machines": {"M": 5}, "downtime_cost_per_h": 800},
    ]
    return Scenario.model_validate(
        {
            "name": "net",
            "seed": 7,
            "horizon_h": horizon_h,
            "warmup_h": warmup_h,
            "trace": trace,
            "parts": [
                {"name": "jaw", "unit_cost": 100, "price": 180},
                {"name": "drive", "unit_cost": 500, "price": 800},
            ],
            "machine_models": [
                {
                    "name": "M",
                    "price": 1000,
                    "cost_to_make": 600,
                    "components": [
                        {"name": "jaw", "part": "jaw", "time_to_failure_h": {"dist": "weibull", "shape": 1.5, "mean": 300}, "repair_time_h": {"dist": "lognormal", "mean": 2, "cv": 0.5}},
                        {"name": "drive", "part": "drive", "time_to_failure_h": {"dist": "exponential", "mean": 900}, "repair_time_h": {"dist": "gamma", "mean": 3, "cv": 0.7}},
                        {"name": "jam", "part": None, "time_to_failure_h": {"dist": "exponential", "mean": 700}, "repair_time_h": {"dist": "uniform", "low": 0.5, "high": 1.5}},
                    ],
                }
            ],
            "regions": [{"name": "East", "promise_h": 8, "late_penalty_per_h": 50}, {"name": "West", "promise_h": 24}],
            "sites": sites,
            "depots": depots,
            "central": central or {"lat": 30.0, "lon": 120.0},
            "dispatch": dispatch or {},
            "freight": {"normal_cost_per_km": 1, "lateral_cost_per_km": 2, "emergency_cost_per_km": 3},
            "demand_streams": demand_streams or [],
        }
    )


def depot(name: str, lat: float, lon: float, technicians: int = 2, jaw: int = 2, drive: int = 1, lead_h: float = 72) -> dict[str, Any]:
    """A depot entry for :func:`network`."""
    return {
        "name": name,
        "lat": lat,
        "lon": lon,
        "technicians": technicians,
        "technician_cost_per_year": 1000,
        "fixed_cost_per_year": 5000,
        "base_stock": {"jaw": jaw, "drive": drive},
        "replenishment_lead_time_h": {"dist": "deterministic", "value": lead_h},
    }
