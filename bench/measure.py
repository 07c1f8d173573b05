"""Timing and memory measurement shared by the benchmarks."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


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
    memory = PeakMemory(process.pid)
    assert process.stdout is not None
    output = process.stdout.read()
    peak_mb = memory.stop()
    process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"workflow-bot {' '.join(args)} failed:\n{output}")
    return ProcessRun(seconds, peak_mb, output)


def median_seconds_interleaved(
    actions: Mapping[str, Callable[[], object]], repeat: int = 7
) -> dict[str, list[float]]:
    """The wall times of ``repeat`` rounds that call each action once, after a warm-up round.

    Taking turns exposes every action to the same load: on a busy machine, timing one
    action's repeats and then the other's compares two different moments. Each round
    starts with the next action, so that none always runs in the caches its predecessor
    warmed (or cooled).
    """
    for action in actions.values():
        action()
    labels = list(actions)
    timings: dict[str, list[float]] = {label: [] for label in labels}
    for round_ in range(repeat):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            started = time.perf_counter()
            actions[label]()
            timings[label].append(time.perf_counter() - started)
    return timings


def median_seconds(action: Callable[[], object], repeat: int = 5) -> float:
    """The median wall time of ``repeat`` calls, after one warm-up call."""
    action()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (Linux /proc/stat: everything but idle
    and iowait), so that the difference of two readings is the machine's work between them."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    """The user and system CPU seconds of one process so far (Linux /proc/PID/stat)."""
    return _stat_cpu_seconds(Path(f"/proc/{pid}/stat").read_text())


def _stat_cpu_seconds(stat: str) -> float:
    # The command name (field 2) may hold spaces: the fields after it follow its last ")".
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def cpu_seconds_of(command: str) -> float:
    """The user and system CPU seconds so far of every process running ``command`` (its
    name in /proc/PID/stat: "postgres" is the database server and each of its connections);
    NaN when none runs here (a database on another host is not measured, not idle). A
    process that ends between two readings takes its seconds with it."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        if text[text.find("(") + 1 : text.rfind(")")] == command:
            total, found = total + _stat_cpu_seconds(text), True
    return total if found else math.nan


def rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident set and its peak so far, in MB (Linux /proc)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class PeakMemory:
    """Follows a child process's own peak resident set (VmHWM in /proc) until it exits.

    Not wait4's ru_maxrss: Linux carries the parent's high-water mark into a child across
    fork and exec, so a child of a 500 MB parent reports at least 500 MB there.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, args=(interval,), daemon=True)
        self._thread.start()

    def _follow(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.peak_mb = max(self.peak_mb, rss_mb(self.pid)[1])
            except (OSError, KeyError, IndexError, ValueError):
                return  # the process is gone (or a zombie without memory)
            self._stop.wait(interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb
