"""Running replications: serially, in local processes, or on a Dask cluster.

A replication is a pure function of (network, seed, replication index), so results are
byte-identical whichever executor runs them; they are always put back in replication
order. Executors follow :class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor``
for ``--jobs N``, or a ``dask.distributed`` client's executor for ``--scheduler ADDRESS``
(dask is an optional extra: ``pip install 'sim[dask]'``).

Finished replications are handed to an ``on_finished`` callback as they finish (the
checkpoint of :mod:`sim.checkpoint`), and a run can start from replications already done.
A replication that raises stops the run with :class:`ReplicationError`, whose message names
the scenario, the replication and the file holding the traceback; on an interrupt or a
failure the pending work is cancelled and the local worker processes are ended.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import places
from sim.build import Network, build
from sim.engine.model import Hook, Replication
from sim.engine.trace import outage_rows
from sim.kpis import evaluate
from sim.ledger import PriceList, place_costs, site_customer_costs
from sim.progress import Progress
from sim.scenario.schema import Scenario


class RunError(Exception):
    """A run could not be carried out (bad options, unreachable cluster)."""


Places = dict[str, Any]  # one replication's per-place measures ("places", sim.places) and, traced, "trace" rows
Outcome = tuple[dict[str, float], dict[int, int], Places]  # one replication: KPI row, restore-time histogram, places


class ReplicationFailed(Exception):
    """Raised in a worker: replication ``replication`` of scenario ``label`` raised; ``details`` is the traceback."""

    def __init__(self, label: str, replication: int, details: str) -> None:
        super().__init__(label, replication, details)
        self.label, self.replication, self.details = label, replication, details


class ReplicationError(RunError):
    """A replication raised: the run stops; the message names it and the log with the traceback."""


@dataclass(frozen=True)
class RunResult:
    """The KPIs of every replication of one scenario, in replication order."""

    scenario: Scenario
    seed: int
    rows: tuple[dict[str, float], ...]
    restore_hist: dict[int, int] = field(default_factory=dict)  # pooled over replications
    wall_time_s: float = 0.0
    site_depots: tuple[int, ...] = ()  # per scenario site, the index in scenario.depots of its serving depot
    places: tuple[Places, ...] = ()  # per replication: per-place measures and, traced, its outage rows (sim.places)
    place_items: dict[str, Any] = field(default_factory=dict)  # names and fixed columns of the places (sim.places.items)

    @property
    def kpis(self) -> list[str]:
        """KPI names in column order."""
        return list(self.rows[0]) if self.rows else []

    def column(self, name: str) -> np.ndarray:
        """One KPI over replications."""
        return np.array([row.get(name, np.nan) for row in self.rows], dtype=float)


def replicate(
    net: Network, seed: int, replications: Sequence[int], hooks: Sequence[Hook] = ()
) -> list[Outcome]:
    """Run some replications of a network; a task for an executor.

    Each replication's physical outcome is priced into its ledger and read into its KPI
    row (:func:`sim.kpis.evaluate`); the restore-time histogram comes along for pooling,
    and so do the per-place measures (:func:`sim.places.measure`) and, when the scenario
    is traced, its outage rows (:func:`sim.engine.trace.outage_rows`).
    ``hooks``: the user's model extensions (top-level functions, so that the task pickles).
    """
    prices = PriceList.of(net)  # one price list for every replication of the network
    out: list[Outcome] = []
    for r in replications:
        rep = Replication(net, seed, r, hooks=hooks)
        outcome = rep.run()
        downtime_cost, depot_cost = place_costs(outcome, prices)
        extra: Places = {
            "places": places.measure(net, outcome, site_customer_costs(outcome, prices), downtime_cost, depot_cost)
        }
        if net.trace:
            extra["trace"] = [list(row) for row in outage_rows(rep)]
        out.append((evaluate(net, outcome, prices), dict(outcome.restore_hist), extra))
    return out


def check_jobs(jobs: int, scheduler: str | None = None) -> None:
    """Raise RunError unless ``--jobs`` is at least 1 and, for local processes, at most 4 per CPU."""
    if jobs < 1:
        raise RunError(f"--jobs must be at least 1 (got {jobs})")
    most = 4 * (os.cpu_count() or 1)
    if jobs > most and not scheduler:  # with fork every worker starts at once: refuse a typo such as -j 1000
        raise RunError(f"--jobs must be at most {most} (4 per CPU) on this machine (got {jobs}); results do not depend on it")


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
            ex.sim_workers = max(1, sum(client.nthreads().values()))
            yield ex
        finally:
            client.close()
        return
    check_jobs(jobs)
    if jobs == 1:
        yield None
        return
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=quiet_worker)
    pool.sim_workers = jobs  # type: ignore[attr-defined]
    pool.sim_ends_workers = True  # type: ignore[attr-defined]
    try:
        yield pool
    except BaseException:
        # interrupted or failed: end the workers now, not after their chunks; the broken pool
        # then fails every queued task (cancelling them first trips Python 3.11's pool manager)
        for proc in set(multiprocessing.active_children()) - before:
            proc.terminate()
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)


def quiet_worker() -> None:
    """Worker process set-up: Ctrl-C is the parent's to handle (no traceback per worker); SIGTERM ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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


