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
    places = {"depots.csv", "sites.csv", "regions.csv", "parts.csv", "assignment.csv"}  # per place and point (docs/outputs.md)
    assert names == {"sweep.csv", "sweep_replications.csv", "break_even.csv", "sweep.json", "sweep.png", "sweep.svg", "report.html", "manifest.json", "sim-files.json", *places}
    rows = _read_csv(swept / "sweep.csv")
    assert len(rows) == 2 * len(VALUES) * 2  # files × values × default KPIs
    assert {r["kpi"] for r in rows} == {"customer_total_cost", "maker_profit"}
    reps = _read_csv(swept / "sweep_replications.csv")
    assert len(reps) == 2 * len(VALUES) * N
    points = {r["scenario"] for r in _read_csv(swept / "sites.csv")}  # every file at every value
    assert len(points) == 2 * len(VALUES) and all(f" {PARAM}=" in p for p in points)
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
    for name in ("sweep.csv", "sweep_replications.csv", "break_even.csv", "sweep.json", "sweep.svg", "sweep.png", "report.html"):
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


# ------------------------------------------------------------------------------ no crossing, no break-even


@pytest.mark.parametrize(
    "mean",
    [
        [1.0, 0.0, 1.0],  # touches 0 and turns back: the curves meet, they do not cross
        [0.0, 1.0, 2.0],  # equal at the first swept value only
        [-2.0, -1.0, 0.0],  # equal at the last swept value only
        [0.0, 0.0, 0.0],  # identical curves
    ],
)
def test_no_break_even_without_a_crossing(mean: list[float]) -> None:
    x = np.array([0.0, 1.0, 2.0])
    m = np.array(mean)
    found, _, extra = break_evens(x, m, m - 0.5, m + 0.5)
    assert found == [] and extra is None


def test_crossing_through_a_run_of_zeros_is_one_break_even() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    m = np.array([-1.0, 0.0, 0.0, 0.0, 1.0])
    found, _, _ = break_evens(x, m, m - 0.1, m + 0.1)
    assert [est for est, _, _ in found] == [pytest.approx(2.0)]


# ------------------------------------------------------------------------------ --baseline


@pytest.fixture(scope="module")
def against_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sparse and dense swept over the price multiplier, against sparse itself as the fixed baseline."""
    out = tmp_path_factory.mktemp("sweep") / "base"
    rc = main(["sweep", SPARSE, DENSE, "--baseline", SPARSE, "--param", "pricing.machine_price_multiplier",
               "--values", "1", "2", "3", "-n", "5", "--out", str(out), "-q"])
    assert rc == 0
    return out


def test_baseline_against_itself_is_exactly_zero(against_baseline: Path) -> None:
    """sparse at its own multiplier (1) is the baseline, replication by replication: difference 0, CI 0."""
    rows = [r for r in _read_csv(against_baseline / "baseline_differences.csv") if r["scenario"] == "sparse" and r["value"] == "1"]
    assert {r["kpi"] for r in rows} == {"customer_total_cost", "maker_profit"}
    for r in rows:
        assert r["baseline"] == "sparse (baseline)"
        assert float(r["diff_mean"]) == 0.0 and float(r["diff_std"]) == 0.0 and float(r["diff_half_width"]) == 0.0
        assert r["mean"] == r["baseline_mean"] and r["significant"] == "false" and r["n"] == "5"


def test_baseline_known_shift(against_baseline: Path) -> None:
    """Raising the price multiplier by 1 adds the annualised machine price over the window to the customer's
    cost and the maker's revenue, in every replication: 100,000 × 10 machines × 2,000 h / 8,760 h."""
    step = 100000 * 10 * 2000 / 8760
    rows = _read_csv(against_baseline / "baseline_differences.csv")
    assert len(rows) == 2 * 3 * 2  # files × values × KPIs
    for r in rows:
        if r["scenario"] != "sparse":
            continue
        k = float(r["value"]) - 1
        assert float(r["diff_mean"]) == pytest.approx(k * step, rel=1e-9, abs=1e-6)
        assert float(r["diff_std"]) == pytest.approx(0.0, abs=1e-6)  # the same shift in every replication
    # dense − baseline = (dense − sparse at the same multiplier) + the shift: pairing holds across files
    reps = _read_csv(against_baseline / "sweep_replications.csv")

    def col(scenario: str, value: str) -> np.ndarray:
        return np.array([float(x["customer_total_cost"]) for x in reps if x["scenario"] == scenario and x["value"] == value])

    dense3 = next(r for r in rows if r["scenario"] == "dense" and r["value"] == "3" and r["kpi"] == "customer_total_cost")
    assert float(dense3["diff_mean"]) == pytest.approx(np.mean(col("dense", "3") - col("sparse", "1")), rel=1e-12)
    found = json.loads((against_baseline / "sweep.json").read_text())
    assert found["baseline"]["label"] == "sparse (baseline)" and found["baseline"]["file"] == SPARSE
    base_cost = next(b for b in found["break_evens"] if b["a"] == "sparse (baseline)" and b["b"] == "dense" and b["kpi"] == "customer_total_cost")
    d1 = float(next(r for r in rows if r["scenario"] == "dense" and r["value"] == "1" and r["kpi"] == "customer_total_cost")["diff_mean"])
    assert base_cost["estimate"] == pytest.approx(1 - d1 / step, rel=1e-9)  # dense − baseline = d1 + (m − 1) × step
    # the baseline itself never crosses itself: sparse − baseline is 0 at m = 1, positive above
    self_cost = next(b for b in found["break_evens"] if b["b"] == "sparse" and b["kpi"] == "customer_total_cost")
    assert self_cost["estimate"] is None and self_cost["extrapolated"] is None


