"""Common random numbers and reproducibility."""

from __future__ import annotations

import math
from collections import defaultdict

from builders import depot, kpis, network

from sim.build import build
from sim.engine.model import Replication
from sim.engine.records import Failure, Restore
from sim.engine.tally import HIST_LOG_STEP
from sim.kpis import evaluate
from sim.runner import run_scenarios

# a bin's value is its geometric middle, so it is within a factor exp(step/2) of anything in it
HIST_RTOL = math.expm1(HIST_LOG_STEP / 2) + 1e-12


def failure_ages(scenario, replication: int = 0) -> dict[tuple[str, str], list[float]]:
    """Per machine and component: the operating ages at which it failed."""
    rep = Replication(build(scenario), scenario.seed, replication)
    rep.run()
    ages: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rec in rep.trace or []:
        if isinstance(rec, Failure):
            ages[(rec.machine, rec.component)].append(rec.age_h)
    return ages


def same_failures(a: dict, b: dict, min_shared: float) -> int:
    """Assert each component shared by two runs failed at the same ages (common prefix); count them."""
    common = set(a) & set(b)
    assert len(common) >= min_shared * len(a)
    compared = 0
    for key in common:
        n = min(len(a[key]), len(b[key]))
        assert a[key][:n] == b[key][:n], key
        compared += n
    return compared


def test_changing_the_depot_network_leaves_failures_unchanged() -> None:
    """Same fleet, very different networks: every component fails at the same operating ages.

    Calendar failure times differ by the downtime accumulated before them (a machine that is
    down does not age), so failures are compared in operating hours, prefix by prefix.
    """
    dense = network([depot("Hangzhou", 30.27, 120.16), depot("Shanghai", 31.23, 121.47), depot("Chengdu", 30.66, 104.07)], trace=True, warmup_h=0.0)
    sparse = network([depot("Wenzhou", 28.0, 120.7, technicians=1, jaw=1, drive=0, lead_h=240)], trace=True, warmup_h=0.0)
    a, b = failure_ages(dense), failure_ages(sparse)
    assert same_failures(a, b, min_shared=0.8) > 100
    # and the networks really differ in how long machines are down
    down_a = kpis(build(dense), dense.seed, 0)["customer_downtime_h"]
    down_b = kpis(build(sparse), sparse.seed, 0)["customer_downtime_h"]
    assert down_b > 2 * down_a


def test_reordering_sites_leaves_streams_unchanged() -> None:
    """Streams are keyed by name: listing sites in another order changes no draw."""
    depots = [depot("Hangzhou", 30.27, 120.16), depot("Chengdu", 30.66, 104.07)]
    sc = network(depots, trace=True)
    flipped = sc.model_copy(update={"sites": list(reversed(sc.sites))})
    assert failure_ages(sc) == failure_ages(flipped)
    assert kpis(build(sc), sc.seed, 3) == kpis(build(flipped), sc.seed, 3)


def test_replications_differ_and_repeat() -> None:
    sc = network([depot("Hangzhou", 30.27, 120.16)])
    net = build(sc)
    r0, r1 = Replication(net, sc.seed, 0).run(), Replication(net, sc.seed, 1).run()
    assert r0 != r1
    assert Replication(net, sc.seed, 0).run() == r0


def test_repair_and_restore_records_are_consistent() -> None:
    sc = network([depot("Hangzhou", 30.27, 120.16), depot("Chengdu", 30.66, 104.07)], trace=True, warmup_h=0.0)
    rep = Replication(build(sc), sc.seed, 0)
    k = evaluate(rep.net, rep.run())
    restores = [r for r in rep.trace if isinstance(r, Restore)]
    assert len(restores) == k["outages_restored"]
    for r in restores:
        assert r.restore_t > max(r.part_t, r.technician_t) - 1e-9
        assert r.part_t >= r.fail_t and r.technician_t >= r.fail_t
    durations = sorted(r.restore_t - r.fail_t for r in restores)
    open_elapsed = [sc.horizon_h - j.fail_t for j in rep.jobs if j is not None]
    for limit in (4, 8, 24, 48):
        ok = sum(1 for d in durations if d <= limit)
        known = len(durations) + sum(1 for e in open_elapsed if e > limit)
        assert k[f"restored_within_{limit}h_share"] == ok / known
    assert abs(sum(durations) / len(durations) - k["restore_time_mean_h"]) < 1e-9
    assert max(durations) == k["restore_time_max_h"]
    # percentiles come from a 0.2%-wide log histogram
    import numpy as np

    for q, name in ((0.5, "restore_time_p50_h"), (0.9, "restore_time_p90_h")):
        exact = float(np.quantile(durations, q, method="inverted_cdf"))
        assert abs(k[name] - exact) <= HIST_RTOL * exact + 1e-9


def test_run_scenarios_share_seed_and_indices() -> None:
    """Compare-style runs: scenario B in replication i sees A's failure streams."""
    a = network([depot("Hangzhou", 30.27, 120.16)])
    b = a.model_copy(update={"seed": 999})
    ra, rb = run_scenarios([a, b], replications=3, seed=42)
    assert ra.rows == rb.rows  # the file's own seed is overridden by the common one


def test_changing_repair_times_leaves_failures_unchanged() -> None:
    """Failures and repairs draw from separate streams: faster repair, same failures."""
    base = network([depot("Hangzhou", 30.27, 120.16), depot("Chengdu", 30.66, 104.07)], trace=True, warmup_h=0.0)
    data = base.model_dump()
    for comp in data["machine_models"][0]["components"]:
        comp["repair_time_h"] = {"dist": "exponential", "mean": 0.5}
    quick = type(base).model_validate(data)
    a, b = failure_ages(base), failure_ages(quick)
    assert same_failures(a, b, min_shared=0.9) > 100
    assert kpis(build(quick), quick.seed, 0)["restore_time_mean_h"] < kpis(build(base), base.seed, 0)["restore_time_mean_h"]
