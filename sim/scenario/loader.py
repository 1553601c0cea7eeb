"""Load scenario YAML files: line-tracked parsing, ``extends``, ``--set`` overrides, validation.

The YAML is composed into nodes (PyYAML, safe) and built into plain data while a second
mapping, *origins*, records for every data path the file and line it came from, so that
every problem points at a line. All problems are gathered and raised together as one
:class:`~sim.scenario.errors.ScenarioError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.errors import (
    SET,
    DataPath,
    Named,
    Origin,
    Problem,
    ScenarioError,
    format_path,
    from_validation_error,
    item_name,
    locate,
    merge_alike,
    overlaps,
    salvage,
)
from sim.scenario.names import did_you_mean, is_name
from sim.scenario.schema import Scenario, lists_none

__all__ = [
    "SET", "Origin", "Origins", "apply_overrides", "load_scenario", "load_scenario_data", "load_scenarios",
    "read_yaml", "resolved_yaml", "scenario_hash", "validate_data", "validate_file",
]

Origins = dict[DataPath, Origin]

_MAP, _SEQ, _MERGE = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge"
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it (about 13× faster on the case-study market; same nodes and marks)."""

MAX_ALIAS_VALUES = 100_000
"""How many values YAML aliases (``*anchor``) may add to a file once expanded.

Aliases share a written block (a distribution, a site template); a few thousand copies
are ordinary. Beyond this the file is refused before anything is expanded: a "billion
laughs" file of a few hundred bytes would otherwise expand to 10^9 values.
"""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted; a scenario needs fewer than 10 levels."""


def read_text(file: str, what: str = "file") -> tuple[str | None, Problem | None]:
    """The text of a UTF-8 file, or the reason it cannot be read (``cannot read {what}: ...``, or the line of a bad byte)."""
    try:
        raw = Path(file).read_bytes()
    except OSError as e:
        return None, Problem(file, None, "", f"cannot read {what}: {e.strerror or e}")
    try:
        return raw.decode("utf-8", errors="strict").removeprefix("\ufeff"), None
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return None, Problem(file, line, "", f"not UTF-8 text (byte 0x{raw[e.start]:02x} at column {column}); save the file as UTF-8")


def _refusal(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """(node at fault, why) when a composed YAML tree must not be built, else None.

    Counts the values written and the values once aliases are expanded, without expanding:
    a node reached again through an alias counts its memoised size. Refuses a recursive
    alias, nesting deeper than :data:`MAX_DEPTH` and an expansion past :data:`MAX_ALIAS_VALUES`.
    """
    sizes: dict[int, int] = {}
    written = 0
    open_: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal written
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _Refused(node, "a YAML alias refers to a value that contains it (recursive alias)")
        if depth > MAX_DEPTH:
            raise _Refused(node, f"nested deeper than {MAX_DEPTH} levels")
        written += 1
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            open_.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
            for child in children:
                total += size(child, depth + 1)
                if total - written > MAX_ALIAS_VALUES:
                    raise _Refused(node, f"YAML aliases expand this file by more than {MAX_ALIAS_VALUES:,} values; write the values out")
            open_.discard(key)
        sizes[key] = total
        return total

    try:
        size(root, 0)
    except _Refused as r:
        return r.node, r.why
    return None


class _Refused(Exception):
    """A YAML tree that must not be built (alias bomb, recursion, depth)."""

    def __init__(self, node: yaml.Node, why: str) -> None:
        super().__init__(why)
        self.node, self.why = node, why


@dataclass
class _Node:
    """A value and where it came from; a mapping holds ``dict[str, _Node]``, a list ``list[_Node]``."""

    value: Any
    origin: Origin


class _Reader:
    """Reads a scenario file and the files it extends, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.fatal = False  # some file could not be read: validating would only add noise
        self.base = False  # the file loaded directly says ``base: true``

    def report(self, origin: Origin | None, path: DataPath, message: str, fatal: bool = False) -> None:
        """Record a problem."""
        file, line = (origin.file, origin.line) if origin else (None, None)
        self.problems.append(Problem(file, line, format_path(path), message))
        self.fatal = self.fatal or fatal

    # ---- one file -------------------------------------------------------------------

    def load(self, file: str, chain: tuple[tuple[str, str], ...] = (), at: Origin | None = None) -> _Node | None:
        """The data of ``file`` merged over the files it extends; None if it cannot be read."""
        real = os.path.realpath(file)
        if any(real == r for r, _ in chain):
            names = " -> ".join([*(shown for _, shown in chain), file])
            self.report(at, ("extends",), f"cycle: {names}", fatal=True)
            return None
        text, trouble = read_text(file, "scenario file" if at is None else file)
        if text is None:
            assert trouble is not None
            if at is None or trouble.line is not None:
                self.report(Origin(file, trouble.line), (), trouble.message, fatal=True)
            else:
                self.report(at, ("extends",), trouble.message, fatal=True)
            return None
        root = self.parse(file, text)
        if root is None:
            return None
        marker = root.value.pop("base", None) if isinstance(root.value, dict) else None
        if marker is not None:
            if not isinstance(marker.value, bool):
                self.report(marker.origin, ("base",), "base takes true or false")
            elif at is None:  # only the file named on the command line; bases of bases don't count
                self.base = marker.value
        base: _Node | None = None
        for ref in self.extends_refs(root):
            target = os.path.normpath(os.path.join(os.path.dirname(file), ref.value))
            node = self.load(target, (*chain, (real, file)), ref.origin)
            if node is not None:
                base = node if base is None else self.merge(base, node, ())
        return self.merge(base, root, ())

    def parse(self, file: str, text: str) -> _Node | None:
        """Build the top-level mapping of one YAML text, or report why it cannot be."""
        loader = _YAML_LOADER(text)
        try:
            node = loader.get_single_node()
            if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
                line = node.start_mark.line + 1 if node is not None else None
                kinds = {yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}
                what = "empty" if node is None else kinds.get(type(node), f"tagged {node.tag}")
                self.report(Origin(file, line), (), f"top level must be a mapping of keys to values, not {what}", True)
                return None
            refused = _refusal(node)
            if refused is not None:
                fault, why = refused
                self.report(Origin(file, fault.start_mark.line + 1), (), why, True)
                return None
            return self.build(loader, node, Origin(file, node.start_mark.line + 1), ())
        except RecursionError:
            self.report(Origin(file, None), (), f"nested too deeply to read (more than {MAX_DEPTH} levels)", True)
            return None
        except yaml.reader.ReaderError as e:  # a character YAML does not allow: no mark, a position
            line = text.count("\n", 0, e.position) + 1
            column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
            self.report(Origin(file, line), (), f"YAML syntax error (column {column}): {e.reason} #x{e.character:04x}", True)
            return None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            where = f" (column {mark.column + 1})" if mark is not None else ""
            what = getattr(e, "problem", None) or " ".join(str(e).split())
            context = getattr(e, "context", None)
            self.report(Origin(file, line), (), f"YAML syntax error{where}: {what}" + (f", {context}" if context else ""), True)
            return None
        finally:
            loader.dispose()

    def build(self, loader: Any, node: yaml.Node, origin: Origin, path: DataPath) -> _Node:
        """Plain data from a YAML node; keys are their text as written (``2000:`` is ``"2000"``)."""
        file = origin.file
        if isinstance(node, yaml.ScalarNode):
            try:
                return _Node(loader.construct_object(node, deep=True), origin)
            except (yaml.YAMLError, ValueError, TypeError) as e:
                shown = node.value if len(node.value) <= 40 else f"{node.value[:20]}…({len(node.value):,} characters)"
                why = str(getattr(e, "problem", None) or e).split("; use sys.set_int_max_str_digits")[0]  # Python's advice, not the user's
                self.report(origin, path, f"cannot read value {shown!r}: {why}")
                return _Node(None, origin)
        if node.tag not in (_MAP, _SEQ):
            self.report(origin, path, f"unsupported YAML tag {node.tag!r}")
        if not isinstance(node, yaml.MappingNode):
            labels = _item_labels(node.value)
            items = [self.build(loader, v, Origin(file, v.start_mark.line + 1), (*path, labels[i])) for i, v in enumerate(node.value)]
            return _Node(items, origin)
        first: dict[str, int] = {}
        for key, _ in node.value:  # duplicates among the keys written here (not '<<' merges)
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                if key.value in first:
                    msg = f"duplicate key {key.value!r} (first at line {first[key.value]})"
                    self.report(Origin(file, key.start_mark.line + 1), (*path, key.value), msg)
                first.setdefault(key.value, key.start_mark.line + 1)
        loader.flatten_mapping(node)  # resolves '<<: *anchor' merge keys in place
        out: dict[str, _Node] = {}
        for key, value in node.value:
            at = Origin(file, key.start_mark.line + 1)
            if not isinstance(key, yaml.ScalarNode):
                self.report(at, path, "mapping keys must be plain text")
                continue
            out[key.value] = self.build(loader, value, at, (*path, key.value))
        return _Node(out, origin)

    def extends_refs(self, root: _Node) -> list[_Node]:
        """Remove ``extends`` from a top-level mapping and return its file names."""
        ext = root.value.pop("extends", None)
        if ext is None or ext.value is None:
            return []
        refs = ext.value if isinstance(ext.value, list) else [ext]
        bad = [r for r in refs if not isinstance(r.value, str) or not r.value]
        if bad:
            self.report(ext.origin, ("extends",), "extends takes a file name or a list of file names", fatal=True)
        return [r for r in refs if r not in bad]

    # ---- merging --------------------------------------------------------------------

    def merge(self, base: _Node | None, over: _Node, path: DataPath) -> _Node:
        """``over`` merged over ``base``: mappings deep, named lists by name, the rest replaced."""
        b = base.value if base is not None else None
        o = over.value
        if isinstance(o, dict):
            out = dict(b) if isinstance(b, dict) else {}
            for k, v in o.items():
                out[k] = self.merge(out.get(k), v, (*path, k))
            return _Node(out, over.origin)
        if isinstance(o, list) and o and _named(o) and (b is None or (isinstance(b, list) and _named(b))):
            return _Node(self.merge_named(list(b or []), o, path), over.origin)
        if isinstance(o, list):
            return _Node([self.merge(None, v, (*path, i)) for i, v in enumerate(o)], over.origin)
        return over

    def merge_named(self, items: list[_Node], over: list[_Node], path: DataPath) -> list[_Node]:
        """Merge list entries by ``name``; ``delete: true`` removes an entry."""
        for j, entry in enumerate(over):
            fields = dict(entry.value)
            delete = fields.pop("delete", None)
            name = fields["name"].value
            label: str | int = Named(name) if is_name(name) else j
            found = next((i for i, item in enumerate(items) if item.value["name"].value == name), None)
            if delete is not None and not isinstance(delete.value, bool):
                self.report(delete.origin, (*path, label, "delete"), "delete must be true or false")
            elif delete is not None and delete.value:
                if found is None:
                    known = [str(item.value["name"].value) for item in items]
                    self.report(entry.origin, (*path, label), f"cannot delete {name!r}: no entry of that name{_did_you_mean(str(name), known)}")
                else:
                    del items[found]
                continue
            merged = self.merge(items[found] if found is not None else None, _Node(fields, entry.origin), (*path, label))
            if found is None:
                items.append(merged)
            else:
                items[found] = merged
        return items


