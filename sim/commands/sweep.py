"""sim sweep FILE [FILE ...] --param PATH --values ... | --range LO HI STEPS [--baseline BASE]: vary one parameter.

With ``--baseline BASE.yaml`` a fixed scenario runs once on the same random numbers and every
(file, value) point is reported against it: paired difference point − baseline with its 95% CI
per KPI (``baseline_differences.csv``, ``baseline.png``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from sim.commands import UsageError
from sim.commands.common import (
    add_run_options,
    apply_run_options,
    check_kpis,
    check_region_kpis,
    check_run_options,
    run_all,
    writing_results,
)
from sim.compare import labels_for, manifest, spread, unit_of
from sim.kpis import describe
from sim.output import COMPLETE, dumps_json, now_utc, place_files, write_folder
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import SET, load_scenario, scenario_hash
from sim.scenario.schema import Scenario
from sim.sweep import (
    DEFAULT_KPIS,
    METHOD,
    BreakEven,
    Sweep,
    all_break_evens,
    baseline_break_evens,
    baseline_csv,
    break_even_csv,
    param_label,
    parse_values,
    range_values,
    replications_csv,
    sweep_csv,
    sweep_json,
    variant,
)
from sim.table import number, render

NAME = "sweep"
HELP = "vary one parameter and plot KPIs against it, with break-evens between files or against a fixed --baseline"
DEFAULT_OUT = Path("results") / "sweep"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files, plotted on the same axes")
    p.add_argument(
        "--param",
        required=True,
        metavar="PATH",
        help="override path to vary, e.g. pricing.machine_price_multiplier or sites[*].downtime_cost_per_h",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--values", nargs="+", metavar="V", help="values to try")
    g.add_argument("--range", nargs=3, metavar=("LO", "HI", "STEPS"), help="STEPS evenly spaced values from LO to HI")
    p.add_argument(
        "--baseline",
        metavar="BASE",
        default=None,
        help="a fixed scenario file, run once on the same random numbers; every point is reported against it "
        "(paired difference and 95%% CI per KPI)",
    )
    p.add_argument("--kpis", nargs="+", default=list(DEFAULT_KPIS), metavar="KPI", help="KPIs to plot (default: customer_total_cost maker_profit)")
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/)")
    add_run_options(p)


MAX_VALUES = 1000
"""Most values one sweep takes: each is a whole run (a typo such as ``--range 1 2 100000000`` would never end)."""


def _values(args: argparse.Namespace) -> list[tuple[float, str]]:
    try:
        if args.range:
            lo, hi, steps = args.range
            if int(steps) > MAX_VALUES:
                raise ValueError(f"at most {MAX_VALUES:,} steps (got {int(steps):,})")
            texts = range_values(float(lo), float(hi), int(steps))
        else:
            texts = args.values
            if len(texts) > MAX_VALUES:
                raise ValueError(f"at most {MAX_VALUES:,} values (got {len(texts):,})")
        return parse_values(texts)
    except ValueError as exc:
        raise UsageError(f"--values/--range: {exc}") from exc


def table(sweep: Sweep, kpi: str) -> str:
    """One KPI: mean ± 95% half-width per value and file."""
    meta = describe(kpi)
    unit = unit_of(kpi, sweep.currency)
    header = [sweep.param, *(sweep.curve_label(kpi, f) for f in range(len(sweep.labels)))]
    paired = len(sweep.labels) >= 2
    if paired:
        header.append(f"{sweep.labels[1]} − {sweep.labels[0]} (paired)")
    rows = []
    for v, t in enumerate(sweep.texts):
        row = [t]
        for f in range(len(sweep.labels)):
            s = sweep.summary(f, v, kpi)
            row.append(f"{number(s.mean, meta.unit)} ± {spread(s.half_width, s.mean, meta.unit)}")
        if paired and not sweep.comparable(kpi, 0, 1):
            row.append("— (different sellers)")
        elif paired:
            d = sweep.difference(kpi, 0, 1, v)
            row.append(f"{number(d.mean, meta.unit)} ± {spread(d.half_width, d.mean, meta.unit)}" + (" *" if d.significant else ""))
        rows.append(row)
    title = f"{meta.label}{f' ({unit})' if unit else ''}, mean ± 95% CI over {sweep.replications} replications" + (
        "; * = difference significant at 95%" if paired else ""
    )
    note = sweep.seller_note(kpi)
    return title + "\n" + render(header, rows) + (f"\nNote: {note}." if note else "")


def baseline_table(sweep: Sweep, kpi: str) -> str:
    """One KPI: paired difference point − baseline ± 95% half-width per value and file."""
    meta = describe(kpi)
    unit = unit_of(kpi, sweep.currency)
    rows = []
    for v, t in enumerate(sweep.texts):
        row = [t]
        for f in range(len(sweep.labels)):
            if not sweep.comparable(kpi, None, f):
                row.append("— (different sellers)")
                continue
            d = sweep.vs_baseline(kpi, f, v)
            row.append(f"{number(d.mean, meta.unit)} ± {spread(d.half_width, d.mean, meta.unit)}" + (" *" if d.significant else ""))
        rows.append(row)
    title = (
        f"{meta.label}{f' ({unit})' if unit else ''}: point − baseline {sweep.baseline_label}, paired, "
        f"mean ± 95% CI; * = significant at 95%"
    )
    note = sweep.seller_note(kpi)
    head = [sweep.param, *(f"{sweep.curve_label(kpi, f)} − baseline" for f in range(len(sweep.labels)))]
    return title + "\n" + render(head, rows) + (f"\nNote: {note}." if note else "")


def figure(sweep: Sweep, found: Sequence[BreakEven]) -> dict[str, bytes]:
    """The sweep figure, PNG and SVG: KPIs against the parameter, break-evens between files marked."""
    from sim import plots, sweep_plots

    panels = []
    x = np.array(sweep.values)
    for kpi in sweep.kpis:
        curves = []
        for f, label in enumerate(sweep.labels):
            ss = [sweep.summary(f, v, kpi) for v in range(len(sweep.values))]
            curves.append(sweep_plots.Curve(
                sweep.curve_label(kpi, f), np.array([s.mean for s in ss]), np.array([s.low for s in ss]),
                np.array([s.high for s in ss]), sweep.whose(kpi, f),
            ))
        marks = []
        for b in found:
            if b.kpi != kpi or b.estimate is None or b.a == sweep.baseline_label:  # baseline crossings: baseline figure
                continue
            lo = "…" if b.low is None else f"{b.low:,.4g}"
            hi = "…" if b.high is None else f"{b.high:,.4g}"
            a = sweep.labels.index(b.a)
            y = float(np.interp(b.estimate, x, curves[a].mean))
            marks.append(sweep_plots.Mark(f"{b.b} = {b.a} at ≈ {b.estimate:,.4g}\n95% interval {lo} to {hi}", b.estimate, b.low, b.high, y))
        panels.append((kpi, curves, marks))
    first = sweep.results[0][0].scenario
    title = (
        f"Sweep of {sweep.param}: mean and 95% CI, {sweep.replications} replications per point, seed {sweep.seed}\n"
        f"money over the {plots.window_text(first)}; dashed line = break-even, grey = its 95% interval"
    )
    fig = sweep_plots.sweep_figure(x, panels, param_label(sweep.param, sweep.currency), sweep.currency, title)
    return plots.render(fig)


def baseline_figure(sweep: Sweep, found: Sequence[BreakEven]) -> dict[str, bytes]:
    """Each file's paired difference to the baseline against the parameter, PNG and SVG."""
    from sim import plots, sweep_plots

    x = np.array(sweep.values)
    panels = []
    for kpi in sweep.kpis:
        curves = []
        for f in range(len(sweep.labels)):
            label, who = sweep.curve_label(kpi, f), sweep.whose(kpi, f) or sweep.whose(kpi, None)
            if not sweep.comparable(kpi, None, f):  # two sellers' money: no difference drawn, the legend says why
                gap = np.full(len(sweep.values), np.nan)
                curves.append(sweep_plots.Curve(f"{label}: not differenced, the baseline's {kpi.removeprefix('maker_')} is the {sweep.seller(None)}'s", gap, gap, gap, who))
                continue
            ds = [sweep.vs_baseline(kpi, f, v) for v in range(len(sweep.values))]
            curves.append(sweep_plots.Curve(
                label, np.array([d.mean for d in ds]), np.array([d.low for d in ds]), np.array([d.high for d in ds]), who,
            ))
        marks = [
            sweep_plots.Mark(
                f"{b.b} = baseline at ≈ {b.estimate:,.4g}\n95% interval {'…' if b.low is None else f'{b.low:,.4g}'}"
                f" to {'…' if b.high is None else f'{b.high:,.4g}'}",
                b.estimate, b.low, b.high, 0.0,
            )
            for b in found
            if b.kpi == kpi and b.a == sweep.baseline_label and b.estimate is not None
        ]
        panels.append((kpi, curves, marks))
    title = (
        f"Each point − baseline {sweep.baseline_label}: paired difference and 95% CI\n"
        f"{sweep.replications} common replications per point, seed {sweep.seed}"
    )
    fig = sweep_plots.baseline_figure(x, panels, param_label(sweep.param, sweep.currency), sweep.currency, title)
    return plots.render(fig)


