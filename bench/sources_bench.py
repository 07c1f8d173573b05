"""SQL source benchmark: a full sync of N rows from a PostgreSQL table into an empty store
(rows/s and the sync process's own peak RSS), and a re-sync of the same rows with 1% changed,
next to a plain SELECT of the table plus the upserts of the changed rows, measured in turns
under the same load."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text

from bench.databases import POSTGRES_SERVER
from bench.measure import run_cli
from bot.workflows.clock import SystemClock
from bot.workflows.sources import sync_source
from storage.database import session_factory, transaction
from storage.object_types import ObjectTypeRepository
from storage.properties import folded_copy
from storage.records import RecordRepository, RecordUpdate

TEAM = "TBENCH"
CHANGED_SHARE = 100  # one row in a hundred changes between syncs
ROUNDS = 5
QUERY = "SELECT id, name, owner, stage, amount, close_date, region, hot FROM deals"
# The deals of bench/data.py, made by the server: 5 stages, amounts 0-9999, a year of close
# dates, 6 regions, 10% hot, 80% with an owner.
FILL = """
INSERT INTO deals
SELECT 'D-' || g, 'Deal ' || g || ' ' || (ARRAY['North','South','East','West','Central',
         'Overseas'])[1 + (g * 7) % 6],
       CASE WHEN g % 5 < 4 THEN 'U' || lpad((g % 10000)::text, 5, '0') END,
       (ARRAY['appointment','qualified','presentation','contract_sent','closed_won'])[1 + g % 5],
       (g::bigint * 7919) % 10000,
       DATE '2026-11-27' - (g % 365),
       (ARRAY['north','south','east','west','central','overseas'])[1 + (g * 11) % 6],
       g % 10 = 0
FROM generate_series(0, :rows - 1) AS g
"""
CREATE = """
CREATE TABLE deals (id text PRIMARY KEY, name text, owner text, stage text, amount integer,
                    close_date date, region text, hot boolean)
"""
# Flips the amount of every hundredth deal: even rounds add one, odd rounds take it back.
CHANGE = "UPDATE deals SET amount = amount + :delta WHERE substr(id, 3)::int % 100 = 0"


@dataclass
class SourcesFigures:
    store: str
    rows: int
    full_seconds: float = 0.0
    full_peak_rss_mb: float = 0.0
    resync_peak_rss_mb: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=dict)

    @property
    def full_rows_per_second(self) -> float:
        return self.rows / self.full_seconds

    def median(self, label: str) -> float:
        return statistics.median(self.timings[label])


@contextmanager
def source_table(rows: int) -> Iterator[str]:
    """A PostgreSQL schema holding ``rows`` deals; yields its URL, dropped afterwards."""
    schema = f"bench_src_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    admin = create_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    source = create_engine(url)
    try:
        with source.begin() as connection:
            connection.execute(text(CREATE))
            connection.execute(text(FILL), {"rows": rows})
        with source.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE deals"))
        yield url
    finally:
        source.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _cli(args: list[str], store_url: str, source_url: str) -> tuple[float, float, str]:
    run = run_cli(
        [*args, "--team", TEAM],
        {"DATABASE_URL": store_url, "CRM_URL": source_url, "LOG_LEVEL": "WARNING"},
    )
    return run.seconds, run.peak_rss_mb, run.output


def _select(source_url: str) -> int:
    """The plain SELECT: every row of the table through SQLAlchemy's streaming results."""
    engine = create_engine(source_url)
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=2000).execute(
                text(QUERY)
            )
            return sum(len(partition) for partition in result.partitions(2000))
    finally:
        engine.dispose()


def _select_driver(source_url: str) -> int:
    """The same SELECT on psycopg's own server-side cursor, without SQLAlchemy's rows."""
    engine = create_engine(source_url)
    try:
        with engine.connect() as connection:
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            cursor = dbapi.cursor("bench")
            cursor.execute(QUERY)
            count = 0
            while batch := cursor.fetchmany(2000):
                count += len(batch)
            cursor.close()
            return count
    finally:
        engine.dispose()


def _changed_updates(store: Engine, type_id: int, rows: int) -> list[RecordUpdate]:
    """The stored form of the changed rows (prepared untimed): what their upserts write."""
    sessions = session_factory(store)
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session).property_types(type_id)
        records = RecordRepository(session)
        updates: list[RecordUpdate] = []
        changed = _changed_ids(rows)
        for start in range(0, len(changed), 2000):
            for stored in records.existing(type_id, changed[start : start + 2000]).values():
                amount = stored.properties["amount"]
                assert isinstance(amount, int)
                properties = {**stored.properties, "amount": amount + 1}
                updates.append(
                    RecordUpdate(
                        record_id=stored.id,
                        name=stored.name,
                        owner=stored.owner,
                        properties=properties,
                        folded=folded_copy(properties, types),
                        updated_at=datetime.now(UTC),
                    )
                )
        return updates