def _item_labels(nodes: list[yaml.Node]) -> list[str | int]:
    """How each item of a YAML list is shown in a path: by its ``name`` where unique and valid, else its index."""
    names: list[str | None] = []
    for v in nodes:
        name = None
        if isinstance(v, yaml.MappingNode):
            for k, val in v.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "name" and isinstance(val, yaml.ScalarNode):
                    name = val.value if val.tag == "tag:yaml.org,2002:str" and is_name(val.value) else None
        names.append(name)
    return [Named(n) if n is not None and names.count(n) == 1 else i for i, n in enumerate(names)]


def _did_you_mean(name: str, known: Sequence[str], listed: int = 8) -> str:
    """``; did you mean 'X'?`` for the closest known names, else a short list of them."""
    close = did_you_mean(name, known)
    if close:
        return close
    if not known:
        return " (there are none)"
    more = f", … ({len(known)} in all)" if len(known) > listed else ""
    return f" (names: {', '.join(known[:listed])}{more})"


def _named(items: list[_Node]) -> bool:
    """True if every item is a mapping with a ``name`` key."""
    return all(isinstance(i.value, dict) and "name" in i.value for i in items)


def _flatten(node: _Node, path: DataPath, origins: Origins) -> Any:
    """Plain data from nodes, filling ``origins``."""
    origins[path] = node.origin
    if isinstance(node.value, dict):
        return {k: _flatten(v, (*path, k), origins) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_flatten(v, (*path, i), origins) for i, v in enumerate(node.value)]
    return node.value


