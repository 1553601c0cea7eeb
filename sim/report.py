"""A self-contained HTML report of a comparison, for a reader who has not seen the code.

Everything is inside the one file: styles inline, figures as base64 ``data:`` URIs, no
scripts and no outside references, so it can be mailed or opened offline. The text holds
no time stamp: the same results give the same bytes.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.compare import (
    Comparison,
    amount_text,
    break_even_text,
    break_evens,
    maker_sold,
    p_text,
    promises_nothing,
    rank,
    ranked_among,
    seller,
    unit_of,
    window_text,
)
from sim.kpis import describe

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 1em auto; padding: 0 1.5em; line-height: 1.4; }
h1 { font-size: 1.45em; margin: 0.2em 0; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 0 0 0.3em 0; }
p.lead { color: #555; margin: 0 0 0.6em 0; font-size: 0.92em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.88em; }
th, td { padding: 0.22em 0.6em; border-bottom: 1px solid #e3e3e3; text-align: right; vertical-align: top; }
th { background: #f3f3f3; border-bottom: 2px solid #bbb; }
td.n, th.n { white-space: nowrap; }
td.l, th.l { text-align: left; overflow-wrap: anywhere; }
td.wrap { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 14em; }
td.k { min-width: 10em; }
th.h { overflow-wrap: anywhere; text-align: right; }
table.places { font-size: 0.82em; }
table.places td.name { min-width: 6em; max-width: 16em; }
td.wrap code { display: block; color: #555; font-size: 0.85em; margin-top: 0.2em; overflow-wrap: anywhere; }
td.sig { color: #1b7837; font-weight: bold; }
td .d { display: block; color: #555; font-size: 0.88em; }
td.best { background: #e6f4ea; font-weight: bold; }
section.answer { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 0.4em 0 0.6em 0; }
.card { flex: 1 1 26em; min-width: 0; overflow-wrap: anywhere; border: 1px solid #bbb; border-radius: 6px; padding: 0.6em 0.9em; background: #fafafa; }
.card.wide { flex-basis: 100%; }
.card p { margin: 0.2em 0; }
.card table { margin: 0.3em 0 0 0; font-size: 0.85em; width: 100%; }
.card th { overflow-wrap: normal; }
.winner { font-size: 1.05em; }
.winner b { background: #d9f0d3; padding: 0 0.25em; border-radius: 3px; }
.note { color: #555; font-size: 0.85em; }
details { margin: 0.8em 0; }
summary { cursor: pointer; font-weight: bold; }
ul.verdict li { margin-bottom: 0.4em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.9em; margin-top: 0.4em; }
#maps figure { display: inline-block; width: calc(50% - 0.8em); vertical-align: top; margin: 0.6em 0.3em; }
#maps figcaption { font-size: 0.82em; }
dl.prov dt { font-weight: bold; float: left; clear: left; width: 13em; }
dl.prov dd { margin-left: 14em; margin-bottom: 0.25em; overflow-wrap: anywhere; }
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


def page_head(title: str, style: str) -> str:
    """A self-contained HTML page up to ``<body>``: doctype, charset, viewport, title, inline style."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{style}</style>
