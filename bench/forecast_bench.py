"""Forecast benchmark: the forecast of a workflow's next 10 runs (one count per run, each at
its own instant) next to one count of the same criteria, on N generated deals, without and
with the indexes activating a workflow creates. Two workflows: one whose criteria hold a
relative date (each daily run resolves it to other bounds: 10 counts), one whose criteria
do not (every run counts alike: one count)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.data import CRITERIA, REFERENCE_DAY, write_deals
from bench.measure import median_seconds_interleaved, run_cli
from bot.workflows.forecast import forecast
from bot.workflows.lifecycle import CLI_ACTOR, save_workflow
from bot.workflows.records import count_matching, index_criteria_properties
from storage.database import session_factory, transaction, write_transaction
from storage.unit_of_work import UnitOfWork

TEAM = "TBENCH"
NOW = datetime.combine(REFERENCE_DAY, time(12, 0), tzinfo=UTC)
RUNS = 10
FIXED_CRITERIA = {
    "any": [
        {
            "all": [
                {"property": "stage", "operator": "eq", "value": "Contract_Sent"},
                {"property": "amount", "operator": "gte", "value": 5000},
                {"property": "close_date", "operator": "after", "value": "2026-08-09"},
            ]
        }
    ]
}
WORKFLOWS = {"relative date": CRITERIA, "no relative date": FIXED_CRITERIA}


@dataclass
class ForecastFigures:
    database: str
    rows: int
    # (workflow, indexes) -> (forecast seconds, one count seconds, counts of the runs)
    timings: dict[tuple[str, str], tuple[float, float, list[int]]] = field(default_factory=dict)


def _document(name: str, criteria: object) -> dict[str, Any]:
    return {
        "name": name,
        "object_type": "deals",
        # A draft: activating would create the criteria indexes, which come second here.
        "status": "draft",
        "owner": "U0BENCH",
        "schedule": {"frequency": "daily", "time": "09:00", "timezone": "UTC"},
        "criteria": criteria,
        "actions": [{"type": "send_channel_message", "channel": "C0BENCH", "text": "{{ name }}"}],
    }


def _forecast(sessions: sessionmaker[Session], name: str) -> list[int]:
    coming = forecast(UnitOfWork(sessions), TEAM, name, NOW, RUNS)
    return [run.matching or 0 for run in coming.runs]


def _one_count(sessions: sessionmaker[Session], criteria: object) -> int:
    with transaction(sessions) as session:
        return count_matching(session, TEAM, "deals", criteria, NOW)


def _time(figures: ForecastFigures, sessions: sessionmaker[Session], indexes: str) -> None:
    for name, criteria in WORKFLOWS.items():
        actions = {
            "forecast": lambda name=name: _forecast(sessions, name),
            "count": lambda criteria=criteria: _one_count(sessions, criteria),
        }
        counts = _forecast(sessions, name)
        timings = median_seconds_interleaved(actions, repeat=5)
        figures.timings[(name, indexes)] = (
            statistics.median(timings["forecast"]),
            statistics.median(timings["count"]),
            counts,
        )


def run(engine: Engine, database_url: str, rows: int, data_dir: Path) -> ForecastFigures:
    """Expects an empty, migrated database at ``database_url``."""
    figures = ForecastFigures(engine.dialect.name, rows)
    deals = write_deals(data_dir / f"deals-{rows}.csv", rows)
    run_cli(
        ["records", "import", str(deals), "--type", "deals", "--team", TEAM],
        {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "SLACK_TEAM_ID": TEAM},
    )
    sessions = session_factory(engine)
    with write_transaction(sessions) as session:
        for name, criteria in WORKFLOWS.items():
            save_workflow(session, TEAM, _document(name, criteria), CLI_ACTOR, "UTC", NOW)
    _time(figures, sessions, "no property index")
    # What activating a workflow does; it refreshes the statistics it needs itself.
    with write_transaction(sessions) as session:
        for criteria in WORKFLOWS.values():
            index_criteria_properties(session, TEAM, "deals", criteria)
    _time(figures, sessions, "criteria indexes")
    return figures


def print_figures(figures: ForecastFigures) -> None:
    print(f"\n## Forecast of {RUNS} runs on {figures.database}: {figures.rows:,} deals")
    print("| workflow | indexes | forecast ms | one count ms | x one count | records per run |")
    print("|---|---|---:|---:|---:|---|")
    for (name, indexes), (forecast_seconds, count, counts) in figures.timings.items():
        shown = f"{min(counts):,} to {max(counts):,}"
        print(
            f"| {name} | {indexes} | {forecast_seconds * 1000:.0f} | {count * 1000:.0f} | "
            f"{forecast_seconds / count:.2f} | {shown} |"
        )
