"""Problems found in a scenario, located by file, line and dotted path.

Every mistake in a scenario (YAML syntax, ``extends``, ``--set`` overrides, field
validation, cross-references) becomes one :class:`Problem`; the loader gathers all of
them and raises a single :class:`ScenarioError`, so a user fixes a file in one pass.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeGuard, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.scenario.names import is_name

M = TypeVar("M", bound=BaseModel)

DataPath = tuple[str | int, ...]
"""A path into scenario data: mapping keys (str) and list indexes (int)."""

SET = "--set"
"""The pseudo file name of command-line overrides."""

_PLAIN_KEY = re.compile(r"^[^\s.\[\]=][^.\[\]=]*$")


class Named(str):
    """A list item picked by its ``name`` in a shown path: ``sites[Chengdu-01]``, as ``--set`` reads it."""


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a file (or ``--set``) and a 1-based line, if known.

    A value set on the command line has file ``--set`` and ``override``, the ``PATH=VALUE`` text.
    """

    file: str | None
    line: int | None
    override: str | None = None


@dataclass(frozen=True)
class Problem:
    """One mistake in a scenario, e.g. ``x.yaml:12: sites[Chengdu-01].lat: Input should be ...``.

    A problem blamed on a command-line override has file ``--set`` and ``override``, the
    ``PATH=VALUE`` text: ``--set horizon_h=100: warmup_h: warm-up ... must be shorter ...``.
    """

    file: str | None
    line: int | None
    path: str
    message: str
    override: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.override is not None:
            where = f"{self.file or SET} {self.override}: "
        elif self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


def format_path(path: Iterable[str | int]) -> str:
    """Dotted form of a data path: ``("sites", 3, "lat")`` → ``sites[3].lat``.

    Keys that would not read back as one dotted segment are bracketed: ``base_stock[v1.2]``;
    so are list items picked by name (:class:`Named`): ``sites[Chengdu-01].lat``.
    """
    out = ""
    for part in path:
        if isinstance(part, (int, Named)):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part) and out:
            out += f".{part}"
        elif _PLAIN_KEY.match(part):
            out = part
        else:
            out += f"[{part}]"
    return out


def item_name(item: Any, siblings: Iterable[Any] = ()) -> Named | None:
    """The name a list item is shown by: its ``name``, if a valid name unique among ``siblings``."""
    name = item.get("name") if isinstance(item, dict) else None
    if not is_name(name):
        return None
    if sum(1 for s in siblings if isinstance(s, dict) and s.get("name") == name) > 1:
        return None
    return Named(name)


def named(path: DataPath, data: Any) -> tuple[str | int, ...]:
    """``path`` with each list index replaced by the item's name where it has a unique one."""
    out: list[str | int] = []
    node = data
    for step in path:
        if isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
            item = node[step]
            out.append(item_name(item, node) or step)
            node = item
            continue
        out.append(step)
        node = node.get(step) if isinstance(node, dict) else None
    return tuple(out)