# --------------------------------------------------------------------------------------
# Overrides: --set PATH=VALUE
# --------------------------------------------------------------------------------------

_PATH = re.compile(r"[^.\[\]=\s][^.\[\]=]*(?:\[[^\[\]]+\]|\.[^.\[\]=]+)*")
_STEP = re.compile(r"\[([^\[\]]+)\]|\.?([^.\[\]=]+)")


def apply_overrides(data: dict[str, Any], origins: Origins, overrides: Sequence[str]) -> list[Problem]:
    """Apply ``PATH=VALUE`` overrides in place; return the problems (file ``--set``, with the override).

    PATH is dotted; ``[NAME]`` picks a list item by its ``name`` (or a mapping key),
    ``[INT]`` a list item by index, ``[*]`` every item of a list or key of a mapping. VALUE is read as YAML (``=[1,2]``, ``={dist: ...}``).
    Mapping keys are read as written, as in files. Missing mappings on the way are created.
    """
    problems = []
    for text in overrides:
        error = _apply_one(data, origins, text)
        if error:
            problems.append(Problem(SET, None, "", error, text))
    return problems


def _apply_one(data: dict[str, Any], origins: Origins, text: str) -> str | None:
    """Apply one override; the reason it cannot be applied, or None."""
    path_text, eq, raw = text.partition("=")
    path_text = path_text.strip()
    if not eq or not _PATH.fullmatch(path_text):
        return "expected PATH=VALUE, with PATH like sites[NAME].field, depots[0].base_stock.part or seed"
    value, error = _read_value(raw)
    if error:
        return error
    steps = [(m.group(1) is not None, m.group(1) or m.group(2)) for m in _STEP.finditer(path_text)]
    return _assign(data, steps, [], [], value, origins, text)