def _changed_ids(rows: int) -> list[str]:
    return [f"D-{n}" for n in range(0, rows, CHANGED_SHARE)]


def _upserts(store: Engine, type_id: int, updates: list[RecordUpdate]) -> None:
    """The upserts of the changed rows as an import writes them (a lookup by id, then the
    update), rolled back so that the store stays as the syncs left it."""
    sessions = session_factory(store)
    with sessions() as session, session.begin():
        records = RecordRepository(session)
        external = _changed_ids(len(updates) * CHANGED_SHARE)
        for start in range(0, len(external), 2000):
            records.existing(type_id, external[start : start + 2000])
        for start in range(0, len(updates), 2000):
            records.update_many(updates[start : start + 2000], datetime.now(UTC))
        session.rollback()


def run(kind: str, store: Engine, store_url: str, rows: int) -> SourcesFigures:
    """Expects an empty, migrated store at ``store_url``."""
    figures = SourcesFigures(kind, rows)
    with source_table(rows) as source_url:
        query = ["sources", "add", "sql", "crm", "--type", "deals", "--url-env", "CRM_URL"]
        _cli([*query, "--query", QUERY, "--id-column", "id"], store_url, source_url)
        seconds, peak, output = _cli(["sources", "sync", "crm"], store_url, source_url)
        if f"{rows:,} added" not in output:
            raise AssertionError(f"the full sync did not add every row: {output}")
        figures.full_seconds, figures.full_peak_rss_mb = seconds, peak
        _resync_in_a_process(figures, store_url, source_url)
        _interleaved(figures, store, source_url)
    return figures


def _change(source_url: str, delta: int) -> None:
    engine = create_engine(source_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(CHANGE), {"delta": delta})
    finally:
        engine.dispose()


def _resync_in_a_process(figures: SourcesFigures, store_url: str, source_url: str) -> None:
    _change(source_url, 1)
    _, figures.resync_peak_rss_mb, output = _cli(["sources", "sync", "crm"], store_url, source_url)
    expected = figures.rows // CHANGED_SHARE
    if f"{expected:,} changed" not in output:
        raise AssertionError(f"the re-sync did not change {expected} rows: {output}")


def _interleaved(figures: SourcesFigures, store: Engine, source_url: str) -> None:
    """Each round: the source changes 1% of its rows (untimed), then the re-sync, the plain
    SELECT, the SELECT on the driver's cursor and the upserts are timed one after another,
    each round starting with the next one."""
    sessions = session_factory(store)
    clock = SystemClock()
    with transaction(sessions) as session:
        source_id = session.execute(text("SELECT id FROM record_sources")).scalar_one()
        type_id = session.execute(text("SELECT object_type_id FROM record_sources")).scalar_one()

    def resync() -> None:
        outcome = sync_source(sessions, source_id, "bench", clock, {"CRM_URL": source_url}.get)
        assert outcome.report is not None, outcome.error
        assert outcome.report.changed == figures.rows // CHANGED_SHARE, outcome.report

    updates = _changed_updates(store, type_id, figures.rows)
    actions = {
        "re-sync": resync,
        "SELECT (SQLAlchemy)": lambda: _select(source_url),
        "SELECT (driver cursor)": lambda: _select_driver(source_url),
        "upserts of the changed rows": lambda: _upserts(store, type_id, updates),
    }
    figures.timings = {label: [] for label in actions}
    labels = list(actions)
    delta = -1  # the process re-sync added one
    for round_ in range(ROUNDS):
        _change(source_url, delta)
        delta = -delta
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            started = time.perf_counter()
            actions[label]()
            figures.timings[label].append(time.perf_counter() - started)


def print_figures(figures: SourcesFigures) -> None:
    print(f"\n## SQL source from PostgreSQL into {figures.store}: {figures.rows:,} rows")
    print(
        f"full sync into an empty store: {figures.full_rows_per_second:,.0f} rows/s "
        f"({figures.full_seconds:.1f} s, the process's peak RSS {figures.full_peak_rss_mb:.0f} MB)"
    )
    print(
        f"re-sync with 1% changed, in its own process: peak RSS {figures.resync_peak_rss_mb:.0f} MB"
    )
    select = figures.median("SELECT (SQLAlchemy)")
    driver = figures.median("SELECT (driver cursor)")
    upserts = figures.median("upserts of the changed rows")
    resync = figures.median("re-sync")
    print("| median of 5 rounds | s |")
    print("|---|---:|")
    for label in figures.timings:
        print(f"| {label} | {figures.median(label):.2f} |")
    print(
        f"re-sync / (SELECT + upserts): {resync / (select + upserts):.2f} "
        f"(with the driver's cursor as the SELECT: {resync / (driver + upserts):.2f})"
    )
