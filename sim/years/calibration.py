"""How many 'satisfied' customers still switch: the measurement behind the choice calibration (docs/years.md).

A maker's customer at the end of its machines' life is *satisfied* when the cost it
experienced with the maker is at most the best rival's stated cost. For every such choice
drawn in the year loop this records the logit probability of leaving and whether it left.

    python -m sim.years.calibration scenarios/years_dense_premium.yaml [...] [-n 10] [--set PATH=VALUE]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sim.scenario.schema import Scenario
from sim.years.loop import Customer, MarketSetup, run_years


@dataclass
class SwitchTally:
    """End-of-life choices of the maker's customers, satisfied ones and the others."""

    satisfied_p: list[float] = field(default_factory=list)  # the model's probability of leaving
    satisfied_left: list[bool] = field(default_factory=list)
    others_p: list[float] = field(default_factory=list)
    others_left: list[bool] = field(default_factory=list)
    cost_ratio: list[float] = field(default_factory=list)  # satisfied: best rival's cost ÷ the maker's

    def observe(self, mk: MarketSetup, c: Customer, probabilities: Sequence[float], new: int) -> None:
        """The year loop's ``on_choice``: record the choices of the maker's own customers."""
        if c.supplier != 0:
            return
        best = min(mk.rival_costs[c.template])
        p, left = 1.0 - probabilities[0], new != 0
        if c.cost_per_machine_year <= best:
            self.satisfied_p.append(p)
            self.satisfied_left.append(left)
            self.cost_ratio.append(best / c.cost_per_machine_year)
        else:
            self.others_p.append(p)
            self.others_left.append(left)

    @property
    def n(self) -> int:
        return len(self.satisfied_p)

    @property
    def mean_p(self) -> float:
        """The model's mean probability that a satisfied customer leaves."""
        return sum(self.satisfied_p) / self.n if self.n else math.nan

    @property
    def share(self) -> float:
        """The share of satisfied customers who left (drawn)."""
        return sum(self.satisfied_left) / self.n if self.n else math.nan

    @property
    def se(self) -> float:
        """Standard error of :attr:`share` around :attr:`mean_p` (independent Bernoulli draws)."""
        return math.sqrt(sum(p * (1 - p) for p in self.satisfied_p)) / self.n if self.n else math.nan


def measure(sc: Scenario, replications: int) -> SwitchTally:
    """Every end-of-life choice of the maker's customers in ``replications`` replications of ``sc``."""
    tally = SwitchTally()
    for r in range(replications):
        run_years(sc, r, tally.observe)
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    from sim.scenario.loader import load_scenario

    ap = argparse.ArgumentParser(prog="python -m sim.years.calibration", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("-n", "--replications", type=int, default=2)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    args = ap.parse_args(argv)
    print("scenario | satisfied choices | best rival ÷ maker (median) | P(leave) model | left (drawn) ± SE | others: n, left")
    for f in args.files:
        t = measure(load_scenario(f, args.overrides), args.replications)
        ratio = sorted(t.cost_ratio)[len(t.cost_ratio) // 2] if t.cost_ratio else math.nan
        others = sum(t.others_left) / len(t.others_left) if t.others_left else math.nan
        print(
            f"{f} | {t.n} | {ratio:.2f} | {t.mean_p:.1%} | {t.share:.1%} ± {t.se:.1%} | {len(t.others_left)}, {others:.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
