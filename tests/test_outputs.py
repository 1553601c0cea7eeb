"""Output folders: the tool writes only its own files, atomically, with the user's permissions."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.folder import LIST_NAME, OutputError, write_folder

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "scenarios" / "example.yaml")
SHORT = ["-n", "2", "--set", "horizon_h=2000", "--set", "warmup_h=100", "-q"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sim(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, check=False, **kw)


def test_a_folder_the_tool_did_not_write_is_refused_and_left_alone(tmp_path: Path, capsys) -> None:
    """The issue's case: ``--out results`` where results/ holds the committed baseline."""
    results = tmp_path / "results"
    (results / "baseline").mkdir(parents=True)
    (results / "baseline" / "manifest.json").write_text("{}")
    (results / "notes.txt").write_text("mine")
    before = snapshot(results)
    assert main(["run", EXAMPLE, "--out", str(results), *SHORT]) == 2
    err = capsys.readouterr().err
    assert f"refusing to write into {results}/: it is not empty and sim did not write it" in err
    assert snapshot(results) == before and sorted(p.name for p in results.iterdir()) == ["baseline", "notes.txt"]
    # every verb that writes a folder goes through the same check
    for argv in (["compare", EXAMPLE, EXAMPLE], ["sweep", EXAMPLE, "--param", "open_depots", "--values", "1", "2"]):
        assert main([*argv, "--out", str(results), *SHORT]) == 2
        assert f"refusing to write into {results}/" in capsys.readouterr().err
    assert snapshot(results) == before


def test_out_dot_refused_when_not_empty_and_works_when_empty(tmp_path: Path, monkeypatch, capsys) -> None:
    busy, empty = tmp_path / "busy", tmp_path / "empty"
    busy.mkdir()
    empty.mkdir()
    (busy / "data.xlsx").write_bytes(b"precious")
    monkeypatch.chdir(busy)
    assert main(["run", EXAMPLE, "--out", ".", *SHORT]) == 2
    assert "refusing to write into ./" in capsys.readouterr().err
    assert sorted(os.listdir(busy)) == ["data.xlsx"]
    monkeypatch.chdir(empty)
    assert main(["run", EXAMPLE, "--out", ".", *SHORT]) == 0
    assert "summary.csv" in os.listdir(empty) and LIST_NAME in os.listdir(empty)
    assert main(["run", EXAMPLE, "--out", ".", *SHORT]) == 0  # a rerun replaces its own files


def test_rerun_replaces_only_its_own_files(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["compare", EXAMPLE, EXAMPLE, "--out", str(out), *SHORT]) == 0
    assert (out / "figures" / "map.png").is_file()
    (out / "my notes.md").write_text("what I concluded")
    (out / "figures" / "my_chart.png").write_bytes(b"PNG of mine")
    before = snapshot(out)
    # another command's results are not replaced: a typo in --out must not cost a report
    assert main(["run", EXAMPLE, "--out", str(out), *SHORT]) == 2
    assert f"refusing to write into {out}/: it holds the results of sim compare, which sim run would replace" in capsys.readouterr().err
    assert snapshot(out) == before
    assert main(["compare", EXAMPLE, EXAMPLE, "--out", str(out), *SHORT, "--seed", "7"]) == 0
    names = set(snapshot(out))
    assert {"comparison.csv", "figures/map.png", "manifest.json", LIST_NAME} <= names
    assert (out / "my notes.md").read_text() == "what I concluded"
    assert (out / "figures" / "my_chart.png").read_bytes() == b"PNG of mine"
    listed = json.loads((out / LIST_NAME).read_text())
    assert listed["status"] == "complete" and listed["command"] == "compare" and "my notes.md" not in listed["files"]
    assert json.loads((out / "manifest.json").read_text())["seed"] == 7


def test_the_regression_baseline_is_not_replaced_by_a_run(tmp_path: Path, capsys) -> None:
    """``sim run --out results/baseline`` (the issue's case one level down) leaves the baseline alone."""
    assert json.loads((ROOT / "results" / "baseline" / LIST_NAME).read_text())["command"] == "baseline"
    baseline = tmp_path / "baseline"
    write_folder(baseline, {"manifest.json": "{}\n", "example.csv": "kpi\n"}, command="baseline")
    before = snapshot(baseline)
    for argv in (["run", EXAMPLE], ["compare", EXAMPLE, EXAMPLE], ["sweep", EXAMPLE, "--param", "open_depots", "--values", "1", "2"]):
        assert main([*argv, "--out", str(baseline), *SHORT]) == 2
        assert "it holds the results of sim baseline" in capsys.readouterr().err
    assert snapshot(baseline) == before
    # a list from before commands were recorded is any command's
    legacy = tmp_path / "legacy"
    write_folder(legacy, {"a.csv": "a\n"})
    assert "command" not in json.loads((legacy / LIST_NAME).read_text())
    write_folder(legacy, {"b.csv": "b\n"}, command="run")
    assert sorted(os.listdir(legacy)) == ["b.csv", LIST_NAME]


