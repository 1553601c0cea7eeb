"""The command line: sim run / sim validate from a planner's point of view."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "example.yaml"
MISTAKES = ROOT / "tests" / "data" / "loader" / "mistakes.yaml"


def test_run_writes_every_output(tmp_path: Path, capsys) -> None:
    out = tmp_path / "ex"
    assert main(["run", str(EXAMPLE), "-n", "3", "--out", str(out), "--seed", "5", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "Customer total cost of ownership" in printed and "95% CI" in printed
    places = ["assignment.csv", "depots.csv", "map.png", "parts.csv", "regions.csv", "sites.csv"]  # per place (docs/outputs.md)
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "manifest.json", "replications.csv", "scenario.yaml", "sim-files.json", "summary.csv", "summary.json", *places
    ])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["replications"] == 3 and manifest["status"] == "complete"
    listed = json.loads((out / "sim-files.json").read_text())["files"]
    assert sorted(listed) == sorted(["manifest.json", "replications.csv", "scenario.yaml", "summary.csv", "summary.json", *places])
    assert len(manifest["scenario_hash"]) == 64 and "numpy" in manifest["packages"]
    rows = list(csv.DictReader((out / "replications.csv").open()))
    assert [r["replication"] for r in rows] == ["0", "1", "2"]
    summary = {r["kpi"]: r for r in csv.DictReader((out / "summary.csv").open())}
    mean = sum(float(r["customer_total_cost"]) for r in rows) / 3
    assert float(summary["customer_total_cost"]["mean"]) == pytest.approx(mean, rel=1e-12)
    assert float(summary["customer_total_cost"]["half_width"]) > 0
    data = json.loads((out / "summary.json").read_text())
    assert {k["kpi"] for k in data["kpis"]} == set(rows[0]) - {"replication"}
    # the resolved scenario re-runs to the same numbers
    out2 = tmp_path / "again"
    assert main(["run", str(out / "scenario.yaml"), "-n", "3", "--out", str(out2), "-q"]) == 0
    assert (out2 / "replications.csv").read_bytes() == (out / "replications.csv").read_bytes()


def test_same_seed_same_bytes_and_overrides(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["run", str(EXAMPLE), "-n", "2", "--out", str(a), "-q"]) == 0
    assert main(["run", str(EXAMPLE), "-n", "2", "--out", str(b), "-q"]) == 0
    assert (a / "replications.csv").read_bytes() == (b / "replications.csv").read_bytes()
    assert main(["run", str(EXAMPLE), "-n", "2", "--out", str(c), "-q", "--set", "depots[Hangzhou].base_stock.sealing_jaw=0"]) == 0
    assert (a / "replications.csv").read_bytes() != (c / "replications.csv").read_bytes()
    assert "sealing_jaw: 0" in (c / "scenario.yaml").read_text()


def test_bad_file_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(MISTAKES), "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "6 problems" in proc.stderr
    assert "mistakes.yaml:12: machine_models[packer].components[sealing-jaw].part" in proc.stderr
    assert "mistakes.yaml:28: sites[Chengdu-2].downtime_cost_per_h" in proc.stderr
    assert not out.exists()


def test_validate(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["validate", str(EXAMPLE), str(MISTAKES)]) == 2
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_failed_write_leaves_nothing_half_written_and_the_run_resumable(tmp_path: Path, monkeypatch, capsys) -> None:
    """A write that fails (here: every write of the final results) exits 2 naming the folder; no temporary file stays."""
    out = tmp_path / "ex"
    from sim import folder

    real_stage = folder._stage

    def stage(path: Path, data: bytes) -> Path:
        if path.name == "summary.json":
            raise OSError(28, "No space left on device", str(path.with_name(".summary.json.sim-tmp-0")))
        return real_stage(path, data)

    monkeypatch.setattr(folder, "_stage", stage)
    assert main(["run", str(EXAMPLE), "-n", "3", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"cannot write results to {out}/: No space left on device: {out / 'summary.json'}" in err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.jsonl", "manifest.json", "sim-files.json"]
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    monkeypatch.undo()
    assert main(["run", str(EXAMPLE), "-n", "3", "--out", str(out), "-q", "--resume"]) == 0
    assert main(["run", str(EXAMPLE), "-n", "3", "--out", str(tmp_path / "again"), "-q"]) == 0
    assert (out / "replications.csv").read_bytes() == (tmp_path / "again" / "replications.csv").read_bytes()
    assert not (out / "checkpoint.jsonl").exists()


def test_zero_replications_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["run", str(EXAMPLE), "-n", "0", "--out", str(tmp_path / "x")]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_bad_seed_or_replications_is_refused_without_traceback(tmp_path: Path, capsys) -> None:
    out = tmp_path / "never"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(EXAMPLE), "--seed", "-1", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "--seed must be at least 0 (got -1)" in proc.stderr
    assert main(["run", str(EXAMPLE), "-n", "100001", "--out", str(out), "-q"]) == 2
    assert "--replications must be at most 100,000" in capsys.readouterr().err
    for verb in (["compare", str(EXAMPLE), str(EXAMPLE)], ["sweep", str(EXAMPLE), "--param", "open_depots", "--values", "1", "2"]):
        assert main([*verb, "--seed", "-2", "--out", str(out), "-q"]) == 2
        assert "--seed must be at least 0 (got -2)" in capsys.readouterr().err
    for verb in (["run", str(EXAMPLE)], ["compare", str(EXAMPLE), str(EXAMPLE)],
                 ["sweep", str(EXAMPLE), "--param", "open_depots", "--values", "1", "2"]):
        assert main([*verb, "--jobs", "0", "--out", str(out), "-q"]) == 2
        assert "--jobs must be at least 1 (got 0)" in capsys.readouterr().err
        assert main([*verb, "--jobs", "100000", "--out", str(out), "-q"]) == 2
        assert "--jobs must be at most" in capsys.readouterr().err
    for verb in (["check"], ["baseline", "--message", "m", "--baseline", str(out)]):
        assert main([*verb, "--jobs", "0", "-q", *([] if verb[0] == "baseline" else ["--out", str(out)])]) == 2
        assert "--jobs must be at least 1" in capsys.readouterr().err
    assert main(["check", "--seed", "-1", "--out", str(out), "-q"]) == 2
    assert "--seed must be at least 0 (got -1)" in capsys.readouterr().err
    assert not out.exists()


def test_open_depots_list_closes_the_others_and_reassigns_sites() -> None:
    from sim.build import build
    from sim.commands.common import load
    from sim.scenario.errors import ScenarioError

    full = build(load(str(EXAMPLE)))
    one = build(load(str(EXAMPLE), ["open_depots=[Hangzhou]"]))  # a number opens the best N: tests/test_network_design.py
    assert [d.name for d in full.depots] == ["Hangzhou", "Shanghai"]
    assert [d.name for d in one.depots] == ["Hangzhou"]
    assert {s.depot for s in one.sites} == {0} and {s.depot for s in full.sites} == {0, 1}
    shanghai = next(s for s in one.sites if s.name == "Shanghai-1")
    assert shanghai.part_time_h > next(s for s in full.sites if s.name == "Shanghai-1").part_time_h
    with pytest.raises(ScenarioError, match="only 2 listed"):
        load(str(EXAMPLE), ["open_depots=3"])


def test_sweep_over_the_number_of_depots(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    kpis = ["customer_total_cost", "within_promise_share.Zhejiang"]  # a per-region KPI is accepted too
    assert main(["sweep", str(EXAMPLE), "--param", "open_depots", "--values", "1", "2", "-n", "3", "--kpis", *kpis,
                 "--out", str(out), "-q"]) == 0
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert {(r["value"], r["kpi"]) for r in rows} == {(v, k) for v in ("1", "2") for k in kpis}
    cost = {r["value"]: r for r in rows if r["kpi"] == "customer_total_cost"}
    # one depot (parts from further away) costs the customer more: the 95% CIs do not even overlap
    # (seed 12345, 3 replications: about [6.9, 8.1] vs [2.9, 4.3] million CNY)
    assert float(cost["1"]["low"]) > float(cost["2"]["high"])


def test_base_files_validate_for_what_they_hold_and_do_not_run(tmp_path: Path, capsys) -> None:
    market = ROOT / "scenarios" / "market.yaml"
    assert main(["validate", str(market), str(ROOT / "scenarios" / "dense_premium.yaml"), str(ROOT / "scenarios" / "regression.yaml")]) == 0
    out = capsys.readouterr().out
    assert "base file" in out and "dense_premium: 279 sites" in out and "regression suite" in out
    assert main(["run", str(market), "-n", "1", "--out", str(tmp_path / "m")]) == 2
    assert "base file" in capsys.readouterr().err and not (tmp_path / "m").exists()
    # a base file's own mistakes are still reported, with their lines; missing sections are not
    bad = tmp_path / "bad_base.yaml"
    bad.write_text("base: true\nname: b\nparts:\n  - {name: p, unit_cost: -1, price: 2}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad_base.yaml:4: parts[p].unit_cost" in err and "depots" not in err
    # without the marker the same file is an incomplete scenario
    bad.write_text("name: b\nparts:\n  - {name: p, unit_cost: 1, price: 2}\n")
    assert main(["validate", str(bad)]) == 2
    assert "depots: required field missing" in capsys.readouterr().err


def test_a_sweep_of_too_many_values_is_refused_at_once(tmp_path: Path, capsys) -> None:
    """``--range 1 2 100000000`` (a typo) would build 10^8 variants before running any."""
    out = tmp_path / "never"
    sweep = ["sweep", str(EXAMPLE), "--param", "open_depots", "--out", str(out), "-q"]
    t0 = time.monotonic()
    assert main([*sweep, "--range", "1", "2", "100000000"]) == 2
    assert capsys.readouterr().err == "error: --values/--range: at most 1,000 steps (got 100,000,000)\n"
    assert main([*sweep, "--values", *map(str, range(1001))]) == 2
    assert capsys.readouterr().err == "error: --values/--range: at most 1,000 values (got 1,001)\n"
    assert time.monotonic() - t0 < 10 and not out.exists()


def test_headline_shares_near_100_percent_get_the_digits_they_need() -> None:
    """Availability 99.95% over 10 replications read "100.0% ± 0.0%"; now the mean and its half-width
    share enough decimals that neither reads 100% or 0% when it is not."""
    from sim.commands.run import headline
    from sim.runner import RunResult
    from sim.scenario.loader import load_scenario
    from sim.table import number, share_decimals

    sc = load_scenario(str(Path(__file__).parent / "data" / "compare" / "sparse.yaml"))
    values = [0.9995, 0.9996, 0.9994, 0.9995, 0.9995, 0.9996, 0.9994, 0.9995, 0.9995, 0.9995]
    result = RunResult(sc, 1, tuple({"availability": v, "within_promise_share": 1.0} for v in values))
    line = next(ln for ln in headline(result).splitlines() if ln.startswith("Machine availability"))
    assert "100.0%" not in line and "99.950%" in line and "± 0.000%" not in line, line
    assert "100.0%" in next(ln for ln in headline(result).splitlines() if "promise" in ln)  # exactly 1 stays 100.0%
    assert share_decimals(0.99953, 0.00012) == 2 and share_decimals(0.5, 0.01) == 1
    assert number(0.99953, "share") == "99.95%" and number(0.00004, "share") == "0.004%"
    assert number(1.0, "share") == "100.0%" and number(0.0, "share") == "0.0%" and number(0.982, "share") == "98.2%"
    assert number(1 - 1e-12, "share") == "100.0%"  # float noise on 1 is 1
