"""Parallel replications: ``--jobs N`` and a Dask cluster give the bytes of a serial run.

A replication is a pure function of (network, seed, replication index), so the executor
must not change a single digit: these tests compare the written files byte for byte.
No speed assertions here; speed is measured by ``python -m bench``.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from sim.cli import main
from sim.output import replications_csv
from sim.runner import RunError, _chunks, run_scenarios
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "example.yaml"
REPLICATIONS = 6
UNEVEN = 14  # over 3 workers: chunks of unequal size (see sim.runner._chunks)
DETERMINISTIC_FILES = ("replications.csv", "summary.csv", "summary.json", "scenario.yaml")


def run_cli(out: Path, *options: str, scenario: Path = EXAMPLE, replications: int = REPLICATIONS) -> dict[str, bytes]:
    """``sim run`` of a scenario into ``out``; the files that must not depend on the executor."""
    status = main(["run", str(scenario), "-n", str(replications), "--out", str(out), "--quiet", *options])
    assert status == 0
    return {name: (out / name).read_bytes() for name in DETERMINISTIC_FILES}


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The serial run every parallel run is held to."""
    files = run_cli(tmp_path_factory.mktemp("serial"), "--jobs", "1")
    lines = files["replications.csv"].decode().splitlines()
    assert len(lines) == 1 + REPLICATIONS
    header = lines[0].split(",")
    failures = {line.split(",")[header.index("failures")] for line in lines[1:]}
    assert len(failures) > 1, "replications should differ: independent streams per replication"
    return files


def test_jobs_2_writes_the_same_bytes_as_jobs_1(serial: dict[str, bytes], tmp_path: Path) -> None:
    assert run_cli(tmp_path / "jobs2", "--jobs", "2") == serial


def test_chunks_cover_every_replication_larger_first() -> None:
    assert _chunks(20, 2) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13], [14, 15], [16, 17], [18, 19]]
    assert [len(c) for c in _chunks(UNEVEN, 3)] == [2, 2] + [1] * 10  # 12 chunks: 2 of them larger
    assert _chunks(3, 2) == [[0], [1], [2]]  # never an empty chunk
    for n, workers in [(1, 1), (7, 2), (50, 3), (101, 4)]:
        assert sum(_chunks(n, workers), []) == list(range(n))


def test_jobs_3_with_uneven_chunks_writes_the_same_bytes(tmp_path: Path) -> None:
    # 14 replications over 3 workers: 12 chunks of 2 and 1 replications, finishing out of order
    assert len({len(c) for c in _chunks(UNEVEN, 3)}) == 2
    serial = run_cli(tmp_path / "jobs1", "--jobs", "1", replications=UNEVEN)
    assert run_cli(tmp_path / "jobs3", "--jobs", "3", replications=UNEVEN) == serial


def test_jobs_2_with_merged_demand_streams_writes_the_same_bytes(tmp_path: Path) -> None:
    # the example has no demand streams: the bench's reference network has 50, at 10 depots
    reference = ROOT / "bench" / "scenarios" / "reference.yaml"
    options = ("--set", "horizon_h=20000")
    serial = run_cli(tmp_path / "jobs1", "--jobs", "1", *options, scenario=reference)
    assert run_cli(tmp_path / "jobs2", "--jobs", "2", *options, scenario=reference) == serial
    header, *rows = serial["replications.csv"].decode().splitlines()
    column = header.split(",").index("part_demands")
    demands = [float(row.split(",")[column]) for row in rows]
    assert len(set(demands)) > 1 and min(demands) > 1000  # merged streams did the work


def test_run_scenarios_in_a_process_pool_matches_serial_for_several_scenarios() -> None:
    # the path sim compare and sim sweep take: several scenarios, one executor, common random numbers
    base = load_scenario(EXAMPLE)
    variant = load_scenario(EXAMPLE, ["pricing.machine_price_multiplier=2"])
    local = run_scenarios([base, variant], replications=4)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = run_scenarios([base, variant], replications=4, executor=pool, workers=2)
    assert [replications_csv(r) for r in pooled] == [replications_csv(r) for r in local]
    assert [r.restore_hist for r in pooled] == [r.restore_hist for r in local]
    assert replications_csv(local[0]) != replications_csv(local[1]), "the override should change results"


@pytest.fixture(scope="module")
def dask_scheduler():
    """A local Dask cluster of two worker processes, closed after the module's tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_writes_the_same_bytes_as_local(
    serial: dict[str, bytes], dask_scheduler: str, tmp_path: Path
) -> None:
    assert run_cli(tmp_path / "dask", "--scheduler", dask_scheduler) == serial


def test_dask_cluster_runs_several_scenarios_like_local(dask_scheduler: str) -> None:
    from distributed import Client

    base = load_scenario(EXAMPLE)
    variant = load_scenario(EXAMPLE, ["pricing.machine_price_multiplier=2"])
    local = run_scenarios([base, variant], replications=4)
    with Client(dask_scheduler) as client:
        remote = run_scenarios([base, variant], replications=4, executor=client.get_executor(), workers=2)
    assert [replications_csv(r) for r in remote] == [replications_csv(r) for r in local]
    assert [r.restore_hist for r in remote] == [r.restore_hist for r in local]


def test_dask_executor_knows_the_cluster_size_and_checks_the_code(dask_scheduler: str) -> None:
    from sim.runner import executor_for, source_fingerprint

    with executor_for(1, dask_scheduler) as ex:
        assert ex.sim_workers == 2  # two single-threaded workers: work is cut for both
        assert ex.submit(source_fingerprint).result() == source_fingerprint()


def test_dask_workers_with_other_code_are_refused(dask_scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client

    from sim.runner import executor_for

    asked = []

    def stale_run(self: Client, function, *args, **kwargs) -> dict[str, str]:
        """What Client.run returns when every worker has another copy of sim."""
        asked.append(function.__name__)
        return {address: "0" * 64 for address in self.nthreads()}

    monkeypatch.setattr(Client, "run", stale_run)
    with pytest.raises(RunError, match="Dask workers run other sim code than this machine: tcp://"):
        with executor_for(1, dask_scheduler):
            pytest.fail("a stale cluster must not yield an executor")
    assert asked == ["source_fingerprint"]
