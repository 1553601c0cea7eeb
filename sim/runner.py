"""Running replications: serially, in local processes, or on a Dask cluster.

A replication is a pure function of (network, seed, replication index), so results are
byte-identical whichever executor runs them; they are always put back in replication
order. Executors follow :class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor``
for ``--jobs N``, or a ``dask.distributed`` client's executor for ``--scheduler ADDRESS``
(dask is an optional extra: ``pip install 'sim[dask]'``).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.build import Network, build
from sim.engine.model import Replication
from sim.kpis import evaluate
from sim.scenario.schema import Scenario


class RunError(Exception):
    """A run could not be carried out (bad options, unreachable cluster)."""


@dataclass(frozen=True)
class RunResult:
    """The KPIs of every replication of one scenario, in replication order."""

    scenario: Scenario
    seed: int
    rows: tuple[dict[str, float], ...]
    restore_hist: dict[int, int] = field(default_factory=dict)  # pooled over replications
    wall_time_s: float = 0.0
    site_depots: tuple[int, ...] = ()  # per scenario site, the index in scenario.depots of its serving depot

    @property
    def kpis(self) -> list[str]:
        """KPI names in column order."""
        return list(self.rows[0]) if self.rows else []

    def column(self, name: str) -> np.ndarray:
        """One KPI over replications."""
        return np.array([row.get(name, np.nan) for row in self.rows], dtype=float)


def replicate(net: Network, seed: int, replications: Sequence[int]) -> list[tuple[dict[str, float], dict[int, int]]]:
    """Run some replications of a network; a task for an executor.

    Each replication's physical outcome is priced into its ledger and read into its KPI
    row (:func:`sim.kpis.evaluate`); the restore-time histogram comes along for pooling.
    """
    out = []
    for r in replications:
        outcome = Replication(net, seed, r).run()
        out.append((evaluate(net, outcome), dict(outcome.restore_hist)))
    return out


class Progress:
    """One line ticking per replication on a terminal; silent when not a TTY or under CI."""

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)()) and not os.environ.get("CI")
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more finished replications."""
        self.done += n
        if self.enabled:
            el = time.perf_counter() - self.t0
            self.stream.write(f"\r{self.label} replication {self.done}/{self.total}  {el:6.1f} s")
            self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def executor_for(jobs: int = 1, scheduler: str | None = None) -> Iterator[Executor | None]:
    """The executor for ``--jobs``/``--scheduler``: None means run in this process."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RunError("--scheduler needs dask.distributed: pip install 'sim[dask]'") from exc
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise RunError(f"cannot reach Dask scheduler {scheduler}: {exc}") from exc
        try:
            mine = source_fingerprint()
            theirs = client.run(source_fingerprint)
            stale = sorted(w for w, fp in theirs.items() if fp != mine)
            if stale:
                raise RunError(
                    f"Dask workers run other sim code than this machine: {', '.join(stale)} "
                    "(install the same version of sim on every worker)"
                )
            ex = client.get_executor()
            ex.sim_workers = max(1, sum(client.nthreads().values()))  # type: ignore[attr-defined]
            yield ex
        finally:
            client.close()
        return
    if jobs < 1:
        raise RunError("--jobs must be at least 1")
    if jobs == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pool.sim_workers = jobs  # type: ignore[attr-defined]
        yield pool


def source_fingerprint() -> str:
    """SHA-256 of the sim package's source: workers must run the same code as the client."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@contextmanager
def executing(
    total: int, label: str, jobs: int = 1, scheduler: str | None = None, show_progress: bool | None = None
) -> Iterator[tuple[Executor | None, int, Callable[[int], None]]]:
    """(executor, workers, progress tick) for a run of ``total`` replications; all closed together."""
    bar = Progress(total, label, enabled=show_progress)
    try:
        with executor_for(jobs, scheduler) as ex:
            yield ex, max(jobs, 1), bar.tick
    finally:
        bar.close()


def _chunks(n: int, workers: int) -> list[list[int]]:
    """Replications 0..n-1 in about four chunks per worker, the larger ones first.

    Sizes differ by at most one and decrease, so workers taking the next chunk as they
    finish end together (20 replications on 2 workers: 3,3,3,3,2,2,2,2 -> 10 each).
    """
    k = max(1, min(n, workers * 4))
    q, r = divmod(n, k)
    out, start = [], 0
    for size in [q + 1] * r + [q] * (k - r):
        out.append(list(range(start, start + size)))
        start += size
    return out


def run_scenarios(
    scenarios: Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Run several scenarios with the same seed and replication indices (common random numbers).

    ``replications``/``seed`` default to each scenario's own.
    """
    workers = max(workers, getattr(executor, "sim_workers", 1))
    nets = [build(sc) for sc in scenarios]
    plans = []
    if replications is not None and replications < 1:
        raise RunError(f"--replications must be at least 1 (got {replications})")
    for sc, net in zip(scenarios, nets):
        n = replications if replications is not None else sc.replications
        s = seed if seed is not None else sc.seed
        plans.append((net, s, _chunks(n, workers)))
    t0 = time.perf_counter()
    per_scenario: list[list[tuple[dict[str, float], dict[int, int]]]] = [[] for _ in scenarios]
    if executor is None:
        for k, (net, s, chunks) in enumerate(plans):
            for chunk in chunks:
                per_scenario[k].extend(replicate(net, s, chunk))
                if progress:
                    progress(len(chunk))
    else:
        futures = []
        for k, (net, s, chunks) in enumerate(plans):
            for chunk in chunks:
                futures.append((k, len(chunk), executor.submit(replicate, net, s, chunk)))
        for k, n, fut in futures:  # in submission order: results stay in replication order
            per_scenario[k].extend(fut.result())
            if progress:
                progress(n)
    wall = time.perf_counter() - t0
    results = []
    for sc, (net, s, _), outs in zip(scenarios, plans, per_scenario):
        hist: dict[int, int] = {}
        for _, h in outs:
            for b, c in h.items():
                hist[b] = hist.get(b, 0) + c
        site_depots = tuple(site.depot for site in net.sites)
        results.append(RunResult(sc, s, tuple(k for k, _ in outs), dict(sorted(hist.items())), wall, site_depots))
    return results


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    show_progress: bool | None = None,
) -> RunResult:
    """Run one scenario's replications and return their KPIs."""
    n = replications if replications is not None else scenario.replications
    with executing(n, scenario.name, jobs, scheduler, show_progress) as (ex, workers, tick):
        return run_scenarios([scenario], n, seed, ex, workers, tick)[0]
