"""Plain-text tables for the terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence

SHARE_DECIMALS = 4
"""Most decimals of a share in % (99.9995% is not shown as 100.0000%)."""


def _pinned(value: float, decimals: int) -> bool:
    """A share that would read 0% or 100% at ``decimals`` though it is not (float noise aside)."""
    if not math.isfinite(value) or abs(value) < 1e-9 or abs(abs(value) - 1) < 1e-9:
        return False
    shown = round(100 * value, decimals)
    return shown == 0 or abs(shown) == 100


def share_decimals(*values: float) -> int:
    """Decimals of shares in %: 1, or more so that none that is not 0 or 1 reads "0.0%" or "100.0%".

    ``share_decimals(0.99953, 0.00012) == 2``: availability 99.95% ± 0.01%, not 100.0% ± 0.0%.
    """
    return next((d for d in range(1, SHARE_DECIMALS) if not any(_pinned(v, d) for v in values)), SHARE_DECIMALS)


def number(value: float, unit: str = "", decimals: int | None = None) -> str:
    """A KPI value for people: shares as % (1 decimal, more near 0% and 100%; ``decimals`` to
    force a count, e.g. one shared with a half-width), money and counts with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        return f"{100 * value:.{share_decimals(value) if decimals is None else decimals}f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def render(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A table with a header rule; ``align`` is one letter per column, l or r."""
    cols = len(header)
    align = align or "l" + "r" * (cols - 1)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(cols)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(cells, widths, align))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])
