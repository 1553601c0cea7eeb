"""Regression checks of model outputs against committed baselines (``sim check``, ``sim baseline``).

A *suite* file names scenarios, a replication count, a seed and the KPIs to watch. A
*baseline* folder holds, per scenario, the watched KPIs of every replication (CSV) and a
manifest with the reason, date, code and package versions and fingerprints.

Two verdicts per check:

- **exact**: the SHA-256 of each scenario's full ``replications.csv`` text under the fixed
  seed; any change to the numbers, however small, changes it.
- **statistical**: per scenario × watched KPI, a two-sided test of "the KPI's mean is the
  same as in the baseline" on the replication values: a paired t-test over replication
  indices (default) or Welch's two-sample t-test. When the random numbers are reshuffled
  (another seed, or a code change that draws differently) baseline and run are
  independent, and both tests hold their level (paired differences of independent
  replications are i.i.d. with mean 0); when the seed stays and the model changes, the
  pairs share random numbers and the paired test is far more sensitive. The p-values of
  all tests of a suite form one family: Holm's step-down correction (default) keeps the
  chance that a seed-only change fails the check at most ``alpha``. A KPI *moves* when
  its adjusted p-value is at most ``alpha`` and the difference is at least its
  ``min_difference``.

``python -m sim.regression --false-alarm-study`` measures the false-alarm rate.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy import stats as sps

from sim.kpis import CATALOGUE, describe
from sim.output import csv_text, dumps_json, fmt, now_utc, package_versions, replications_csv, versions
from sim.runner import RunError, RunResult, executor_for, run_scenarios
from sim.scenario.errors import ScenarioError, format_path, from_validation_error, locate
from sim.scenario.loader import SET, load_scenario, read_yaml, scenario_hash
from sim.scenario.schema import Scenario
from sim.stats import _finite, paired_difference

SUITE_DEFAULT = Path("scenarios/regression.yaml")
BASELINE_DEFAULT = Path("results/baseline")
MANIFEST = "manifest.json"
FORMAT = 1
TESTS = {
    "paired": "paired t-test over replication indices",
    "welch": "Welch two-sample t-test on replication values",
}
CORRECTIONS = {
    "holm": "Holm step-down",
    "bonferroni": "Bonferroni",
    "none": "no multiplicity correction",
}

TestName = Literal["welch", "paired"]
LABEL_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
"""A scenario label, also its baseline file name: letters, digits, ``_ . -``."""
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=f"^{LABEL_PATTERN}$")]


# --------------------------------------------------------------------------------------
# The suite file
# --------------------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WatchSpec(_Spec):
    """A watched KPI (a bare name in the file means all defaults)."""

    name: str = Field(min_length=1, description="KPI column, e.g. fill_rate or within_promise_share.Zhejiang.")
    test: TestName | None = Field(None, description="paired or welch; default the suite's test.")
    min_difference: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        0.0, description="Smallest difference (KPI units) that counts as a move, even when significant."
    )


def _names_to_specs(value: Any) -> Any:
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class EntrySpec(_Spec):
    """One scenario of the suite."""

    file: str = Field(min_length=1, description="Scenario file, relative to the suite file.")
    name: Label | None = Field(None, description="Label (baseline file name); default the scenario's name.")
    set: list[str] = Field(default_factory=list, description="Overrides PATH=VALUE, as sim run --set.")
    replications: Annotated[int, Field(ge=2, le=100000)] | None = Field(None, description="Default the suite's.")
    seed: Annotated[int, Field(ge=0)] | None = Field(None, description="Default the suite's, else the file's.")
    kpis: list[WatchSpec] = Field(default_factory=list, description="Watched here on top of the suite's kpis.")

    _names = field_validator("kpis", mode="before")(_names_to_specs)


class SuiteSpec(_Spec):
    """The suite file."""

    description: str = ""
    replications: Annotated[int, Field(ge=2, le=100000)] = Field(30, description="Replications per scenario.")
    seed: Annotated[int, Field(ge=0)] | None = Field(None, description="Root seed; default each file's seed.")
    alpha: Annotated[float, Field(gt=0, le=0.5)] = Field(0.05, description="Family-wise false-alarm level.")
    correction: Literal["holm", "bonferroni", "none"] = "holm"
    test: TestName = "paired"
    kpis: list[WatchSpec] = Field(default_factory=list, description="Watched in every scenario.")
    scenarios: list[EntrySpec] = Field(min_length=1)

    _names = field_validator("kpis", mode="before")(_names_to_specs)


class SuiteError(ScenarioError):
    """A suite file (or a scenario it names) could not be loaded."""

    def __str__(self) -> str:
        n = len(self.problems)
        return "\n".join([f"regression suite has {n} problem{'' if n == 1 else 's'}:", *map(str, self.problems)])


@dataclass(frozen=True)
class Watch:
    """A watched KPI with its resolved test settings."""

    kpi: str
    test: str
    min_difference: float


@dataclass(frozen=True)
class SuiteScenario:
    """A scenario of the suite, loaded, with seed and replications applied."""

    label: str
    source: str  # the file as written in the suite
    scenario: Scenario
    watches: tuple[Watch, ...]

    @property
    def csv_name(self) -> str:
        """The baseline file of this scenario."""
        return f"{self.label}.csv"


@dataclass(frozen=True)
class Suite:
    """A loaded regression suite."""

    path: Path
    description: str
    alpha: float
    correction: str
    scenarios: tuple[SuiteScenario, ...]

    @property
    def tests_used(self) -> list[str]:
        """Test names in use, in a fixed order."""
        used = {w.test for s in self.scenarios for w in s.watches}
        return [t for t in TESTS if t in used]

    def with_seed(self, seed: int) -> "Suite":
        """The same suite with every scenario run under ``seed``."""
        entries = tuple(
            SuiteScenario(s.label, s.source, s.scenario.model_copy(update={"seed": seed}), s.watches)
            for s in self.scenarios
        )
        return Suite(self.path, self.description, self.alpha, self.correction, entries)


PROMISE_PREFIX = "within_promise_share."


def _kpi_name_problem(kpi: str) -> str | None:
    """Why ``kpi`` is no KPI column name, or None."""
    if kpi in CATALOGUE or (kpi.startswith(PROMISE_PREFIX) and len(kpi) > len(PROMISE_PREFIX)):
        return None
    close = difflib.get_close_matches(kpi, list(CATALOGUE), n=1)
    return f"unknown KPI {kpi!r}" + (f"; did you mean {close[0]!r}?" if close else " (see sim/kpis.py)")


def _region_problem(kpi: str, scenario: Scenario) -> str | None:
    """Why a per-region KPI cannot be watched in ``scenario``, or None."""
    if not kpi.startswith(PROMISE_PREFIX):
        return None
    regions = [r.name for r in scenario.regions]
    region = kpi[len(PROMISE_PREFIX):]
    if region in regions:
        return None
    return f"scenario {scenario.name!r} has no region {region!r} (regions: {', '.join(regions) or 'none'})"


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file and the scenarios it names.

    Raises :class:`SuiteError` listing every problem with file and line.
    """
    file = str(path)
    data, origins, problems = read_yaml(file, "suite file")
    if data is None or problems:
        raise SuiteError(problems)
    try:
        spec = SuiteSpec.model_validate(data)
    except ValidationError as e:
        raise SuiteError(from_validation_error(e, data, origins, SuiteSpec)) from None
    for section, specs in [((), spec.kpis), *((("scenarios", i), e.kpis) for i, e in enumerate(spec.scenarios))]:
        seen: set[str] = set()
        for j, w in enumerate(specs):
            why = _kpi_name_problem(w.name) or (f"KPI {w.name!r} listed twice" if w.name in seen else None)
            if why:
                problems.append(locate((*section, "kpis", j), why, origins))
            seen.add(w.name)
    here = Path(file).parent
    entries: list[SuiteScenario] = []
    for i, entry in enumerate(spec.scenarios):
        where = ("scenarios", i)
        target = here / entry.file
        if not target.is_file():
            problems.append(locate((*where, "file"), f"scenario file not found: {target}", origins))
            continue
        try:
            scenario = load_scenario(target, entry.set)
        except ScenarioError as e:
            for p in e.problems:
                if p.file == SET:  # an override written in the suite: point at its line
                    j = entry.set.index(p.path) if p.path in entry.set else None
                    at = (*where, "set", j) if j is not None else (*where, "set")
                    problems.append(locate(at, f"{p.message} ({p.path})", origins))
                else:
                    problems.append(p)
            continue
        seed = next((s for s in (entry.seed, spec.seed) if s is not None), scenario.seed)
        reps = entry.replications if entry.replications is not None else spec.replications
        scenario = scenario.model_copy(update={"seed": seed, "replications": reps})
        label = entry.name or scenario.name
        if entry.name is None and not re.fullmatch(LABEL_PATTERN, label):
            msg = f"scenario name {label!r} cannot be a file name: give the entry a name (letters, digits, _ . -)"
            problems.append(locate((*where, "file"), msg, origins))
        watches: dict[str, Watch] = {}  # the entry's settings win over the suite's
        for section, specs in (((), spec.kpis), (where, entry.kpis)):
            for j, w in enumerate(specs):
                why = _region_problem(w.name, scenario)
                if why:
                    problems.append(locate((*section, "kpis", j), why, origins))
                watches[w.name] = Watch(w.name, w.test or spec.test, w.min_difference)
        if not watches:
            problems.append(locate(where, "no KPIs watched: list some under kpis (suite-wide or here)", origins))
        if any(e.label == label for e in entries):
            problems.append(locate(where, f"duplicate scenario label {label!r}: give the entry a distinct name", origins))
        entries.append(SuiteScenario(label, entry.file, scenario, tuple(watches.values())))
    if problems:
        raise SuiteError(problems)
    return Suite(Path(file), spec.description, spec.alpha, spec.correction, tuple(entries))


