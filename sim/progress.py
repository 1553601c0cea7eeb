"""Progress of a run, one tick per finished replication.

On a terminal a tqdm bar (count, rate, time left); in a log (not a terminal, or ``CI`` set)
plain one-line reports, one per tenth of the run and one at the end, so that CI logs show
progress without carriage returns; nothing when disabled (``--quiet``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from tqdm import tqdm

BAR = "bar"
LINES = "lines"
OFF = "off"


def mode_for(stream: TextIO, enabled: bool | None) -> str:
    """How to show progress on ``stream``: ``enabled`` False is off; True or None pick by the stream."""
    if enabled is False:
        return OFF
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return BAR if tty and not os.environ.get("CI") else LINES


class Progress:
    """Counts finished replications out of ``total`` and shows them (see the module)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream if stream is not None else sys.stderr
        self.mode = mode_for(self.stream, enabled)
        self.enabled = self.mode != OFF
        self.t0 = time.perf_counter()
        self._tenths = 0  # tenths of the run already reported (lines mode)
        self._bar: tqdm | None = None
        if self.mode == BAR:
            self._bar = tqdm(total=total, desc=label or None, unit="replication", file=self.stream,
                             dynamic_ncols=True, leave=True, smoothing=0.1)

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more finished replications."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.mode == LINES and self.total > 0:
            tenths = min(10, 10 * self.done // self.total)
            if tenths > self._tenths and self.done < self.total:
                self._tenths = tenths
                self._line()

    def _line(self) -> None:
        el = time.perf_counter() - self.t0
        name = f"{self.label}: " if self.label else ""
        pct = 100 * self.done / self.total if self.total else 100.0
        self.stream.write(f"{name}{self.done}/{self.total} replications ({pct:.0f}%), {el:.1f} s\n")
        self.stream.flush()

    def close(self) -> None:
        """End the display: close the bar, or report the final count."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == LINES and self.done and self._tenths < 11:
            self._tenths = 11
            self._line()