def test_sweep_report_written(against_baseline: Path) -> None:
    names = {p.name for p in against_baseline.iterdir()}
    assert {"report.html", "baseline.png", "baseline.svg", "baseline_differences.csv", "sweep.png"} <= names
    page = (against_baseline / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2  # both figures embedded
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.index("The answer") < page.index("Figures") < page.index("Tables")
    assert page.index("Each point against the baseline") < page.index("KPIs against the parameter")  # the question asked first
    assert "dense − sparse (baseline) changes sign at pricing.machine_price_multiplier" in page  # dense crosses the baseline


def test_cli_baseline_bad_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    rc = main(["sweep", SPARSE, "--baseline", str(tmp_path / "missing.yaml"), "--param", "pricing.machine_price_multiplier",
               "--values", "1", "2", "-n", "2", "--out", str(out), "-q"])
    assert rc == 2 and "missing.yaml" in capsys.readouterr().err and not out.exists()


# ------------------------------------------------------------------------------ figures


def _tick_texts(ax: object) -> tuple[list[float], list[str], list[str]]:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.figure.canvas.draw()
    lo, hi = ax.get_xlim()
    xt = [t for t in ax.get_xticks() if lo <= t <= hi]
    xs = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    ys = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    return xt, xs, ys


def test_sweep_figure_integer_ticks_and_distinct_labels() -> None:
    from sim.sweep_plots import Curve, sweep_figure

    mean = np.array([10.21e6, 10.26e6, 10.30e6, 10.33e6])  # a narrow range in millions: 0 decimals would repeat
    curve = Curve("a", mean, mean - 0.02e6, mean + 0.02e6)
    fig = sweep_figure(np.array([1.0, 2.0, 3.0, 4.0]), [("customer_total_cost", [curve], [])], "base stock (units)", "CNY", "t")
    xt, xs, ys = _tick_texts(fig.axes[0])
    assert xt and all(float(t).is_integer() for t in xt), xt  # an integer parameter: no 1.5 tick
    assert len(set(xs)) == len(xs) and len(set(ys)) == len(ys), (xs, ys)
    assert all("." not in t for t in xs)
    fig = sweep_figure(np.array([0.5, 0.6, 0.7]), [("customer_total_cost", [curve.__class__("a", mean[:3], mean[:3], mean[:3])], [])], "x", "CNY", "t")
    xt, xs, _ = _tick_texts(fig.axes[0])
    assert xt == pytest.approx([0.5, 0.6, 0.7]) and xs == ["0.5", "0.6", "0.7"]  # a few values: ticks at them
    many = np.arange(0.0, 21.0)  # 21 integer values: a locator picks the ticks, whole numbers only
    m21 = np.linspace(1.0, 2.0, 21)
    fig = sweep_figure(many, [("maker_profit", [Curve("a", m21, m21, m21)], [])], "technicians", "CNY", "t")
    xt, xs, _ = _tick_texts(fig.axes[0])
    assert 2 <= len(xt) < 21 and all(float(t).is_integer() for t in xt) and len(set(xs)) == len(xs)


def test_distinct_labels() -> None:
    from sim.sweep_plots import distinct_labels

    assert distinct_labels([1.0, 2.0, 3.0]) == ["1", "2", "3"]
    assert distinct_labels([10.2e6, 10.4e6, 10.6e6], 1e6) == ["10.2", "10.4", "10.6"]
    assert distinct_labels([0.0, 0.25, 0.5], 0.01, "%") == ["0%", "25%", "50%"]
    assert distinct_labels([-1e-12, 1.0]) == ["0", "1"]  # float noise on a 0 tick: no "-0"
    # quarter steps (e.g. -0.25 … -2 M): each label reads its own value, not "-0.2", "-0.8"
    quarters = [-2.0, -1.75, -1.5, -1.25, -1.0, -0.75, -0.5, -0.25]
    assert distinct_labels(quarters) == ["-2.00", "-1.75", "-1.50", "-1.25", "-1.00", "-0.75", "-0.50", "-0.25"]
    assert distinct_labels([q * 1e6 for q in quarters], 1e6)[-1] == "-0.25"
    assert distinct_labels([0.1 + 0.2, 0.6]) == ["0.3", "0.6"]  # float noise is not a value
    assert distinct_labels([-0.0001, 1.0]) == ["-0.0001", "1.0000"]  # a small value is shown, not rounded to 0


def test_no_break_even_marked_without_crossing() -> None:
    """A mark outside the swept range (e.g. an extrapolation) is not drawn."""
    from sim.sweep_plots import Curve, Mark, sweep_figure

    m = np.array([1.0, 2.0, 3.0])
    fig = sweep_figure(np.array([0.0, 1.0, 2.0]), [("maker_profit", [Curve("a", m, m, m)], [Mark("far", 7.0, None, None)])], "x", "CNY", "t")
    assert not fig.axes[0].texts and len(fig.axes[0].lines) == 1  # no annotation, no dashed line: only the curve


def test_baseline_figure_marks_only_crossings_inside_the_range() -> None:
    from sim.sweep_plots import Curve, Mark, baseline_figure

    d = np.array([-2.0, -1.0, 1.0])
    marks = [Mark("crosses", 1.5, 1.4, 1.6, 0.0), Mark("outside", 9.0, None, None, 0.0)]
    fig = baseline_figure(np.array([0.0, 1.0, 2.0]), [("maker_profit", [Curve("a", d, d - 0.1, d + 0.1)], marks)], "x", "CNY", "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["crosses"]
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_xdata()) == [1.5, 1.5]


def test_sweep_report_in_a_browser(against_baseline: Path) -> None:
    """Headless Chromium at 1280 px: no console error, every image loads, nothing wider than the page."""
    import shutil

    exe = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).is_file()), None) or shutil.which("chromium")
    if exe is None:
        pytest.skip("no Chromium installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((against_baseline / "report.html").resolve().as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        loaded = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        answer_top = page.evaluate("document.getElementById('answer').getBoundingClientRect().top")
        browser.close()
    assert not errors and width <= 1280 and loaded == [True, True] and answer_top < 720


# ------------------------------------------------------------------------------ another seller's profit


def test_importer_profit_is_marked_and_not_a_maker_break_even(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scenario sold by an importer (pricing.seller) reports the importer's profit in maker_profit: the
    sweep labels its line "(importer's profit)", draws it dashed, takes no paired difference or break-even
    of the maker's profit against the maker's scenario and says why (table, figure, report, break_even.csv)."""
    from sim import sweep_plots

    importer = tmp_path / "dense_importer.yaml"
    importer.write_text(
        f"extends: {Path(DENSE).resolve()}\nname: dense_importer\npricing: {{machine_price_multiplier: 2, seller: importer}}\n",
        encoding="utf-8",
    )
    drawn: list[object] = []
    original = sweep_plots.sweep_figure
    monkeypatch.setattr(sweep_plots, "sweep_figure", lambda x, panels, *a: drawn.append(panels) or original(x, panels, *a))
    out = tmp_path / "out"
    assert main(["sweep", SPARSE, str(importer), "--param", PARAM, "--values", "0", "100", "200", "-n", "3", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    profit_table = printed[printed.index("Maker profit"):printed.index("Break-even")]
    assert "dense_importer (importer's profit)" in profit_table and "— (different sellers)" in profit_table
    assert "is sold by the importer" in profit_table
    rows = {r["kpi"]: r for r in _read_csv(out / "break_even.csv")}
    assert rows["maker_profit"]["estimate"] == "" and "not compared" in rows["maker_profit"]["text"]
    assert "dense_importer's profit is the importer's" in rows["maker_profit"]["text"]
    assert "higher value" not in rows["maker_profit"]["text"]
    assert rows["customer_total_cost"]["estimate"] != ""  # the customer's cost is compared as before
    data = json.loads((out / "sweep.json").read_text())
    assert [s["seller"] for s in data["scenarios"]] == ["maker", "importer"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "dense_importer (importer&#x27;s profit)" in page and "no maker-profit break-even" in page
    (panels,) = drawn
    curves = {kpi: cs for kpi, cs, _ in panels}
    assert [(c.label, c.seller) for c in curves["maker_profit"]] == [("sparse", ""), ("dense_importer (importer's profit)", "importer")]
    assert [c.seller for c in curves["customer_total_cost"]] == ["", ""]


def test_another_sellers_curve_is_dashed_and_the_panel_says_so() -> None:
    from sim.sweep_plots import Curve, sweep_figure

    m = np.array([1.0, 2.0, 3.0])
    curves = [Curve("own", m, m - 0.1, m + 0.1), Curve("imported (importer's profit)", m + 1, m, m + 2, "importer")]
    ax = sweep_figure(np.array([0.0, 1.0, 2.0]), [("maker_profit", curves, [])], "x", "CNY", "t").axes[0]
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.lines}
    assert styles == {"own (mean, 95% CI band)": "-", "imported (importer's profit) (mean, 95% CI band)": "--"}
    assert "the importer's profit, not the maker's" in ax.get_title()
