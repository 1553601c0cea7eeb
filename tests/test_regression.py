"""Tests for sim check / sim baseline: verdicts, real changes, seed noise, broken baselines."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.cli import main as sim
from sim.output import replications_csv
from sim.regression.runs import run_suite
from sim.regression.significance import adjust, paired_test, welch_test
from sim.regression.study import false_alarm_study
from sim.regression.suite import SuiteError, load_suite

DATA = Path(__file__).parent / "data" / "regression"
SUITE = DATA / "suite.yaml"
WATCHED = ["availability", "restore_time_mean_h", "within_promise_share", "fill_rate", "lateral_share", "customer_total_cost"]


def suite_variant(tmp_path: Path, scenario: str = "tiny.yaml", extra: str = "", top: str = "") -> Path:
    """A copy of the tiny suite in tmp_path, pointing at a data scenario, with extra entry lines."""
    text = SUITE.read_text().replace("  - file: tiny.yaml", f"  - file: {DATA / scenario}" + extra)
    path = tmp_path / "suite.yaml"
    path.write_text(top + text)
    return path


@pytest.fixture(scope="module")
def made_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("made") / "baseline"
    assert sim(["baseline", str(SUITE), "--baseline", str(folder), "-m", "test baseline", "-q"]) == 0
    return folder


@pytest.fixture()
def baseline(made_baseline: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's baseline, free to damage."""
    folder = tmp_path / "baseline"
    shutil.copytree(made_baseline, folder)
    return folder


def check(suite: Path, baseline: Path, out: Path, *more: str) -> int:
    return sim(["check", str(suite), "--baseline", str(baseline), "--out", str(out), "-q", *more])


