"""The record-changing actions on records a HubSpot source feeds: set_property updates
HubSpot in batches of the run's records (the local copy changes only for what HubSpot
accepted), create_task creates HubSpot tasks associated with the records.

HubSpot has no idempotency key. Before tasks are asked for, each is written down as an
``unknown`` result holding what is sent (the intent); HubSpot's answer settles it in the
next transaction. A process that dies between the two leaves intents: the run, resumed,
looks each one up in HubSpot (a task with that subject and due time, associated with the
record, created since the intent) and settles it with the task found, or forgets it and
creates the task then. A set_property needs no intent: sending the same update again after
a crash changes nothing in HubSpot."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.definitions import CreateTask, SetProperty
from bot.workflows.hubspot_portal import (
    BATCH_WRITE,
    BatchOutcome,
    HubSpotError,
    HubSpotPortal,
    HubSpotRefused,
    NewTask,
    ObjectUpdate,
    PortalFactory,
)
from bot.workflows.hubspot_schema import record_page
from bot.workflows.hubspot_sources import connect
from bot.workflows.record_changes import retyped, set_property_many, undone_by_sync
from bot.workflows.source_reading import EnvironmentLookup
from bot.workflows.templates import RenderContext
from bot.workflows.vocabulary import ActionOutcome, PropertyType, SourceKind
from storage.database import transaction, write_transaction
from storage.hubspot_writes import INTENT, HubSpotWriteRepository
from storage.models import RecordSource
from storage.properties import StoredValue
from storage.record_sources import RecordSourceRepository
from storage.runs import RunRepository

log = logging.getLogger(__name__)

# A task is due at this time of its due day, in the workflow's zone (HubSpot's hs_timestamp
# is an instant; its task list shows the day and the time).
TASK_DUE_TIME = time(9, 0)
# How long before its intent a task found in HubSpot may have been created: clocks differ.
CLOCK_MARGIN = timedelta(minutes=5)
# What a record's result says when HubSpot's answer to a batch leaves it out, per action.
NOT_UPDATED = (
    "HubSpot's answer did not mention this record, so the property was not changed here: "
    "the record may have been deleted in HubSpot, or merged into another one, since the "
    "last sync (the next sync shows what HubSpot holds)"
)
TASK_NOT_CONFIRMED = (
    "HubSpot's answer did not mention this task, so whether HubSpot created it is not known: "
    "Re-run failed looks for it in HubSpot first and creates it only if it is not there"
)
INTENT_REASON = (
    "HubSpot was asked to create this task and the run stopped before it knew whether it "
    "did: it is looked for in HubSpot when the run resumes, not created twice"
)


# How many record ids one log line names.
LOGGED_IDS = 10
T = TypeVar("T")


class WriteBackUnavailable(HubSpotError):
    """HubSpot cannot be reached or keeps refusing for its rate limit: the run waits and
    resumes (what was written is recorded; unsettled tasks are looked up then)."""


@dataclass(frozen=True)
class WriteTarget:
    """The HubSpot source feeding a workflow's type: where its actions write."""

    source_name: str
    token_env: str
    hubspot_object: str
    source_id: int
    object_type_id: int
    # The portal's id and app domain, once a sync has read them: links to records' pages.
    portal_id: int | None = None
    ui_domain: str | None = None

    def page_of(self, record_id: str) -> str | None:
        """The address of the record's page in HubSpot, when the portal is known."""
        if self.portal_id is None or self.ui_domain is None:
            return None
        return record_page(self.ui_domain, self.portal_id, self.hubspot_object, record_id)


def write_target(session: Session, object_type_id: int) -> WriteTarget | None:
    """Where the record-changing actions on this type write: HubSpot, when a HubSpot
    source feeds it; None: the records here (imported, or fed by a SQL source)."""
    source = RecordSourceRepository(session).feeding(object_type_id)
    return _target(source) if source is not None else None


def _target(source: RecordSource) -> WriteTarget | None:
    if source.kind != SourceKind.HUBSPOT.value or source.hubspot_object is None:
        return None
    return WriteTarget(
        source.name,
        source.url_env,
        source.hubspot_object,
        source.id,
        source.object_type_id,
        source.hubspot_portal_id,
        source.hubspot_ui_domain,
    )


