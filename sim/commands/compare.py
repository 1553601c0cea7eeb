"""sim compare A.yaml B.yaml [...]: run scenarios with common random numbers and compare them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sim.commands import UsageError
from sim.commands.common import (
    add_run_options,
    check_kpis,
    check_region_kpis,
    load_for_run,
    run_all,
    writing_results,
)
from sim.compare import (
    Comparison,
    compare,
    comparison_csv,
    comparison_json,
    default_kpis,
    manifest,
    terminal_table,
    verdict,
)
from sim.output import COMPLETE, dumps_json, now_utc, place_files, replications_csv, write_folder
from sim.report import Figure, compare_report
from sim.scenario.loader import resolved_yaml, scenario_hash

NAME = "compare"
HELP = "run scenarios with common random numbers and compare them (table, figures, HTML report)"
DEFAULT_OUT = Path("results") / "compare"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files; the first is the baseline")
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/)")
    p.add_argument("--kpis", nargs="+", default=None, metavar="KPI", help="KPIs of the printed table and report table")
    add_run_options(p)


def figures(comparison: Comparison) -> list[tuple[Figure, dict[str, bytes]]]:
    """The four compare figures, rendered: the report's figure and its PNG and SVG bytes."""
    from sim import plots

    arms = [
        plots.Arm(a.label, a.result.scenario, a.result.column, a.result.restore_hist, a.result.site_depots)
        for a in comparison.alternatives
    ]
    specs = [
        (
            "kpi_bars",
            "Key results with 95% confidence intervals",
            plots.kpi_bars(arms),
            "Bars are means over replications, whiskers the 95% confidence interval of the mean. "
            "Lower is better for the two customer costs, higher for maker profit and for the share "
            "restored within the promise. Whiskers that overlap do not by themselves mean 'no "
            "difference': the paired differences in the table are sharper, because every scenario "
            "saw the same failures.",
        ),
        (
            "restore_ecdf",
            "Restore-time distribution",
            plots.restore_ecdf(arms),
            "For each restore time on the horizontal axis (log scale), the share of outages restored "
            "within it. A curve further left and higher means faster service; dashed lines mark "
            "restore promises. Pooled over all replications.",
        ),
        (
            "cost_breakdown",
            "Cost breakdown for customer and maker",
            plots.cost_breakdown(arms),
            "Top: the customer's total cost of ownership split into its lines (diamond = total net of "
            "penalty credits). Bottom: for each scenario the maker's revenue (left bar) next to its "
            "costs (right bar); the gap is the profit written above.",
        ),
        (
            "map",
            "Network map",
            plots.network_map(arms),
            "Customer sites (circles, size by number of machines) and depots (triangles) by longitude "
            "and latitude; each line joins a site to the depot that serves it. The square, when shown, "
            "is the central warehouse.",
        ),
    ]
    out = []
    for name, title, fig, caption in specs:
        data = plots.render(fig)
        out.append((Figure(name, title, data["png"], caption), data))
    return out


def output_files(
    comparison: Comparison,
    words: Sequence[str],
    kpis: Sequence[str],
    overrides: Sequence[str],
    jobs: int,
    started: datetime,
    resumed: bool = False,
) -> dict[str, str | bytes]:
    """Every file of the output folder; ``words`` is the verdict."""
    out: dict[str, str | bytes] = {
        "comparison.csv": comparison_csv(comparison),
        "comparison.json": dumps_json(comparison_json(comparison, words)),
    }
    from sim import maps  # matplotlib only when results are written

    map_figures = []
    for alt in comparison.alternatives:
        out[f"scenarios/{alt.folder}/replications.csv"] = replications_csv(alt.result)
        out[f"scenarios/{alt.folder}/scenario.yaml"] = resolved_yaml(alt.result.scenario)
        png = out[f"scenarios/{alt.folder}/map.png"] = maps.map_png(alt.result, alt.label)  # P: sim.maps
        map_figures.append(Figure(f"map-{alt.folder}", f"Map of {alt.label}", png, maps.CAPTION))
    out.update(place_files([(alt.label, alt.result) for alt in comparison.alternatives]))  # per place, all scenarios
    rendered = figures(comparison)
    for fig, data in rendered:
        out[f"figures/{fig.name}.png"] = data["png"]
        out[f"figures/{fig.name}.svg"] = data["svg"]
    hashes = [scenario_hash(alt.result.scenario) for alt in comparison.alternatives]
    man = manifest(
        started,
        now_utc(),
        status=COMPLETE,
        resumed=resumed,
        command="compare",
        seed=comparison.seed,
        replications=comparison.replications,
        scenarios=[
            {"label": a.label, "name": a.result.scenario.name, "file": a.file, "scenario_hash": h, "folder": f"scenarios/{a.folder}"}
            for a, h in zip(comparison.alternatives, hashes)
        ],
        overrides=list(overrides),
        jobs=jobs,
        wall_time_s=round(comparison.baseline.result.wall_time_s, 3),
    )
    provenance = {
        "seed": str(comparison.seed),
        "replications": f"{comparison.replications} per scenario (indices 0 to {comparison.replications - 1})",
        "statistics window": f"{comparison.baseline.result.scenario.window_h:,.0f} h after a warm-up of "
        f"{comparison.baseline.result.scenario.warmup_h:,.0f} h",
        "confidence level": "95% (Student t)",
        "code version": man["code_version"],
        "packages": ", ".join(f"{k} {v}" for k, v in man["packages"].items()),
    }
    for alt, h in zip(comparison.alternatives, hashes):
        provenance[f"scenario {alt.label}"] = f"{alt.file} (resolved: scenarios/{alt.folder}/scenario.yaml; sha256 {h[:16]}…)"
    if overrides:
        provenance["overrides (--set)"] = "; ".join(overrides)
    out["report.html"] = compare_report(comparison, words, kpis, [f for f, _ in rendered], provenance, maps=map_figures)
    out["manifest.json"] = dumps_json(man)
    return out


def main(args: argparse.Namespace) -> int:
    if len(args.files) < 2:
        raise UsageError("compare needs at least two scenario files")
    if args.kpis:
        check_kpis(args.kpis)  # whether each could be a KPI; that the run has it is checked after the run
    scenarios = load_for_run(args.files, args)
    if args.kpis:
        check_region_kpis(args.kpis, scenarios)  # before the run, so that nothing is written
    started = now_utc()
    out = Path(args.out) if args.out else DEFAULT_OUT
    results = run_all(scenarios, "compare", args, out, started)
    comparison = compare(results, args.files)
    kpis = args.kpis or default_kpis(comparison)
    check_kpis(kpis, comparison.names())
    words = verdict(comparison)
    with writing_results(out):
        write_folder(out, output_files(comparison, words, kpis, args.overrides, args.jobs, started, bool(args.resume)), command=NAME)
    print(terminal_table(comparison, kpis))
    print()
    for line in words[1:]:
        print("- " + line)
    print(f"\nresults written to {out}/ — open {out / 'report.html'} in a browser")
    return 0
