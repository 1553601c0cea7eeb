"""The KPI declaration: complete, coherent, and every KPI named by a test."""

from __future__ import annotations

import re
from pathlib import Path

from builders import depot, kpis, network

from sim.build import build
from sim.kpis import CATALOGUE, CUSTOMER_COST_LINES, DECLARED, MAKER_COST_LINES, REGION_PREFIX, describe, known

TESTS = Path(__file__).parent
UNITS = {"count", "share", "h", "units", "machine-h", "money"}


def test_every_declared_kpi_is_named_by_a_test() -> None:
    """Adding a KPI without a test that names it (literally, as a word) fails here."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py") if p.name != Path(__file__).name)
    missing = [k.name for k in DECLARED if not re.search(rf"\b{re.escape(k.name)}\b", text)]
    assert not missing, f"KPIs no test names: {missing}"


def test_declarations_are_complete() -> None:
    assert len(CATALOGUE) == len(DECLARED)  # names are unique
    for k in DECLARED:
        assert k.label and k.description and k.unit in UNITS and k.better in ("higher", "lower", ""), k.name
        assert k.formula is not None, k.name
        assert (k.unit == "money") == k.money
    # the lines that add into a total are money, and the stacked figures read them
    assert set(MAKER_COST_LINES) == {k.name for k in DECLARED if k.total == "maker_cost"}
    assert all(CATALOGUE[n].money for n in (*MAKER_COST_LINES, *CUSTOMER_COST_LINES))
    assert "maker_penalties" in MAKER_COST_LINES and "customer_downtime_cost" in CUSTOMER_COST_LINES


def test_a_row_has_exactly_the_declared_columns_in_order() -> None:
    sc = network([depot("Hangzhou", 30.27, 120.16), depot("Chengdu", 30.66, 104.07)])
    row = kpis(build(sc), sc.seed, 0)
    declared = [k.name for k in DECLARED]
    assert [c for c in row if not c.startswith(REGION_PREFIX)] == declared
    assert all(known(c) for c in row)
    assert describe(REGION_PREFIX + "Zhejiang").label.endswith("Zhejiang")
    assert not known("no_such_kpi") and not known(REGION_PREFIX)


def test_kpi_reference_page_is_current() -> None:
    from sim.kpi_reference import DEFAULT_OUT, page

    assert DEFAULT_OUT.read_text(encoding="utf-8") == page(), "docs/kpis.md is stale: run `python -m sim.kpi_reference`"
