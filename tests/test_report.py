"""Tests for the HTML report and the figures: self-contained, well formed, deterministic."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.cli import main

DATA = Path(__file__).parent / "data" / "compare"
FILES = [str(DATA / "delta_sparse.yaml"), str(DATA / "delta_dense.yaml")]
FIGURES = ("kpi_bars", "restore_ecdf", "cost_breakdown", "map")
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Structure(HTMLParser):
    """Counts tags, checks nesting, collects images and every attribute value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.counts: dict[str, int] = {}
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] not in ("style", "title"):
            self.text.append(data)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("report")
    outs = []
    for name, extra in (("a", []), ("b", ["--jobs", "2"])):
        out = base / name
        assert main(["compare", *FILES, "-n", "3", "--seed", "5", "--out", str(out), "-q", *extra]) == 0
        outs.append(out)
    return outs[0], outs[1]


def test_report_is_valid_self_contained_html(runs: tuple[Path, Path]) -> None:
    out = runs[0]
    text = (out / "report.html").read_text(encoding="utf-8")
    p = Structure()
    p.feed(text)
    p.close()
    assert p.doctype.lower() == "doctype html"
    assert (p.counts.get("html"), p.counts.get("head"), p.counts.get("body")) == (1, 1, 1)
    assert p.counts.get("title") == 1
    assert p.errors == [] and p.stack == []
    # nothing from outside: no scripts, no stylesheets, no links, no web addresses at all
    assert "script" not in p.counts and "link" not in p.counts and "iframe" not in p.counts
    assert "http://" not in text and "https://" not in text
    # every figure embedded as a data: URI holding exactly the PNG written next to it
    maps = [i for i in p.ids if i.startswith("map-")]  # a map per scenario, when embedded (sim.maps)
    assert len(p.images) == len(FIGURES) + len(maps)
    for name in FIGURES:
        assert f"fig-{name}" in p.ids
    embedded = []
    for img in p.images[: len(FIGURES)]:
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(PNG_MAGIC)
        assert img.get("alt")
        embedded.append(png)
    assert embedded == [(out / "figures" / f"{n}.png").read_bytes() for n in FIGURES]
    # what a manager reads: the scenarios, the verdict, the table, the provenance
    words = " ".join(p.text)
    for needle in ("delta_sparse", "delta_dense", "lowest total cost to the customer", "highest profit for the maker",
                   "Customer total cost of ownership", "seed", "code version"):
        assert needle in words, needle
    for section in ("compared", "verdict", "table", "figures", "assumptions"):
        assert section in p.ids


def test_outputs_identical_run_to_run_serial_or_parallel(runs: tuple[Path, Path]) -> None:
    a, b = runs
    files = sorted(str(f.relative_to(a)) for f in a.rglob("*") if f.is_file())
    assert files == sorted(str(f.relative_to(b)) for f in b.rglob("*") if f.is_file())
    for name in files:
        if name in ("manifest.json", "sim-files.json"):  # times and the command line; the list hashes the manifest
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_figures_are_png_and_svg(runs: tuple[Path, Path]) -> None:
    out = runs[0]
    for name in FIGURES:
        png = (out / "figures" / f"{name}.png").read_bytes()
        svg = (out / "figures" / f"{name}.svg").read_text(encoding="utf-8")
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000
        assert "<svg" in svg and "<dc:date>" not in svg


def test_map_draws_the_run_s_assignment_and_never_builds_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The map takes each site's depot from the run (RunResult.site_depots); plotting builds and runs nothing."""
    import sys

    from matplotlib.collections import LineCollection

    import sim.build
    import sim.engine.model
    import sim.runner
    from sim import plots
    from sim.scenario.loader import load_scenario

    sc = load_scenario(DATA / "delta_dense.yaml")
    result = sim.runner.run_scenario(sc, replications=2)
    built = [s.depot for s in sim.build.build(sc).sites]
    assert list(result.site_depots) == built and len(set(built)) > 1  # the run records what it built

    def refuse(*_args: object, **_kw: object) -> None:
        raise AssertionError("plotting built or ran a model")

    forbidden = (sim.build.build, sim.engine.model.Replication, sim.runner.run_scenarios, sim.runner.replicate)
    for mod in [m for name, m in sys.modules.items() if name == "sim" or name.startswith("sim.")]:
        for attr, obj in list(vars(mod).items()):
            if any(obj is f for f in forbidden):
                monkeypatch.setattr(mod, attr, refuse)

    def segment_ends(site_depots: list[int]) -> list[tuple[float, float]]:
        arm = plots.Arm("x", sc, result.column, result.restore_hist, site_depots)
        fig = plots.network_map([arm])
        (lines,) = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
        return [tuple(seg[1]) for seg in lines.get_segments()]

    depots = [(d.lon, d.lat) for d in sc.depots]
    assert segment_ends(built) == [depots[j] for j in built]
    last = len(sc.depots) - 1
    assert segment_ends([last] * len(sc.sites)) == [depots[last]] * len(sc.sites)  # drawn as given, not rebuilt
    with pytest.raises(ValueError, match="site assignments"):
        segment_ends(built[:-1])


