"""Unit and property tests of the engine's building blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.distributions import sampler
from sim.engine.agenda import Agenda
from sim.engine.environment import CalendarEnvironment
from sim.engine.tally import HIST_LOG_STEP, bin_value, hist_bin, hist_quantile
from sim.rng import stream
from sim.scenario import schema

# a bin's value is its geometric middle, so it is within a factor exp(step/2) of anything in it
HIST_RTOL = math.expm1(HIST_LOG_STEP / 2) + 1e-12

SPECS = [
    (schema.Exponential(dist="exponential", mean=5.0), 5.0, 5.0),
    (schema.Weibull(dist="weibull", shape=2.0, mean=10.0), 10.0, 10.0 * math.sqrt(4 / math.pi - 1)),
    (schema.Weibull(dist="weibull", shape=0.8, scale=3.0), 3.0 * math.gamma(1 + 1 / 0.8), 3.0 * math.sqrt(math.gamma(1 + 2 / 0.8) - math.gamma(1 + 1 / 0.8) ** 2)),
    (schema.Lognormal(dist="lognormal", mean=4.0, cv=0.5), 4.0, 2.0),
    (schema.Gamma(dist="gamma", mean=6.0, cv=0.3), 6.0, 1.8),
    (schema.Uniform(dist="uniform", low=1.0, high=3.0), 2.0, 2.0 / math.sqrt(12)),
    (schema.Deterministic(dist="deterministic", value=7.5), 7.5, 0.0),
]


def assert_variance(x: np.ndarray, variance: float) -> None:
    """Sample variance within 4 standard errors of ``variance``; SE = sqrt((m4 - s^4) / n)."""
    d = x - x.mean()
    s2 = float(d.var(ddof=1))
    se = math.sqrt(max(float((d**4).mean()) - s2 * s2, 0.0) / len(x))
    assert abs(s2 - variance) <= 4 * se, f"variance {s2:.5g} vs {variance:.5g} (SE {se:.3g})"


@pytest.mark.parametrize("spec,mean,std", SPECS, ids=[s[0].dist for s in SPECS])
def test_sampler_moments(spec, mean: float, std: float) -> None:
    s = sampler(spec)
    assert s.mean == pytest.approx(mean)
    rng = stream(3, 0, "test")
    x = np.array([s.sample(rng) for _ in range(20000)])
    assert (x >= 0).all()
    se = std / math.sqrt(len(x))
    assert abs(x.mean() - mean) <= 4 * se + 1e-12
    if std > 0:
        assert_variance(x, std**2)


def test_factor_scales_draws_one_for_one() -> None:
    """A time-to-failure factor rescales the same draws: common random numbers survive it."""
    spec = schema.Weibull(dist="weibull", shape=1.7, mean=100.0)
    a = sampler(spec).sample(stream(1, 0, "x"))
    b = sampler(spec, 1.25).sample(stream(1, 0, "x"))
    assert b == pytest.approx(1.25 * a)


def test_streams_are_keyed_by_name() -> None:
    assert stream(1, 0, "a").random() == stream(1, 0, "a").random()
    assert stream(1, 0, "a").random() != stream(1, 0, "b").random()
    assert stream(1, 0, "a").random() != stream(1, 1, "a").random()
    assert stream(1, 0, "a").random() != stream(2, 0, "a").random()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.integers(0, 5)), min_size=1, max_size=60))
def test_agenda_hands_items_in_time_then_push_order(pushes: list[tuple[float, int]]) -> None:
    """Whatever the push order, items come out sorted by (time, push order), each at its time."""
    env = CalendarEnvironment()
    seen: list[tuple[float, int]] = []
    agenda = Agenda(env, lambda item: seen.append((env.now, item)))
    # push some now, some from inside a callback later: both paths must stay ordered
    half = len(pushes) // 2
    for k, (t, _) in enumerate(pushes[:half]):
        agenda.push(t, k)

    def later(_ev) -> None:
        for k, (t, _) in enumerate(pushes[half:], start=half):
            agenda.push(max(t, env.now), k)

    env.timeout(0.5).callbacks.append(later)
    env.run()
    assert sorted(i for _, i in seen) == list(range(len(pushes)))
    times = [t for t, _ in seen]
    assert times == sorted(times)
    for t, k in seen:
        expected = pushes[k][0] if k < half else max(pushes[k][0], 0.5)
        assert t == pytest.approx(expected, rel=1e-12, abs=1e-12)  # SimPy adds delays to now
    # ties: push order
    for (t1, k1), (t2, k2) in zip(seen, seen[1:]):
        if t1 == t2 and (k1 < half) == (k2 < half):
            assert k1 < k2


@given(st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=300), st.floats(0.01, 0.99))
def test_histogram_quantiles_within_a_tenth_of_a_percent(values: list[float], q: float) -> None:
    hist: dict[int, int] = {}
    for v in values:
        b = hist_bin(v)
        hist[b] = hist.get(b, 0) + 1
    exact = float(np.quantile(values, q, method="inverted_cdf"))
    got = hist_quantile(hist, q)
    if exact < 1e-3:
        assert got == 0.0  # bin 0; every other bin's value is above 1e-3
    else:
        assert abs(got - exact) <= HIST_RTOL * exact
    assert bin_value(0) == 0.0


def test_superposed_depot_demand_thins_into_each_streams_poisson_rate() -> None:
    """One source per depot: part k arrives as a Poisson stream of its own rate."""
    from sim.engine.demand import DepotDemand

    rates = [0.5, 1.5, 3.0]
    src = DepotDemand(stream(9, 0, "demand/D"), [10, 11, 12], rates)
    last = {10: 0.0, 11: 0.0, 12: 0.0}
    gaps: dict[int, list[float]] = {10: [], 11: [], 12: []}
    times, keys = src.until(12000.0)  # about 60,000 arrivals
    for t, key in zip(times.tolist(), keys.tolist()):
        gaps[key].append(t - last[key])
        last[key] = t
    for part, rate in zip((10, 11, 12), rates):
        g = np.array(gaps[part])
        # exponential inter-arrivals of mean 1/rate: mean within 4 SE, CV close to 1
        assert abs(g.mean() - 1 / rate) <= 4 * (1 / rate) / math.sqrt(len(g))
        assert_variance(g, 1 / rate**2)  # exponential: variance = mean squared
    n = sum(len(v) for v in gaps.values())
    share = len(gaps[12]) / n
    assert abs(share - 0.6) <= 4 * math.sqrt(0.6 * 0.4 / n)


def test_merged_demand_is_every_depots_own_arrivals_in_time_order() -> None:
    """The merge hands out exactly each depot's own arrivals, in time order, whatever the block."""
    from sim.engine.demand import REFILL, DemandMerge, DepotDemand

    def sources() -> list[DepotDemand]:
        return [
            DepotDemand(stream(4, 1, "demand/A"), [0, 1], [0.2, 0.05]),
            DepotDemand(stream(4, 1, "demand/B"), [4], [0.01]),
            DepotDemand(stream(4, 1, "demand/C"), [8, 9, 10], [0.3, 0.3, 0.1]),
        ]

    # each depot alone, its arrivals over the horizon in small steps, then redone in plain
    # Python: the same draws, times summed gap by gap as a loop would
    horizon = 20000.0
    alone: dict[int, list[tuple[float, int]]] = {}
    for depot, src in enumerate(sources()):
        steps = [src.until(end) for end in np.linspace(0.5, horizon, 97)]
        alone[depot] = [(t, k) for times, keys in steps for t, k in zip(times.tolist(), keys.tolist())]
        rng = stream(4, 1, f"demand/{'ABC'[depot]}")
        plain: list[tuple[float, int]] = []
        t = 0.0
        while t < horizon:
            gaps = rng.exponential(src.mean_gap_h, REFILL)
            u = rng.random(REFILL) if len(src.keys) > 1 else np.zeros(REFILL)
            for g, x in zip(gaps, u):
                t += g
                if t >= horizon:
                    break
                plain.append((t, int(src.keys[np.searchsorted(src.cum, x, side="right")])))
        assert alone[depot] == plain
    expected = sorted((t, k) for v in alone.values() for t, k in v)
    for per_source in (1, 5, 64, 1000):
        merge = DemandMerge(sources(), per_source=per_source)
        got: list[tuple[float, int]] = []
        while not got or got[-1][0] < horizon:
            got += zip(*merge.next_block())
        assert [x for x in got if x[0] < horizon] == expected


