"""A published two-echelon example reproduced to its printed digits (issue 12).

Source
------
S. Axsäter (1993), "Exact and approximate evaluation of batch-ordering policies for
two-level inventory systems", Operations Research 41(4), 777-785: Table I (the 32 test
problems of Svoronos and Zipkin, 1988, and two policies for each: Deuermeyer and
Schwarz's, "D&S", and Svoronos and Zipkin's, "S&Z"), Table II (exact cost at the D&S
policy) and Table III (exact cost at the S&Z policy). Costs are printed to two decimals.

The figures below were read from the transcription of those tables in the public
repository https://github.com/rossetti/RossettiInventoryBookCode, file
src/test/kotlin/inventory/multiechelon/AxsaterPublishedTest.kt (commit 3d92ccdb0e58),
whose own test recomputes all 64 exact costs with an independent exact method and
agrees to rounding. The paper itself was not at hand; the agreement below (a third,
independent computation) is evidence that the transcription is right.

System (the paper's): one central warehouse and N identical retailers (our depots);
Poisson demand of rate lambda at each retailer; deterministic lead times, L0 = 1 from
the outside supplier to the warehouse and L = 1 from the warehouse to each retailer;
complete backordering at both levels, first come first served at the warehouse;
holding cost h0 = h = 1 per unit on hand per time unit at the warehouse and at each
retailer; backorder cost beta per unit backordered per time unit at the retailers.
Only the one-for-one problems are used here (both batch sizes 1: problems 1, 5, 9, 13,
17, 21, 25, 29); a reorder point R is then a base stock S = R + 1. Cost per time unit:

    C = h0 E[on hand at the warehouse] + sum_j (h E[on hand at j] + beta E[backorders at j]).

Printed figures reproduced (METRIC and VARI-METRIC are exact here, see
sim.theory.metric): the rows with S0 = 0 (every retailer order waits exactly L0 at the
warehouse, so each retailer is Palm with lead time L0 + L) and the rows with Sj = 0 (a
retailer holds nothing and its backorders are its whole pipeline, whose mean
lambda (L + EBO0 / lambda0) is exact):

    problem 1  (N = 4,  lambda = 0.1, beta = 20), D&S, S0 = 0, Sj = 2:  7.30
    problem 1  (N = 4,  lambda = 0.1, beta = 20), S&Z, S0 = 0, Sj = 1:  4.77
    problem 5  (N = 4,  lambda = 0.1, beta = 5),  S&Z, S0 = 1, Sj = 0:  3.02
    problem 9  (N = 32, lambda = 0.1, beta = 20), D&S, S0 = 0, Sj = 2: 58.41
    problem 13 (N = 32, lambda = 0.1, beta = 5),  S&Z, S0 = 5, Sj = 0: 18.85

The other eleven one-for-one rows are exact costs where METRIC and VARI-METRIC are
approximations; they are not reproductions, and the last test only records how close
the two approximations come (METRIC below the exact cost by up to 0.63, VARI-METRIC
within 0.02).
"""

from __future__ import annotations

import math

import pytest

from sim.theory import metric

L0 = 1.0  # supplier -> warehouse lead time
L = 1.0  # warehouse -> retailer transport time
H0 = H = 1.0  # holding cost per unit on hand per time unit

# (problem, policy, lambda per retailer, N retailers, beta, S0, Sj, printed exact cost)
# S = R + 1 from Table I's reorder points (hub R, store R): D&S and S&Z columns.
EXACT_FOR_METRIC = [
    (1, "D&S", 0.1, 4, 20.0, 0, 2, 7.30),  # R = (-1, 1)
    (1, "S&Z", 0.1, 4, 20.0, 0, 1, 4.77),  # R = (-1, 0)
    (5, "S&Z", 0.1, 4, 5.0, 1, 0, 3.02),  # R = (0, -1)
    (9, "D&S", 0.1, 32, 20.0, 0, 2, 58.41),  # R = (-1, 1)
    (13, "S&Z", 0.1, 32, 5.0, 5, 0, 18.85),  # R = (4, -1)
]

