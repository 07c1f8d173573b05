"""The sample records and workflow that a first `make run` installs into an empty database,
so a newcomer sees a scheduled run happen within a minute, without Slack."""

from __future__ import annotations

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
from storage.workflows import WorkflowRepository

SAMPLES = resources.files("bot.samples")


@dataclass(frozen=True)
class SampleInstalled:
    workflow_name: str
    runs_at: datetime


def install_sample(
    session: Session, team_id: str, now: datetime, timezone: str
) -> SampleInstalled | None:
    """Imports the sample deals and workflow, due at the coming minute; None when the
    workspace already has workflows (a real database is never touched)."""
    if WorkflowRepository(session).names(team_id):
        return None
    with tempfile.TemporaryDirectory() as folder:
        deals = Path(folder) / "deals.csv"
        deals.write_bytes(SAMPLES.joinpath("deals.csv").read_bytes())
        import_records(session, team_id, deals, ImportOptions(type_name="deals"), now)
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
    save_workflow(session, team_id, document, CLI_ACTOR, timezone, now)
    return SampleInstalled(str(document["name"]), runs_at)
