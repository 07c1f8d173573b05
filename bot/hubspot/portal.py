"""The HubSpot implementation of the domain's HubSpotPortal port, through HubSpot's official
client (hubspot-api-client). Answers are read raw (``_preload_content=False``) and decoded as
HubSpot documents them: the client's generated models cost more than the sync itself over
100,000 objects, and the raw JSON is the shape HubSpot's API reference shows.

Requests pass a client-side limiter first (bot.hubspot.rate_limit); a 429 is waited out as
its headers say and asked again; 401 and 403 become HubSpotRefused with HubSpot's message.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
from hubspot.crm.associations.v4.schema.exceptions import (
    ApiException as AssociationLabelsApiException,
)
from hubspot.crm.objects.exceptions import ApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException
from hubspot.crm.schemas.exceptions import ApiException as SchemasApiException

from bot.hubspot.rate_limit import PRIVATE_APP_WINDOW, SEARCH_WINDOW, RollingWindow
from bot.workflows.hubspot_portal import (
    BATCH_WRITE,
    LIST_PAGE,
    SEARCH_PAGE,
    BatchOutcome,
    CustomObject,
    HubSpotError,
    HubSpotObject,
    HubSpotRefused,
    HubSpotRejected,
    NewTask,
    ObjectPage,
    ObjectUpdate,
    Owner,
    Pipeline,
    PortalAccount,
    PropertyOption,
    PropertySchema,
    RequestCounts,
    Stage,
)
from bot.workflows.hubspot_schema import SchemaMemory

DEFAULT_API_URL = "https://api.hubapi.com"
# A 429 asked again at most this many times in a row before the sync gives up.
MAX_THROTTLED = 10  # about 50 s of waits, doubling from 50 ms
# Each of the client's API packages raises its own ApiException class (same fields).
_API_ERRORS = (
    ApiException,
    AssociationsApiException,
    AssociationLabelsApiException,
    OwnersApiException,
    PipelinesApiException,
    PropertiesApiException,
    SchemasApiException,
)
# Waited after a 429 that names no interval: one search window.
DEFAULT_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# (connect, read) seconds: a stalled connection fails the request instead of hanging the
# sync until its lease runs out.
REQUEST_TIMEOUT = (10, 60)
MIN_BACKOFF = 0.05
# The association type HubSpot defines from a task to each standard object (HubSpot's tasks
# guide, "Associations"; the v4 associations API's HUBSPOT_DEFINED defaults): a task
# associated so shows on the record's timeline.
TASK_ASSOCIATION_TYPES = {"contacts": 204, "companies": 192, "deals": 216, "tickets": 230}
# The properties a task found again is matched by (besides its association).
_TASK_MATCH = ("hs_task_subject", "hs_timestamp", "hs_createdate")
# What the search API calls an association with each standard object (``associations.deal``).
_ASSOCIATION_FILTERS = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tickets": "ticket",
}


@dataclass
class Timing:
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class _Counts:
    requests: int = 0
    search_requests: int = 0
    throttled: int = 0
    daily_limit: int | None = None
    daily_remaining: int | None = None
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """The rolling windows one private app's requests keep to: every request, and the
    search endpoints' own."""

    window: RollingWindow
    search_window: RollingWindow

    @classmethod
    def of(
        cls,
        timing: Timing,
        window: tuple[int, float] = PRIVATE_APP_WINDOW,
        search_window: tuple[int, float] = SEARCH_WINDOW,
    ) -> Limits:
        return cls(
            RollingWindow(*window, timing.monotonic, timing.sleep),
            RollingWindow(*search_window, timing.monotonic, timing.sleep),
        )