def test_changed_or_foreign_files_are_not_overwritten(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", EXAMPLE, "--out", str(out), *SHORT]) == 0
    (out / "summary.csv").write_text("kpi,mean\nmy edit,1\n")
    before = snapshot(out)
    assert main(["run", EXAMPLE, "--out", str(out), *SHORT]) == 2
    assert f"{out / 'summary.csv'} was changed since sim wrote it" in capsys.readouterr().err
    assert snapshot(out) == before
    # a file of the user's with a name the tool would write
    out2 = tmp_path / "out2"
    assert main(["run", EXAMPLE, "--out", str(out2), *SHORT]) == 0
    listed = json.loads((out2 / LIST_NAME).read_text())
    del listed["files"]["scenario.yaml"]
    (out2 / LIST_NAME).write_text(json.dumps(listed))
    assert main(["run", EXAMPLE, "--out", str(out2), *SHORT]) == 2
    assert f"{out2 / 'scenario.yaml'} was not written by sim" in capsys.readouterr().err
    # a damaged list is not taken for one
    (out2 / LIST_NAME).write_text("not json")
    assert main(["run", EXAMPLE, "--out", str(out2), *SHORT]) == 2
    assert "is not a list of files sim wrote" in capsys.readouterr().err


def test_out_naming_a_file_is_refused(tmp_path: Path, capsys) -> None:
    target = tmp_path / "report.csv"
    target.write_text("mine")
    assert main(["run", EXAMPLE, "--out", str(target), *SHORT]) == 2
    assert f"{target} is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "mine"


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_and_folders_get_normal_permissions(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        out = tmp_path / "deep" / "out"
        write_folder(out, {"a.csv": "x\n", "figures/b.svg": b"<svg/>"})
    finally:
        os.umask(old)
    for path in (tmp_path / "deep", out, out / "figures"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~umask, path
    for path in (out / "a.csv", out / "figures" / "b.svg", out / LIST_NAME):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def test_read_only_folder_exits_2_naming_it(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes through file modes: use a folder the kernel keeps read-only
        target = Path("/sys/fs/sim-test-results")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "out"
    proc = sim("run", EXAMPLE, "--out", str(target), *SHORT, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and str(target) in proc.stderr and proc.stderr.startswith("error: ")
    assert not target.exists()


def test_full_disk_leaves_nothing_half_written_and_the_run_resumable(tmp_path: Path) -> None:
    """A real failing write: the file size limit (EFBIG) stops the summary file midway."""
    out = tmp_path / "out"

    def limit() -> None:  # larger than the checkpoint of 2 replications (~10.7 kB with per-place measures), smaller than summary.json
        resource.setrlimit(resource.RLIMIT_FSIZE, (11500, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    proc = sim("run", EXAMPLE, "--out", str(out), *SHORT, cwd=tmp_path, preexec_fn=limit)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"error: cannot write results to {out}/: File too large: {out / 'summary.json'}" in proc.stderr
    left = sorted(p.name for p in out.iterdir())
    assert left == ["checkpoint.jsonl", "manifest.json", LIST_NAME]  # no temporary file, no partial summary
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    assert main(["run", EXAMPLE, "--out", str(out), "--resume", *SHORT]) == 0
    assert main(["run", EXAMPLE, "--out", str(tmp_path / "whole"), *SHORT]) == 0
    for name in ("replications.csv", "summary.csv", "summary.json", "scenario.yaml"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_broken_pipe_exits_2_without_traceback(tmp_path: Path) -> None:
    """``sim run ... | head -1``: the reader is gone before sim prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", EXAMPLE, "--out", str(tmp_path / "out"), *SHORT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # what head does after its first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.strip() == "error: standard output was closed early (broken pipe); the rest of the printout was dropped"
    assert (tmp_path / "out" / "summary.csv").is_file()  # results are written before anything is printed


def test_write_folder_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    for bad in ("../escape.txt", "/etc/x", LIST_NAME, ""):
        with pytest.raises(ValueError):
            write_folder(tmp_path / "o", {bad: "x"})
    assert not (tmp_path / "o").exists() and not (tmp_path / "escape.txt").exists()



def test_a_write_cut_off_between_renames_leaves_files_the_next_run_recognises(tmp_path: Path, monkeypatch) -> None:
    """The list names the new files as pending before the renames: a crash in between blocks nothing."""
    from sim import folder

    out = tmp_path / "out"
    write_folder(out, {"a.csv": "old a\n", "b.csv": "old b\n", "gone.csv": "old\n"})
    real_replace = os.replace
    renamed: list[str] = []

    def replace(src, dst):  # type: ignore[no-untyped-def]
        if Path(dst).name == "b.csv":
            raise KeyboardInterrupt  # stands for a power cut after a.csv was renamed into place
        renamed.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(folder.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_folder(out, {"a.csv": "new a\n", "b.csv": "new b\n"})
    monkeypatch.undo()
    assert renamed == [LIST_NAME, "a.csv"]
    assert (out / "a.csv").read_text() == "new a\n" and (out / "b.csv").read_text() == "old b\n"
    listed = json.loads((out / LIST_NAME).read_text())
    assert set(listed["pending"]) == {"a.csv", "b.csv"} and "gone.csv" in listed["files"]
    # the next write accepts every file there as the tool's (old or new content) and cleans up
    assert len(list(out.glob(".b.csv.sim-tmp-*"))) == 1  # staged, never renamed
    (out / ".b.csv.sim-tmp-notours").write_text("a user's file that merely looks alike")
    write_folder(out, {"a.csv": "third\n"})
    assert sorted(p.name for p in out.iterdir()) == [".b.csv.sim-tmp-notours", "a.csv", LIST_NAME]
    assert "pending" not in json.loads((out / LIST_NAME).read_text())


def test_an_interrupt_while_staging_leaves_no_folder_or_file(tmp_path: Path, monkeypatch) -> None:
    from sim import folder

    real_stage = folder._stage

    def stage(path: Path, data: bytes) -> Path:
        if path.name == "late.svg":
            raise KeyboardInterrupt
        return real_stage(path, data)

    monkeypatch.setattr(folder, "_stage", stage)
    write_folder(tmp_path / "out", {"a.csv": "a\n"})
    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        write_folder(tmp_path / "out", {"a.csv": "b\n", "figures/early.png": b"x", "figures/late.svg": b"y"})
    with pytest.raises(KeyboardInterrupt):
        write_folder(tmp_path / "new" / "deep", {"late.svg": b"y"})
    assert snapshot(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["out"]
    assert sorted(os.listdir(tmp_path / "out")) == ["a.csv", LIST_NAME]


def test_a_list_or_a_link_cannot_steer_the_tool_out_of_the_folder(tmp_path: Path, capsys) -> None:
    """A crafted sim-files.json naming ../x, or a sub-folder linked elsewhere: refused, nothing touched."""
    precious = tmp_path / "precious.txt"
    precious.write_text("thesis")
    out = tmp_path / "out"
    write_folder(out, {"a.csv": "a\n"})
    listed = json.loads((out / LIST_NAME).read_text())
    listed["files"]["../precious.txt"] = None  # "a working file, any content": would be removed as obsolete
    (out / LIST_NAME).write_text(json.dumps(listed))
    assert main(["run", EXAMPLE, "--out", str(out), *SHORT]) == 2
    assert "is not a list of files sim wrote" in capsys.readouterr().err
    assert precious.read_text() == "thesis"
    # a folder the tool writes into, replaced by a link to the user's folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "map.png").write_bytes(b"my map")
    out2 = tmp_path / "out2"
    write_folder(out2, {"figures/map.png": b"png"})
    (out2 / "figures" / "map.png").unlink()
    (out2 / "figures").rmdir()
    (out2 / "figures").symlink_to(elsewhere)
    with pytest.raises(OutputError, match=r"figures/map.png leads out of .*out2/ \(through a symbolic link\)"):
        write_folder(out2, {"figures/map.png": b"new png"})
    assert (elsewhere / "map.png").read_bytes() == b"my map"


def test_the_default_folder_of_a_run_stays_in_results(tmp_path: Path, monkeypatch, capsys) -> None:
    """A scenario name with slashes is one folder name under results/, not a path out of it."""
    text = Path(EXAMPLE).read_text().replace("name: example", "name: a/../../../escaped", 1)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "s.yaml").write_text(text)
    monkeypatch.chdir(tmp_path / "work")
    assert main(["run", "s.yaml", *SHORT]) == 0
    assert sorted(os.listdir(tmp_path)) == ["work"] and os.listdir(tmp_path / "work" / "results") == ["a_.._.._.._escaped"]