# --------------------------------------------------------------------------------------
# Running a suite
# --------------------------------------------------------------------------------------


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ScenarioRun:
    """One suite scenario's replications and the fingerprint of its outputs."""

    entry: SuiteScenario
    result: RunResult
    outputs_sha256: str  # of replications.csv as written by sim.output.replications_csv


def run_suite(
    suite: Suite,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[ScenarioRun]:
    """Run every scenario of the suite (each with its own seed and replication count)."""
    results = run_scenarios([s.scenario for s in suite.scenarios], None, None, executor, workers, progress)
    runs = []
    for entry, result in zip(suite.scenarios, results):
        missing = [w.kpi for w in entry.watches if w.kpi not in result.kpis]
        if missing:
            raise RunError(f"{suite.path}: scenario {entry.label!r} does not produce KPI(s) {', '.join(missing)}")
        runs.append(ScenarioRun(entry, result, fingerprint(replications_csv(result))))
    return runs


def ensure_replaceable(folder: Path, marker: str) -> None:
    """Refuse to replace an existing, non-empty folder that lacks ``marker`` (not one of ours)."""
    if folder.is_dir() and any(folder.iterdir()) and not (folder / marker).is_file():
        raise RunError(f"refusing to replace {folder}/: it is not empty and has no {marker}; choose another folder")


def total_replications(suite: Suite) -> int:
    """Replications over all scenarios of a suite."""
    return sum(s.scenario.replications for s in suite.scenarios)


# --------------------------------------------------------------------------------------
# Baseline files
# --------------------------------------------------------------------------------------


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
    where = lambda name: str(Path(folder) / name)  # noqa: E731
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
        columns, csv_problems = _parse_csv(text)
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


def _parse_csv(text: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """KPI columns of a baseline CSV, or the reasons it cannot be read."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return {}, ["empty file"]
    header = lines[0].split(",")
    if header[0] != "replication" or len(header) < 2:
        return {}, ["line 1: header must be 'replication,<kpi>,...'"]
    if len(set(header)) != len(header):
        return {}, ["line 1: duplicate column names"]
    rows: list[list[float]] = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != len(header):
            return {}, [f"line {n}: {len(cells)} values, header has {len(header)}"]
        if cells[0] != str(n - 2):
            return {}, [f"line {n}: replication {cells[0]!r}, expected {n - 2}"]
        try:
            rows.append([float(c) for c in cells[1:]])
        except ValueError as e:
            return {}, [f"line {n}: {e}"]
    if len(rows) < 2:
        return {}, [f"{len(rows)} replication rows: at least 2 are needed for a test"]
    values = np.array(rows, dtype=float)
    return {k: values[:, j] for j, k in enumerate(header[1:])}, []


# --------------------------------------------------------------------------------------
# Tests and the comparison
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestOutcome:
    """A two-sided test of equal means; ``difference`` is now − baseline (paired: mean of the pair differences)."""

    n_baseline: int
    n_now: int
    baseline_mean: float
    now_mean: float
    difference: float
    statistic: float
    df: float
    p_value: float


def welch_test(baseline: np.ndarray, now: np.ndarray) -> TestOutcome:
    """Welch's t-test (unequal variances) on the finite values; p is nan below 2 values a side."""
    a, b = _finite(baseline), _finite(now)
    na, nb = a.size, b.size
    ma = float(a.mean()) if na else math.nan
    mb = float(b.mean()) if nb else math.nan
    if na < 2 or nb < 2:
        return TestOutcome(na, nb, ma, mb, mb - ma, math.nan, math.nan, math.nan)
    va, vb = float(a.var(ddof=1)) / na, float(b.var(ddof=1)) / nb
    diff = mb - ma
    if va + vb == 0.0:
        t = 0.0 if diff == 0 else math.copysign(math.inf, diff)
        return TestOutcome(na, nb, ma, mb, diff, t, float(na + nb - 2), 1.0 if diff == 0 else 0.0)
    t = diff / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return TestOutcome(na, nb, ma, mb, diff, t, df, float(2 * sps.t.sf(abs(t), df)))


def paired_test(baseline: np.ndarray, now: np.ndarray) -> TestOutcome:
    """Paired t-test over replications where both are finite; p is nan below 2 pairs.

    The means are each side's finite values; ``difference`` is the mean paired difference
    over the complete pairs, the quantity the test is about.
    """
    a, b = np.asarray(baseline, float), np.asarray(now, float)
    d = paired_difference(a, b)
    ma, mb = (float(x.mean()) if x.size else math.nan for x in (_finite(a), _finite(b)))
    n_a, n_b = int(np.isfinite(a).sum()), int(np.isfinite(b).sum())
    return TestOutcome(n_a, n_b, ma, mb, d.mean, d.t, float(d.n - 1), d.p_value)


def adjust(p_values: Sequence[float], correction: str) -> list[float]:
    """Family-wise adjusted p-values (nan counts as 1): Holm step-down, Bonferroni, or none."""
    p = [1.0 if math.isnan(x) else x for x in p_values]
    m = len(p)
    if correction == "none":
        return p
    if correction == "bonferroni":
        return [min(1.0, m * x) for x in p]
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: p[i])):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@dataclass(frozen=True)
class KPICheck:
    """The statistical verdict on one scenario × KPI."""

    scenario: str
    kpi: str
    test: str
    outcome: TestOutcome
    p_adjusted: float
    min_difference: float
    identical: bool
    moved: bool
    note: str = ""

    @property
    def direction(self) -> str:
        """'better', 'worse' or '' (no preferred direction, or no move)."""
        better = describe(self.kpi).better
        d = self.outcome.difference
        if not better or not math.isfinite(d) or d == 0:
            return ""
        return "better" if (d > 0) == (better == "higher") else "worse"

    @property
    def verdict(self) -> str:
        """same, ok, or MOVED (worse|better)."""
        if self.moved:
            return f"MOVED ({self.direction})" if self.direction else "MOVED"
        return "same" if self.identical else "ok"


