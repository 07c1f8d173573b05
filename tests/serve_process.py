"""``workflow-bot serve`` as a real process on free ports, for the tests that start one. A port
found free can be taken by another process on the machine before serve binds it; a serve that
then says one of the ports chosen for it is in use is started again on fresh ports."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60
# Each attempt loses a race that is rare on its own: a few in a row mean something else
# holds the ports, and the test fails with what serve said.
ATTEMPTS = 4
LISTENING = "Listening on port"
_PORT_IN_USE = re.compile(r"port (\d+) is in use")


def free_port() -> int:
    """A port nothing listened on when asked: another process may take it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A serve process that said it listens, the ports chosen for it by variable, and what it
    printed so far."""

    process: subprocess.Popen[str]
    ports: Mapping[str, int]
    output: list[str]

    @property
    def port(self) -> int:
        return self.ports["PORT"]

    def read_until(self, text: str) -> None:
        """Reads the output on until a line holds ``text``."""
        if not _read(self.process, self.output, lambda line: text in line):
            printed = "".join(self.output)
            raise AssertionError(f"the process ended before printing {text!r}:\n{printed}")


@contextmanager
def serving(
    environment: Mapping[str, str], cwd: Path, *options: str, ports: Sequence[str] = ("PORT",)
) -> Iterator[Served]:
    """``workflow-bot serve *options`` with ``environment``, each of the variables ``ports``
    that it does not set on a free port, once the process says it listens. Killed at the end
    if it still runs."""
    output: list[str] = []
    for _ in range(ATTEMPTS):
        chosen = _free_ports(ports, environment)
        process = subprocess.Popen(
            _command(options),
            cwd=cwd,  # no developer .env is read
            env=_environment(environment, chosen),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = []
        try:
            if _read(process, output, lambda line: line.startswith(LISTENING)):
                yield Served(process, chosen, output)
                return
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=TIMEOUT)
        if not _took_chosen_port("".join(output), chosen):
            break
    pytest.fail("serve exited before listening:\n" + "".join(output))


def serve_to_exit(
    environment: Mapping[str, str], cwd: Path, *options: str, ports: Sequence[str] = ("PORT",)
) -> subprocess.CompletedProcess[str]:
    """``workflow-bot serve *options`` run to its end as :func:`serving` starts it, with a time
    limit: serving by mistake would otherwise never end."""
    for _ in range(ATTEMPTS):
        chosen = _free_ports(ports, environment)
        result = subprocess.run(
            _command(options),
            cwd=cwd,  # no developer .env is read
            env=_environment(environment, chosen),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if not _took_chosen_port(result.stderr, chosen):
            return result
    pytest.fail(f"serve found its ports in use {ATTEMPTS} times:\n{result.stderr}")


def _command(options: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", *options]


def _free_ports(variables: Sequence[str], environment: Mapping[str, str]) -> dict[str, int]:
    """A free port for each of ``variables`` the test does not set itself: a port the test
    chose (one it holds, say) is left as it is."""
    return {variable: free_port() for variable in variables if variable not in environment}


def _environment(environment: Mapping[str, str], ports: Mapping[str, int]) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",  # each line as it is printed
        **{variable: str(port) for variable, port in ports.items()},
        **environment,
    }


def _took_chosen_port(printed: str, ports: Mapping[str, int]) -> bool:
    """Whether serve said that one of the ports chosen for it is in use: another process
    took it between the probe and serve's own bind."""
    taken = {int(port) for port in _PORT_IN_USE.findall(printed)}
    return not taken.isdisjoint(ports.values())


def _read(process: subprocess.Popen[str], output: list[str], wanted: Callable[[str], bool]) -> bool:
    """Reads the process's output into ``output`` until a ``wanted`` line (True) or its end
    (False). The process says what it does: no polling, no clock. One that neither prints the
    line nor ends is killed after ``TIMEOUT`` seconds, so the test fails instead of hanging
    the suite."""
    assert process.stdout is not None
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            output.append(line)
            if wanted(line):
                return True
        return False
    finally:
        watchdog.cancel()