</head>
<body>
"""


def _scenarios_table(comparison: Comparison) -> str:
    head = ["scenario", "sites", "machines", "depots", "technicians", "machine price ×", "description and file"]
    rows = []
    for a in comparison.alternatives:
        sc = a.result.scenario
        machines = sum(sum(s.machines.values()) for s in sc.sites)
        techs = sum(d.technicians for d in sc.depots)
        who = seller(sc)
        name = a.label + (" (baseline)" if a is comparison.baseline else "") + ("" if who == "maker" else f" (sold by the {who})")
        rows.append(
            f'<tr><td class="l">{_e(name)}</td>'
            + "".join(f'<td class="n">{_e(c)}</td>' for c in (
                f"{len(sc.sites):,}", f"{machines:,}", f"{len(sc.depots):,}", f"{techs:,}",
                f"{sc.pricing.machine_price_multiplier:g}"))
            + f'<td class="wrap">{_e(sc.description)}<code>{_e(a.file)}</code></td></tr>'
        )
    header = "".join(f'<th class="l">{_e(h)}</th>' if h in ("scenario", "description and file") else f'<th class="n">{_e(h)}</th>' for h in head)
    return f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _cell(comparison: Comparison, kpi: str, j: int, best: int | None) -> str:
    """One scenario's cell of a KPI row: mean ± CI, and under it the paired Δ to the baseline with its CI and p."""
    meta = describe(kpi)
    cur = comparison.currency
    k = comparison.kpi(kpi)
    s, d = k.summaries[j], k.differences[j]
    sc = comparison.alternatives[j].result.scenario
    if s.n == 0 or not math.isfinite(s.mean):
        why = "no promise" if kpi.startswith("within_promise_share") and promises_nothing(sc) else "—"
        return f'<td class="n">{_e(why)}</td>'
    text = amount_text(s.mean, meta.unit, cur, named=False)
    if s.n > 1:
        text += " ± " + amount_text(s.half_width, meta.unit, cur, signed_=True, like=(s.mean,))[1:]
    sub = ""
    if d is not None and d.n > 1 and d.std == 0 and d.mean == 0:
        sub = '<span class="d">Δ 0 in every replication</span>'
    elif d is not None and d.n > 1 and math.isfinite(d.mean):
        gap = amount_text(d.mean, meta.unit, cur, signed_=True, like=(d.low, d.high))
        lo = amount_text(d.low, meta.unit, cur, signed_=True, like=(d.mean, d.high))
        hi = amount_text(d.high, meta.unit, cur, signed_=True, like=(d.mean, d.low))
        sig = "significant" if d.significant else "not significant"
        sub = (f'<span class="d">Δ {_e(gap)}, p {_e(p_text(d.p_value))}</span>'
               f'<span class="d" title="95% CI of Δ, {sig}">[{_e(lo)}, {_e(hi)}]</span>')
    cls = "n best" if j == best else "n"
    return f'<td class="{cls}">{_e(text)}{sub}</td>'