class PortalPool:
    """The PortalFactory of a serving process: every portal it opens with one token (a
    sync, a run writing back, on any thread) keeps to the same limits, since HubSpot counts
    the private app's requests together."""

    def __init__(self, timing: Timing | None = None) -> None:
        self.timing = timing or Timing()
        self._limits: dict[str, Limits] = {}
        self._lock = threading.Lock()
        self.schemas = SchemaMemory()

    def __call__(self, access_token: str, api_url: str | None) -> ClientPortal:
        # By a digest: the token itself is not kept as a key.
        key = hashlib.sha256(f"{api_url}\n{access_token}".encode()).hexdigest()
        with self._lock:
            limits = self._limits.setdefault(key, Limits.of(self.timing))
        return ClientPortal(access_token, api_url, self.timing, limits=limits, schemas=self.schemas)


class ClientPortal:
    """Reads one HubSpot portal with a private app's access token."""

    def __init__(
        self,
        access_token: str,
        api_url: str | None = None,
        timing: Timing | None = None,
        window: tuple[int, float] = PRIVATE_APP_WINDOW,
        search_window: tuple[int, float] = SEARCH_WINDOW,
        limits: Limits | None = None,
        schemas: SchemaMemory | None = None,
    ) -> None:
        # ``host`` becomes each API's Configuration.host (the client's discovery sets every
        # key it is given on the Configuration): HUBSPOT_API_URL, for a proxy or a test server.
        client = HubSpot(access_token=access_token, host=(api_url or DEFAULT_API_URL).rstrip("/"))
        # Each discovery property builds a new ApiClient (and connection pool): built once.
        self._objects = client.crm.objects.basic_api
        self._search = client.crm.objects.search_api
        self._properties = client.crm.properties.core_api
        self._pipelines = client.crm.pipelines.pipelines_api
        self._owners = client.crm.owners.owners_api
        self._schemas = client.crm.schemas.core_api
        self._batch = client.crm.objects.batch_api
        self._associations = client.crm.associations.v4.batch_api
        self._association_labels = client.crm.associations.v4.schema.definitions_api
        # A custom object's default task association (category, type id), or why there is
        # none: read once per portal, so once per run writing back.
        self._task_associations: dict[str, tuple[str, int] | str] = {}
        self.timing = timing or Timing()
        limits = limits or Limits.of(self.timing, window, search_window)
        self.window = limits.window
        self.search_window = limits.search_window
        self._counts = _Counts()
        self.schemas = schemas

    # The port --------------------------------------------------------------------------------

    def list_page(
        self, object_type: str, properties: Sequence[str], after: str | None, archived: bool
    ) -> ObjectPage:
        arguments: dict[str, Any] = {"limit": LIST_PAGE, "archived": archived}
        if properties:
            arguments["properties"] = list(properties)
        if after is not None:
            arguments["after"] = after
        answer = self._call("list", lambda **k: self._objects.get_page(object_type, **k), arguments)
        return _page(answer)

    def search_modified_since(
        self,
        object_type: str,
        properties: Sequence[str],
        modified_property: str,
        since_ms: int,
        after: str | None,
    ) -> ObjectPage:
        # PublicObjectSearchRequest's fields, as HubSpot's search guide shows them; the
        # filter value of a datetime property is milliseconds since the epoch.
        body: dict[str, Any] = {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": modified_property,
                            "operator": "GTE",
                            "value": str(since_ms),
                        }
                    ]
                }
            ],
            "sorts": [{"propertyName": modified_property, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": SEARCH_PAGE,
        }
        if after is not None:
            body["after"] = after
        answer = self._call(
            "search",
            lambda **k: self._search.do_search(object_type, public_object_search_request=body, **k),
            {},
        )
        return _page(answer)

    def properties(self, object_type: str) -> list[PropertySchema]:
        answer = self._call(
            "properties", lambda **k: self._properties.get_all(object_type, **k), {}
        )
        return [_property(item) for item in answer.get("results", [])]

    def pipelines(self, object_type: str) -> list[Pipeline]:
        answer = self._call("pipelines", lambda **k: self._pipelines.get_all(object_type, **k), {})
        return [
            Pipeline(
                str(p["id"]),
                p.get("label") or str(p["id"]),
                tuple(
                    Stage(str(s["id"]), s.get("label") or str(s["id"]))
                    for s in sorted(p.get("stages", []), key=lambda s: s.get("displayOrder", 0))
                ),
            )
            for p in sorted(answer.get("results", []), key=lambda p: p.get("displayOrder", 0))
        ]

    def owners(self) -> list[Owner]:
        owners: list[Owner] = []
        after: str | None = None
        while True:
            arguments: dict[str, Any] = {"limit": 100}
            if after is not None:
                arguments["after"] = after
            answer = self._call("owners", lambda **k: self._owners.get_page(**k), arguments)
            owners += [Owner(str(o["id"]), o.get("email")) for o in answer.get("results", [])]
            after = _next_after(answer)
            if after is None:
                return owners

    def custom_objects(self) -> list[CustomObject]:
        # {"results": [{"name", "objectTypeId", "primaryDisplayProperty", "labels": {...}}]}
        answer = self._call("schemas", lambda **k: self._schemas.get_all(**k), {})
        return [
            CustomObject(
                str(o["name"]),
                str(o["objectTypeId"]),
                o.get("primaryDisplayProperty"),
                (o.get("labels") or {}).get("plural") or str(o["name"]),
            )
            for o in answer.get("results", [])
        ]

    def counts(self) -> RequestCounts:
        c = self._counts
        return RequestCounts(
            c.requests,
            c.search_requests,
            c.throttled,
            c.daily_limit,
            c.daily_remaining,
            dict(c.by_kind),
        )

    def account(self) -> PortalAccount:
        # The client has no API for account-info: its generic call, with the token's auth.
        answer = self._call(
            "account",
            lambda **k: self._objects.api_client.call_api(
                "/account-info/v3/details",
                "GET",
                header_params={"Accept": "application/json"},
                auth_settings=["oauth2"],
                _return_http_data_only=True,
                **k,
            ),
            {},
        )
        return PortalAccount(int(answer["portalId"]), str(answer.get("uiDomain") or ""))

    def update_objects(self, object_type: str, updates: Sequence[ObjectUpdate]) -> BatchOutcome:
        # objectWriteTraceId asks HubSpot for a multi-status answer (207) that names each
        # refused input in its error's context, instead of refusing the whole batch.
        inputs = [
            {"id": u.object_id, "properties": dict(u.properties), "objectWriteTraceId": u.object_id}
            for u in updates
        ]
        try:
            answer = self._call(
                "batch_update",
                lambda **k: self._batch.update(
                    object_type,
                    batch_input_simple_public_object_batch_input={"inputs": inputs},
                    **k,
                ),
                {},
            )
        except HubSpotRejected as rejected:
            # A 400 for the batch as a whole: HubSpot wrote none of it. The inputs of one
            # set_property share their properties, so its message is each one's.
            return BatchOutcome({}, {u.object_id: rejected.message for u in updates})
        # Each result echoes its input's objectWriteTraceId (the id sent): a result whose
        # own id differs is the survivor of a merge answering for the merged id.
        accepted = {
            str(r.get("objectWriteTraceId") or r["id"]): str(r["id"])
            for r in answer.get("results", [])
        }
        return BatchOutcome(accepted, _refusals(answer))

    def create_tasks(self, tasks: Sequence[NewTask]) -> BatchOutcome:
        kinds: dict[str, tuple[str, int]] = {}
        refused: dict[str, str] = {}
        for task in tasks:
            kind = self._task_association(task.object_type)
            if isinstance(kind, str):
                refused[task.key] = kind
            else:
                kinds[task.key] = kind
        wanted = [t for t in tasks if t.key in kinds]
        if not wanted:
            return BatchOutcome({}, refused)
        inputs = [
            {
                "properties": dict(t.properties),
                "associations": [
                    {
                        "to": {"id": t.object_id},
                        "types": [
                            {
                                "associationCategory": kinds[t.key][0],
                                "associationTypeId": kinds[t.key][1],
                            }
                        ],
                    }
                ],
                "objectWriteTraceId": t.key,
            }
            for t in wanted
        ]
        try:
            answer = self._call(
                "batch_create",
                lambda **k: self._batch.create(
                    "tasks",
                    batch_input_simple_public_object_batch_input_for_create={"inputs": inputs},
                    **k,
                ),
                {},
            )
        except HubSpotRejected as rejected:
            return BatchOutcome({}, {**refused, **{t.key: rejected.message for t in wanted}})
        refused |= _refusals(answer)
        return BatchOutcome(_created_tasks(wanted, answer, refused), refused)

    def _task_association(self, object_type: str) -> tuple[str, int] | str:
        """The association type a task gets to show on a record's timeline: HubSpot's own
        for the standard objects; for a custom object, the unlabeled one (``label`` null)
        that ``GET /crm/v4/associations/tasks/{type}/labels`` lists, in its category
        (HUBSPOT_DEFINED or USER_DEFINED). A string: why there is none (HubSpot's words)."""
        if object_type in TASK_ASSOCIATION_TYPES:
            return "HUBSPOT_DEFINED", TASK_ASSOCIATION_TYPES[object_type]
        known = self._task_associations.get(object_type)
        if known is not None:
            return known
        try:
            # {"results": [{"category": "USER_DEFINED", "typeId": 123, "label": null}, ...]}
            answer = self._call(
                "association_labels",
                lambda **k: self._association_labels.get_all("tasks", object_type, **k),
                {},
            )
        except HubSpotRefused:
            raise
        except HubSpotError as error:
            if error.code in ("unreachable", "rate_limited"):
                raise
            found: tuple[str, int] | str = (
                f"no task can be associated with the object type {object_type} ({error}): "
                "check that the custom object still exists in HubSpot"
            )
        else:
            unlabeled = [r for r in answer.get("results", []) if r.get("label") is None]
            found = (
                (str(unlabeled[0]["category"]), int(unlabeled[0]["typeId"]))
                if unlabeled
                else f"HubSpot lists no unlabeled association from tasks to the object type "
                f"{object_type}, so a task would not show on these records: allow tasks to be "
                "associated with this object in HubSpot's object settings, or remove the "
                "Create a task action"
            )
        self._task_associations[object_type] = found
        return found

    def find_task(self, task: NewTask, created_since_ms: int) -> str | None:
        association = _ASSOCIATION_FILTERS.get(task.object_type)
        if association is None:
            return self._find_task_of_custom_object(task, created_since_ms)
        # HubSpot's search takes a datetime property's value as milliseconds since the epoch.
        due_ms = _milliseconds(task.properties["hs_timestamp"])
        filters = [
            {
                "propertyName": "hs_task_subject",
                "operator": "EQ",
                "value": task.properties["hs_task_subject"],
            },
            {"propertyName": "hs_timestamp", "operator": "EQ", "value": str(due_ms)},
            {"propertyName": "hs_createdate", "operator": "GTE", "value": str(created_since_ms)},
            {
                "propertyName": f"associations.{association}",
                "operator": "EQ",
                "value": task.object_id,
            },
        ]
        body = {
            "filterGroups": [{"filters": filters}],
            "properties": ["hs_task_subject"],
            "limit": 1,
        }
        answer = self._call(
            "search",
            lambda **k: self._search.do_search("tasks", public_object_search_request=body, **k),
            {},
        )
        found = answer.get("results", [])
        return str(found[0]["id"]) if found else None

    def _find_task_of_custom_object(self, task: NewTask, created_since_ms: int) -> str | None:
        """The search's ``associations.{object}`` filter knows the standard objects only: a
        custom object's record is asked for its tasks (v4 associations), and those tasks
        are read to match the subject, the due time and the creation."""
        for chunk in _batches(self._associated_tasks(task.object_type, task.object_id)):
            body = {"inputs": [{"id": i} for i in chunk], "properties": list(_TASK_MATCH)}
            answer = self._call(
                "batch_read",
                lambda **k: self._batch.read("tasks", **k),
                {"batch_read_input_simple_public_object_id": body},
            )
            for found in answer.get("results", []):
                if _same_task(found.get("properties") or {}, task, created_since_ms):
                    return str(found["id"])
        return None

    def _associated_tasks(self, object_type: str, object_id: str) -> list[str]:
        """``POST /crm/v4/associations/{type}/tasks/batch/read`` for one record, every page:
        ``{"results": [{"from": {"id"}, "to": [{"toObjectId", "associationTypes"}],
        "paging": {"next": {"after"}}}]}``; a record with none is an error of the answer."""
        task_ids: list[str] = []
        after: str | None = None
        while True:
            wanted: dict[str, Any] = {"id": object_id}
            if after is not None:
                wanted["after"] = after
            answer = self._call(
                "association_read",
                lambda **k: self._associations.get_page(object_type, "tasks", **k),
                {"batch_input_public_fetch_associations_batch_request": {"inputs": [wanted]}},
            )
            after = None
            for result in answer.get("results", []):
                task_ids += [str(to["toObjectId"]) for to in result.get("to") or []]
                after = _next_after(result)
            if after is None:
                return task_ids

    # Requests --------------------------------------------------------------------------------

    def _call(
        self, kind: str, request: Callable[..., Any], arguments: Mapping[str, Any]
    ) -> dict[str, Any]:
        throttled = 0
        while True:
            self.window.acquire()
            if kind == "search":
                self.search_window.acquire()
            self._count(kind)
            try:
                response = request(
                    **arguments, _preload_content=False, _request_timeout=REQUEST_TIMEOUT
                )
            except urllib3.exceptions.HTTPError as error:
                raise HubSpotError(
                    f"HubSpot could not be reached ({type(error).__name__}): check the "
                    "network, or HUBSPOT_API_URL if it is set",
                    code="unreachable",
                ) from None
            except _API_ERRORS as error:
                # A refusal reports the budget too (a daily limit's says none is left).
                self._note_budget(error.headers or {})
                if not _worth_retrying(error, kind) or throttled >= MAX_THROTTLED:
                    raise _error(error, kind) from None
                throttled += 1
                self._counts.throttled += error.status == 429
                self._adopt_window(error.headers or {}, kind)
                self.timing.sleep(_backoff(error, throttled))
                continue
            self._note_budget(response.headers)
            decoded: dict[str, Any] = json.loads(response.data or b"{}")
            return decoded

    def _count(self, kind: str) -> None:
        c = self._counts
        c.requests += 1
        c.search_requests += kind == "search"
        c.by_kind[kind] = c.by_kind.get(kind, 0) + 1

    def _adopt_window(self, headers: Mapping[str, str], kind: str) -> None:
        """A portal whose window is smaller than assumed (Free and Starter: 100 per 10 s)
        says so in X-HubSpot-RateLimit-Max: the limiter keeps to it from then on."""
        most = _header_int(headers, "X-HubSpot-RateLimit-Max")
        interval = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        window = self.search_window if kind == "search" and interval == 1000 else self.window
        if most and interval and interval / 1000 == window.seconds and most < window.limit:
            window.limit = most

    def _note_budget(self, headers: Mapping[str, str]) -> None:
        """The daily budget HubSpot reports with each answer (private apps' headers)."""
        limit = _header_int(headers, "X-HubSpot-RateLimit-Daily")
        remaining = _header_int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if limit is not None:
            self._counts.daily_limit = limit
        if remaining is not None:
            self._counts.daily_remaining = remaining


def _page(answer: Mapping[str, Any]) -> ObjectPage:
    # {"results": [{"id", "properties", "archived", ...}], "paging": {"next": {"after"}}}
    return ObjectPage(
        [
            HubSpotObject(str(o["id"]), o.get("properties") or {}, bool(o.get("archived")))
            for o in answer.get("results", [])
        ],
        _next_after(answer),
        answer.get("total"),
    )


def _same_task(properties: Mapping[str, Any], task: NewTask, created_since_ms: int) -> bool:
    """A task read back is the one intended: its subject, its due instant (HubSpot may
    write it back in another form of the same instant) and created since the intent."""
    try:
        return (
            properties.get("hs_task_subject") == task.properties["hs_task_subject"]
            and _milliseconds(properties.get("hs_timestamp"))
            == _milliseconds(task.properties["hs_timestamp"])
            and (_milliseconds(properties.get("hs_createdate")) or 0) >= created_since_ms
        )
    except ValueError:
        return False


def _milliseconds(instant: Any) -> int | None:
    """A datetime property as HubSpot writes it (ISO 8601, or milliseconds as text)."""
    if instant is None or instant == "":
        return None
    text = str(instant)
    if text.isdigit():
        return int(text)
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _batches(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[start : start + BATCH_WRITE] for start in range(0, len(ids), BATCH_WRITE)]


def _next_after(answer: Mapping[str, Any]) -> str | None:
    after = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return None if after is None else str(after)


def _property(item: Mapping[str, Any]) -> PropertySchema:
    return PropertySchema(
        name=item["name"],
        label=item.get("label") or item["name"],
        type=item.get("type") or "string",
        field_type=item.get("fieldType") or "text",
        options=tuple(
            PropertyOption(
                str(o.get("value")), o.get("label") or str(o.get("value")), bool(o.get("hidden"))
            )
            for o in item.get("options") or []
        ),
        hidden=bool(item.get("hidden")),
    )


def _refusals(answer: Mapping[str, Any]) -> dict[str, str]:
    """A multi-status answer's errors, by the objectWriteTraceId (or, failing that, the
    object id) their ``context`` names: ``{"errors": [{"message", "context":
    {"objectWriteTraceId": ["..."]}}]}``."""
    refused: dict[str, str] = {}
    for error in answer.get("errors") or []:
        context = error.get("context") or {}
        keys = context.get("objectWriteTraceId") or context.get("ids") or context.get("id") or []
        for key in keys:
            refused[str(key)] = readable_message(str(error.get("message") or "no message"))
    return refused


def _created_tasks(
    wanted: Sequence[NewTask], answer: Mapping[str, Any], refused: Mapping[str, str]
) -> dict[str, str]:
    """Each created task's id by its input's key. HubSpot does not promise the results in
    the inputs' order; each result echoes its input's objectWriteTraceId (SimplePublicObject's
    ``objectWriteTraceId``), which is the key. A result without one is matched by the
    properties it was created with, read as HubSpot writes them back (an instant loses a
    zero fraction: ``09:00:00.000Z`` comes back ``09:00:00Z``). Two inputs alike in those
    differ only by the record they are associated with, which the answer does not show: they
    may swap ids, which changes nothing of what HubSpot holds."""
    open_keys = {task.key: task for task in wanted if task.key not in refused}
    created: dict[str, str] = {}
    unmatched: list[Mapping[str, Any]] = []
    for result in answer.get("results", []):
        key = result.get("objectWriteTraceId")
        if key in open_keys and key not in created:
            created[key] = str(result["id"])
        else:
            unmatched.append(result)
    pending: dict[tuple[str, ...], list[str]] = {}
    for key, task in open_keys.items():
        if key not in created:
            pending.setdefault(_task_fingerprint(task.properties), []).append(key)
    for result in unmatched:
        keys = pending.get(_task_fingerprint(result.get("properties") or {}))
        if keys:
            created[keys.pop(0)] = str(result["id"])
    return created


def _task_fingerprint(properties: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        str(properties.get("hs_task_subject") or ""),
        _instant_key(properties.get("hs_timestamp") or ""),
        str(properties.get("hubspot_owner_id") or ""),
    )


def _instant_key(value: object) -> str:
    """An instant compared whatever fraction and offset it was written with (HubSpot answers
    ``09:00:00Z`` for ``09:00:00.000Z``); anything that is no instant as it is."""
    try:
        return str(_milliseconds(value))
    except ValueError:
        return str(value)


def readable_message(message: str) -> str:
    """HubSpot's validation message, whose details are JSON after the sentence
    ("Property values were not valid: [{"message": "..."}]"): the details' own messages."""
    _sentence, separator, rest = message.partition(": [")
    if not separator:
        return message
    try:
        details = json.loads("[" + rest)
    except ValueError:
        return message
    said = [str(d.get("message")) for d in details if isinstance(d, dict) and d.get("message")]
    return "; ".join(said) if said else message


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    raw = lowered.get(name.lower())
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


def _worth_retrying(error: ApiException, kind: str) -> bool:
    """A 429 of the rolling window, or HubSpot's gateway failing for a moment (502-504):
    waiting helps. A 429 of the daily limit does not until midnight: no request is spent.
    A create is not sent again after a gateway error, which it may have passed: HubSpot has
    no idempotency key, and the caller reconciles instead."""
    if error.status == 429:
        return _body(error).get("policyName") != "DAILY"
    return error.status in (502, 503, 504) and kind != "batch_create"


def _backoff(error: ApiException, throttled: int) -> float:
    """How long to wait after the ``throttled``-th 429 in a row: Retry-After when HubSpot
    gives one; else, when the rolling window is full (X-HubSpot-RateLimit-Remaining 0), the
    time one of its slots takes to free up on average (interval / max: about 53 ms for
    190 per 10 s), not the whole interval, since a rolling window frees its oldest slot
    first; doubled at each 429 in a row."""
    headers = error.headers or {}
    retry_after = _header_int(headers, "Retry-After")
    if retry_after is not None:
        return float(retry_after)
    interval = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
    most = _header_int(headers, "X-HubSpot-RateLimit-Max")
    if interval is not None and most:
        return max(interval / most / 1000, MIN_BACKOFF) * 2.0 ** (throttled - 1)
    return min(DEFAULT_BACKOFF * 2.0 ** (throttled - 1), MAX_BACKOFF)


def _body(error: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(error: ApiException, kind: str) -> HubSpotError:
    """HubSpot's error bodies: {"status": "error", "message": ..., "category": ...}."""
    body = _body(error)
    message = str(body.get("message") or error.reason or "no message")
    if error.status in (401, 403):
        fix = (
            "check that the private app's access token in the source's --token-env "
            "variable is current"
            if error.status == 401
            else "give the private app the scope HubSpot names (README: HubSpot)"
        )
        return HubSpotRefused(
            f"HubSpot refused the token ({error.status}): {message}; {fix}", code="refused"
        )
    if error.status == 429:
        if body.get("policyName") == "DAILY":
            return HubSpotError(
                f"HubSpot's daily request limit is reached: {message}; the next sync after "
                "midnight in the portal's time zone will work",
                code="rate_limited",
            )
        return HubSpotError(
            f"HubSpot kept answering 429 (too many requests) to {kind}: {message}",
            code="rate_limited",
        )
    if (
        error.status == 400
        and body.get("category") == "VALIDATION_ERROR"
        and kind.startswith("batch_")
    ):
        return HubSpotRejected(readable_message(message))
    if error.status == 0 or error.status is None:
        return HubSpotError(
            f"HubSpot could not be reached ({error.reason}): check the network, or "
            "HUBSPOT_API_URL if it is set",
            code="unreachable",
        )
    return HubSpotError(f"HubSpot answered {error.status} to {kind}: {message}")