def test_reordering_demand_streams_changes_nothing() -> None:
    from builders import single_depot

    from sim.build import build
    from sim.engine.model import run_replication

    sc = single_depot(0.01, {"dist": "exponential", "mean": 200}, 2, 5000.0, 100.0)
    two = sc.model_copy(
        update={
            "parts": [*sc.parts, sc.parts[0].model_copy(update={"name": "q"})],
            "depots": [sc.depots[0].model_copy(update={"base_stock": {"p": 2, "q": 1}})],
            "demand_streams": [*sc.demand_streams, sc.demand_streams[0].model_copy(update={"name": "t", "part": "q", "rate_per_h": 0.02})],
        }
    )
    flipped = two.model_copy(update={"demand_streams": list(reversed(two.demand_streams))})
    assert run_replication(build(two), 1, 0) == run_replication(build(flipped), 1, 0)


def test_event_loop_makes_no_garbage_cycles() -> None:
    """The run pauses the cyclic collector, so its loop must leave no reference cycles behind.

    Every route is exercised (stock, lateral, emergency from a finite central, backorders,
    technician queues, demand streams, the trace); after the run, while the replication is
    still alive, the collector must find nothing, however long the run.
    """
    import gc

    from builders import depot, network

    from sim.build import build
    from sim.engine.model import Replication
    from sim.engine.outcome import Outcome
    from sim.engine.records import SOURCES

    def garbage_after_run(horizon_h: float) -> tuple[int, Outcome]:
        sc = network(
            [depot("Hangzhou", 30.27, 120.16, technicians=1, jaw=2, drive=1), depot("Chengdu", 30.66, 104.07, jaw=2, drive=1)],
            central={"lat": 30.0, "lon": 120.0, "base_stock": {"jaw": 4, "drive": 2}, "factory_lead_time_h": {"dist": "exponential", "mean": 60}},
            dispatch={"lateral": {"enabled": True, "max_time_h": 48}},
            horizon_h=horizon_h,
            trace=True,
            demand_streams=[{"name": "walk-in", "depot": "Chengdu", "part": "jaw", "rate_per_h": 0.01}],
        )
        rep = Replication(build(sc), 7, 0)
        gc.collect()
        gc.disable()  # so that no automatic pass clears cycles before we count them
        try:
            k = rep.run()
            assert not gc.isenabled()  # the pause leaves a disabled collector disabled
            found = gc.collect()
        finally:
            gc.enable()
        return found, k

    for horizon_h in (2000.0, 16000.0):
        found, outcome = garbage_after_run(horizon_h)
        by_source = dict(zip(SOURCES, outcome.demands_by_source))
        routes = ("stock", "lateral", "emergency", "backorder")
        assert all(by_source[x] > 0 for x in routes), by_source  # every route ran
        assert found == 0


def test_cyclic_gc_pause_restores_the_collector() -> None:
    import gc

    from sim.engine.model import cyclic_gc_paused

    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
