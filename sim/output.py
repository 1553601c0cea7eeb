"""Results as files: CSV and JSON text, manifests and provenance.

Every command writes its folder through :func:`write_folder` (see :mod:`sim.folder`): only
into a folder the tool owns, each file atomically, listed in ``sim-files.json``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from sim import __version__, places
from sim.engine.trace import COLUMNS as TRACE_COLUMNS
from sim.folder import COMPLETE, write_folder  # noqa: F401  (write_folder: the one route for output folders)
from sim.runner import RunResult
from sim.stats import summarize

PACKAGES = ("simpy", "numpy", "scipy", "pydantic", "PyYAML", "matplotlib")


def fmt(value: float) -> str:
    """A float as text, shortest round-trip form (deterministic; NaN is ``nan``)."""
    return repr(float(value))


def json_safe(obj: Any) -> Any:
    """Replace non-finite floats by None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dumps_json(obj: Any) -> str:
    """Standard JSON, indented, with a final newline."""
    return json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV with LF line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def code_version() -> str:
    """Package version plus the git commit of the source tree, when there is one."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"{__version__}+{rev}" if rev else __version__


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    out = {"python": platform.python_version(), "sim": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def versions() -> dict[str, Any]:
    """Manifest fields naming the code that made a result: ``code_version``, ``packages``."""
    return {"code_version": code_version(), "packages": package_versions()}


def provenance(started: datetime, finished: datetime) -> dict[str, Any]:
    """Manifest fields of every output: ``started_utc``, ``finished_utc`` and :func:`versions`."""
    return {
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": finished.isoformat(timespec="seconds"),
        **versions(),
    }


def replications_csv(result: RunResult) -> str:
    """One row per replication, one column per KPI."""
    kpis = result.kpis
    rows = [[i] + [fmt(row[k]) for k in kpis] for i, row in enumerate(result.rows)]
    return csv_text(["replication", *kpis], rows)


def summary_table(result: RunResult) -> list[dict[str, Any]]:
    """Per KPI: mean, std, 95% half-width, CI bounds, n."""
    return [{"kpi": k, **summarize(result.column(k)).as_dict()} for k in result.kpis]


def summary_csv(table: Sequence[Mapping[str, Any]]) -> str:
    """The summary as CSV."""
    cols = ["kpi", "mean", "std", "half_width", "low", "high", "n"]
    return csv_text(cols, [[r["kpi"], *(fmt(r[c]) for c in cols[1:-1]), r["n"]] for r in table])


def _cell(value: Any) -> Any:
    return fmt(value) if isinstance(value, float) else value


def place_files(results: Sequence[tuple[str, RunResult]]) -> dict[str, str]:
    """``depots.csv``, ``sites.csv``, ``regions.csv``, ``parts.csv``, ``assignment.csv`` (and, traced,
    ``trace.csv``) of labelled results: one row per scenario and item (docs/outputs.md)."""
    out: dict[str, str] = {}
    per_table: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for label, result in results:
        measured = places.tables(result.place_items, [rep["places"] for rep in result.places])
        for table, (header, rows) in measured.items():
            per_table.setdefault(table, (["scenario", *header], []))[1].extend([label, *map(_cell, r)] for r in rows)
        columns, rows = result.place_items["assignment"]
        per_table.setdefault("assignment", (["scenario", *columns], []))[1].extend(
            [label, *map(_cell, r)] for r in rows
        )
    for table, (header, rows) in per_table.items():
        out[f"{table}.csv"] = csv_text(header, rows)
    traced = [(label, result) for label, result in results if any("trace" in rep for rep in result.places)]
    if traced:
        rows = []
        for label, result in traced:
            for r, rep in enumerate(result.places):
                for k, row in enumerate(rep.get("trace", []), start=1):
                    rows.append([label, r, k, *("" if isinstance(v, float) and math.isnan(v) else _cell(v) for v in row)])
        out["trace.csv"] = csv_text(["scenario", "replication", "outage", *TRACE_COLUMNS], rows)
    return out


def manifest(result: RunResult, scenario_hash: str, started: datetime, finished: datetime, **extra: Any) -> dict:
    """Provenance of a run."""
    return {
        "status": COMPLETE,
        "scenario": result.scenario.name,
        "scenario_hash": scenario_hash,
        "seed": result.seed,
        "replications": len(result.rows),
        "horizon_h": result.scenario.horizon_h,
        "warmup_h": result.scenario.warmup_h,
        **provenance(started, finished),
        "wall_time_s": round(result.wall_time_s, 3),
        "command": sys.argv,
        **extra,
    }


def now_utc() -> datetime:
    """The current time, UTC."""
    return datetime.now(timezone.utc)


def run_files(
    result: RunResult, resolved_yaml: str, scenario_hash: str, started: datetime, **extra: Any
) -> dict[str, str | bytes]:
    """The files of a ``sim run`` output folder."""
    table = summary_table(result)
    return {
        "scenario.yaml": resolved_yaml,
        "manifest.json": dumps_json(manifest(result, scenario_hash, started, now_utc(), **extra)),
        "replications.csv": replications_csv(result),
        "summary.csv": summary_csv(table),
        "summary.json": dumps_json({"scenario": result.scenario.name, "confidence": 0.95, "kpis": table}),
        **place_files([(result.scenario.name, result)]),
    }
