"""Statements and transactions per run of a burst, counted in-process (deterministic): DUE
workflows of the engine benchmark due at one instant, one ``Engine.tick`` with a notifier
that posts nowhere, every statement the database is sent counted (BEGIN too on SQLite).

python -m bench.statements_bench [--databases sqlite,postgresql] [--due 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine as Database
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import DATA_DIR, empty_database
from bench.engine_bench import _deals_type, _firing_specs, add_workflows, generate_deals
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.notifier import ActionMark, Message, Posted
from storage.database import session_factory

INSTANT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DEALS = 2_000
WORKFLOWS = 1_000


class PostingNowhere:
    """A notifier whose posts all succeed at once: only the engine's own work is counted."""

    def __init__(self) -> None:
        self.posts = 0

    def post(self, message: Message) -> Posted:
        self.posts += 1
        return Posted(message.channel, f"{self.posts}.000000")

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        return None


# Written by the set-up, half a minute before the instant.
BEFORE = INSTANT - timedelta(seconds=30)


@contextmanager
def burst_database(kind: str, due: int) -> Iterator[tuple[Database, sessionmaker[Session]]]:
    """An empty database of ``kind`` with DEALS deals and the engine benchmark's workflows,
    ``due`` of them due at INSTANT (WORKFLOWS at least in all)."""
    with empty_database(kind) as (engine, _url):
        sessions = session_factory(engine)
        generate_deals(engine, _deals_type(sessions, BEFORE), DEALS, BEFORE)
        others, firing = _firing_specs(max(due, WORKFLOWS), [due], [INSTANT], BEFORE)
        add_workflows(sessions, firing + others, BEFORE)
        yield engine, sessions


def count(kind: str, due: int) -> str:
    """One table row: statements and transactions per run, and the tick's seconds."""
    with burst_database(kind, due) as (engine, sessions):
        counted = {"statements": 0, "transactions": 0}

        def statement(*_: Any) -> None:
            counted["statements"] += 1

        def begin(*_: Any) -> None:
            counted["transactions"] += 1

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", begin)
        notifier = PostingNowhere()
        bot = Engine(sessions, FixedClock(INSTANT + timedelta(seconds=1)), lambda _t: notifier)
        started = time.perf_counter()
        runs = len(bot.tick())
        seconds = time.perf_counter() - started
    return (
        f"| {kind} | {runs:,} | {notifier.posts:,} | {counted['statements'] / runs:.1f} "
        f"| {counted['transactions'] / runs:.1f} | {seconds * 1000 / runs:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--due", type=int, default=200)
    args = parser.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    print("| database | runs | posts | statements per run | transactions per run | ms per run |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in args.databases.split(","):
        print(count(kind, args.due), flush=True)


if __name__ == "__main__":
    main()
