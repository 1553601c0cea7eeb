"""The committed baseline store: one CSV of watched KPIs per scenario plus ``manifest.json``.

Written by ``sim baseline``, read and checked by ``sim check``: a baseline that does not fit
its suite, or whose files were edited, raises :class:`BaselineError` naming every file.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from sim.output import csv_text, dumps_json, fmt, versions
from sim.regression.runs import ScenarioRun, fingerprint
from sim.regression.suite import Suite
from sim.runner import RunError
from sim.scenario.errors import format_path
from sim.scenario.loader import scenario_hash

BASELINE_DEFAULT = Path("results/baseline")
MANIFEST = "manifest.json"
FORMAT = 1


# ---- writing --------------------------------------------------------------------------


def baseline_csv(run: ScenarioRun) -> str:
    """The watched KPIs of every replication, values in shortest round-trip form."""
    kpis = [w.kpi for w in run.entry.watches]
    rows = [[i, *(fmt(row[k]) for k in kpis)] for i, row in enumerate(run.result.rows)]
    return csv_text(["replication", *kpis], rows)


def baseline_files(suite: Suite, runs: Sequence[ScenarioRun], message: str, created: datetime) -> dict[str, str]:
    """The files of a baseline folder: one CSV per scenario plus ``manifest.json``."""
    files: dict[str, str] = {}
    scenarios: dict[str, Any] = {}
    for run in runs:
        entry = run.entry
        text = baseline_csv(run)
        files[entry.csv_name] = text
        scenarios[entry.label] = {
            "file": entry.csv_name,
            "source": entry.source,
            "scenario": entry.scenario.name,
            "scenario_hash": scenario_hash(entry.scenario),
            "seed": run.result.seed,
            "replications": len(run.result.rows),
            "kpis": [w.kpi for w in entry.watches],
            "outputs_sha256": run.outputs_sha256,
            "file_sha256": fingerprint(text),
        }
    files[MANIFEST] = dumps_json(
        {
            "format": FORMAT,
            "message": message,
            "created_utc": created.isoformat(timespec="seconds"),
            **versions(),
            "suite": str(suite.path),
            "command": sys.argv,
            # the suite's scenarios run in one run_scenarios call: one wall time for all
            "wall_time_s": round(runs[0].result.wall_time_s, 3) if runs else 0.0,
            "scenarios": scenarios,
        }
    )
    return files


# ---- reading --------------------------------------------------------------------------


class _ManifestScenario(BaseModel):
    file: str
    scenario_hash: str
    seed: int
    replications: int
    kpis: list[str]
    outputs_sha256: str
    file_sha256: str


class _Manifest(BaseModel):
    format: Literal[1]
    message: str
    created_utc: str
    code_version: str
    packages: dict[str, str] = Field(default_factory=dict)
    scenarios: dict[str, _ManifestScenario]


class BaselineError(RunError):
    """A baseline folder is missing, incomplete or corrupt; ``problems`` names the files."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"baseline has {n} problem{'' if n == 1 else 's'} (a check never passes without a sound baseline):"
        super().__init__("\n".join([head, *self.problems, "fix the files, or rewrite them: sim baseline --message WHY"]))


@dataclass(frozen=True)
class BaselineScenario:
    """One scenario's baseline: provenance and the watched KPIs per replication."""

    label: str
    file: str
    seed: int
    replications: int
    scenario_hash: str
    outputs_sha256: str
    columns: dict[str, np.ndarray]


@dataclass(frozen=True)
class Baseline:
    """A parsed baseline folder."""

    folder: str
    message: str
    created_utc: str
    code_version: str
    packages: dict[str, str]
    scenarios: dict[str, BaselineScenario]


