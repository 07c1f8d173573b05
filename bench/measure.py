"""Timing and memory measurement shared by the benchmarks."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    peak_rss_mb: float
    output: str


def run_cli(args: list[str], env: Mapping[str, str]) -> ProcessRun:
    """Runs ``workflow-bot ARGS`` in a child process and reports its own peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    # wait4 gives the resource usage of this child alone, not of every child so far.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"workflow-bot {' '.join(args)} failed:\n{output}")
    return ProcessRun(seconds, usage.ru_maxrss / 1024, output)


def median_seconds(action: Callable[[], object], repeat: int = 5) -> float:
    """The median wall time of ``repeat`` calls, after one warm-up call."""
    action()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)