@dataclass(frozen=True)
class ExactCheck:
    """The exact verdict on one scenario: did any output number change under the fixed seed?"""

    scenario: str
    baseline_sha256: str
    now_sha256: str
    reason: str

    @property
    def unchanged(self) -> bool:
        """True when the outputs are byte-identical to the baseline's."""
        return self.baseline_sha256 == self.now_sha256


@dataclass(frozen=True)
class Report:
    """Both verdicts of a check."""

    suite: Suite
    baseline: Baseline
    exact: list[ExactCheck]
    kpis: list[KPICheck]
    strict_exact: bool = False

    @property
    def moved(self) -> list[KPICheck]:
        """The KPIs that moved (statistical regressions)."""
        return [k for k in self.kpis if k.moved]

    @property
    def exact_unchanged(self) -> bool:
        """True when every scenario's outputs are byte-identical to the baseline's."""
        return all(e.unchanged for e in self.exact)

    @property
    def passed(self) -> bool:
        """No KPI moved (and, with strict_exact, no fingerprint changed)."""
        return not self.moved and (self.exact_unchanged or not self.strict_exact)

    @property
    def exit_code(self) -> int:
        """0 pass, 1 fail."""
        return 0 if self.passed else 1

    def test_statement(self) -> str:
        """The statistical test, in words, as printed and documented."""
        tests = " / ".join(TESTS[t] for t in self.suite.tests_used)
        m = len(self.kpis)
        return (
            f"{tests}, two-sided; {CORRECTIONS[self.suite.correction]} family-wise level "
            f"alpha = {self.suite.alpha:g} across {m} scenario x KPI tests"
        )