def junit(out: Path) -> tuple[list[ET.Element], list[ET.Element]]:
    """(test cases, failing test cases) of a check's junit.xml; checks the count attributes."""
    root = ET.parse(out / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    failing = [c for c in cases if c.find("failure") is not None]
    assert int(root.get("tests")) == len(cases)
    assert int(root.get("failures")) == len(failing)
    return cases, failing


# --- the verdicts ----------------------------------------------------------------------


def test_unchanged_model_passes(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "check"
    assert check(SUITE, baseline, out, "--strict-exact") == 0
    text = capsys.readouterr().out
    assert "tiny      unchanged" in text
    assert "PASS: 0 of 6 KPIs moved; exact: unchanged" in text
    assert "paired t-test over replication indices" in text and "Holm" in text
    cases, failing = junit(out)
    assert len(cases) == 1 + len(WATCHED) and not failing
    assert {c.get("name") for c in cases} == {"exact fingerprint", *WATCHED}
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## ✅ Model check: passed") and "| tiny | unchanged |" in summary
    report = json.loads((out / "check.json").read_text())
    assert report["passed"] and all(k["identical"] and k["p_value"] == 1.0 for k in report["kpis"])
    # worker processes give the same numbers, so the same fingerprint
    assert check(SUITE, baseline, out, "--strict-exact", "--jobs", "2") == 0
    assert "tiny      unchanged" in capsys.readouterr().out


def test_lead_times_plus_20_percent_flagged(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = suite_variant(tmp_path, extra='\n    set: ["central.transport_lead_time_h.value=86.4"]')
    out = tmp_path / "check"
    assert check(suite, baseline, out) == 1
    text = capsys.readouterr().out
    verdict = text.strip().splitlines()[-3]
    assert verdict.startswith("FAIL: ") and "restore_time_mean_h (worse)" in verdict
    assert "tiny      CHANGED" in text and "scenario inputs differ" in text
    cases, failing = junit(out)
    moved = {c.get("name") for c in failing}
    assert {"restore_time_mean_h", "availability"} <= moved and "exact fingerprint" not in moved
    assert len(cases) == 1 + len(WATCHED)
    report = json.loads((out / "check.json").read_text())
    for k in report["kpis"]:
        if k["moved"]:
            assert k["p_adjusted"] <= 0.05 and k["kpi"] in verdict
            if k["kpi"] in ("restore_time_mean_h", "customer_total_cost"):
                assert k["difference"] > 0 and k["direction"] == "worse"
    assert "❌ Model check: FAILED" in (out / "summary.md").read_text()


def test_depot_removed_flagged(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "check"
    assert check(suite_variant(tmp_path, "one-depot.yaml"), baseline, out) == 1
    verdict = capsys.readouterr().out.strip().splitlines()[-3]
    for kpi in ("restore_time_mean_h (worse)", "fill_rate (worse)", "availability (worse)", "lateral_share"):
        assert kpi in verdict
    _, failing = junit(out)
    assert {"restore_time_mean_h", "fill_rate", "lateral_share"} <= {c.get("name") for c in failing}


def test_strict_exact_fails_on_any_changed_number(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # technician travel cost changes the maker's ledger only: outputs change, watched KPIs do not
    suite = suite_variant(tmp_path, extra='\n    set: ["freight.technician_cost_per_km=9"]')
    out = tmp_path / "check"
    assert check(suite, baseline, out) == 0
    text = capsys.readouterr().out
    assert "tiny      CHANGED" in text and "not failing; --strict-exact would" in text
    assert text.count(" same") == len(WATCHED)
    assert check(suite, baseline, out, "--strict-exact") == 1
    _, failing = junit(out)
    assert [c.get("name") for c in failing] == ["exact fingerprint"]


# --- seed-only noise -------------------------------------------------------------------


def test_seed_noise_false_alarm_rate_within_level() -> None:
    """Baselines and checks under disjoint seeds: a check fails at most alpha of the time."""
    suite = load_suite(SUITE)
    trials = 120
    result = false_alarm_study(suite, trials, first_seed=1000)
    # binomial: P(count > allowed | rate = alpha) <= 1%; binom.ppf(0.99, 120, 0.05) = 12
    assert result.allowed() == 12
    assert result.false_alarms <= result.allowed(), result
    # each unadjusted test is calibrated too. Too many rejections: above the binomial
    # quantile 1 - 0.01/12 (a 0.5% tail per test, Bonferroni over the 6 tests).
    high = stats.binom.ppf(1 - 0.01 / 12, trials, 0.05)
    assert high == 15
    # Too few: a test that never rejects is broken (e.g. p always 1). A calibrated test
    # rejects in none of 120 trials with probability 0.95**120 = 0.2%, so that any of the 6
    # does is at most 6 x 0.2% = 1.3% (union bound, whatever the correlation between KPIs).
    # (The lower binomial quantile at 0.5% is 0 here, so it could reject nothing.)
    assert len(result.raw_rejections) == 6 and 6 * stats.binom.pmf(0, trials, 0.05) < 0.013
    for key, n in result.raw_rejections.items():
        assert 1 <= n <= high, (key, n)


def test_other_seed_is_an_exact_change(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # seeds fixed, so deterministic: seed 12 against the baseline's 11 is one of the ~95% passing draws
    code = check(SUITE, baseline, tmp_path / "check", "--seed", "12")
    text = capsys.readouterr().out
    assert "run seed 12 differs from the baseline's 11" in text
    assert code == 0
    assert "PASS: 0 of 6 KPIs moved; exact: outputs changed in tiny (not failing; --strict-exact would)" in text


# --- the tests themselves ----------------------------------------------------------------


def test_welch_and_paired_match_scipy() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 2, 25), rng.normal(11, 3, 25)
    w = welch_test(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert w.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert w.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert w.difference == pytest.approx(b.mean() - a.mean())
    p = paired_test(a, b)
    ref = stats.ttest_rel(b, a)
    assert p.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert p.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    # identical samples: difference 0, p = 1; constant but different: certain change
    assert welch_test(a, a).p_value == 1.0 and paired_test(a, a).p_value == 1.0
    const = welch_test(np.full(5, 2.0), np.full(5, 3.0))
    assert const.p_value == 0.0 and const.statistic == math.inf
    # a constant decrease keeps its sign (the statistic is b − a, like the finite case)
    assert paired_test(np.full(5, 3.0), np.full(5, 2.0)).statistic == -math.inf
    # nan (undefined KPI) values are dropped
    with_nan = welch_test(np.append(a, np.nan), b)
    assert with_nan.n_baseline == 25 and with_nan.p_value == pytest.approx(w.p_value)
    # paired: the difference is the mean over complete pairs, the quantity tested
    a_nan = a.copy()
    a_nan[0] = np.nan
    p_nan = paired_test(a_nan, b)
    ref = stats.ttest_rel(b[1:], a[1:])
    assert p_nan.difference == pytest.approx((b[1:] - a[1:]).mean(), rel=1e-12)
    assert p_nan.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert p_nan.now_mean == pytest.approx(b.mean()) and p_nan.n_baseline == 24


def test_holm_and_bonferroni_adjustments() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, then running maximum
    assert adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust(p, "none") == p
    assert adjust([math.nan, 0.01], "holm") == pytest.approx([1.0, 0.02])


# --- broken baselines --------------------------------------------------------------------


def _rewrite_csv(folder: Path, text: str) -> None:
    """Replace tiny.csv and record its fingerprint, so only the content problem remains."""
    (folder / "tiny.csv").write_text(text)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenarios"]["tiny"]["file_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _drop_column(folder: Path) -> None:
    lines = (folder / "tiny.csv").read_text().splitlines()
    col = lines[0].split(",").index("fill_rate")
    kept = [",".join(c for j, c in enumerate(line.split(",")) if j != col) for line in lines]
    _rewrite_csv(folder, "\n".join(kept) + "\n")


DAMAGE = {
    "folder missing": (lambda f: shutil.rmtree(f), "", "baseline folder not found"),
    "manifest missing": (lambda f: (f / "manifest.json").unlink(), "manifest.json", "file missing"),
    "manifest not JSON": (lambda f: (f / "manifest.json").write_text("{\n  \"format\": 1,\n"), "manifest.json:3", "not valid JSON"),
    "manifest field missing": (
        lambda f: (f / "manifest.json").write_text(json.dumps({"format": 1, "scenarios": {}})),
        "manifest.json",
        "message",
    ),
    "csv missing": (lambda f: (f / "tiny.csv").unlink(), "tiny.csv", "file missing"),
    "csv edited": (
        lambda f: (f / "tiny.csv").write_text((f / "tiny.csv").read_text().replace("0.", "1.", 1)),
        "tiny.csv",
        "do not match the fingerprint",
    ),
    "csv unparsable": (lambda f: _rewrite_csv(f, "replication,fill_rate\n0,0.9\n1,abc\n"), "tiny.csv", "line 3"),
    "kpi column missing": (_drop_column, "tiny.csv", "KPI column(s) missing: fill_rate"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_broken_baseline_exits_2_naming_the_file(
    case: str, baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage, file, reason = DAMAGE[case]
    damage(baseline)
    assert check(SUITE, baseline, tmp_path / "check") == 2
    err = capsys.readouterr().err
    assert f"{baseline / file}" in err and reason in err, err
    assert not (tmp_path / "check").exists()


def test_other_replication_count_exits_2(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = suite_variant(tmp_path, extra="\n    replications: 10")
    assert check(suite, baseline, tmp_path / "check") == 2
    err = capsys.readouterr().err
    assert f"{baseline / 'tiny.csv'}: 20 replications, the suite runs 10" in err


def test_scenario_missing_from_baseline_exits_2(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = suite_variant(tmp_path, extra=f"\n  - file: {DATA / 'one-depot.yaml'}\n    name: closed")
    assert check(suite, baseline, tmp_path / "check") == 2
    assert f"{baseline / 'manifest.json'}: no baseline for scenario 'closed'" in capsys.readouterr().err


# --- sim baseline ------------------------------------------------------------------------


def test_baseline_needs_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "baseline"
    assert sim(["baseline", str(SUITE), "--baseline", str(folder)]) == 2
    assert sim(["baseline", str(SUITE), "--baseline", str(folder), "-m", "  "]) == 2
    assert "--message" in capsys.readouterr().err and not folder.exists()


def test_baseline_manifest_records_why_when_and_fingerprints(made_baseline: Path) -> None:
    manifest = json.loads((made_baseline / "manifest.json").read_text())
    assert manifest["message"] == "test baseline"
    created = datetime.fromisoformat(manifest["created_utc"])
    assert created.tzinfo is not None and abs((datetime.now(timezone.utc) - created).total_seconds()) < 600
    assert manifest["code_version"].startswith("0.") and "numpy" in manifest["packages"]
    entry = manifest["scenarios"]["tiny"]
    assert entry["seed"] == 11 and entry["replications"] == 20 and entry["kpis"] == WATCHED
    assert "wall_time_s" not in entry and manifest["wall_time_s"] > 0  # one run for the whole suite
    csv_text = (made_baseline / "tiny.csv").read_text()
    assert entry["file_sha256"] == hashlib.sha256(csv_text.encode()).hexdigest()
    assert csv_text.splitlines()[0] == ",".join(["replication", *WATCHED])
    run = run_suite(load_suite(SUITE))[0]
    assert entry["outputs_sha256"] == hashlib.sha256(replications_csv(run.result).encode()).hexdigest()
    assert sorted(p.name for p in made_baseline.iterdir()) == ["manifest.json", "sim-files.json", "tiny.csv"]


def test_baseline_will_not_replace_a_foreign_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    assert sim(["baseline", str(SUITE), "--baseline", str(tmp_path), "-m", "oops"]) == 2
    assert f"refusing to write into {tmp_path}/" in capsys.readouterr().err and (tmp_path / "keep.txt").exists()


# --- the suite file ----------------------------------------------------------------------


def test_suite_problems_reported_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(
        "replications: 20\n"
        "alpha: 0.05\n"
        "tset: paired\n"  # line 3: typo
        "kpis:\n"
        "  - fill_rate\n"
        "  - {name: restore_time_mean, test: paired}\n"  # line 6: unknown KPI
        "scenarios:\n"
        f"  - file: {DATA / 'tiny.yaml'}\n"
        "    set: [\"depots[Nowhere].technicians=3\"]\n"  # line 9: bad override
        "  - file: missing.yaml\n"  # line 10
    )
    assert sim(["check", str(path), "--baseline", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3: tset: unknown field; did you mean 'test'?" in err
    path.write_text(path.read_text().replace("tset", "test"))
    assert sim(["check", str(path), "--baseline", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "regression suite has 3 problems" in err
    assert f"{path}:6: kpis[1]: unknown KPI 'restore_time_mean'; did you mean 'restore_time_mean_h'?" in err
    assert f"{path}:9: scenarios[0].set[0]: no item named 'Nowhere'" in err
    assert f"{path}:10: scenarios[1].file: scenario file not found" in err


def test_suite_with_anchors_and_overridden_merged_keys_loads(tmp_path: Path) -> None:
    # '<<: *anchor' then a key of the anchor written again: YAML's override, not a duplicate
    path = tmp_path / "suite.yaml"
    path.write_text(
        "replications: 20\n"
        "kpis: [fill_rate]\n"
        "scenarios:\n"
        "  - &tiny\n"
        f"    file: {DATA / 'tiny.yaml'}\n"
        "    name: first\n"
        "    seed: 11\n"
        "  - <<: *tiny\n"
        "    name: second\n"
        "    seed: 12\n"
    )
    suite = load_suite(path)
    assert [(s.label, s.scenario.seed, s.scenario.replications) for s in suite.scenarios] == [
        ("first", 11, 20),
        ("second", 12, 20),
    ]
    # a key written twice in one mapping still is a duplicate, with its line
    path.write_text(path.read_text().replace("    seed: 12\n", "    seed: 12\n    seed: 13\n"))
    with pytest.raises(SuiteError, match=r"suite.yaml:11: scenarios\[second\]\.seed: duplicate key 'seed' \(first at line 10\)"):
        load_suite(path)


def test_false_alarm_study_refuses_bad_jobs_before_reading_the_suite(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.regression.__main__ import main as study_main

    assert study_main([str(DATA / "missing.yaml"), "--false-alarm-study", "--jobs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--jobs must be at least 1 (got 0)" in err and "missing.yaml" not in err
