"""Records fresh enough for a run: before a run enrolls records of a type that a source
feeds, the source is synced when its last success is older than it allows; periodic syncs;
and the owners of the workflows on a type told once, by direct message, that its source
fails (not at every attempt; a success clears it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.hubspot_portal import PortalFactory
from bot.workflows.notifier import (
    DeliveryFailed,
    DeliveryUnavailable,
    Message,
    Notifier,
)
from bot.workflows.source_reading import EnvironmentLookup
from bot.workflows.sources import KeepAlive, SyncOutcome, sync_source
from bot.workflows.templates import escape_mrkdwn
from storage.database import transaction, write_transaction
from storage.models import ObjectType
from storage.record_sources import RecordSourceRepository

log = logging.getLogger(__name__)

# A run of a workflow with on_stale_source: postpone tries the source again this long after
# it failed, until the run has been tried MAX_ATTEMPTS times (bot.workflows.runner): then
# it runs with the data it has. Four waits: at most 12 minutes late.
STALE_RETRY = timedelta(minutes=3)
# A run whose source another process is syncing waits this long for it, whatever the
# setting: the data is about to be fresh.
BUSY_RETRY = timedelta(seconds=30)


@dataclass(frozen=True)
class StaleData:
    """What a run's summary says when it ran on data older than its source allows."""

    source: str
    data_as_of: datetime | None  # the last successful sync; None: never synced
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "data_as_of": None if self.data_as_of is None else self.data_as_of.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: object) -> StaleData | None:
        if not isinstance(data, dict):
            return None
        as_of = data.get("data_as_of")
        return cls(
            source=str(data.get("source", "")),
            data_as_of=datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
            reason=str(data.get("reason", "")),
        )


@dataclass(frozen=True)
class Freshness:
    """How fresh the records of a run's type are. ``stale`` None: fresh (or not fed by a
    source); else why not. ``busy``: another process is syncing the source now."""

    stale: StaleData | None = None
    busy: bool = False
    synced: bool = False  # synced just now: the type may have new properties
    # The sync failed with this SourceError.code (None: it did not fail).
    failure_code: str | None = None


def refresh_before_run(
    sessions: sessionmaker[Session],
    clock: Clock,
    owner: str,
    object_type_id: int,
    environment: EnvironmentLookup,
    notifier: Notifier,
    keep_alive: KeepAlive | None = None,
    portals: PortalFactory | None = None,
) -> Freshness:
    """Syncs the source feeding ``object_type_id`` if its last success is older than its
    max staleness. Between transactions: the sync has its own."""
    with transaction(sessions) as session:
        source = RecordSourceRepository(session).feeding(object_type_id)
        if source is None:
            return Freshness()
        source_id, name, last_success = source.id, source.name, source.last_success_at
        allowed = timedelta(seconds=source.max_staleness_seconds)
    if last_success is not None and clock.now() - last_success <= allowed:
        return Freshness()
    outcome = sync_source(sessions, source_id, owner, clock, environment, keep_alive, portals)
    if outcome.busy:
        reason = "another process was syncing it"
        return Freshness(StaleData(name, last_success, reason), busy=True)
    if outcome.error is not None:
        log.warning("source %s: the sync before a run failed: %s", name, outcome.error)
        report_failure(sessions, outcome, clock.now(), notifier)
        stale = StaleData(name, outcome.data_as_of, outcome.error)
        return Freshness(stale, failure_code=outcome.error_code)
    return Freshness(synced=True)


def sync_periodic(
    sessions: sessionmaker[Session],
    clock: Clock,
    owner: str,
    environment: EnvironmentLookup,
    notifier_for: Callable[[str], Notifier],
    portals: PortalFactory | None = None,
) -> list[SyncOutcome]:
    """Syncs every source synced on a period whose next sync is due (and that no other
    process is syncing), earliest first."""
    with transaction(sessions) as session:
        due = RecordSourceRepository(session).due(clock.now())
    outcomes = []
    for source_id in due:
        outcome = sync_source(
            sessions, source_id, owner, clock, environment, portals=portals, periodic=True
        )
        if outcome.error is not None:
            log.warning("source %s: the periodic sync failed: %s", outcome.name, outcome.error)
            report_failure(sessions, outcome, clock.now(), notifier_for(outcome.team_id))
        outcomes.append(outcome)
    return outcomes


