"""Records benchmark: CSV import speed and memory, and criteria counts next to hand-written
SQL over the same JSON (baseline a) and a typed table with one indexed column per property
(baseline b), on one database, in one run; and a count whose date filter is relative
("more than 255 days ago", resolved at the instant of evaluation) next to the same query
written by hand."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.data import CRITERIA, REFERENCE_DAY, write_deals
from bench.measure import median_seconds_interleaved, run_cli
from bot.workflows.clock import SystemClock
from bot.workflows.record_import import ImportOptions, import_records
from bot.workflows.records import count_matching, index_criteria_properties
from storage.database import session_factory, transaction, write_transaction
from storage.object_types import ObjectTypeRepository
from storage.record_versions import RecordVersions

TEAM = "TBENCH"
NOW = datetime.combine(REFERENCE_DAY, time(12, 0), tzinfo=UTC)
LOW_DATE = (REFERENCE_DAY - timedelta(days=109)).isoformat()
HIGH_DATE = REFERENCE_DAY.isoformat()

# stage eq (1/5) AND amount >= 5000 (1/2) AND close_date more than 255 days ago (109 of 365
# days): 3% of the records, as CRITERIA, but the date is relative to the day of evaluation.
RELATIVE_CRITERIA = {
    "any": [
        {
            "all": [
                {"property": "stage", "operator": "eq", "value": "Contract_Sent"},
                {"property": "amount", "operator": "gte", "value": 5000},
                {"property": "close_date", "operator": "more_than_days_ago", "value": 255},
            ]
        }
    ]
}
# What "more than 255 days ago" means on REFERENCE_DAY: a close date before this one.
BEFORE_DATE = (REFERENCE_DAY - timedelta(days=255)).isoformat()

# Written as count_matching counts: the live records of the type (a removed record keeps its
# row, with deleted_at set), then the filters.
HAND_WRITTEN = {
    "sqlite": """
        SELECT count(*) FROM records
        WHERE object_type_id = :type_id AND deleted_at IS NULL
          AND json_extract(folded, '$.stage') = :stage
          AND json_extract(properties, '$.amount') >= :amount
          AND json_extract(properties, '$.close_date') BETWEEN :low AND :high""",
    "postgresql": """
        SELECT count(*) FROM records
        WHERE object_type_id = :type_id AND deleted_at IS NULL
          AND folded ->> 'stage' = :stage
          AND (properties ->> 'amount')::double precision >= :amount
          AND (properties ->> 'close_date') COLLATE "C" BETWEEN :low AND :high""",
}
TYPED_TABLE = {
    "sqlite": """
        CREATE TABLE bench_typed AS SELECT id,
          json_extract(folded, '$.stage') AS stage,
          CAST(json_extract(properties, '$.amount') AS REAL) AS amount,
          json_extract(properties, '$.close_date') AS close_date
        FROM records WHERE object_type_id = :type_id""",
    "postgresql": """
        CREATE TABLE bench_typed AS SELECT id,
          folded ->> 'stage' AS stage,
          (properties ->> 'amount')::double precision AS amount,
          (properties ->> 'close_date')::date AS close_date
        FROM records WHERE object_type_id = :type_id""",
}
HAND_WRITTEN_RELATIVE = {
    "sqlite": """
        SELECT count(*) FROM records
        WHERE object_type_id = :type_id AND deleted_at IS NULL
          AND json_extract(folded, '$.stage') = :stage
          AND json_extract(properties, '$.amount') >= :amount
          AND json_extract(properties, '$.close_date') < :before""",
    "postgresql": """
        SELECT count(*) FROM records
        WHERE object_type_id = :type_id AND deleted_at IS NULL
          AND folded ->> 'stage' = :stage
          AND (properties ->> 'amount')::double precision >= :amount
          AND (properties ->> 'close_date') COLLATE "C" < :before""",
}
RELATIVE_PARAMETERS = {"stage": "contract_sent", "amount": 5000, "before": BEFORE_DATE}
TYPED_COUNT = """
    SELECT count(*) FROM bench_typed
    WHERE stage = :stage AND amount >= :amount AND close_date BETWEEN :low AND :high"""
TYPED_LABEL = "typed table, indexed columns"
PARAMETERS = {"stage": "contract_sent", "amount": 5000, "low": LOW_DATE, "high": HIGH_DATE}


@dataclass
class RecordsFigures:
    database: str
    rows: int
    import_seconds: float = 0.0
    import_peak_rss_mb: float = 0.0
    matched: int = 0
    relative_matched: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    write_rows_per_second: dict[str, float] = field(default_factory=dict)

    @property
    def import_rows_per_second(self) -> float:
        return self.rows / self.import_seconds


def _import(csv_path: Path, database_url: str) -> tuple[float, float, int]:
    run = run_cli(
        ["records", "import", str(csv_path), "--type", "deals", "--team", TEAM],
        # The bench's workspace, as a bot token's team would make it (refused otherwise).
        {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "SLACK_TEAM_ID": TEAM},
    )
    created = int(run.output.split("created ")[1].split(",")[0])
    return run.seconds, run.peak_rss_mb, created


def _type_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM object_types WHERE team_id = :team AND name = 'deals'"),
                {"team": TEAM},
            ).scalar_one()
        )


def _our_count(sessions: sessionmaker[Session], criteria: object = CRITERIA) -> int:
    with transaction(sessions) as session:
        return count_matching(session, TEAM, "deals", criteria, NOW)


def _scalar(engine: Engine, sql: str, parameters: dict[str, object]) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), parameters).scalar_one())


def _analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _build_typed_table(engine: Engine, type_id: int) -> None:
    dialect = engine.dialect.name
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_typed"))
        connection.execute(text(TYPED_TABLE[dialect]), {"type_id": type_id})
        for column in ("stage", "amount", "close_date"):
            connection.execute(text(f"CREATE INDEX bench_typed_{column} ON bench_typed ({column})"))
    _analyze(engine)


def _time_counts(engine: Engine, figures: RecordsFigures, type_id: int, label: str) -> None:
    dialect = engine.dialect.name
    hand = {**PARAMETERS, "type_id": type_id}
    # One session factory, as the CLI and the bot have: building one costs a new class.
    sessions = session_factory(engine)
    actions = {
        "ours": lambda: _our_count(sessions),
        "hand": lambda: _scalar(engine, HAND_WRITTEN[dialect], hand),
        "typed": lambda: _scalar(engine, TYPED_COUNT, PARAMETERS),
    }
    counts = {name: action() for name, action in actions.items()}
    if len(set(counts.values())) != 1:
        raise AssertionError(f"the three counts disagree: {counts}")
    figures.matched = counts["ours"]
    timings = median_seconds_interleaved(actions, repeat=11)
    # The typed table is counted in both rounds; the faster round's median is the baseline,
    # which never flatters the ratios.
    typed = statistics.median(timings["typed"])
    baseline = figures.timings.get(TYPED_LABEL, typed)
    figures.timings[TYPED_LABEL] = min(baseline, typed)
    figures.timings[f"ours {label}"] = statistics.median(timings["ours"])
    figures.timings[f"hand-written SQL {label}"] = statistics.median(timings["hand"])


def _time_relative_counts(
    engine: Engine, figures: RecordsFigures, type_id: int, label: str
) -> None:
    """The count with a relative date filter among three, and the same query by hand."""
    hand = {**RELATIVE_PARAMETERS, "type_id": type_id}
    sessions = session_factory(engine)
    actions = {
        "ours": lambda: _our_count(sessions, RELATIVE_CRITERIA),
        "hand": lambda: _scalar(engine, HAND_WRITTEN_RELATIVE[engine.dialect.name], hand),
    }
    counts = {name: action() for name, action in actions.items()}
    if len(set(counts.values())) != 1:
        raise AssertionError(f"the relative counts disagree: {counts}")
    figures.relative_matched = counts["ours"]
    timings = median_seconds_interleaved(actions, repeat=11)
    figures.timings[f"ours {label}"] = statistics.median(timings["ours"])
    figures.timings[f"hand-written SQL {label}"] = statistics.median(timings["hand"])


def run(engine: Engine, database_url: str, rows: int, data_dir: Path) -> RecordsFigures:
    """Expects an empty, migrated database at ``database_url``."""
    figures = RecordsFigures(engine.dialect.name, rows)
    main_file = write_deals(data_dir / f"deals-{rows}.csv", rows)
    batch = max(rows // 10, 1)
    before_file = write_deals(data_dir / f"deals-extra-a-{batch}.csv", batch, first_id=rows)
    after_file = write_deals(data_dir / f"deals-extra-b-{batch}.csv", batch, first_id=rows + batch)

    figures.import_seconds, figures.import_peak_rss_mb, created = _import(main_file, database_url)
    assert created == rows, f"imported {created} of {rows} rows"
    seconds, _, _ = _import(before_file, database_url)
    figures.write_rows_per_second["without property indexes"] = batch / seconds

    type_id = _type_id(engine)
    _build_typed_table(engine, type_id)
    _time_counts(engine, figures, type_id, "(no property index)")
    _time_relative_counts(engine, figures, type_id, "(relative date, no property index)")

    # What activating a workflow does; it refreshes the statistics it needs itself.
    with transaction(session_factory(engine)) as session:
        index_criteria_properties(session, TEAM, "deals", CRITERIA)
        index_criteria_properties(session, TEAM, "deals", RELATIVE_CRITERIA)
    _time_counts(engine, figures, type_id, "(property indexes)")
    _time_relative_counts(engine, figures, type_id, "(relative date, property indexes)")

    seconds, _, _ = _import(after_file, database_url)
    figures.write_rows_per_second["with property indexes"] = batch / seconds

    figures.write_rows_per_second.update(time_versions(engine, batch, data_dir))
    return figures


VERSIONED_TYPE = "deals_versions"
# Labels of the re-imports that change every row, with and without record versions.
VERSIONS_KEPT = "again, every row changed, values replaced kept"
VERSIONS_KEPT_AT_START = "again, every row changed, values replaced kept until the start"
VERSIONS_NOT_KEPT = "again, every row changed, values replaced not kept (baseline)"


def time_versions(engine: Engine, rows: int, data_dir: Path) -> dict[str, float]:
    """Re-imports of ``rows`` deals of their own type that change every row (two files
    with the same ids take turns), keeping the values they replace (record_versions) until
    the import commits (the product), until it started (before the versions were moved at
    commit), or not: the baseline skips that statement, all else equal, in this process,
    interleaved. Rows per second of each."""
    files = (
        write_deals(data_dir / f"deals-versions-a-{rows}.csv", rows, first_id=0, seed=11),
        write_deals(data_dir / f"deals-versions-b-{rows}.csv", rows, first_id=0, seed=12),
    )
    sessions = session_factory(engine)
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).create_custom(TEAM, VERSIONED_TYPE, datetime.now(UTC))
    turn = iter(itertools.cycle(files))
    options = ImportOptions(type_name=VERSIONED_TYPE)

    def reimport(stamped_at_commit: bool = True) -> None:
        # As the CLI imports: the versions are moved to the clock's instant before commit.
        clock = SystemClock() if stamped_at_commit else None
        with write_transaction(sessions) as session:
            report = import_records(session, TEAM, next(turn), options, datetime.now(UTC), clock)
        assert report.updated > 0, report.summary()

    def without_versions() -> None:
        keep = RecordVersions.keep
        RecordVersions.keep = lambda self, record_ids, now: None  # type: ignore[method-assign]
        try:
            reimport(stamped_at_commit=False)
        finally:
            RecordVersions.keep = keep  # type: ignore[method-assign]

    with write_transaction(sessions) as session:  # the records, before the timed updates
        import_records(session, TEAM, next(turn), options, datetime.now(UTC))
    timings = median_seconds_interleaved(
        {
            VERSIONS_KEPT: reimport,
            VERSIONS_KEPT_AT_START: lambda: reimport(stamped_at_commit=False),
            VERSIONS_NOT_KEPT: without_versions,
        },
        repeat=5,
    )
    return {label: rows / statistics.median(seconds) for label, seconds in timings.items()}