# --- wording: verdicts say what they mean ---------------------------------------------------------

SHORT = ["horizon_h=2000", "warmup_h=100"]


def _variant(folder: Path, name: str, body: str) -> str:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {DATA / 'delta_dense.yaml'}\nname: {name}\ndescription: {name}\n{body}", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def wording(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """delta_sparse, delta_dense, the dense network sold by an importer, and one that promises nothing."""
    from sim.compare import compare
    from sim.runner import run_scenarios
    from sim.scenario.loader import load_scenario

    folder = tmp_path_factory.mktemp("wording")
    files = [
        FILES[0], FILES[1],
        _variant(folder, "by_importer", "pricing: {machine_price_multiplier: 3, seller: importer}\n"),
        _variant(folder, "no_promise", "regions:\n  - {name: Zhejiang, promise_h: null}\n"),
    ]
    results = run_scenarios([load_scenario(f, SHORT) for f in files], 4, 5)
    return compare(results, files)


def test_a_scenario_that_promises_nothing_reads_no_promise_not_zero_percent(wording) -> None:  # type: ignore[no-untyped-def]
    from sim.compare import promises_differ, promises_nothing, verdict
    from sim.report import _kpi_table

    assert promises_nothing(wording.alternatives[3].result.scenario)
    assert not promises_nothing(wording.alternatives[0].result.scenario)
    assert promises_differ(wording)
    words = verdict(wording)
    line = next(w for w in words if "within its own promise" in w)
    assert "no_promise: no promise." in line
    assert "no_promise −" not in line and "no_promise +" not in line  # no gap against a promise it never made
    table = _kpi_table(wording, ["within_promise_share"])
    cells = table.split("<td")
    assert sum("no promise" in c for c in cells) == 1 and ">0.0%" not in cells[-1]


def test_the_same_promises_read_within_the_promise(tmp_path: Path) -> None:
    from sim.compare import compare, verdict
    from sim.runner import run_scenarios
    from sim.scenario.loader import load_scenario

    files = [FILES[1], str(DATA / "delta_dense_plus.yaml")]
    c = compare(run_scenarios([load_scenario(f, SHORT) for f in files], 2, 5), files)
    words = verdict(c)
    assert any("highest share restored within the promise:" in w for w in words)
    assert not any("its own promise" in w for w in words)


def test_an_importer_s_profit_is_not_ranked_or_charted_as_the_maker_s(wording) -> None:  # type: ignore[no-untyped-def]
    from sim import plots
    from sim.compare import maker_sold, rank, verdict
    from sim.report import _answer

    assert maker_sold(wording) == [0, 1, 3]
    assert rank(wording, "maker_profit", maker_sold(wording)).winner != 2  # type: ignore[union-attr]
    line = next(w for w in verdict(wording) if "profit for the maker" in w)
    assert "by_importer: " in line and "the importer's profit, not the maker's" in line
    answer = _answer(wording)
    maker = answer[answer.index('id="answer-maker_profit"'):]
    maker = maker[: maker.index("</div>")]
    rows = maker[maker.index("<tbody>"): maker.index("</tbody>")]
    assert "by_importer" not in rows and "is sold by the importer" in maker
    arms = [plots.Arm(a.label, a.result.scenario, a.result.column, a.result.restore_hist, a.result.site_depots)
            for a in wording.alternatives]
    fig = plots.kpi_bars(arms)
    ax = next(a for a in fig.axes if a.get_title().startswith("Maker profit"))
    assert "not the maker's" in ax.get_title()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[2].endswith("(importer's)") and not any("importer" in t for k, t in enumerate(ticks) if k != 2)
    bars = [p for p in ax.patches if p.get_hatch()]
    assert len(bars) == 1  # the importer's bar alone is hatched
    money = plots.cost_breakdown(arms).axes[1]  # the maker's revenue and cost
    ticks = [t.get_text() for t in money.get_xticklabels()]
    assert ticks[2].endswith("(importer's)") and "importer" in money.get_title()
    notes = [t.get_text() for t in money.texts]
    assert notes[2].startswith("importer's profit") and all(n.startswith("profit ") for k, n in enumerate(notes) if k != 2)


@pytest.mark.parametrize("value,unit,expected", [
    (0.0004, "share", "+0.040 pp"), (-0.00012, "share", "−0.012 pp"), (0.5, "share", "+50.0 pp"),
    (0.03e6, "money", "+30,000"), (1.2345e6, "money", "+1.23 M"), (0.004, "h", "+0.0040 h"), (42.4, "h", "+42.4 h"),
])
def test_a_difference_is_shown_with_enough_digits_never_as_zero(value: float, unit: str, expected: str) -> None:
    from sim.compare import amount_text

    assert amount_text(value, unit, "CNY", signed_=True) == expected
    # a confidence interval beside it adds digits where a bound would round to zero
    assert amount_text(0.0123, "share", "CNY", signed_=True, like=(0.00004, 0.0246)) == "+1.2300 pp"


def test_significant_tiny_differences_in_the_verdict_carry_their_digits(wording) -> None:  # type: ignore[no-untyped-def]
    import re

    from sim.compare import verdict

    for line in verdict(wording):
        for number in re.findall(r"[+−]\d[\d,]*\.?\d*", line):
            if re.fullmatch(r"[+−]0(\.0*)?", number):
                raise AssertionError(f"a difference that reads zero: {number!r} in {line!r}")


def test_break_even_of_downtime_cost_is_where_the_customer_costs_cross(tmp_path: Path) -> None:
    """The compare's break-even c*: rerun with every site's downtime cost at c* and the customer costs are equal."""
    import numpy as np

    from sim.compare import break_even_text, break_evens, compare, fieller
    from sim.runner import run_scenarios
    from sim.scenario.loader import load_scenario
    from sim.stats import paired_difference

    files = [FILES[0], FILES[1]]
    c = compare(run_scenarios([load_scenario(f, SHORT) for f in files], 4, 5), files)
    down = next(b for b in break_evens(c) if b.lever == "downtime")
    # delta_sparse spoils more goods: the dense network is cheaper even at no downtime cost
    assert (down.winner, down.other) == (1, 0) and down.value < 0 and down.above
    assert break_even_text(down, c).endswith("at any downtime cost per machine-hour.") or "break-even below zero" in break_even_text(down, c)
    # the Fieller interval's ends are where the paired difference's 95% CI just touches zero
    rng = np.random.default_rng(3)
    a, b = rng.normal(-50, 20, 8), rng.normal(0.1, 0.02, 8)
    root, lo, hi = fieller(a, b)
    assert root == pytest.approx(-a.mean() / b.mean())
    for end, side in ((lo, "high"), (hi, "low")):
        d = paired_difference(np.zeros(8), a + end * b)
        assert getattr(d, side) == pytest.approx(0.0, abs=1e-9 * abs(a).max())
    # end to end on a pair whose break-even is positive: no perishable goods, so only price and downtime differ
    nop = ["sites[*].perishable=null"]
    plain = [load_scenario(f, SHORT + nop) for f in files]
    c = compare(run_scenarios(plain, 4, 5), files)
    down = next(b for b in break_evens(c) if b.lever == "downtime")
    assert down.value > 0 and down.low < down.value < down.high and down.above
    assert "when downtime costs more than CNY" in break_even_text(down, c)
    at = [load_scenario(f, SHORT + nop + [f"sites[*].downtime_cost_per_h={down.value!r}"]) for f in files]
    r = run_scenarios(at, 4, 5)
    gap = paired_difference(r[1].column("customer_total_cost"), r[0].column("customer_total_cost"))
    assert gap.mean == pytest.approx(0.0, abs=1e-6 * abs(r[0].column("customer_total_cost")).mean())


def test_per_place_tables_are_folded_at_the_end_and_match_the_csv_files(runs: tuple[Path, Path]) -> None:
    import csv
    import re

    out = runs[0]
    text = (out / "report.html").read_text(encoding="utf-8")
    for name in ("depots", "sites", "regions", "parts", "assignment"):
        start = text.index(f'<details id="table-{name}">')  # folded: no "open"
        assert start > text.index('id="figures"')  # after the figures
        block = text[start: text.index("</details>", start)]
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert block.count("<tr>") - 1 == len(rows), name  # one row per scenario and item, as in the CSV
    # a depot's failures served: the CSV's mean, as shown
    with (out / "depots.csv").open(newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["scenario"] == "delta_sparse")
    block = text[text.index('<details id="table-depots">'):]
    cells = re.search(rf'<td class="l name">{row["depot"]}</td><td class="l name">delta_sparse</td><td class="n">([^<]*)</td>', block)
    assert cells is not None and cells.group(1).startswith(f"{float(row['failures']):.1f}")


def test_terminal_table_differences_never_read_zero_when_they_are_not() -> None:
    from sim.compare import signed

    assert signed(0.0004, "share") == "+0.040 pp" and signed(-0.00012, "share") == "−0.012 pp".replace("−", "-")
    assert signed(0.25, "share") == "+25.0 pp" and signed(0.0, "share") == "+0.0 pp"
    assert signed(0.004, "h") == "+0.004" and signed(-42.4, "h") == "-42.4"