def _exact_reason(run: ScenarioRun, base: BaselineScenario, baseline: Baseline) -> str:
    if run.outputs_sha256 == base.outputs_sha256:
        return "byte-identical to the baseline"
    if run.result.seed != base.seed:
        return f"changed: run seed {run.result.seed} differs from the baseline's {base.seed}"
    if scenario_hash(run.entry.scenario) != base.scenario_hash:
        return "changed: the scenario inputs differ from the baseline's"
    now = package_versions()
    moved = [f"{k} {v} -> {now.get(k, 'absent')}" for k, v in baseline.packages.items() if now.get(k, v) != v]
    what = f"packages changed ({', '.join(moved)})" if moved else f"model code changed since {baseline.code_version}"
    return f"changed: same inputs and seed; {what}"


def compare(suite: Suite, baseline: Baseline, runs: Sequence[ScenarioRun], strict_exact: bool = False) -> Report:
    """Both verdicts for ``runs`` against ``baseline``."""
    exact: list[ExactCheck] = []
    pending: list[tuple[SuiteScenario, Watch, TestOutcome, bool]] = []
    for run in runs:
        base = baseline.scenarios[run.entry.label]
        exact.append(ExactCheck(run.entry.label, base.outputs_sha256, run.outputs_sha256, _exact_reason(run, base, baseline)))
        for w in run.entry.watches:
            a, b = base.columns[w.kpi], run.result.column(w.kpi)
            identical = a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
            outcome = (welch_test if w.test == "welch" else paired_test)(a, b)
            pending.append((run.entry, w, outcome, identical))
    adjusted = adjust([o.p_value for _, _, o, _ in pending], suite.correction)
    checks = []
    for (entry, w, o, identical), p_adj in zip(pending, adjusted):
        note = ""
        if identical:
            moved = False
        elif math.isnan(o.p_value):
            moved, note = True, "values differ but fewer than 2 finite values on a side: cannot test"
        else:
            moved = p_adj <= suite.alpha and abs(o.difference) >= w.min_difference
            if p_adj <= suite.alpha and not moved:
                note = f"significant but |difference| < min_difference {w.min_difference:g}"
        checks.append(KPICheck(entry.label, w.kpi, w.test, o, p_adj, w.min_difference, identical, moved, note))
    return Report(suite, baseline, exact, checks, strict_exact)


