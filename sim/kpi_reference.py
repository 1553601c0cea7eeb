"""The KPI reference page, generated from the one declaration in :mod:`sim.kpis`.

``python -m sim.kpi_reference [OUT]`` writes it (default ``docs/kpis.md``); a test fails
when the committed page differs from what the declaration gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.kpis import DECLARED, REGION_KPI

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "kpis.md"


def page() -> str:
    """The reference page as Markdown."""
    lines = [
        "# KPIs",
        "",
        "Every column of `replications.csv` and row of `summary.csv`, in column order.",
        "Generated from `sim/kpis.py` by `python -m sim.kpi_reference`; do not edit by hand.",
        "Money KPIs read the ledger's flows (see [model.md](model.md), \"Money\"); *adds into*",
        "names the total a money line is part of.",
        "",
        "| KPI | label | unit | better | adds into | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for k in (*DECLARED, REGION_KPI):
        desc = k.description.replace("|", "\\|")
        lines.append(f"| `{k.name}` | {k.label} | {k.unit} | {k.better or '—'} | {k.total or '—'} | {desc} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page to ``argv[0]`` (default ``docs/kpis.md``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(page(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
