"""Customers over years (sim.years): logit choice, will-fit rule, NPV by hand, CRN with the one-year engine."""

from __future__ import annotations

import math
import tracemalloc
from typing import Any

import pytest
from scipy import stats

from sim.build import build
from sim.engine.model import Replication
from sim.kpis import evaluate
from sim.ledger import CUSTOMERS, PriceList, price, site_customer_costs
from sim.rng import stream
from sim.scenario.schema import Scenario
from sim.years.choice import (
    buys_willfit,
    logit_probabilities,
    pick,
    rival_constants,
    utilities,
)
from sim.years.loop import MarketSetup, initial_customers, run_years, year_replication


def det(value: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": value}


def fleet(market: dict[str, Any] | None, years: int = 3, ttf: dict[str, Any] | None = None, **top: Any) -> Scenario:
    """Two sites of machines next to one depot; failures of one part-consuming component."""
    data: dict[str, Any] = {
        "name": "fleet",
        "seed": 7,
        "horizon_h": 8760,
        "parts": [{"name": "p", "unit_cost": 100, "price": 300, "holding_rate_per_year": 0}],
        "machine_models": [
            {
                "name": "M",
                "price": 800,
                "cost_to_make": 400,
                "life_years": 8,
                "components": [
                    {
                        "name": "c",
                        "part": "p",
                        "time_to_failure_h": ttf or {"dist": "exponential", "mean": 2000},
                        "repair_time_h": {"dist": "exponential", "mean": 3},
                    }
                ],
            }
        ],
        "sites": [
            {"name": "A", "lat": 30.0, "lon": 120.0, "machines": {"M": 2}, "downtime_cost_per_h": 50},
            {"name": "B", "lat": 30.1, "lon": 120.1, "machines": {"M": 3}, "downtime_cost_per_h": 80},
        ],
        "depots": [
            {
                "name": "D",
                "lat": 30.05,
                "lon": 120.05,
                "technicians": 1,
                "technician_cost_per_year": 20,
                "fixed_cost_per_year": 30,
                "base_stock": {"p": 2},
                "replenishment_lead_time_h": det(48),
            }
        ],
        **top,
    }
    if market is not None:
        data["years"] = years
        data["market"] = market
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------- the choice


def test_logit_probabilities_are_the_closed_form() -> None:
    p = logit_probabilities([0.0, math.log(3.0)])
    assert p == pytest.approx([0.25, 0.75], rel=1e-12)
    # the shipped calibration (docs/years.md, A = 5, s = 0.5): at equal cost, K rivals, no switching cost, 5/6 switch
    for k in (1, 2, 5):
        u = utilities([100.0] * (k + 1), [0.0, *rival_constants([None] * k, 5.0)], 0, 0.0, 0.5)
        assert 1.0 - logit_probabilities(u)[0] == pytest.approx(5 / 6, rel=1e-12)
    # a maker twice as cheap still loses 75.2% of its customers (5e^-0.5 / (1 + 5e^-0.5))
    u = utilities([100.0, 200.0], [0.0, math.log(5.0)], 0, 0.0, 0.5)
    assert 1.0 - logit_probabilities(u)[0] == pytest.approx(5 * math.exp(-0.5) / (1 + 5 * math.exp(-0.5)), rel=1e-12)
    assert 0.75 < 1.0 - logit_probabilities(u)[0] < 0.76
    # switching cost counts for every supplier but the current one
    u = utilities([100.0, 100.0], [0.0, 0.0], 0, 50.0, 2.0)
    assert u == pytest.approx([-2.0, -3.0])
    u = utilities([100.0, 100.0], [0.0, 0.0], -1, 50.0, 2.0)
    assert u == pytest.approx([-2.0, -2.0])


def test_logit_choice_frequency_matches_its_probability_within_4_se() -> None:
    costs, constants = [120.0, 100.0, 90.0], [0.2, 0.0, -0.3]
    probs = logit_probabilities(utilities(costs, constants, 1, 15.0, 2.5))
    n = 20_000
    rng = stream(3, 0, "test/choice")
    counts = [0, 0, 0]
    for u in rng.random(n):
        counts[pick(probs, float(u))] += 1
    for c, p in zip(counts, probs):
        se = math.sqrt(n * p * (1 - p))
        assert abs(c - n * p) < 4 * se, (c, n * p)
        assert stats.binomtest(c, n, p).pvalue > 1e-4


def test_choices_in_the_loop_follow_the_logit() -> None:
    """Every customer at end of life leaves for the rival with the closed-form probability."""
    sc = fleet({"rivals": [{"name": "R", "machine_price": 800, "restore_h": 5}]}, years=1)
    mk = MarketSetup(sc)
    reps = 400
    lost = 0
    for r in range(reps):
        customers = initial_customers(mk)
        from sim.years.loop import _choose

        for c in customers:
            c.cost_per_machine_year = mk.rival_costs[c.template][0]  # equal cost: the calibration point
            lost += _choose(mk, c, {}, math.nan, r, 1) != 0
    n, p = reps * 2, 5 / 6  # the defaults: rival_attraction 5 (docs/years.md)
    assert abs(lost - n * p) < 4 * math.sqrt(n * p * (1 - p))


# ----------------------------------------------------------------------------- will-fit


def test_willfit_rule_is_exact() -> None:
    assert buys_willfit(300, 100, 10, 1.5, 48)  # 3× dearer
    assert not buys_willfit(150, 100, 10, 1.5, 48)  # exactly at the ratio: not dearer
    assert buys_willfit(151, 100, 10, 1.5, 48)
    assert not buys_willfit(100, 100, 48, 1.5, 48)  # exactly at the limit: not slower
    assert buys_willfit(100, 100, 48.01, 1.5, 48)


def test_customers_switch_to_willfit_by_the_rule_and_the_maker_sells_no_part() -> None:
    dear = {"willfit": [{"part": "p", "price": 100, "time_to_failure_factor": 0.5, "lead_time_h": 6}]}  # 300/100 > 1.5
    rows = run_years(fleet(dear, years=2), 0)
    assert rows[0].willfit_share == 0.0 and rows[1].willfit_share == 1.0
    fair = {"willfit": [{"part": "p", "price": 250, "rule": {"max_price_ratio": 1.5, "max_restore_h": 1000}}]}
    assert [r.willfit_share for r in run_years(fleet(fair, years=2), 0)] == [0.0, 0.0]
    # year 2 with will-fit: the maker's parts revenue is gone, the customers pay the shops
    sc = fleet(dear, years=2)
    mk = MarketSetup(sc)
    customers = initial_customers(mk)
    for c in customers:
        c.willfit = frozenset({"p"})
    net = mk.network_for(customers)
    o = Replication(net, sc.seed, year_replication(0, 2)).run()
    ledger = price(o, PriceList.of(net))
    units = sum(map(sum, o.site_willfit_units))
    assert units > 0 and sum(map(sum, o.site_part_units)) == 0
    assert ledger.amount("parts") == 0.0 and ledger.amount("willfit_parts") == units * 100.0
    assert evaluate(net, o)["customer_willfit_cost"] == units * 100.0
    # the will-fit part fails twice as often (factor 0.5): with MTTF 2000 h → 1000 h over 5 machines
    assert o.failures == pytest.approx(5 * 8760 / 1000, rel=0.25)


def test_willfit_part_fails_by_its_own_distribution() -> None:
    """``time_to_failure_h`` of a will-fit copy replaces the component's law (the factor is then ignored)."""
    own = {"willfit": [{"part": "p", "price": 100, "time_to_failure_factor": 0.1,
                        "time_to_failure_h": {"dist": "exponential", "mean": 700}}]}
    sc = fleet(own, years=2)
    mk = MarketSetup(sc)
    customers = initial_customers(mk)
    for c in customers:
        c.willfit = frozenset({"p"})
    net = mk.network_for(customers)
    failures = operating_h = 0.0
    for r in range(5):
        o = Replication(net, sc.seed, year_replication(r, 2)).run()
        failures += o.failures
        operating_h += o.machines * o.window_h - sum(o.site_downtime_h)
    expected = operating_h / 700  # exponential: a Poisson count over the operating hours (2000 × 0.1 would give 3.5× more)
    assert abs(failures - expected) < 4 * math.sqrt(expected), (failures, expected)
    assert sum(map(sum, o.site_willfit_units)) == o.failures and sum(map(sum, o.site_part_units)) == 0


def test_site_costs_add_up_to_the_customers_total() -> None:
    sc = fleet({"willfit": [{"part": "p", "price": 100}]}, years=2)
    mk = MarketSetup(sc)
    customers = initial_customers(mk)
    customers[1].willfit = frozenset({"p"})
    net = mk.network_for(customers)
    o = Replication(net, 7, 3).run()
    prices = PriceList.of(net)
    assert sum(site_customer_costs(o, prices)) == pytest.approx(-price(o, prices).net(CUSTOMERS), rel=1e-12)


# ----------------------------------------------------------------------------- money over years


def test_npv_equals_a_hand_computation() -> None:
    """No failures (deterministic TTF past the horizon), no rivals: the same profit every year."""
    sc = fleet({"discount_rate_per_year": 0.10}, years=3, ttf=det(20_000))
    rows = run_years(sc, 0)
    # revenue 5 machines × 800/8; cost 5 × 400/8 + depot 30 + technician 20 → profit 250 − 50 = 200... per year:
    profit = 5 * 800 / 8 - 5 * 400 / 8 - 30 - 20
    assert [r.maker_profit for r in rows] == pytest.approx([profit] * 3, rel=1e-12)
    hand = profit / 1.1 + profit / 1.1**2 + profit / 1.1**3
    assert rows[-1].npv == pytest.approx(hand, rel=1e-12)
    assert [r.discounted_profit for r in rows] == pytest.approx([profit / 1.1**y for y in (1, 2, 3)], rel=1e-12)
    assert all(r.installed_base == 5 and r.market_share == 1.0 for r in rows)


def test_one_year_without_churn_and_arrivals_is_the_single_horizon_run() -> None:
    sc = fleet({"rivals": [{"name": "R", "machine_price": 500, "restore_h": 4}], "choice": {"churn": False}}, years=1)
    net = build(sc)
    for r in (0, 3):
        (row,) = run_years(sc, r)
        k = evaluate(net, Replication(net, sc.seed, r).run())
        assert row.maker_profit == k["maker_profit"] and row.maker_revenue == k["maker_revenue"]
        assert row.customer_total_cost == k["customer_total_cost"]


def test_later_years_draw_new_failures() -> None:
    rows = run_years(fleet({}, years=3), 0)
    assert len({r.customer_total_cost for r in rows}) == 3
    assert year_replication(4, 1) == 4 and year_replication(4, 3) == 200_004


def test_end_of_life_and_arrivals_move_the_installed_base() -> None:
    market = {
        "rivals": [{"name": "R", "machine_price": 100, "restore_h": 1}],  # far cheaper: the customers leave
        "choice": {"sensitivity": 30},
        "initial_age_years": {"A": 7, "B": 7},
        "new_customers_per_year": 4,
        "new_customer_templates": ["A"],
    }
    rows = run_years(fleet(market, years=3), 1)
    assert rows[0].customers_lost + rows[0].customers_retained == 2 and rows[0].customers_lost >= 1
    assert rows[1].installed_base < 5 or rows[0].customers_won > 0
    churn_off = dict(market, choice={"churn": False}, new_customers_per_year=0)
    rows = run_years(fleet(churn_off, years=3), 1)
    assert [r.installed_base for r in rows] == [5, 5, 5] and rows[0].customers_retained == 2


def test_memory_is_flat_in_years() -> None:
    def peak(years: int) -> int:
        sc = fleet({"rivals": [{"name": "R", "machine_price": 800, "restore_h": 20}]}, years=years)
        tracemalloc.start()
        run_years(sc, 0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(1)  # warm imports and caches
    assert peak(8) < 1.2 * peak(2)  # a few rows more, nothing per event


def test_market_cross_checks() -> None:
    sc = fleet(None)
    bad = sc.model_copy(update={"years": 2})
    assert (("market",), "required when years is set") in bad.problems()
    with_market = fleet({"new_customer_templates": ["Z"], "willfit": [{"part": "q", "price": 1}]})
    paths = [p for p, _ in with_market.problems()]
    assert ("market", "new_customer_templates", 0) in paths and ("market", "willfit", 0, "part") in paths


def test_training_fee_is_a_ledger_flow_by_hand() -> None:
    """A training contract: fee × machine-years from customers to the maker; its factor makes failures rarer."""
    plan = {"name": "trained", "training_fee_per_machine_year": 1000, "time_to_failure_factor": 2.0}
    base = fleet({}, years=2, ttf=det(20_000))
    sites = [s.model_copy(update={"service_plan": "trained"}) for s in base.sites]
    sc = Scenario.model_validate(
        {**base.model_dump(by_alias=True), "service_plans": [plan], "sites": [s.model_dump() for s in sites]}
    )
    net = build(sc)
    o = Replication(net, sc.seed, 0).run()
    prices = PriceList.of(net)
    ledger = price(o, prices)
    assert ledger.amount("training") == 5 * 1000.0  # 5 machines × one year × 1000
    k = evaluate(net, o)
    assert k["customer_training_cost"] == k["maker_revenue_training"] == 5000.0
    assert sum(site_customer_costs(o, prices)) == pytest.approx(-ledger.net(CUSTOMERS), rel=1e-12)
    # over years the fee is in the maker's profit: 5 × (800 − 400) / 8 − 30 − 20 + 5000
    rows = run_years(sc, 0)
    assert rows[0].maker_profit == pytest.approx(5 * 400 / 8 - 50 + 5000, rel=1e-12)
    # the plan's factor doubles every time to failure: half the failures of the plain fleet (4 SE)
    plain = fleet({}, years=1)
    trained = Scenario.model_validate(
        {**plain.model_dump(by_alias=True), "service_plans": [plan],
         "sites": [s.model_copy(update={"service_plan": "trained"}).model_dump() for s in plain.sites]}
    )
    n_plain = sum(Replication(build(plain), 7, r).run().failures for r in range(10))
    n_trained = sum(Replication(build(trained), 7, r).run().failures for r in range(10))
    assert abs(n_trained - n_plain / 2) < 4 * math.sqrt(n_plain / 2)


def test_willfit_by_slow_service_follows_the_rule_exactly() -> None:
    """Deterministic: every part waits for a 48 h replenishment (no stock, no emergency), so every
    restore takes more than 48 h; the genuine price is within the ratio, so only the restore limit decides."""

    def slow(max_restore_h: float) -> Scenario:
        rule = {"max_price_ratio": 1.5, "max_restore_h": max_restore_h}
        sc = fleet({"willfit": [{"part": "p", "price": 250, "rule": rule}]}, years=2, ttf=det(3000))
        depots = [sc.depots[0].model_copy(update={"base_stock": {"p": 0}})]
        dispatch = sc.dispatch.model_copy(update={"emergency": sc.dispatch.emergency.model_copy(update={"enabled": False})})
        return sc.model_copy(update={"depots": depots, "dispatch": dispatch})

    mk = MarketSetup(slow(48.0))
    net = mk.network_for(initial_customers(mk))
    o = Replication(net, 7, 0).run()  # year 1 of replication 0: the same streams as run_years
    restore = [d / v for d, v in zip(o.site_downtime_h, o.site_visits)]
    assert min(restore) > 48.0 and restore[0] != restore[1]
    assert [r.willfit_share for r in run_years(slow(48.0), 0)] == [0.0, 1.0]  # both sites slower than 48 h
    assert [r.willfit_share for r in run_years(slow(max(restore)), 0)] == [0.0, 0.0]  # not slower than the limit
    between = run_years(slow(sum(restore) / 2), 0)[1].willfit_share  # exactly one site is slower
    assert 0.0 < between < 1.0


def test_a_years_outage_experience_feeds_the_next_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow service in year 1 (no stock: every part waits 48 h) raises the experienced cost the loop puts in
    the logit, and with it the probability of losing the customer at the end of life, on the same streams."""
    from sim.years import loop

    seen: list[tuple[list[float], float]] = []
    real = loop.utilities

    def spy(costs, constants, current, switching, sensitivity):  # type: ignore[no-untyped-def]
        u = real(costs, constants, current, switching, sensitivity)
        seen.append((list(costs), 1.0 - logit_probabilities(u)[0]))
        return u

    monkeypatch.setattr(loop, "utilities", spy)
    market = {"rivals": [{"name": "R", "machine_price": 800, "restore_h": 20}], "initial_age_years": {"A": 7, "B": 7}}

    def run(slow: bool) -> tuple[list[tuple[list[float], float]], list[float]]:
        sc = fleet(market, years=1, ttf=det(1500))
        if slow:
            depots = [sc.depots[0].model_copy(update={"base_stock": {"p": 0}})]
            emergency = sc.dispatch.emergency.model_copy(update={"enabled": False})
            sc = sc.model_copy(update={"depots": depots, "dispatch": sc.dispatch.model_copy(update={"emergency": emergency})})
        # the year's experienced cost per machine-year, from the ledger of the same year-1 run
        net = MarketSetup(sc).network_for(initial_customers(MarketSetup(sc)))
        o = Replication(net, sc.seed, year_replication(0, 1)).run()
        costs = site_customer_costs(o, PriceList.of(net))
        per_machine_year = [c / (n * o.window_h / 8760) for c, n in zip(costs, o.site_machines)]
        seen.clear()
        run_years(sc, 0)
        return list(seen), per_machine_year

    fast_seen, fast_cost = run(False)
    slow_seen, slow_cost = run(True)
    assert len(fast_seen) == len(slow_seen) == 2  # A and B at the end of life after year 1
    for (fc, fp), (sc_, sp), f_exp, s_exp in zip(fast_seen, slow_seen, fast_cost, slow_cost):
        assert fc[0] == pytest.approx(f_exp, rel=1e-9) and sc_[0] == pytest.approx(s_exp, rel=1e-9)
        assert fc[1:] == sc_[1:]  # the rival's stated cost does not depend on the maker's service
        assert sc_[0] > 1.2 * fc[0]  # the downtime of waiting for parts
        assert sp > fp + 0.01  # worse service: the customer is more likely lost


def test_satisfied_customers_of_a_shipped_scenario_still_switch_65_to_85_percent() -> None:
    """The calibration (docs/years.md): of the maker's customers at end of life whose cost is at most the
    best rival's ("satisfied"), 65-85% leave (Bain via the source, case 5), on years_dense_premium.yaml."""
    from pathlib import Path

    from sim.scenario.loader import load_scenario
    from sim.years.calibration import measure

    path = Path(__file__).resolve().parent.parent / "scenarios" / "years_dense_premium.yaml"
    t = measure(load_scenario(path, ["years=3"]), replications=1)
    assert t.n >= 60
    assert 0.65 <= t.mean_p <= 0.85, t.mean_p  # the model's probability, customer by customer
    assert abs(t.share - t.mean_p) < 4 * t.se, (t.share, t.mean_p, t.se)  # the draws follow it
    assert 0.65 - 3 * t.se <= t.share <= 0.85 + 3 * t.se, (t.share, t.se)
    if t.others_p:  # the dissatisfied are more likely to leave
        assert sum(t.others_p) / len(t.others_p) > t.mean_p
