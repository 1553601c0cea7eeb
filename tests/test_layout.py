"""The package's layout: no import cycles, and the spine's direction (nothing below imports from above).

The import graph is read from the source with :mod:`ast`, not by importing: every ``import``
and ``from ... import`` in a module counts, at module level, under ``if TYPE_CHECKING:`` or
inside a function (a lazy import is still a dependency). ``from pkg import name`` is an edge
to the module ``pkg.name`` when there is one, else to ``pkg``. A module's own parent packages
are not edges: importing ``sim.engine.model`` runs ``sim/engine/__init__.py`` first, whatever
the model imports, so a package that re-exports its children would otherwise always be a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sim"

# The spine, lowest first: scenario -> build -> engine -> ledger/kpis -> runs -> outputs, compare,
# sweep, regression -> plots, report -> commands, cli. A module may import from its own layer and
# the layers below it, never from above. Prefixes: "sim.engine" is the package and all its modules.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("helpers (know no scenario)", ("sim", "sim.rng", "sim.stats", "sim.table", "sim.junit", "sim.theory", "sim.progress")),
    ("scenario files", ("sim.scenario",)),
    ("build", ("sim.build", "sim.distributions", "sim.optimize.network")),
    ("engine", ("sim.engine",)),
    ("ledger and KPIs", ("sim.ledger", "sim.kpis", "sim.kpi_reference", "sim.analytic", "sim.places")),
    ("running", ("sim.runner", "sim.diagnostics", "sim.years")),
    ("outputs, compare, sweep, regression", ("sim.output", "sim.folder", "sim.checkpoint", "sim.compare", "sim.crn", "sim.sweep", "sim.regression", "sim.years.output", "sim.optimize")),
    ("plots and report", ("sim.plots", "sim.report", "sim.sweep_plots", "sim.sweep_report", "sim.year_plots", "sim.optimize.figure", "sim.maps")),
    ("command line", ("sim.commands", "sim.cli", "sim.__main__")),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The sim modules that module ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            subs = [f"{source}.{alias.name}" for alias in node.names]
            targets = [s for s in subs if s in known]
            if len(targets) < len(subs):  # some names are attributes of ``source`` itself
                targets.append(source)
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import sim.engine.model.x`` -> deepest module
                target = target.rpartition(".")[0]
            if target.startswith("sim") and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer): the longest prefix decides
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), i)
    return best[1] if best else None


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "sim" / "pkg"
    pkg.mkdir(parents=True)
    src = pkg / "mod.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "import sim.a.b\n"
        "from sim.c import d, value\n"
        "from . import sibling\n"
        "from .sibling import thing\n"
        "if TYPE_CHECKING:\n    from sim.e import Type\n"
        "def f():\n    import sim.lazy\n"
    )
    known = {"sim", "sim.a", "sim.a.b", "sim.c", "sim.c.d", "sim.e", "sim.lazy", "sim.pkg", "sim.pkg.mod", "sim.pkg.sibling"}
    assert imports_of("sim.pkg.mod", src, known) == {"sim.a.b", "sim.c", "sim.c.d", "sim.pkg.sibling", "sim.e", "sim.lazy"}


def test_import_graph_has_no_cycles() -> None:
    g = graph()
    assert len(g) > 30 and "sim.engine.model" in g["sim.runner"]  # the reader found the package
    try:
        order = list(graphlib.TopologicalSorter(g).static_order())
    except graphlib.CycleError as e:
        cycle = e.args[1]
        pytest.fail("import cycle: " + " -> ".join(cycle))
    assert set(order) >= set(g)


def test_every_module_has_a_place_on_the_spine() -> None:
    unplaced = sorted(m for m in modules() if layer_of(m) is None)
    assert not unplaced, f"add these modules to LAYERS in {Path(__file__).name}: {', '.join(unplaced)}"


def test_nothing_below_imports_from_above() -> None:
    g = graph()
    upward = []
    for name, targets in sorted(g.items()):
        here = layer_of(name)
        for target in sorted(targets):
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{name} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})")
    assert not upward, "imports against the spine:\n" + "\n".join(upward)


def test_plotting_and_the_report_neither_build_nor_run_a_model() -> None:
    g = graph()
    forbidden = {"sim.build", "sim.runner", "sim.engine", "sim.engine.model"}
    for name in ("sim.plots", "sim.report"):
        assert not g[name] & forbidden, (name, g[name] & forbidden)