def overlaps(a: str, b: str) -> bool:
    """True if one dotted path is the other or inside it (``sites[1]`` and ``sites[1].lat``)."""
    a, b = sorted((a, b), key=len)
    return b == a or b.startswith((a + ".", a + "["))


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` lists every mistake found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        files: dict[str | None, int] = {}
        for p in problems:
            files.setdefault(p.file, len(files))
        lined = {p.file for p in problems if p.line is not None}
        # files with lines first (in order of first mention; so ``--set`` last), then by line
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file not in lined, files[p.file], p.line or 0)
        )
        super().__init__(self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"scenario file has {n} problem{'' if n == 1 else 's'}:"
        return "\n".join([head, *(str(p) for p in self.problems)])


# --------------------------------------------------------------------------------------
# Locating problems in the data, and translating pydantic's errors
# --------------------------------------------------------------------------------------


def locate(path: DataPath, message: str, origins: Mapping[DataPath, Origin], data: Any = None) -> Problem:
    """A problem at ``path``, placed at the origin of the deepest prefix that has one.

    With ``data``, list items in the shown path are named by their ``name`` (``sites[Chengdu-01]``).
    """
    shown = format_path(named(path, data) if data is not None else path)
    for n in range(len(path), -1, -1):
        origin = origins.get(path[:n])
        if origin is not None:
            return Problem(origin.file, origin.line, shown, message, origin.override)
    return Problem(None, None, shown, message)


def from_validation_error(
    exc: ValidationError, data: Any, origins: Mapping[DataPath, Origin], model: type[BaseModel]
) -> list[Problem]:
    """One problem per pydantic error, located in ``data`` (validated as ``model``)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, bad_key = _data_path(loc, data)
        out.append(locate(path, _message(err, loc, model, bad_key), origins, data))
    return out


_STEPS = re.compile(r"\[[^\[\]]*\]|[^.\[]+|\.")


def merge_alike(problems: Iterable[Problem]) -> list[Problem]:
    """One problem for many list items broken the same way.

    ``--set 'sites[*].downtime_cost_per_h=-1'`` breaks every site in the same way: that is one
    problem, shown once as ``sites[*].downtime_cost_per_h`` with the number of items, not one
    line per site. So is a region left out that eight sites name: one message, at the first
    site's line, listing the sites with their lines. Problems keep their order (the first of
    a group stands for it).
    """
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    for p in problems:
        steps = _STEPS.findall(p.path)
        shape = tuple("[]" if s.startswith("[") else s for s in steps)
        groups.setdefault((p.file, p.override, p.message, shape), []).append(p)
    out = []
    for group in groups.values():
        first = group[0]
        if len({p.path for p in group}) == 1:  # the same place reported twice: once
            out.append(first)
            continue
        columns = list(zip(*(_STEPS.findall(p.path) for p in group)))
        path = "".join("[*]" if len(set(c)) > 1 else c[0] for c in columns)
        varying = [c for c in columns if len(set(c)) > 1]
        names = [" ".join(c[k].strip("[]") for c in varying) for k in range(len(group))]
        if len({p.line for p in group}) > 1:
            names = [f"{n} (line {p.line})" if p.line is not None else n for n, p in zip(names, group)]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        out.append(Problem(first.file, first.line, path, f"{first.message} ({len(group)} items: {shown})", first.override))
    return out


def _data_path(loc: tuple[str | int, ...], data: Any) -> tuple[DataPath, bool]:
    """Map a pydantic ``loc`` to a data path: drop union tags; flag errors about a mapping key."""
    path: list[str | int] = []
    node = data
    for el in loc:
        if el == "[key]":
            return tuple(path), True
        if isinstance(node, dict) and el not in node and el in node.values():
            continue  # the tag of a discriminated union, e.g. 'weibull': not in the data
        if isinstance(node, dict) and el in node:
            node = node[el]
        elif isinstance(node, list) and isinstance(el, int) and -len(node) <= el < len(node):
            node = node[el]
        else:
            node = None
        path.append(el)
    return tuple(path), False


def _message(err: Any, loc: tuple[str | int, ...], model: type[BaseModel], bad_key: bool) -> str:
    """Pydantic's message, reworded where it would puzzle someone editing a YAML file."""
    kind, msg = err["type"], err["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "extra_forbidden":
        allowed = _field_names(_type_at(model, loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            msg = f"unknown field; did you mean {close[0]!r}?"
        else:
            msg = "unknown field" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    elif kind == "missing":
        msg = "required field missing"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        msg = f"expected a mapping of keys to values, got {err['input']!r}"
    elif kind == "string_type" and isinstance(err["input"], (bool, int, float)):
        msg = f"expected text, got {err['input']!r}: put it in quotes"
    elif kind == "list_type":
        msg = f"expected a list, got {err['input']!r}"
    elif kind == "union_tag_not_found":
        tags = [t for m in members(_type_at(model, loc)) for t in _literals(m)]
        msg = f"missing key {err['ctx']['discriminator']}" + (f" (one of: {', '.join(tags)})" if tags else "")
    return f"invalid key: {msg}" if bad_key else msg


def unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from a type."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else Union[tuple(rest)]
        else:
            return tp


def is_model(tp: Any) -> TypeGuard[type[BaseModel]]:
    """True for a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def members(tp: Any) -> list[Any]:
    """The model classes of a union (or the one model)."""
    tp = unwrap(tp)
    args = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)
    return [a for a in map(unwrap, args) if is_model(a)]


def _literals(model: type[BaseModel]) -> list[str]:
    """Values of a model's ``Literal`` fields (the tags of a discriminated union)."""
    return [v for f in model.model_fields.values() if get_origin(f.annotation) is Literal for v in get_args(f.annotation)]


def _type_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> Any:
    """The declared type at a pydantic ``loc`` below ``model``; None when it cannot be told."""
    tp: Any = model
    for el in loc:
        tp = unwrap(tp)
        models = members(tp)
        if get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        elif len(models) == 1:
            fields = models[0].model_fields
            tp = next((f.annotation for n, f in fields.items() if el in (n, f.alias)), None)
        elif models:  # a discriminated union: the loc names the member by its tag
            tp = next((m for m in models if el in _literals(m)), None)
        else:
            return None
    return tp


def _field_names(tp: Any) -> list[str]:
    """Keys a model accepts (aliases where set)."""
    models = members(tp) if tp is not None else []
    return [f.alias or n for n, f in models[0].model_fields.items()] if len(models) == 1 else []


# --------------------------------------------------------------------------------------
# A best-effort model, so that cross-references are checked despite field errors
# --------------------------------------------------------------------------------------


def salvage(model: type[M], data: Any) -> M | None:
    """An instance of ``model`` built from invalid data: valid values kept, list positions
    kept, each invalid field replaced by its default or an empty value. Only for running
    cross-reference checks next to the field errors; None if ``data`` is not a mapping.
    """
    if not isinstance(data, dict):
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        pass
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        ok, value = _salvage_value(field.annotation, data[key]) if key in data else (False, None)
        if not ok:
            required = field.is_required()
            value = _empty(field.annotation) if required else field.get_default(call_default_factory=True)
        values[name] = value
    return model.model_construct(**values)


def _salvage_value(tp: Any, value: Any) -> tuple[bool, Any]:
    """(True, the value validated or salvaged as ``tp``), or (False, None)."""
    try:
        return True, TypeAdapter(tp).validate_python(value)
    except ValidationError:
        pass
    tp = unwrap(tp)
    models = members(tp)
    if get_origin(tp) is list and isinstance(value, list):
        items = [_salvage_value(get_args(tp)[0], v) for v in value]
        return (True, [v for _, v in items]) if all(ok for ok, _ in items) else (False, None)
    if get_origin(tp) is dict and isinstance(value, dict):
        key_tp, value_tp = get_args(tp)
        entries = [(_salvage_value(key_tp, k), _salvage_value(value_tp, v)) for k, v in value.items()]
        return True, {k: v for (k_ok, k), (v_ok, v) in entries if k_ok and v_ok}
    if len(models) == 1 and isinstance(value, dict):
        return True, salvage(models[0], value)
    return False, None


def _empty(tp: Any) -> Any:
    """A harmless stand-in for a missing or invalid required value."""
    tp = unwrap(tp)
    origin = get_origin(tp) or tp
    stand_ins: dict[Any, Any] = {list: [], dict: {}, int: 0, float: 0.0, str: "", bool: False}
    return stand_ins.get(origin) if isinstance(origin, type) else None
