"""Event records: one flat immutable record per event, kept only when tracing.

Sources of a part demand: how it was served (see :data:`SOURCES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STOCK, LATERAL, EMERGENCY, BACKORDER, NO_PART = 0, 1, 2, 3, 4
SOURCES = ("stock", "lateral", "emergency", "backorder", "no_part")
N_SOURCES = len(SOURCES)


@dataclass(frozen=True, slots=True)
class Failure:
    """A machine stopped: component ``component`` failed at operating age ``age_h``."""

    t: float
    machine: str
    site: str
    component: str
    age_h: float


@dataclass(frozen=True, slots=True)
class Demand:
    """A part demand was allocated a unit (at once, or when a backorder was filled)."""

    demand_t: float
    allocated_t: float
    arrival_t: float
    part: str
    depot: str  # where the unit came from ("central" for emergency)
    site: str  # "" for a demand stream
    source: str


@dataclass(frozen=True, slots=True)
class Restore:
    """A machine runs again."""

    fail_t: float
    part_t: float
    technician_t: float
    restore_t: float
    machine: str
    site: str
    component: str
    source: str
    dispatch_t: float = math.nan  # when the part was allocated (nan without a part)
    source_depot: str = ""  # where the part came from ("central" for emergency, "" without a part)