# --------------------------------------------------------------------------------------
# False-alarm study: seed-only noise
# --------------------------------------------------------------------------------------


@dataclass
class StudyResult:
    """How often a check fails when only the seed differs from the baseline's."""

    trials: int
    alpha: float
    correction: str
    tests: int  # scenario × KPI tests per check
    false_alarms: int = 0
    raw_rejections: dict[str, int] = field(default_factory=dict)  # per scenario/KPI: p <= alpha unadjusted
    tail_rejections: int = 0  # tests with p <= alpha / tests (the per-test Bonferroni level), over all trials

    @property
    def rate(self) -> float:
        """Share of trials with any statistical failure."""
        return self.false_alarms / self.trials if self.trials else math.nan

    def upper_bound(self, confidence: float = 0.99) -> float:
        """One-sided Clopper-Pearson upper confidence bound of the false-alarm rate."""
        k, n = self.false_alarms, self.trials
        return 1.0 if k >= n else float(sps.beta.ppf(confidence, k + 1, n - k))

    def allowed(self, confidence: float = 0.99) -> int:
        """Most false alarms consistent with a rate of at most alpha (binomial upper quantile)."""
        return int(sps.binom.ppf(confidence, self.trials, self.alpha))


def false_alarm_study(
    suite: Suite, trials: int, first_seed: int = 1, jobs: int = 1, on_trial: Callable[[int, StudyResult], None] | None = None
) -> StudyResult:
    """Per trial, a baseline under seed ``first_seed + 2i`` and a check under ``first_seed + 2i + 1``.

    Trials use disjoint seeds, so they are independent and the count of false alarms is
    binomial. The baseline goes through the same files and parser as a committed one.
    """
    tests = sum(len(s.watches) for s in suite.scenarios)
    out = StudyResult(trials, suite.alpha, suite.correction, tests)
    with executor_for(jobs) as ex:
        for i in range(trials):
            base_suite = suite.with_seed(first_seed + 2 * i)
            base_runs = run_suite(base_suite, ex, jobs)
            texts = baseline_files(base_suite, base_runs, "false-alarm study", now_utc())
            baseline = parse_baseline("<study>", texts, suite)
            report = compare(suite, baseline, run_suite(suite.with_seed(first_seed + 2 * i + 1), ex, jobs))
            out.false_alarms += bool(report.moved)
            for k in report.kpis:
                out.tail_rejections += k.outcome.p_value <= suite.alpha / tests
                key = f"{k.scenario}/{k.kpi}"
                out.raw_rejections[key] = out.raw_rejections.get(key, 0) + (k.outcome.p_value <= suite.alpha)
            if on_trial:
                on_trial(i, out)
    return out


