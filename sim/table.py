"""Plain-text tables for the terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence


def number(value: float, unit: str = "") -> str:
    """A KPI value for people: shares as %, money and counts with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        return f"{100 * value:.1f}%"
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
