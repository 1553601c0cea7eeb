"""Finished replications kept on disk as they finish, so that an interrupted run can be resumed.

``checkpoint.jsonl`` in the output folder: a header line naming the plan (per scenario: name,
scenario hash, seed, replications), then one line per finished replication with its exact
KPI row (floats in JSON's shortest round-trip form), its restore-time histogram and its
per-place measures (and, traced, its outage rows). Lines
are appended in completion order and flushed (to the disk itself at least once a second);
they are read back in replication order, so a resumed run returns exactly the rows an
uninterrupted one would. A line torn by a crash is dropped (that replication runs again).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim.folder import (
    INCOMPLETE,
    OutputError,
    claim,
    read_list,
    signals_held,
    write_file,
    write_folder,
)
from sim.runner import Outcome
from sim.scenario.loader import scenario_hash
from sim.scenario.schema import Scenario

NAME = "checkpoint.jsonl"
ERROR_LOG = "error.log"
FORMAT = 2  # 2: per-place measures (and traced outage rows) in each line
SYNC_EVERY_S = 1.0  # fsync the checkpoint at most this often (5 ms each on a busy disk)


@dataclass(frozen=True)
class Planned:
    """One scenario of a run as the checkpoint identifies it."""

    name: str
    scenario_hash: str
    seed: int
    replications: int


def plan_of(scenarios: Sequence[Scenario]) -> list[Planned]:
    """The plan of a run: every scenario with its own seed and replication count."""
    return [Planned(sc.name, scenario_hash(sc), sc.seed, sc.replications) for sc in scenarios]


def _plain(obj: Any) -> Any:
    """numpy scalars as Python numbers for JSON."""
    item = getattr(obj, "item", None)
    if item is None:
        raise TypeError(f"cannot store {type(obj).__name__} in a checkpoint")
    return item()


def _line(k: int, r: int, outcome: Outcome) -> str:
    row, hist, places = outcome
    line = {"s": k, "r": r, "kpis": row, "hist": [[b, c] for b, c in hist.items()], "places": places}
    return json.dumps(line, default=_plain) + "\n"


class Checkpoint:
    """The checkpoint of a run of ``sim command`` in folder ``out``."""

    def __init__(self, out: Path, plan: Sequence[Planned], command: str) -> None:
        self.out, self.plan, self.command = Path(out), list(plan), command
        self.path = self.out / NAME
        self.kept = 0
        self.synced = 0.0  # time.monotonic() of the last fsync

    def header(self) -> str:
        """The first line: format and plan."""
        return json.dumps({"checkpoint": FORMAT, "plan": [asdict(p) for p in self.plan]}) + "\n"

    def start(self, manifest_json: str) -> None:
        """Claim the folder for a new run: an incomplete manifest and an empty checkpoint.

        The previous run's files (the tool's own) are removed; refuses a folder that is not ours.
        """
        write_folder(
            self.out, {"manifest.json": manifest_json, NAME: self.header()},
            status=INCOMPLETE, working=(NAME, ERROR_LOG), command=self.command,
        )

    def resume(self) -> dict[tuple[int, int], Outcome]:
        """The replications the folder's checkpoint holds (raises OutputError when it cannot be resumed)."""
        listed = read_list(self.out) if self.out.is_dir() else None
        if listed is None or NAME not in listed.files or not self.path.is_file():
            if listed is not None and listed.status != INCOMPLETE:
                raise OutputError(f"{self.out}/ holds a finished run: nothing to resume (run without --resume to redo it)")
            raise OutputError(f"nothing to resume in {self.out}/: it holds no {NAME} of an interrupted run")
        claim(self.out, command=self.command)  # before the run, what the final write would refuse (a file changed since)
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        except (OSError, UnicodeDecodeError) as exc:
            raise OutputError(f"cannot read {self.path}: {exc}") from None
        if not lines or lines[0] != self.header():
            raise OutputError(
                f"{self.path} belongs to another run (other scenarios, seed or replications): "
                "give the same files and options as the interrupted run, or rerun without --resume"
            )
        done: dict[tuple[int, int], Outcome] = {}
        good = 1
        for i, text in enumerate(lines[1:], start=2):
            parsed = self._parse(text)
            if parsed is None:
                if i == len(lines):  # torn by a crash while being written: run that replication again
                    break
                raise OutputError(f"{self.path}:{i}: damaged line; rerun without --resume to start over")
            (k, r), outcome = parsed
            done.setdefault((k, r), outcome)
            good = i
        if good < len(lines):
            write_file(self.path, "".join(lines[:good]))
        self.kept = len(done)
        return done

    def _parse(self, text: str) -> tuple[tuple[int, int], Outcome] | None:
        if not text.endswith("\n"):
            return None
        try:
            data = json.loads(text)
            k, r = int(data["s"]), int(data["r"])
            row = {str(name): value for name, value in data["kpis"].items()}
            hist = {int(b): int(c) for b, c in data["hist"]}
            places = data["places"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not (0 <= k < len(self.plan) and 0 <= r < self.plan[k].replications):
            return None
        if not all(isinstance(v, (int, float)) for v in row.values()) or not isinstance(places, dict):
            return None
        return (k, r), (row, hist, places)

    def record(self, k: int, finished: Sequence[tuple[int, Outcome]]) -> None:
        """Append finished replications of scenario ``k`` and flush them to disk."""
        text = "".join(_line(k, r, outcome) for r, outcome in finished)
        with signals_held():  # an interrupt comes after the lines are on disk and counted
            try:
                # O_NOFOLLOW: a link put in the checkpoint's place does not lead the appends elsewhere
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
                with open(fd, "a", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                    fh.flush()  # in the OS's hands: survives the process being killed
                    if time.monotonic() - self.synced >= SYNC_EVERY_S:  # and on disk, against a power cut
                        os.fsync(fh.fileno())
                        self.synced = time.monotonic()
            except OSError as exc:
                raise OutputError(f"cannot save finished replications to {self.path}: {exc.strerror or exc}") from None
            self.kept += len(finished)

    def write_log(self, details: str) -> Path:
        """Write a failure's traceback to ``error.log`` in the folder; return its path."""
        path = self.out / ERROR_LOG
        write_file(path, details)
        return path
