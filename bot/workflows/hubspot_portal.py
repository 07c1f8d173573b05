"""The port through which the domain reads a HubSpot portal: pages of objects, property
definitions, pipelines and owners, in HubSpot's own shapes reduced to plain values. The
adapter (bot.hubspot) speaks HTTP through HubSpot's client; the domain never imports it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.workflows.source_reading import SourceError

if TYPE_CHECKING:
    from bot.workflows.hubspot_schema import SchemaMemory

# HubSpot's search answers at most this many results for one query: asking for a page past
# it is answered 400 (developers.hubspot.com, CRM search guide, "Limitations").
SEARCH_RESULT_CAP = 10_000
SEARCH_PAGE = 200  # the largest page the search endpoints give
LIST_PAGE = 100  # the largest page of GET /crm/v3/objects/{type}
BATCH_WRITE = 100  # the most inputs of one batch update or create call


class HubSpotError(SourceError):
    """HubSpot refused or could not answer; the message says what to do."""

    # What the failed sync had spent, and the daily budget HubSpot last reported: kept
    # with the source although the sync failed.
    counts: RequestCounts | None = None


class HubSpotRefused(HubSpotError):
    """401 or 403: the token is wrong, revoked or lacks a scope. Carries HubSpot's message."""


class HubSpotRejected(HubSpotError):
    """400 VALIDATION_ERROR: HubSpot refused what was sent (an unknown option, a read-only
    property). ``message`` is HubSpot's own."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="rejected")
        self.message = message


@dataclass(frozen=True, slots=True)
class HubSpotObject:
    """One CRM object as the v3 APIs return it: ``{"id", "properties", "archived", ...}``."""

    id: str
    properties: Mapping[str, str | None]
    archived: bool = False


@dataclass(frozen=True, slots=True)
class ObjectPage:
    results: Sequence[HubSpotObject]
    # ``paging.next.after`` of the answer; None on the last page.
    next_after: str | None
    # The search's ``total``: how many objects match the whole query.
    total: int | None = None


@dataclass(frozen=True, slots=True)
class PropertyOption:
    value: str
    label: str
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class PropertySchema:
    """One entry of ``GET /crm/v3/properties/{type}``'s ``results``."""

    name: str
    label: str
    type: str  # string, number, date, datetime, enumeration, bool, phone_number, ...
    field_type: str  # text, select, radio, checkbox, booleancheckbox, calculation_*, ...
    options: tuple[PropertyOption, ...] = ()
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True, slots=True)
class Owner:
    id: str
    email: str | None


@dataclass(frozen=True, slots=True)
class CustomObject:
    """One entry of ``GET /crm/v3/schemas``'s ``results``: a custom object's definition."""

    name: str  # "cars"
    object_type_id: str  # "2-3444025": what the objects APIs take
    name_property: str | None  # primaryDisplayProperty
    label: str


@dataclass(frozen=True, slots=True)
class PortalAccount:
    """``GET /account-info/v3/details``: the portal's id and the domain of HubSpot's app
    for it (``app.hubspot.com``, ``app-eu1.hubspot.com``)."""

    portal_id: int
    ui_domain: str


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """What the adapter spent: requests made, waits for the rate limit, and the daily budget
    HubSpot last reported (``X-HubSpot-RateLimit-Daily`` / ``-Daily-Remaining``)."""

    requests: int = 0
    search_requests: int = 0
    throttled: int = 0
    daily_limit: int | None = None
    daily_remaining: int | None = None
    by_kind: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ObjectUpdate:
    """One input of ``POST /crm/v3/objects/{type}/batch/update``."""

    object_id: str
    properties: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NewTask:
    """One task to create, associated with the object ``object_id`` of ``object_type``.
    ``key`` tells its answer apart from the batch's others (HubSpot's objectWriteTraceId)."""

    key: str
    properties: Mapping[str, str]
    object_type: str
    object_id: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What HubSpot did with each input of a batch, by its key (an update's object id, a
    task's key): accepted with the id of the object written, or refused with HubSpot's
    message. An input in neither was not confirmed by HubSpot."""

    accepted: Mapping[str, str] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)


class HubSpotPortal(Protocol):
    # What the syncs of this process remember of the portal's schemas between them (None:
    # nothing; each sync reads them).
    schemas: SchemaMemory | None

    def list_page(
        self, object_type: str, properties: Sequence[str], after: str | None, archived: bool
    ) -> ObjectPage:
        """``GET /crm/v3/objects/{type}`` with ``limit`` LIST_PAGE."""
        ...

    def search_modified_since(
        self,
        object_type: str,
        properties: Sequence[str],
        modified_property: str,
        since_ms: int,
        after: str | None,
    ) -> ObjectPage:
        """``POST /crm/v3/objects/{type}/search``: modified at or after ``since_ms``, oldest
        first, SEARCH_PAGE at a time."""
        ...

    def properties(self, object_type: str) -> list[PropertySchema]: ...

    def pipelines(self, object_type: str) -> list[Pipeline]: ...

    def owners(self) -> list[Owner]: ...

    def custom_objects(self) -> list[CustomObject]: ...

    def counts(self) -> RequestCounts: ...

    def account(self) -> PortalAccount:
        """``GET /account-info/v3/details``."""
        ...

    def update_objects(self, object_type: str, updates: Sequence[ObjectUpdate]) -> BatchOutcome:
        """``POST /crm/v3/objects/{type}/batch/update``, BATCH_WRITE inputs at most."""
        ...

    def create_tasks(self, tasks: Sequence[NewTask]) -> BatchOutcome:
        """``POST /crm/v3/objects/tasks/batch/create``, each associated with its object (a
        custom object's through its unlabeled task association type); a task on an object
        HubSpot has no such type for is refused with the reason."""
        ...

    def find_task(self, task: NewTask, created_since_ms: int) -> str | None:
        """The id of a task like ``task`` (its subject and due time) associated with its
        object and created at or after ``created_since_ms``; None when there is none."""
        ...


# Builds the adapter from a private app's access token and the API's base URL (None:
# HubSpot's own): the composition root passes bot.hubspot's, the domain never imports it.
PortalFactory = Callable[[str, "str | None"], HubSpotPortal]
