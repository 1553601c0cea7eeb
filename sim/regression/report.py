"""A check's verdicts for people and machines: terminal text, Markdown (CI job pages), JUnit XML and JSON."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from sim.junit import Case, TestSuite, junit_xml
from sim.kpis import describe
from sim.regression.verdict import CheckResult, KPICheck
from sim.table import number, render


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


def table_rows(result: CheckResult) -> list[list[str]]:
    """One row per scenario × KPI."""
    rows = []
    for k in result.kpis:
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


def moved_text(result: CheckResult) -> str:
    """The moved KPIs by scenario, e.g. ``example: fill_rate (worse), restore_time_mean_h (worse)``."""
    by: dict[str, list[str]] = {}
    for k in result.moved:
        by.setdefault(k.scenario, []).append(k.kpi + (f" ({k.direction})" if k.direction else ""))
    return "; ".join(f"{s}: {', '.join(v)}" for s, v in by.items())


def verdict_line(result: CheckResult) -> str:
    """The overall verdict in one line."""
    n, m = len(result.moved), len(result.kpis)
    changed = [e.scenario for e in result.exact if not e.unchanged]
    exact = "exact: unchanged" if not changed else f"exact: outputs changed in {', '.join(changed)}"
    if changed and not result.strict_exact:
        exact += " (not failing; --strict-exact would)"
    stat = f"{n} of {m} KPIs moved" + (f": {moved_text(result)}" if n else "")
    return f"{'PASS' if result.passed else 'FAIL'}: {stat}; {exact}"


def text_report(result: CheckResult) -> str:
    """What ``sim check`` prints."""
    b = result.baseline
    lines = [
        f"sim check: {result.suite.path} against {b.folder}/ "
        f"(made {b.created_utc}, code {b.code_version}: {b.message!r})",
        "",
        "exact verdict (SHA-256 of each scenario's replications.csv under the fixed seed):",
        render(
            ["scenario", "verdict", "fingerprint", "detail"],
            [[e.scenario, "unchanged" if e.unchanged else "CHANGED", e.now_sha256[:16], e.reason] for e in result.exact],
            "llll",
        ),
        "",
        f"statistical verdict: {result.test_statement()};",
        "a KPI moves when its adjusted p <= alpha and |difference| >= its min_difference (difference = now - baseline)",
        render(TABLE_HEADER, table_rows(result), "lllrrrrrrl"),
    ]
    notes = [f"  * {k.scenario}/{k.kpi}: {k.note}" for k in result.kpis if k.note]
    lines += notes
    lines += ["", verdict_line(result)]
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_report(result: CheckResult) -> str:
    """The summary for CI job pages (GitHub ``$GITHUB_STEP_SUMMARY``)."""
    b = result.baseline
    icon = "✅" if result.passed else "❌"
    out = [
        f"## {icon} Model check: {'passed' if result.passed else 'FAILED'}",
        "",
        f"**{_md_cell(verdict_line(result))}**",
        "",
        f"Suite `{result.suite.path}` against baseline `{b.folder}/` made {b.created_utc} "
        f"with code `{b.code_version}`: _{_md_cell(b.message)}_",
        "",
        "### Exact verdict",
        "",
        "SHA-256 of each scenario's `replications.csv` under the fixed seed: any change to any number changes it.",
        "",
        "| scenario | verdict | fingerprint | detail |",
        "|---|---|---|---|",
    ]
    for e in result.exact:
        verdict = "unchanged" if e.unchanged else "**changed**"
        out.append(f"| {e.scenario} | {verdict} | `{e.now_sha256[:16]}` | {_md_cell(e.reason)} |")
    out += [
        "",
        "### Statistical verdict",
        "",
        f"{_md_cell(result.test_statement())}. A KPI moves when its adjusted p-value is at most alpha and "
        "the difference (now − baseline) is at least its `min_difference`.",
        "",
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "---|" * 3 + "---:|" * 6 + "---|",
    ]
    for k, row in zip(result.kpis, table_rows(result)):
        if k.moved:
            row = [*row[:-1], f"**{row[-1]}**"]
        out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    notes = [f"- {k.scenario}/{k.kpi}: {k.note}" for k in result.kpis if k.note]
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


def junit_report(result: CheckResult) -> str:
    """JUnit XML: per scenario, one case for the exact fingerprint and one per watched KPI."""
    suites = []
    for e in result.exact:
        cls = f"sim.check.{e.scenario}"
        exact_failure = None
        if not e.unchanged and result.strict_exact:
            exact_failure = f"outputs changed: {e.reason}"
        detail = f"baseline {e.baseline_sha256}\nnow      {e.now_sha256}\n{e.reason}"
        cases = [Case(cls, "exact fingerprint", exact_failure, detail)]
        for k in (k for k in result.kpis if k.scenario == e.scenario):
            if k.moved:
                message = f"{k.kpi} moved" + (f" ({k.direction})" if k.direction else "")
                cases.append(Case(cls, k.kpi, message, _failure_details(k, result.suite.alpha)))
            else:
                o = k.outcome
                info = (
                    f"{k.verdict}: {k.test} t = {fmt_stat(o.statistic)}, {_p_is('p', o.p_value)}, "
                    f"{_p_is('adjusted p', k.p_adjusted)}"
                )
                cases.append(Case(cls, k.kpi, None, info + (f"; {k.note}" if k.note else "")))
        suites.append(TestSuite(f"sim check: {e.scenario}", cases))
    return junit_xml(suites, name=f"sim check {result.suite.path}")


def json_report(result: CheckResult) -> dict[str, Any]:
    """Everything the check found, for machines."""
    b = result.baseline
    return {
        "suite": str(result.suite.path),
        "baseline": {"folder": b.folder, "message": b.message, "created_utc": b.created_utc, "code_version": b.code_version},
        "passed": result.passed,
        "exit_code": result.exit_code,
        "strict_exact": result.strict_exact,
        "alpha": result.suite.alpha,
        "correction": result.suite.correction,
        "test": result.test_statement(),
        "exact": [
            {"scenario": e.scenario, "unchanged": e.unchanged, "baseline_sha256": e.baseline_sha256,
             "now_sha256": e.now_sha256, "detail": e.reason}
            for e in result.exact
        ],
        "kpis": [
            {"scenario": k.scenario, "kpi": k.kpi, "test": k.test, **asdict(k.outcome), "p_adjusted": k.p_adjusted,
             "min_difference": k.min_difference, "identical": k.identical, "moved": k.moved,
             "direction": k.direction, "verdict": k.verdict, "note": k.note}
            for k in result.kpis
        ],
    }
