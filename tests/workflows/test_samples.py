from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.samples import install_sample
from storage.database import transaction
from storage.object_types import ObjectTypeRepository

START = datetime(2026, 11, 27, 9, 15, 30, tzinfo=UTC)


def test_the_sample_workflow_fires_at_the_coming_minute_and_prints_its_messages(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins("local", clock.now())
        installed = install_sample(session, "local", clock.now(), "Europe/Paris")
    assert installed is not None
    assert installed.runs_at == datetime(2026, 11, 27, 10, 16, tzinfo=installed.runs_at.tzinfo)
    assert installed.runs_at - START >= timedelta(seconds=20)

    printed = io.StringIO()
    engine = Engine(sessions, clock, lambda team: ConsoleNotifier(printed))
    assert engine.tick() == []  # not yet due
    clock.set(installed.runs_at.astimezone(UTC))
    (ran,) = engine.tick()
    assert ran[1] == "succeeded"
    output = printed.getvalue()
    assert "Acme renewal (<@U0SAMPLE1>) is still in contract: 12000 USD" in output
    assert "Umbrella &lt;Corp&gt; &amp; Co" in output
    assert "Globex" not in output  # qualified, not in contract
    assert "3 records enrolled" in output


def test_the_sample_is_not_installed_where_workflows_exist(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins("local", START)
        assert install_sample(session, "local", START, "UTC") is not None
    with transaction(sessions) as session:
        assert install_sample(session, "local", START, "UTC") is None
