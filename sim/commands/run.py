"""sim run FILE: simulate one scenario and write its results."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analytic import Analysis
from sim.build import build
from sim.commands.analytic import analyses, analytic_csv, beside, beside_csv, beside_table
from sim.commands.common import add_run_options, load_for_run, run_all, writing_results
from sim.kpis import describe, table_kpis
from sim.output import now_utc, run_files, write_folder
from sim.runner import RunResult
from sim.scenario.loader import resolved_yaml, scenario_hash
from sim.stats import summarize
from sim.table import number, render, share_decimals

NAME = "run"
HELP = "simulate a scenario file and write its results"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--out", default=None, help="output folder (default results/<scenario name>/)")
    p.add_argument(
        "--analytic",
        action="store_true",
        help="also evaluate the scenario in closed form (METRIC, VARI-METRIC) and print it beside the simulation, "
        "with the difference in standard errors (writes analytic.csv and analytic_vs_sim.csv)",
    )
    add_run_options(p)


def headline(result: RunResult) -> str:
    """The headline KPIs as a table: mean ± 95% half-width."""
    rows = []
    for k in table_kpis(result.kpis):
        s = summarize(result.column(k))
        meta = describe(k)
        unit = "" if meta.unit in ("share", "count", "money") else meta.unit
        d = share_decimals(s.mean, s.half_width) if meta.unit == "share" else None  # 99.95% ± 0.01%, not 100.0% ± 0.0%
        hw = number(s.half_width, meta.unit, d) if s.n > 1 else "—"
        rows.append([meta.label, number(s.mean, meta.unit, d), "± " + hw, unit])
    cur = result.scenario.currency
    title = f"{result.scenario.name}: {len(result.rows)} replications, money in {cur} over the window"
    return title + "\n" + render(["KPI", "mean", "95% CI", "unit"], rows, "lrrl")


def _analyses(result: RunResult) -> list[Analysis]:
    return analyses(build(result.scenario))


def analytic_files(result: RunResult) -> dict[str, str]:
    """``analytic.csv`` (per method x location x part) and ``analytic_vs_sim.csv`` (per method x KPI)."""
    results = _analyses(result)
    return {"analytic.csv": analytic_csv(results), "analytic_vs_sim.csv": beside_csv(beside(result, results))}


def analytic_beside(result: RunResult) -> str:
    """Analytic (VARI-METRIC) beside simulated KPIs, with (analytic − simulated) / standard error."""
    results = _analyses(result)
    notes = results[-1].notes
    head = f"analytic vs simulated ({len(result.rows)} replications; figures are approximate, see docs/analytic.md):"
    return "\n".join([head, beside_table(beside(result, results)), *(f"  - {n}" for n in notes)])


def main(args: argparse.Namespace) -> int:
    (scenario,) = load_for_run([args.file], args)
    started = now_utc()
    out = Path(args.out) if args.out else Path("results") / scenario.name.replace("/", "_").replace("\\", "_")  # one folder
    (result,) = run_all([scenario], scenario.name, args, out, started)
    with writing_results(out):
        files = run_files(
            result, resolved_yaml(scenario), scenario_hash(scenario), started, source_file=str(args.file), jobs=args.jobs,
            resumed=bool(args.resume),
        )
        if args.analytic:
            files.update(analytic_files(result))
        years_note: list[str] = []
        if scenario.years is not None:  # Y: a multi-year scenario also runs year after year (docs/years.md)
            from sim.years.loop import run_scenarios_years
            from sim.years.output import verdict_lines, year_files

            by_year = run_scenarios_years([scenario], args.jobs)
            files.update(year_files([scenario], by_year))
            years_note = verdict_lines([scenario], by_year) + ["(per year: years.csv, years_summary.csv)"]
        from sim.maps import map_png  # matplotlib only when results are written

        files["map.png"] = map_png(result)  # P: sites, depots, load and service (sim.maps)
        write_folder(out, files, command=NAME)
    print(headline(result))
    if args.analytic:
        print("\n" + analytic_beside(result))
    if years_note:
        print("\n" + "\n".join(years_note))
    print(f"\nresults written to {out}/")
    return 0