def _kpi_table(comparison: Comparison, kpis: Sequence[str]) -> str:
    """One row per KPI, one column per scenario; the best mean of a KPI with a better direction is shaded."""
    alts = comparison.alternatives
    th = '<th class="l">result</th>' + "".join(
        f'<th class="h">{_e(a.label)}' + ("" if seller(a.result.scenario) == "maker" else f"<br>(sold by the {_e(seller(a.result.scenario))})")
        + "</th>" for a in alts)
    body = []
    for name in kpis:
        meta = describe(name)
        r = rank(comparison, name, ranked_among(comparison, name)) if meta.better in ("lower", "higher") else None
        best = r.winner if r is not None and r.others else None
        unit = unit_of(name, comparison.currency)
        label = meta.label + (f" ({unit})" if unit and unit not in ("%", comparison.currency) else "")
        cells = "".join(_cell(comparison, name, j, best) for j in range(len(alts)))
        body.append(f'<tr><td class="l k">{_e(label)}</td>{cells}</tr>')
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _card(comparison: Comparison, kpi: str, title: str, among: Sequence[int] | None, verb: str) -> str:
    """An answer card: the winner on ``kpi`` highlighted, and each other's paired gap with its 95% CI and p."""
    r = rank(comparison, kpi, among)
    if r is None:
        return ""
    meta = describe(kpi)
    cur = comparison.currency
    alts = comparison.alternatives
    s = comparison.kpi(kpi).summaries[r.winner]
    column = (s.mean, *(o.mean for _, o in r.others))  # one scale (millions or not) for the card
    ci = f" ± {amount_text(s.half_width, meta.unit, cur, signed_=True, like=(s.mean,), scale_of=column)[1:]}" if s.n > 1 else ""
    head = (f'<p class="winner"><b>{_e(alts[r.winner].label)}</b> {_e(verb)}: '
            f"{_e(amount_text(s.mean, meta.unit, cur, scale_of=column))}{_e(ci)}</p>")
    rows = []
    for j, d in r.others:
        gap = amount_text(d.mean, meta.unit, cur, signed_=True, like=(d.low, d.high), scale_of=column)
        if d.n > 1:
            lo = amount_text(d.low, meta.unit, cur, signed_=True, like=(d.mean, d.high), scale_of=column)
            hi = amount_text(d.high, meta.unit, cur, signed_=True, like=(d.mean, d.low), scale_of=column)
            ci_d, p = f"{lo} to {hi}", p_text(d.p_value)
            sig = '<td class="sig">yes</td>' if d.significant else "<td>no</td>"
        else:
            ci_d, p, sig = "—", "—", "<td>—</td>"
        rows.append(f'<tr><td class="l">{_e(alts[j].label)}</td><td class="n">{_e(gap)}</td>'
                    f'<td class="n">{_e(ci_d)}</td><td class="n">{_e(p)}</td>{sig}</tr>')
    table = ""
    if rows:
        table = ('<table><thead><tr><th class="l">vs</th><th class="n">difference</th><th class="n">95% CI</th>'
                 f'<th class="n">p</th><th>significant</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    notes = []
    for j in r.left_out:
        who = seller(alts[j].result.scenario)
        if kpi == "maker_profit" and who != "maker":
            m = comparison.kpi(kpi).summaries[j].mean
            notes.append(f"{alts[j].label} is sold by the {who}: its {amount_text(m, 'money', cur)} is the {who}'s profit, not the maker's.")
    note = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return f'<div class="card" id="answer-{_e(kpi)}"><h3>{_e(title)}</h3>{head}{table}{note}</div>'


def _answer(comparison: Comparison) -> str:
    """The answer first: a card per audience, then the break-evens."""
    cards = [
        _card(comparison, "customer_total_cost", "For the customer: total cost of ownership", None, "costs the customer least"),
        _card(comparison, "maker_profit", "For the maker: profit", maker_sold(comparison), "earns the maker most"),
    ]
    evens = break_evens(comparison)
    if evens:
        items = "".join(f"<li>{_e(break_even_text(b, comparison))}</li>" for b in evens)
        cards.append(
            '<div class="card wide" id="answer-break-even"><h3>Where the answer flips (customer)</h3>'
            f'<ul style="margin:0.2em 0 0 1.1em;padding:0">{items}</ul>'
            '<p class="note">Exact for these replications: neither lever changes what is simulated. For a break-even '
            "in stock or network size, run <code>sim sweep</code>.</p></div>"
        )
    return '<section class="answer" id="answer">' + "".join(cards) + "</section>"


@dataclass(frozen=True)
class Folded:
    """A long table for the end of the report, folded: a title, a header and rows of text."""

    name: str
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


# per table: (measure, heading, unit) shown in the report; the CSV files hold every measure
PLACE_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "depots": (("failures", "failures served", "count"), ("fill_rate", "fill rate", "share"),
               ("technician_utilisation", "technicians busy", "share"), ("lateral_sent", "lateral sent", "count"),
               ("lateral_received", "lateral received", "count"), ("emergency_shipments", "emergency", "count"),
               ("on_hand_mean", "on hand (units)", ""), ("running_cost", "running cost", "money")),
    "sites": (("failures", "failures", "count"), ("restore_time_mean_h", "restore time", "h"),
              ("within_promise_share", "within promise", "share"), ("downtime_cost", "downtime cost", "money"),
              ("customer_cost", "customer cost", "money")),
    "regions": (("failures", "failures", "count"), ("restore_time_mean_h", "restore time", "h"),
                ("within_promise_share", "within promise", "share"), ("availability", "availability", "share")),
    "parts": (("part_demands", "demands", "count"), ("fill_rate", "fill rate", "share"),
              ("lateral_share", "lateral", "share"), ("emergency_share", "emergency", "share"),
              ("backorders_mean", "backorders (units)", "")),
}
PLACE_TITLES = {"depots": "Per depot", "sites": "Per site", "regions": "Per region", "parts": "Per part"}


