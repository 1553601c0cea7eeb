"""The sweep's ``report.html``: the answer (break-evens) first, then the figures, then the tables.

One self-contained file like the run report: images embedded as ``data:`` URIs, no scripts,
no outside links; tables are narrow (one KPI per table) and wrap inside the page width.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

from sim.compare import spread, unit_of, window_text
from sim.kpis import describe
from sim.report import page_head
from sim.sweep import METHOD, BreakEven, Sweep
from sim.table import number

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; max-width: 100%; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e3e3e3; text-align: right; }
th { background: #f3f3f3; border-bottom: 2px solid #bbb; }
td.l, th.l { text-align: left; }
td.sig { color: #1b7837; font-weight: bold; }
p.note { color: #555; font-size: 0.9em; }
ul.answer li { margin-bottom: 0.6em; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
details { margin: 0.8em 0; }
summary { cursor: pointer; font-weight: bold; }
dl.prov dt { font-weight: bold; float: left; clear: left; width: 11em; }
dl.prov dd { margin-left: 12em; margin-bottom: 0.25em; overflow-wrap: anywhere; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(png: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{_e(alt)}">'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], sig_col: int | None = None) -> str:
    th = "".join(f'<th class="{"l" if i == 0 else ""}">{_e(h)}</th>' for i, h in enumerate(head))
    body = []
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = "l" if i == 0 else ("sig" if i == sig_col and c.endswith("*") else "")
            cells.append(f'<td class="{cls}">{_e(c)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _pm(mean: float, half_width: float, unit: str) -> str:
    return f"{number(mean, unit)} ± {spread(half_width, mean, unit)}"


def kpi_tables(sweep: Sweep) -> str:
    """Per KPI: mean ± 95% CI per value and file (and − baseline when there is one)."""
    out = []
    for kpi in sweep.kpis:
        meta = describe(kpi)
        unit = unit_of(kpi, sweep.currency)
        files = range(len(sweep.labels))
        head = [sweep.param, *(sweep.curve_label(kpi, f) for f in files)]
        if sweep.baseline is not None:
            head += [f"{sweep.curve_label(kpi, f)} − baseline" for f in files]
        rows = []
        for v, t in enumerate(sweep.texts):
            row = [t] + [_pm(sweep.summary(f, v, kpi).mean, sweep.summary(f, v, kpi).half_width, meta.unit) for f in files]
            if sweep.baseline is not None:
                for f in files:
                    if not sweep.comparable(kpi, None, f):
                        row.append("— (different sellers)")
                        continue
                    d = sweep.vs_baseline(kpi, f, v)
                    row.append(_pm(d.mean, d.half_width, meta.unit) + (" *" if d.significant else ""))
            rows.append(row)
        title = meta.label + (f" ({unit})" if unit else "")
        note = sweep.seller_note(kpi)
        note_html = f'<p class="note">Note: {_e(note)}.</p>' if note else ""
        out.append(f"<details><summary>{_e(title)}</summary>{_table(head, rows)}{note_html}</details>")
    return "".join(out)


def sweep_report(
    sweep: Sweep,
    found: Sequence[BreakEven],
    figures: Sequence[tuple[str, bytes, str]],
    provenance: Mapping[str, str],
) -> str:
    """The report as one HTML document; ``figures`` are (title, PNG, caption)."""
    first = sweep.results[0][0].scenario
    title = f"Sweep of {sweep.param}: " + " vs ".join(sweep.labels)
    if sweep.baseline is not None:
        title += f" against the baseline {sweep.baseline_label}"
    answer = "".join(f"<li>{_e(b.text)}</li>" for b in found) or "<li>One file and no baseline: no break-even to find.</li>"
    figs = "".join(
        f"<figure>{_img(png, name)}<figcaption><b>{_e(name)}.</b> {_e(caption)}</figcaption></figure>"
        for name, png, caption in figures
    )
    base = ""
    if sweep.baseline is not None:
        base = (
            f"<p>Every point is also compared with the fixed baseline <b>{_e(sweep.baseline_label)}</b> "
            f"({_e(sweep.baseline_file)}), run once on the same random numbers: the difference point − baseline "
            "is taken replication by replication, with its 95% confidence interval (* = significant).</p>"
        )
    prov = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in provenance.items())
    values = ", ".join(sweep.texts)
    return page_head(title, STYLE) + f"""<h1>{_e(title)}</h1>
<p class="lead">{_e(sweep.param)} = {_e(values)}; {sweep.replications} replications per point over the
{_e(window_text(first))}, every point on the same random numbers (seed {sweep.seed}).</p>

<h2 id="answer">The answer: where the choice flips</h2>
<ul class="answer">{answer}</ul>
{base}
<h2 id="figures">Figures</h2>
{figs}

<h2 id="tables">Tables (mean ± 95% CI)</h2>
{kpi_tables(sweep)}

<h2 id="method">Method and provenance</h2>
<p>{_e(METHOD[0].upper() + METHOD[1:])}.</p>
<dl class="prov">{prov}</dl>
</body>
</html>
"""
