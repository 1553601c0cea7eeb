"""``sim analytic FILE``: evaluate a scenario in closed form (Palm, METRIC, VARI-METRIC), no simulation.

Prints the fleet figures of both methods, then the table per location and part (which
figures are exact and which approximate, and what the formulas leave out), and with
``--out DIR`` writes ``DIR/analytic.csv`` (one row per method x location x part),
``DIR/analytic_fleet.csv`` and ``DIR/analytic_sites.csv``. See docs/analytic.md.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.analytic import CENTRAL, METHODS, Analysis, analyse
from sim.build import HOURS_PER_YEAR, Network, build
from sim.commands.common import load
from sim.output import csv_text, fmt, write_folder
from sim.runner import RunResult
from sim.table import number, render

NAME = "analytic"
HELP = "evaluate a scenario in closed form (Palm, METRIC, VARI-METRIC) in well under a second: no simulation"

COLUMNS = (
    "method", "location", "part", "base_stock", "demand_per_h", "pipeline_mean", "pipeline_var",
    "ebo", "fill_rate", "part_wait_mean_h", "emergency_share", "exact",
)
MODELS = {
    "backorder": "backorder model: a demand that finds no stock waits for the depot's next replenishment",
    "loss": "loss model: a demand that finds no stock is an emergency shipment from the infinite central warehouse",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario YAML file")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="override a field, e.g. depots[*].base_stock.sealing_jaw=3 (repeatable)",
    )
    p.add_argument("--out", default=None, help="folder for analytic.csv, analytic_fleet.csv, analytic_sites.csv (default: print only)")


def analyses(net: Network) -> list[Analysis]:
    """Both methods, METRIC first."""
    return [analyse(net, m) for m in METHODS]


def analytic_csv(results: Sequence[Analysis]) -> str:
    """One row per method x location x part."""
    rows = []
    for a in results:
        for r in a.rows:
            rows.append([
                r.method, r.location, r.part, r.base_stock, fmt(r.demand_per_h), fmt(r.pipeline_mean),
                fmt(r.pipeline_var), fmt(r.ebo), fmt(r.fill_rate), fmt(r.part_wait_mean_h), fmt(r.emergency_share),
                "true" if r.exact else "false",
            ])
    return csv_text(COLUMNS, rows)


# (field of FleetFigures, label, unit for number())
FLEET = (
    ("failures_per_h", "Failures per year", "count", HOURS_PER_YEAR),
    ("part_demand_per_h", "Part demands per year", "count", HOURS_PER_YEAR),
    ("fill_rate", "Fill rate at assigned depot", "share", 1.0),
    ("lateral_share", "Served by lateral transshipment", "share", 1.0),
    ("emergency_share", "Served by emergency shipment", "share", 1.0),
    ("backorders", "Backorders, time average", "units", 1.0),
    ("part_wait_mean_h", "Part allocation wait, mean (h)", "h", 1.0),
    ("restore_time_mean_h", "Restore time, mean (h)", "h", 1.0),
    ("availability", "Machine availability", "share", 1.0),
    ("downtime_h_per_year", "Customer downtime per year (machine-h)", "h", 1.0),
    ("downtime_cost_per_year", "Customer downtime cost per year", "money", 1.0),
    ("inventory_investment", "Inventory investment (base stock)", "money", 1.0),
    ("holding_cost_per_year", "Holding cost per year", "money", 1.0),
)


def sites_csv(results: Sequence[Analysis]) -> str:
    """Per method and customer site: failures per year, restore time, availability, downtime cost per year."""
    rows = [
        [a.method, x.site, x.depot, x.machines, fmt(x.failures_per_h * HOURS_PER_YEAR), fmt(x.restore_time_mean_h),
         fmt(x.availability), fmt(x.downtime_cost_per_year)]
        for a in results
        for x in a.sites
    ]
    header = ["method", "site", "depot", "machines", "failures_per_year", "restore_time_mean_h", "availability",
              "downtime_cost_per_year"]
    return csv_text(header, rows)


def fleet_csv(results: Sequence[Analysis]) -> str:
    """The fleet figures, one row per method x figure (per year where the name says so)."""
    rows = []
    for a in results:
        for name, _, _, scale in FLEET:
            value = getattr(a.fleet, name) * scale
            rows.append([a.method, name.replace("_per_h", "_per_year") if scale != 1.0 else name, fmt(value)])
    return csv_text(["method", "figure", "value"], rows)


def _figure(value: float, unit: str) -> str:
    """A fleet figure: shares to 0.01% (availability is close to 1), else as a KPI."""
    return f"{100 * value:.2f}%" if unit == "share" and math.isfinite(value) else number(value, unit)


def report(net: Network, results: Sequence[Analysis], currency: str) -> str:
    """The printed tables: fleet figures, then per location and part, then the notes."""
    by = {a.method: a for a in results}
    m, v = by["metric"], by["vari-metric"]
    lines = [f"{net.name}: closed-form evaluation ({MODELS[m.model]}); money in {currency}", ""]
    rows = []
    for name, label, unit, scale in FLEET:
        rows.append([label, *(_figure(getattr(a.fleet, name) * scale, unit) for a in (m, v))])
    lines.append(render(["fleet figure (approximate)", "METRIC", "VARI-METRIC"], rows, "lrr"))
    lines.append("")
    per = []
    for rm, rv in zip(m.rows, v.rows):
        per.append([
            rm.location, rm.part, str(rm.base_stock), f"{rm.demand_per_h * HOURS_PER_YEAR:.1f}",
            f"{rm.pipeline_mean:.3f}", f"{rv.pipeline_var:.3f}", f"{rm.ebo:.4f}", f"{rv.ebo:.4f}",
            number(rm.fill_rate, "share"), number(rv.fill_rate, "share"),
            number(rm.emergency_share, "share"), f"{rv.part_wait_mean_h:.3g}",
            "exact" if rm.exact else "approx.",
        ])
    header = ["location", "part", "S", "demand/yr", "pipeline", "var (VM)", "EBO M", "EBO VM",
              "fill M", "fill VM", "emergency", "wait h (VM)", ""]
    lines.append(render(header, per, "llrrrrrrrrrrl"))
    if net.central.infinite:
        lines.append(f"({CENTRAL}: infinite supply, no row)")
    exact = sum(r.exact for r in m.rows)
    lines.append(f"{exact} of {len(m.rows)} location x part figures exact for Poisson demand (both methods agree "
                 "there); the others and every fleet figure are approximate.")
    lines += ["", "What the formulas leave out:", *(f"  - {n}" for n in v.notes)]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    scenario = load(args.file, args.overrides)
    net = build(scenario)
    results = analyses(net)
    print(report(net, results, scenario.currency))
    if args.out:
        out = Path(args.out)
        files = {
            "analytic.csv": analytic_csv(results),
            "analytic_fleet.csv": fleet_csv(results),
            "analytic_sites.csv": sites_csv(results),
        }
        write_folder(out, files, command=NAME)
        print(f"\nresults written to {out}/")
    return 0


# --------------------------------------------------------------------------- beside a simulation
# (KPI column, FleetFigures field, scale: the KPI is over the window, the figure per hour or per year)
BESIDE = (
    ("failures", "failures_per_h", "window_h"),
    ("part_demands", "part_demand_per_h", "window_h"),
    ("fill_rate", "fill_rate", ""),
    ("lateral_share", "lateral_share", ""),
    ("emergency_share", "emergency_share", ""),
    ("backorders_mean", "backorders", ""),
    ("part_wait_mean_h", "part_wait_mean_h", ""),
    ("restore_time_mean_h", "restore_time_mean_h", ""),
    ("availability", "availability", ""),
    ("customer_downtime_h", "downtime_h_per_year", "window_years"),
    ("customer_downtime_cost", "downtime_cost_per_year", "window_years"),
    ("inventory_investment", "inventory_investment", ""),
    ("maker_cost_holding", "holding_cost_per_year", "window_years"),
)
BESIDE_COLUMNS = ("method", "kpi", "analytic", "sim_mean", "sim_se", "n", "diff_in_se")


def beside(result: RunResult, results: Sequence[Analysis]) -> list[list[object]]:
    """Per method and KPI: analytic value, simulated mean and standard error, (analytic − sim) / SE."""
    sc = result.scenario
    window_h = sc.horizon_h - sc.warmup_h
    scale = {"": 1.0, "window_h": window_h, "window_years": window_h / HOURS_PER_YEAR}
    out: list[list[object]] = []
    for a in results:
        for kpi, name, unit in BESIDE:
            if kpi not in result.kpis:
                continue
            values = result.column(kpi)
            values = values[np.isfinite(values)]
            n = len(values)
            mean = float(values.mean()) if n else math.nan
            se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            value = getattr(a.fleet, name) * scale[unit]
            diff = (value - mean) / se if se and math.isfinite(se) and se > 0 else math.nan
            out.append([a.method, kpi, value, mean, se, n, diff])
    return out


def beside_csv(rows: Sequence[Sequence[object]]) -> str:
    """The side-by-side rows as CSV."""
    return csv_text(BESIDE_COLUMNS, [[r[0], r[1], *(fmt(float(x)) for x in r[2:5]), r[5], fmt(float(r[6]))] for r in rows])  # type: ignore[arg-type]


def beside_table(rows: Sequence[Sequence[object]]) -> str:
    """The side-by-side rows as a printed table (VARI-METRIC, with METRIC's difference)."""
    from sim.kpis import describe

    metric_diff = {r[1]: r[6] for r in rows if r[0] == "metric"}
    lines = []
    for r in rows:
        if r[0] != "vari-metric":
            continue
        kpi = str(r[1])
        meta = describe(kpi)
        unit = meta.unit if meta.unit in ("share", "money", "count") else ""
        lines.append([
            meta.label, _figure(float(r[2]), unit), _figure(float(r[3]), unit), _figure(float(r[4]), unit),  # type: ignore[arg-type]
            _se(float(r[6])), _se(float(metric_diff.get(kpi, math.nan))),  # type: ignore[arg-type]
        ])
    head = ["KPI", "analytic (VM)", "simulated", "SE", "diff/SE (VM)", "diff/SE (METRIC)"]
    return render(head, lines, "lrrrrr")


def _se(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:+.1f}"