@dataclass(frozen=True)
class WriteBackRules:
    """What saving a workflow's actions means for its type's source: a refusal (a change its
    source's next sync would undo), or a note naming the actions that change HubSpot."""

    refusal: str | None = None
    note: str | None = None


def write_back_rules(
    session: Session,
    object_type_id: int,
    type_name: str,
    actions: Sequence[object],
    doing: str = "saved",
) -> WriteBackRules:
    """Checked at save (and when activating: ``doing``), in the words of the dialog's
    actions (numbered from 1)."""
    source = RecordSourceRepository(session).feeding(object_type_id)
    if source is None:
        return WriteBackRules()  # records imported from files: changed here, as always
    changing = [
        (number, action)
        for number, action in enumerate(actions, start=1)
        if isinstance(action, SetProperty | CreateTask)
    ]
    if source.kind != SourceKind.HUBSPOT.value:
        setting = [(n, a) for n, a in changing if isinstance(a, SetProperty)]
        if not setting:
            return WriteBackRules()
        named = ", ".join(f"action {n} ({_said(a)})" for n, a in setting)
        return WriteBackRules(
            refusal=f"{named} cannot be {doing}: {type_name} come from "
            f"{undone_by_sync(source.name, 'the property')}. Change the value in that "
            "database instead, or remove the action."
        )
    if not changing:
        return WriteBackRules()
    named = ", ".join(f"action {n} ({_said(a)})" for n, a in changing)
    return WriteBackRules(
        note=f"Writes to HubSpot: {named} change{'s' if len(changing) == 1 else ''} "
        f"HubSpot (the source {source.name!r}) each time the workflow runs."
    )


def _said(action: SetProperty | CreateTask) -> str:
    if isinstance(action, SetProperty):
        return f"Set a property: {action.property_name}"
    return "Create a task"


