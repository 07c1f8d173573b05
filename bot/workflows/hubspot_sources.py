"""A sync of one HubSpot source: the private app's token read from the variable the source
names (at each sync, never stored), the portal reached through the HubSpotPortal port, a
first (full) sync when the source has no cursor yet and an incremental one from its cursor
after that, reported as a SQL source's sync is."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.hubspot_portal import (
    HubSpotError,
    HubSpotPortal,
    PortalAccount,
    PortalFactory,
    RequestCounts,
)
from bot.workflows.hubspot_sync import HubSpotObjectSync, HubSpotSyncReport
from bot.workflows.source_reading import EnvironmentLookup
from bot.workflows.source_sync import SyncReport
from storage.record_removal import Removal

log = logging.getLogger(__name__)

# Where HubSpot's API is, when not at HubSpot (a proxy, a test server).
API_URL_VARIABLE = "HUBSPOT_API_URL"
# A periodic sync lists the archived (deleted) objects in the first sync of each such
# period only: that listing costs a request per 100 archived objects however few changed.
# A sync before a run, or by hand, always lists them: a run never enrolls a deleted deal.
ARCHIVED_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class HubSpotSource:
    """What a sync needs to know of a HubSpot source."""

    name: str
    token_env: str
    object_type_id: int
    hubspot_object: str
    name_property: str | None
    cursor_ms: int | None
    last_success_at: datetime | None = None
    # Whether the portal's id (for links to records' pages) is known already.
    knows_portal: bool = False


def archived_due(last_success_at: datetime | None, now: datetime) -> bool:
    """Whether a periodic sync at ``now`` lists the archived objects: when the last
    successful sync was in an earlier period of ARCHIVED_EVERY (counted from the epoch)."""
    if last_success_at is None:
        return True
    period = ARCHIVED_EVERY.total_seconds()
    return last_success_at.timestamp() // period != now.timestamp() // period


@dataclass(frozen=True)
class HubSpotOutcome:
    report: SyncReport
    cursor_ms: int | None
    counts: RequestCounts
    # Read when the source did not know it yet; None: known already, or HubSpot did not say.
    account: PortalAccount | None = None


def access_token(token_env: str, source_name: str, environment: EnvironmentLookup) -> str:
    """The private app's access token from the variable the source names; HubSpotError
    naming the variable (never the token) when it is not set."""
    token = (environment(token_env) or "").strip()
    if not token:
        raise HubSpotError(
            f"the environment variable {token_env} that the source {source_name} reads its "
            "HubSpot access token from is not set: set it (or a .env entry) to the private "
            "app's access token",
            code="no_token",
        )
    return token


def connect(
    token_env: str,
    source_name: str,
    environment: EnvironmentLookup,
    portals: PortalFactory | None,
) -> HubSpotPortal:
    """The portal the token in ``token_env`` opens, at HUBSPOT_API_URL when it is set."""
    if portals is None:
        raise HubSpotError(
            f"the source {source_name} reads HubSpot, which this process was started "
            "without: sync it with workflow-bot sources sync or workflow-bot serve",
            code="unreachable",
        )
    token = access_token(token_env, source_name, environment)
    return portals(token, environment(API_URL_VARIABLE) or None)


def sync_hubspot(
    sessions: sessionmaker[Session],
    source: HubSpotSource,
    environment: EnvironmentLookup,
    portals: PortalFactory | None,
    now: datetime,
    periodic: bool = False,
    keep_alive: Callable[[], None] | None = None,
    clock: Clock | None = None,
) -> HubSpotOutcome:
    """A first sync without a cursor, else what changed since it. Raises HubSpotError
    (a SourceError) when HubSpot cannot be read; what was written stays (each batch is its
    own transaction) and the cursor only moves with a finished sync."""
    started = time.perf_counter()
    portal = connect(source.token_env, source.name, environment, portals)
    sync = HubSpotObjectSync(
        portal,
        sessions,
        source.object_type_id,
        source.hubspot_object,
        name_property=source.name_property,
        keep_alive=keep_alive,
        clock=clock,
    )
    memory = portal.schemas
    try:
        if source.cursor_ms is None:
            found = sync.first(now)
        else:
            archived = not periodic or archived_due(source.last_success_at, now)
            known = None if memory is None else memory.recall(source.object_type_id, now)
            found = sync.incremental(source.cursor_ms, now, known_schema=known, archived=archived)
    except HubSpotError as error:
        error.counts = portal.counts()
        raise
    if memory is not None and found.schema is not None:
        # Kept from when it was read: a schema recalled keeps its first reading's age.
        memory.keep(source.object_type_id, found.schema, now)
    account = None if source.knows_portal else _account(portal)
    return HubSpotOutcome(
        _report(found, time.perf_counter() - started), found.cursor, portal.counts(), account
    )


def _account(portal: HubSpotPortal) -> PortalAccount | None:
    """The portal's id and domain, for links to its records' pages: a nicety, so a portal
    that does not answer it (a scope, an outage) leaves the links out, not the sync failed."""
    try:
        return portal.account()
    except HubSpotError as error:
        log.warning("HubSpot did not give the portal's id, records will have no links: %s", error)
        return None


def _report(found: HubSpotSyncReport, seconds: float) -> SyncReport:
    return SyncReport(
        rows=found.fetched,
        added=found.added,
        changed=found.changed,
        unchanged=found.unchanged,
        # HubSpot's removals are not named one by one: archived objects are only ids.
        removed=Removal(found.removed, ()),
        seconds=seconds,
    )
