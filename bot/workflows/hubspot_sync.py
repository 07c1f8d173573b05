"""One sync of a HubSpot object type into its records: the first one lists every object
(paged by ``paging.next.after``) and removes the records HubSpot no longer has; the next
ones ask the search API for what changed since a cursor, follow merged objects and remove
archived ones. Each batch of objects is written in a short transaction of its own, never
while a request is waiting on HubSpot."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.hubspot_portal import (
    SEARCH_PAGE,
    SEARCH_RESULT_CAP,
    HubSpotError,
    HubSpotObject,
    HubSpotPortal,
)
from bot.workflows.hubspot_schema import (
    OWNER_PROPERTY,
    ConvertedObject,
    ObjectSchema,
    convert,
    modified_ms,
    modified_property,
    object_schema,
)
from bot.workflows.vocabulary import PropertyType
from storage.database import write_transaction
from storage.hubspot_records import HubSpotRecordRepository
from storage.object_types import ObjectTypeRepository
from storage.properties import folded_copy
from storage.record_removal import RecordRemoval
from storage.records import DatedRecordUpdate, NewRecord, RecordRepository

# Objects read ahead while a batch is written: two batches, so that the next one is being
# fetched (at the rate's pace) while the last one is written, not three pages of it.
PREFETCH = 2_000
# Objects written per transaction: ten list pages, five search pages.
WRITE_BATCH = 1_000
# A first sync's cursor starts this long before the sync did: an object changed while the
# listing was paged may have been listed in its old state, and the next sync reads it again.
FIRST_SYNC_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class HubSpotSyncReport:
    object_type: str
    fetched: int
    added: int
    changed: int
    unchanged: int
    removed: int
    followed: int  # records that followed a merged object to its new id
    # Where the next incremental sync starts: a last-modified instant, in milliseconds.
    cursor: int | None
    # Search queries started (a new one before each 10,000 results) and pages read.
    queries: int = 0
    pages: int = 0
    schema: ObjectSchema | None = None


@dataclass
class _Tally:
    fetched: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    followed: int = 0
    queries: int = 0
    pages: int = 0


STANDARD_OBJECTS = ("contacts", "companies", "deals", "tickets")


@dataclass(frozen=True)
class ObjectToSync:
    """An object named in ``--objects``, as the APIs take it."""

    name: str  # as the user wrote it: deals, cars
    api_name: str  # deals, or a custom object's objectTypeId (2-3444025)
    name_property: str | None = None


def objects_to_sync(portal: HubSpotPortal, names: Sequence[str]) -> list[ObjectToSync]:
    """The standard objects by name, custom ones looked up by name in the portal's schemas
    (``GET /crm/v3/schemas``), only when one is asked for. Raises HubSpotError naming the
    portal's objects when one is not there."""
    wanted = list(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
    custom = [name for name in wanted if name not in STANDARD_OBJECTS]
    defined = {o.name.lower(): o for o in portal.custom_objects()} if custom else {}
    missing = [name for name in custom if name not in defined]
    if missing:
        known = [*STANDARD_OBJECTS, *sorted(defined)]
        raise HubSpotError(
            f"the HubSpot portal has no object named {', '.join(map(repr, missing))}: "
            f"--objects takes {', '.join(known)}"
        )
    return [
        ObjectToSync(name, name)
        if name in STANDARD_OBJECTS
        else ObjectToSync(name, defined[name].object_type_id, defined[name].name_property)
        for name in wanted
    ]


class HubSpotObjectSync:
    """Syncs one HubSpot object type (``deals``, a custom object's name) into the records
    of the object type ``object_type_id``."""

    def __init__(
        self,
        portal: HubSpotPortal,
        sessions: sessionmaker[Session],
        object_type_id: int,
        hubspot_type: str,
        search_cap: int = SEARCH_RESULT_CAP,
        name_property: str | None = None,
        keep_alive: Callable[[], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.portal = portal
        # Read for each batch's transaction: the values a batch replaces were current until
        # it committed, minutes after the sync began (None: every batch at the sync's start).
        self.clock = clock
        # Called after each batch is written: renews the source's lease (and a waiting run's),
        # so a sync longer than the lease is not taken over by a second process.
        self.keep_alive = keep_alive
        # HubSpot's cap; tests lower it (with the stand-in's) to cross it with fewer objects.
        self.search_cap = search_cap
        self.sessions = sessions
        self.object_type_id = object_type_id
        self.hubspot_type = hubspot_type
        self.name_property = name_property
        self.tally = _Tally()

    def schema(self) -> ObjectSchema:
        """Reads the object's properties, pipelines and owners and declares its properties
        (new ones, new options): a schema change in HubSpot shows at the next sync."""
        pipelines = (
            self.portal.pipelines(self.hubspot_type)
            if self.hubspot_type in ("deals", "tickets")
            else []
        )
        schema = object_schema(
            self.hubspot_type,
            self.portal.properties(self.hubspot_type),
            pipelines,
            self.portal.owners(),
            self.name_property,
        )
        with write_transaction(self.sessions) as session:
            object_types = ObjectTypeRepository(session)
            object_types.declare(
                self.object_type_id,
                schema.types,
                {name: list(options) for name, options in schema.options.items()},
                labels=schema.labels,
                option_labels=schema.options,
            )
            declared = object_types.property_types(self.object_type_id)
        # A property the type had already (from a file, say) keeps its type, which declare
        # never changes: values are stored as that type (a datetime's day for a date).
        types = {name: declared.get(name, kind) for name, kind in schema.types.items()}
        return replace(schema, types=types)

    def first(self, now: datetime) -> HubSpotSyncReport:
        """Every object of the type; the records of objects HubSpot no longer lists are
        removed once the listing is complete."""
        schema = self.schema()
        seen: set[str] = set()
        newest: int | None = None
        listing = _prefetched(self._listing(schema, archived=False))
        for batch in _batches(listing, WRITE_BATCH):
            converted = [convert(schema, o.id, o.properties) for o in batch]
            seen.update(c.external_id for c in converted)
            newest = _latest(newest, converted)
            self._write(schema, converted, now)
        with write_transaction(self.sessions) as session:
            live = HubSpotRecordRepository(session).live_ids(self.object_type_id)
            absent = sorted(record_id for key, record_id in live.items() if key not in seen)
            self.tally.removed += RecordRemoval(session).remove(absent, self._at(now))
        started = round((now - FIRST_SYNC_MARGIN).timestamp() * 1000)
        cursor = started if newest is None else min(newest, started)
        return self._report(schema, cursor)

    def incremental(
        self,
        cursor: int,
        now: datetime,
        known_schema: ObjectSchema | None = None,
        archived: bool = True,
    ) -> HubSpotSyncReport:
        """What changed at or after ``cursor`` (milliseconds), oldest first, then the
        archived objects removed (unless ``archived`` is False: the archived listing is
        one request per 100 archived objects, which the search cannot narrow, so the
        caller decides how often it is read).

        ``known_schema``, from an earlier sync, spares reading HubSpot's schema again (the
        caller decides how often it is read); it is read anyway as soon as an object holds
        an option or an owner the known schema does not have (added or renamed in HubSpot)."""
        schema = known_schema or self.schema()
        newest: int | None = cursor
        for batch in _batches(_prefetched(self._changes(schema, cursor)), SEARCH_PAGE * 5):
            if known_schema is not None and _unknown_to(schema, batch):
                # Once per sync: an owner HubSpot no longer lists (deactivated) stays unknown.
                schema, known_schema = self.schema(), None
            converted = [convert(schema, o.id, o.properties) for o in batch]
            newest = _latest(newest, converted)
            self._write(schema, converted, now)
        if archived:
            self._remove_archived(schema, now)
        return self._report(schema, newest)

    def _report(self, schema: ObjectSchema, cursor: int | None) -> HubSpotSyncReport:
        t = self.tally
        return HubSpotSyncReport(
            self.hubspot_type,
            t.fetched,
            t.added,
            t.changed,
            t.unchanged,
            t.removed,
            t.followed,
            cursor,
            t.queries,
            t.pages,
            schema,
        )

    # Reading --------------------------------------------------------------------------------

    def _listing(self, schema: ObjectSchema, archived: bool) -> Iterator[HubSpotObject]:
        after: str | None = None
        properties = schema.fetched if not archived else []
        while True:
            page = self.portal.list_page(self.hubspot_type, properties, after, archived)
            self.tally.pages += 1
            yield from page.results
            if page.next_after is None:
                return
            after = page.next_after

    def _changes(self, schema: ObjectSchema, cursor: int) -> Iterator[HubSpotObject]:
        """The search's results from ``cursor`` on, each object once.

        One query can page through SEARCH_RESULT_CAP results only: before the next page
        would pass it, a new query starts at the last instant read (GTE, not GT, since
        more objects may share that millisecond on the next page), and the objects already
        read at that instant are skipped."""
        modified = modified_property(self.hubspot_type)
        since = cursor
        read_at_since: set[str] = set()  # objects read whose modification is at ``since``
        while True:
            self.tally.queries += 1
            query_since, after, read_in_query = since, None, 0
            while True:
                page = self.portal.search_modified_since(
                    self.hubspot_type, schema.fetched, modified, query_since, after
                )
                self.tally.pages += 1
                for found in page.results:
                    stamp = modified_ms(self.hubspot_type, found.properties)
                    if stamp == query_since and found.id in read_at_since:
                        continue  # read by the query before, at the instant this one starts
                    if stamp is not None and stamp > since:
                        since, read_at_since = stamp, set()
                    if stamp == since:
                        read_at_since.add(found.id)
                    yield found
                read_in_query += len(page.results)
                if page.next_after is None:
                    return
                if read_in_query + SEARCH_PAGE > self.search_cap:
                    break
                after = page.next_after
            if since == query_since:
                raise HubSpotError(
                    f"more than {self.search_cap:,} {self.hubspot_type} were changed in the "
                    "same millisecond, which HubSpot's search cannot page through: run a "
                    "first (full) sync of them instead"
                )

    def _remove_archived(self, schema: ObjectSchema, now: datetime) -> None:
        archived = [o.id for o in self._listing(schema, archived=True)]
        if not archived:
            return
        with write_transaction(self.sessions) as session:
            found = RecordRemoval(session).by_external_id(self.object_type_id, archived)
            ids = [record_id for record_id, _, removed in found.values() if not removed]
            self.tally.removed += RecordRemoval(session).remove(ids, self._at(now))

    def _at(self, started: datetime) -> datetime:
        """The instant a batch's transaction writes at."""
        return started if self.clock is None else self.clock.now()

    # Writing --------------------------------------------------------------------------------

    def _write(
        self, schema: ObjectSchema, converted: Sequence[ConvertedObject], now: datetime
    ) -> None:
        # The same object twice in a batch (a search page boundary moved under it): the
        # later one is the newer state.
        latest = {c.external_id: c for c in converted}
        self.tally.fetched += len(converted)
        with write_transaction(self.sessions) as session:
            now = self._at(now)
            self._follow_merges(session, latest.values(), now)
            records = RecordRepository(session)
            stored = records.existing(self.object_type_id, list(latest))
            new: list[NewRecord] = []
            changed: list[DatedRecordUpdate] = []
            for external_id, item in latest.items():
                current = stored.get(external_id)
                if current is None:
                    new.append(self._new(schema.types, item, now))
                    continue
                kept = {k: v for k, v in current.properties.items() if k not in schema.types}
                properties = {**kept, **item.properties}
                same = (item.name, item.owner, properties) == (
                    current.name,
                    current.owner,
                    current.properties,
                )
                if same and not current.deleted:
                    self.tally.unchanged += 1
                    continue
                self.tally.added += current.deleted
                self.tally.changed += not current.deleted
                changed.append(
                    {
                        "record_id": current.id,
                        "name": item.name,
                        "owner": item.owner,
                        "properties": properties,
                        "folded": folded_copy(properties, _types(schema.types, properties)),
                        "updated_at": item.updated_at or now,
                        "created_at": item.created_at or current.created_at or now,
                    }
                )
            self.tally.added += len(new)
            records.insert_many(new)
            records.update_many(changed, now)
        if self.keep_alive is not None:
            self.keep_alive()

    def _new(
        self, types: dict[str, PropertyType], item: ConvertedObject, now: datetime
    ) -> NewRecord:
        return {
            "object_type_id": self.object_type_id,
            "external_id": item.external_id,
            "name": item.name,
            "owner": item.owner,
            "properties": item.properties,
            "folded": folded_copy(item.properties, types),
            "created_at": item.created_at or now,
            "updated_at": item.updated_at or now,
        }

    def _follow_merges(
        self, session: Session, items: Iterable[ConvertedObject], now: datetime
    ) -> None:
        """An object HubSpot merged others into lists their ids in hs_merged_object_ids:
        the record of a merged id becomes the survivor's (its history kept) unless the
        survivor has a record already, in which case the merged one is removed."""
        merging = [item for item in items if item.merged_ids]
        if not merging:
            return
        removal = RecordRemoval(session)
        wanted = [i for item in merging for i in (item.external_id, *item.merged_ids)]
        found = removal.by_external_id(self.object_type_id, wanted)
        followed = HubSpotRecordRepository(session)
        gone: list[int] = []
        for item in merging:
            for old in item.merged_ids:
                if old not in found:
                    continue
                if item.external_id in found:
                    gone.append(found[old][0])
                    continue
                followed.follow(self.object_type_id, old, item.external_id, now)
                found[item.external_id] = found.pop(old)
                self.tally.followed += 1
        self.tally.removed += removal.remove(gone, now)


def _types(
    declared: dict[str, PropertyType], properties: Mapping[str, object]
) -> dict[str, PropertyType]:
    # Properties kept from elsewhere (not HubSpot's) count as text for their folded copy.
    return {name: declared.get(name, PropertyType.STRING) for name in properties}


def _unknown_to(schema: ObjectSchema, batch: Sequence[HubSpotObject]) -> bool:
    """Whether an object holds an option or an owner the schema does not know (added or
    renamed in HubSpot since it was read)."""
    for found in batch:
        owner = found.properties.get(OWNER_PROPERTY)
        if owner and owner not in schema.owners:
            return True
        for name, options in schema.options.items():
            value = found.properties.get(name)
            # Checkboxes hold several options, separated by semicolons.
            if value and any(part not in options for part in value.split(";")):
                return True
    return False


def _latest(newest: int | None, converted: Sequence[ConvertedObject]) -> int | None:
    stamps = [c.modified_ms for c in converted if c.modified_ms is not None]
    if not stamps:
        return newest
    return max(stamps) if newest is None else max(newest, *stamps)


def _prefetched(items: Iterator[HubSpotObject]) -> Iterator[HubSpotObject]:
    """``items``, read ahead by a thread of their own: the next pages are asked of HubSpot
    while the last ones are written. The thread only makes HTTP requests (no session
    crosses it); an error it meets is raised here, in order."""
    ahead: queue.Queue[HubSpotObject | _End] = queue.Queue(maxsize=PREFETCH)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(_End(None))
        except BaseException as error:  # handed to the consumer, which raises it
            ahead.put(_End(error))

    reader = threading.Thread(target=read, name="hubspot-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = ahead.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        reader.join()


@dataclass(frozen=True)
class _End:
    error: BaseException | None


def _batches(items: Iterator[HubSpotObject], size: int) -> Iterator[list[HubSpotObject]]:
    batch: list[HubSpotObject] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