def _place_value(mean: float, hw: float, unit: str, currency: str) -> str:
    if not math.isfinite(mean):
        return "—"
    unit = "" if unit == "h" else unit  # hours are named in the heading
    text = amount_text(mean, unit, currency, named=False, like=() if unit == "money" else (mean,))
    if math.isfinite(hw) and hw > 1e-9 * max(1.0, abs(mean)):  # rounding noise on a constant is no interval
        half = amount_text(hw, unit, currency, signed_=True, like=(mean,), scale_of=(mean,))[1:]
        text += " ± " + half.removesuffix(" pp")
    return text


def place_tables(comparison: Comparison) -> list[Folded]:
    """Per depot, site, region and part, for every scenario: the main measures, mean ± 95% CI (sim.places).

    Empty when the results carry no per-place measures.
    """
    from sim import places

    cur = comparison.currency
    out: list[Folded] = []
    measured = []
    for a in comparison.alternatives:
        reps = [rep["places"] for rep in a.result.places if "places" in rep]
        if not reps or not a.result.place_items:
            return []
        measured.append((a.label, places.tables(a.result.place_items, reps)))
    for table in places.TABLES:
        columns = [c for c in PLACE_COLUMNS.get(table, ()) if all(c[0] in m[table][0] for _, m in measured)]
        kind = table[:-1]
        header = [kind, "scenario"] + [f"{h} ({u})" if u in ("h",) else (f"{h} ({cur})" if u == "money" else h) for _, h, u in columns]
        rows = []
        for label, m in measured:
            head, body = m[table]
            at = {name: i for i, name in enumerate(head)}
            for row in body:
                cells = [str(row[0]), label]
                for name, _, unit in columns:
                    cells.append(_place_value(float(row[at[name]]), float(row[at[name + "_hw"]]), unit, cur))
                rows.append(cells)
        rows.sort(key=lambda r: r[0])  # an item's scenarios side by side
        out.append(Folded(table, f"{PLACE_TITLES.get(table, table)}: mean ± 95% CI over replications (— not defined)", header, rows))
    assign = [(a.label, a.result.place_items.get("assignment")) for a in comparison.alternatives]
    if all(x is not None for _, x in assign):
        rows = []
        for label, (cols, body) in assign:  # type: ignore[misc]
            at = {name: i for i, name in enumerate(cols)}
            for r in body:
                rows.append([str(r[0]), label, str(r[at["region"]]) or "—", str(r[at["depot"]]),
                             f"{float(r[at['distance_km']]):,.0f}", f"{float(r[at['part_time_h']]):.1f}",
                             f"{float(r[at['technician_time_h']]):.1f}"])
        rows.sort(key=lambda r: r[0])
        out.append(Folded("assignment", "Which depot serves which site",
                          ["site", "scenario", "region", "depot", "distance (km)", "part travel (h)", "technician travel (h)"], rows))
    return out


def _folded(t: Folded) -> str:
    """A folded table: the first two columns (item, scenario) as text, the others as numbers."""
    th = "".join(f'<th class="{"l" if i < 2 else "h"}">{_e(h)}</th>' for i, h in enumerate(t.header))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l name" if i < 2 else "n"}">{_e(c)}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in t.rows
    )
    return (f'<details id="table-{_e(t.name)}"><summary>{_e(t.title)} ({len(t.rows)} rows)</summary>'
            f'<div class="scroll"><table class="places"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div></details>')


