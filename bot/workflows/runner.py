"""Executes one claimed run: enroll the matching records, run each action for each
enrollment exactly once, then summarise. Safe to resume after a crash at any point."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.definitions import (
    CreateTask,
    MessageMode,
    SendChannelMessage,
    SendDm,
    SendOwnerDm,
    SetProperty,
    StaleSourceBehaviour,
    WorkflowDefinition,
)
from bot.workflows.digest import (
    MAX_LISTED,
    digest_messages,
    digest_sections,
    layout_fingerprint,
)
from bot.workflows.freshness import (
    BUSY_RETRY,
    STALE_RETRY,
    RefusedWrite,
    StaleData,
    refresh_before_run,
    report_refused_token,
)
from bot.workflows.hubspot_portal import PortalFactory
from bot.workflows.hubspot_writes import (
    HubSpotWriteBack,
    RunPlace,
    WriteBackUnavailable,
    WriteTarget,
    write_target,
)
from bot.workflows.notifier import (
    ActionMark,
    DeliveryFailed,
    DeliveryUnavailable,
    DeliveryUncertain,
    HistoryUnreadable,
    Message,
    Notifier,
    Posted,
)
from bot.workflows.owner_aliases import named_owners, resolve_for_criteria, with_known_aliases
from bot.workflows.owners import (
    LookupUnavailable,
    OwnerResolution,
    PeopleFor,
    Recipients,
    dm_recipients,
    resolve_owners,
)
from bot.workflows.record_changes import PropertySetter, create_task
from bot.workflows.run_observer import (
    POSTPONED,
    TAKEN_OVER,
    ObservedNotifier,
    RunObserver,
    Unobserved,
)
from bot.workflows.source_reading import EnvironmentLookup
from bot.workflows.stored import DefinitionReader
from bot.workflows.summary import EarlierRuns, RunSummary, failure_alert_message, summary_message
from bot.workflows.templates import OWNER, RenderContext
from bot.workflows.vocabulary import ActionOutcome, PropertyType, RunSource, RunStatus
from storage.database import (
    IdleLimit,
    connection_lost,
    transaction,
    write_transaction,
    writers_wait_for_each_other,
)
from storage.enrollment_sql import EnrollmentQuery, selected_records
from storage.followups import FollowUpRepository
from storage.models import Enrollment, Record, Run
from storage.object_types import ObjectTypeRepository
from storage.owner_directory import OwnerDirectoryRepository
from storage.run_digests import RunDigestRepository
from storage.runs import RunRepository
from storage.workflows import WorkflowRepository

log = logging.getLogger(__name__)

RECORD_BATCH = 500
# A run whose messages keep failing for reasons Slack calls temporary is given up after
# this many claims; its remaining actions are then recorded as failed, never dropped.
MAX_ATTEMPTS = 5
# A run claimed this often has died with its process every time (a crash it causes
# itself): it is stopped, failed with that reason, rather than taken up for ever.
MAX_CLAIMS = 10
# A message whose post got an error after it was sent, and that is then not found in the
# channel, is posted again: this many posts at most, then the run is postponed (and looks
# for the message again when it resumes).
POST_TRIES = 3
# How long before the run started a message of the run may be: clocks differ a little.
HISTORY_MARGIN = timedelta(minutes=5)
# The marks of a run's summary message and of its failure alert to the owner: no record,
# no action. A resumed run finds them in history, so each is posted once per run.
SUMMARY_MARK_INDEX = -1
ALERT_MARK_INDEX = -2
DIGEST_RECORD_ID = 0
REMOVED = "the record was removed after this run enrolled it: nothing was done for it"


class LeaseLost(RuntimeError):
    """Another process took over the run (this one stalled past its lease): stop at once."""


class Postponed(RuntimeError):
    """Slack is unavailable for now: stop and let the run be claimed again later."""


class OutcomeUnknown(RuntimeError):
    """A message was sent and Slack answered with an error, and its history cannot be read
    to tell whether it was posted: it is not posted again, and the outcome is unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EnrolledRecord:
    id: int
    external_id: str
    name: str
    owner: str | None
    properties: dict[str, Any]
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, record: Record) -> EnrolledRecord:
        return cls(
            record.id,
            record.external_id,
            record.name,
            record.owner,
            dict(record.properties),
            record.created_at,
            record.updated_at,
        )


NotifierFor = Callable[[str], Notifier]


