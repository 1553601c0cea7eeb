"""One memory case in its own process: ``python -m bench.memcase SCALE [--trace]``.

Runs one replication of the reference workload with ``SCALE`` × its demands and prints a
JSON line with the resident set size just before the run and the peak during the run.
On Linux the peak is reset right before the run (``/proc/self/clear_refs``, then
``VmHWM``), so imports and scenario loading do not hide what the run itself adds;
elsewhere it falls back to ``resource.getrusage`` (peak since the process started).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import time
from pathlib import Path

from bench.workload import REFERENCE_DEMANDS, scenario
from sim.build import build
from sim.runner import replicate

STATUS = Path("/proc/self/status")


def _status_kb(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def reset_peak() -> bool:
    """Reset the peak resident set size to the current one (Linux); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") is not None


def rss_kb() -> int:
    """Current resident set size, kilobytes (peak so far where the current one is unknown)."""
    now = _status_kb("VmRSS")
    return now if now is not None else int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_kb(reset: bool) -> int:
    """Peak resident set size since the reset (or since the start), kilobytes."""
    hwm = _status_kb("VmHWM") if reset else None
    return hwm if hwm is not None else int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("scale", type=float, help="multiple of the reference horizon (and demands)")
    p.add_argument("--trace", action="store_true", help="keep the event trace")
    args = p.parse_args()
    sc = scenario(10, REFERENCE_DEMANDS * args.scale, trace=args.trace)
    net = build(sc)
    gc.collect()
    reset = reset_peak()
    before = rss_kb()
    t0 = time.perf_counter()
    ((kpis, *_),) = replicate(net, sc.seed, [0])  # (KPI row, histogram, per-place measures)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "scale": args.scale,
                "trace": args.trace,
                "demands": kpis["part_demands"],
                "rss_before_kb": before,
                "peak_during_kb": peak_kb(reset),
                "peak_reset": reset,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
