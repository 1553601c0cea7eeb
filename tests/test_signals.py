"""Interrupted runs keep what finished and resume to the same bytes; failing workers stop the run clearly.

The signals are sent for real to a ``sim`` subprocess once its checkpoint holds a finished
replication.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import runner
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "scenarios" / "example.yaml")
RESULT_FILES = ("replications.csv", "summary.csv", "summary.json", "scenario.yaml")


def records(checkpoint: Path) -> list[dict]:
    """The finished replications in a checkpoint file (complete lines after the header)."""
    if not checkpoint.is_file():
        return []
    lines = checkpoint.read_text().splitlines(keepends=True)[1:]
    return [json.loads(line) for line in lines if line.endswith("\n")]


def interrupt(args: list[str], out: Path, signum: int, cwd: Path) -> tuple[int, str]:
    """Start ``sim args``, send ``signum`` once a replication is on disk; (exit status, stderr).

    SIGINT goes to the whole process group, workers included, as Ctrl-C in a terminal does;
    SIGTERM to the main process only, as ``kill`` does.
    """
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, cwd=cwd, start_new_session=True)
    deadline = time.monotonic() + 120
    while not records(out / "checkpoint.jsonl"):
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    t0 = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 20  # stops promptly, does not finish the running chunks first
    return proc.returncode, err


def test_sigterm_keeps_finished_replications_and_resume_gives_the_same_bytes(tmp_path: Path) -> None:
    out, whole = tmp_path / "out", tmp_path / "whole"
    args = ["run", EXAMPLE, "-n", "30", "--out", str(out), "-q"]
    rc, err = interrupt(args, out, signal.SIGTERM, tmp_path)
    assert rc == 128 + signal.SIGTERM and "Traceback" not in err
    kept = records(out / "checkpoint.jsonl")
    assert 1 <= len(kept) < 30
    assert f"interrupted (SIGTERM): {len(kept)} of 30 replications kept in {out / 'checkpoint.jsonl'}" in err
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "incomplete" and man["command"] == "run" and man["checkpoint"] == "checkpoint.jsonl"
    assert man["scenarios"] == [{"name": "example", "seed": 20261124, "replications": 30}]
    assert json.loads((out / "sim-files.json").read_text())["status"] == "incomplete"
    assert not (out / "summary.csv").exists()
    # finished in two processes, from the checkpoint: the same bytes as one uninterrupted serial run
    assert main([*args, "--resume", "--jobs", "2"]) == 0
    assert main(["run", EXAMPLE, "-n", "30", "--out", str(whole), "-q"]) == 0
    for name in RESULT_FILES:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    assert not (out / "checkpoint.jsonl").exists()
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete" and man["resumed"] is True


def test_sigint_stops_a_parallel_sweep_quietly_and_resume_gives_the_same_bytes(tmp_path: Path) -> None:
    out, whole = tmp_path / "out", tmp_path / "whole"
    base = ["sweep", EXAMPLE, "--param", "open_depots", "--values", "1", "2", "-n", "16", "-q"]
    args = [*base, "--out", str(out)]
    rc, err = interrupt([*args, "--jobs", "2"], out, signal.SIGINT, tmp_path)
    assert rc == 128 + signal.SIGINT
    assert "Traceback" not in err and "KeyboardInterrupt" not in err  # workers leave Ctrl-C to the parent
    kept = records(out / "checkpoint.jsonl")
    assert 1 <= len(kept) < 32 and f"{len(kept)} of 32 replications kept" in err
    assert main([*args, "--resume"]) == 0
    assert main([*base, "--out", str(whole)]) == 0
    made = sorted(p.name for p in whole.iterdir())
    assert made == sorted(p.name for p in out.iterdir())
    for name in made:
        if name not in ("manifest.json", "sim-files.json"):
            assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_resume_refuses_what_it_cannot_finish(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    base = ["run", EXAMPLE, "--set", "horizon_h=2000", "--set", "warmup_h=100", "-q"]
    args = [*base, "-n", "3", "--out", str(out)]
    assert main([*args, "--resume"]) == 2
    assert f"nothing to resume in {out}/" in capsys.readouterr().err
    assert main(args) == 0
    assert main([*args, "--resume"]) == 2
    assert f"{out}/ holds a finished run: nothing to resume" in capsys.readouterr().err
    # an interrupted run resumed with other options
    checkpoint = out / "checkpoint.jsonl"
    import sim.checkpoint as ck

    def stop_after_first(self, k, finished):  # type: ignore[no-untyped-def]
        real_record(self, k, finished)
        raise KeyboardInterrupt

    real_record = ck.Checkpoint.record
    mp = pytest.MonkeyPatch()
    mp.setattr(ck.Checkpoint, "record", stop_after_first)
    try:
        assert main(args) == 130
    finally:
        mp.undo()
    assert len(records(checkpoint)) == 1 and '"replications": 3' in checkpoint.read_text().splitlines()[0]
    capsys.readouterr()
    assert main([*base, "-n", "4", "--out", str(out), "--resume"]) == 2
    assert "belongs to another run" in capsys.readouterr().err
    # a line torn by a crash is dropped and its replication run again
    with checkpoint.open("a") as fh:
        fh.write('{"s": 0, "r": 1, "kpis": {"avail')
    assert main([*args, "--resume"]) == 0
    assert main([*base, "-n", "3", "--out", str(tmp_path / "whole")]) == 0
    for name in RESULT_FILES:
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def fail_on_replication_3(net, seed, replications, hooks=()):  # type: ignore[no-untyped-def]
    """replicate(), except that replication 3 raises (the workers inherit it by fork)."""
    if 3 in replications:
        raise RuntimeError("injected failure in the model")
    return REAL_REPLICATE(net, seed, replications, hooks)


def die_on_replication_3(net, seed, replications, hooks=()):  # type: ignore[no-untyped-def]
    """replicate(), except that the process running replication 3 dies at once."""
    if 3 in replications:
        os._exit(9)
    return REAL_REPLICATE(net, seed, replications, hooks)


REAL_REPLICATE = runner.replicate
SHORT = ["-n", "8", "--set", "horizon_h=2000", "--set", "warmup_h=100", "-q"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_replication_stops_the_run_with_one_line_and_a_log(tmp_path: Path, monkeypatch, capsys, jobs: str) -> None:
    assert multiprocessing.get_start_method() == "fork"  # the workers inherit the patched replicate()
    monkeypatch.setattr(runner, "replicate", fail_on_replication_3)
    out = tmp_path / "out"
    t0 = time.monotonic()
    assert main(["run", EXAMPLE, *SHORT, "--jobs", jobs, "--out", str(out)]) == 2
    assert time.monotonic() - t0 < 60
    err = capsys.readouterr().err
    log = out / "error.log"
    assert err == (
        "error: scenario 'example', replication 3 failed: RuntimeError: injected failure in the model; "
        f"traceback in {log}\n"
    )
    text = log.read_text()
    assert text.startswith("Traceback (most recent call last):") and "fail_on_replication_3" in text
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    assert not (out / "summary.csv").exists()  # no silent partial result
    assert 3 not in {r["r"] for r in records(out / "checkpoint.jsonl")}
    # once mended, --resume finishes it and the log goes
    monkeypatch.undo()
    assert main(["run", EXAMPLE, *SHORT, "--out", str(out), "--resume"]) == 0
    assert not log.exists() and (out / "summary.csv").is_file()


def test_a_worker_that_dies_stops_the_run(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(runner, "replicate", die_on_replication_3)
    t0 = time.monotonic()
    assert main(["run", EXAMPLE, *SHORT, "--jobs", "2", "--out", str(tmp_path / "out")]) == 2
    assert time.monotonic() - t0 < 60
    assert capsys.readouterr().err.startswith("error: a worker process died")


def test_failure_without_an_output_folder_goes_to_a_temporary_log(monkeypatch) -> None:
    """run_scenarios used directly (check, baseline): the message names a log file with the traceback."""
    from sim.commands.common import load

    monkeypatch.setattr(runner, "replicate", fail_on_replication_3)
    sc = load(EXAMPLE, ["horizon_h=2000", "warmup_h=100"])
    with pytest.raises(runner.ReplicationError, match=r"replication 3 failed: RuntimeError") as info:
        runner.run_scenarios([sc], replications=5)
    log = Path(str(info.value).rsplit("traceback in ", 1)[1])
    try:
        assert "injected failure in the model" in log.read_text()
    finally:
        log.unlink()


def test_compare_resumed_after_a_failure_writes_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    """compare keeps its checkpoint too: report, figures and tables equal an uninterrupted run's."""
    files = [EXAMPLE, str(ROOT / "tests" / "data" / "compare" / "dense.yaml")]
    out, whole = tmp_path / "out", tmp_path / "whole"
    monkeypatch.setattr(runner, "replicate", fail_on_replication_3)
    assert main(["compare", *files, *SHORT, "--out", str(out)]) == 2
    assert {(r["s"], r["r"]) for r in records(out / "checkpoint.jsonl")} == {(0, 0), (0, 1), (0, 2)}
    monkeypatch.undo()
    assert main(["compare", *files, *SHORT, "--out", str(out), "--resume", "--jobs", "2"]) == 0
    assert main(["compare", *files, *SHORT, "--out", str(whole)]) == 0
    made = sorted(str(p.relative_to(whole)) for p in whole.rglob("*") if p.is_file())
    assert made == sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    for name in made:
        if name not in ("manifest.json", "sim-files.json"):
            assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_ctrl_c_while_the_model_loads_is_quiet(tmp_path: Path) -> None:
    """Ctrl-C in the first second, while numpy, pydantic and the model are imported: no traceback.

    The interrupt is raised by an import hook the moment ``sim.build`` is imported, which is
    where a real Ctrl-C lands most often.
    """
    code = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sim.build':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from sim.cli import entry\n"
        f"sys.argv = ['sim', 'run', {EXAMPLE!r}, '--out', 'out']\n"
        "entry()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stderr) == (130, "interrupted (SIGINT)\n")
    assert not (tmp_path / "out").exists()


