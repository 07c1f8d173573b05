"""What engine tests set up and read back: deals imported from a file as a user would, workflow
documents saved through the lifecycle use case, and the rows a run leaves behind."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import CLI_ACTOR, Actor, Saved, save_workflow
from bot.workflows.record_import import ImportOptions, import_records
from bot.workflows.vocabulary import PropertyType
from storage.database import transaction
from storage.models import ActionResult, Enrollment, Record, Run, RunDigest, Workflow
from storage.object_types import ObjectTypeRepository

TEAM = "T1"
OWNER = "U0OWNER"
DEALS_CHANNEL = "C0DEALS"
SUMMARY_CHANNEL = "C0SUMMARY"
NAME = "Deal review"
DEAL_TYPES: Mapping[str, PropertyType] = {
    "stage": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "touched_at": PropertyType.DATETIME,
    "do_not_contact": PropertyType.BOOLEAN,
}
IN_CONTRACT = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": "contract"}]}]}
# Lines long enough for a digest of 400 records to take its parent and three replies.
LONG_LINE = "{{ name }} is in contract and waits for a look from the deal desk this week"


def deal(
    external_id: str, name: str | None = None, owner: str = "", **properties: Any
) -> dict[str, Any]:
    """A row of the deals file; properties default to a deal in contract."""
    return {
        "id": external_id,
        "name": name or f"Deal {external_id}",
        "owner": owner,
        "stage": "contract",
        **properties,
    }


def import_deals(
    sessions: sessionmaker[Session],
    deals: Sequence[Mapping[str, Any]],
    now: datetime,
    team: str = TEAM,
    type_name: str = "deals",
    property_types: Mapping[str, PropertyType] = DEAL_TYPES,
) -> None:
    """Imports ``deals`` from a CSV file into the team's deals (or the records of another
    built-in type, with other property types), creating the built-in types."""
    columns = list(dict.fromkeys(["id", "name", "owner", *(k for d in deals for k in d)]))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "deals.csv"
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, columns)
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in d.items()} for d in deals)
        types = {k: v for k, v in property_types.items() if k in columns}
        with transaction(sessions) as session:
            ObjectTypeRepository(session).ensure_built_ins(team, now)
            options = ImportOptions(type_name=type_name, property_types=types)
            report = import_records(session, team, path, options, now)
    assert report.rejected == 0, report.problems


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def daily(time: str, timezone: str = "UTC") -> dict[str, Any]:
    return {"frequency": "daily", "time": time, "timezone": timezone}


def channel_message(
    text: str = "{{ name }} is in contract", channel: str = DEALS_CHANNEL, mode: str | None = None
) -> dict[str, Any]:
    action = {"type": "send_channel_message", "channel": channel, "text": text}
    return action if mode is None else {**action, "mode": mode}


def workflow_document(
    *,
    name: str = NAME,
    schedule: Mapping[str, Any] | None = None,
    criteria: Mapping[str, Any] | None = None,
    actions: Sequence[Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An active deals workflow, daily at 09:00 UTC, messaging the deals in contract."""
    return {
        "name": name,
        "object_type": "deals",
        "status": "active",
        "owner": OWNER,
        "schedule": dict(schedule or daily("09:00")),
        "criteria": dict(IN_CONTRACT if criteria is None else criteria),
        "actions": [dict(a) for a in (actions or [channel_message()])],
        "settings": dict(settings or {}),
        **fields,
    }


def save(
    sessions: sessionmaker[Session],
    document: Mapping[str, Any],
    now: datetime,
    actor: Actor = CLI_ACTOR,
    team: str = TEAM,
) -> Saved:
    with transaction(sessions) as session:
        return save_workflow(session, team, document, actor, "UTC", now)


def save_long_digest(sessions: sessionmaker[Session], records: int, now: datetime) -> None:
    """``records`` deals, D0.. numbered as wide as ``records`` is (D000 for 400, D0000 for
    1,000), and the workflow listing them all in a digest of LONG_LINE lines."""
    width = len(str(records))
    import_deals(sessions, [deal(f"D{n:0{width}d}") for n in range(records)], now)
    save(sessions, workflow_document(actions=[channel_message(LONG_LINE, mode="digest")]), now)


# -- reading back -------------------------------------------------------------------------


def workflow(sessions: sessionmaker[Session], name: str = NAME) -> Workflow | None:
    with sessions() as session:
        return session.scalars(select(Workflow).where(Workflow.name == name)).one_or_none()


def kept_layouts(sessions: sessionmaker[Session]) -> set[tuple[int, int]]:
    """(run id, action index) of every digest layout kept (run_digests), of any action."""
    with sessions() as session:
        rows = session.execute(select(RunDigest.run_id, RunDigest.action_index))
        return {(run_id, action_index) for run_id, action_index in rows}


def kept_layout(sessions: sessionmaker[Session], run_id: int, index: int) -> list[str] | None:
    """The sections kept of the run's digest of action ``index``, of any action version."""
    with sessions() as session:
        query = select(RunDigest.sections).where(
            RunDigest.run_id == run_id, RunDigest.action_index == index
        )
        return session.scalars(query).one_or_none()


def runs(sessions: sessionmaker[Session]) -> list[Run]:
    """Every run, oldest occurrence first."""
    with sessions() as session:
        return list(session.scalars(select(Run).order_by(Run.scheduled_at, Run.id)))


def run(sessions: sessionmaker[Session], run_id: int) -> Run:
    with sessions() as session:
        found = session.get(Run, run_id)
        assert found is not None
        return found


def results(sessions: sessionmaker[Session], run_id: int) -> list[ActionResult]:
    with sessions() as session:
        query = select(ActionResult).where(ActionResult.run_id == run_id)
        return list(
            session.scalars(query.order_by(ActionResult.action_index, ActionResult.record_id))
        )


def enrollments(sessions: sessionmaker[Session], run_id: int) -> list[Enrollment]:
    with sessions() as session:
        query = select(Enrollment).where(Enrollment.run_id == run_id)
        return list(session.scalars(query.order_by(Enrollment.record_id)))


def record_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Deal external id -> record id."""
    with sessions() as session:
        return {
            external: id_
            for external, id_ in session.execute(select(Record.external_id, Record.id))
        }


def records_of_type(sessions: sessionmaker[Session], type_name: str) -> list[Record]:
    with sessions() as session:
        object_type = ObjectTypeRepository(session).find(TEAM, type_name)
        if object_type is None:
            return []
        query = select(Record).where(Record.object_type_id == object_type.id)
        return list(session.scalars(query.order_by(Record.id)))


def count_runs(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Run)) or 0
