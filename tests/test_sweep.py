"""Tests for ``sim sweep``: the break-even method, a crossing known by construction, the CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.sweep import break_evens, param_label, parse_values, range_values, variant

DATA = Path(__file__).parent / "data" / "compare"
SPARSE, DENSE = str(DATA / "sparse.yaml"), str(DATA / "dense.yaml")
PARAM = "sites[*].downtime_cost_per_h"
VALUES = ["0", "50", "100", "150", "200"]
N = 10


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------------ the method


def test_break_even_of_exact_lines() -> None:
    """d(x) = 2x − 10 with CI ± 1: root 5, CI contains 0 from hi = 0 (x = 4.5) to lo = 0 (x = 5.5)."""
    x = np.array([0.0, 2.0, 4.0, 6.0, 8.0])
    m = 2 * x - 10
    found, excludes, extra = break_evens(x, m, m - 1, m + 1)
    assert found == [(pytest.approx(5.0), pytest.approx(4.5), pytest.approx(5.5))]
    assert excludes and extra is None


def test_break_even_interval_beyond_the_range() -> None:
    """A wide CI: the interval reaches past both ends of the swept values (None = beyond)."""
    x = np.array([0.0, 1.0, 2.0])
    m = np.array([-1.0, 0.5, 2.0])
    found, excludes, _ = break_evens(x, m, m - 3, m + 3)
    (est, lo, hi), = found
    assert est == pytest.approx(2 / 3)
    assert lo is None and hi is None and not excludes


def test_no_crossing_gives_extrapolation() -> None:
    x = np.array([0.0, 1.0, 2.0])
    m = np.array([6.0, 5.0, 4.0])
    found, excludes, extra = break_evens(x, m, m - 0.5, m + 0.5)
    assert found == [] and excludes
    assert extra == pytest.approx(6.0)
    flat = np.array([3.0, 3.0, 3.0])
    assert break_evens(x, flat, flat - 1, flat + 1) == ([], True, None)


def test_values() -> None:
    assert range_values(0, 1, 11)[3] == "0.3"
    assert range_values(0, 200, 5) == VALUES
    assert [t for _, t in parse_values(["3", "1", "2.5"])] == ["1", "2.5", "3"]
    for bad in (["1", "x"], ["1", "1"], ["1"], ["nan", "1"]):
        with pytest.raises(ValueError):
            parse_values(bad)
    assert param_label("sites[*].downtime_cost_per_h", "CNY") == "sites[*].downtime_cost_per_h (CNY per hour)"
    assert param_label("pricing.machine_price_multiplier", "CNY").endswith("(×)")


def test_wildcard_expands_to_every_item() -> None:
    sc = variant(str(DATA / "delta_dense.yaml"), [], "sites[*].downtime_cost_per_h", "777")
    assert {s.downtime_cost_per_h for s in sc.sites} == {777}
    sc = variant(str(DATA / "delta_dense.yaml"), [], "depots[*].base_stock[*]", "5")
    assert all(v == 5 for d in sc.depots for v in d.base_stock.values())
    with pytest.raises(ScenarioError):
        variant(SPARSE, [], "sites[*].no_such_field", "1")


# ------------------------------------------------------------------------------ known crossing


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "out"
    rc = main(["sweep", SPARSE, DENSE, "--param", PARAM, "--values", *VALUES, "-n", str(N), "--out", str(out), "-q"])
    assert rc == 0
    return out


def test_cli_writes_files(swept: Path) -> None:
    names = {p.name for p in swept.iterdir()}
    assert names == {"sweep.csv", "sweep_replications.csv", "break_even.csv", "sweep.json", "sweep.png", "sweep.svg", "manifest.json", "sim-files.json"}
    rows = _read_csv(swept / "sweep.csv")
    assert len(rows) == 2 * len(VALUES) * 2  # files × values × default KPIs
    assert {r["kpi"] for r in rows} == {"customer_total_cost", "maker_profit"}
    reps = _read_csv(swept / "sweep_replications.csv")
    assert len(reps) == 2 * len(VALUES) * N
    # the summary rows are the means of the per-replication rows
    for r in rows:
        vals = [float(x[r["kpi"]]) for x in reps if x["scenario"] == r["scenario"] and x["value"] == r["value"]]
        assert float(r["mean"]) == pytest.approx(np.mean(vals), rel=1e-12)


def test_sweep_finds_the_constructed_crossing(swept: Path) -> None:
    """Customer total cost, dense − sparse, is exactly linear in the downtime cost per hour c.

    Failures need only a technician, repair and travel are deterministic and technicians never
    queue, so per replication: total cost = machine price (fixed) + downtime_h × c, and downtime_h
    does not depend on c. Hence d(c) = ΔP − c·ΔD and the root is c* = ΔP / ΔD exactly, with
    ΔP = (2 − 1) × 100,000 × 10 machines × 2,000/8,760 years and ΔD read off the replications.
    Theory (alternating renewal: up ~ exp(200 h), down 49 h vs 4 h) gives
    E[ΔD] = 10 × 2,000 × (49/249 − 4/204), so c* ≈ 64.43 CNY/h.
    """
    reps = _read_csv(swept / "sweep_replications.csv")

    def column(scenario: str, value: str) -> np.ndarray:
        return np.array([float(r["customer_total_cost"]) for r in reps if r["scenario"] == scenario and r["value"] == value])

    d0 = column("dense", "0") - column("sparse", "0")
    d100 = column("dense", "100") - column("sparse", "100")
    delta_price = 100000 * 10 * 2000 / 8760
    assert d0 == pytest.approx(np.full(N, delta_price), rel=1e-12)  # no downtime money at c = 0
    delta_down = (d0 - d100) / 100  # per replication, machine-hours saved by the dense network
    exact = delta_price / delta_down.mean()
    theory = delta_price / (10 * 2000 * (49 / 249 - 4 / 204))
    se = exact * (delta_down.std(ddof=1) / math.sqrt(N)) / delta_down.mean()  # delta method

    found = json.loads((swept / "sweep.json").read_text())["break_evens"]
    cost = next(b for b in found if b["kpi"] == "customer_total_cost")
    assert (cost["a"], cost["b"]) == ("sparse", "dense")
    est, lo, hi = cost["estimate"], cost["low"], cost["high"]
    assert est == pytest.approx(exact, rel=1e-9)  # linear interpolation of an exactly linear curve
    assert lo is not None and hi is not None and lo < est < hi
    assert abs(est - theory) < 3 * se, (est, theory, se)
    # the profit difference never changes sign: the maker's ledger does not depend on c
    profit = next(b for b in found if b["kpi"] == "maker_profit")
    assert profit["estimate"] is None and "no break-even in the swept range" in profit["text"]
    rows = _read_csv(swept / "break_even.csv")
    assert [r["kpi"] for r in rows] == ["customer_total_cost", "maker_profit"]
    assert float(rows[0]["estimate"]) == est


def test_cli_range_parallel_matches_serial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sweep", SPARSE, DENSE, "--param", "pricing.machine_price_multiplier", "--range", "1", "3", "3",
            "--kpis", "customer_total_cost", "-n", "3", "-q"]
    assert main([*args, "--out", str(tmp_path / "s")]) == 0
    printed = capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "p"), "--jobs", "2"]) == 0
    for name in ("sweep.csv", "sweep_replications.csv", "break_even.csv", "sweep.json", "sweep.svg", "sweep.png"):
        assert (tmp_path / "s" / name).read_bytes() == (tmp_path / "p" / name).read_bytes(), name
    assert "pricing.machine_price_multiplier" in printed and "Break-even" in printed
    rows = _read_csv(tmp_path / "s" / "sweep.csv")
    assert [r["value"] for r in rows if r["scenario"] == "sparse"] == ["1", "2", "3"]


def test_cli_bad_param_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    base = ["sweep", SPARSE, DENSE, "-n", "2", "--out", str(out), "-q"]
    assert main([*base, "--param", "sites[Nowhere].downtime_cost_per_h", "--values", "1", "2"]) == 2
    err = capsys.readouterr().err
    assert "Nowhere" in err and err.count("no item named") == 1  # one problem, not one per value
    assert main([*base, "--param", "pricing.no_such_lever", "--values", "1", "2"]) == 2
    assert "no_such_lever" in capsys.readouterr().err
    assert main([*base, "--param", "pricing.machine_price_multiplier", "--values", "1", "-2"]) == 2
    assert main([*base, "--param", "pricing.machine_price_multiplier", "--values", "1", "two"]) == 2
    assert main([*base, "--param", "pricing.machine_price_multiplier", "--values", "1", "2", "--kpis", "nope"]) == 2
    assert not out.exists()
