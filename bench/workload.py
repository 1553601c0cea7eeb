"""The reference workload as project scenarios, scaled in depots, demands and trace.

Every variant is the data of ``bench/scenarios/reference.yaml`` with its depot and demand
stream lists regenerated and its horizon set so that the expected number of demands is
``demands``; it goes through the ordinary loader validation (``validate_data``), the
ordinary ``build`` and the ordinary runner task (``sim.runner.replicate``): no special path.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.loader import load_scenario, load_scenario_data, validate_data
from sim.scenario.schema import Scenario
from sim.theory import palm

REFERENCE = Path(__file__).resolve().parent / "scenarios" / "reference.yaml"
REFERENCE_DEMANDS = 200_000


@dataclass(frozen=True)
class Reference:
    """The parameters of the reference workload, read back from the scenario file."""

    depots: int
    parts: int
    base_stock: int
    rate_per_h: float
    lead_time_h: float
    horizon_h: float

    @property
    def expected_demands(self) -> float:
        """Expected demands over the horizon."""
        return self.depots * self.parts * self.rate_per_h * self.horizon_h


def reference(sc: Scenario | None = None) -> Reference:
    """The reference workload's parameters (checked to be homogeneous); ``sc``: the file, if already loaded."""
    sc = sc if sc is not None else load_scenario(REFERENCE)
    stocks = {v for d in sc.depots for v in d.base_stock.values()}
    rates = {s.rate_per_h for s in sc.demand_streams}
    lead = sc.central.transport_lead_time_h
    if len(stocks) != 1 or len(rates) != 1 or getattr(lead, "dist", "") != "deterministic":
        raise ValueError(f"{REFERENCE} is not a homogeneous base-stock network")
    return Reference(
        depots=len(sc.depots),
        parts=len(sc.parts),
        base_stock=stocks.pop(),
        rate_per_h=rates.pop(),
        lead_time_h=float(lead.value),  # type: ignore[union-attr]
        horizon_h=sc.horizon_h,
    )


def palm_reference(ref: Reference) -> tuple[float, float]:
    """Palm's fill rate and mean wait (hours) for one depot-part of the reference workload."""
    res = palm(ref.rate_per_h, ref.lead_time_h, ref.base_stock)
    return res.fill_rate, res.mean_wait


def scenario(depots: int = 10, demands: float = REFERENCE_DEMANDS, trace: bool = False) -> Scenario:
    """The reference network with ``depots`` depots (same parts, stock and rate per depot-part).

    The horizon is set so that ``demands`` demands are expected in total.
    """
    data, _ = load_scenario_data(REFERENCE)  # fresh data on every call
    template: dict[str, Any] = data["depots"][0]
    stream: dict[str, Any] = data["demand_streams"][0]
    rate = float(stream["rate_per_h"])
    parts = [p["name"] for p in data["parts"]]
    new_depots = []
    new_streams = []
    for d in range(depots):
        dep = copy.deepcopy(template)
        dep["name"] = f"depot{d:04d}"
        dep["lat"] = round(-60 + 120 * (d / max(1, depots)), 4)
        dep["lon"] = round(-170 + 340 * ((d * 37) % max(1, depots)) / max(1, depots), 4)
        new_depots.append(dep)
        for part in parts:
            new_streams.append({"name": f"{dep['name']}-{part}", "depot": dep["name"], "part": part, "rate_per_h": rate})
    data["depots"] = new_depots
    data["demand_streams"] = new_streams
    data["horizon_h"] = demands / (depots * len(parts) * rate)
    data["trace"] = trace
    data["name"] = f"reference-{depots}d"
    return validate_data(data)