def _assign(
    node: Any, steps: list[tuple[bool, str]], real: list[str | int], shown: list[str | int], value: Any,
    origins: Origins, text: str,
) -> str | None:
    """Walk ``steps`` from ``node`` and set the value; ``[*]`` applies to every list item.

    ``real`` is the data path so far, ``shown`` the same with list items named.
    """
    bracket, step = steps[0]
    here = format_path(shown) or "the top level"
    key: str | int = step
    label: str | int = step
    if isinstance(node, list):
        if not bracket:
            return f"{here} is a list: pick an item with [NAME], [INDEX] or [*]"
        if step == "*":
            if not node:
                return f"{here} is empty: [*] selects nothing"
            for i in range(len(node)):
                error = _assign(node, [(True, str(i)), *steps[1:]], real, shown, value, origins, text)
                if error:
                    return error
            return None
        if re.fullmatch(r"-?\d+", step):
            if not -len(node) <= int(step) < len(node):
                return f"index {step} out of range: {here} has {len(node)} items"
            key = int(step) % len(node)
            label = item_name(node[key], node) or key
        else:
            names = [str(i.get("name")) for i in node if isinstance(i, dict)]
            if step not in names:
                return f"no item named {step!r} in {here}{_did_you_mean(step, names)}"
            key = names.index(step)
            label = Named(step)
    elif not isinstance(node, dict):
        return f"{here} is {node!r}, not a mapping or list"
    elif bracket and step == "*":
        if not node:
            return f"{here} is empty: [*] selects nothing"
        for k in list(node):
            error = _assign(node, [(True, k), *steps[1:]], real, shown, value, origins, text)
            if error:
                return error
        return None
    path = [*real, key]
    if len(steps) == 1:
        node[key] = value
        prefix = tuple(path)
        for p in [p for p in origins if p[: len(prefix)] == prefix]:
            del origins[p]
        _mark(value, prefix, origins, text)
        return None
    if isinstance(node, dict) and node.get(key) is None:
        node[key] = {}
        origins[tuple(path)] = Origin(SET, None, text)
    return _assign(node[key], steps[1:], path, [*shown, label], value, origins, text)