APPROXIMATE_FOR_METRIC = [
    (5, "D&S", 0.1, 4, 5.0, 1, 1, 4.37),  # R = (0, 0)
    (9, "S&Z", 0.1, 32, 20.0, 4, 1, 33.80),  # R = (3, 0)
    (13, "D&S", 0.1, 32, 5.0, 5, 1, 31.65),  # R = (4, 0)
    (17, "D&S", 1.0, 4, 20.0, 4, 4, 13.01),  # R = (3, 3)
    (17, "S&Z", 1.0, 4, 20.0, 5, 3, 12.02),  # R = (4, 2)
    (21, "D&S", 1.0, 4, 5.0, 4, 3, 9.17),  # R = (3, 2)
    (21, "S&Z", 1.0, 4, 5.0, 4, 2, 8.13),  # R = (3, 1)
    (25, "D&S", 1.0, 32, 20.0, 35, 3, 84.90),  # R = (34, 2)
    (25, "S&Z", 1.0, 32, 20.0, 32, 3, 84.42),  # R = (31, 2)
    (29, "D&S", 1.0, 32, 5.0, 28, 3, 67.51),  # R = (27, 2)
    (29, "S&Z", 1.0, 32, 5.0, 31, 2, 55.95),  # R = (30, 1)
]


def _cost(lam: float, n: int, beta: float, s0: int, sj: int, method: str) -> float:
    r = metric([lam] * n, [L] * n, [sj] * n, L0, s0, method=method)
    retailers = sum(H * d.expected_on_hand + beta * d.expected_backorders for d in r.depots)
    return H0 * r.central.expected_on_hand + retailers


@pytest.mark.parametrize("method", ["metric", "vari-metric"])
@pytest.mark.parametrize(
    "problem, policy, lam, n, beta, s0, sj, printed",
    EXACT_FOR_METRIC,
    ids=[f"problem{p[0]}-{p[1]}" for p in EXACT_FOR_METRIC],
)
def test_axsater_1993_exact_costs_reproduced(problem, policy, lam, n, beta, s0, sj, printed, method):
    cost = _cost(lam, n, beta, s0, sj, method)
    # printed to two decimals: within half a unit of the last digit
    assert abs(cost - printed) <= 0.005 + 1e-9, (problem, policy, method, cost, printed)
    assert round(cost, 2) == pytest.approx(printed, abs=1e-9)


def test_axsater_1993_exact_costs_hand_check():
    """Problem 1, S&Z: each retailer is Palm with lead time L0 + L = 2, pipeline Poisson(0.2), S = 1.

    On hand E[(1 - N)^+] = P(N = 0) = e^-0.2; backorders E[(N - 1)^+] = 0.2 - 1 + e^-0.2.
    """
    per_retailer = math.exp(-0.2) + 20.0 * (0.2 - 1.0 + math.exp(-0.2))
    assert 4 * per_retailer == pytest.approx(_cost(0.1, 4, 20.0, 0, 1, "metric"), rel=1e-12)
    assert round(4 * per_retailer, 2) == 4.77


@pytest.mark.parametrize(
    "problem, policy, lam, n, beta, s0, sj, printed",
    APPROXIMATE_FOR_METRIC,
    ids=[f"problem{p[0]}-{p[1]}" for p in APPROXIMATE_FOR_METRIC],
)
def test_axsater_1993_where_metric_approximates(problem, policy, lam, n, beta, s0, sj, printed):
    """Not a reproduction: the printed figure is the exact cost, METRIC's is an approximation.

    Records the known behaviour: METRIC's Poisson retailer pipeline misses the variance the
    warehouse delay adds, so its cost comes out below the exact one (by 0.01 to 0.63 here);
    VARI-METRIC's negative binomial is within 0.02 of it and always the closer of the two.
    """
    m = _cost(lam, n, beta, s0, sj, "metric")
    v = _cost(lam, n, beta, s0, sj, "vari-metric")
    assert m < printed - 0.005, (problem, policy, m, printed)
    assert abs(v - printed) < 0.025, (problem, policy, v, printed)
    assert abs(v - printed) < abs(m - printed)


# --------------------------------------------------------------------------------------
# A printed METRIC and VARI-METRIC example: Rossetti's utility transformers
# --------------------------------------------------------------------------------------

