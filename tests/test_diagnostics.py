"""Warnings for legal but suspicious settings: each names the item and gives numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.build import build
from sim.cli import main
from sim.diagnostics import CHECKS, Diagnostic, diagnose, format_warnings
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "loader" / "minimal.yaml"
EXAMPLE = ROOT / "scenarios" / "example.yaml"
DENSE = ROOT / "scenarios" / "dense_premium.yaml"
# a travel-table leg that makes the technician's one-way trip 0.25 h mobilisation + 299.75 h = 300 h
FAR = "travel.table=[{from: Chengdu, to: Chengdu-1, time_h: 299.75}]"


def minimal(*overrides: str) -> Scenario:
    """minimal.yaml: 2 packers, one component (exponential, mean 1000 h; repair 2 h), 1 technician, jaw stock 2."""
    return load_scenario(MINIMAL, list(overrides))


def codes(sc: Scenario) -> dict[str, list[Diagnostic]]:
    """The warnings of a scenario by check."""
    out: dict[str, list[Diagnostic]] = {}
    for d in diagnose(sc):
        out.setdefault(d.code, []).append(d)
    return out


def test_a_sound_scenario_has_no_warnings() -> None:
    assert diagnose(minimal()) == []
    assert diagnose(load_scenario(EXAMPLE)) == []
    assert diagnose(load_scenario(DENSE)) == []


def test_offered_technician_load_at_or_above_one() -> None:
    # by hand: 2 machines × 1/1000 h = 0.002 failures/h; busy per visit 2 × 300 h travel + 2 h repair = 602 h;
    # one technician: offered load 0.002 × 602 / 1 = 1.204
    (load,) = codes(minimal(FAR))["technician-load"]
    assert load.subject == "depot Chengdu"
    assert load.message.startswith(
        "offered technician load 1.20 (failures 0.002/h × 602.0 h busy per visit [2 × travel + repair] ÷ 1 technician) ≥ 1"
    )
    assert "technician-load" not in codes(minimal(FAR, "depots[Chengdu].technicians=2"))  # 0.602 < 1
    # with the technician taken at the failure the figure is a lower bound, and says so
    (bound,) = codes(minimal(FAR, "dispatch.technician_dispatch=on_failure"))["technician-load"]
    assert bound.message.startswith("offered technician load at least 1.20") and "lower bound" in bound.message


def test_case_study_with_one_open_depot_warns_of_the_overload() -> None:
    # open_depots=[Dongguan] leaves Dongguan's 2 technicians for all 737 machines (269 of 632 outages open at the horizon)
    sc = load_scenario(DENSE, ["open_depots=[Dongguan]"])
    net = build(sc)
    mttf_h = {c.name: c.time_to_failure_h.mean for c in sc.machine_models[0].components}  # exponential: the mean
    repair_h = {c.name: c.repair_time_h.mean for c in sc.machine_models[0].components}
    per_machine = sum(1 / m for m in mttf_h.values())  # failures per machine-hour, all components
    failures = 737 * per_machine
    busy = sum(
        site.machines * sum((2 * site.technician_time_h + repair_h[k]) / mttf_h[k] for k in mttf_h) for site in net.sites
    )
    load = busy / 2
    assert load > 2  # by hand from the documented formula; the warning must give the same figures
    (warning,) = codes(sc)["technician-load"]
    assert warning.subject == "depot Dongguan"
    assert f"offered technician load {load:.2f} (failures {failures:.3g}/h × {busy / failures:.1f} h busy" in warning.message
    assert "÷ 2 technicians) ≥ 1: outages will queue without bound" in warning.message


def test_depot_that_serves_no_site(tmp_path: Path) -> None:
    text = MINIMAL.read_text() + "  - {name: Lhasa, lat: 29.65, lon: 91.17, technicians: 1, base_stock: {jaw: 1}, fixed_cost_per_year: 90000}\n"
    f = tmp_path / "two.yaml"
    f.write_text(text)
    (idle,) = codes(load_scenario(f))["idle-depot"]
    assert idle.subject == "depot Lhasa"
    # many idle depots: one warning naming them
    (many,) = codes(load_scenario(DENSE, ["sites[*].depot=Dongguan"]))["idle-depot"]
    assert many.subject == "16 depots" and many.message.startswith(
        "16 of the 17 open depots serve no site and no demand stream: Shantou (1 technician, 6 units of base stock, "
        "fixed cost 240,000 per year); Xiamen"
    )
    assert idle.message.startswith("serves no site and no demand stream: 1 technician, 1 units of base stock, fixed cost 90,000 per year")
    # a demand stream is work: no warning; a closed depot (open_depots) is not a depot that serves nothing
    stream = load_scenario(f, ["demand_streams=[{name: counter, depot: Lhasa, part: jaw, rate_per_h: 0.001}]"])
    assert "idle-depot" not in codes(stream)
    assert "idle-depot" not in codes(load_scenario(f, ["open_depots=1"]))


def test_depot_without_technicians_nearest_to_sites(tmp_path: Path) -> None:
    # a stockroom next to the site but without technicians: the site is served from Chengdu, 10 km away
    text = MINIMAL.read_text() + "  - {name: Store, lat: 30.66, lon: 104.07, technicians: 0, base_stock: {jaw: 1}}\n"
    f = tmp_path / "store.yaml"
    f.write_text(text)
    found = codes(load_scenario(f))
    (none,) = found["no-technicians"]
    assert none.subject == "depot Store"
    assert none.message.startswith("has no technicians, yet it is the nearest depot of 1 site whose failures need one")
    assert "Chengdu-1 0.5 h from Chengdu instead of 0.2 h" in none.message  # 0.25 h mobilisation + 0 and 0.26 h driving


def test_site_beyond_its_promise() -> None:
    sc = minimal(FAR, "regions=[{name: West, promise_h: 24}]", "sites[Chengdu-1].region=West")
    (late,) = codes(sc)["beyond-promise"]
    assert late.subject == "depot Chengdu"
    assert late.message.startswith("1 of its 1 sites cannot be restored within their promise")
    assert "(Chengdu-1 (300.0 h against 24 h))" in late.message
    near = minimal("regions=[{name: West, promise_h: 24}]", "sites[Chengdu-1].region=West")
    assert "beyond-promise" not in codes(near)
    # a site assigned by name to a far depot: the warning says which depot could keep the promise
    far = load_scenario(DENSE, ["sites[Jinjiang-01].depot=Dongguan"])
    (late,) = [d for d in codes(far)["beyond-promise"] if d.subject == "depot Dongguan"]
    assert "(Jinjiang-01 (12.0 h against 8 h; depot Xiamen would take 1.9 h))" in late.message


def test_site_at_latitude_zero_longitude_zero() -> None:
    (zero,) = codes(minimal("sites[Chengdu-1].lat=0", "sites[Chengdu-1].lon=0"))["null-island"]
    assert zero.subject == "site Chengdu-1" and "latitude 0, longitude 0" in zero.message
    assert "null-island" not in codes(minimal("sites[Chengdu-1].lat=0"))  # the equator alone is a real place


def test_base_stock_below_expected_lead_time_demand(tmp_path: Path) -> None:
    # by hand: 0.002 jaw demands/h × 72 h default replenishment = 0.144 units expected on order
    (short,) = codes(minimal("depots[Chengdu].base_stock.jaw=0"))["short-stock"]
    assert short.subject == "part jaw"
    assert short.message.startswith(
        "base stock below the expected demand over the replenishment lead time at depot Chengdu 0 < 0.14 (0.002/h × 72 h)"
    )
    assert "short-stock" not in codes(minimal("depots[Chengdu].base_stock.jaw=1"))
    # demand streams count too: 0.05/h more makes λL = 0.052 × 72 = 3.744 > 2
    streamed = minimal("demand_streams=[{name: counter, depot: Chengdu, part: jaw, rate_per_h: 0.05}]")
    (short,) = codes(streamed)["short-stock"]
    assert "at depot Chengdu 2 < 3.74 (0.052/h × 72 h)" in short.message
    # several depots short of one part: one warning for the part, naming them
    (short,) = codes(load_scenario(DENSE, ["depots[*].base_stock.sealing_jaw=0"]))["short-stock"]
    assert short.subject == "part sealing_jaw"
    assert "at 17 of 17 depots: Dongguan 0 < " in short.message and "and 14 more" in short.message
    # central with its own stock: the depots' demand over the factory lead time, 0.002/h × 100 h = 0.2
    central = minimal("central.base_stock={jaw: 0}", "central.factory_lead_time_h={dist: deterministic, value: 100}")
    (short,) = codes(central)["short-stock"]
    assert short.subject == "central warehouse central" and "for jaw 0 < 0.20 (0.002/h × 100 h)" in short.message


def test_warnings_are_merged_over_variants() -> None:
    a, b = minimal(), minimal(FAR)
    lines = format_warnings([(a, "x=1"), (b, "x=2")])
    assert lines and all(line.startswith("warning: minimal: depot Chengdu: ") for line in lines)
    assert all(line.endswith("[with x=2]") for line in lines)
    assert format_warnings([(b, "x=1"), (b, "x=2")]) == format_warnings([(b, "")])  # everywhere: no label


# ---- on the command line ---------------------------------------------------------------------


def test_run_prints_warnings_and_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["run", str(MINIMAL), "-n", "1", "--out", str(out), "-q", "--set", FAR]) == 0
    err = capsys.readouterr().err
    assert "warning: minimal: depot Chengdu: offered technician load 1.20" in err
    assert (out / "summary.csv").exists()


def test_validate_prints_warnings_and_strict_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(MINIMAL), "--set", FAR]) == 0
    captured = capsys.readouterr()
    assert "ok (minimal: 1 sites, 2 machines, 1 depots), 1 warning" in captured.out
    assert captured.err.count("warning: minimal:") == 1
    assert main(["validate", str(MINIMAL), "--set", FAR, "--strict"]) == 2
    assert "error: --strict: 1 warning (above)" in capsys.readouterr().err
    assert main(["validate", str(MINIMAL), "--strict"]) == 0


def test_sweep_labels_warnings_with_the_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(MINIMAL), "--param", "travel.technician_mobilisation_h", "--values", "0.25", "400",
                 "-n", "1", "-q", "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert "warning: minimal: depot Chengdu: offered technician load" in err
    assert err.count("warning:") == 1 and "[with travel.technician_mobilisation_h=400]" in err


def test_every_check_is_documented_and_fires_somewhere(tmp_path: Path) -> None:
    text = MINIMAL.read_text() + "  - {name: Store, lat: 30.66, lon: 104.07, technicians: 0, base_stock: {jaw: 1}}\n"
    f = tmp_path / "store.yaml"
    f.write_text(text)
    scenarios = [
        load_scenario(f),  # idle-depot and no-technicians
        minimal(FAR, "regions=[{name: West, promise_h: 24}]", "sites[Chengdu-1].region=West"),
        minimal("sites[Chengdu-1].lat=0", "sites[Chengdu-1].lon=0", "depots[Chengdu].base_stock.jaw=0"),
    ]
    seen = {d.code for sc in scenarios for d in diagnose(sc)}
    assert seen == set(CHECKS)
