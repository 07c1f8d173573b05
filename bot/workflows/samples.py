"""The sample records and workflow that a first `make run` installs into a brand-new
database, so a newcomer sees a scheduled run happen within a minute, without Slack; and their
removal, by `workflow-bot sample remove` or when a Slack workspace is connected.

The sample never meets real data: it goes only into a database with no record, no workflow
and no workspace of Slack's, which never had it before (it does not come back once removed);
what it installs is marked as the sample's, so removing it deletes exactly that."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.lifecycle import CLI_ACTOR, save_workflow
from bot.workflows.record_import import ImportOptions, import_records
from bot.workflows.workflow_files import load_workflows
from bot.workflows.workspaces import LOCAL_TEAM, adopt_local_workspace
from storage.object_types import ObjectTypeRepository
from storage.samples import SampleContents, SampleRepository
from storage.unit_of_work import UnitOfWork

SAMPLES = resources.files("bot.samples")
SAMPLE_TYPE = "deals"

__all__ = ["SampleContents", "SampleInstalled", "install_sample", "remove_sample"]


@dataclass(frozen=True)
class SampleInstalled:
    workflow_name: str
    record_count: int
    runs_at: datetime


def install_sample(
    session: Session, team_id: str, now: datetime, timezone: str
) -> SampleInstalled | None:
    """Imports the sample deals and workflow, due at the coming minute, into a brand-new
    database; None anywhere else (real data is never touched, and a Slack workspace never
    gets the sample)."""
    samples = SampleRepository(session)
    if team_id != LOCAL_TEAM or not samples.is_brand_new(team_id):
        return None
    deals_csv = SAMPLES.joinpath("deals.csv").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        deals = Path(folder) / "deals.csv"
        deals.write_bytes(deals_csv)
        import_records(session, team_id, deals, ImportOptions(type_name=SAMPLE_TYPE), now)
    (document,) = load_workflows(SAMPLES.joinpath("contract-reminders.yml").read_text("utf-8"))
    zone = ZoneInfo(timezone)
    # At least 20 s ahead, so the run is seen to come from the schedule, not from start-up.
    runs_at = (now + timedelta(seconds=80)).astimezone(zone).replace(second=0, microsecond=0)
    document["schedule"] = {
        "frequency": "once",
        "date": runs_at.date().isoformat(),
        "time": f"{runs_at:%H:%M}",
        "timezone": timezone,
    }
    saved = save_workflow(session, team_id, document, CLI_ACTOR, timezone, now)
    ids = _record_ids(deals_csv)
    samples.mark(ObjectTypeRepository(session).get(team_id, SAMPLE_TYPE).id, ids, saved.workflow_id)
    samples.record_installation(team_id, now)
    return SampleInstalled(str(document["name"]), len(ids), runs_at)


def remove_sample(session: Session, now: datetime) -> SampleContents:
    """Deletes what the sample installed and is still its own (a sample record the user
    imported again is theirs): its workflow with its runs, and its records. Returns what
    was deleted; empty when there was no sample."""
    return SampleRepository(session).delete(now)


def _record_ids(deals_csv: bytes) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(deals_csv.decode("utf-8")))]


# Use cases: each opens its own transaction on the unit of work it is given -----------------


@dataclass(frozen=True)
class Connected:
    """What connecting Slack did to the data imported before: the sample it removed (it
    never enters a workspace), and whether the user's own data moved into the workspace."""

    sample_removed: SampleContents
    adopted: bool


@dataclass(frozen=True)
class Opened:
    """The workspace a process serves: its object types, and the sample it was given."""

    object_types: list[str]
    sample: SampleInstalled | None


def remove(work: UnitOfWork, now: datetime) -> SampleContents:
    """Deletes the sample (remove_sample)."""
    with work.writing() as session:
        return remove_sample(session, now)


def connect_slack(work: UnitOfWork, team_id: str, now: datetime) -> Connected:
    """Removes the sample and moves what was imported before Slack into its workspace."""
    with work.writing() as session:
        removed = remove_sample(session, now)
        return Connected(removed, adopt_local_workspace(session, team_id))


def open_for_serving(
    work: UnitOfWork, team_id: str, now: datetime, timezone: str, with_sample: bool
) -> Opened:
    """The served workspace's object types; ``with_sample``, the sample installed too
    when the database is brand-new (install_sample)."""
    with work.writing() as session:
        types = ObjectTypeRepository(session).names(team_id)
        sample = install_sample(session, team_id, now, timezone) if with_sample else None
        return Opened(types, sample)