#: The figures Chapter 9 ("multi-echelon") of M. D. Rossetti's inventory textbook prints for its
#: running example (the examples labelled @exm-metric-transformer, @exm-worksheet-contract and
#: @exm-varimetric-transformer), as transcribed in the book's own code repository
#: (https://github.com/rossetti/RossettiInventoryBookCode, file
#: src/test/kotlin/inventory/multiechelon/ChapterExamplesTest.kt, "Every figure Chapter 9 prints").
#: A utility: one repair depot (central repair 60 days, stock S0 = 16) and four alike storerooms,
#: each with 45 transformer failures a year, 30% repaired on site in 30 days, the rest sent to the
#: depot and resupplied in 10 days (order and ship), base stock 4 each. Time unit: days.
ROSSETTI_PRINTED = {
    "central_ebo": (5.0201, 4),
    "central_delay_days": (14.54, 2),
    "base_pipeline_mean": (3.2276, 4),
    "vari_metric_pipeline_variance": (3.9527, 4),
    "vari_metric_base_ebo": (0.4815, 4),
    "vari_metric_total_base_ebo": (1.9259, 4),
    "vari_metric_base_on_hand": (1.2539, 4),
    "metric_base_ebo": (0.4055, 4),
    "metric_total_base_ebo": (1.6218, 4),
}


def _utility(method: str, central_repair_days: float = 60.0, central_stock: int = 16):
    return metric(
        [45.0 / 365.0] * 4,
        [10.0] * 4,
        [4] * 4,
        central_repair_days,
        central_stock,
        method,  # type: ignore[arg-type]
        depot_repair_shares=[0.3] * 4,
        depot_repair_means=[30.0] * 4,
    )


def _printed(value: float, key: str) -> None:
    printed, digits = ROSSETTI_PRINTED[key]
    assert abs(value - printed) <= 0.5 * 10.0**-digits, f"{key}: {value} does not round to the printed {printed}"


def test_rossetti_chapter9_utility_metric_and_vari_metric_to_the_printed_digits() -> None:
    """METRIC and VARI-METRIC with depot repair shares reproduce every printed figure of the example.

    Central: Palm with λ0 = 4 × 0.7 × 45/365 per day and 60 days of repair, S0 = 16: EBO0 5.0201,
    delay EBO0/λ0 = 14.54 days. A storeroom's pipeline mean 0.3×λ×30 + 0.7×λ×(10 + 14.54) = 3.2276
    (both methods); VARI-METRIC's variance 3.9527 gives EBO 0.4815 per storeroom (1.9259 for four)
    and on hand 1.2539; METRIC's Poisson pipeline gives 0.4055 (1.6218 for four).
    """
    vm = _utility("vari-metric")
    me = _utility("metric")
    _printed(vm.central.expected_backorders, "central_ebo")
    _printed(vm.central_delay, "central_delay_days")
    for r in (vm, me):
        _printed(r.depots[0].pipeline_mean, "base_pipeline_mean")
    _printed(vm.depot_pipeline_variance[0], "vari_metric_pipeline_variance")
    _printed(vm.depots[0].expected_backorders, "vari_metric_base_ebo")
    _printed(sum(d.expected_backorders for d in vm.depots), "vari_metric_total_base_ebo")
    _printed(vm.depots[0].expected_on_hand, "vari_metric_base_on_hand")
    _printed(me.depots[0].expected_backorders, "metric_base_ebo")
    _printed(sum(d.expected_backorders for d in me.depots), "metric_total_base_ebo")


def test_rossetti_chapter9_repair_contract_to_the_printed_digits() -> None:
    """The example's repair contract: central repair cut to 45 days (printed EBO0 1.3500, delay 3.91
    days, storeroom pipeline 2.3101, four storerooms' VARI-METRIC EBO 0.6091), against buying stock
    instead (S0 = 22 at 60 days: 0.6005)."""
    fast = _utility("vari-metric", central_repair_days=45.0)
    assert abs(fast.central.expected_backorders - 1.3500) <= 5e-5
    assert abs(fast.central_delay - 3.91) <= 5e-3
    assert abs(fast.depots[0].pipeline_mean - 2.3101) <= 5e-5
    assert abs(sum(d.expected_backorders for d in fast.depots) - 0.6091) <= 5e-5
    stocked = _utility("vari-metric", central_stock=22)
    assert abs(sum(d.expected_backorders for d in stocked.depots) - 0.6005) <= 5e-5
