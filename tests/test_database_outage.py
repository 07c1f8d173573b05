"""While the database cannot be reached, the scheduler says so in one line when it starts,
one a minute while it lasts and one when it ends, with no traceback; a bug still logs its
traceback. The database is really cut off: PostgreSQL behind a TCP relay the test closes,
SQLite by moving its directory away."""

from __future__ import annotations

import contextlib
import logging
import select
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.database_outage import DatabaseOutage
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.slack.server import Health
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.lifecycle import CLI_ACTOR, request_run
from storage.database import make_engine, session_factory, write_transaction
from tests.engine.builders import NAME, TEAM, deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
TICK = timedelta(seconds=10)


class TcpRelay:
    """Forwards connections from a loopback port to ``target``; ``cut`` closes every relayed
    connection and refuses new ones (they are accepted and closed at once) until ``mend``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [], 0.5)
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    peers[end].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def cut(self) -> None:
        self.open = False
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            for end in (client, server):
                with contextlib.suppress(OSError):  # already closed by its peer
                    end.shutdown(socket.SHUT_RDWR)

    def mend(self) -> None:
        self.open = True

    def close(self) -> None:
        self.stopping.set()
        self.cut()
        self.listener.close()


class Cuttable:
    """The test's database behind something the test can take away and give back."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        url = make_url(database_url)
        self.relay: TcpRelay | None = None
        if url.get_backend_name() == "postgresql":
            self.relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
            url = url.set(host="127.0.0.1", port=self.relay.port)
        else:
            assert url.database is not None
            self.directory = tmp_path / "data"
            self.moved = tmp_path / "data-moved-away"
            self.directory.mkdir()
            shutil.copyfile(url.database, self.directory / "bot.db")
            url = url.set(database=str(self.directory / "bot.db"))
        self.engine = make_engine(url.render_as_string(hide_password=False), connect_timeout=2)
        self.sessions = session_factory(self.engine)

    def cut(self) -> None:
        if self.relay is not None:
            self.relay.cut()
        else:
            self.directory.rename(self.moved)
            # SQLite keeps its open files: connections opened from now on meet the gap.
            self.engine.dispose()

    def mend(self) -> None:
        if self.relay is not None:
            self.relay.mend()
        else:
            self.moved.rename(self.directory)

    def close(self) -> None:
        self.engine.dispose()
        if self.relay is not None:
            self.relay.close()


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[Cuttable]:
    cuttable = Cuttable(database_url, tmp_path)
    yield cuttable
    cuttable.close()


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in ("bot.database_outage", "bot.scheduler")]


def test_an_outage_is_told_when_it_starts_once_a_minute_and_when_it_ends(
    database: Cuttable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = FixedClock(NOW)
    outage = DatabaseOutage(database.sessions, clock)
    scheduler = Scheduler(
        Engine(database.sessions, clock, lambda _team: ConsoleNotifier()), clock, outage=outage
    )
    health = Health(database.sessions, clock, None, outage)
    scheduler.tick()
    assert outage_lines(caplog) == []

    database.cut()
    for _ in range(14):  # 2 min 20 s of safety ticks, with health checks between them
        scheduler.tick()
        assert health.report()[1]["database"] == "unreachable"
        clock.advance(TICK)
    database.mend()
    scheduler.tick()

    lines = outage_lines(caplog)
    messages = [record.getMessage() for record in lines]
    assert len(messages) == 4, messages
    assert messages[0].startswith("database unreachable: ")
    assert messages[1].startswith("database still unreachable for 1 min: ")
    assert messages[2].startswith("database still unreachable for 2 min: ")
    assert messages[3] == "database reachable again after 2 min 20 s"
    assert all(record.exc_info is None for record in lines), "an outage is no bug"
    fields = [(r.__dict__["database_outage"], r.__dict__["outage_seconds"]) for r in lines]
    assert fields == [("started", 0), ("ongoing", 60), ("ongoing", 120), ("ended", 140)]
    assert all("\n" not in message for message in messages)
    assert health.report()[0]
    assert scheduler.last_error is None


def test_metrics_scraped_during_an_outage_say_so_and_leave_the_run_age_out(
    database: Cuttable, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(NOW)
    metrics = Metrics(DatabaseOutage(database.sessions, clock))
    database.cut()
    during = gauges(metrics)
    database.mend()
    after = gauges(metrics)

    assert during == {"workflow_bot_database_reachable": 0}
    assert after == {
        "workflow_bot_database_reachable": 1,
        "workflow_bot_oldest_pending_run_age_seconds": 0,
    }
    messages = [record.getMessage() for record in outage_lines(caplog)]
    assert [m.split(":")[0] for m in messages] == [
        "database unreachable",
        "database reachable again after 0 s",
    ]


def gauges(metrics: Metrics) -> dict[str, float]:
    """The gauges of a scrape, read back with Prometheus's parser."""
    body = metrics.exposition()[1].decode()
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(body)
        if family.type == "gauge"
    }


def test_an_outage_line_names_no_statement_and_no_parameters(
    database: Cuttable, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(NOW)
    scheduler = Scheduler(Engine(database.sessions, clock, lambda _team: ConsoleNotifier()), clock)
    database.cut()
    scheduler.tick()
    [line] = outage_lines(caplog)
    assert "SELECT" not in line.getMessage() and "sqlalche.me" not in line.getMessage()


class Bug(Exception):
    """A programming error, not an outage."""


def test_a_bug_in_a_tick_is_still_logged_with_its_traceback(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(NOW)
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(), clock.now())
    with write_transaction(sessions) as session:
        request_run(session, TEAM, NAME, CLI_ACTOR, clock.now())

    def broken_notifier(_team: str) -> ConsoleNotifier:
        raise Bug("the notifier could not be built")

    scheduler = Scheduler(Engine(sessions, clock, broken_notifier), clock)
    scheduler.tick()

    # The run's own failure: logged by the batch with the run and its traceback, while the
    # tick goes on with the other runs (no "scheduler tick failed").
    [failure] = [r for r in caplog.records if r.exc_info is not None and r.exc_info[0] is Bug]
    assert failure.name == "bot.workflows.run_batch"
    assert "failed unexpectedly" in failure.getMessage()
    assert not [r for r in caplog.records if r.getMessage() == "scheduler tick failed"]
    assert not [r for r in caplog.records if r.name == "bot.database_outage"]
