"""``python -m tests.engine.write_back_process DATABASE_URL HUBSPOT_URL INSTANT``: one bot
process that runs what is due at INSTANT (a fixed clock) against the database, writing back
to the HubSpot stand-in at HUBSPOT_URL; the crash test kills it in the middle."""

from __future__ import annotations

import io
import sys
from datetime import datetime

from bot.console_notifier import ConsoleNotifier
from bot.hubspot.portal import ClientPortal
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from storage.database import make_engine, session_factory
from tests.hubspot_standin import TOKEN


def main() -> None:
    database_url, hubspot_url, instant = sys.argv[1:4]
    engine = make_engine(database_url)
    notifier = ConsoleNotifier(io.StringIO())
    environment = {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_API_URL": hubspot_url}
    ran = Engine(
        session_factory(engine),
        FixedClock(datetime.fromisoformat(instant)),
        lambda _team: notifier,
        owner="process-doomed",
        environment=environment.get,
        portals=ClientPortal,
    ).tick()
    print(f"finished {ran}", flush=True)


if __name__ == "__main__":
    main()