def study_text(result: StudyResult, suite: Suite) -> str:
    """The study's findings as text."""
    lines = [
        f"suite {suite.path}: {result.tests} scenario x KPI tests per check, "
        f"{CORRECTIONS[result.correction]} at family-wise alpha = {result.alpha:g}",
        f"trials: {result.trials} (independent seed pairs)",
        f"false alarms: {result.false_alarms} of {result.trials} = {result.rate:.3f}; "
        f"one-sided 99% upper bound {result.upper_bound():.3f}; "
        f"at most {result.allowed()} expected if the rate were alpha (binomial 99% quantile)",
        f"tests with p <= alpha/{result.tests} (the per-test Bonferroni level): {result.tail_rejections} of "
        f"{result.trials * result.tests} = {result.tail_rejections / max(1, result.trials * result.tests):.5f} "
        f"(calibrated tests: {result.alpha / result.tests:.5f}); this count bounds the false alarms",
        "unadjusted rejections per test (each should be near alpha):",
    ]
    width = max((len(k) for k in result.raw_rejections), default=0)
    for key, n in result.raw_rejections.items():
        lines.append(f"  {key:<{width}}  {n:4d} / {result.trials} = {n / result.trials:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.regression --false-alarm-study [SUITE] --trials N``."""
    p = argparse.ArgumentParser(prog="python -m sim.regression", description=__doc__.splitlines()[0])
    p.add_argument("suite", nargs="?", default=str(SUITE_DEFAULT), help="suite file")
    p.add_argument("--false-alarm-study", action="store_true", required=True, help="measure the false-alarm rate")
    p.add_argument("--trials", type=int, default=200, help="independent seed pairs (default 200)")
    p.add_argument("--first-seed", type=int, default=1, help="seeds used: first-seed .. first-seed + 2*trials - 1")
    p.add_argument("--jobs", "-j", type=int, default=1, help="worker processes")
    args = p.parse_args(argv)
    try:
        suite = load_suite(args.suite)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def tick(i: int, r: StudyResult) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rtrial {i + 1}/{args.trials}: {r.false_alarms} false alarms")
            sys.stderr.flush()

    result = false_alarm_study(suite, args.trials, args.first_seed, args.jobs, tick)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(study_text(result, suite))
    return 0


if __name__ == "__main__":
    sys.exit(main())
