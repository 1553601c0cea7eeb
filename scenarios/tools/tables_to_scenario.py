"""Turn a planner's tables (sites, depots, drive times as CSV) into a scenario file.

    python scenarios/tools/tables_to_scenario.py CATALOGUE.yaml --sites sites.csv \\
        --depots depots.csv [--travel drive_times.csv] --name NAME -o OUT.yaml

CATALOGUE.yaml is a base file (``base: true``) with everything that is not a table: parts,
machine models, regions and promises, the central warehouse, dispatch rules, freight
rates. The output extends it and adds one line per CSV row:

* sites.csv: ``name, lat, lon, region, downtime_cost_per_h`` and one ``machines:MODEL``
  column per machine model (count installed); optional ``perishable_threshold_h`` and
  ``perishable_loss`` (both or neither), ``depot``, ``service_plan``; other columns (a city,
  a customer number) are kept as a comment.
* depots.csv: ``name, lat, lon, technicians, fixed_cost_per_year, technician_cost_per_year``
  and one ``base_stock:PART`` column per part.
* drive_times.csv: ``from, to, time_h`` and optional ``distance_km`` (legs that override the
  straight-line formula; both directions).

Empty cells are left out (the catalogue's or the schema's default applies). Every problem
is reported at once as ``file:line: column: message``, exit status 2. The output is
deterministic: the same tables give the same file byte for byte. Then run
``sim validate OUT.yaml`` and ``sim run OUT.yaml``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence
from pathlib import Path

SITE_REQUIRED = ("name", "lat", "lon", "downtime_cost_per_h")
SITE_OPTIONAL_TEXT = ("region", "depot", "service_plan")
DEPOT_REQUIRED = ("name", "lat", "lon", "technicians")
DEPOT_NUMBERS = ("fixed_cost_per_year", "technician_cost_per_year")
LEG_REQUIRED = ("from", "to", "time_h")


class Tables:
    """Reads the CSV files and collects every problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def rows(self, path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
        """(line number, row) per data row; the header must hold the required columns."""
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                header = [h.strip() for h in reader.fieldnames or []]
                missing = [c for c in required if c not in header]
                if missing:
                    self.problems.append(f"{path}:1: missing column(s) {', '.join(missing)} (has: {', '.join(header)})")
                    return []
                out = []
                for row in reader:
                    clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                    if any(clean.values()):
                        out.append((reader.line_num, clean))
                return out
        except OSError as exc:
            self.problems.append(f"{path}: cannot read: {exc.strerror}")
            return []

    def number(self, where: str, column: str, text: str, integer: bool = False) -> str | None:
        """The cell as YAML number text, or None (and a problem) when it is not a number."""
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if value != value or value in (float("inf"), float("-inf")):
            self.problems.append(f"{where}: {column}: {text!r} is not a number")
            return None
        if integer:
            if not value.is_integer():
                self.problems.append(f"{where}: {column}: {text!r} is not a whole number")
                return None
            return str(int(value))
        return format(value, ".12g")


def _name(text: str) -> str:
    """A YAML scalar for a name: quoted when plain YAML would read it as something else."""
    plain = text and text[0].isalpha() and all(c.isalnum() or c in "-_ ." for c in text) and text.lower() not in (
        "yes", "no", "true", "false", "on", "off", "null")
    return text if plain else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mapping(pairs: Sequence[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def site_lines(t: Tables, path: Path) -> list[str]:
    out = []
    for line, row in t.rows(path, SITE_REQUIRED):
        where = f"{path}:{line}"
        machines = [(c.split(":", 1)[1].strip(), row[c]) for c in row if c.startswith("machines:") and row[c]]
        if not machines:
            t.problems.append(f"{where}: no machines (add a column machines:MODEL with a count)")
        pairs: list[tuple[str, str]] = [("name", _name(row["name"]))]
        pairs += [(c, t.number(where, c, row[c]) or "0") for c in ("lat", "lon")]
        pairs += [(c, _name(row[c])) for c in ("region",) if row.get(c)]
        pairs.append(("machines", _mapping([(_name(m), t.number(where, f"machines:{m}", n, integer=True) or "0") for m, n in machines])))
        pairs.append(("downtime_cost_per_h", t.number(where, "downtime_cost_per_h", row["downtime_cost_per_h"]) or "0"))
        thr, loss = row.get("perishable_threshold_h", ""), row.get("perishable_loss", "")
        if bool(thr) != bool(loss):
            t.problems.append(f"{where}: perishable_threshold_h and perishable_loss go together (one is empty)")
        elif thr:
            pairs.append(("perishable", _mapping([
                ("threshold_h", t.number(where, "perishable_threshold_h", thr) or "0"),
                ("loss", t.number(where, "perishable_loss", loss) or "0"),
            ])))
        pairs += [(c, _name(row[c])) for c in ("depot", "service_plan") if row.get(c)]
        known = {*SITE_REQUIRED, *SITE_OPTIONAL_TEXT, "perishable_threshold_h", "perishable_loss"}
        note = "; ".join(f"{c} {row[c]}" for c in row if c not in known and not c.startswith("machines:") and row[c])
        out.append(f"  - {_mapping(pairs)}" + (f"   # {note}" if note else ""))
    return out


def depot_lines(t: Tables, path: Path) -> list[str]:
    out = []
    for line, row in t.rows(path, DEPOT_REQUIRED):
        where = f"{path}:{line}"
        pairs: list[tuple[str, str]] = [("name", _name(row["name"]))]
        pairs += [(c, t.number(where, c, row[c]) or "0") for c in ("lat", "lon")]
        pairs.append(("technicians", t.number(where, "technicians", row["technicians"], integer=True) or "0"))
        pairs += [(c, t.number(where, c, row[c]) or "0") for c in DEPOT_NUMBERS if row.get(c)]
        stock = [(c.split(":", 1)[1].strip(), row[c]) for c in row if c.startswith("base_stock:") and row[c]]
        if stock:
            pairs.append(("base_stock", _mapping([(_name(p), t.number(where, f"base_stock:{p}", n, integer=True) or "0") for p, n in stock])))
        out.append(f"  - {_mapping(pairs)}")
    return out


def leg_lines(t: Tables, path: Path) -> list[str]:
    out = []
    for line, row in t.rows(path, LEG_REQUIRED):
        where = f"{path}:{line}"
        pairs = [("from", _name(row["from"])), ("to", _name(row["to"])), ("time_h", t.number(where, "time_h", row["time_h"]) or "0")]
        if row.get("distance_km"):
            pairs.append(("distance_km", t.number(where, "distance_km", row["distance_km"]) or "0"))
        out.append(f"    - {_mapping(pairs)}")
    return out


def scenario_text(catalogue: Path, out: Path, name: str, sites: Path, depots: Path, travel: Path | None, t: Tables) -> str:
    """The scenario file's text (problems collected in ``t``)."""
    base = Path(os.path.relpath(catalogue.resolve(), out.resolve().parent)).as_posix()
    sources = ", ".join(p.name for p in (sites, depots, travel) if p is not None)
    lines = [
        f"# Generated by scenarios/tools/tables_to_scenario.py from {sources}:",
        "# edit the tables and re-run it rather than editing this file.",
        f"extends: {base}",
        f"name: {_name(name)}",
        "",
        "sites:",
        *site_lines(t, sites),
        "",
        "depots:",
        *depot_lines(t, depots),
    ]
    if travel is not None:
        lines += ["", "travel:", "  table:", *leg_lines(t, travel)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Turn sites, depots and drive-time tables (CSV) into a scenario file.")
    p.add_argument("catalogue", type=Path, help="base scenario file (base: true) with parts, machine models, regions, costs")
    p.add_argument("--sites", type=Path, required=True, help="CSV: name, lat, lon, region, downtime_cost_per_h, machines:MODEL, ...")
    p.add_argument("--depots", type=Path, required=True, help="CSV: name, lat, lon, technicians, costs, base_stock:PART, ...")
    p.add_argument("--travel", type=Path, default=None, help="CSV: from, to, time_h, distance_km (optional)")
    p.add_argument("--name", required=True, help="scenario name")
    p.add_argument("-o", "--out", type=Path, required=True, help="scenario file to write")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when OUT differs from what would be written")
    args = p.parse_args(argv)
    t = Tables()
    if not args.catalogue.is_file():
        t.problems.append(f"{args.catalogue}: no such file")
    text = scenario_text(args.catalogue, args.out, args.name, args.sites, args.depots, args.travel, t)
    if t.problems:
        print("\n".join(f"error: {m}" for m in t.problems), file=sys.stderr)
        return 2
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from the tables: re-run without --check'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: run  sim validate {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