class Runner:
    """Runs claimed runs for one process (``owner``), each step in a short transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        notifier_for: NotifierFor,
        owner: str,
        lease: timedelta,
        people_for: PeopleFor | None = None,
        environment: EnvironmentLookup | None = None,
        observer: RunObserver | None = None,
        portals: PortalFactory | None = None,
    ) -> None:
        self.sessions = sessions
        # Opens HubSpot portals for the sources that read one (None: they fail, saying so).
        self.portals = portals
        self.clock = clock
        self.notifier_for = notifier_for
        # What operators watch (bot.metrics when serving): outcomes, lateness, errors.
        self.observer: RunObserver = observer or Unobserved()
        self.owner = owner
        self.lease = lease
        # Where a source's database URL is read at each sync (the variable it names).
        self.environment = environment or os.environ.get
        # Who people are in each workspace's Slack; None (or None for a workspace) without
        # Slack: owner emails then stay emails.
        self.people_for = people_for

    def execute(self, run_id: int, waiting: Sequence[int] = ()) -> RunStatus | None:
        """Runs a run this process has claimed; None when it must be picked up again later.
        ``waiting``: runs this process claimed with it and runs next, whose leases it keeps
        renewed with its own until they start."""
        try:
            # Checked before anything is read or posted: the run may have waited since its
            # claim, and a lease that ran out may be another process's claim by now.
            self.hold(run_id, waiting)
            with transaction(self.sessions) as session:
                claimed = ClaimedRun.read(session, run_id, self.clock.now())
            ended: RunStatus | LeaseLost | Postponed = Execution(self, claimed, waiting).run()
        except (LeaseLost, Postponed) as stopped:
            ended = stopped
        return self.ended(run_id, ended)

    def hold(self, run_id: int, waiting: Sequence[int] = ()) -> None:
        """Renews the run's lease if this process still holds it and it has not run out,
        and those of ``waiting`` still held (each checked when it starts); LeaseLost
        otherwise, and nothing is renewed."""
        now = self.clock.now()
        with write_transaction(self.sessions) as session:
            repository = RunRepository(session)
            held = repository.renew_lease(run_id, self.owner, now, self.lease, unexpired=True)
            if held:
                repository.renew_leases(waiting, self.owner, now, self.lease)
        if not held:
            raise LeaseLost(run_id)

    def ended(self, run_id: int, ended: RunStatus | LeaseLost | Postponed) -> RunStatus | None:
        """Tells how a run ended (None: it must be picked up again later)."""
        if isinstance(ended, LeaseLost):
            log.warning(
                "run %s: its lease ran out or another process took it over; stopping here",
                run_id,
            )
            self.observer.run_ended(TAKEN_OVER)
            return None
        if isinstance(ended, Postponed):
            log.warning("run %s postponed: %s", run_id, ended)
            self.observer.run_ended(POSTPONED)
            return None
        self.observer.run_ended(ended.value)
        return ended

    def renew(self, run_id: int, waiting: Sequence[int] = ()) -> None:
        """Renews the run's lease, and those of ``waiting`` still held (in one statement);
        LeaseLost when another process took the run."""
        with write_transaction(self.sessions) as session:
            held = RunRepository(session).renew_leases(
                [run_id, *waiting], self.owner, self.clock.now(), self.lease
            )
        if run_id not in held:
            raise LeaseLost(run_id)


@dataclass(frozen=True)
class ClaimedRun:
    """What an execution reads of a claimed run and its workflow before it starts."""

    run_id: int
    team_id: str
    workflow_id: int
    object_type_id: int
    types: dict[str, PropertyType]
    definition: WorkflowDefinition
    scheduled_at: datetime
    started_at: datetime
    attempts: int
    source: RunSource
    triggered_by: str | None
    enrolled: bool
    # Its records are chosen by the criteria, on fresh data (not by hand).
    by_criteria: bool
    retry: _RetryOf | None
    # Where set_property and create_task write: HubSpot, for a type a HubSpot source feeds.
    write_target: WriteTarget | None

    @classmethod
    def read(cls, session: Session, run_id: int, now: datetime) -> ClaimedRun:
        run = session.get(Run, run_id)
        assert run is not None
        # As stored: its definition, parsed ahead of a burst, is found by that text.
        (workflow,) = WorkflowRepository(session).stored([run.workflow_id], live=False)
        definitions = DefinitionReader(session)
        types = definitions.types(workflow.object_type_id)
        return cls(
            run_id=run_id,
            team_id=workflow.team_id,
            workflow_id=workflow.id,
            object_type_id=workflow.object_type_id,
            types=types,
            definition=definitions.stored_definition(workflow),
            scheduled_at=run.scheduled_at,
            started_at=run.started_at or now,
            attempts=run.attempts,
            source=RunSource(run.source),
            triggered_by=run.triggered_by,
            enrolled=run.enrolled_at is not None,
            by_criteria=run.enrolls_by_criteria,
            retry=_RetryOf.of(session, run),
            write_target=write_target(session, workflow.object_type_id),
        )


class Execution:
    """One claimed run carried out step by step, each step in a short transaction."""

    def __init__(self, runner: Runner, claimed: ClaimedRun, waiting: Sequence[int] = ()) -> None:
        self.runner = runner
        self.run_id = claimed.run_id
        # Claimed with this run and started after it: their leases are renewed with its own.
        self.waiting = tuple(waiting)
        self.team_id = claimed.team_id
        self.workflow_id = claimed.workflow_id
        self.object_type_id = claimed.object_type_id
        self.types = claimed.types
        self.definition = claimed.definition
        self.scheduled_at = claimed.scheduled_at
        self.started_at = claimed.started_at
        self.attempts = claimed.attempts
        self.source = claimed.source
        self.triggered_by = claimed.triggered_by
        self.enrolled = claimed.enrolled
        self.by_criteria = claimed.by_criteria
        self.retry = claimed.retry
        self.write_target = claimed.write_target
        # Each set_property action's checks, made with its first record (by action index).
        self.setters: dict[int, PropertySetter] = {}
        self.notifier = ObservedNotifier(
            runner.notifier_for(self.team_id),
            runner.observer,
            runner.clock,
            self.source.value,
            self.scheduled_at,
        )
        self.people = runner.people_for(self.team_id) if runner.people_for else None
        self.owners = OwnerResolution(connected=self.people is not None)
        # Whether ``owners`` knows every enrolled record's owner (else a digest asks about
        # those of the records it lists).
        self.owners_known = False
        self.zone_now = self.scheduled_at.astimezone(self.definition.schedule.zone)
        self.last_renewal = runner.clock.now()
        # A run that never enrolled (it waited for its source, say) has posted nothing.
        self.searching_history = self.resuming and self.enrolled
        self.stale: StaleData | None = None
        # How many records the run enrolled, once known without asking the database again.
        self.enrolled_count: int | None = None

    @property
    def resuming(self) -> bool:
        return self.attempts > 1

    @property
    def _first_attempt(self) -> bool:
        return not self.resuming and self.retry is None

    @property
    def giving_up(self) -> bool:
        return self.attempts >= MAX_ATTEMPTS

    def run(self) -> RunStatus:
        if self.attempts > MAX_CLAIMS:
            return self._abandon()
        if not self.enrolled:
            self._refresh_source()
            self._alias_owners()
            self._enroll()
        self._know_owners()
        for index, action in enumerate(self.definition.actions):
            self._run_action(index, action)
        return self._finish()

    # Enrollment -------------------------------------------------------------------------

    def _refresh_source(self) -> None:
        """Before enrolling by criteria, syncs the source that feeds the workflow's type
        when its data is older than it allows. When the sync fails, the run goes on with
        the data it has (and says so), or with on_stale_source: postpone waits STALE_RETRY
        and tries again, until it has tried MAX_ATTEMPTS times."""
        if not self.by_criteria:
            return  # records chosen by hand
        freshness = refresh_before_run(
            self.runner.sessions,
            self.runner.clock,
            self.runner.owner,
            self.object_type_id,
            self.runner.environment,
            self.notifier,
            keep_alive=self._keep_lease,
            portals=self.runner.portals,
        )
        if freshness.synced:
            with transaction(self.runner.sessions) as session:
                self.types = ObjectTypeRepository(session).property_types(self.object_type_id)
        if freshness.stale is None:
            return
        if freshness.failure_code is not None:  # busy: another process is syncing it
            self.runner.observer.source_failed(freshness.stale.source, freshness.failure_code)
        postpone = self.definition.settings.on_stale_source is StaleSourceBehaviour.POSTPONE
        if (freshness.busy or postpone) and not self.giving_up:
            wait = BUSY_RETRY if freshness.busy else STALE_RETRY
            with write_transaction(self.runner.sessions) as session:
                # Claimed again when this shorter lease ends, as a run whose Slack was down.
                RunRepository(session).renew_lease(
                    self.run_id, self.runner.owner, self.runner.clock.now(), wait
                )
            raise Postponed(
                f"the source {freshness.stale.source} is not fresh ({freshness.stale.reason}); "
                f"trying again in {int(wait.total_seconds())} s"
            )
        self.stale = freshness.stale

    def _enroll(self) -> None:
        with write_transaction(self.runner.sessions) as session:
            # Read before the records are selected: `why` finds the values they had then.
            enrolled_at = self.runner.clock.now()
            runs = RunRepository(session)
            newest = None
            if self.by_criteria:
                newest = runs.newest_record_id()
                self.enroll_by_criteria(session, enrolled_at, newest)
            stale = None if self.stale is None else self.stale.to_json()
            runs.mark_enrolled([self.run_id], newest, enrolled_at, stale)

    def enroll_by_criteria(self, session: Session, enrolled_at: datetime, newest: int) -> int:
        """Enrolls the records the criteria choose now, up to record ``newest``; how many.
        The caller's transaction then marks the run enrolled."""
        # A requested run enrolls in the name of who asked; a scheduled one in nobody's.
        written = RunRepository(session).enroll_selected(
            self.run_id,
            self.chosen_records(session).subquery(),
            self.source,
            self.triggered_by,
            enrolled_at,
            newest,
        )
        self.note_enrolled(written)
        return written

    def chosen_records(self, session: Session) -> Select[Any]:
        """The ids of the records the criteria choose now."""
        return selected_records(self.enrollment_query(), session.get_bind().dialect.name)

    def enrollment_query(self) -> EnrollmentQuery:
        """What the run enrolls by its criteria now (a run batch enrolls its runs'
        together, from SQL compiled once per shape of criteria: storage.enrollment_sql)."""
        definition, types = self.definition, self.types
        return EnrollmentQuery(
            run_id=self.run_id,
            object_type_id=self.object_type_id,
            workflow_id=self.workflow_id,
            snoozed_at=self.scheduled_at,
            criteria=definition.criteria.at(self.zone_now, types),
            suppression=definition.suppression.at(self.zone_now, types),
            property_types=types,
        )

    def note_enrolled(self, written: int) -> None:
        """Notes how many records the run's enrollment by its criteria wrote."""
        if self.source is RunSource.SCHEDULE:
            # Nothing enrolls in a scheduled run but this: its rows are all there are.
            self.enrolled_count = written

    def _records(self, index: int, done: set[int]) -> Iterator[list[EnrolledRecord]]:
        """The run's enrolled records in batches, by id: bounded memory for large runs.

        A record removed since the run enrolled it (a sync, `records delete`, a pruning
        import) is not acted on: action ``index`` is recorded skipped for it, with why, so
        that the run's counts still add up; ``done`` then holds it."""
        last_id = -1
        while True:
            with transaction(self.runner.sessions) as session:
                # Page through the enrollments' (run_id, record_id) unique index, then load
                # those records: each batch costs the same however far into the run it is.
                ids = list(
                    session.scalars(
                        select(Enrollment.record_id)
                        .where(Enrollment.run_id == self.run_id, Enrollment.record_id > last_id)
                        .order_by(Enrollment.record_id)
                        .limit(RECORD_BATCH)
                    )
                )
                rows = list(
                    session.scalars(select(Record).where(Record.id.in_(ids)).order_by(Record.id))
                )
                removed = [r.id for r in rows if r.deleted_at is not None and r.id not in done]
                rows = [r for r in rows if r.deleted_at is None]
                batch = [EnrolledRecord.of(r) for r in rows]
            if not ids:
                return
            last_id = ids[-1]
            if removed:
                self._record_many(removed, index, ActionOutcome.SKIPPED, REMOVED, None)
                done.update(removed)
            if batch:
                yield batch
            if len(ids) < RECORD_BATCH:
                return  # that was the last page: no need to ask for an empty one

    # Owners and other people --------------------------------------------------------------

    def _know_owners(self) -> None:
        """Who the enrolled records' owners are in Slack, asked once per run (and again when
        it resumes) before any action that messages or mentions them: Slack is asked only
        about emails the directory has no fresh answer for. When Slack cannot answer now,
        the run waits and resumes, unless it has tried long enough.

        When only digests name them, nothing is asked here: a digest names the owners of
        the records it lists (MAX_LISTED), and asks about those when it lists them, where
        the distinct owners of 100,000 enrolled records took a query of their own."""
        naming = [action for action in self.definition.actions if _names_owners(action)]
        if all(self._digest_of(action) for action in naming):
            return
        with transaction(self.runner.sessions) as session:
            owners = OwnerDirectoryRepository(session).enrolled_owners(self.run_id)
        self._resolve_owners(owners)
        self.owners_known = True

    def _digest_of(self, action: Any) -> bool:
        return isinstance(action, SendChannelMessage | SendDm) and self._is_digest(action)

    def _resolve_owners(self, owners: Sequence[str]) -> None:
        resolution = resolve_owners(
            self.runner.sessions,
            self.team_id,
            owners,
            self.people,
            self.runner.clock.now(),
            progress=self._keep_lease,
        )
        if resolution.unavailable is not None and not self.giving_up:
            raise Postponed(resolution.unavailable)
        self.owners = resolution

    def _alias_owners(self) -> None:
        """Criteria that name owners match the same people under their other names (an
        email, the Slack user it resolves to): Slack is asked first about the emails
        involved, between transactions; when it cannot answer now, the run waits."""
        named = named_owners(self.definition.criteria, self.definition.suppression)
        if not named:
            return
        resolution = resolve_for_criteria(
            self.runner.sessions,
            self.team_id,
            self.object_type_id,
            named,
            self.people,
            self.runner.clock.now(),
            progress=self._keep_lease,
        )
        if resolution.unavailable is not None and not self.giving_up:
            raise Postponed(resolution.unavailable)
        with transaction(self.runner.sessions) as session:
            self.definition = replace(
                self.definition,
                criteria=with_known_aliases(session, self.team_id, self.definition.criteria),
                suppression=with_known_aliases(session, self.team_id, self.definition.suppression),
            )

    def _recipients(self, action: SendDm) -> Recipients:
        """The people ``action`` messages, read from Slack once per run."""
        try:
            return dm_recipients(action.users, action.user_groups, self.people)
        except LookupUnavailable as outage:
            if not self.giving_up:
                raise Postponed(outage.reason) from outage
            return Recipients((), (f"Slack could not list the user groups' members: {outage}",))

    # Actions ----------------------------------------------------------------------------

    def _done(self, action_index: int) -> set[int]:
        with transaction(self.runner.sessions) as session:
            done = RunRepository(session).done_records(self.run_id, action_index)
            if self.retry is not None:
                # A re-run leaves alone what did not fail in the run it retries.
                done |= FollowUpRepository(session).not_retried(
                    self.run_id, self.retry.run_id, action_index
                )
            return done

    def _run_action(self, index: int, action: Any) -> None:
        if isinstance(action, SetProperty | CreateTask) and self.write_target is not None:
            self._write_to_hubspot(index, action)
            return
        if isinstance(action, SendChannelMessage) and self._is_digest(action):
            self._digest(index, action)
            return
        if isinstance(action, SendDm):
            self._send_dm(index, action)
            return
        done = self._done_so_far(index)
        for batch in self._records(index, done):
            for record in batch:
                if record.id not in done:
                    self._one(index, action, record)

    def _done_so_far(self, index: int) -> set[int]:
        # Only the process holding a run writes its results: at its first claim (not a
        # re-run) there are none yet to read.
        return set() if self._first_attempt else self._done(index)

    def _write_to_hubspot(self, index: int, action: SetProperty | CreateTask) -> None:
        """The action's records written to HubSpot a batch at a time (bot.workflows.
        hubspot_writes); HubSpot away postpones the run as Slack away does."""
        assert self.write_target is not None
        place = RunPlace(
            self.run_id,
            self.definition.name,
            self.zone_now.date(),
            self.definition.schedule.zone,
            self.giving_up,
        )
        writes = HubSpotWriteBack(
            self.runner.sessions,
            self.runner.clock,
            self.write_target,
            self.runner.environment,
            self.runner.portals,
            place,
            self._keep_lease,
        )
        try:
            if isinstance(action, CreateTask):
                writes.reconcile_tasks(index)
                if self.retry is not None:
                    writes.adopt_retried_tasks(index, self.retry.run_id)
            done = self._done(index)
            for batch in self._records(index, done):
                pending = [record for record in batch if record.id not in done]
                if isinstance(action, SetProperty):
                    declared = self.types.get(action.property_name)
                    writes.set_property(index, action, pending, declared)
                else:
                    writes.create_tasks(index, action, pending, self._context)
        except WriteBackUnavailable as outage:
            raise Postponed(str(outage)) from outage
        if writes.broken is not None:
            target = self.write_target
            refused = RefusedWrite(
                target.source_id,
                target.source_name,
                target.object_type_id,
                self.definition.name,
                writes.broken,
            )
            report_refused_token(
                self.runner.sessions, refused, self.runner.clock.now(), self.notifier
            )

    def _is_digest(self, action: SendChannelMessage | SendDm) -> bool:
        if action.mode is not None:
            return action.mode is MessageMode.DIGEST  # chosen by its author: no count needed
        if self.enrolled_count is None:
            with transaction(self.runner.sessions) as session:
                self.enrolled_count = RunRepository(session).enrollment_count(self.run_id)
        return action.mode_for(self.enrolled_count) is MessageMode.DIGEST

    def _context(self, record: EnrolledRecord) -> RenderContext:
        return RenderContext(
            record_id=record.external_id,
            name=record.name,
            owner=record.owner,
            properties=record.properties,
            run_date=self.zone_now.date(),
            workflow_name=self.definition.name,
            created_at=record.created_at,
            updated_at=record.updated_at,
            zone=self.definition.schedule.zone,
            owner_user=None if record.owner is None else self.owners.user_of(record.owner),
            hubspot_page=(
                None if self.write_target is None else self.write_target.page_of(record.external_id)
            ),
        )

    def _one(self, index: int, action: Any, record: EnrolledRecord) -> None:
        if isinstance(action, SetProperty | CreateTask):
            self._change_record(index, action, record)
            return
        if isinstance(action, SendOwnerDm) and record.owner is None:
            self._record(record.id, index, ActionOutcome.SKIPPED, "the record has no owner")
            return
        channel = action.channel if isinstance(action, SendChannelMessage) else None
        if isinstance(action, SendOwnerDm):
            assert record.owner is not None
            channel = self.owners.recipient(record.owner)
            if channel is None:
                why = self.owners.why_not(record.owner)
                self._record(record.id, index, ActionOutcome.FAILED, why)
                return
        assert channel is not None
        self._deliver(self.record_message(channel, index, action, record), [record.id], index)

    def record_message(
        self,
        channel: str,
        index: int,
        action: SendChannelMessage | SendOwnerDm,
        record: EnrolledRecord,
    ) -> Message:
        """Action ``index``'s message about one record, under the mark a resumed run finds it by."""
        mark = ActionMark(self.run_id, record.id, index)
        return Message(channel=channel, text=action.text.render(self._context(record)), mark=mark)

    def _digest(self, index: int, action: SendChannelMessage) -> None:
        """One message for every record not done yet; the first MAX_LISTED are listed."""
        mark = ActionMark(self.run_id, DIGEST_RECORD_ID, index)
        try:
            # Looked for before it is laid out: only a digest in Slack already is posted on
            # from the sections it was laid out in (_digest_sections).
            found = self._found_posted(Message(action.channel, "", mark=mark))
            sections = self._digest_sections(index, action, posted=found is not None)
            if sections is None:
                return
            parent, *replies = digest_messages(sections, action.channel, mark)
            posted = self._posted_parent(parent, found)
        except DeliveryFailed as failure:
            self._record_pending(index, ActionOutcome.FAILED, failure.reason, None)
            return
        except OutcomeUnknown as unknown:
            self._record_pending(index, ActionOutcome.UNKNOWN, unknown.reason, None)
            return
        reference = {"channel": posted.channel, "ts": posted.ts, "digest": True}
        if writers_wait_for_each_other(self.runner.sessions):
            lost = self._post_replies(posted, replies)
            self._record_pending(index, _digest_outcome(lost), lost, reference)
        else:
            self._record_pending_while_posting(index, reference, posted, replies)

    def _digest_sections(
        self, index: int, action: SendChannelMessage | SendDm, *, posted: bool
    ) -> list[str] | None:
        """The sections of action ``index``'s digest; None when no record is left for it.

        A digest found in Slack already (``posted``: this run's parent, posted before a
        crash; or, in a re-run, the retried run's, whose replies may be missing) keeps the
        sections it was first laid out in. Laid out again from the records as they are now,
        a record changed meanwhile would move lines from one reply to the next: a reply
        still to post would then repeat lines of one posted, or leave some out. Else it is
        laid out now, and kept before any of it is posted: nobody saw the old layout, and
        it may list records removed or renamed since."""
        fingerprint = layout_fingerprint(action.text)
        laid_out = self._laid_out(index, fingerprint) if posted else None
        # A digest in Slack lists the records removed since as it listed them (laid out
        # again without a kept layout too): recorded skipped, they would be listed in Slack
        # and skipped in the run's history. Only a digest nobody saw leaves them out.
        total, records = self._pending_for_digest(index, skip_removed=not posted)
        if not total:
            return None
        if laid_out is not None:
            return laid_out
        lines = self._digest_lines(action, records)
        sections = digest_sections(self.definition.name, lines, total)
        self._keep_layout(index, fingerprint, sections)
        return sections

    def _laid_out(self, index: int, fingerprint: str) -> list[str] | None:
        """The sections of action ``index``'s digest as this run kept them or, in a re-run
        that found the retried run's digest, as that run did; None when none are kept for
        the action as it is now (``fingerprint``: the workflow may have been edited since)."""
        with transaction(self.runner.sessions) as session:
            digests = RunDigestRepository(session)
            kept = digests.sections(self.run_id, index, fingerprint)
            if kept is None and self.retry is not None:
                kept = digests.sections(self.retry.run_id, index, fingerprint)
            return kept

    def _keep_layout(self, index: int, fingerprint: str, sections: Sequence[str]) -> None:
        """Keeps the digest's sections, in the transaction that renews the run's lease:
        a process that lost the run to another (which may be posting from its own layout)
        keeps nothing, and stops (LeaseLost)."""
        with write_transaction(self.runner.sessions) as session:
            self._hold_in(session)
            RunDigestRepository(session).keep(
                self.run_id, index, fingerprint, sections, self.last_renewal
            )

    def _pending_for_digest(
        self, index: int, *, skip_removed: bool
    ) -> tuple[int, list[EnrolledRecord]]:
        """How many records a digest is about (those not done yet), and the first
        MAX_LISTED: only those are read, so a digest of 100,000 records reads 400.

        The records removed since the run enrolled them are first recorded skipped, with
        why (as ``_records`` does), so that the run's counts still add up; unless
        ``skip_removed`` is false: then they count as the others."""
        retried = None if self.retry is None else self.retry.run_id
        if skip_removed:
            with write_transaction(self.runner.sessions) as session:
                RunRepository(session).record_pending(
                    self.run_id,
                    index,
                    retried,
                    ActionOutcome.SKIPPED,
                    REMOVED,
                    None,
                    self.runner.clock.now(),
                    removed_only=True,
                )
        # Counted and read in a read transaction: on SQLite the write one holds the lock
        # other processes' claims wait for. The same records are still pending: only the
        # run's lease holder writes its results.
        with transaction(self.runner.sessions) as session:
            total, first = RunRepository(session).pending_records(
                self.run_id, index, retried, MAX_LISTED
            )
            records = [EnrolledRecord.of(record) for record in first]
        self._keep_lease()
        return total, records

    def _digest_lines(
        self, action: SendChannelMessage | SendDm, records: Sequence[EnrolledRecord]
    ) -> list[str]:
        """The digest's line of each record, its owner asked of Slack first when it names
        owners."""
        if _names_owners(action) and not self.owners_known:
            self._resolve_owners(sorted({r.owner for r in records if r.owner is not None}))
        return [action.text.render(self._context(record)) for record in records]

    def _record_pending(
        self,
        index: int,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
    ) -> None:
        """Records the digest's outcome for every record it was about: those still pending,
        the same as when ``_pending_for_digest`` counted them (only this run writes its
        results, and its enrollments are all written before it acts). Its sections are
        kept only while a re-run may have to post replies from them: while some may be
        missing (a re-run posts a failed digest anew, and nothing else is to post). In a
        re-run, the retried run's are then forgotten too: the digest it laid out is whole
        now, or failed and posted anew.

        Written in the transaction that renews the run's lease: a process that lost the run
        to another (its replies waited in Slack past its lease) records nothing, and stops
        (LeaseLost)."""
        with write_transaction(self.runner.sessions) as session:
            self._write_pending(session, index, outcome, reason, reference)
            self._hold_in(session)

    def _hold_in(self, session: Session) -> None:
        """Renews the run's lease (and those of the runs waiting) in ``session``'s
        transaction; LeaseLost, which rolls it back, when another process took the run."""
        now = self.runner.clock.now()
        held = RunRepository(session).renew_leases(
            [self.run_id, *self.waiting], self.runner.owner, now, self.runner.lease
        )
        if self.run_id not in held:
            raise LeaseLost(self.run_id)
        self.last_renewal = now

    def _write_pending(
        self,
        session: Session,
        index: int,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
    ) -> None:
        """``_record_pending``'s writes, in the caller's transaction."""
        retried = None if self.retry is None else self.retry.run_id
        RunRepository(session).record_pending(
            self.run_id, index, retried, outcome, reason, reference, self.runner.clock.now()
        )
        if outcome is not ActionOutcome.UNKNOWN:
            digests = RunDigestRepository(session)
            digests.forget(self.run_id, index)
            if retried is not None:
                digests.forget(retried, index)

    def _record_pending_while_posting(
        self, index: int, reference: dict[str, Any], posted: Posted, replies: Sequence[Message]
    ) -> None:
        """Records the digest's outcome for every record it is about (as ``_record_pending``)
        while its replies are posted: each reply waits for Slack's pacing (a second per post
        in one channel), which the INSERT of 100,000 results then fills instead of adding to.

        Crash-safe as recording after posting is: the results are committed only once the
        last reply was posted, so a process dying meanwhile leaves none, and the resumed run
        finds the digest's messages by their marks. Ok is written first; when a reply may be
        missing (rarely), that is rolled back and the records are recorded unknown instead,
        with why. Only where other processes write while this transaction is open
        (PostgreSQL): on SQLite it would hold the single write lock through the pacing.

        An exception to "no Slack call inside an open transaction", bounded so: the
        transaction locks no run row (results are keyed to enrollments, not to runs), so
        lease renewals never wait for it; only the process that takes the run over would
        wait, on the rows it wrote. The database ends it once it is idle a third of the
        lease (a statement after each reply restarts that clock): the rows of a process that
        vanished mid-digest are free a third of a lease after its last statement, where its
        connection kept them until TCP keepalives gave up (hours), and each process taking
        the run over failed on them. It commits only in the transaction that renews the
        lease, so a holder that lost the run commits nothing. A reply that waited longer
        than that limit (Slack's rate limits, a slow network) costs only the early write:
        the results are then written after the replies, as on SQLite."""
        replies_posted, lost = False, None
        try:
            with write_transaction(self.runner.sessions) as session:
                idle = IdleLimit(session, self.runner.lease / 3)
                ok = session.begin_nested()
                self._write_pending(session, index, ActionOutcome.OK, None, reference)
                lost = self._post_replies(posted, replies, after_each=idle.touch)
                replies_posted = True
                idle.raise_if_ended()
                if lost is None:
                    ok.commit()
                else:
                    ok.rollback()
                    self._write_pending(session, index, ActionOutcome.UNKNOWN, lost, reference)
                self._hold_in(session)
        except DBAPIError as error:
            if not (replies_posted and connection_lost(error)):
                raise
            log.warning(
                "run %s: the database ended the transaction of the digest's results while "
                "its replies were posted (%s); writing them now",
                self.run_id,
                error.orig,
            )
            self._record_pending(index, _digest_outcome(lost), lost, reference)

    def _post_digest(
        self, messages: Sequence[Message], found: Posted | None
    ) -> tuple[Posted, str | None]:
        """Posts a digest and its replies in its thread; the parent message, and what may be
        missing of the replies. ``found``: the parent as found in Slack (``_found_posted``),
        None when looked for and not found. Raises DeliveryFailed or OutcomeUnknown for the
        parent."""
        posted = self._posted_parent(messages[0], found)
        return posted, self._post_replies(posted, messages[1:])

    def _posted_parent(self, parent: Message, found: Posted | None) -> Posted:
        """The digest's parent: as found in Slack, else posted now (it was looked for)."""
        if found is not None:
            return found
        self.searching_history = False  # no parent: nothing after it was posted either
        return self._post_new(parent)

    def _post_replies(
        self,
        posted: Posted,
        replies: Sequence[Message],
        after_each: Callable[[], None] = lambda: None,
    ) -> str | None:
        """Posts a digest's replies in the thread of its parent (``posted``), calling
        ``after_each`` after each one; what may be missing of them, if anything."""
        lost: str | None = None
        for part, reply in enumerate(replies, start=1):
            # A reply Slack held past the lease: the process that took the run over posts
            # the rest, so this one must not (LeaseLost).
            self._keep_lease()
            try:
                self._post_once(replace(reply, thread_ts=posted.ts))
            except OutcomeUnknown as unknown:
                # The other replies are still posted: only this one may be missing.
                lost = lost or f"reply {part} of the digest: {unknown.reason}"
            except DeliveryFailed as refused:
                # Once the parent is in the channel, a refused reply is recorded as one that
                # may be missing, with the parent's link: recorded failed without it, a
                # re-run would not look for this run's messages and post the parent again.
                # The words say which reply is missing and what a re-run does about it: the
                # outcome says only "may be missing".
                lost = lost or (
                    f"Slack refused reply {part} of the digest's {len(replies)}: "
                    f"{refused.reason}. The digest and its other replies were posted. Re-run "
                    "failed posts only the missing replies, into the digest's thread: fix what "
                    "Slack refused first, or it may refuse them again"
                )
            after_each()
        return lost

    def _send_dm(self, index: int, action: SendDm) -> None:
        """Direct messages to the action's people: per record, or one digest each."""
        recipients = self._recipients(action)
        if not recipients.people:
            outcome = ActionOutcome.FAILED if recipients.problems else ActionOutcome.SKIPPED
            reason = "; ".join(recipients.problems) or (
                "no one to send to: the action's user groups have no members"
            )
            done = self._done_so_far(index)
            for batch in self._records(index, done):
                pending = [record.id for record in batch if record.id not in done]
                if pending:
                    self._record_many(pending, index, outcome, reason, None)
            return
        if self._is_digest(action):
            mark = ActionMark(self.run_id, DIGEST_RECORD_ID, index)
            parents = self._found_dm_digests(recipients.people, mark)
            # Someone got the digest already: everyone gets it as it was laid out then.
            posted = any(isinstance(found, Posted) for found in parents.values())
            sections = self._digest_sections(index, action, posted=posted)
            if sections is not None:
                sends = {
                    person: partial(self._post_dm_digest, person, sections, mark, parents[person])
                    for person in recipients.people
                }
                self._record_pending(index, *self._deliver_each(sends, recipients.problems))
            return
        done = self._done_so_far(index)
        for batch in self._records(index, done):
            for record in batch:
                if record.id in done:
                    continue
                text = action.text.render(self._context(record))
                mark = ActionMark(self.run_id, record.id, index)
                sends = {
                    person: partial(self._post_once, Message(person, text, mark=mark))
                    for person in recipients.people
                }
                delivered = self._deliver_each(sends, recipients.problems)
                self._record_many([record.id], index, *delivered)

    def _found_dm_digests(
        self, people: Sequence[str], mark: ActionMark
    ) -> dict[str, Posted | DeliveryFailed | OutcomeUnknown | None]:
        """Each person's digest parent as found in their conversation (resumed, or in a
        re-run: as ``_found_posted``), None when not there; or why that cannot be told,
        which their send then raises. Each conversation is searched, as _deliver_each does."""
        resuming = self.searching_history
        found: dict[str, Posted | DeliveryFailed | OutcomeUnknown | None] = {}
        for person in people:
            self.searching_history = resuming
            try:
                found[person] = self._found_posted(Message(person, "", mark=mark))
            except (DeliveryFailed, OutcomeUnknown) as cannot_tell:
                found[person] = cannot_tell
        self.searching_history = resuming
        return found

    def _post_dm_digest(
        self,
        person: str,
        sections: Sequence[str],
        mark: ActionMark,
        found: Posted | DeliveryFailed | OutcomeUnknown | None,
    ) -> Posted:
        if isinstance(found, DeliveryFailed | OutcomeUnknown):
            raise found
        messages = digest_messages(sections, person, mark)
        posted, lost = self._post_digest(messages, found)
        if lost is not None:
            raise OutcomeUnknown(lost)
        return posted

    def _deliver_each(
        self, sends: Mapping[str, Callable[[], Posted]], problems: Sequence[str]
    ) -> tuple[ActionOutcome, str | None, dict[str, Any] | None]:
        """Sends one action's message to each person (the mark of each message is the same:
        each goes to its own conversation); the one outcome to record for it: ok when
        everyone got it, else failed or unknown, naming who did not and why; and where the
        messages are."""
        posted: list[Posted] = []
        failed = list(problems)
        unknown: list[str] = []
        # Resuming, each person's conversation is searched: the people may not be those, or
        # in the order, the dead process sent to (a user group's members change), so one
        # not found does not mean the next was not sent to.
        resuming = self.searching_history
        found_any = False
        for person, send in sends.items():
            self.searching_history = resuming
            try:
                posted.append(send())
                found_any = found_any or self.searching_history
            except DeliveryFailed as failure:
                failed.append(f"{person}: {failure.reason}")
            except OutcomeUnknown as uncertain:
                unknown.append(f"{person}: {uncertain.reason}")
        # The next records' messages can have been sent only if some of these were.
        self.searching_history = resuming and found_any
        reference = (
            {"messages": [{"channel": p.channel, "ts": p.ts} for p in posted]} if posted else None
        )
        if failed or unknown:
            outcome = ActionOutcome.FAILED if failed else ActionOutcome.UNKNOWN
            reached = f" (sent to {len(posted)} of {len(sends)} people)" if posted else ""
            reason = "; ".join(failed + unknown) + reached
            return outcome, reason, reference
        return ActionOutcome.OK, None, reference

    def _deliver(self, message: Message, record_ids: Sequence[int], index: int) -> None:
        outcome, reason, reference = self.delivery(message)
        self._record_many(record_ids, index, outcome, reason, reference)

    def delivery(self, message: Message) -> tuple[ActionOutcome, str | None, dict[str, Any] | None]:
        """Posts the message once (``_post_once``); its outcome, why if not ok, and where it
        is. Raises Postponed when Slack is away for now."""
        try:
            posted = self._post_once(message)
        except DeliveryFailed as failure:
            return ActionOutcome.FAILED, failure.reason, None
        except OutcomeUnknown as unknown:
            return ActionOutcome.UNKNOWN, unknown.reason, None
        return ActionOutcome.OK, None, {"channel": posted.channel, "ts": posted.ts}

    def _post_once(self, message: Message) -> Posted:
        """Posts unless a resumed run finds the message already posted before a crash; a
        post whose outcome is unknown is looked for before it is posted again.

        A run posts one message at a time, in the same order when it resumes, so only the
        messages up to the first one not found in Slack can have been posted by the dead
        process: the search stops there, and later messages are simply posted. Raises
        OutcomeUnknown when a post's outcome is unknown and history cannot tell.
        """
        found = self._found_posted(message)
        return found if found is not None else self._post_new(message)

    def _found_posted(self, message: Message) -> Posted | None:
        """The message as a resumed run finds it posted before a crash, or a re-run finds
        the retried run's whose outcome was unknown; None when it is surely not posted (a
        resumed run then stops searching). Raises OutcomeUnknown when a re-run cannot tell,
        and when Slack is away Postponed (DeliveryFailed once the run gives up)."""
        if message.mark is None:
            return None
        try:
            if self.searching_history:
                found = self._posted_before_resuming(message, message.mark)
                if found is not None:
                    return found
                self.searching_history = False
            if self.retry is not None:
                return self._posted_by_retried_run(message, message.mark)
            return None
        except DeliveryUnavailable as outage:
            raise self._unavailable(outage) from outage

    def _post_new(self, message: Message) -> Posted:
        """Posts a message looked for already and not found (``_post_checked``)."""
        try:
            return self._post_checked(message)
        except DeliveryUnavailable as outage:
            raise self._unavailable(outage) from outage

    def _unavailable(self, outage: DeliveryUnavailable) -> DeliveryFailed | Postponed:
        # Slack is down for now: resume later, unless this run has tried long enough.
        if self.giving_up:
            return DeliveryFailed(outage.code, outage.reason)
        return Postponed(outage.reason)

    def _posted_before_resuming(self, message: Message, mark: ActionMark) -> Posted | None:
        try:
            return self.notifier.find_marked(
                message.channel, mark, self.started_at - HISTORY_MARGIN, message.thread_ts
            )
        except HistoryUnreadable:
            # Whether the dead process posted it cannot be told: a message possibly posted
            # twice beats one never posted, and the bot says once that it lacks the scopes.
            return None

    def _posted_by_retried_run(self, message: Message, mark: ActionMark) -> Posted | None:
        """In a re-run, the message the retried run may have posted although its outcome
        was unknown, found by that run's mark; None when it was surely not posted. Raises
        OutcomeUnknown when its history cannot tell: it is not posted a second time."""
        assert self.retry is not None
        if (mark.record_id, mark.action_index) not in self.retry.unknown:
            return None
        earlier = replace(mark, run_id=self.retry.run_id)
        try:
            return self.notifier.find_marked(
                message.channel, earlier, self.retry.started_at - HISTORY_MARGIN, message.thread_ts
            )
        except HistoryUnreadable as unreadable:
            raise OutcomeUnknown(
                f"run #{self.retry.run_id} may have posted this message, and the bot cannot "
                f"read the channel's history to check ({unreadable.reason}): it was not "
                "posted again, so that it is not posted twice"
            ) from unreadable

    def _post_checked(self, message: Message) -> Posted:
        """Posts; when Slack answered with an error after the message was sent, looks for it
        in the channel and posts again only when it is not there, POST_TRIES posts at most
        (then DeliveryUnavailable: the run resumes later and looks for it first)."""
        tries = 1
        while True:
            try:
                return self.notifier.post(message)
            except DeliveryUncertain as uncertain:
                found = self._posted_despite(message, uncertain)
                if found is not None:
                    return found
                if tries >= POST_TRIES:
                    raise DeliveryUnavailable(
                        uncertain.code,
                        f"{uncertain.reason} (it was sent {tries} times, and each time not "
                        "found in the channel then): the delivery can be tried again later",
                        uncertain.details,
                    ) from uncertain
                tries += 1

    def _posted_despite(self, message: Message, uncertain: DeliveryUncertain) -> Posted | None:
        """The message if Slack posted it although it answered with an error; None when it
        is surely not there. Raises OutcomeUnknown when that cannot be told."""
        if message.mark is None:
            raise OutcomeUnknown(
                f"{uncertain.reason}, and the message has no mark to look for it by: "
                "it was not posted again, so that it is not posted twice"
            )
        try:
            return self.notifier.find_marked(
                message.channel,
                message.mark,
                self.started_at - HISTORY_MARGIN,
                message.thread_ts,
            )
        except HistoryUnreadable as unreadable:
            raise OutcomeUnknown(
                f"{uncertain.reason}, and the bot cannot read the channel's history to check "
                f"whether it was posted ({unreadable.reason}): it was not posted again, so "
                "that it is not posted twice"
            ) from unreadable
        except DeliveryUnavailable as outage:
            if not self.giving_up:
                raise  # postponed: the resumed run looks for it first
            raise OutcomeUnknown(
                f"{uncertain.reason}, and Slack could not show the channel's history to check "
                f"whether it was posted ({outage.reason}): the run gave up without posting it "
                "again"
            ) from outage

    def _change_record(
        self, index: int, action: SetProperty | CreateTask, record: EnrolledRecord
    ) -> None:
        # The change and its result commit together: a crash leaves neither or both.
        with write_transaction(self.runner.sessions) as session:
            if isinstance(action, SetProperty):
                setter = self.setters.get(index)
                if setter is None:  # checked once per action, with its first record
                    setter = PropertySetter.checked(session, self.object_type_id, action)
                    self.setters[index] = setter
                reason = setter.set(
                    session, record.id, self.zone_now.date(), self.runner.clock.now()
                )
            else:
                key = f"run-{self.run_id}-record-{record.id}-action-{index + 1}"
                reason = create_task(
                    session,
                    self.team_id,
                    record.id,
                    action,
                    self._context(record),
                    key,
                    self.runner.clock.now(),
                )
            outcome = ActionOutcome.OK if reason is None else ActionOutcome.FAILED
            RunRepository(session).record_result(
                self.run_id, record.id, index, outcome, reason, None, self.runner.clock.now()
            )
        self._keep_lease()

    def _record(
        self, record_id: int, index: int, outcome: ActionOutcome, reason: str | None
    ) -> None:
        self._record_many([record_id], index, outcome, reason, None)

    def _record_many(
        self,
        record_ids: Sequence[int],
        index: int,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
    ) -> None:
        with write_transaction(self.runner.sessions) as session:
            RunRepository(session).record_results(
                self.run_id, record_ids, index, outcome, reason, reference, self.runner.clock.now()
            )
        self._keep_lease()

    def _keep_lease(self) -> None:
        # Renewing by elapsed time, not by count: one slow channel (Slack paces posts to one
        # per second) must not let the lease run out while the run is making progress.
        now = self.runner.clock.now()
        if now - self.last_renewal >= self.runner.lease / 3:
            self.last_renewal = now
            self.runner.renew(self.run_id, self.waiting)

    # Finish -----------------------------------------------------------------------------

    def _finish(self) -> RunStatus:
        now = self.runner.clock.now()
        # Counted in a read transaction: a write transaction (BEGIN IMMEDIATE on SQLite) would
        # make other processes' planning and claims wait while the enrollments are counted.
        # Only the holder of the run's lease writes its results, so the counts still hold.
        with transaction(self.runner.sessions) as session:
            summary, stored, status = self.summarised(session, now)
        return self.report_and_finish(summary, stored, status, now)

    def summarised(
        self,
        session: Session,
        now: datetime,
        counts: Mapping[str, int] | None = None,
        earlier: EarlierRuns | None = None,
    ) -> tuple[RunSummary, dict[str, Any], RunStatus]:
        """The run's summary, what is stored of it, and the status it finishes with;
        ``counts``, its results by outcome, and ``earlier`` when the caller knows them."""
        summary = RunSummary.gather(
            session,
            self.run_id,
            self.definition,
            self.started_at,
            now,
            self.enrolled_count,
            counts,
            earlier,
        )
        run = session.get(Run, self.run_id)
        # Counts the planner noted before the run (missed_not_recorded) stay beside its own.
        noted = dict(run.summary or {}) if run is not None else {}
        stored = {**noted, **summary.to_json()}
        status = RunStatus.FAILED if summary.all_failed else RunStatus.SUCCEEDED
        return summary, stored, status

    def reports(self, summary: RunSummary) -> bool:
        """Whether the run posts a summary or alerts its owner once it is done."""
        return self._wants_summary(summary) or self._wants_alert(summary)

    def report_and_finish(
        self, summary: RunSummary, stored: dict[str, Any], status: RunStatus, now: datetime
    ) -> RunStatus:
        """Posts the summary and alert the run's settings want, then finishes it; raises
        LeaseLost when another process took the run over meanwhile."""
        # Every run reports, scheduled or started by hand (a re-run linked to its run), when
        # its settings want a summary or an alert.
        self._post_summary(summary)
        alerted = self._alert_owner(summary)
        with write_transaction(self.runner.sessions) as session:
            # Guarded by the lease: a process that lost the run to another finishes nothing
            # (its lease may have run out while it counted or posted), and reports nothing.
            finished = RunRepository(session).finish(
                self.run_id, self.runner.owner, status, stored, now, owner_alerted=alerted
            )
        if not finished:
            raise LeaseLost(self.run_id)
        return status

    def _abandon(self) -> RunStatus:
        reason = (
            f"stopped after {self.attempts - 1} attempts: every process that ran it died "
            "(see the bot's logs); the actions not recorded did not run"
        )
        with write_transaction(self.runner.sessions) as session:
            finished = RunRepository(session).finish(
                self.run_id,
                self.runner.owner,
                RunStatus.FAILED,
                {},
                self.runner.clock.now(),
                reason=reason,
            )
        if not finished:
            raise LeaseLost(self.run_id)
        return RunStatus.FAILED

    def _post_summary(self, summary: RunSummary) -> None:
        """The summary in the workflow's channel, when its policy wants one for this run."""
        settings = self.definition.settings
        if settings.summary_channel and self._wants_summary(summary):
            problems = summary.failed + summary.unknown
            text = summary_message(summary)
            self._report(settings.summary_channel, text, SUMMARY_MARK_INDEX, problems)

    def _wants_summary(self, summary: RunSummary) -> bool:
        settings = self.definition.settings
        # An unknown outcome is a problem to report, as a failure is.
        problems = summary.failed + summary.unknown
        return bool(settings.summary_channel) and settings.summary.wants_summary(
            summary.enrolled, problems
        )

    def _wants_alert(self, summary: RunSummary) -> bool:
        problems = summary.failed + summary.unknown
        return self.definition.settings.alert_owner.wants_alert(problems, summary.all_failed)

    def _alert_owner(self, summary: RunSummary) -> bool:
        """One direct message to the owner when the run had failed actions and the
        workflow's alert_owner setting wants it; whether it was posted."""
        if not self._wants_alert(summary):
            return False
        problems = summary.failed + summary.unknown
        text = failure_alert_message(summary)
        return self._report(self.definition.owner, text, ALERT_MARK_INDEX, problems)

    def _report(self, channel: str, text: str, mark_index: int, problems: int) -> bool:
        """Posts a report of the run (with its Details button) under its own mark, so that a
        resumed run finds it instead of posting it again; whether it is in Slack."""
        mark = ActionMark(self.run_id, DIGEST_RECORD_ID, mark_index)
        message = Message(
            channel,
            text,
            (text,),
            mark=mark,
            details_of_run=self.run_id,
            failed_actions=problems,
        )
        try:
            self._post_once(message)
        except (DeliveryFailed, OutcomeUnknown) as failure:
            log.warning(
                "run %s: report to %s not delivered (or not known to be): %s",
                self.run_id,
                channel,
                failure,
            )
            return False
        return True


