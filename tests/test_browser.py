"""The HTML report opened in a real browser: headless Chromium (Debian's package) driven by playwright.

At 1280 px wide: no console errors, every image loads, nothing wider than the page, and the
answer (the cards at the top) visible without scrolling. Skipped only when no Chromium is
installed; CI installs it (.ci/run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from sim.cli import main

DATA = Path(__file__).parent / "data" / "compare"
WIDTH, HEIGHT = 1280, 720
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium() -> str | None:
    """The system's Chromium executable (playwright downloads no browser here)."""
    for path in CANDIDATES:
        if Path(path).is_file():
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


LONG = " ".join(
    ["A scenario whose description runs on and on, as planners' descriptions do, naming depots, promises,"
     " prices and assumptions in one long sentence without a break"] * 4
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare of three small scenarios, one with a long name and a long description, and one sold by an importer."""
    base = tmp_path_factory.mktemp("browser")
    wordy = base / "wordy.yaml"
    wordy.write_text(
        f"extends: {DATA / 'delta_dense_plus.yaml'}\n"
        "name: dense_with_one_more_technician_and_one_more_sealing_jaw_in_shanghai\n"
        f"description: {LONG}\n",
        encoding="utf-8",
    )
    imported = base / "imported.yaml"
    imported.write_text(
        f"extends: {DATA / 'delta_dense.yaml'}\nname: delta_imported\ndescription: The same network sold by an importer.\n"
        "pricing: {machine_price_multiplier: 3, seller: importer}\n",
        encoding="utf-8",
    )
    out = base / "out"
    files = [str(DATA / "delta_sparse.yaml"), str(DATA / "delta_dense.yaml"), str(wordy), str(imported)]
    short = ["--set", "horizon_h=2000", "--set", "warmup_h=100"]
    assert main(["compare", *files, "-n", "3", "--seed", "5", *short, "--out", str(out), "-q"]) == 0
    return out / "report.html"


def test_report_in_chromium_at_1280_px(report: Path) -> None:
    exe = chromium()
    if exe is None:
        pytest.skip(f"no Chromium installed (looked for {', '.join(CANDIDATES)} and chromium on PATH); "
                    "install it with: apt-get install -y chromium")
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:80]}"))
            page.goto(report.as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.getBoundingClientRect().width])"
            )
            box = page.locator("#answer").bounding_box()
            cards = page.locator("#answer .card").count()
            winner = page.locator("#answer .winner b").first.inner_text()
            figure_top = page.locator("figure").first.bounding_box()
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # unfold every table
            scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
            tables = page.evaluate(
                "Array.from(document.querySelectorAll('table')).map(t => [t.id || t.rows[0].innerText.slice(0, 40),"
                " Math.ceil(t.getBoundingClientRect().right), t.parentElement.scrollWidth - t.parentElement.clientWidth])"
            )
        finally:
            browser.close()
    assert problems == []
    assert len(images) == 4 + 4  # the four figures and a map per scenario (sim.maps)
    for alt, complete, natural, shown in images:
        assert complete and natural > 0, alt
        assert 0 < shown <= WIDTH, alt  # scaled to the page
    assert scroll_width <= WIDTH, f"the page is {scroll_width} px wide at {WIDTH} px"
    assert len(tables) >= 4
    for name, right, hidden in tables:  # no table wider than the page, nor cut off inside a scrolling box
        assert right <= WIDTH and hidden <= 0, (name, right, hidden)
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    assert cards >= 2 and winner  # the customer's and the maker's answers, each naming a winner
    assert figure_top is not None and figure_top["y"] < 2 * HEIGHT  # the figures follow the answer, not a long table
