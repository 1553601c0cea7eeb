"""A customer's decisions: which supplier to buy machines from (multinomial logit), and will-fit parts.

Logit (docs/years.md): alternative ``j`` (the maker or a rival) has utility
``U_j = c_j − sensitivity × (cost_j + switch_j) ÷ cost_maker`` where ``cost_j`` is the
customer's annual cost per machine with ``j``, ``switch_j`` the annualised switching cost
(0 for the current supplier) and ``c_j`` the alternative's constant; ``P_j = e^U_j ÷ Σ e^U``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAKER = "maker"


def logit_probabilities(utilities: Sequence[float]) -> list[float]:
    """Multinomial logit choice probabilities of the utilities (numerically stable)."""
    top = max(utilities)
    w = [math.exp(u - top) for u in utilities]
    total = sum(w)
    return [x / total for x in w]


def pick(probabilities: Sequence[float], u: float) -> int:
    """The alternative a uniform draw ``u`` in [0, 1) picks (inverse CDF in list order)."""
    acc = 0.0
    for j, p in enumerate(probabilities):
        acc += p
        if u < acc:
            return j
    return len(probabilities) - 1


def rival_constants(constants: Sequence[float | None], attraction: float) -> list[float]:
    """Each rival's constant: its own, else ln(attraction ÷ number of rivals) (docs/years.md)."""
    n = len(constants)
    default = math.log(attraction / n) if n else 0.0
    return [default if c is None else c for c in constants]


def utilities(
    costs: Sequence[float], constants: Sequence[float], current: int, switching_per_year: float, sensitivity: float
) -> list[float]:
    """Utilities of the alternatives (index 0 the maker); ``current`` is the customer's supplier (-1: none)."""
    ref = costs[0] if costs[0] > 0 else 1.0
    return [
        c - sensitivity * (cost + (switching_per_year if current >= 0 and j != current else 0.0)) / ref
        for j, (cost, c) in enumerate(zip(costs, constants))
    ]


def buys_willfit(maker_price: float, willfit_price: float, restore_mean_h: float, max_price_ratio: float, max_restore_h: float) -> bool:
    """The will-fit rule: the maker's part is dearer than ``max_price_ratio`` × will-fit, or service was slower than ``max_restore_h``."""
    dearer = maker_price > max_price_ratio * willfit_price
    return dearer or restore_mean_h > max_restore_h


__all__ = ["MAKER", "buys_willfit", "logit_probabilities", "pick", "rival_constants", "utilities"]
