"""Tests for ``sim compare``: paired differences, common random numbers, CLI outputs."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.cli import main
from sim.compare import compare, default_kpis, terminal_table, verdict
from sim.crn import crn_variance_ratios
from sim.runner import run_scenarios
from sim.scenario.loader import load_scenario

DATA = Path(__file__).parent / "data" / "compare"
SPARSE, DENSE, MIDDLE = (str(DATA / f"{n}.yaml") for n in ("sparse", "dense", "middle"))
N = 6


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "out"
    rc = main(["compare", SPARSE, DENSE, MIDDLE, "--replications", str(N), "--seed", "11", "--out", str(out), "-q"])
    assert rc == 0
    return out


def test_cli_writes_every_file(compared: Path) -> None:
    expected = {
        "comparison.csv", "comparison.json", "manifest.json", "report.html", "sim-files.json",
        *(f"figures/{f}.{ext}" for f in ("kpi_bars", "restore_ecdf", "cost_breakdown", "map") for ext in ("png", "svg")),
        *(f"scenarios/{s}/{f}" for s in ("sparse", "dense", "middle") for f in ("replications.csv", "scenario.yaml", "map.png")),
        *(f"{t}.csv" for t in ("depots", "sites", "regions", "parts", "assignment")),  # per place, all scenarios
    }
    written = {str(p.relative_to(compared)) for p in compared.rglob("*") if p.is_file()}
    assert written == expected
    man = json.loads((compared / "manifest.json").read_text())
    assert man["seed"] == 11 and man["replications"] == N
    assert [s["label"] for s in man["scenarios"]] == ["sparse", "dense", "middle"]
    # the resolved scenario carries the seed and replications actually used, and loads back
    resolved = load_scenario(compared / "scenarios" / "dense" / "scenario.yaml")
    assert resolved.seed == 11 and resolved.replications == N and resolved.pricing.machine_price_multiplier == 2


def test_paired_differences_equal_differences_of_replications(compared: Path) -> None:
    """Every Δ row of comparison.csv is recomputed from the replications.csv files written."""
    reps = {s: _read_csv(compared / "scenarios" / s / "replications.csv") for s in ("sparse", "dense", "middle")}
    rows = _read_csv(compared / "comparison.csv")
    checked = 0
    for row in rows:
        kpi, name = row["kpi"], row["scenario"]
        own = np.array([float(r[kpi]) for r in reps[name]])
        fin = own[np.isfinite(own)]
        if fin.size:
            assert float(row["mean"]) == pytest.approx(fin.mean(), rel=1e-12, abs=1e-9)
        if name == "sparse":
            assert row["diff_mean"] == ""
            continue
        base = np.array([float(r[kpi]) for r in reps["sparse"]])
        ok = np.isfinite(own) & np.isfinite(base)
        d = own[ok] - base[ok]
        assert int(row["diff_n"]) == d.size
        if d.size < 2:
            continue
        assert float(row["diff_mean"]) == pytest.approx(d.mean(), rel=1e-12, abs=1e-9)
        sd = d.std(ddof=1)
        hw = stats.t.ppf(0.975, d.size - 1) * sd / math.sqrt(d.size)
        assert float(row["diff_half_width"]) == pytest.approx(hw, rel=1e-9, abs=1e-9)
        assert float(row["diff_low"]) == pytest.approx(d.mean() - hw, rel=1e-9, abs=1e-9)
        if sd > 1e-9 * max(1.0, abs(d.mean())):
            p = 2 * stats.t.sf(abs(d.mean() / (sd / math.sqrt(d.size))), d.size - 1)
            assert float(row["p_value"]) == pytest.approx(p, rel=1e-6, abs=1e-12)
            assert (row["significant"] == "true") == (p < 0.05)
        checked += 1
    assert checked > 40  # two alternatives × the defined KPIs


def test_machine_price_difference_is_exact(compared: Path) -> None:
    """The machine line is deterministic: its paired difference is exactly price × multiplier gap."""
    data = json.loads((compared / "comparison.json").read_text())
    kpi = next(k for k in data["kpis"] if k["kpi"] == "customer_machine_cost")
    diffs = {d["scenario"]: d for d in kpi["differences"]}
    window_years = 2000 / 8760
    assert diffs["dense"]["mean"] == pytest.approx(100000 * 10 * window_years * (2 - 1), rel=1e-12)
    assert diffs["middle"]["mean"] == pytest.approx(100000 * 10 * window_years * (1.4 - 1), rel=1e-12)
    assert diffs["dense"]["half_width"] == pytest.approx(0, abs=1e-6)


def test_crn_lowers_variance_of_a_difference() -> None:
    """Common random numbers vs independent seeds on a small design change (one more technician and spare).

    If CRN did nothing, both sample variances of B − A would estimate the same variance and
    their ratio would follow roughly F(n−1, n−1); we require the ratio below that
    distribution's 0.1% quantile (≈0.23 for n = 20). Measured: ≈0.003-0.03 (docs/case-study-tools.md).
    """
    a = load_scenario(DATA / "delta_dense.yaml")
    b = load_scenario(DATA / "delta_dense_plus.yaml")
    n = 20
    bound = stats.f.ppf(0.001, n - 1, n - 1)
    ratios = crn_variance_ratios(a, b, ["customer_total_cost", "maker_profit"], n, seed=7)
    for v in ratios:
        assert v.ratio < bound, (v.kpi, v.ratio, bound)


def test_comparison_in_memory_and_words() -> None:
    """compare() on results: the verdict names the cheaper and the more profitable scenario."""
    scs = [load_scenario(f) for f in (SPARSE, DENSE)]
    res = run_scenarios(scs, 4, 3)
    c = compare(res, [SPARSE, DENSE])
    cost = c.kpi("customer_total_cost")
    assert cost.differences[0] is None
    d = cost.differences[1]
    assert d.mean == pytest.approx(np.mean(res[1].column("customer_total_cost") - res[0].column("customer_total_cost")))
    words = verdict(c)
    # at 100 CNY/h downtime the 45 h faster service outweighs the doubled price (break-even ≈ 64 CNY/h)
    assert any(w.startswith("dense has the lowest total cost to the customer") for w in words)
    assert any(w.startswith("dense has the highest profit for the maker") for w in words)
    table = terminal_table(c, default_kpis(c))
    assert "Customer total cost of ownership (CNY)" in table
    assert "within_promise" not in table and "Restored within promise" not in table  # undefined: no promise


def test_compare_needs_common_seed() -> None:
    scs = [load_scenario(f) for f in (SPARSE, DENSE)]
    a = run_scenarios(scs[:1], 2, 1)[0]
    b = run_scenarios(scs[1:], 2, 2)[0]
    with pytest.raises(ValueError, match="seed"):
        compare([a, b], [SPARSE, DENSE])


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "o")
    assert main(["compare", SPARSE, "--out", out, "-q"]) == 2
    assert main(["compare", SPARSE, DENSE, "--kpis", "no_such_kpi", "--out", out, "-q"]) == 2
    assert "no_such_kpi" in capsys.readouterr().err
    assert main(["compare", SPARSE, DENSE, "--set", "sites[Nowhere].machines.packer=3", "--out", out, "-q"]) == 2
    assert "Nowhere" in capsys.readouterr().err
    assert not Path(out).exists()


def test_printed_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    rc = main(["compare", SPARSE, DENSE, "-n", "3", "--kpis", "customer_total_cost", "maker_profit", "--out", str(out), "-q"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Δ vs sparse" in text and "95% CI of Δ" in text
    lines = text.splitlines()
    assert lines[1].split()[:2] == ["KPI", "scenario"]
    assert sum(1 for ln in lines if ln.startswith("Customer total cost") or ln.startswith("Maker profit")) == 2
    assert f"{out}/" in text


def test_set_with_wildcard_applies_to_every_item(tmp_path: Path) -> None:
    """--set sites[*].field=V reaches every site of every file (expanded by name before loading)."""
    out = tmp_path / "o"
    rc = main(["compare", str(DATA / "delta_sparse.yaml"), str(DATA / "delta_dense.yaml"), "-n", "1",
               "--kpis", "customer_total_cost", "--set", "sites[*].downtime_cost_per_h=10", "--out", str(out), "-q"])
    assert rc == 0
    for name in ("delta_sparse", "delta_dense"):
        sc = load_scenario(out / "scenarios" / name / "scenario.yaml")
        assert {s.downtime_cost_per_h for s in sc.sites} == {10}


def test_per_region_kpi_can_be_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--kpis within_promise_share.<region> passes the check made before the run and is tabled."""
    out = tmp_path / "o"
    kpi = "within_promise_share.Zhejiang"
    rc = main(["compare", str(DATA / "delta_sparse.yaml"), str(DATA / "delta_dense.yaml"), "-n", "2",
               "--kpis", kpi, "--out", str(out), "-q"])
    assert rc == 0
    assert "Restored within promise, Zhejiang" in capsys.readouterr().out
    rows = [r for r in _read_csv(out / "comparison.csv") if r["kpi"] == kpi]
    assert [r["scenario"] for r in rows] == ["delta_sparse", "delta_dense"]
    assert all(0 <= float(r["mean"]) <= 1 for r in rows)
    # a region the scenarios do not have is refused after the run, naming it
    assert main(["compare", str(DATA / "delta_sparse.yaml"), str(DATA / "delta_dense.yaml"), "-n", "1",
                 "--kpis", "within_promise_share.Atlantis", "--out", str(tmp_path / "x"), "-q"]) == 2
    assert "within_promise_share.Atlantis" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_verdict_on_a_tie_names_the_first_scenario() -> None:
    """The same scenario twice ties on every KPI: the first listed is named best, whichever way is better."""
    sc = load_scenario(SPARSE)
    c = compare(run_scenarios([sc, sc], 2, 3), [SPARSE, SPARSE])
    words = verdict(c)
    assert any(w.startswith("sparse #1 has the lowest total cost to the customer") for w in words)
    assert any(w.startswith("sparse #1 has the highest profit for the maker") for w in words)
    assert any("sparse #2 is the same in every replication" in w for w in words)