def _chunks(n: int | Sequence[int], workers: int) -> list[list[int]]:
    """Replications (0..n-1, or those listed) in about four chunks per worker, the larger ones first.

    Sizes differ by at most one and decrease, so workers taking the next chunk as they
    finish end together (20 replications on 2 workers: 3,3,3,3,2,2,2,2 -> 10 each).
    """
    todo = list(range(n)) if isinstance(n, int) else list(n)
    k = max(1, min(len(todo), workers * 4))
    q, r = divmod(len(todo), k)
    out, start = [], 0
    for size in [q + 1] * r + [q] * (k - r):
        if size:
            out.append(todo[start : start + size])
        start += size
    return out


def run_chunk(
    net: Network, seed: int, replications: Sequence[int], label: str, hooks: Sequence[Hook] = ()
) -> list[Outcome]:
    """:func:`replicate` one replication at a time, naming the one that raises; a task for an executor."""
    out: list[Outcome] = []
    for r in replications:
        try:
            out.extend(replicate(net, seed, [r], hooks))
        except Exception as exc:  # noqa: BLE001 - any failure of the model is reported with its replication
            raise ReplicationFailed(label, r, "".join(traceback.format_exception(exc))) from None
    return out


def temp_log(details: str) -> Path:
    """Write a failure's traceback to a new file in the temporary folder; return its path."""
    fd, name = tempfile.mkstemp(prefix="sim-failure-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(details)
    return Path(name)


def _failed(exc: ReplicationFailed, log: Callable[[str], Path]) -> ReplicationError:
    last = exc.details.strip().splitlines()[-1] if exc.details.strip() else "failed"
    try:
        where = f"traceback in {log(exc.details)}"
    except (OSError, RunError):
        where = f"traceback in {temp_log(exc.details)}"
    return ReplicationError(f"scenario {exc.label!r}, replication {exc.replication} failed: {last}; {where}")


def run_scenarios(
    scenarios: Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    *,
    finished: Mapping[tuple[int, int], Outcome] | None = None,
    on_finished: Callable[[int, list[tuple[int, Outcome]]], None] | None = None,
    failure_log: Callable[[str], Path] | None = None,
    hooks: Sequence[Hook] = (),
) -> list[RunResult]:
    """Run several scenarios with the same seed and replication indices (common random numbers).

    ``replications``/``seed`` default to each scenario's own. ``finished`` maps (scenario
    index, replication) to outcomes already at hand (a resumed run): those are not run again.
    ``on_finished(k, [(replication, outcome), ...])`` is called as work finishes.
    ``failure_log(traceback) -> path`` keeps a failed replication's traceback (default: a
    temporary file); the run then raises :class:`ReplicationError`. ``hooks`` go to every
    replication (:func:`replicate`).
    """
    workers = max(workers, getattr(executor, "sim_workers", 1))
    if replications is not None and replications < 1:
        raise RunError(f"--replications must be at least 1 (got {replications})")
    nets = [build(sc) for sc in scenarios]
    plans = []
    for sc, net in zip(scenarios, nets):
        n = replications if replications is not None else sc.replications
        s = seed if seed is not None else sc.seed
        if s < 0:  # numpy's seed sequence would fail in every replication
            raise RunError(f"--seed must be at least 0 (got {s})")
        plans.append((net, s, n, sc.name))
    done: dict[tuple[int, int], Outcome] = {
        key: out for key, out in (finished or {}).items() if key[0] < len(plans) and 0 <= key[1] < plans[key[0]][2]
    }
    tasks = []
    for k, (net, s, n, label) in enumerate(plans):
        todo = [r for r in range(n) if (k, r) not in done]
        # in this process one replication at a time (finest checkpoints); else chunks to balance workers
        tasks += [(k, chunk) for chunk in (_chunks(todo, workers) if executor is not None else [[r] for r in todo])]
    if progress and done:
        progress(len(done))

    def finish(k: int, chunk: list[int], outs: list[Outcome]) -> None:
        pairs = list(zip(chunk, outs))
        done.update(((k, r), out) for r, out in pairs)
        if on_finished:
            on_finished(k, pairs)
        if progress:
            progress(len(chunk))

    t0 = time.perf_counter()
    try:
        if executor is None:
            for k, chunk in tasks:
                net, s, _, label = plans[k]
                finish(k, chunk, run_chunk(net, s, chunk, label, hooks))
        else:
            futures: dict[Future, tuple[int, int, list[int]]] = {}
            for order, (k, chunk) in enumerate(tasks):
                net, s, _, label = plans[k]
                futures[executor.submit(run_chunk, net, s, chunk, label, hooks)] = (order, k, chunk)
            try:
                pending = set(futures)
                while pending:
                    ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(ready, key=lambda f: futures[f][0]):
                        _, k, chunk = futures[fut]
                        finish(k, chunk, fut.result())
            except BaseException:
                if not getattr(executor, "sim_ends_workers", False):  # else executor_for ends the pool's workers
                    for fut in futures:
                        fut.cancel()
                raise
    except ReplicationFailed as exc:
        raise _failed(exc, failure_log or temp_log) from None
    except BrokenExecutor as exc:
        raise RunError(f"a worker process died (killed, or out of memory?): {exc}") from None
    wall = time.perf_counter() - t0
    results = []
    for k, (sc, (net, s, n, _)) in enumerate(zip(scenarios, plans)):
        outs = [done[(k, r)] for r in range(n)]
        hist: dict[int, int] = {}
        for _, h, _ in outs:
            for b, c in h.items():
                hist[b] = hist.get(b, 0) + c
        site_depots = tuple(site.depot for site in net.sites)
        results.append(
            RunResult(
                sc, s, tuple(row for row, _, _ in outs), dict(sorted(hist.items())), wall, site_depots,
                tuple(extra for _, _, extra in outs), places.items(net),
            )
        )
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
