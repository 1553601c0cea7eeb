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
    assert len(p.images) == len(FIGURES)
    for name in FIGURES:
        assert f"fig-{name}" in p.ids
    embedded = []
    for img in p.images:
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