def _read_value(raw: str) -> tuple[Any, str | None]:
    """A ``--set`` value read like file content (keys as written): (value, problem or None)."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as e:  # bytes the terminal could not decode reach Python as surrogates
        return None, f"the value is not UTF-8 text (character {e.start + 1})"
    reader, loader = _Reader(), _YAML_LOADER(raw)
    try:
        node = loader.get_single_node()
        refused = _refusal(node) if node is not None else None
        if refused is not None:
            return None, refused[1]
        built = reader.build(loader, node, Origin(SET, None), ()) if node is not None else _Node(None, Origin(SET, None))
    except yaml.YAMLError as e:
        return None, f"cannot read the value as YAML: {getattr(e, 'problem', None) or ' '.join(str(e).split())}"
    except RecursionError:
        return None, "the value is nested too deeply"
    finally:
        loader.dispose()
    return _flatten(built, (), {}), (reader.problems[0].message if reader.problems else None)


def _mark(value: Any, path: DataPath, origins: Origins, text: str) -> None:
    """Record the override ``text`` as the origin of a value and of everything inside it."""
    origins[path] = Origin(SET, None, text)
    inside = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in inside:
        _mark(item, (*path, key), origins, text)


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def _read(path: str | Path, overrides: Sequence[str]) -> tuple[dict[str, Any], Origins, list[Problem], bool, bool]:
    """Data, origins, problems, whether validation would be meaningful, and whether it is a base file."""
    reader = _Reader()
    root = reader.load(str(path))
    origins: Origins = {}
    if root is None or reader.fatal:  # overrides of incomplete data would only add noise
        return {}, origins, reader.problems, False, reader.base
    data = _flatten(root, (), origins)
    return data, origins, reader.problems + apply_overrides(data, origins, overrides), True, reader.base


def read_yaml(path: str | Path, what: str = "file") -> tuple[Any, Origins, list[Problem]]:
    """One YAML file read by the rules of scenario files, without ``extends`` or overrides.

    Returns the plain data (None when the file cannot be read or its top level is no
    mapping), the file and line of every data path, and the problems found: syntax errors,
    duplicate keys written in one mapping (a key that overrides one merged in with
    ``<<: *anchor`` is not a duplicate), unsupported tags, text that is not UTF-8, alias
    bombs. ``what`` names the file in the message when it cannot be read ("cannot read suite file: ...").
    """
    file = str(path)
    text, trouble = read_text(file, what)
    if text is None:
        assert trouble is not None
        return None, {}, [trouble]
    reader = _Reader()
    root = reader.parse(file, text)
    origins: Origins = {}
    data = _flatten(root, (), origins) if root is not None else None
    return data, origins, reader.problems


def load_scenario_data(path: str | Path, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], Origins]:
    """The merged, overridden data of a scenario file and its origins, not validated.

    Raises :class:`ScenarioError` on YAML, ``extends`` or override problems.
    """
    data, origins, problems, _, _ = _read(path, overrides)
    if problems:
        raise ScenarioError(merge_alike(problems))
    return data, origins


def validate_data(data: Any, origins: Origins | None = None, problems: Sequence[Problem] = ()) -> Scenario:
    """Validate data as a :class:`Scenario`; raise :class:`ScenarioError` with every problem found.

    Cross-references are checked even when some fields are invalid (on a best-effort model),
    except where they touch an invalid field. List items are named in paths (``sites[Chengdu-01]``),
    and one mistake repeated over many items of a list at the same place is one problem.
    """
    origins = origins or {}
    found = list(problems)
    try:
        scenario: Scenario | None = Scenario.model_validate(data)
        field_errors: list[Problem] = []
    except ValidationError as e:
        scenario = None
        field_errors = from_validation_error(e, data, origins, Scenario)
    except RecursionError:  # pydantic on absurdly nested data: nothing sensible to say per field
        raise ScenarioError([*found, Problem(None, None, "", "the data is nested too deeply to validate")]) from None
    if scenario is not None:
        cross = [locate(path, message, origins, data) for path, message in scenario.problems()]
    else:
        try:
            partial = salvage(Scenario, data)
            cross = [locate(path, message, origins, data) for path, message in partial.problems()] if partial else []
        except Exception:  # a stand-in value tripped a check: the field errors say enough
            cross = []
    # a value the reader could not read is one problem, not a second one for the stand-in None
    field_errors = [f for f in field_errors if not any(p.path and overlaps(p.path, f.path) for p in found)]
    cross = [c for c in cross if not any(overlaps(c.path, f.path) for f in field_errors)]
    found += field_errors + _into_empty_sections(cross, {_section(f.path) for f in field_errors})
    if found or scenario is None:
        raise ScenarioError(merge_alike(found))
    return scenario


def _section(path: str) -> str:
    """The top-level section of a shown path: ``sites`` of ``sites[Chengdu-01].lat``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _into_empty_sections(cross: list[Problem], invalid: set[str]) -> list[Problem]:
    """References into a section that lists nothing, as one problem per section.

    A section left out or emptied (``--set regions=[]``) is one mistake, however many fields
    name its items: one problem at the section, naming the names and the first fields. For
    an invalid section (``regions: 5``) its own error says it all: the references are dropped.
    """
    out: list[Problem] = []
    groups: dict[str, list[Problem]] = {}
    for c in cross:
        section = next((s for s in Scenario.model_fields if c.message.endswith(f": {lists_none(s)}")), None)
        if section is None:
            out.append(c)
        elif section not in invalid:
            groups.setdefault(section, []).append(c)
    for section, refs in groups.items():
        first = refs[0]
        prefixes = [r.message[: r.message.rfind(": ")] for r in refs]  # "unknown region 'Zhejiang'"
        names = dict.fromkeys(x[x.find(" '") + 1 :] if " '" in x else x for x in prefixes)
        fields = [
            f"{r.path} (line {r.line})" if r.line is not None and r.file == first.file
            else f"{r.path} ({r.file}:{r.line})" if r.file and r.file != SET else r.path
            for r in refs
        ]
        more = f" and {len(fields) - 3} more" if len(fields) > 3 else ""
        many = len(refs) > 1
        message = (
            f"none listed (left out or emptied), yet {len(refs)} field{'s' if many else ''} name{'' if many else 's'} "
            f"one: {', '.join(names)}; {', '.join(fields[:3])}{more}"
        )
        out.append(Problem(first.file, first.line, section, message, first.override))
    return out