def read_baseline(folder: str | Path, suite: Suite) -> Baseline:
    """Read and check the baseline of ``suite`` in ``folder`` (raises :class:`BaselineError`)."""
    root = Path(folder)
    if not root.is_dir():
        raise BaselineError([f"{root}: baseline folder not found"])
    texts: dict[str, str | None] = {}
    problems: list[str] = []
    for name in [MANIFEST, *(s.csv_name for s in suite.scenarios)]:
        try:
            texts[name] = (root / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            texts[name] = None
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{root / name}: cannot read: {getattr(e, 'strerror', None) or 'not UTF-8 text'}")
            texts[name] = ""
    if problems:
        raise BaselineError(problems)
    return parse_baseline(str(root), texts, suite)


def parse_baseline(folder: str, texts: Mapping[str, str | None], suite: Suite) -> Baseline:
    """Check a baseline's texts (file name → text, None when missing) against the suite."""
    problems: list[str] = []

    def where(name: str) -> str:
        return str(Path(folder) / name)

    manifest_text = texts.get(MANIFEST)
    if manifest_text is None:
        raise BaselineError([f"{where(MANIFEST)}: file missing"])
    try:
        manifest = _Manifest.model_validate(json.loads(manifest_text))
    except json.JSONDecodeError as e:
        raise BaselineError([f"{where(MANIFEST)}:{e.lineno}: not valid JSON: {e.msg}"]) from None
    except ValidationError as e:
        errs = [f"{where(MANIFEST)}: {format_path(err['loc']) or 'top level'}: {err['msg']}" for err in e.errors()]
        raise BaselineError(errs) from None
    scenarios: dict[str, BaselineScenario] = {}
    for entry in suite.scenarios:
        meta = manifest.scenarios.get(entry.label)
        if meta is None:
            problems.append(f"{where(MANIFEST)}: no baseline for scenario {entry.label!r} of {suite.path}")
            continue
        name = meta.file
        if name != entry.csv_name:
            problems.append(f"{where(MANIFEST)}: scenario {entry.label!r} names file {name!r}, expected {entry.csv_name!r}")
            continue
        text = texts.get(name)
        if text is None:
            problems.append(f"{where(name)}: file missing")
            continue
        if fingerprint(text) != meta.file_sha256:
            problems.append(f"{where(name)}: contents do not match the fingerprint in {MANIFEST} (edited or corrupt)")
            continue
        columns, csv_problems = parse_csv(text)
        problems += [f"{where(name)}: {p}" for p in csv_problems]
        if csv_problems:
            continue
        n = len(next(iter(columns.values()))) if columns else 0
        if n != meta.replications:
            problems.append(f"{where(name)}: {n} replications, {MANIFEST} says {meta.replications}")
        elif n != entry.scenario.replications:
            problems.append(
                f"{where(name)}: {n} replications, the suite runs {entry.scenario.replications}: "
                "the runs are not comparable"
            )
        missing = [w.kpi for w in entry.watches if w.kpi not in columns]
        if missing:
            problems.append(f"{where(name)}: KPI column(s) missing: {', '.join(missing)}")
        scenarios[entry.label] = BaselineScenario(
            entry.label, name, meta.seed, meta.replications, meta.scenario_hash, meta.outputs_sha256, columns
        )
    extra = sorted(set(manifest.scenarios) - {s.label for s in suite.scenarios})
    if extra:
        problems.append(f"{where(MANIFEST)}: scenario(s) {', '.join(extra)} are not in {suite.path}")
    if problems:
        raise BaselineError(problems)
    return Baseline(folder, manifest.message, manifest.created_utc, manifest.code_version, manifest.packages, scenarios)


def parse_csv(text: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """KPI columns of a baseline CSV, or the reasons it cannot be read (with line numbers)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        if not "".join(header).strip():
            return {}, ["empty file"]
        if header[0] != "replication" or len(header) < 2:
            return {}, ["line 1: header must be 'replication,<kpi>,...'"]
        if len(set(header)) != len(header):
            return {}, ["line 1: duplicate column names"]
        rows: list[list[float]] = []
        for cells in reader:
            n = reader.line_num
            if len(cells) != len(header):
                return {}, [f"line {n}: {len(cells)} values, header has {len(header)}"]
            if cells[0] != str(len(rows)):
                return {}, [f"line {n}: replication {cells[0]!r}, expected {len(rows)}"]
            try:
                rows.append([float(c) for c in cells[1:]])
            except ValueError as e:
                return {}, [f"line {n}: {e}"]
    except csv.Error as e:
        return {}, [f"line {reader.line_num}: {e}"]
    if len(rows) < 2:
        return {}, [f"{len(rows)} replication rows: at least 2 are needed for a test"]
    values = np.array(rows, dtype=float)
    return {k: values[:, j] for j, k in enumerate(header[1:])}, []
