"""Property test: damaged scenario files are valid or refused clearly, never with a traceback.

Hypothesis takes a shipped scenario file (or a loader test example), mutates one place of
the mapping as written (drop a key or list item, retype a value, negate a number, scale it
by up to 10^±300, rename a key, nest a scalar into a mapping or list), writes it beside a
copy of the files it extends and runs ``sim validate`` in-process (which also builds the
network for the warnings). Every variant must either validate (exit 0)
or be refused with exit 2 and a message that names the mutated field: its path (with list
items by name or index), the path it was renamed to, its parent, or the name it held.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario.errors import format_path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    "scenarios/example.yaml",
    "scenarios/dense_premium.yaml",
    "scenarios/sparse_cheap.yaml",
    "scenarios/regional_8h.yaml",
    "scenarios/imported_premium.yaml",
    "scenarios/market.yaml",
    "tests/data/loader/minimal.yaml",
    "tests/data/loader/child.yaml",
]
LOADER_DIRECTIVES = {"extends", "base"}  # not scenario fields: test_loader covers them
ODD_VALUES = ["text", "", "a]b", 3, -1.5, 10**30, float("nan"), float("inf"), True, None, [], {}, [1, 2], {"dist": "nope"}]


def _plain(x: Any) -> Any:
    """A copy with no shared containers (YAML anchors load as shared objects), keys as text."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scenario folders, so that mutants sit beside the files they extend."""
    root = tmp_path_factory.mktemp("mutants")
    shutil.copytree(ROOT / "scenarios", root / "scenarios", ignore=shutil.ignore_patterns("regression", "tools", "*.md"))
    shutil.copytree(ROOT / "tests" / "data" / "loader", root / "tests" / "data" / "loader")
    return root


def _children(node: Any) -> list[str | int]:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, list[str | int], str, Any]:
    """(source file, path to the mutated place, kind of mutation, argument)."""
    source = draw(st.sampled_from(SOURCES))
    data = _plain(yaml.safe_load((ROOT / source).read_text(encoding="utf-8")))
    keys = [k for k in data if k not in LOADER_DIRECTIVES]
    path: list[str | int] = [draw(st.sampled_from(keys))]
    node = data[path[0]]
    while _children(node) and draw(st.integers(0, 3)) > 0:  # go deeper three times in four
        step = draw(st.sampled_from(_children(node)))
        path.append(step)
        node = node[step]
    kinds = ["drop", "retype"]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        kinds += ["negate", "scale"]
    if isinstance(path[-1], str):
        kinds.append("rename")
    if not isinstance(node, (dict, list)):
        kinds.append("nest")
    kind = draw(st.sampled_from(kinds))
    arg: Any = None
    if kind == "retype":
        arg = draw(st.sampled_from([v for v in ODD_VALUES if type(v) is not type(node)]))
    elif kind == "rename":
        arg = draw(st.sampled_from([path[-1] + "x", path[-1][:-1] or "x", path[-1].upper(), "unknown_key"]))
    elif kind == "nest":
        arg = draw(st.sampled_from(["map", "list"]))
    elif kind == "scale":
        arg = draw(st.sampled_from([1e-300, 1e-6, 1e6, 1e300]))
    return source, path, kind, arg


def _mutate(data: dict[str, Any], path: list[str | int], kind: str, arg: Any) -> list[str | int] | None:
    """Apply the mutation in place; the new path of a renamed key."""
    parent = data
    for step in path[:-1]:
        parent = parent[step]  # type: ignore[index]
    last = path[-1]
    value = parent[last]  # type: ignore[index]
    if kind == "drop":
        del parent[last]  # type: ignore[arg-type]
    elif kind == "retype":
        parent[last] = arg  # type: ignore[index]
    elif kind == "negate":
        parent[last] = -value if value else -1  # type: ignore[index]
    elif kind == "scale":  # numbers out of any sensible range must not crash the build
        parent[last] = value * arg  # type: ignore[index]
    elif kind == "nest":
        parent[last] = {"value": value} if arg == "map" else [value]  # type: ignore[index]
    elif kind == "rename":
        assert isinstance(parent, dict)
        items = [(arg if k == last else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        return [*path[:-1], arg]
    return None


def _pattern(path: list[str | int], data: Any) -> str:
    """A regex for a path as errors show it: a list item by its name, by any index (the merged
    list may order it differently from the file) or as ``[*]`` (one message for many items)."""
    out = ""
    node = data
    for step in path:
        if isinstance(step, int):
            item = node[step] if isinstance(node, list) and step < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            alternatives = [r"\d+", r"\*"] + ([re.escape(name)] if isinstance(name, str) else [])
            out += r"\[(?:" + "|".join(alternatives) + r")\]"
            node = item
        else:
            shown = format_path(["x", step])[1:]  # '.key' or '[key]'
            out += re.escape(shown.lstrip(".") if not out else shown)
            node = node.get(step) if isinstance(node, dict) else None
    return out


def _names_the_field(err: str, data: dict[str, Any], path: list[str | int], renamed: list[str | int] | None) -> bool:
    """True if the error names the mutated place: its path, new path, parent, or the name it held."""
    patterns = [_pattern(p, data) for p in filter(None, [path, path[:-1], renamed])]
    node: Any = data
    for step in path:
        node = node[step]
    held = node.get("name") if isinstance(node, dict) else node if path[-1] == "name" else None
    if isinstance(held, str):
        patterns.append(re.escape(repr(held)))
    return any(re.search(r"(?<![\w.\]])" + p + r"(?![\w\[])", err) for p in patterns)


@settings(
    max_examples=120,  # about 15 s of CPU: most examples load the 279-site market
    deadline=None,
    derandomize=True,  # the same examples on every run and machine
    phases=(Phase.explicit, Phase.generate),  # an example is one mutation already: shrinking would only cost minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutations())
def test_damaged_files_validate_or_are_refused_naming_the_field(
    tree: Path, mutation: tuple[str, list[str | int], str, Any]
) -> None:
    source, path, kind, arg = mutation
    original = _plain(yaml.safe_load((ROOT / source).read_text(encoding="utf-8")))
    data = _plain(original)
    renamed = _mutate(data, path, kind, arg)
    target = tree / Path(source).parent / "mutant.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(target)])  # an uncaught exception fails the test with its traceback
    text = err.getvalue()
    assert code in (0, 2), text
    assert "Traceback" not in text
    if code == 2:
        assert text.startswith("error: ") and str(target) in text, text
        assert _names_the_field(text, original, path, renamed), f"{kind} {format_path(path)} ({arg!r}):\n{text}"