def _checked(path: str | Path, overrides: Sequence[str], run: bool) -> tuple[Scenario | None, list[Problem]]:
    """(the scenario or None for a base file that is not run, problems) of a file with overrides."""
    data, origins, problems, readable, base = _read(path, overrides)
    if not readable:
        return None, problems
    if base and run:
        where = Problem(str(path), None, "base", "a base file (base: true) is not a scenario to run: run a file that extends it")
        return None, [*problems, where]
    try:
        return validate_data(data, origins, problems), []
    except ScenarioError as exc:
        if not base:
            return None, exc.problems
        absent = set(Scenario.model_fields) - set(data)
        return None, [p for p in exc.problems if _section(p.path) not in absent]


def _blame(path: str | Path, overrides: Sequence[str], problems: list[Problem], run: bool) -> list[Problem]:
    """Problems located in a file but caused by overrides, blamed on the override that causes them.

    ``--set horizon_h=100`` makes the file's ``warmup_h: 720`` wrong: that is the override's
    fault, not the file's. A problem the file has without overrides stays with the file; one
    that only appears with them is blamed on the overrides that cause it on their own (else
    on all of them), and says where in the file the value it clashes with is.
    """
    in_files = [p for p in problems if p.file != SET]
    if not overrides or not in_files:
        return problems

    def key(p: Problem) -> tuple[str, str]:
        return (p.path, p.message)

    own = {key(p) for p in _checked(path, (), run)[1]}
    suspects = [p for p in in_files if key(p) not in own]
    if not suspects:
        return problems
    alone = {o: {key(p) for p in _checked(path, [o], run)[1]} for o in overrides}
    out, at = [], {}
    for p in problems:
        if p not in suspects:
            out.append(p)
            continue
        culprits = [o for o in overrides if key(p) in alone[o]] or list(overrides)
        out.append(Problem(SET, None, p.path, p.message, f" {SET} ".join(culprits)))
        lined = p.line is not None and "(line " not in p.message  # a merged problem lists its lines already
        at[(p.path, p.message)] = f" ({p.file}:{p.line})" if lined else f" (in {p.file})" if p.file else ""
    merged = merge_alike(out)  # many items broken alike by one override: one problem (no single line to show)
    return [Problem(p.file, p.line, p.path, p.message + at[key(p)], p.override) if key(p) in at else p for p in merged]


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read a scenario file, merge what it extends, apply overrides and validate it.

    Raises :class:`ScenarioError` listing every problem, each with file, line and path, or
    with the ``--set`` override that causes it.
    """
    scenario, problems = _checked(path, overrides, run=True)
    if problems or scenario is None:
        raise ScenarioError(_blame(path, overrides, problems, run=True))
    return scenario


def load_scenarios(paths: Sequence[str | Path], overrides: Sequence[str] = ()) -> list[Scenario]:
    """:func:`load_scenario` for several files, with every file's problems in one :class:`ScenarioError`.

    A problem shared by every file (a bad ``--set`` given once for all of them) is listed once;
    an override's problem in some of the files says which file.
    """
    scenarios: list[Scenario] = []
    found: list[tuple[str | Path, Problem]] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path, overrides))
        except ScenarioError as exc:
            found += [(path, p) for p in exc.problems]
    if not found:
        return scenarios
    problems: list[Problem] = []
    for path, p in found:
        everywhere = len(paths) == 1 or sum(1 for _, q in found if q == p) == len(paths)
        if p.file == SET and not everywhere:
            p = Problem(p.file, p.line, p.path, f"{p.message} (in {path})", p.override)
        if p not in problems:
            problems.append(p)
    raise ScenarioError(problems)


def validate_file(path: str | Path, overrides: Sequence[str] = ()) -> Scenario | None:
    """Validate a file: the Scenario, or None for a base file (``base: true``).

    A base file is checked for what it holds: every field present must be valid and every
    reference resolvable, but whole top-level sections may be missing (its variants add
    them). Raises :class:`ScenarioError` listing every problem.
    """
    scenario, problems = _checked(path, overrides, run=False)
    if problems:
        raise ScenarioError(_blame(path, overrides, problems, run=False))
    return scenario


def resolved_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario (every default filled in) as YAML that loads back equal."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the scenario's canonical JSON: equal scenarios, equal hashes."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
