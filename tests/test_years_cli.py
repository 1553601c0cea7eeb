"""``sim years`` and ``sim run`` on multi-year files: years.csv columns, summary, report, --jobs identity."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.years.loop import YEAR_COLUMNS

SCENARIO = {
    "name": "few",
    "seed": 11,
    "replications": 3,
    "horizon_h": 8760,
    "years": 4,
    "parts": [{"name": "p", "unit_cost": 100, "price": 300}],
    "machine_models": [
        {
            "name": "M",
            "price": 800,
            "cost_to_make": 400,
            "life_years": 3,
            "components": [
                {
                    "name": "c",
                    "part": "p",
                    "time_to_failure_h": {"dist": "exponential", "mean": 1500},
                    "repair_time_h": {"dist": "exponential", "mean": 3},
                }
            ],
        }
    ],
    "sites": [
        {"name": f"S{i}", "lat": 30.0 + i / 10, "lon": 120.0, "machines": {"M": 2}, "downtime_cost_per_h": 40}
        for i in range(6)
    ],
    "depots": [
        {"name": "D", "lat": 30.2, "lon": 120.1, "technicians": 1, "base_stock": {"p": 2}, "fixed_cost_per_year": 100}
    ],
    "market": {
        "discount_rate_per_year": 0.1,
        "new_customers_per_year": 2,
        "rivals": [{"name": "R", "machine_price": 700, "restore_h": 30}],
        "willfit": [{"part": "p", "price": 150}],
    },
}


def write(tmp_path: Path, name: str, **changes: object) -> Path:
    data = dict(SCENARIO, name=name, **changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_years_command_writes_csv_summary_figures_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a")
    b = write(tmp_path, "b", pricing={"part_price_multiplier": 0.5})  # fair parts: no will-fit
    out = tmp_path / "out"
    assert main(["years", str(a), str(b), "--out", str(out), "-q"]) == 0
    table = rows(out / "years.csv")
    assert list(table[0]) == ["scenario", "replication", *YEAR_COLUMNS]
    assert len(table) == 2 * 3 * 4  # scenarios × replications × years
    assert [r["year"] for r in table[:4]] == ["1", "2", "3", "4"]
    # the dear parts (300 vs will-fit 150, ratio 2 > 1.5) go to will-fit from year 2 on; the fair ones never
    assert all(float(r["willfit_share"]) > 0 for r in table if r["scenario"] == "a" and r["year"] != "1")
    assert all(float(r["willfit_share"]) == 0 for r in table if r["scenario"] == "b")
    npv = [float(r["npv"]) for r in table if r["scenario"] == "a" and r["replication"] == "0"]
    disc = [float(r["discounted_profit"]) for r in table if r["scenario"] == "a" and r["replication"] == "0"]
    assert npv[-1] == pytest.approx(sum(disc), rel=1e-12)
    summary = rows(out / "years_summary.csv")
    assert {r["kpi"] for r in summary} == set(YEAR_COLUMNS[1:])
    assert len(summary) == 2 * 4 * (len(YEAR_COLUMNS) - 1)
    assert {"report.html", "years_npv.png", "years_market_share.png", "years_installed_base.png"} <= {p.name for p in out.iterdir()}
    printed = capsys.readouterr().out
    assert "Cumulative NPV" in printed and "b − a" in printed
    assert "Cumulative NPV" in (out / "report.html").read_text(encoding="utf-8")


def test_years_output_is_identical_with_two_jobs(tmp_path: Path) -> None:
    a = write(tmp_path, "a")
    b = write(tmp_path, "b", pricing={"part_price_multiplier": 0.5})
    for jobs in ("1", "2"):
        assert main(["years", str(a), str(b), "--out", str(tmp_path / jobs), "--jobs", jobs, "-q", "--no-figures"]) == 0
    for name in ("years.csv", "years_summary.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_run_on_a_multi_year_file_adds_years_csv(tmp_path: Path) -> None:
    a = write(tmp_path, "a")
    assert main(["run", str(a), "-n", "2", "--out", str(tmp_path / "run"), "-q"]) == 0
    table = rows(tmp_path / "run" / "years.csv")
    assert len(table) == 2 * 4 and (tmp_path / "run" / "years_summary.csv").is_file()
    assert (tmp_path / "run" / "replications.csv").is_file()
    # year 1 of replication r is replication r of the one-year run (common random numbers)
    one_year = rows(tmp_path / "run" / "replications.csv")
    for r in range(2):
        y1 = next(t for t in table if t["replication"] == str(r) and t["year"] == "1")
        assert float(y1["maker_profit"]) == pytest.approx(float(one_year[r]["maker_profit"]), rel=1e-12)


def test_years_refuses_a_single_horizon_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {k: v for k, v in SCENARIO.items() if k not in ("years", "market")}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["years", str(path), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "not a multi-year scenario" in capsys.readouterr().err