def next_periodic_sync(session: Session) -> datetime | None:
    return RecordSourceRepository(session).next_due()


def report_failure(
    sessions: sessionmaker[Session], outcome: SyncOutcome, now: datetime, notifier: Notifier
) -> None:
    """Tells the owners of the active workflows on the source's type that it fails, once
    per failure."""
    _tell_owners_once(
        sessions,
        outcome.source_id,
        outcome.object_type_id,
        outcome.name,
        now,
        notifier,
        partial(failure_message, outcome),
    )


@dataclass(frozen=True)
class RefusedWrite:
    """A run's write-back whose token HubSpot refused (401 or 403)."""

    source_id: int
    source_name: str
    object_type_id: int
    workflow_name: str
    error: str  # HubSpot's message


def report_refused_token(
    sessions: sessionmaker[Session], refused: RefusedWrite, now: datetime, notifier: Notifier
) -> None:
    """Marks the source failing with HubSpot's message and tells the owners of the workflows
    on its type, once per failure as a failed sync does (a sync failing on the same token
    afterwards says nothing more; a successful sync clears it)."""
    with write_transaction(sessions) as session:
        RecordSourceRepository(session).token_refused(refused.source_id, refused.error)
    _tell_owners_once(
        sessions,
        refused.source_id,
        refused.object_type_id,
        refused.source_name,
        now,
        notifier,
        partial(refused_token_message, refused),
    )


def _tell_owners_once(
    sessions: sessionmaker[Session],
    source_id: int,
    object_type_id: int,
    source_name: str,
    now: datetime,
    notifier: Notifier,
    message_for: Callable[[str], str],
) -> None:
    """The first process to mark the failure reported sends the messages (outside any
    transaction), ``message_for`` the type's name; a message that cannot be delivered is
    logged, not retried."""
    with write_transaction(sessions) as session:
        sources = RecordSourceRepository(session)
        if not sources.claim_failure_report(source_id, now):
            return
        owners = sources.workflow_owners(object_type_id)
        object_type = session.get(ObjectType, object_type_id)
        type_name = object_type.name if object_type is not None else "its object type"
    text = message_for(type_name)
    for user in owners:
        try:
            notifier.post(Message(channel=user, text=text))
        except (DeliveryFailed, DeliveryUnavailable) as failure:
            log.warning(
                "source %s: its failure could not be reported to %s: %s",
                source_name,
                user,
                failure,
            )


def refused_token_message(refused: RefusedWrite, type_name: str) -> str:
    return (
        f"The source *{escape_mrkdwn(refused.source_name)}* that feeds "
        f"{escape_mrkdwn(type_name)} refused the changes of the workflow "
        f"*{escape_mrkdwn(refused.workflow_name)}*: {escape_mrkdwn(refused.error)}\n"
        f"What workflows on {escape_mrkdwn(type_name)} write to HubSpot fails, and their "
        "records are not synced, until the source's token works again "
        "(`workflow-bot sources list` shows its state; this is said once per failure)."
    )


def failure_message(outcome: SyncOutcome, type_name: str) -> str:
    as_of = (
        "no data yet: it has never synced"
        if outcome.data_as_of is None
        else f"the data as of {outcome.data_as_of:%Y-%m-%d %H:%M} UTC"
    )
    return (
        f"The source *{escape_mrkdwn(outcome.name)}* that feeds "
        f"{escape_mrkdwn(type_name)} failed to sync: {escape_mrkdwn(outcome.error or '')}\n"
        f"Workflows on {escape_mrkdwn(type_name)} run with {as_of} until it syncs again "
        "(`workflow-bot sources list` shows its state; this is said once per failure)."
    )