def compare_report(
    comparison: Comparison,
    verdict: Sequence[str],
    kpis: Sequence[str],
    figures: Sequence[Figure],
    provenance: Mapping[str, str],
    tables: Sequence[Folded] | None = None,
    maps: Sequence[Figure] = (),
) -> str:
    """The report as one HTML document: the answer, the figures, then the long tables folded.

    ``tables``: the folded per-place tables (default: :func:`place_tables`); ``maps``: a map
    per scenario (sim.maps), shown folded after the figures.
    """
    if tables is None:
        tables = place_tables(comparison)
    names = [a.label for a in comparison.alternatives]
    title = f"Which service network wins? {len(names)} scenarios compared"
    first = comparison.baseline.result.scenario
    verdict_items = "".join(f"<li>{_e(v)}</li>" for v in verdict[1:])
    figs = "".join(
        f'<figure id="fig-{_e(f.name)}"><img src="{data_uri(f.png)}" alt="{_e(f.title)}">'
        f"<figcaption><b>{_e(f.title)}.</b> {_e(f.caption)}</figcaption></figure>"
        for f in figures
    )
    if maps:
        figs += '<details id="maps" open><summary>Maps: where each network serves and where it fails</summary>' + "".join(
            f'<figure id="map-{_e(f.name)}"><img src="{data_uri(f.png)}" alt="{_e(f.title)}">'
            f"<figcaption><b>{_e(f.title)}.</b> {_e(f.caption)}</figcaption></figure>"
            for f in maps
        ) + "</details>"
    prov = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in provenance.items())
    folded = "".join(_folded(t) for t in tables)
    return page_head(title, STYLE) + f"""<h1 id="verdict">{_e(title)}</h1>
<p class="lead"><b>{_e(", ".join(names))}</b>. Per {_e(window_text(first))}, {comparison.replications} replications per scenario with common random
numbers; money in {_e(comparison.currency)}; ± is a 95% confidence interval, differences are paired replication by
replication (other − winner). Highlighted: the winner.</p>
{_answer(comparison)}

<h2 id="figures">Figures</h2>
{figs}

<h2 id="in-words">The answer in words</h2>
<ul class="verdict">{verdict_items}</ul>

<h2 id="table">Results</h2>
<p>Mean of each result over the replications ± its 95% confidence interval; under it the paired difference to
{_e(comparison.baseline.label)} (Δ = scenario − baseline), its 95% confidence interval and the p-value of a paired
t-test. Shaded: the best scenario on a result with a better direction. Shares in %, their differences in percentage
points (pp).</p>
<details id="results" open><summary>Results table ({len(kpis)} results × {len(names)} scenarios)</summary>
{_kpi_table(comparison, kpis)}
</details>

<h2 id="compared">What was compared</h2>
<details open><summary>Scenarios</summary>
{_scenarios_table(comparison)}
</details>
<p>Each scenario was simulated with the same random failures (common random numbers: seed
{comparison.seed}, replications 0 to {comparison.replications - 1}), so differences between them come
from the networks, not from luck. The first scenario, <b>{_e(comparison.baseline.label)}</b>, is the
baseline of the table's differences.</p>
{'<h2 id="places">Results where they happen</h2>' + folded if folded else ""}

<h2 id="assumptions">Assumptions and provenance</h2>
<ul>
<li>Money is counted over the statistics window only (warm-up of {first.warmup_h:,.0f} h discarded);
machine prices and costs are spread straight-line over each machine's economic life.</li>
<li>Customer total cost = machines (annualised) + parts paid + service paid + downtime cost + spoiled
goods − penalties received. Maker profit = revenue (machines, parts, service) − costs (machines made,
parts, holding, depots, technicians, freight, technician travel, penalties). A scenario sold by someone
else (e.g. an importer) reports that seller's profit in the same place; it is not the maker's.</li>
<li>Confidence intervals are Student-t intervals over independent replications; a difference is
significant when its 95% interval excludes zero (two-sided paired t-test, p &lt; 0.05). With several
scenarios, each comparison is made at 95% on its own (no multiple-comparison correction). A break-even's
interval is the set of lever values where the paired difference's 95% interval contains zero (Fieller).</li>
<li>Every input number is in the scenario files listed in the provenance; those not from the
source material are assumptions stated there.</li>
</ul>
<details><summary>Provenance</summary><dl class="prov">{prov}</dl></details>
</body>
</html>
"""
