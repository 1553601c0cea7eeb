"""What a regression suite file is, and how it loads: scenarios, seed, replications and the KPIs to watch."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.kpis import CATALOGUE, REGION_PREFIX, known
from sim.regression.significance import TESTS, CorrectionName, TestName
from sim.scenario.errors import ScenarioError, from_validation_error, locate
from sim.scenario.loader import SET, load_scenario, read_yaml
from sim.scenario.schema import Scenario

SUITE_DEFAULT = Path("scenarios/regression.yaml")
LABEL_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
"""A scenario label, also its baseline file name: letters, digits, ``_ . -``."""
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=f"^{LABEL_PATTERN}$")]


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
    correction: CorrectionName = "holm"
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

    @property
    def total_replications(self) -> int:
        """Replications over all scenarios."""
        return sum(s.scenario.replications for s in self.scenarios)

    def with_seed(self, seed: int) -> Suite:
        """The same suite with every scenario run under ``seed``."""
        entries = tuple(
            SuiteScenario(s.label, s.source, s.scenario.model_copy(update={"seed": seed}), s.watches)
            for s in self.scenarios
        )
        return Suite(self.path, self.description, self.alpha, self.correction, entries)


def _kpi_name_problem(kpi: str) -> str | None:
    """Why ``kpi`` is no KPI column name, or None."""
    if known(kpi):
        return None
    close = difflib.get_close_matches(kpi, list(CATALOGUE), n=1)
    return f"unknown KPI {kpi!r}" + (f"; did you mean {close[0]!r}?" if close else " (see sim/kpis.py)")


def _region_problem(kpi: str, scenario: Scenario) -> str | None:
    """Why a per-region KPI cannot be watched in ``scenario``, or None."""
    if not kpi.startswith(REGION_PREFIX):
        return None
    regions = [r.name for r in scenario.regions]
    region = kpi[len(REGION_PREFIX):]
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
    sections: list[tuple[tuple[str | int, ...], list[WatchSpec]]] = [((), spec.kpis)]
    sections += [(("scenarios", i), e.kpis) for i, e in enumerate(spec.scenarios)]
    for section, specs in sections:
        seen: set[str] = set()
        for j, w in enumerate(specs):
            why = _kpi_name_problem(w.name) or (f"KPI {w.name!r} listed twice" if w.name in seen else None)
            if why:
                problems.append(locate((*section, "kpis", j), why, origins))
            seen.add(w.name)
    here = Path(file).parent
    entries: list[SuiteScenario] = []
    for i, entry in enumerate(spec.scenarios):
        where: tuple[str | int, ...] = ("scenarios", i)
        target = here / entry.file
        if not target.is_file():
            problems.append(locate((*where, "file"), f"scenario file not found: {target}", origins))
            continue
        try:
            scenario = load_scenario(target, entry.set)
        except ScenarioError as e:
            for p in e.problems:
                if p.file == SET:  # an override written in the suite: point at its line
                    text = p.override or p.path
                    item = entry.set.index(text) if text in entry.set else None
                    at = (*where, "set", item) if item is not None else (*where, "set")
                    problems.append(locate(at, f"{p.message} ({p.path or text})", origins))
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
