"""Names of scenario items: what a name may look like, and the known names closest to a misspelt one."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

NAME_PATTERN = r"^[^\s\[\]=*.]([^\[\]=*]*[^\s\[\]=*])?$"
"""What a name may look like: it can be written as ``sites[NAME]`` in a ``--set`` path."""

_NAME = re.compile(NAME_PATTERN)
_NUMBER = re.compile(r"\d+")


def is_name(text: object) -> bool:
    """True if ``text`` is a string that :data:`NAME_PATTERN` accepts."""
    return isinstance(text, str) and _NAME.match(text) is not None


def _normal(name: str) -> str:
    """A name with case and leading zeros of numbers ignored: ``dongguan-1`` for ``Dongguan-01``."""
    return _NUMBER.sub(lambda m: str(int(m.group())), name.casefold())


def closest(name: str, known: Iterable[str], n: int = 3, cutoff: float = 0.75) -> list[str]:
    """Up to ``n`` known names a user probably meant by ``name``, best first.

    Names equal but for case and zero padding come first (``Dongguan-1`` → ``Dongguan-01``),
    then those :func:`difflib.get_close_matches` finds similar enough.
    """
    names = list(dict.fromkeys(known))
    same = [k for k in names if _normal(k) == _normal(name) and k != name]
    rest = difflib.get_close_matches(name, [k for k in names if k not in same], n=n, cutoff=cutoff)
    return (same + rest)[:n]


def did_you_mean(name: str, known: Iterable[str], n: int = 3) -> str:
    """``; did you mean 'X'?`` naming the closest known names, or '' when none is close."""
    close = closest(name, known, n)
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
