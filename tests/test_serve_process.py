"""The tests' ``workflow-bot serve`` processes survive losing a free port to another process:
serve says the port is in use, and it is started again on a fresh one, a few times at most."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import serve_process
from tests.serve_process import ATTEMPTS, serve_to_exit, serving


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process took after it was found free."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.fixture
def scheduler_environment(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """A scheduler's: it listens on HEALTH_PORT only, without Slack."""
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    return {"DATABASE_URL": f"sqlite:///{path}"}


def test_a_serve_that_lost_its_port_is_started_again_on_a_fresh_one(
    monkeypatch: pytest.MonkeyPatch,
    scheduler_environment: dict[str, str],
    taken_port: int,
    tmp_path: Path,
) -> None:
    found = iter([taken_port])
    free_port = serve_process.free_port
    monkeypatch.setattr(serve_process, "free_port", lambda: next(found, None) or free_port())
    options = ("--role", "scheduler")
    with serving(scheduler_environment, tmp_path, *options, ports=["HEALTH_PORT"]) as served:
        port = served.ports["HEALTH_PORT"]
        assert port != taken_port
        assert served.output[-1].startswith(f"Listening on port {port} ")
        assert "is in use" not in "".join(served.output)  # what the last attempt said


def test_a_serve_whose_ports_stay_taken_fails_with_what_it_said(
    monkeypatch: pytest.MonkeyPatch,
    scheduler_environment: dict[str, str],
    taken_port: int,
    tmp_path: Path,
) -> None:
    asked: list[int] = []

    def always_taken() -> int:
        asked.append(taken_port)
        return taken_port

    monkeypatch.setattr(serve_process, "free_port", always_taken)
    with pytest.raises(pytest.fail.Exception) as failed:
        serve_to_exit(scheduler_environment, tmp_path, "--role", "scheduler", ports=["HEALTH_PORT"])
    assert f"port {taken_port} is in use" in str(failed.value)
    assert len(asked) == ATTEMPTS
