"""The progress display: a tqdm bar on a terminal, plain lines in a log (CI), nothing with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sim.cli import main
from sim.progress import BAR, LINES, OFF, Progress, mode_for

EXAMPLE = str(Path(__file__).resolve().parents[1] / "scenarios" / "example.yaml")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_mode_follows_the_stream_ci_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert mode_for(Terminal(), None) == BAR
    assert mode_for(io.StringIO(), None) == LINES
    assert mode_for(Terminal(), False) == OFF and mode_for(io.StringIO(), False) == OFF
    monkeypatch.setenv("CI", "true")
    assert mode_for(Terminal(), None) == LINES  # CI logs get plain lines even on a pseudo-terminal


def test_log_gets_one_plain_line_per_tenth_and_a_last_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = io.StringIO()
    p = Progress(20, "demo", stream=out)
    for _ in range(20):
        p.tick()
    p.close()
    p.close()  # closing twice reports once
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [ln.split(" replications")[0] for ln in lines] == [f"demo: {k}/20" for k in range(2, 21, 2)]
    assert lines[-1].startswith("demo: 20/20 replications (100%), ")


def test_interrupted_run_reports_what_it_finished() -> None:
    out = io.StringIO()
    p = Progress(10, "x", stream=out, enabled=True)
    p.tick(3)
    p.close()
    assert out.getvalue().splitlines()[-1].startswith("x: 3/10 replications (30%)")


def test_terminal_gets_a_tqdm_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    p = Progress(4, "demo", stream=out)
    for _ in range(4):
        p.tick()
    p.close()
    text = out.getvalue()
    assert "\r" in text and "4/4" in text and "demo" in text and "100%" in text


def test_quiet_prints_nothing_and_a_command_logs_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["run", EXAMPLE, "-n", "4", "--set", "horizon_h=1500", "--set", "warmup_h=100"]
    assert main([*args, "-q", "--out", str(tmp_path / "q")]) == 0
    assert "replications (" not in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "v")]) == 0
    err = capsys.readouterr().err
    assert "4/4 replications (100%)" in err and "\r" not in err
