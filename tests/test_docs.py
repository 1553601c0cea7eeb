"""The documentation stands on its own: no reference to files outside the repository, and
``--help`` texts that read as plain text (no reST or markdown markup)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import COMMANDS, parser

ROOT = Path(__file__).resolve().parents[1]

# Places a reader of the repository cannot open: the team's shared folder, the machine's
# checkout path, the brief the project was started from.
OUTSIDE = re.compile(r"\.\./shared|/work/|(?<![\w/])domain\.md|/tmp/team")


def _texts() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "scenarios").rglob("*.md"))]
    files += sorted((ROOT / "scenarios").rglob("*.yaml")) + sorted((ROOT / "scenarios").rglob("*.py"))
    files += sorted((ROOT / "sim").rglob("*.py"))
    return [f for f in files if f.is_file()]


def test_no_reference_outside_the_repository() -> None:
    found = [
        f"{f.relative_to(ROOT)}:{n}: {line.strip()}"
        for f in _texts()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, "references to files outside the repository:\n" + "\n".join(found)


def test_outside_pattern_catches_the_known_forms() -> None:
    for bad in ("see ../shared/domain.md", "the source (domain.md, case 1)", "/work/main/sim"):
        assert OUTSIDE.search(bad), bad
    for good in ("docs/model.md", "scenarios/README.md", "tcp://127.0.0.1:8786"):
        assert not OUTSIDE.search(good), good


MARKUP = re.compile(r"`|\*\*|\]\(|^#+ ", re.MULTILINE)


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        parser().parse_args([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_markup(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([command], capsys)
    assert f"usage: sim {command}" in text
    bad = [line for line in text.splitlines() if MARKUP.search(line)]
    assert not bad, f"sim {command} --help shows markup:\n" + "\n".join(bad)


def test_top_level_help_has_no_markup(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([], capsys)
    assert not MARKUP.search(text), text


# ------------------------------------------------------------------------------ own data -> scenario


EXAMPLE = ROOT / "scenarios" / "planner_example"
TOOL = ROOT / "scenarios" / "tools" / "tables_to_scenario.py"


def _tool() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("tables_to_scenario", TOOL)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _example_args(out: Path) -> list[str]:
    return [str(EXAMPLE / "catalogue.yaml"), "--sites", str(EXAMPLE / "sites.csv"), "--depots", str(EXAMPLE / "depots.csv"),
            "--travel", str(EXAMPLE / "drive_times.csv"), "--name", "planner_fujian", "-o", str(out)]


def test_worked_example_is_generated_from_its_tables_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    """scenarios/README.md's worked example: the shipped network.yaml is what the tool makes of the CSVs."""
    from sim.scenario.loader import load_scenario

    tool = _tool()
    assert tool.main([*_example_args(EXAMPLE / "network.yaml"), "--check"]) == 0  # type: ignore[attr-defined]
    sc = load_scenario(str(EXAMPLE / "network.yaml"))
    assert [s.name for s in sc.sites][:2] == ["Xiamen-Bakery", "Xiamen-Snacks"]
    assert sum(sum(s.machines.values()) for s in sc.sites) == 18 and len(sc.depots) == 2
    bakery = sc.sites[0]
    assert bakery.downtime_cost_per_h == 2600 and bakery.perishable is not None and bakery.perishable.loss == 30000
    assert sc.sites[1].perishable is None  # empty cells: no perishable goods
    assert sc.depots[0].base_stock == {"sealing_jaw": 3, "servo_drive": 1}
    assert [(leg.origin, leg.to, leg.time_h) for leg in sc.travel.table][0] == ("Xiamen", "Quanzhou-Dairy", 1.4)
    assert sc.parts[0].name == "sealing_jaw"  # from the catalogue it extends


def test_tool_reports_every_problem_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon,downtime_cost_per_h,machines:vffs_mid,perishable_loss\n"
                     "A,24.5,118.1,lots,2,100\nB,24.6,118.2,900,2.5,\n", encoding="utf-8")
    depots = tmp_path / "depots.csv"
    depots.write_text("name,lat\nX,24.5\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    tool = _tool()
    rc = tool.main([str(EXAMPLE / "catalogue.yaml"), "--sites", str(sites), "--depots", str(depots), "--name", "n", "-o", str(out)])  # type: ignore[attr-defined]
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert f"{sites}:2: downtime_cost_per_h: 'lots' is not a number" in err
    assert f"{sites}:2: perishable_threshold_h and perishable_loss go together" in err
    assert f"{sites}:3: machines:vffs_mid: '2.5' is not a whole number" in err
    assert f"{depots}:1: missing column(s) lon, technicians" in err


def test_case_study_compare_output_is_current() -> None:
    """docs/case-study-tools.md quotes `sim compare` as it prints today (re-run the command given there
    to refresh it): verdict lines "WINNER has the lowest …: CNY 65.07 M (± 0.39 M). OTHER +34.56 M (95% CI …)",
    both break-even lines, nothing elided; and it lists report.html's sections in the report's order."""
    text = (ROOT / "docs" / "case-study-tools.md").read_text(encoding="utf-8")
    block = text[text.index("```\n2 scenarios, 10 replications each"):]
    block = block[: block.index("\n```", 4)]
    verdicts = [line for line in block.splitlines() if line.startswith("- ")]
    assert verdicts and not any(line.rstrip().endswith("...") for line in verdicts), verdicts
    ranked = [line for line in verdicts if not line.startswith("- Break-even")]
    assert len(ranked) == 5 and all(re.match(r"- \w+ has the (lowest|highest) [^:]+: .+ \(± .+\)\. \w+ [+−-]", v) for v in ranked), ranked
    assert all("(95% CI " in v and "significant, p" not in v for v in ranked)
    assert sum(v.startswith("- Break-even: ") for v in verdicts) == 2
    # the report's section order (sim/report.py) and the docs' description of it
    source = (ROOT / "sim" / "report.py").read_text(encoding="utf-8")
    ids = ["{_answer(comparison)}", 'id="figures"', 'id="in-words"', 'id="table"', 'id="compared"', 'id="places"', 'id="assumptions"']
    at = [source.index(i, source.index("<body>")) for i in ids]
    assert at == sorted(at)
    row = next(line for line in text.splitlines() if line.startswith("| `report.html` |"))
    words = ["answer cards", "figures", "answer in words", "results table", "what was compared", "per-depot", "provenance"]
    at = [row.index(w) for w in words]
    assert at == sorted(at), row
