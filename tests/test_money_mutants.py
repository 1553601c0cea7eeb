"""The money tests catch the errors issue 11 found passing the old suite.

Each mutant puts one money error back into a copy of the package (a dropped per-visit fee,
holding cost in the wrong time unit, technician km counted one way, lateral freight at the
normal rate, a depot's fixed cost left out, a unit waiting at central held twice) and runs
the ledger tests on the copy: every mutant must make them fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MUTANTS = {
    "per-visit fee dropped": (
        "sim/ledger.py",
        'flow("service_visits", CUSTOMERS, MAKER, sum(map(_mul, o.site_visits, p.site_fee_per_visit)))',
        'flow("service_visits", CUSTOMERS, MAKER, 0.0)',
    ),
    "holding per day instead of per year": ("sim/ledger.py", "                / HOURS_PER_YEAR,", "                / 365.0,"),
    "technician km one way": (
        "sim/engine/model.py",
        "self.tally.technician_km += 2.0 * site.technician_distance_km",
        "self.tally.technician_km += site.technician_distance_km",
    ),
    "lateral freight at the normal rate": (
        "sim/ledger.py",
        "o.lateral_shipment_km * p.freight_lateral_per_km",
        "o.lateral_shipment_km * p.freight_normal_per_km",
    ),
    "a depot's fixed cost left out": (
        "sim/ledger.py",
        "years * sum(p.depot_fixed_cost_per_year)",
        "years * sum(p.depot_fixed_cost_per_year[:1])",
    ),
    "a unit waiting at central held twice": (
        "sim/engine/model.py",
        "owned[k] += c_on_hand + c_in_transit - c_backorders",
        "owned[k] += c_on_hand + c_in_transit",
    ),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and the tests, each mutant starting from it."""
    base = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "sim", base / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", base / "tests", ignore=shutil.ignore_patterns("__pycache__", "data"))
    return base


def ledger_tests(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tree), str(tree / "tests" / "test_ledger.py")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_copy_passes_unmutated(pristine: Path) -> None:
    out = ledger_tests(pristine)
    assert out.returncode == 0, out.stdout[-2000:]


@pytest.mark.parametrize("name", list(MUTANTS))
def test_each_money_error_fails_the_ledger_tests(pristine: Path, tmp_path: Path, name: str) -> None:
    path, old, new = MUTANTS[name]
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    source = (tree / path).read_text(encoding="utf-8")
    assert source.count(old) == 1, f"mutant {name!r} no longer applies: update it to the code"
    (tree / path).write_text(source.replace(old, new), encoding="utf-8")
    out = ledger_tests(tree)
    assert out.returncode == 1 and " failed" in out.stdout, f"{name}: the ledger tests did not catch it\n{out.stdout[-2000:]}"