class RecordToWrite(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def external_id(self) -> str: ...

    @property
    def owner(self) -> str | None: ...


@dataclass(frozen=True)
class RunPlace:
    """Which run writes, when, and what it may do when HubSpot is away."""

    run_id: int
    workflow_name: str
    run_date: date
    zone: tzinfo
    # The run's last attempt: HubSpot away fails the records instead of postponing.
    giving_up: bool


class HubSpotWriteBack:
    """One run's writes to one HubSpot source, BATCH_WRITE records per call."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        target: WriteTarget,
        environment: EnvironmentLookup,
        portals: PortalFactory | None,
        place: RunPlace,
        keep_alive: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.target = target
        self.environment = environment
        self.portals = portals
        self.place = place
        self.keep_alive = keep_alive
        self._portal: HubSpotPortal | None = None
        self._owner_ids: dict[str, str] | None = None
        # Set when HubSpot refused the token: the rest fails with it, without asking again.
        self.broken: str | None = None

    # set_property -----------------------------------------------------------------------

    def set_property(
        self,
        index: int,
        action: SetProperty,
        records: Sequence[RecordToWrite],
        declared: PropertyType | None,
    ) -> None:
        if declared is not None and declared is not action.property_type:
            reason = retyped(action, declared)
            self._record(index, [r.id for r in records], ActionOutcome.FAILED, reason)
            return
        value = hubspot_value(action.value_on(self.place.run_date), action.property_type)
        for chunk in _chunks(records):
            by_object = {r.external_id: r for r in chunk}
            updates = [ObjectUpdate(o, {action.property_name: value}) for o in by_object]
            answer = self._ask(index, chunk, partial(self._update, updates))
            if answer is None:
                continue
            self._store_updates(index, action, by_object, answer)

    def _store_updates(
        self,
        index: int,
        action: SetProperty,
        by_object: Mapping[str, RecordToWrite],
        answer: BatchOutcome,
    ) -> None:
        """One transaction per batch: the accepted records changed here as HubSpot has them
        now (the next sync reads them back the same), and every record's result."""
        now = self.clock.now()
        accepted = [r.id for o, r in by_object.items() if o in answer.accepted]
        with write_transaction(self.sessions) as session:
            set_property_many(session, accepted, action, self.place.run_date, now)
            runs = RunRepository(session)
            # A record merged in HubSpot since the last sync: its survivor took the change
            # and answered for it (bot.hubspot.portal tells them apart by the trace id).
            merged = {
                r.id: answer.accepted[o]
                for o, r in by_object.items()
                if answer.accepted.get(o, o) != o
            }
            runs.record_results(
                self.place.run_id,
                [r for r in accepted if r not in merged],
                index,
                ActionOutcome.OK,
                None,
                None,
                now,
            )
            for record_id, survivor in merged.items():
                reference = {"hubspot": {"merged_into": survivor}}
                runs.record_result(
                    self.place.run_id, record_id, index, ActionOutcome.OK, None, reference, now
                )
            refusals: dict[str, list[int]] = {}
            for object_id, record in by_object.items():
                if object_id in answer.accepted:
                    continue
                said = answer.refused.get(object_id)
                reason = NOT_UPDATED if said is None else f"HubSpot refused it: {said}"
                refusals.setdefault(reason, []).append(record.id)
            for reason, record_ids in refusals.items():
                runs.record_results(
                    self.place.run_id, record_ids, index, ActionOutcome.FAILED, reason, None, now
                )
        self.keep_alive()

    # create_task ------------------------------------------------------------------------

    def reconcile_tasks(self, index: int) -> None:
        """Settles the intents a dead process left for action ``index``: with the task
        HubSpot has, or by forgetting them so that the tasks are created now."""
        with transaction(self.sessions) as session:
            unsettled = HubSpotWriteRepository(session).unsettled(self.place.run_id, index)
        if not unsettled or self.broken is not None:
            return
        found = self._found_in_hubspot(unsettled)
        if found is None:
            return  # they stay unknown, saying why
        with write_transaction(self.sessions) as session:
            writes = HubSpotWriteRepository(session)
            writes.settle(
                self.place.run_id,
                index,
                {r: (ActionOutcome.OK, None, _task_reference(t)) for r, t in found.items()},
            )
            writes.forget(self.place.run_id, index, [r for r in unsettled if r not in found])

    def adopt_retried_tasks(self, index: int, retried_run_id: int) -> None:
        """In a re-run: the tasks the retried run asked HubSpot for without learning whether
        it created them are looked up first; one found is this run's result for its record
        (HubSpot has it already), so only those not found are created.

        Only the records this run enrolled: one removed before the re-run was asked for
        keeps the retried run's unknown result, which already says its task may exist in
        HubSpot, and the log says the re-run left it there."""
        with transaction(self.sessions) as session:
            unsettled, not_enrolled = HubSpotWriteRepository(session).unsettled_of_retried(
                retried_run_id, index, self.place.run_id
            )
            done = RunRepository(session).done_records(self.place.run_id, index)
        if not_enrolled:
            log.warning(
                "run %s: the tasks run %s may have created in HubSpot for %d records (ids %s) "
                "stay unknown there: they were removed before this re-run, which did not "
                "enroll them",
                self.place.run_id,
                retried_run_id,
                len(not_enrolled),
                logged_ids(not_enrolled),
            )
        pending = {r: sent for r, sent in unsettled.items() if r not in done}
        if not pending or self.broken is not None:
            return
        found = self._found_in_hubspot(pending)
        if not found:
            return
        now = self.clock.now()
        with write_transaction(self.sessions) as session:
            runs = RunRepository(session)
            for record_id, task_id in found.items():
                reference = {"hubspot": {"task_id": task_id, "created_by_run": retried_run_id}}
                runs.record_result(
                    self.place.run_id, record_id, index, ActionOutcome.OK, None, reference, now
                )

    def _found_in_hubspot(self, intents: Mapping[int, Mapping[str, Any]]) -> dict[int, str] | None:
        """Record id -> the id of the task HubSpot has for each intent, of those it has;
        None when HubSpot cannot tell at the run's last attempt (WriteBackUnavailable
        before that)."""
        found: dict[int, str] = {}
        try:
            portal = self._open()
            for record_id, sent in intents.items():
                task_id = portal.find_task(_task_of(sent), int(sent["intended_at_ms"]))
                if task_id is not None:
                    found[record_id] = task_id
        except HubSpotRefused as refused:
            # The token: waiting changes nothing. The intents stay unknown, and the rest of
            # the action fails with HubSpot's words, as _ask does.
            self.broken = str(refused)
            return None
        except HubSpotError as error:
            if self.place.giving_up:
                return None
            raise WriteBackUnavailable(str(error), code=error.code) from error
        return found

    def create_tasks(
        self,
        index: int,
        action: CreateTask,
        records: Sequence[RecordToWrite],
        context: Callable[[Any], RenderContext],
    ) -> None:
        owners = self._ask(index, records, self._owners)
        if owners is None:
            return
        if action.owner is not None and action.owner.casefold() not in owners:
            reason = (
                f"the task's owner {action.owner} is not a user of the HubSpot portal (any "
                "more): choose another owner in the workflow's Create a task, or leave it "
                "empty for the record's owner"
            )
            self._record(index, [r.id for r in records], ActionOutcome.FAILED, reason)
            return
        for chunk in _chunks(records):
            if self._refused_before(index, chunk):
                continue  # not sent: no intent to look for later
            tasks = {r.id: self._task(index, action, r, context(r)) for r in chunk}
            intents = self._intend(index, tasks)
            wanted = list(tasks.values())
            answer = self._ask(index, chunk, partial(self._create, wanted), settling=True)
            if answer is None:
                continue
            settled: dict[int, tuple[ActionOutcome, str | None, dict[str, Any] | None]] = {}
            for record_id, task in tasks.items():
                if task.key in answer.accepted:
                    reference = _task_reference(answer.accepted[task.key])
                    settled[record_id] = (ActionOutcome.OK, None, reference)
                elif task.key in answer.refused:
                    reason = f"HubSpot refused it: {answer.refused[task.key]}"
                    settled[record_id] = (ActionOutcome.FAILED, reason, None)
                else:
                    # HubSpot may have created it: left unknown, its intent kept, so that a
                    # resumed run or a re-run looks for it before creating it.
                    intent = {INTENT: intents[record_id]}
                    settled[record_id] = (ActionOutcome.UNKNOWN, TASK_NOT_CONFIRMED, intent)
            with write_transaction(self.sessions) as session:
                HubSpotWriteRepository(session).settle(self.place.run_id, index, settled)
            self.keep_alive()

    def _task(
        self, index: int, action: CreateTask, record: RecordToWrite, context: RenderContext
    ) -> NewTask:
        due = datetime.combine(action.due_date(self.place.run_date), TASK_DUE_TIME, self.place.zone)
        # HubSpot shows text as it is: as typed, with record values as they are.
        body = (
            f"Created by the workflow {self.place.workflow_name} for {context.name}."
            if action.body is None
            else action.body.render_as_typed(context)
        )
        properties = {
            "hs_task_subject": action.title.render_as_typed(context)[:255],
            "hs_task_body": body,
            "hs_timestamp": _instant(due),
            "hs_task_status": "NOT_STARTED",
            "hs_task_type": "TODO",
        }
        if action.priority is not None:
            properties["hs_task_priority"] = action.priority.value
        # The action's owner when it names one (create_tasks checked HubSpot knows them).
        owner_id = self._owner_id(action.owner or record.owner)
        if owner_id is not None:
            properties["hubspot_owner_id"] = owner_id
        key = f"run-{self.place.run_id}-record-{record.id}-action-{index + 1}"
        return NewTask(key, properties, self.target.hubspot_object, record.external_id)

    def _intend(self, index: int, tasks: Mapping[int, NewTask]) -> dict[int, dict[str, Any]]:
        now = self.clock.now()
        intended_ms = round((now - CLOCK_MARGIN).timestamp() * 1000)
        intents = {
            record_id: {
                "key": task.key,
                "properties": dict(task.properties),
                "object_type": task.object_type,
                "object_id": task.object_id,
                "intended_at_ms": intended_ms,
            }
            for record_id, task in tasks.items()
        }
        with write_transaction(self.sessions) as session:
            HubSpotWriteRepository(session).intend(
                self.place.run_id, index, intents, INTENT_REASON, now
            )
        return intents

    def _owners(self) -> dict[str, str]:
        """HubSpot's owners by email (read once per run): a task's owner is its record's."""
        if self._owner_ids is None:
            self._owner_ids = {
                o.email.casefold(): o.id for o in self._open().owners() if o.email is not None
            }
        return self._owner_ids

    def _owner_id(self, owner: str | None) -> str | None:
        """The HubSpot owner id of a record's owner (an email, as the sync stored it)."""
        return None if owner is None else self._owners().get(owner.casefold())

    # HubSpot ----------------------------------------------------------------------------

    def _update(self, updates: Sequence[ObjectUpdate]) -> BatchOutcome:
        return self._open().update_objects(self.target.hubspot_object, updates)

    def _create(self, tasks: Sequence[NewTask]) -> BatchOutcome:
        return self._open().create_tasks(tasks)

    def _open(self) -> HubSpotPortal:
        if self._portal is None:
            self._portal = connect(
                self.target.token_env, self.target.source_name, self.environment, self.portals
            )
        return self._portal

    def _ask(
        self,
        index: int,
        chunk: Sequence[RecordToWrite],
        request: Callable[[], T],
        settling: bool = False,
    ) -> T | None:
        """HubSpot's answer to ``request``; None when it failed, its records recorded failed
        (or left to be looked up, for tasks whose creation may have happened). Raises
        WriteBackUnavailable when HubSpot is away and the run may wait for it."""
        if self._refused_before(index, chunk, settling):
            return None
        ids = [r.id for r in chunk]
        try:
            return request()
        except HubSpotRefused as refused:
            # The token: nothing was written, and nothing else will be.
            self.broken = str(refused)
            self._record(index, ids, ActionOutcome.FAILED, self.broken, settling)
            return None
        except HubSpotError as error:
            if error.code in ("unreachable", "rate_limited") or settling:
                if not self.place.giving_up:
                    raise WriteBackUnavailable(str(error), code=error.code) from error
                if settling:
                    return None  # the intents stay unknown, saying why
            self._record(index, ids, ActionOutcome.FAILED, str(error), settling)
            return None

    def _refused_before(
        self, index: int, chunk: Sequence[RecordToWrite], settling: bool = False
    ) -> bool:
        """Whether HubSpot refused the token earlier in the run: then ``chunk`` fails with
        HubSpot's words, without asking again."""
        if self.broken is None:
            return False
        self._record(index, [r.id for r in chunk], ActionOutcome.FAILED, self.broken, settling)
        return True

    def _record(
        self,
        index: int,
        record_ids: Sequence[int],
        outcome: ActionOutcome,
        reason: str,
        settling: bool = False,
    ) -> None:
        now = self.clock.now()
        with write_transaction(self.sessions) as session:
            if settling:
                HubSpotWriteRepository(session).settle(
                    self.place.run_id, index, {r: (outcome, reason, None) for r in record_ids}
                )
            RunRepository(session).record_results(
                self.place.run_id, record_ids, index, outcome, reason, None, now
            )
        self.keep_alive()


def logged_ids(ids: Sequence[int]) -> str:
    """The first LOGGED_IDS of ``ids`` and how many more: a re-run of a large digest may
    leave tens of thousands, and one log line need not carry them all."""
    shown = list(ids[:LOGGED_IDS])
    more = len(ids) - len(shown)
    return f"{shown} and {more} more" if more else str(shown)


def hubspot_value(value: StoredValue, property_type: PropertyType) -> str:
    """A stored value as HubSpot's APIs take it: text for everything; booleans as
    ``true``/``false``; a date as its day (HubSpot keeps it as that day's UTC midnight)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if property_type is PropertyType.DATE:
        return str(value)[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _task_of(sent: Mapping[str, Any]) -> NewTask:
    return NewTask(
        str(sent["key"]), dict(sent["properties"]), str(sent["object_type"]), str(sent["object_id"])
    )


def _task_reference(task_id: str) -> dict[str, Any]:
    return {"hubspot": {"task_id": task_id}}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chunks(records: Sequence[RecordToWrite]) -> Iterator[Sequence[RecordToWrite]]:
    for start in range(0, len(records), BATCH_WRITE):
        yield records[start : start + BATCH_WRITE]
