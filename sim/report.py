"""A self-contained HTML report of a comparison, for a reader who has not seen the code.

Everything is inside the one file: styles inline, figures as base64 ``data:`` URIs, no
scripts and no outside references, so it can be mailed or opened offline. The text holds
no time stamp: the same results give the same bytes.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.compare import Comparison, table_rows, window_text

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e3e3e3; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; border-bottom: 2px solid #bbb; }
td.l, th.l { text-align: left; }
tr.first td { border-top: 2px solid #ccc; }
td.sig { color: #1b7837; font-weight: bold; }
ul.verdict li { margin-bottom: 0.6em; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
dl.prov dt { font-weight: bold; float: left; clear: left; width: 13em; }
dl.prov dd { margin-left: 14em; margin-bottom: 0.25em; }
code { background: #f5f5f5; padding: 0 0.2em; }
"""


@dataclass(frozen=True)
class Figure:
    """A figure for the report: PNG bytes, a title and how to read it."""

    name: str
    title: str
    png: bytes
    caption: str


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _scenarios_table(comparison: Comparison) -> str:
    head = ["scenario", "file", "sites", "machines", "depots", "technicians", "machine price ×", "description"]
    rows = []
    for a in comparison.alternatives:
        sc = a.result.scenario
        machines = sum(sum(s.machines.values()) for s in sc.sites)
        techs = sum(d.technicians for d in sc.depots)
        cells = [
            a.label + (" (baseline)" if a is comparison.baseline else ""),
            a.file,
            f"{len(sc.sites):,}",
            f"{machines:,}",
            f"{len(sc.depots):,}",
            f"{techs:,}",
            f"{sc.pricing.machine_price_multiplier:g}",
            sc.description,
        ]
        rows.append("<tr>" + "".join(
            f'<td class="l">{_e(c)}</td>' if i in (0, 1, 7) else f"<td>{_e(c)}</td>" for i, c in enumerate(cells)
        ) + "</tr>")
    header = "".join(f'<th class="l">{_e(h)}</th>' if i in (0, 1, 7) else f"<th>{_e(h)}</th>" for i, h in enumerate(head))
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _kpi_table(comparison: Comparison, kpis: Sequence[str]) -> str:
    header, rows = table_rows(comparison, kpis)
    left = {0, 1}
    th = "".join(f'<th class="l">{_e(h)}</th>' if i in left else f"<th>{_e(h)}</th>" for i, h in enumerate(header))
    body = []
    for row in rows:
        cls = ' class="first"' if row[0] else ""
        tds = []
        for i, cell in enumerate(row):
            c = "l" if i in left else ("sig" if i == len(row) - 1 and cell == "yes" else "")
            tds.append(f'<td class="{c}">{_e(cell)}</td>' if c else f"<td>{_e(cell)}</td>")
        body.append(f"<tr{cls}>{''.join(tds)}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def compare_report(
    comparison: Comparison,
    verdict: Sequence[str],
    kpis: Sequence[str],
    figures: Sequence[Figure],
    provenance: Mapping[str, str],
) -> str:
    """The report as one HTML document."""
    names = [a.label for a in comparison.alternatives]
    title = "Comparison: " + " vs ".join(names)
    first = comparison.baseline.result.scenario
    verdict_items = "".join(f"<li>{_e(v)}</li>" for v in verdict[1:])
    figs = "".join(
        f'<figure id="fig-{_e(f.name)}"><img src="{data_uri(f.png)}" alt="{_e(f.title)}">'
        f"<figcaption><b>{_e(f.title)}.</b> {_e(f.caption)}</figcaption></figure>"
        for f in figures
    )
    prov = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in provenance.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="lead">After-sales spare-parts service: what each network costs the customer and earns the maker,
simulated over the {_e(window_text(first))} with {comparison.replications} replications per scenario.</p>

<h2 id="compared">What was compared</h2>
{_scenarios_table(comparison)}
<p>Each scenario was simulated with the same random failures (common random numbers: seed
{comparison.seed}, replications 0 to {comparison.replications - 1}), so differences between them come
from the networks, not from luck. The first scenario, <b>{_e(comparison.baseline.label)}</b>, is the
baseline of the differences.</p>

<h2 id="verdict">The answer</h2>
<p>{_e(verdict[0])}</p>
<ul class="verdict">{verdict_items}</ul>

<h2 id="table">Results table</h2>
<p>Mean of each result over the replications with its 95% confidence interval (±), and the paired
difference to {_e(comparison.baseline.label)} (Δ = scenario − baseline) with its 95% confidence interval,
the p-value of a paired t-test and whether the difference is significant at 95%. Money is in
{_e(comparison.currency)} over the statistics window; shares are in %, their differences in percentage
points (pp).</p>
{_kpi_table(comparison, kpis)}

<h2 id="figures">Figures</h2>
{figs}

<h2 id="assumptions">Assumptions and provenance</h2>
<ul>
<li>Money is counted over the statistics window only (warm-up of {first.warmup_h:,.0f} h discarded);
machine prices and costs are spread straight-line over each machine's economic life.</li>
<li>Customer total cost = machines (annualised) + parts paid + service paid + downtime cost + spoiled
goods − penalties received. Maker profit = revenue (machines, parts, service) − costs (machines made,
parts, holding, depots, technicians, freight, technician travel, penalties).</li>
<li>Confidence intervals are Student-t intervals over independent replications; a difference is
significant when its 95% interval excludes zero (two-sided paired t-test, p &lt; 0.05). With several
scenarios, each comparison is made at 95% on its own (no multiple-comparison correction).</li>
<li>Every input number is in the scenario files listed in the provenance; those not from the
source material are assumptions stated there.</li>
</ul>
<dl class="prov">{prov}</dl>
</body>
</html>
"""
