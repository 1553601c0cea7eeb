"""``sim check [SUITE]``: rerun the regression suite and compare it with the committed baseline.

Exit 0 when no watched KPI moved, 1 when one did (or, with ``--strict-exact``, when any
output changed at all), 2 when the suite or the baseline cannot be used.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from sim.commands.common import add_executor_options, executing_for
from sim.junit import Case, TestSuite, junit_xml
from sim.kpis import describe
from sim.output import dumps_json, write_folder
from sim.regression import (
    BASELINE_DEFAULT,
    SUITE_DEFAULT,
    KPICheck,
    Report,
    compare,
    ensure_replaceable,
    load_suite,
    read_baseline,
    run_suite,
    total_replications,
)
from sim.table import number, render

NAME = "check"
HELP = "rerun the regression suite and compare its KPIs with the committed baseline"
OUT_DEFAULT = Path("results/check")
FILES = ("junit.xml", "summary.md", "check.json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", nargs="?", default=str(SUITE_DEFAULT), help=f"suite file (default {SUITE_DEFAULT})")
    p.add_argument("--baseline", default=str(BASELINE_DEFAULT), help=f"baseline folder (default {BASELINE_DEFAULT})")
    p.add_argument("--out", default=str(OUT_DEFAULT), help=f"report folder: {', '.join(FILES)} (default {OUT_DEFAULT})")
    p.add_argument("--strict-exact", action="store_true", help="also fail (exit 1) when any output number changed")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="run under another root seed than the baseline's, to see seed noise (the exact verdict then reports a change)",
    )
    add_executor_options(p)


# ---- formatting ----------------------------------------------------------------------


def _unit(kpi: str) -> str:
    return describe(kpi).unit


def fmt_value(value: float, kpi: str) -> str:
    """A KPI value for a table."""
    return number(value, _unit(kpi))


def fmt_difference(d: float, kpi: str) -> str:
    """A signed difference; shares in percentage points."""
    if math.isnan(d):
        return "—"
    if d == 0:
        return "0"
    sign = "+" if d > 0 else "-"
    if _unit(kpi) == "share":
        return f"{sign}{100 * abs(d):.2f} pp"
    return sign + number(abs(d), _unit(kpi))


def fmt_stat(t: float) -> str:
    """A test statistic."""
    return "—" if math.isnan(t) else ("+inf" if t == math.inf else "-inf" if t == -math.inf else f"{t:+.2f}")


def fmt_p(p: float) -> str:
    """A p-value."""
    return "—" if math.isnan(p) else ("<1e-4" if p < 1e-4 else f"{p:.4f}")


def _p_is(name: str, p: float) -> str:
    text = fmt_p(p)
    return f"{name} < 1e-4" if text.startswith("<") else f"{name} = {text}"


TABLE_HEADER = ["scenario", "KPI", "test", "baseline", "now", "difference", "t", "p", "p adj.", "verdict"]


def table_rows(report: Report) -> list[list[str]]:
    """One row per scenario × KPI."""
    rows = []
    for k in report.kpis:
        o = k.outcome
        verdict = k.verdict + (" *" if k.note else "")
        rows.append(
            [
                k.scenario,
                k.kpi,
                k.test,
                fmt_value(o.baseline_mean, k.kpi),
                fmt_value(o.now_mean, k.kpi),
                fmt_difference(o.difference, k.kpi),
                fmt_stat(o.statistic),
                fmt_p(o.p_value),
                fmt_p(k.p_adjusted),
                verdict,
            ]
        )
    return rows


def moved_text(report: Report) -> str:
    """The moved KPIs by scenario, e.g. ``example: fill_rate (worse), restore_time_mean_h (worse)``."""
    by: dict[str, list[str]] = {}
    for k in report.moved:
        by.setdefault(k.scenario, []).append(k.kpi + (f" ({k.direction})" if k.direction else ""))
    return "; ".join(f"{s}: {', '.join(v)}" for s, v in by.items())


def verdict_line(report: Report) -> str:
    """The overall verdict in one line."""
    n, m = len(report.moved), len(report.kpis)
    changed = [e.scenario for e in report.exact if not e.unchanged]
    exact = "exact: unchanged" if not changed else f"exact: outputs changed in {', '.join(changed)}"
    if changed and not report.strict_exact:
        exact += " (not failing; --strict-exact would)"
    stat = f"{n} of {m} KPIs moved" + (f": {moved_text(report)}" if n else "")
    return f"{'PASS' if report.passed else 'FAIL'}: {stat}; {exact}"


def text_report(report: Report) -> str:
    """What ``sim check`` prints."""
    b = report.baseline
    lines = [
        f"sim check: {report.suite.path} against {b.folder}/ "
        f"(made {b.created_utc}, code {b.code_version}: {b.message!r})",
        "",
        "exact verdict (SHA-256 of each scenario's replications.csv under the fixed seed):",
        render(
            ["scenario", "verdict", "fingerprint", "detail"],
            [[e.scenario, "unchanged" if e.unchanged else "CHANGED", e.now_sha256[:16], e.reason] for e in report.exact],
            "llll",
        ),
        "",
        f"statistical verdict: {report.test_statement()};",
        "a KPI moves when its adjusted p <= alpha and |difference| >= its min_difference (difference = now - baseline)",
        render(TABLE_HEADER, table_rows(report), "lllrrrrrrl"),
    ]
    notes = [f"  * {k.scenario}/{k.kpi}: {k.note}" for k in report.kpis if k.note]
    lines += notes
    lines += ["", verdict_line(report)]
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_report(report: Report) -> str:
    """The summary for CI job pages (GitHub ``$GITHUB_STEP_SUMMARY``)."""
    b = report.baseline
    icon = "✅" if report.passed else "❌"
    out = [
        f"## {icon} Model check: {'passed' if report.passed else 'FAILED'}",
        "",
        f"**{_md_cell(verdict_line(report))}**",
        "",
        f"Suite `{report.suite.path}` against baseline `{b.folder}/` made {b.created_utc} "
        f"with code `{b.code_version}`: _{_md_cell(b.message)}_",
        "",
        "### Exact verdict",
        "",
        "SHA-256 of each scenario's `replications.csv` under the fixed seed: any change to any number changes it.",
        "",
        "| scenario | verdict | fingerprint | detail |",
        "|---|---|---|---|",
    ]
    for e in report.exact:
        verdict = "unchanged" if e.unchanged else "**changed**"
        out.append(f"| {e.scenario} | {verdict} | `{e.now_sha256[:16]}` | {_md_cell(e.reason)} |")
    out += [
        "",
        "### Statistical verdict",
        "",
        f"{_md_cell(report.test_statement())}. A KPI moves when its adjusted p-value is at most alpha and "
        "the difference (now − baseline) is at least its `min_difference`.",
        "",
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "---|" * 3 + "---:|" * 6 + "---|",
    ]
    for k, row in zip(report.kpis, table_rows(report)):
        if k.moved:
            row = [*row[:-1], f"**{row[-1]}**"]
        out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    notes = [f"- {k.scenario}/{k.kpi}: {k.note}" for k in report.kpis if k.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def _failure_details(k: KPICheck, alpha: float) -> str:
    o = k.outcome
    text = (
        f"{k.kpi} moved{f' ({k.direction})' if k.direction else ''}: baseline {fmt_value(o.baseline_mean, k.kpi)}, "
        f"now {fmt_value(o.now_mean, k.kpi)}, difference {fmt_difference(o.difference, k.kpi)}; "
        f"{k.test} t = {fmt_stat(o.statistic)}, {_p_is('p', o.p_value)}, {_p_is('adjusted p', k.p_adjusted)}, "
        f"alpha {alpha:g}"
    )
    return text + (f"; {k.note}" if k.note else "")


def junit_report(report: Report) -> str:
    """JUnit XML: per scenario, one case for the exact fingerprint and one per watched KPI."""
    suites = []
    for e in report.exact:
        cls = f"sim.check.{e.scenario}"
        exact_failure = None
        if not e.unchanged and report.strict_exact:
            exact_failure = f"outputs changed: {e.reason}"
        detail = f"baseline {e.baseline_sha256}\nnow      {e.now_sha256}\n{e.reason}"
        cases = [Case(cls, "exact fingerprint", exact_failure, detail)]
        for k in (k for k in report.kpis if k.scenario == e.scenario):
            if k.moved:
                message = f"{k.kpi} moved" + (f" ({k.direction})" if k.direction else "")
                cases.append(Case(cls, k.kpi, message, _failure_details(k, report.suite.alpha)))
            else:
                o = k.outcome
                info = (
                    f"{k.verdict}: {k.test} t = {fmt_stat(o.statistic)}, {_p_is('p', o.p_value)}, "
                    f"{_p_is('adjusted p', k.p_adjusted)}"
                )
                cases.append(Case(cls, k.kpi, None, info + (f"; {k.note}" if k.note else "")))
        suites.append(TestSuite(f"sim check: {e.scenario}", cases))
    return junit_xml(suites, name=f"sim check {report.suite.path}")


def json_report(report: Report) -> dict[str, Any]:
    """Everything the check found, for machines."""
    b = report.baseline
    return {
        "suite": str(report.suite.path),
        "baseline": {"folder": b.folder, "message": b.message, "created_utc": b.created_utc, "code_version": b.code_version},
        "passed": report.passed,
        "exit_code": report.exit_code,
        "strict_exact": report.strict_exact,
        "alpha": report.suite.alpha,
        "correction": report.suite.correction,
        "test": report.test_statement(),
        "exact": [
            {"scenario": e.scenario, "unchanged": e.unchanged, "baseline_sha256": e.baseline_sha256,
             "now_sha256": e.now_sha256, "detail": e.reason}
            for e in report.exact
        ],
        "kpis": [
            {"scenario": k.scenario, "kpi": k.kpi, "test": k.test, **k.outcome.__dict__, "p_adjusted": k.p_adjusted,
             "min_difference": k.min_difference, "identical": k.identical, "moved": k.moved,
             "direction": k.direction, "verdict": k.verdict, "note": k.note}
            for k in report.kpis
        ],
    }


def main(args: argparse.Namespace) -> int:
    suite = load_suite(args.suite)
    if args.seed is not None:
        suite = suite.with_seed(args.seed)
    baseline = read_baseline(args.baseline, suite)
    out = Path(args.out)
    ensure_replaceable(out, FILES[0])
    with executing_for(args, total_replications(suite), "check") as (ex, workers, tick):
        runs = run_suite(suite, ex, workers, tick)
    report = compare(suite, baseline, runs, args.strict_exact)
    write_folder(
        out,
        {
            "junit.xml": junit_report(report),
            "summary.md": markdown_report(report),
            "check.json": dumps_json(json_report(report)),
        },
    )
    print(text_report(report))
    print(f"\nreport written to {out}/ ({', '.join(FILES)})")
    return report.exit_code