def report_html(sweep: Sweep, found: Sequence[BreakEven], figs: Sequence[tuple[str, bytes, str]], args: argparse.Namespace) -> str:
    """The sweep folder's report.html."""
    from sim.sweep_report import sweep_report

    prov = {
        "files": ", ".join(sweep.files),
        **({"baseline": sweep.baseline_file} if sweep.baseline is not None else {}),
        "parameter": sweep.param,
        "values": ", ".join(sweep.texts),
        "seed": str(sweep.seed),
        "replications": str(sweep.replications),
        "overrides": ", ".join(args.overrides) or "none",
    }  # no times: the report is byte-identical for the same inputs (they are in manifest.json)
    return sweep_report(sweep, found, figs, prov)


def output_files(
    sweep: Sweep, found: Sequence[BreakEven], args: argparse.Namespace, started: datetime, wall_time_s: float
) -> dict[str, str | bytes]:
    """Every file of the output folder."""
    fig = figure(sweep, found)
    notes = list(dict.fromkeys(n for k in sweep.kpis if (n := sweep.seller_note(k))))
    figs = [("KPIs against the parameter", fig["png"], (
        "Mean of each file at each swept value with its 95% CI band; a dashed line marks where two files' "
        "curves cross inside the range, the grey band its 95% interval."
        + (" Dashed curves over hatched bands are another seller's money: " + "; ".join(notes) + "." if notes else "")
    ))]
    files: dict[str, str | bytes] = {
        "sweep.csv": sweep_csv(sweep),
        "sweep_replications.csv": replications_csv(sweep),
        "break_even.csv": break_even_csv(found),
        "sweep.json": dumps_json(sweep_json(sweep, found)),
        "sweep.png": fig["png"],
        "sweep.svg": fig["svg"],
    }
    # P: per depot, site, region and part at every point ("LABEL PARAM=VALUE" in the scenario column)
    files |= place_files([
        (f"{lab} {sweep.param}={text}", result)
        for lab, row in zip(sweep.labels, sweep.results) for text, result in zip(sweep.texts, row)
    ])
    if sweep.baseline is not None:
        base = baseline_figure(sweep, found)
        files |= {"baseline_differences.csv": baseline_csv(sweep), "baseline.png": base["png"], "baseline.svg": base["svg"]}
        figs.insert(0, ("Each point against the baseline", base["png"], (
            "Paired difference point − baseline (same random numbers) with its 95% CI band; "
            "the horizontal line at 0 is the baseline."
        )))
    files["report.html"] = report_html(sweep, found, figs, args)
    files["manifest.json"] = dumps_json(
        manifest(
            started,
            now_utc(),
            status=COMPLETE,
            resumed=bool(args.resume),
            command="sweep",
            param=args.param,
            values=list(sweep.texts),
            seed=sweep.seed,
            replications=sweep.replications,
            scenarios=[
                {"label": lab, "file": f, "scenario_hashes": [scenario_hash(r.scenario) for r in row]}
                for lab, f, row in zip(sweep.labels, sweep.files, sweep.results)
            ],
            **(
                {}
                if sweep.baseline is None
                else {"baseline": {"label": sweep.baseline_label, "file": sweep.baseline_file,
                                   "scenario_hash": scenario_hash(sweep.baseline.scenario)}}
            ),
            overrides=list(args.overrides),
            jobs=args.jobs,
            wall_time_s=round(wall_time_s, 3),
        )
    )
    return files