def test_ctrl_c_while_results_are_written_says_resume_writes_them(tmp_path: Path, monkeypatch, capsys) -> None:
    """Every replication has finished; the interrupt comes while figures and files are made."""
    from sim.commands import run as run_command
    from sim.commands import sweep as sweep_command

    out, whole = tmp_path / "out", tmp_path / "whole"
    args = ["run", EXAMPLE, "-n", "3", "--set", "horizon_h=2000", "--set", "warmup_h=100", "-q"]

    def interrupted(*a, **k):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, "run_files", interrupted)
    monkeypatch.setattr(sweep_command, "figure", interrupted)
    sweep = ["sweep", EXAMPLE, "--param", "open_depots", "--values", "1", "2", *args[2:]]
    for argv, folder in ((args, out), (sweep, tmp_path / "sweep")):
        assert main([*argv, "--out", str(folder)]) == 130
        note = f"every replication is kept in {folder / 'checkpoint.jsonl'}; run the same command with --resume to write the results"
        assert capsys.readouterr().err == f"interrupted (SIGINT): {note}\n"
    monkeypatch.undo()
    assert len(records(out / "checkpoint.jsonl")) == 3
    assert main([*args, "--out", str(out), "--resume"]) == 0
    assert main([*args, "--out", str(whole)]) == 0
    for name in RESULT_FILES:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_resume_refuses_at_once_a_folder_whose_files_changed(tmp_path: Path) -> None:
    """What the final write would refuse after the whole run is refused before it."""
    from sim.checkpoint import Checkpoint, plan_of
    from sim.folder import OutputError
    from sim.scenario.loader import load_scenario

    out = tmp_path / "out"
    checkpoint = Checkpoint(out, plan_of([load_scenario(Path(EXAMPLE))]), "run")
    checkpoint.start('{"status": "incomplete"}\n')
    assert Checkpoint(out, checkpoint.plan, "run").resume() == {}
    (out / "manifest.json").write_text("mine now\n")
    with pytest.raises(OutputError, match=r"manifest.json was changed since sim wrote it"):
        Checkpoint(out, checkpoint.plan, "run").resume()
