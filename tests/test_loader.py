"""Scenario loading: line-tracked errors, extends, overrides, resolved YAML, hash, reference page."""

from __future__ import annotations

import pickle
import tracemalloc
from pathlib import Path

import pytest
import yaml

from sim.scenario.errors import Named, Origin, Problem, ScenarioError, format_path
from sim.scenario.loader import (
    apply_overrides,
    load_scenario,
    load_scenario_data,
    load_scenarios,
    resolved_yaml,
    scenario_hash,
)
from sim.scenario.reference import render
from sim.scenario.schema import Deterministic, Exponential, Gamma, Scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "loader"


def problems_of(path: Path, overrides: list[str] | None = None) -> list[Problem]:
    """The problems reported for a scenario file (which must not load)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    return info.value.problems


def where(problems: list[Problem]) -> list[tuple[str | None, int | None, str]]:
    """(file name, line, path) of each problem."""
    return [(Path(p.file).name if p.file else None, p.line, p.path) for p in problems]


def one(problems: list[Problem]) -> Problem:
    """The only problem."""
    assert len(problems) == 1, problems
    return problems[0]


# ---- a valid file ---------------------------------------------------------------------


def test_minimal_scenario_loads() -> None:
    s = load_scenario(DATA / "minimal.yaml")
    assert s.name == "minimal"
    assert [p.name for p in s.parts] == ["jaw"]
    component = s.machine_models[0].components[0]
    assert component.time_to_failure_h == Exponential(dist="exponential", mean=1000)
    assert component.repair_time_h == Deterministic(dist="deterministic", value=2)
    assert s.sites[0].machines == {"packer": 2}
    assert s.depots[0].technicians == 1 and s.depots[0].base_stock == {"jaw": 2}


def test_origins_point_at_keys_and_items() -> None:
    _, origins = load_scenario_data(DATA / "minimal.yaml")
    file = str(DATA / "minimal.yaml")
    assert origins[("parts", 0)] == Origin(file, 4)
    assert origins[("parts", 0, "price")] == Origin(file, 6)
    assert origins[("machine_models", 0, "components", 0, "time_to_failure_h", "mean")] == Origin(file, 14)
    assert origins[("depots", 0, "base_stock", "jaw")] == Origin(file, 27)


# ---- many mistakes, all reported ------------------------------------------------------


def test_all_mistakes_reported_with_file_line_and_path() -> None:
    problems = problems_of(DATA / "mistakes.yaml")
    assert where(problems) == [
        ("mistakes.yaml", 12, "machine_models[packer].components[sealing-jaw].part"),
        ("mistakes.yaml", 15, "machine_models[packer].components[sealing-jaw].time_to_failure_h.shape"),
        ("mistakes.yaml", 19, "sites[Chengdu-1].downtime_cost_per_h"),
        ("mistakes.yaml", 23, "sites[Chengdu-1].downtime_cost_per_hr"),
        ("mistakes.yaml", 27, "sites[Chengdu-2].machines.packer"),
        ("mistakes.yaml", 28, "sites[Chengdu-2].downtime_cost_per_h"),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == "unknown part 'knife'"  # cross-reference, found despite the field errors
    assert messages[1] == "Input should be greater than 0"  # inside the weibull member of the union
    assert messages[2] == "required field missing"
    assert messages[3] == "unknown field; did you mean 'downtime_cost_per_h'?"
    assert "valid integer" in messages[4]
    assert messages[5] == "Input should be greater than or equal to 0"


def test_error_text_lists_problems_one_per_line() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "mistakes.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "scenario file has 6 problems:"
    assert lines[6] == f"{DATA / 'mistakes.yaml'}:28: sites[Chengdu-2].downtime_cost_per_h: Input should be greater than or equal to 0"
    assert pickle.loads(pickle.dumps(info.value)).problems == info.value.problems


def test_problem_and_path_formatting() -> None:
    assert str(Problem("x.yaml", 12, "sites[3].lat", "bad")) == "x.yaml:12: sites[3].lat: bad"
    assert str(Problem("--set", None, "", "bad", "seed=x")) == "--set seed=x: bad"
    assert str(Problem("--set", None, "warmup_h", "bad", "horizon_h=1")) == "--set horizon_h=1: warmup_h: bad"
    assert str(Problem(None, None, "seed", "bad")) == "seed: bad"
    assert str(Problem("x.yaml", None, "", "cannot read")) == "x.yaml: cannot read"
    assert format_path(("sites", 3, "machines", "packer")) == "sites[3].machines.packer"
    assert format_path(("depots", 0, "base_stock", "v1.2")) == "depots[0].base_stock[v1.2]"
    assert format_path(("sites", Named("Chengdu-01"), "machines")) == "sites[Chengdu-01].machines"


def test_yaml_syntax_error_gives_file_and_line() -> None:
    problem = one(problems_of(DATA / "syntax_error.yaml"))
    assert where([problem]) == [("syntax_error.yaml", 5, "")]
    assert "YAML syntax error" in problem.message


def test_duplicate_key_is_a_problem() -> None:
    problem = one(problems_of(DATA / "duplicate_key.yaml"))
    assert (problem.line, problem.path) == (6, "parts[jaw].unit_cost")
    assert problem.message == "duplicate key 'unit_cost' (first at line 4)"


def test_missing_file_and_non_mapping_top_level(tmp_path: Path) -> None:
    missing = one(problems_of(tmp_path / "nope.yaml"))
    assert missing.file == str(tmp_path / "nope.yaml") and "cannot read" in missing.message
    top = one(problems_of(DATA / "top_list.yaml"))
    assert top.line == 1 and "top level must be a mapping" in top.message
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    empty = one(problems_of(tmp_path / "empty.yaml"))
    assert "not empty" in empty.message


def test_anchors_merge_keys_and_keys_read_as_text() -> None:
    problem = one(problems_of(DATA / "anchors.yaml"))
    assert (problem.line, problem.path) == (8, "parts[1].name")
    assert problem.message == "expected text, got 2000: put it in quotes"
    s = load_scenario(DATA / "anchors.yaml", ["parts[1].name='2000'"])
    assert s.parts[1].unit_cost == 100 and s.parts[1].price == 170  # from the '<<' merge
    assert s.sites[0].machines == {"2000": 2}  # the key 2000 is the model name "2000"
    assert s.depots[0].replenishment_lead_time_h == s.machine_models[0].components[0].time_to_failure_h


# ---- extends ------------------------------------------------------------------------


def test_extends_merges_by_name_deletes_and_overrides_nested() -> None:
    s = load_scenario(DATA / "child.yaml")
    assert s.name == "child" and s.replications == 3  # replications from common.yaml, two levels up
    assert [p.name for p in s.parts] == ["jaw", "knife"]
    assert [x.name for x in s.sites] == ["Chengdu-1", "Fuzhou-1"]  # Chengdu-2 deleted, Fuzhou-1 added
    chengdu = s.sites[0]
    assert chengdu.downtime_cost_per_h == 5000 and chengdu.lat == 30.66 and chengdu.machines == {"packer": 2}
    jaw, cutter = s.machine_models[0].components
    assert jaw.time_to_failure_h == Exponential(dist="exponential", mean=500)
    assert jaw.part == "jaw" and cutter.name == "cutter" and s.machine_models[0].price == 200000
    assert s.dispatch.lateral.enabled is False and s.dispatch.lateral.max_time_h == 6


def test_merged_origins_point_to_the_file_each_value_came_from() -> None:
    data, origins = load_scenario_data(DATA / "child.yaml")
    assert "extends" not in data and all("delete" not in site for site in data["sites"])
    child, base, common = (str(DATA / f) for f in ("child.yaml", "bases/base.yaml", "bases/common.yaml"))
    assert origins[("sites", 0, "downtime_cost_per_h")] == Origin(child, 10)
    assert origins[("sites", 0, "lat")] == Origin(base, 22)
    assert origins[("sites", 1, "name")] == Origin(child, 13)
    assert origins[("dispatch", "lateral", "max_time_h")] == Origin(common, 7)
    assert origins[("machine_models", 0, "components", 0, "time_to_failure_h", "dist")] == Origin(base, 14)
    assert not any(path[:2] == ("sites", 2) for path in origins)  # no trace of the deleted site


def test_problems_in_values_from_a_base_point_into_the_base() -> None:
    problems = problems_of(DATA / "child_bad.yaml")
    assert where(problems) == [
        ("base.yaml", 17, "machine_models[packer].components[cutter].part"),
        ("base.yaml", 36, "depots[Chengdu].base_stock.knife"),
    ]
    assert all(p.message == "unknown part 'knife'" for p in problems)


def test_extends_cycle_is_detected() -> None:
    problem = one(problems_of(DATA / "cycle_a.yaml"))
    assert where([problem]) == [("cycle_b.yaml", 2, "extends")]
    assert problem.message.startswith("cycle: ") and problem.message.endswith("cycle_a.yaml")


def test_missing_base_and_unknown_delete_both_reported() -> None:
    problems = problems_of(DATA / "bad_extends.yaml")
    assert where(problems) == [("bad_extends.yaml", 3, "extends"), ("bad_extends.yaml", 6, "sites[Nowhere]")]
    assert "no_such_base.yaml" in problems[0].message
    assert problems[1].message == "cannot delete 'Nowhere': no entry of that name (names: Chengdu-1)"


# ---- overrides ------------------------------------------------------------------------


def test_overrides_by_name_index_and_new_mapping() -> None:
    s = load_scenario(
        DATA / "minimal.yaml",
        [
            "sites[Chengdu-1].downtime_cost_per_h=5000",
            "seed=7",
            "depots[0].base_stock.jaw=3",
            "pricing.machine_price_multiplier=2",  # 'pricing' is not in the file: created
            "depots[Chengdu].replenishment_lead_time_h={dist: gamma, mean: 48, cv: 0.5}",
            "travel.table=[{from: Chengdu, to: Chengdu-1, time_h: 1.5}]",
        ],
    )
    assert s.sites[0].downtime_cost_per_h == 5000 and s.seed == 7
    assert s.depots[0].base_stock == {"jaw": 3}
    assert s.pricing.machine_price_multiplier == 2
    assert s.depots[0].replenishment_lead_time_h == Gamma(dist="gamma", mean=48, cv=0.5)
    assert s.travel.table[0].time_h == 1.5


def test_override_origins_are_set() -> None:
    data, origins = load_scenario_data(DATA / "minimal.yaml")
    problems = apply_overrides(data, origins, ["depots[0].base_stock={jaw: 1, knife: 2, 2000: 3}"])
    assert problems == []
    assert data["depots"][0]["base_stock"] == {"jaw": 1, "knife": 2, "2000": 3}  # keys as written, like files
    text = "depots[0].base_stock={jaw: 1, knife: 2, 2000: 3}"
    assert origins[("depots", 0, "base_stock")] == Origin("--set", None, text)
    assert origins[("depots", 0, "base_stock", "knife")] == Origin("--set", None, text)
    assert origins[("depots", 0, "lat")] == Origin(str(DATA / "minimal.yaml"), 24)


def test_bad_overrides_are_all_reported() -> None:
    problems = problems_of(
        DATA / "minimal.yaml",
        ["sites[Nope].downtime_cost_per_h=1", "depots[4].lat=1", "seed", "sites.lat=3", "sites[0].downtime_cost_per_h=-3"],
    )
    assert all(p.file == "--set" and p.line is None for p in problems)
    by_override = {p.override: p for p in problems}
    assert by_override["sites[Nope].downtime_cost_per_h=1"].message == "no item named 'Nope' in sites (names: Chengdu-1)"
    assert by_override["depots[4].lat=1"].message == "index 4 out of range: depots has 1 items"
    assert by_override["seed"].message.startswith("expected PATH=VALUE")
    assert by_override["sites.lat=3"].message.startswith("sites is a list")
    bad = by_override["sites[0].downtime_cost_per_h=-3"]  # via pydantic, the item named
    assert (bad.path, bad.message) == ("sites[Chengdu-1].downtime_cost_per_h", "Input should be greater than or equal to 0")
    assert len(problems) == 5


# ---- resolved YAML and hash -----------------------------------------------------------


@pytest.mark.parametrize("name", ["minimal.yaml", "child.yaml"])
def test_resolved_yaml_round_trip(name: str, tmp_path: Path) -> None:
    s = load_scenario(DATA / name)
    out = tmp_path / "resolved.yaml"
    out.write_text(resolved_yaml(s), encoding="utf-8")
    again = load_scenario(out)
    assert again == s
    fields = {f.alias or n for n, f in Scenario.model_fields.items()}
    assert set(yaml.safe_load(out.read_text(encoding="utf-8"))) == fields  # every default written out


def test_scenario_hash_stable_and_sensitive() -> None:
    a = load_scenario(DATA / "minimal.yaml")
    b = load_scenario(DATA / "minimal.yaml")
    h = scenario_hash(a)
    assert len(h) == 64 and h == scenario_hash(b)
    assert scenario_hash(load_scenario(DATA / "minimal.yaml", ["seed=12345"])) == h  # same as the default
    assert scenario_hash(load_scenario(DATA / "minimal.yaml", ["seed=8"])) != h
    assert scenario_hash(load_scenario(DATA / "minimal.yaml", ["sites[0].downtime_cost_per_h=801"])) != h


# ---- reference page -------------------------------------------------------------------


def test_reference_page_is_up_to_date() -> None:
    page = ROOT / "docs" / "scenario-reference.md"
    assert page.read_text(encoding="utf-8") == render(), (
        "docs/scenario-reference.md is stale: run `python -m sim.scenario.reference`"
    )


# ---- details --------------------------------------------------------------------------


def test_extends_list_later_base_wins_and_delete_checks(tmp_path: Path) -> None:
    (tmp_path / "bases").mkdir()
    (tmp_path / "bases" / "one.yaml").write_text("seed: 1\nreplications: 4\n")
    (tmp_path / "bases" / "two.yaml").write_text("seed: 2\n")
    top = tmp_path / "top.yaml"
    top.write_text(f"extends: [bases/one.yaml, bases/two.yaml, {DATA / 'minimal.yaml'}]\nname: top\n")
    s = load_scenario(top)
    assert (s.name, s.seed, s.replications) == ("top", 2, 4)
    top.write_text(
        f"extends: {DATA / 'minimal.yaml'}\nname: top\nparts:\n  - name: jaw\n    delete: maybe\n"
        "sites:\n  - name: Chengdu-1\n    delete: false\n    downtime_cost_per_h: 1\n"
    )
    problem = one(problems_of(top))
    assert (problem.line, problem.path, problem.message) == (5, "parts[jaw].delete", "delete must be true or false")
    top.write_text(top.read_text().replace("    delete: maybe\n", ""))
    s = load_scenario(top)  # 'delete: false' merges as usual; 'delete' never reaches the schema
    assert s.sites[0].downtime_cost_per_h == 1 and s.sites[0].lat == 30.66


def test_distribution_messages_name_the_choices() -> None:
    comp = "machine_models[0].components[0]"
    problems = problems_of(
        DATA / "minimal.yaml",
        [f"{comp}.repair_time_h={{mean: 2}}", f"{comp}.time_to_failure_h={{dist: expo, mean: 1}}",
         "depots[0].replenishment_lead_time_h={dist: uniform, low: 5, high: 1}", "central=3"],
    )
    by_path = {p.path: p.message for p in problems}
    comp = "machine_models[packer].components[sealing-jaw]"  # named in messages
    assert by_path[f"{comp}.repair_time_h"].startswith("missing key 'dist' (one of: exponential, weibull,")
    assert "'expo'" in by_path[f"{comp}.time_to_failure_h"]
    assert by_path["depots[Chengdu].replenishment_lead_time_h"] == "'high' must be at least 'low'"
    assert by_path["central"] == "expected a mapping of keys to values, got 3"


def test_wildcard_override_sets_every_item() -> None:
    example = ROOT / "scenarios" / "example.yaml"
    sc = load_scenario(example, ["sites[*].downtime_cost_per_h=777", "depots[*].base_stock.servo_drive=5"])
    assert {s.downtime_cost_per_h for s in sc.sites} == {777}
    assert [d.base_stock["servo_drive"] for d in sc.depots] == [5] * len(sc.depots)
    with pytest.raises(ScenarioError) as err:
        load_scenario(example, ["regions[*].promise_h=-1"])
    problem = one(err.value.problems)  # one mistake, one message: not one per region
    assert (problem.file, problem.override, problem.path) == ("--set", "regions[*].promise_h=-1", "regions[*].promise_h")
    assert problem.message == "Input should be greater than 0 (2 items: Zhejiang, Shanghai)"


# ---- names, not indexes; overrides blamed; one message per mistake ----------------------


def test_paths_name_list_items_and_fall_back_to_the_index(tmp_path: Path) -> None:
    # named items are shown by name, as --set reads them; an item whose name is missing,
    # not text or shared with another item keeps its index
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace("parts:\n", "parts:\n  - {name: jaw, unit_cost: 1, price: -1}\n  - {unit_cost: -1, price: 2}\n")
    bad = tmp_path / "named.yaml"
    bad.write_text(text)
    paths = [p.path for p in problems_of(bad)]
    assert "parts[0].price" in paths and "parts[1].unit_cost" in paths  # two parts named 'jaw': by index
    assert "parts[1].name" in paths  # the unnamed part
    assert "parts[2].name" in paths  # the duplicate name itself
    problem = one(problems_of(DATA / "minimal.yaml", ["sites[0].machines.packer=-1"]))
    assert problem.path == "sites[Chengdu-1].machines.packer"


def test_bad_override_is_blamed_on_the_override_not_the_file() -> None:
    # the file's warmup_h is fine until --set shortens the horizon: the override is at fault
    problem = one(problems_of(ROOT / "scenarios" / "example.yaml", ["horizon_h=100"]))
    assert (problem.file, problem.line, problem.override, problem.path) == ("--set", None, "horizon_h=100", "warmup_h")
    assert problem.message.startswith("warm-up 720.0 h must be shorter than horizon_h 100.0 h (")
    assert problem.message.endswith("example.yaml:11)")  # where the value it clashes with is
    # renaming a part breaks every reference to it, each in the file; blamed on the override, one line per kind
    problems = problems_of(ROOT / "scenarios" / "dense_premium.yaml", ["parts[sealing_jaw].name=jaw", "seed=3"])
    assert {p.override for p in problems} == {"parts[sealing_jaw].name=jaw"}
    assert [p.path for p in problems] == ["machine_models[vffs_mid].components[jaw].part", "depots[*].base_stock.sealing_jaw"]
    assert problems[1].message == (
        "unknown part 'sealing_jaw' (17 items: Dongguan (line 33), Shantou (line 40), Xiamen (line 47) and 14 more) "
        f"(in {ROOT / 'scenarios' / 'dense_premium.yaml'})"
    )
    # a mistake the file has anyway stays with the file
    problems = problems_of(DATA / "mistakes.yaml", ["seed=3"])
    assert len(problems) == 6 and all(p.file.endswith("mistakes.yaml") for p in problems)


def test_wildcard_mistake_is_one_message_and_names_suggest_the_closest() -> None:
    market = ROOT / "scenarios" / "dense_premium.yaml"
    problem = one(problems_of(market, ["sites[*].downtime_cost_per_h=-1"]))
    assert problem.path == "sites[*].downtime_cost_per_h"
    assert problem.message.endswith("(279 items: Dongguan-01, Dongguan-02, Dongguan-03 and 276 more)")
    problem = one(problems_of(market, ["sites[*].region=Zhejian"]))
    assert problem.message.startswith("unknown region 'Zhejian'; did you mean 'Zhejiang'? (279 items:")
    problem = one(problems_of(market, ["sites[Dongguan-1].downtime_cost_per_h=5"]))
    assert problem.message.startswith("no item named 'Dongguan-1' in sites; did you mean 'Dongguan-01'")
    problem = one(problems_of(market, ["sites[Atlantis].downtime_cost_per_h=5"]))  # nothing close: a few names
    assert problem.message.endswith("(names: Dongguan-01, Dongguan-02, Dongguan-03, Dongguan-04, Dongguan-05, "
                                    "Dongguan-06, Dongguan-07, Dongguan-08, … (279 in all))")


def test_zero_mean_time_to_failure_is_an_error() -> None:
    comp = "machine_models[0].components[0].time_to_failure_h"
    problem = one(problems_of(DATA / "minimal.yaml", [f"{comp}={{dist: uniform, low: 0, high: 0}}"]))
    assert problem.path == "machine_models[packer].components[sealing-jaw].time_to_failure_h"
    assert problem.message.startswith("mean time to failure is 0 h")


# ---- hostile files ------------------------------------------------------------------------


def test_billion_laughs_is_refused_before_expansion() -> None:
    tracemalloc.start()
    try:
        problem = one(problems_of(DATA / "billion_laughs.yaml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.line == 8 and "aliases expand this file by more than 100,000 values" in problem.message
    assert peak < 5_000_000  # bytes: nothing was expanded (9^9 strings would take gigabytes)


def test_alias_budget_counts_expansion_not_aliases(tmp_path: Path) -> None:
    # sharing one distribution among many components is fine; a budget-breaking expansion is not
    base = (DATA / "minimal.yaml").read_text()
    ok = tmp_path / "shared.yaml"
    ok.write_text(base + "demand_streams:\n" + "".join(
        f"  - {{name: s{i}, depot: Chengdu, part: jaw, rate_per_h: &r{i} 0.001}}\n" for i in range(200)))
    assert len(load_scenario(ok).demand_streams) == 200
    big = tmp_path / "wide.yaml"
    block = "[" + ", ".join(["1"] * 1000) + "]"
    big.write_text(f"x: &x {block}\n" + "y: [" + ", ".join(["*x"] * 101) + "]\n")
    problem = one(problems_of(big))
    assert "expand this file by more than 100,000 values" in problem.message


def test_recursive_alias_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("name: x\na: &a [1, *a]\n")
    assert "recursive alias" in one(problems_of(loop)).message
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    message = one(problems_of(deep)).message  # libyaml stops at 1000 levels; PyYAML's own parser at recursion
    assert "maximum nesting depth" in message or "nested too deeply" in message
    deeper = tmp_path / "deeper.yaml"
    deeper.write_text("name: " + "[" * 70 + "]" * 70 + "\n")
    assert "nested deeper than 64 levels" in one(problems_of(deeper)).message


def test_not_utf8_names_line_and_column_of_the_first_bad_byte(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: x\nsites:\n  - name: Café\n".encode("latin-1"))
    problem = one(problems_of(bad))
    assert (problem.file, problem.line) == (str(bad), 3)
    assert problem.message == "not UTF-8 text (byte 0xe9 at column 14); save the file as UTF-8"
    child = tmp_path / "child.yaml"
    child.write_text("extends: latin1.yaml\nname: y\n")
    problem = one(problems_of(child))  # the base file's bad byte, in the base file
    assert (problem.file, problem.line) == (str(bad), 3)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / "minimal.yaml").read_bytes())
    assert load_scenario(bom).name == "minimal"  # a UTF-8 byte-order mark is fine


def test_a_section_left_out_is_one_message_naming_the_names_and_fields(tmp_path: Path) -> None:
    # example.yaml without its regions: five sites name Zhejiang, three Shanghai: one mistake, one message
    text = (ROOT / "scenarios" / "example.yaml").read_text()
    start = text.index("\nregions:")
    end = text.index("\nsites:")
    bad = tmp_path / "no_regions.yaml"
    bad.write_text(text[:start] + text[end:])
    problem = one(problems_of(bad))
    assert (problem.path, problem.line) == ("regions", 44)
    assert problem.message == (
        "none listed (left out or emptied), yet 8 fields name one: 'Zhejiang', 'Shanghai'; "
        "sites[Hangzhou-1].region (line 44), sites[Hangzhou-2].region (line 45), sites[Ningbo-1].region (line 46) and 5 more"
    )
    # emptied by an override: blamed on it; five parts named in 90 places of the case study are one problem too
    problem = one(problems_of(ROOT / "scenarios" / "dense_premium.yaml", ["parts=[]"]))
    assert (problem.override, problem.path) == ("parts=[]", "parts")
    assert problem.message.startswith(
        "none listed (left out or emptied), yet 90 fields name one: 'sealing_jaw', 'servo_drive', 'plc_hmi', 'film_pull_belt', 'sensor_kit'; "
    )


def test_control_characters_and_undecodable_overrides(tmp_path: Path) -> None:
    bell = tmp_path / "bell.yaml"
    bell.write_text("name: x\nseed: 1\ndescription: a\x07b\n")
    problem = one(problems_of(bell))
    assert (problem.line, problem.message) == (3, "YAML syntax error (column 15): control characters are not allowed #x0007")
    # a byte the terminal could not decode reaches Python as a lone surrogate: refused, not a crash
    problem = one(problems_of(DATA / "minimal.yaml", ["name=caf\udce9"]))
    assert (problem.file, problem.message) == ("--set", "the value is not UTF-8 text (character 4)")


def test_distributions_that_cannot_be_computed_are_errors() -> None:
    # each of these used to pass validation and crash the build with OverflowError or ZeroDivisionError
    comp = "machine_models[0].components[0].time_to_failure_h"
    bad = {
        "{dist: weibull, shape: 0.001, mean: 100}": "shape 0.001 is too small to compute with (Γ(1 + 1/shape) overflows)",
        "{dist: weibull, shape: 0.01, scale: 1e300}": "shape 0.01 with this scale or mean gives durations out of floating-point range",
        "{dist: gamma, mean: 100, cv: 1e-200}": "cv 1e-200 is out of the range a gamma can be computed with",
        "{dist: lognormal, mean: 100, cv: 1e200}": "cv 1e+200 is out of the range a lognormal can be computed with",
    }
    for value, message in bad.items():
        problem = one(problems_of(DATA / "minimal.yaml", [f"{comp}={value}"]))
        assert (problem.path, problem.message) == ("machine_models[packer].components[sealing-jaw].time_to_failure_h", message)
    assert load_scenario(DATA / "minimal.yaml", [f"{comp}={{dist: weibull, shape: 0.01, mean: 100}}"])


def test_several_files_report_every_problem_once() -> None:
    files = [ROOT / "scenarios" / "example.yaml", DATA / "minimal.yaml", DATA / "mistakes.yaml"]
    with pytest.raises(ScenarioError) as info:
        load_scenarios(files, ["seed=-1", "sites[Nope].lat=1"])
    problems = info.value.problems
    assert sum(p.file.endswith("mistakes.yaml") for p in problems if p.file) == 6  # the file's own, all of them
    seed = [p for p in problems if p.override == "seed=-1"]
    assert len(seed) == 1 and seed[0].message == "Input should be greater than or equal to 0"  # same in every file: once
    nope = [p.message for p in problems if p.override == "sites[Nope].lat=1"]
    assert nope[0].endswith(f"(names: Hangzhou-1, Hangzhou-2, Ningbo-1, Wenzhou-1, Shaoxing-1, Shanghai-1, Shanghai-2, "
                            f"Suzhou-1) (in {files[0]})")
    assert nope[1] == f"no item named 'Nope' in sites (names: Chengdu-1) (in {files[1]})"


def test_hostile_files_exit_2_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli import main

    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: Café\n".encode("latin-1"))
    assert main(["validate", str(DATA / "billion_laughs.yaml"), str(latin1)]) == 2
    err = capsys.readouterr().err
    assert "billion_laughs.yaml:8: YAML aliases expand this file by more than 100,000 values" in err
    assert f"{latin1}:1: not UTF-8 text (byte 0xe9 at column 10)" in err and "Traceback" not in err
    assert main(["run", str(DATA / "billion_laughs.yaml"), "--out", str(tmp_path / "never")]) == 2
    assert not (tmp_path / "never").exists()


def test_an_unreadable_or_invalid_value_is_one_message(tmp_path: Path) -> None:
    # a 5,000-digit seed: the reader says it cannot read it, shortened; validation does not add "not an integer"
    huge = tmp_path / "huge.yaml"
    huge.write_text((ROOT / "scenarios" / "example.yaml").read_text().replace("seed: 20261124", "seed: " + "9" * 5000))
    problem = one(problems_of(huge))
    assert (problem.line, problem.path) == (8, "seed")
    assert problem.message == (
        "cannot read value '99999999999999999999…(5,000 characters)': "
        "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"
    )
    # an invalid section is one problem, not also every reference into it ("parts lists none")
    for section in ("parts", "regions"):
        problem = one(problems_of(ROOT / "scenarios" / "example.yaml", [f"{section}=5"]))
        assert (problem.override, problem.path, problem.message) == (f"{section}=5", section, "expected a list, got 5")
    problems = problems_of(ROOT / "scenarios" / "example.yaml", ["regions=[1, 2]"])
    assert [(p.path, p.message) for p in problems] == [(f"regions[{i}]", f"expected a mapping of keys to values, got {i + 1}") for i in (0, 1)]