@dataclass(frozen=True)
class _RetryOf:
    """The run a re-run retries: when it started (its messages are searched from then),
    and which of its (record, action) results were unknown, by the marks of its messages
    (a digest's mark names no record)."""

    run_id: int
    started_at: datetime
    unknown: frozenset[tuple[int, int]]

    @classmethod
    def of(cls, session: Session, run: Run) -> _RetryOf | None:
        retried = session.get(Run, run.retry_of) if run.retry_of is not None else None
        if retried is None:
            return None
        pairs = FollowUpRepository(session).unknown_pairs(retried.id)
        marks = pairs | {(DIGEST_RECORD_ID, index) for _record, index in pairs}
        return cls(retried.id, retried.started_at or retried.scheduled_at, frozenset(marks))


def _digest_outcome(lost: str | None) -> ActionOutcome:
    """A posted digest's outcome: ok, or unknown when one of its replies may be missing."""
    return ActionOutcome.OK if lost is None else ActionOutcome.UNKNOWN


def names_owners(definition: WorkflowDefinition) -> bool:
    """Whether an action messages records' owners or mentions them (so the run asks Slack
    who they are first)."""
    return any(_names_owners(action) for action in definition.actions)


def _names_owners(action: Any) -> bool:
    return isinstance(action, SendOwnerDm) or any(
        OWNER in template.placeholders for template in action.templates
    )
