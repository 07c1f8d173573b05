"""Record sources: the SQL queries and HubSpot objects that feed object types, added, listed
and removed, and a sync of one of them run under its lease, with its outcome kept for
``sources list``."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.definitions import SetProperty
from bot.workflows.hubspot_portal import HubSpotError, PortalFactory
from bot.workflows.hubspot_sources import HubSpotSource, sync_hubspot
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.record_changes import undone_by_sync
from bot.workflows.source_reading import EnvironmentLookup, SourceError, SourceQuery
from bot.workflows.source_sync import SyncReport, read_snapshot
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import SourceKind, WorkflowStatus
from storage.database import transaction, write_transaction
from storage.models import RecordSource
from storage.object_types import OBJECT_TYPE_NAME, ObjectTypeRepository, UnknownObjectType
from storage.record_sources import RecordSourceRepository, SyncCounts
from storage.records import RecordRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
ENVIRONMENT_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
DEFAULT_MAX_STALENESS = timedelta(minutes=5)
# Syncing more often than this is a mistake: a sync reads the whole query.
MIN_EVERY = timedelta(minutes=1)
MAX_DURATION = timedelta(days=30)
# A process holds a source this long per sync unless it renews the lease (it does, every
# RENEW_EVERY, on PostgreSQL; SQLite's single writer keeps two syncs apart anyway).
SYNC_LEASE = timedelta(minutes=10)
# Well within the shortest lease a sync keeps alive: a run's (two minutes).
RENEW_EVERY = timedelta(seconds=30)
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_QUERY = 100_000


class SourceDefinitionError(ValueError):
    """Options of ``sources add`` that cannot make a source; the message says what to fix."""


class UnknownSource(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        listing = f"sources: {', '.join(known)}" if known else "there are no sources yet"
        super().__init__(f"there is no source named {name!r} ({listing})")


class FedType(ValueError):
    """A file import or a removal of records in a type that a source feeds."""


def parse_duration(text: str, option: str) -> timedelta:
    """``15m``, ``1h30m``, ``90s``, ``2d`` or ``0`` as a duration."""
    cleaned = text.strip().lower()
    if cleaned == "0":
        return timedelta(0)
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise SourceDefinitionError(
            f"{option} {text!r} is not a duration: write it as 30s, 15m, 1h, 1h30m or 2d"
        )
    duration = timedelta(seconds=sum(int(n) * _UNITS[unit] for n, unit in parts))
    if duration > MAX_DURATION:
        raise SourceDefinitionError(f"{option} {text!r} is longer than 30 days: use at most 30d")
    return duration


def shown_duration(seconds: int) -> str:
    """A duration as ``sources add`` takes it: 15m, 1h30m, 45s."""
    if seconds == 0:
        return "0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


@dataclass(frozen=True)
class NewSource:
    name: str
    type_name: str
    url_env: str
    query: str
    id_column: str
    every: timedelta | None = None
    max_staleness: timedelta = DEFAULT_MAX_STALENESS
    create_type: bool = False


@dataclass(frozen=True)
class AddedSource:
    name: str
    type_name: str
    # Records the type has already: the first sync removes those the query does not return.
    records: int


def add_source(session: Session, team_id: str, new: NewSource, now: datetime) -> AddedSource:
    """Adds a SQL source feeding ``new.type_name``. Nothing is read from its database yet:
    its URL may only be set where the bot runs. Raises SourceDefinitionError."""
    _check(new)
    sources = RecordSourceRepository(session)
    if sources.find(team_id, new.name) is not None:
        raise SourceDefinitionError(
            f"there is already a source named {new.name!r}: choose another name, or remove "
            f"it first (sources remove {new.name})"
        )
    object_types = ObjectTypeRepository(session)
    object_type = object_types.find(team_id, new.type_name)
    if object_type is None:
        if not new.create_type:
            raise UnknownObjectType(new.type_name, object_types.names(team_id))
        object_type = object_types.create_custom(team_id, new.type_name, now)
    feeding = sources.feeding(object_type.id)
    if feeding is not None:
        raise SourceDefinitionError(
            f"{new.type_name} is already fed by the source {feeding.name!r}, and one source "
            f"feeds one object type: remove it first (sources remove {feeding.name})"
        )
    _refuse_undone_changes(session, team_id, object_type.id, new)
    sources.add(
        RecordSource(
            team_id=team_id,
            name=new.name,
            kind=SourceKind.SQL.value,
            object_type_id=object_type.id,
            url_env=new.url_env,
            query=new.query.strip(),
            id_column=new.id_column,
            sync_every_seconds=None if new.every is None else int(new.every.total_seconds()),
            max_staleness_seconds=int(new.max_staleness.total_seconds()),
            created_at=now,
        )
    )
    return AddedSource(new.name, new.type_name, _live_records(session, object_type.id))


def _refuse_undone_changes(
    session: Session, team_id: str, object_type_id: int, new: NewSource
) -> None:
    """A SQL source's sync sets the records back to its query's rows: the active workflows
    setting a property of this type would see each change undone (as saving refuses)."""
    setting = [
        f"{workflow.name!r} (action {number}, Set a property: {action.property_name})"
        for workflow in WorkflowRepository(session).in_team(team_id)
        if workflow.object_type_id == object_type_id
        and workflow.status == WorkflowStatus.ACTIVE.value
        for number, action in enumerate(definition_of(session, workflow).actions, start=1)
        if isinstance(action, SetProperty)
    ]
    if setting:
        raise SourceDefinitionError(
            f"{new.type_name} has active workflows that set a property: {', '.join(setting)}; "
            f"its records would come from {undone_by_sync(new.name, 'each change')}. "
            "Pause those workflows (workflows pause NAME) or remove their Set a property "
            "action, then add the source"
        )


def _check(new: NewSource) -> None:
    if SOURCE_NAME.fullmatch(new.name) is None:
        raise SourceDefinitionError(
            f"{new.name!r} is not a valid source name: use lower-case letters, digits, - and "
            "_, starting with a letter"
        )
    if OBJECT_TYPE_NAME.fullmatch(new.type_name) is None:
        raise SourceDefinitionError(
            f"{new.type_name!r} is not a valid object type name: use lower-case letters, "
            "digits and _, starting with a letter"
        )
    if ENVIRONMENT_VARIABLE.fullmatch(new.url_env) is None:
        raise SourceDefinitionError(
            f"--url-env {new.url_env!r} is not an environment variable name: give the name "
            "of the variable that holds the URL (such as CRM_DATABASE_URL), not the URL"
        )
    if not new.query.strip():
        raise SourceDefinitionError("--query is empty: give the SELECT that returns the records")
    if len(new.query) > _MAX_QUERY:
        raise SourceDefinitionError(f"--query is longer than {_MAX_QUERY:,} characters")
    if not new.id_column.strip():
        raise SourceDefinitionError("--id-column is empty: name the column of stable ids")
    if new.every is not None and new.every < MIN_EVERY:
        raise SourceDefinitionError(
            "--every is shorter than a minute: a sync reads the whole query, use 1m or more"
        )


@dataclass(frozen=True)
class NewHubSpotSource:
    """``sources add hubspot``: NAME feeds one object; several objects make one source
    each, named NAME-object (one source feeds one type)."""

    name: str
    token_env: str
    every: timedelta | None = None
    max_staleness: timedelta = DEFAULT_MAX_STALENESS


def hubspot_source_names(name: str, objects: list[ObjectToSync]) -> list[str]:
    if len(objects) == 1:
        return [name]
    return [f"{name}-{found.name}" for found in objects]


def check_hubspot(new: NewHubSpotSource) -> None:
    """What can be checked before HubSpot is asked: the name, the variable's name, the
    period. Raises SourceDefinitionError."""
    if SOURCE_NAME.fullmatch(new.name) is None:
        raise SourceDefinitionError(
            f"{new.name!r} is not a valid source name: use lower-case letters, digits, - and "
            "_, starting with a letter"
        )
    if ENVIRONMENT_VARIABLE.fullmatch(new.token_env) is None:
        raise SourceDefinitionError(
            f"--token-env {new.token_env!r} is not an environment variable name: give the "
            "name of the variable that holds the access token (such as HUBSPOT_TOKEN), not "
            "the token"
        )
    if new.every is not None and new.every < MIN_EVERY:
        raise SourceDefinitionError(
            "--every is shorter than a minute: HubSpot's rate limits are shared, use 1m or more"
        )


def add_hubspot_sources(
    session: Session,
    team_id: str,
    new: NewHubSpotSource,
    objects: list[ObjectToSync],
    now: datetime,
) -> list[AddedSource]:
    """Adds one HubSpot source per object, each feeding the object type of the object's
    name (created when the team has none: a custom object). Nothing is synced yet."""
    check_hubspot(new)
    sources = RecordSourceRepository(session)
    object_types = ObjectTypeRepository(session)
    added = []
    for found, name in zip(objects, hubspot_source_names(new.name, objects), strict=True):
        if OBJECT_TYPE_NAME.fullmatch(found.name) is None:
            raise SourceDefinitionError(
                f"the HubSpot object {found.name!r} cannot be an object type here: its name "
                "must be lower-case letters, digits and _, starting with a letter"
            )
        if sources.find(team_id, name) is not None:
            raise SourceDefinitionError(
                f"there is already a source named {name!r}: choose another name, or remove "
                f"it first (sources remove {name})"
            )
        object_type = object_types.find(team_id, found.name) or object_types.create_custom(
            team_id, found.name, now
        )
        feeding = sources.feeding(object_type.id)
        if feeding is not None:
            raise SourceDefinitionError(
                f"{found.name} is already fed by the source {feeding.name!r}, and one source "
                f"feeds one object type: remove it first (sources remove {feeding.name})"
            )
        sources.add(
            RecordSource(
                team_id=team_id,
                name=name,
                kind=SourceKind.HUBSPOT.value,
                object_type_id=object_type.id,
                url_env=new.token_env,
                query="",
                id_column="",
                hubspot_object=found.api_name,
                hubspot_name_property=found.name_property,
                sync_every_seconds=None if new.every is None else int(new.every.total_seconds()),
                max_staleness_seconds=int(new.max_staleness.total_seconds()),
                created_at=now,
            )
        )
        added.append(AddedSource(name, found.name, _live_records(session, object_type.id)))
    return added


def _live_records(session: Session, object_type_id: int) -> int:
    return RecordRepository(session).live_count(object_type_id)


def source_named(session: Session, team_id: str, name: str) -> RecordSource:
    sources = RecordSourceRepository(session)
    found = sources.find(team_id, name)
    if found is None:
        raise UnknownSource(name, [source.name for source, _ in sources.of_team(team_id)])
    return found


def source_type_name(session: Session, source: RecordSource) -> str:
    for found, type_name in RecordSourceRepository(session).of_team(source.team_id):
        if found.id == source.id:
            return type_name
    raise LookupError(source.id)


@dataclass(frozen=True)
class SourceStatus:
    name: str
    type_name: str
    kind: SourceKind
    url_env: str
    query: str
    id_column: str
    every_seconds: int | None
    max_staleness_seconds: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_duration_ms: int | None
    counts: SyncCounts | None  # of the last successful sync
    last_error: str | None
    syncing: bool
    # HubSpot sources: the object read, where the next sync starts, the daily budget.
    hubspot_object: str | None = None
    cursor_at: datetime | None = None
    daily_limit: int | None = None
    daily_remaining: int | None = None


def _instant_of(milliseconds: int | None) -> datetime | None:
    return None if milliseconds is None else datetime.fromtimestamp(milliseconds / 1000, UTC)


def refuse_fed_type(session: Session, object_type_id: int, type_name: str, doing: str) -> None:
    """Raises FedType when a source feeds the type: its records come from there only."""
    source = RecordSourceRepository(session).feeding(object_type_id)
    if source is None:
        return
    if source.kind == SourceKind.HUBSPOT.value:
        raise FedType(
            f"{type_name} is fed by the HubSpot source {source.name!r}, so {doing} would be "
            f"undone by its syncs: change the records in HubSpot, or remove the source first "
            f"(sources remove {source.name})"
        )
    raise FedType(
        f"{type_name} is fed by the source {source.name!r}, whose query is the whole set "
        f"of its records, so {doing} would be undone by its next sync: change the rows at "
        f"the source, or remove the source first (sources remove {source.name})"
    )


# Syncing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOutcome:
    source_id: int
    name: str
    team_id: str
    object_type_id: int
    report: SyncReport | None = None
    error: str | None = None
    # What kind of failure ``error`` is (SourceError.code), for operators' metrics.
    error_code: str | None = None
    # Another process holds the source's lease: it is being synced now.
    busy: bool = False
    # When the data the type has was synced: the last success before this attempt, or now.
    data_as_of: datetime | None = None


KeepAlive = Callable[[], None]


def sync_source(
    sessions: sessionmaker[Session],
    source_id: int,
    owner: str,
    clock: Clock,
    environment: EnvironmentLookup,
    keep_alive: KeepAlive | None = None,
    portals: PortalFactory | None = None,
    periodic: bool = False,
) -> SyncOutcome:
    """Syncs one source now unless another process is: takes its lease, writes the snapshot
    (one transaction; a HubSpot source: its first or incremental sync, by its cursor),
    records the outcome and releases the lease. A source error is an outcome, not an
    exception; anything else still releases the lease, then propagates. ``portals`` opens
    HubSpot portals (None: HubSpot sources fail, saying so); a ``periodic`` sync of one lists
    HubSpot's archived objects once per ARCHIVED_EVERY only."""
    now = clock.now()
    # The lease names this sync, not only the process: the scheduler's threads of one
    # process may want the same source at the same instant.
    owner = f"{owner}/sync-{secrets.token_hex(4)}"[-128:]
    with write_transaction(sessions) as session:
        sources = RecordSourceRepository(session)
        source = sources.get(source_id)
        if source is None:
            raise UnknownSource(str(source_id), [])
        outcome = SyncOutcome(
            source_id,
            source.name,
            source.team_id,
            source.object_type_id,
            data_as_of=source.last_success_at,
        )
        if not sources.claim(source_id, owner, now, SYNC_LEASE):
            return replace(outcome, busy=True)
        query = SourceQuery(
            source.name, source.url_env, source.query, source.id_column, source.object_type_id
        )
        hubspot = _hubspot_source(source)
    started = time.perf_counter()
    # A HubSpot sync commits batch by batch, so on SQLite too another process may claim a
    # source whose lease ran out: its lease is renewed there as well.
    renewal = _LeaseRenewal(sessions, source_id, owner, clock, keep_alive, hubspot is not None)
    try:
        if hubspot is None:
            report = read_snapshot(sessions, query, environment, clock.now(), renewal, clock)
        else:
            synced = sync_hubspot(
                sessions, hubspot, environment, portals, clock.now(), periodic, renewal, clock
            )
            report = synced.report
            with write_transaction(sessions) as session:
                RecordSourceRepository(session).hubspot_progress(
                    source_id, synced.cursor_ms, synced.counts.daily_limit,
                    synced.counts.daily_remaining, synced.account,
                )  # fmt: skip
    except SourceError as error:
        duration = _milliseconds(started)
        with write_transaction(sessions) as session:
            sources = RecordSourceRepository(session)
            sources.failed(source_id, owner, clock.now(), duration, str(error))
            spent = error.counts if isinstance(error, HubSpotError) else None
            if hubspot is not None and spent is not None:
                # `sources list` shows the daily budget also after a failed sync.
                sources.hubspot_progress(
                    source_id, hubspot.cursor_ms, spent.daily_limit, spent.daily_remaining
                )
        return replace(outcome, error=str(error), error_code=error.code)
    except BaseException:
        with write_transaction(sessions) as session:
            RecordSourceRepository(session).release(source_id, owner)
        raise
    finished = clock.now()
    counts = SyncCounts(report.added, report.changed, report.removed.count)
    with write_transaction(sessions) as session:
        RecordSourceRepository(session).succeeded(
            source_id, owner, finished, _milliseconds(started), counts
        )
    return replace(outcome, report=report, data_as_of=finished)


