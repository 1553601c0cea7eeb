"""``sim compare A.yaml B.yaml [...]``: run scenarios with common random numbers and compare them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sim.cli import UsageError
from sim.commands.common import add_run_options
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
from sim.kpis import CATALOGUE
from sim.output import code_version, dumps_json, now_utc, package_versions, replications_csv, write_folder
from sim.report import Figure, compare_report
from sim.runner import executing, run_scenarios
from sim.scenario.loader import load_scenario, resolved_yaml, scenario_hash
from sim.scenario.schema import Scenario

NAME = "compare"
HELP = "run scenarios with common random numbers and compare them (table, figures, HTML report)"
DEFAULT_OUT = Path("results") / "compare"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files; the first is the baseline")
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/)")
    p.add_argument("--kpis", nargs="+", default=None, metavar="KPI", help="KPIs of the printed table and report table")
    add_run_options(p)


def check_kpis(kpis: Sequence[str], known: Sequence[str]) -> None:
    """Raise UsageError naming every unknown KPI."""
    bad = [k for k in kpis if k not in known]
    if bad:
        raise UsageError(
            f"unknown KPI{'s' if len(bad) > 1 else ''}: {', '.join(bad)}; known: {', '.join(known)}"
        )


def figures(comparison: Comparison) -> list[tuple[Figure, dict[str, bytes]]]:
    """The four compare figures, rendered: the report's figure and its PNG and SVG bytes."""
    from sim import plots

    arms = [
        plots.Arm(a.label, a.result.scenario, a.result.column, a.result.restore_hist) for a in comparison.alternatives
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
    kpis: Sequence[str],
    files: Sequence[str],
    overrides: Sequence[str],
    hashes: Sequence[str],
    jobs: int,
    started: datetime,
) -> dict[str, str | bytes]:
    """Every file of the output folder."""
    words = verdict(comparison)
    out: dict[str, str | bytes] = {
        "comparison.csv": comparison_csv(comparison),
        "comparison.json": dumps_json(comparison_json(comparison, words)),
    }
    for alt in comparison.alternatives:
        out[f"scenarios/{alt.folder}/replications.csv"] = replications_csv(alt.result)
        out[f"scenarios/{alt.folder}/scenario.yaml"] = resolved_yaml(alt.result.scenario)
    rendered = figures(comparison)
    for fig, data in rendered:
        out[f"figures/{fig.name}.png"] = data["png"]
        out[f"figures/{fig.name}.svg"] = data["svg"]
    provenance = {
        "seed": str(comparison.seed),
        "replications": f"{comparison.replications} per scenario (indices 0 to {comparison.replications - 1})",
        "statistics window": f"{comparison.baseline.result.scenario.window_h:,.0f} h after a warm-up of "
        f"{comparison.baseline.result.scenario.warmup_h:,.0f} h",
        "confidence level": "95% (Student t)",
        "code version": code_version(),
        "packages": ", ".join(f"{k} {v}" for k, v in package_versions().items()),
    }
    for alt, file, h in zip(comparison.alternatives, files, hashes):
        provenance[f"scenario {alt.label}"] = f"{file} (resolved: scenarios/{alt.folder}/scenario.yaml; sha256 {h[:16]}…)"
    if overrides:
        provenance["overrides (--set)"] = "; ".join(overrides)
    out["report.html"] = compare_report(comparison, words, kpis, [f for f, _ in rendered], provenance)
    out["manifest.json"] = dumps_json(
        manifest(
            started,
            now_utc(),
            command="compare",
            seed=comparison.seed,
            replications=comparison.replications,
            scenarios=[
                {"label": a.label, "name": a.result.scenario.name, "file": f, "scenario_hash": h, "folder": f"scenarios/{a.folder}"}
                for a, f, h in zip(comparison.alternatives, files, hashes)
            ],
            overrides=list(overrides),
            jobs=jobs,
            wall_time_s=round(comparison.baseline.result.wall_time_s, 3),
        )
    )
    return out


def main(args: argparse.Namespace) -> int:
    if len(args.files) < 2:
        raise UsageError("compare needs at least two scenario files")
    if args.kpis:
        check_kpis(args.kpis, list(CATALOGUE))  # per-region KPIs are checked after the run
    scenarios: list[Scenario] = [load_scenario(f, args.overrides) for f in args.files]
    seed = args.seed if args.seed is not None else scenarios[0].seed
    n = args.replications if args.replications is not None else scenarios[0].replications
    if n < 1:
        raise UsageError("--replications must be at least 1")
    scenarios = [sc.model_copy(update={"seed": seed, "replications": n}) for sc in scenarios]
    started = now_utc()
    with executing(n * len(scenarios), "compare", args.jobs, args.scheduler, False if args.quiet else None) as (ex, workers, tick):
        results = run_scenarios(scenarios, n, seed, ex, workers, tick)
    comparison = compare(results, args.files)
    kpis = args.kpis or default_kpis(comparison)
    check_kpis(kpis, comparison.names())
    hashes = [scenario_hash(sc) for sc in scenarios]
    out = Path(args.out) if args.out else DEFAULT_OUT
    files = output_files(comparison, kpis, args.files, args.overrides, hashes, args.jobs, started)
    write_folder(out, files)
    print(terminal_table(comparison, kpis))
    print()
    for line in verdict(comparison)[1:]:
        print("- " + line)
    print(f"\nresults written to {out}/ — open {out / 'report.html'} in a browser")
    return 0