def main(args: argparse.Namespace) -> int:
    check_kpis(args.kpis)
    check_run_options(args)
    values = _values(args)
    problems = []
    variants = []
    for file in args.files:
        row = []
        for _, text in values:
            try:
                row.append(variant(file, args.overrides, args.param, text))
            except ScenarioError as exc:
                problems += [p for p in exc.problems if p not in problems]
                if any(p.file == SET for p in exc.problems):
                    break  # the path itself is wrong: every other value would say the same
        variants.append(row)
    base_scenarios: list[Scenario] = []
    if args.baseline is not None:
        try:  # the --set overrides apply to the baseline too; the swept parameter does not
            base_scenarios = [load_scenario(args.baseline, args.overrides)]
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ScenarioError(problems)
    from sim.diagnostics import print_warnings  # suspicious settings, per swept value where they differ

    print_warnings([(sc, f"{args.param}={t}") for row in variants for sc, (_, t) in zip(row, values)])
    flat = apply_run_options([sc for row in variants for sc in row] + base_scenarios, args)
    check_region_kpis(args.kpis, flat)
    seed, n = flat[0].seed, flat[0].replications
    started = now_utc()
    out = Path(args.out) if args.out else DEFAULT_OUT
    results = run_all(flat, "sweep", args, out, started)
    k = len(values)
    grid = tuple(tuple(results[f * k : (f + 1) * k]) for f in range(len(args.files)))
    check_kpis(args.kpis, grid[0][0].kpis)
    labels = tuple(labels_for([row[0] for row in grid], args.files))
    base = results[-1] if base_scenarios else None
    base_label = ""
    if base is not None:
        base_label = base.scenario.name if base.scenario.name not in labels else f"{base.scenario.name} (baseline)"
    sweep = Sweep(
        param=args.param,
        labels=labels,
        files=tuple(args.files),
        values=tuple(x for x, _ in values),
        texts=tuple(t for _, t in values),
        results=grid,
        kpis=tuple(args.kpis),
        seed=seed,
        replications=n,
        baseline=base,
        baseline_label=base_label,
        baseline_file=args.baseline or "",
    )
    found = all_break_evens(sweep) + baseline_break_evens(sweep)
    with writing_results(out):
        write_folder(out, output_files(sweep, found, args, started, results[0].wall_time_s), command=NAME)
    for kpi in sweep.kpis:
        print(table(sweep, kpi))
        print()
        if sweep.baseline is not None:
            print(baseline_table(sweep, kpi))
            print()
    if found:
        print("Break-even (" + METHOD + "):")
        for b in found:
            print("- " + b.text)
    print(f"\nresults written to {out}/ (report: {out / 'report.html'})")
    return 0
