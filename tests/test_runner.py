"""run_scenarios: hooks reach every replication, whichever executor; chunks of the replications left."""

from __future__ import annotations

from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import simpy

from sim.commands.common import load
from sim.engine.model import Replication
from sim.output import replications_csv
from sim.runner import _chunks, run_scenarios

EXAMPLE = str(Path(__file__).resolve().parent.parent / "scenarios" / "example.yaml")


def hangzhou_closed_in_spring(rep: Replication) -> None:
    """A hook (top level, so it pickles): Hangzhou has no technician on duty from hour 500 to 1500."""

    def closure() -> Generator[simpy.Event, Any, None]:
        yield rep.env.timeout(500.0)
        rep.set_technicians("Hangzhou", 0)
        yield rep.env.timeout(1000.0)
        rep.set_technicians("Hangzhou", 2)

    rep.env.process(closure())


def test_hooks_reach_every_replication_serial_or_parallel() -> None:
    sc = load(EXAMPLE, ["horizon_h=2000", "warmup_h=100"])
    (plain,) = run_scenarios([sc], replications=3)
    (serial,) = run_scenarios([sc], replications=3, hooks=(hangzhou_closed_in_spring,))
    with ProcessPoolExecutor(2) as pool:
        (parallel,) = run_scenarios([sc], replications=3, executor=pool, workers=2, hooks=(hangzhou_closed_in_spring,))
    assert replications_csv(parallel) == replications_csv(serial)
    # a thousand hours without Hangzhou's technicians: every replication's worst outage is longer
    for closed, open_ in zip(serial.column("restore_time_max_h"), plain.column("restore_time_max_h")):
        assert closed > open_


def test_chunks_of_the_replications_left() -> None:
    assert _chunks(10, 2) == [[0, 1], [2, 3], [4], [5], [6], [7], [8], [9]]
    assert _chunks([3, 7, 8], 4) == [[3], [7], [8]]
    assert _chunks([], 2) == []