def _hubspot_source(source: RecordSource) -> HubSpotSource | None:
    if source.kind != SourceKind.HUBSPOT.value or source.hubspot_object is None:
        return None
    return HubSpotSource(
        source.name,
        source.url_env,
        source.object_type_id,
        source.hubspot_object,
        source.hubspot_name_property,
        source.hubspot_cursor_ms,
        source.last_success_at,
        knows_portal=source.hubspot_portal_id is not None,
    )


def _milliseconds(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


class _LeaseRenewal:
    """Called between batches of a sync: renews the source's lease (and whatever else the
    caller keeps, such as a run's lease) every RENEW_EVERY.

    On PostgreSQL, where another transaction can write while the sync's is open, and for
    syncs that commit batch by batch (HubSpot's); a SQL source's sync on SQLite holds the
    only write lock, which already keeps other syncs out.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        source_id: int,
        owner: str,
        clock: Clock,
        then: KeepAlive | None,
        commits_in_batches: bool = False,
    ) -> None:
        self.sessions = sessions
        self.source_id = source_id
        self.owner = owner
        self.clock = clock
        self.then = then
        self.last = time.monotonic()
        with transaction(sessions) as session:
            self.enabled = commits_in_batches or session.get_bind().dialect.name != "sqlite"

    def __call__(self) -> None:
        if not self.enabled or time.monotonic() - self.last < RENEW_EVERY.total_seconds():
            return
        self.last = time.monotonic()
        with write_transaction(self.sessions) as session:
            RecordSourceRepository(session).renew(
                self.source_id, self.owner, self.clock.now(), SYNC_LEASE
            )
        if self.then is not None:
            self.then()


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def add(work: UnitOfWork, team_id: str, new: NewSource, now: datetime) -> AddedSource:
    """Adds an SQL source (add_source); nothing is synced yet."""
    with work.writing() as session:
        return add_source(session, team_id, new, now)


def add_hubspot(
    work: UnitOfWork,
    team_id: str,
    new: NewHubSpotSource,
    objects: list[ObjectToSync],
    now: datetime,
) -> list[AddedSource]:
    """Adds one HubSpot source per object, all or none (add_hubspot_sources)."""
    with work.writing() as session:
        return add_hubspot_sources(session, team_id, new, objects, now)


def statuses(work: UnitOfWork, team_id: str, now: datetime) -> list[SourceStatus]:
    """Each source of the workspace with its last sync, and whether one is under way."""
    with work.reading() as session:
        statuses = []
        for source, type_name in RecordSourceRepository(session).of_team(team_id):
            counts = None
            if source.last_success_at is not None:
                counts = SyncCounts(
                    source.last_added or 0, source.last_changed or 0, source.last_removed or 0
                )
            lease = source.sync_lease_expires_at
            syncing = source.sync_lease_owner is not None and lease is not None and lease > now
            statuses.append(
                SourceStatus(
                    name=source.name,
                    type_name=type_name,
                    kind=SourceKind(source.kind),
                    url_env=source.url_env,
                    query=source.query,
                    id_column=source.id_column,
                    every_seconds=source.sync_every_seconds,
                    max_staleness_seconds=source.max_staleness_seconds,
                    last_attempt_at=source.last_attempt_at,
                    last_success_at=source.last_success_at,
                    last_duration_ms=source.last_duration_ms,
                    counts=counts,
                    last_error=source.last_error,
                    syncing=syncing,
                    hubspot_object=source.hubspot_object,
                    cursor_at=_instant_of(source.hubspot_cursor_ms),
                    daily_limit=source.daily_limit,
                    daily_remaining=source.daily_remaining,
                )
            )
        return statuses


def source_id(work: UnitOfWork, team_id: str, name: str) -> int:
    """The id of the source called ``name``; UnknownSource when there is none."""
    with work.reading() as session:
        return source_named(session, team_id, name).id


def remove(work: UnitOfWork, team_id: str, name: str) -> str:
    """Removes the source; its records stay as they are (files may be imported into its type
    again). Returns the name of the type it fed."""
    with work.writing() as session:
        source = source_named(session, team_id, name)
        type_name = source_type_name(session, source)
        RecordSourceRepository(session).remove(source)
        return type_name
