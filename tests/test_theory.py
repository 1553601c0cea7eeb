"""Tests for sim.theory: closed forms against hand values and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.theory import (
    BaseStockResult,
    backorder_moments,
    central_resupply_mean,
    erlang_loss,
    queue_wait,
    machine_repairman,
    metric,
    negbin_base_stock,
    palm,
)


def _brute_base_stock(pmf: np.ndarray, s: int) -> tuple[float, float, float]:
    """(fill, EBO, on hand) by direct summation over k = 0..len(pmf)-1."""
    k = np.arange(pmf.size)
    fill = float(pmf[:s].sum())
    ebo = float((np.maximum(k - s, 0) * pmf).sum())
    on_hand = float((np.maximum(s - k, 0) * pmf).sum())
    return fill, ebo, on_hand


def _assert_same(a: BaseStockResult, b: BaseStockResult, rel: float = 1e-10) -> None:
    for name in ("fill_rate", "expected_backorders", "mean_wait", "expected_on_hand", "pipeline_mean"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=rel, abs=1e-14), name


# --- Palm -------------------------------------------------------------------------


def test_reference_workload() -> None:
    r = palm(0.2, 10.0, 4)
    assert round(r.fill_rate, 5) == 0.85712
    assert r.fill_rate == pytest.approx(math.exp(-2) * (1 + 2 + 2 + 4 / 3), rel=1e-12)
    assert round(r.mean_wait, 4) == 0.3757
    ebo_hand = 2 - 4 + math.exp(-2) * (4 + 3 * 2 + 2 * 2 + 1 * 4 / 3)
    assert r.expected_backorders == pytest.approx(ebo_hand, rel=1e-12)
    assert r.mean_wait == pytest.approx(ebo_hand / 0.2, rel=1e-12)
    assert r.pipeline_mean == pytest.approx(2.0)


@pytest.mark.parametrize("mu", [0.05, 0.7, 2.0, 5.5, 13.0, 40.0])
@pytest.mark.parametrize("s", [0, 1, 3, 8, 20, 60])
def test_palm_matches_brute_force(mu: float, s: int) -> None:
    pmf = stats.poisson(mu).pmf(np.arange(201))
    fill, ebo, on_hand = _brute_base_stock(pmf, s)
    r = palm(mu / 4.0, 4.0, s)
    assert r.fill_rate == pytest.approx(fill, rel=1e-10, abs=1e-15)
    assert r.expected_backorders == pytest.approx(ebo, rel=1e-9, abs=1e-15)
    assert r.expected_on_hand == pytest.approx(on_hand, rel=1e-10, abs=1e-15)
    # Stock balance: on hand - backorders = S - pipeline.
    assert r.expected_on_hand - r.expected_backorders == pytest.approx(s - mu, abs=1e-9)
    assert r.mean_wait == pytest.approx(r.expected_backorders / (mu / 4.0), rel=1e-12)


def test_palm_s_zero() -> None:
    r = palm(0.3, 7.0, 0)
    assert r.fill_rate == 0.0
    assert r.expected_backorders == pytest.approx(2.1, rel=1e-12)
    assert r.mean_wait == pytest.approx(7.0, rel=1e-12)  # every demand waits a lead time
    assert r.expected_on_hand == 0.0


def test_palm_zero_pipeline() -> None:
    r = palm(0.5, 0.0, 3)
    assert (r.fill_rate, r.expected_backorders, r.mean_wait, r.expected_on_hand) == (1.0, 0.0, 0.0, 3.0)
    r0 = palm(0.0, 5.0, 2)
    assert r0.fill_rate == 1.0 and r0.expected_backorders == 0.0 and r0.mean_wait == 0.0


def test_palm_far_tail_keeps_relative_precision() -> None:
    # EBO(S) for S >> mu is tiny; 1-cdf or mu-S+onhand would return 0 or noise.
    r = palm(1.0, 2.0, 30)
    k = np.arange(31, 200)
    exact = float(((k - 30) * stats.poisson(2.0).pmf(k)).sum())
    assert exact > 0
    assert r.expected_backorders == pytest.approx(exact, rel=1e-8)
    assert r.fill_rate == 1.0  # P(N > 29) is below double precision


def test_palm_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        palm(0.1, 1.0, -1)
    with pytest.raises(ValueError):
        palm(-0.1, 1.0, 1)


def test_backorder_variance_brute_force() -> None:
    mu, s = 3.7, 4
    k = np.arange(300)
    pmf = stats.poisson(mu).pmf(k)
    b = np.maximum(k - s, 0)
    ebo, vbo = backorder_moments(stats.poisson(mu), s)
    assert ebo == pytest.approx(float((b * pmf).sum()), rel=1e-10)
    assert vbo == pytest.approx(float((b * b * pmf).sum() - (b * pmf).sum() ** 2), rel=1e-9)
    assert backorder_moments(stats.poisson(mu), 0)[1] == pytest.approx(mu, rel=1e-10)


# --- Negative binomial ------------------------------------------------------------


@pytest.mark.parametrize("s", [0, 1, 2, 5, 11])
def test_negbin_with_poisson_variance_equals_palm(s: int) -> None:
    _assert_same(negbin_base_stock(0.25, 2.5, 2.5, s), palm(0.25, 10.0, s))


@pytest.mark.parametrize("mean,var,s", [(2.0, 3.0, 3), (1.0, 100.0, 5), (6.0, 9.0, 0), (6.0, 9.0, 12)])
def test_negbin_matches_brute_force(mean: float, var: float, s: int) -> None:
    dist = stats.nbinom(mean * mean / (var - mean), mean / var)
    assert dist.mean() == pytest.approx(mean) and dist.var() == pytest.approx(var)
    pmf = dist.pmf(np.arange(20000))
    fill, ebo, on_hand = _brute_base_stock(pmf, s)
    r = negbin_base_stock(0.5, mean, var, s)
    assert r.fill_rate == pytest.approx(fill, rel=1e-10, abs=1e-15)
    assert r.expected_backorders == pytest.approx(ebo, rel=1e-8)
    assert r.expected_on_hand == pytest.approx(on_hand, rel=1e-10, abs=1e-15)
    assert r.mean_wait == pytest.approx(ebo / 0.5, rel=1e-8)


def test_negbin_more_variance_means_lower_fill_when_s_above_mean() -> None:
    p = negbin_base_stock(0.2, 2.0, 2.0, 4)
    nb = negbin_base_stock(0.2, 2.0, 4.0, 4)
    assert nb.fill_rate < p.fill_rate and nb.expected_backorders > p.expected_backorders


# --- Machine repairman ------------------------------------------------------------


def _ctmc_steady_state(n_mach: int, lam: float, mu: float, c: int) -> np.ndarray:
    q = np.zeros((n_mach + 1, n_mach + 1))
    for n in range(n_mach + 1):
        if n < n_mach:
            q[n, n + 1] = (n_mach - n) * lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu
        q[n, n] = -q[n].sum()
    a = np.vstack([q.T, np.ones(n_mach + 1)])
    rhs = np.zeros(n_mach + 2)
    rhs[-1] = 1.0
    return np.linalg.lstsq(a, rhs, rcond=None)[0]


@pytest.mark.parametrize("n_mach,c", [(1, 1), (4, 4), (6, 10)])
def test_repairman_ample_technicians_is_independent(n_mach: int, c: int) -> None:
    lam, mu = 0.02, 0.5
    r = machine_repairman(n_mach, lam, mu, c)
    assert r.availability == pytest.approx(mu / (lam + mu), rel=1e-12)
    assert r.mean_downtime_per_failure == pytest.approx(1 / mu, rel=1e-12)
    binom = stats.binom(n_mach, lam / (lam + mu)).pmf(np.arange(n_mach + 1))
    np.testing.assert_allclose(r.probabilities, binom, rtol=1e-10, atol=1e-300)


def test_repairman_against_generator_matrix() -> None:
    n_mach, lam, mu, c = 5, 0.3, 0.4, 2
    pi = _ctmc_steady_state(n_mach, lam, mu, c)
    r = machine_repairman(n_mach, lam, mu, c)
    np.testing.assert_allclose(r.probabilities, pi, rtol=1e-10)
    en = float((np.arange(n_mach + 1) * pi).sum())
    assert r.mean_down == pytest.approx(en, rel=1e-10)
    assert r.availability == pytest.approx(1 - en / n_mach, rel=1e-10)
    assert r.failure_rate_total == pytest.approx(lam * (n_mach - en), rel=1e-10)
    assert r.mean_downtime_per_failure == pytest.approx(en / (lam * (n_mach - en)), rel=1e-10)
    util = float((np.minimum(np.arange(n_mach + 1), c) * pi).sum()) / c
    assert r.technician_utilisation == pytest.approx(util, rel=1e-10)
    # Flow balance: failures = repairs.
    assert r.failure_rate_total == pytest.approx(r.technician_utilisation * c * mu, rel=1e-10)
    assert r.mean_downtime_per_failure > 1 / mu  # queueing for technicians adds delay


def test_repairman_large_no_overflow() -> None:
    r = machine_repairman(2000, 0.01, 0.5, 10)
    p = np.asarray(r.probabilities)
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0, abs=1e-12)
    # Offered load 2000*0.01 = 20/unit time > capacity 5: technicians saturate.
    assert 0.0 < r.availability < 1.0 and math.isfinite(r.mean_downtime_per_failure)
    assert r.technician_utilisation == pytest.approx(1.0, abs=1e-6)
    assert r.failure_rate_total == pytest.approx(10 * 0.5, rel=1e-6)
    assert len(p) == 2001


def test_repairman_zero_failure_rate() -> None:
    r = machine_repairman(3, 0.0, 1.0, 1)
    assert r.availability == 1.0 and r.mean_down == 0.0 and r.failure_rate_total == 0.0


# --- METRIC / VARI-METRIC -----------------------------------------------------------

RATES = (0.2, 0.05, 0.4)
TRANS = (1.0, 3.0, 0.5)
STOCKS = (2, 0, 4)


@pytest.mark.parametrize("method", ["metric", "vari-metric"])
def test_metric_ample_central_is_palm(method: str) -> None:
    m = metric(RATES, TRANS, STOCKS, 20.0, None, method=method)  # type: ignore[arg-type]
    assert m.central_delay == 0.0
    assert m.depot_resupply_mean == TRANS
    for r, lam, t, s in zip(m.depots, RATES, TRANS, STOCKS):
        _assert_same(r, palm(lam, t, s))


def test_metric_central_delay_hand_case() -> None:
    # lambda0 = 0.5, T0 = 4 -> mu0 = 2; S0 = 1: EBO0 = mu0 - 1 + P(0) = 1 + e^-2.
    m = metric((0.2, 0.3), (1.0, 2.0), (1, 1), 4.0, 1)
    ebo0 = 1.0 + math.exp(-2.0)
    assert m.central.expected_backorders == pytest.approx(ebo0, rel=1e-12)
    assert m.central_delay == pytest.approx(ebo0 / 0.5, rel=1e-12)
    assert m.depot_resupply_mean == pytest.approx((1.0 + ebo0 / 0.5, 2.0 + ebo0 / 0.5))
    _assert_same(m.depots[0], palm(0.2, 1.0 + ebo0 / 0.5, 1))
    assert m.depots[1].pipeline_mean == pytest.approx(0.3 * (2.0 + ebo0 / 0.5))


@pytest.mark.parametrize("s0", [0, 1, 3, 6, 15])
def test_vari_metric_moments(s0: int) -> None:
    vm = metric(RATES, TRANS, STOCKS, 10.0, s0, method="vari-metric")
    m = metric(RATES, TRANS, STOCKS, 10.0, s0, method="metric")
    for a, b, var in zip(vm.depots, m.depots, vm.depot_pipeline_variance):
        assert a.pipeline_mean == pytest.approx(b.pipeline_mean, rel=1e-12)  # same mean
        assert var >= a.pipeline_mean * (1 - 1e-12)


def test_vari_metric_variance_hand_case() -> None:
    lam0, t0, s0 = 0.65, 10.0, 5
    ebo0, vbo0 = backorder_moments(stats.poisson(lam0 * t0), s0)
    vm = metric(RATES, TRANS, STOCKS, t0, s0, method="vari-metric")
    for lam, t, var in zip(RATES, TRANS, vm.depot_pipeline_variance):
        f = lam / lam0
        assert var == pytest.approx(lam * t + f * (1 - f) * ebo0 + f * f * vbo0, rel=1e-12)
    assert any(v > r.pipeline_mean * 1.01 for v, r in zip(vm.depot_pipeline_variance, vm.depots))


def test_vari_metric_reduces_to_metric_when_central_ample() -> None:
    # Ample central stock: EBO0 ~ 0 and VBO0 ~ 0, so both give Palm with L = T_j.
    vm = metric(RATES, TRANS, STOCKS, 5.0, 60, method="vari-metric")
    m = metric(RATES, TRANS, STOCKS, 5.0, 60, method="metric")
    assert vm.central_delay < 1e-20
    for a, b, lam, t, s in zip(vm.depots, m.depots, RATES, TRANS, STOCKS):
        _assert_same(a, b, rel=1e-9)
        _assert_same(a, palm(lam, t, s), rel=1e-9)


@pytest.mark.parametrize("method", ["metric", "vari-metric"])
def test_metric_central_empty_is_exact_palm(method: str) -> None:
    # S0 = 0: delay = T0 exactly, and the VARI-METRIC variance collapses to the mean.
    t0 = 7.0
    m = metric(RATES, TRANS, STOCKS, t0, 0, method=method)  # type: ignore[arg-type]
    assert m.central_delay == pytest.approx(t0, rel=1e-12)
    for r, lam, t, s, var in zip(m.depots, RATES, TRANS, STOCKS, m.depot_pipeline_variance):
        _assert_same(r, palm(lam, t + t0, s), rel=1e-9)
        assert var == pytest.approx(lam * (t + t0), rel=1e-9)


def test_metric_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        metric((0.1, 0.2), (1.0,), (1, 1), 2.0, 1)
    with pytest.raises(ValueError):
        metric((0.1,), (1.0,), (1,), 2.0, 1, method="bogus")  # type: ignore[arg-type]


# --- repairable METRIC, Erlang loss, central resupply ---------------------------------


def test_repairable_metric_hand_case() -> None:
    """Depot j repairs r_j of its demand in A_j; the rest goes to central: lambda0 = sum (1-r_j) lambda_j."""
    rates, shares, repairs, trans = (0.2, 0.4), (0.5, 0.25), (3.0, 5.0), (1.0, 2.0)
    t0, s0 = 6.0, 1
    m = metric(rates, trans, (2, 3), t0, s0, depot_repair_shares=shares, depot_repair_means=repairs)
    lam0 = 0.2 * 0.5 + 0.4 * 0.75
    assert m.central_demand_rate == pytest.approx(lam0)
    mu0 = lam0 * t0
    ebo0 = mu0 - 1 + math.exp(-mu0)  # S0 = 1: EBO = mu - 1 + P(0)
    assert m.central.expected_backorders == pytest.approx(ebo0, rel=1e-12)
    delay = ebo0 / lam0
    for r, lam, share, a, t, s, resupply in zip(m.depots, rates, shares, repairs, trans, (2, 3), m.depot_resupply_mean):
        assert resupply == pytest.approx(share * a + (1 - share) * (t + delay), rel=1e-12)
        _assert_same(r, palm(lam, resupply, s))


def test_repairable_vari_metric_variance_hand_case() -> None:
    """VARI-METRIC: mean lambda r A + lambda (1-r) O + f EBO0, variance ... + f(1-f) EBO0 + f^2 VBO0, f = (1-r) lambda / lambda0."""
    rates, shares, repairs, trans = (0.3, 0.1), (0.4, 0.0), (2.0, 0.0), (1.5, 4.0)
    t0, s0 = 8.0, 2
    vm = metric(rates, trans, (1, 1), t0, s0, "vari-metric", depot_repair_shares=shares, depot_repair_means=repairs)
    lam0 = 0.3 * 0.6 + 0.1
    ebo0, vbo0 = backorder_moments(stats.poisson(lam0 * t0), s0)
    for r, var, lam, share, a, t in zip(vm.depots, vm.depot_pipeline_variance, rates, shares, repairs, trans):
        f = (1 - share) * lam / lam0
        own = lam * share * a + lam * (1 - share) * t
        assert r.pipeline_mean == pytest.approx(own + f * ebo0, rel=1e-12)
        assert var == pytest.approx(own + f * (1 - f) * ebo0 + f * f * vbo0, rel=1e-12)


def test_all_repaired_at_depots_means_no_central_demand() -> None:
    m = metric((0.2,), (1.0,), (1,), 10.0, 0, depot_repair_shares=(1.0,), depot_repair_means=(4.0,))
    assert m.central_demand_rate == 0.0 and m.central_delay == 0.0
    _assert_same(m.depots[0], palm(0.2, 4.0, 1))


def test_central_resupply_mean() -> None:
    assert central_resupply_mean(0.2, 24.0, 150.0, 500.0) == pytest.approx(0.8 * 174.0 + 0.2 * 500.0)
    assert central_resupply_mean(1.0, 24.0, 150.0, 500.0) == 500.0  # consumable
    assert central_resupply_mean(0.0, 24.0, 150.0, 500.0) == pytest.approx(174.0)
    with pytest.raises(ValueError):
        central_resupply_mean(1.5, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("a,s", [(0.5, 0), (0.5, 1), (2.0, 3), (7.3, 5), (20.0, 30)])
def test_erlang_loss_is_truncated_poisson_tail(a: float, s: int) -> None:
    """B(S, a) = P(N = S) for N ~ Poisson(a) truncated to 0..S (M/G/S/S, insensitive to the lead-time law)."""
    pmf = stats.poisson(a).pmf(np.arange(s + 1))
    assert erlang_loss(a / 4.0, 4.0, s) == pytest.approx(pmf[-1] / pmf.sum(), rel=1e-12)


def test_erlang_loss_hand_values() -> None:
    assert erlang_loss(1.0, 1.0, 1) == pytest.approx(0.5)  # a/(1+a)
    assert erlang_loss(1.0, 2.0, 2) == pytest.approx(2.0 / 5.0)  # (a^2/2)/(1+a+a^2/2) at a = 2
    assert erlang_loss(0.0, 5.0, 3) == 0.0 and erlang_loss(0.3, 1.0, 0) == 1.0


def test_queue_wait_mm1_and_md1() -> None:
    """c = 1: M/M/1 Wq = rho s / (1 - rho); M/D/1 (scv 0) is half of it (Pollaczek-Khinchine)."""
    lam, s = 0.5, 1.2
    rho = lam * s
    assert queue_wait(lam, s, 1) == pytest.approx(rho * s / (1 - rho), rel=1e-12)
    assert queue_wait(lam, s, 1, 0.0) == pytest.approx(rho * s / (1 - rho) / 2, rel=1e-12)
    assert queue_wait(1.0, 1.0, 1) == math.inf and queue_wait(0.0, 5.0, 2) == 0.0


def test_queue_wait_mmc_erlang_c() -> None:
    """M/M/2 with a = 1 (rho = 0.5): P(wait) = 1/3, Wq = P(wait) s / (c - a) = s / 3."""
    assert queue_wait(0.5, 2.0, 2) == pytest.approx(2.0 / 3.0, rel=1e-12)
