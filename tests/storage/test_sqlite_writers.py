"""SQLite: processes writing one database file at the same moment wait for each other.

A transaction that read and then writes cannot wait for the write lock: once another writer
has committed, its snapshot is stale and SQLite answers "database is locked" at once,
whatever the busy timeout. Writing transactions therefore take the write lock at their
start (BEGIN IMMEDIATE), where SQLite does wait; reading ones do not take it.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunStatus
from bot.workflows.workspaces import LOCAL_TEAM
from storage.database import make_engine, session_factory, transaction, write_transaction
from storage.models import Record, Run, Workflow
from tests.engine.builders import daily, deal, import_deals, save, workflow_document

ROOT = Path(__file__).resolve().parents[2]
IMPORTED = 5_000
# Longer than the 2.5 s after which a loser gave up before, well within the 30 s timeout.
HELD_FOR_S = 3.0


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "workflow-bot.db"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def engine(database: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{database}")
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def test_a_write_transaction_begins_immediate_and_a_read_transaction_deferred(
    sessions: sessionmaker[Session], database: Path
) -> None:
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    with write_transaction(sessions) as session:
        session.execute(text("SELECT 1"))  # a read only, yet the write lock is taken
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        other.execute("BEGIN IMMEDIATE")  # a reader leaves the write lock free
        other.execute("ROLLBACK")
    other.close()


def test_an_import_a_manual_run_and_a_scheduled_run_at_once_all_succeed(
    sessions: sessionmaker[Session], database: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    import_deals(sessions, [deal(f"D-{n}") for n in range(20)], now, LOCAL_TEAM)
    save(sessions, workflow_document(name="Run by hand"), now, team=LOCAL_TEAM)
    # Saved ten minutes ago, daily at a time two minutes ago: its occurrence is due now.
    due = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    scheduled = workflow_document(name="Scheduled", schedule=daily(f"{due:%H:%M}"))
    save(sessions, scheduled, now - timedelta(minutes=10), team=LOCAL_TEAM)
    big = _deals_file(tmp_path / "big.csv", IMPORTED)

    # Another writer holds the lock while the three start, then commits: before, each of
    # them had read by then and failed at once at its first write.
    holder = sqlite3.connect(database, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE workflows SET updated_at = updated_at")
    started = [
        _cli(database, tmp_path, "records", "import", str(big), "--type", "deals"),
        _cli(database, tmp_path, "workflows", "run", "Run by hand"),
        _cli(database, tmp_path, "serve", "--once"),
    ]
    _until_all_opened(database, started)
    deadline = time.monotonic() + HELD_FOR_S
    while time.monotonic() < deadline:  # nobody gives up while the lock is held
        assert all(process.poll() is None for process in started), _outputs(started)
        time.sleep(0.1)
    holder.execute("COMMIT")
    holder.close()

    outputs = [process.communicate(timeout=120) for process in started]
    for process, (out, err) in zip(started, outputs, strict=True):
        assert process.returncode == 0, f"{process.args!r}\n{out}\n{err}"
        assert "locked" not in out + err  # nor a write after a read without the lock
    assert f"created {IMPORTED}," in outputs[0][0]
    assert "succeeded" in outputs[1][0]
    assert "Ran 1 run that was due." in outputs[2][0]
    with transaction(sessions) as session:
        runs = session.execute(
            select(Workflow.name, Run.source, Run.status).join(Workflow).order_by(Workflow.name)
        ).all()
        records = session.scalar(select(text("count(*)")).select_from(Record))
    assert [tuple(run) for run in runs] == [
        ("Run by hand", "manual", RunStatus.SUCCEEDED.value),
        ("Scheduled", "schedule", RunStatus.SUCCEEDED.value),
    ]
    assert records == 20 + IMPORTED


def _deals_file(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "name", "stage", "amount"])
        writer.writerows([f"B-{n}", f"Big {n}", "qualified", n] for n in range(count))
    return path


def _cli(database: Path, folder: Path, *args: str) -> subprocess.Popen[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,  # no developer .env is read
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until_all_opened(database: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Waits until every process has the database file open (it is at its first
    transaction then), failing early if one exits first."""
    waiting = {process.pid: process for process in processes}
    deadline = time.monotonic() + 60
    while waiting:
        assert time.monotonic() < deadline, "the processes never opened the database"
        for pid, process in list(waiting.items()):
            assert process.poll() is None, _outputs(processes)
            if _has_open(pid, database):
                del waiting[pid]
        time.sleep(0.05)


def _has_open(pid: int, database: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(database) for fd in folder.iterdir())
    except OSError:  # the process is between states, or a descriptor closed meanwhile
        return False


def _outputs(processes: list[subprocess.Popen[str]]) -> str:
    ended = [p for p in processes if p.poll() is not None]
    return "\n".join(f"{p.args!r} exited {p.returncode}: {p.communicate()}" for p in ended)
