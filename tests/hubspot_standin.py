"""A local HTTP server standing in for HubSpot's CRM v3 API, so tests and the benchmark drive
the real hubspot-api-client over real HTTP. It answers the endpoints the bot reads, in the
shapes of HubSpot's API reference:

- ``GET /crm/v3/objects/{type}``: ``limit`` (at most 100), ``after``, ``properties`` (repeated
  or comma-separated), ``archived``; ``{"results": [...], "paging": {"next": {"after"}}}``.
- ``POST /crm/v3/objects/{type}/search``: ``filterGroups`` (the GTE filter the bot sends),
  ``sorts``, ``properties``, ``limit`` (at most 200), ``after`` (an offset); ``total``; an
  ``after`` at or past 10,000 is answered 400, as HubSpot does.
- ``GET /crm/v3/properties/{type}``, ``GET /crm/v3/pipelines/{type}``, ``GET /crm/v3/owners/``,
  ``GET /crm/v3/schemas`` (custom objects; the client calls it ``/crm-object-schemas/v3/schemas``).
- ``POST /crm/v3/objects/{type}/batch/update`` (at most 100 inputs): properties checked as
  HubSpot does (unknown, read-only, an option not offered); inputs carrying an
  ``objectWriteTraceId`` get a multi-status answer (207, the valid ones written, one error
  per refused input naming its trace id in ``context``), others a 400 for the whole batch.
- ``POST /crm/v3/objects/tasks/batch/create`` with ``associations`` (the HUBSPOT_DEFINED
  task-to-object types), and the tasks' search by subject, due time, creation and
  ``associations.{object}``.
- ``GET /crm/v4/associations/tasks/{type}/labels``: the association types from tasks to an
  object (HubSpot's for the standard ones; ``task_labels`` for a custom object, by default
  one unlabeled USER_DEFINED type); an unknown type is a 400, as HubSpot answers it.
- ``POST /crm/v4/associations/{type}/tasks/batch/read`` (a record's tasks, paged per input
  by ``after``; a record with none is an error of a 207) and
  ``POST /crm/v3/objects/{type}/batch/read``.
- ``GET /account-info/v3/details``: the portal's id and its app's domain.
- 401 without the token, with HubSpot's error body; 429 past the configured rolling window,
  with the ``X-HubSpot-RateLimit-*`` headers; the daily budget on every answer.

Time is injected: the rolling window reads ``monotonic`` (a SteppedTime shared with the
client's limiter in tests, so nothing waits for real).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "pat-na1-standin-token"
SEARCH_CAP = 10_000
DAILY_LIMIT = 1_000_000


def iso(milliseconds: int) -> str:
    """An instant as HubSpot writes datetime properties: ISO 8601 in UTC, milliseconds."""
    instant = datetime.fromtimestamp(milliseconds / 1000, UTC)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _as_written_back(properties: dict[str, Any]) -> dict[str, Any]:
    """A created task's properties as HubSpot answers them: its due instant as HubSpot
    prints instants (Java's Instant: a zero fraction left out, "2026-03-02T09:00:00Z")."""
    due = properties.get("hs_timestamp")
    if not isinstance(due, str):
        return properties
    try:
        instant = datetime.fromisoformat(due).astimezone(UTC)
    except ValueError:
        return properties
    fraction = f".{instant.microsecond // 1000:03d}" if instant.microsecond // 1000 else ""
    return {**properties, "hs_timestamp": f"{instant:%Y-%m-%dT%H:%M:%S}{fraction}Z"}


@dataclass
class PortalObject:
    id: str
    properties: dict[str, str | None]
    modified_ms: int
    archived: bool = False


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any] | None


@dataclass
class HubSpotStandIn:
    """A HubSpot portal's objects, schema and owners, served over HTTP while started."""

    token: str = TOKEN
    monotonic: Callable[[], float] = time.monotonic
    # (requests, seconds) of the rolling window past which the stand-in answers 429.
    window: tuple[int, float] | None = None
    search_window: tuple[int, float] | None = None
    objects: dict[str, dict[str, PortalObject]] = field(default_factory=dict)
    property_definitions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pipeline_definitions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    owner_list: list[dict[str, Any]] = field(default_factory=list)
    # GET /crm/v3/schemas: custom objects' definitions (their objects are served under
    # their objectTypeId, as HubSpot serves them).
    schema_list: list[dict[str, Any]] = field(default_factory=list)
    # GET /crm/v4/associations/tasks/{objectTypeId}/labels of a custom object, when a test
    # sets them (else one unlabeled USER_DEFINED type, numbered after the object's id).
    task_labels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Associations per input of one page of a v4 batch read (HubSpot's page is larger).
    association_page: int = 500
    requests: list[Request] = field(default_factory=list)
    keep_requests: bool = True
    search_cap: int = SEARCH_CAP
    # Serves POST /standin/touch (not HubSpot's): a benchmark in another process changes
    # objects through it.
    control: bool = False
    # GET /account-info/v3/details: the portal's id and its app's domain.
    portal_id: int = 2_468_135
    ui_domain: str = "app.hubspot.com"
    # When HubSpot stamps what it creates (hs_createdate), in milliseconds.
    now_ms: Callable[[], int] = field(default=lambda: round(time.time() * 1000))
    # Called with each request once HubSpot has acted on it, before it answers: a test
    # kills the client's process there (HubSpot did it; the client never learns so).
    after_acting: Callable[[Request], None] | None = None
    # Whether a batch update of a merged id writes its survivor and answers with the
    # survivor's id (echoing the trace id sent). HubSpot's reference does not say which it
    # does, so tests try both; False: the merged id is unknown, as it is to a listing.
    updates_follow_merges: bool = False
    # Records whose created task a batch create's answer leaves out (HubSpot created it):
    # an answer that does not mention an input, for the tests of what the bot makes of it.
    tasks_left_out_for: set[str] = field(default_factory=set)
    # (object type, merged id) -> the survivor's id, as merge left them.
    merged_into: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: deque[float] = deque()
        self.searched: deque[float] = deque()
        self.daily_used = 0
        self.request_count = 0
        self.throttled = 0
        # Statuses to answer the next requests with, one each: 502-504 as HubSpot's gateway
        # does for a moment, 429 as its daily limit.
        self.failures: deque[int] = deque()
        self._sorted: dict[str, list[PortalObject]] = {}
        # (task id) -> the (object type, object id, association type id) it is associated with.
        self.associations: dict[str, list[tuple[str, str, int]]] = {}
        self._next_id = 90_000_000

    # The portal's content ------------------------------------------------------------------

    def put(self, object_type: str, object_id: str, modified_ms: int, **values: str | None) -> None:
        """Creates or changes an object, modified at ``modified_ms``."""
        modified = _modified(object_type)
        with self.lock:
            found = self.objects.setdefault(object_type, {}).get(object_id)
            properties = dict(found.properties) if found else {"createdate": iso(modified_ms)}
            properties.update(values)
            properties["hs_object_id"] = object_id
            properties[modified] = iso(modified_ms)
            self.objects[object_type][object_id] = PortalObject(
                object_id, properties, modified_ms, found.archived if found else False
            )
            self._sorted.pop(object_type, None)

    def archive(self, object_type: str, object_id: str) -> None:
        with self.lock:
            self.objects[object_type][object_id].archived = True
            self._sorted.pop(object_type, None)

    def merge(self, object_type: str, merged_id: str, into_id: str, modified_ms: int) -> None:
        """HubSpot's merge: the merged object disappears (not archived: it is simply gone
        from every listing) and the survivor lists its id in hs_merged_object_ids."""
        with self.lock:
            del self.objects[object_type][merged_id]
            self._sorted.pop(object_type, None)
        survivor = self.objects[object_type][into_id]
        merged = ";".join(
            i for i in (survivor.properties.get("hs_merged_object_ids"), merged_id) if i
        )
        self.put(object_type, into_id, modified_ms, hs_merged_object_ids=merged)
        self.merged_into[(object_type, merged_id)] = into_id

    def define(self, object_type: str, *properties: dict[str, Any]) -> None:
        self.property_definitions[object_type] = list(properties)

    # Serving -------------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[str]:
        """Serves on a free local port; yields the base URL (HUBSPOT_API_URL)."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, a kept-alive
            # connection waits for the client's delayed ACK (40 ms) on every answer.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                standin._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                standin._handle(self, json.loads(self.rfile.read(length) or b"{}"))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any] | None) -> None:
        parts = urlsplit(handler.path)
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        request = Request(handler.command, parts.path.rstrip("/"), query, body)
        with self.lock:
            self.request_count += 1
            if self.keep_requests:
                self.requests.append(request)
            status, answer, headers = self._answer(request, handler.headers.get("Authorization"))
            if self.after_acting is not None:
                self.after_acting(request)
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(
        self, request: Request, authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if authorization != f"Bearer {self.token}":
            # HubSpot's answer to a missing, wrong or revoked private-app token.
            return (
                401,
                _error(
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "INVALID_AUTHENTICATION",
                ),
                {},
            )
        if self.failures:
            return self._failure(self.failures.popleft())
        limited = self._throttle(request)
        if limited is not None:
            return limited
        self.daily_used += 1
        headers = {
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(DAILY_LIMIT - self.daily_used),
        }
        status, answer = self._route(request)
        return status, answer, headers

    def _failure(self, status: int) -> tuple[int, dict[str, Any], dict[str, str]]:
        if status == 429:
            body = _error("You have reached your daily limit.", None)
            body |= {"errorType": "RATE_LIMIT", "policyName": "DAILY"}
            return 429, body, {"X-HubSpot-RateLimit-Daily-Remaining": "0"}
        if status == 403:  # a private app without the scope the call needs
            body = _error(
                "This app hasn't been granted all required scopes to make this call. "
                "Read more about required scopes here: https://developers.hubspot.com/scopes.",
                "MISSING_SCOPES",
            )
            return 403, body, {}
        return status, _error("The server is temporarily unavailable.", None), {}

    def _throttle(self, request: Request) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        now = self.monotonic()
        searching = request.path.endswith("/search")
        for window, sent, policy in (
            (self.window, self.sent, "TEN_SECONDLY_ROLLING"),
            (self.search_window if searching else None, self.searched, "SECONDLY"),
        ):
            if window is None:
                continue
            limit, seconds = window
            while sent and sent[0] <= now - seconds:
                sent.popleft()
            if len(sent) >= limit:
                self.throttled += 1
                body = _error(f"You have reached your {policy.lower()} limit.", None)
                body |= {"errorType": "RATE_LIMIT", "policyName": policy}
                return (
                    429,
                    body,
                    {
                        "X-HubSpot-RateLimit-Interval-Milliseconds": str(round(seconds * 1000)),
                        "X-HubSpot-RateLimit-Max": str(limit),
                        "X-HubSpot-RateLimit-Remaining": "0",
                        "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
                        "X-HubSpot-RateLimit-Daily-Remaining": str(DAILY_LIMIT - self.daily_used),
                    },
                )
        if self.window is not None:
            self.sent.append(now)
        if searching and self.search_window is not None:
            self.searched.append(now)
        return None

    def _route(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path == "/standin/touch" and self.control:
            return 200, self._touch(request.body or {})
        if request.path == "/account-info/v3/details":
            return 200, {
                "portalId": self.portal_id,
                "accountType": "STANDARD",
                "timeZone": "US/Eastern",
                "companyCurrency": "USD",
                "additionalCurrencies": [],
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18_000_000,
                "uiDomain": self.ui_domain,
                "dataHostingLocation": "na1",
            }
        if request.path == "/crm-object-schemas/v3/schemas":
            # The client's schemas API calls the original path of GET /crm/v3/schemas.
            return 200, {"results": self.schema_list}
        parts = request.path.strip("/").split("/")  # crm v3 <api> <type> [search]
        if parts[:3] == ["crm", "v4", "associations"]:
            return self._associations_v4(request, parts[3:])
        if parts[:2] != ["crm", "v3"] or len(parts) < 3:
            return 404, _error(f"no endpoint {request.path}", "OBJECT_NOT_FOUND")
        api, rest = parts[2], parts[3:]
        if api == "objects" and len(rest) == 1 and request.method == "GET":
            return 200, self._list(rest[0], request.query)
        if api == "objects" and rest[1:] == ["batch", "update"] and request.method == "POST":
            return self._batch_update(rest[0], request.body or {})
        if rest == ["tasks", "batch", "create"] and request.method == "POST":
            return self._create_tasks(request.body or {})
        if api == "objects" and rest[1:] == ["batch", "read"] and request.method == "POST":
            return self._batch_read(rest[0], request.body or {})
        if api == "objects" and rest[1:] == ["search"] and request.method == "POST":
            return self._search(rest[0], request.body or {})
        if api == "properties" and len(rest) == 1:
            return 200, {"results": self.property_definitions.get(rest[0], [])}
        if api == "pipelines" and len(rest) == 1:
            return 200, {"results": self.pipeline_definitions.get(rest[0], [])}
        if api == "schemas" and not rest:
            return 200, {"results": self.schema_list}
        if api == "owners" and not rest:
            return 200, self._owners(request.query)
        return 404, _error(f"no endpoint {request.method} {request.path}", "OBJECT_NOT_FOUND")

    def _ordered(self, object_type: str) -> list[PortalObject]:
        ordered = self._sorted.get(object_type)
        if ordered is None:
            ordered = sorted(self.objects.get(object_type, {}).values(), key=lambda o: int(o.id))
            self._sorted[object_type] = ordered
        return ordered

    def _list(self, object_type: str, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = min(int(query.get("limit", ["10"])[0]), 100)
        # The client sends Python's "True"/"False"; HubSpot reads either case.
        archived = query.get("archived", ["false"])[0].lower() == "true"
        wanted = _names(query.get("properties", []))
        after = int(query["after"][0]) if "after" in query else 0
        ordered = self._ordered(object_type)
        page = []
        for position in range(_first_at(ordered, after), len(ordered)):
            if ordered[position].archived == archived:
                page.append(ordered[position])
                if len(page) > limit:
                    break
        answer: dict[str, Any] = {"results": [_shown(o, wanted, object_type) for o in page[:limit]]}
        if len(page) > limit:
            # HubSpot's list cursor is opaque; here the id of the next object.
            answer["paging"] = {
                "next": {"after": page[limit].id, "link": "?after=" + page[limit].id}
            }
        return answer

    def _search(self, object_type: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        limit = min(int(body.get("limit", 10)), 200)
        offset = int(body.get("after") or 0)
        if offset >= self.search_cap:
            return 400, _error("There was a problem with the request.", "VALIDATION_ERROR")
        since = 0
        others: list[dict[str, Any]] = []
        for group in body.get("filterGroups", []):
            for found in group.get("filters", []):
                if found.get("operator") == "GTE" and found.get("propertyName") == _modified(
                    object_type
                ):
                    since = int(found["value"])
                else:
                    others.append(found)
        matching = sorted(
            (
                o
                for o in self.objects.get(object_type, {}).values()
                if not o.archived
                and o.modified_ms >= since
                and all(self._passes(o, f) for f in others)
            ),
            key=lambda o: (o.modified_ms, int(o.id)),
        )
        page = matching[offset : offset + limit]
        wanted = _names(body.get("properties", []))
        answer: dict[str, Any] = {
            "total": len(matching),
            "results": [_shown(o, wanted, object_type) for o in page],
        }
        if offset + limit < len(matching):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return 200, answer

    def _passes(self, found: PortalObject, condition: dict[str, Any]) -> bool:
        """One search filter: EQ on a property or on ``associations.{object}``, GTE on a
        datetime property (milliseconds, as HubSpot's search takes them)."""
        name, operator, value = condition["propertyName"], condition["operator"], condition["value"]
        if name.startswith("associations."):
            wanted = _SEARCH_ASSOCIATIONS.get(name.split(".", 1)[1])
            linked = self.associations.get(found.id, [])
            return any(t == wanted and i == str(value) for t, i, _ in linked)
        held = found.properties.get(name)
        if operator == "EQ" and name in _DATETIME_PROPERTIES and held is not None:
            return _milliseconds(held) == int(value)  # a datetime is compared as an instant
        if operator == "EQ":
            return held == str(value)
        if operator == "GTE" and held is not None:
            return _milliseconds(held) >= int(value)
        return False

    # Writing -------------------------------------------------------------------------------

    def _batch_update(self, object_type: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return 400, _error(
                f"Batch input size of {len(inputs)} exceeds the maximum of 100", "VALIDATION_ERROR"
            )
        started = iso(self.now_ms())
        table = self.objects.get(object_type, {})
        problems = []
        for item in inputs:
            found = table.get(self._updated_id(object_type, str(item.get("id"))))
            if found is None or found.archived:
                problems.append(_missing(object_type, str(item.get("id"))))
            else:
                problems.append(self._invalid(object_type, item.get("properties") or {}))
        traced = bool(inputs) and all(item.get("objectWriteTraceId") for item in inputs)
        if any(problems) and not traced:
            # Without trace ids HubSpot writes nothing and names the first problem.
            first = next(p for p in problems if p)
            return 400, _error(first["message"], first["category"])
        results = []
        errors = []
        for item, problem in zip(inputs, problems, strict=True):
            if problem:
                errors.append(
                    {**problem, "context": {"objectWriteTraceId": [item["objectWriteTraceId"]]}}
                )
                continue
            found = table[self._updated_id(object_type, str(item["id"]))]
            found.properties.update(item.get("properties") or {})
            found.modified_ms = self.now_ms()
            found.properties[_modified(object_type)] = iso(found.modified_ms)
            self._sorted.pop(object_type, None)
            shown = _shown(found, list(item.get("properties") or {}), object_type)
            if item.get("objectWriteTraceId"):
                shown["objectWriteTraceId"] = item["objectWriteTraceId"]
            results.append(shown)
        return self._batch_answer(results, errors, started, ok=200)

    def _batch_answer(
        self,
        results: list[dict[str, Any]],
        errors: list[dict[str, Any]],
        started: str,
        ok: int = 200,
    ) -> tuple[int, dict[str, Any]]:
        """A batch endpoint's answer: ``ok`` when every input went through, else 207
        (multi-status) with the errors beside the results."""
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": iso(self.now_ms()),
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
            return 207, answer
        return ok, answer

    def _updated_id(self, object_type: str, object_id: str) -> str:
        if self.updates_follow_merges:
            return self.merged_into.get((object_type, object_id), object_id)
        return object_id

    def _invalid(self, object_type: str, properties: dict[str, Any]) -> dict[str, Any] | None:
        """HubSpot's VALIDATION_ERROR for the first property it would refuse, or None."""
        defined = {d["name"]: d for d in self.property_definitions.get(object_type, [])}
        stages = {
            stage["id"]
            for pipeline in self.pipeline_definitions.get(object_type, [])
            for stage in pipeline.get("stages", [])
        }
        details = []
        for name, value in properties.items():
            definition = defined.get(name)
            if definition is None:
                details.append(
                    _invalid(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST")
                )
            elif (definition.get("modificationMetadata") or {}).get("readOnlyValue"):
                said = f'"{name}" is a read only property; its value cannot be set.'
                details.append(_invalid(name, said, "READ_ONLY_VALUE"))
            elif definition.get("type") == "enumeration":
                allowed = {o["value"] for o in definition.get("options") or []}
                if name in ("dealstage", "hs_pipeline_stage"):
                    allowed = stages
                if allowed and any(part not in allowed for part in str(value).split(";")):
                    said = f"{value} was not one of the allowed options: {sorted(allowed)}"
                    details.append(_invalid(name, said, "INVALID_OPTION"))
        if not details:
            return None
        message = "Property values were not valid: " + json.dumps(details)
        return {"status": "error", "category": "VALIDATION_ERROR", "message": message}

    def _create_tasks(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return 400, _error(
                f"Batch input size of {len(inputs)} exceeds the maximum of 100", "VALIDATION_ERROR"
            )
        started = iso(self.now_ms())
        results, errors = [], []
        for item in inputs:
            problem = self._invalid_association(item.get("associations") or [])
            if problem is not None:
                if not item.get("objectWriteTraceId"):
                    return 400, _error(problem, "VALIDATION_ERROR")
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": problem,
                        "context": {"objectWriteTraceId": [item["objectWriteTraceId"]]},
                    }
                )
                continue
            self._next_id += 1
            task_id = str(self._next_id)
            now = self.now_ms()
            properties = {
                **(item.get("properties") or {}),
                "hs_createdate": iso(now),
                "hs_object_id": task_id,
            }
            properties["hs_lastmodifieddate"] = iso(now)
            self.objects.setdefault("tasks", {})[task_id] = PortalObject(task_id, properties, now)
            self._sorted.pop("tasks", None)
            self.associations[task_id] = [
                (
                    str(self._task_association_target(t)),
                    str(a["to"]["id"]),
                    t["associationTypeId"],
                )
                for a in item.get("associations") or []
                for t in a.get("types") or []
            ]
            if {str(a["to"]["id"]) for a in item.get("associations") or []} & (
                self.tasks_left_out_for
            ):
                continue
            results.append(
                {
                    "id": task_id,
                    "objectWriteTraceId": item.get("objectWriteTraceId"),
                    "properties": _as_written_back(properties),
                    "createdAt": properties["hs_createdate"],
                    "updatedAt": properties["hs_createdate"],
                    "archived": False,
                }
            )
        return self._batch_answer(results, errors, started, ok=201)

    def _invalid_association(self, associations: list[dict[str, Any]]) -> str | None:
        for association in associations:
            target = str((association.get("to") or {}).get("id"))
            for kind in association.get("types") or []:
                object_type = self._task_association_target(kind)
                if object_type is None:
                    return f"invalid association type {kind} from tasks"
                found = self.objects.get(object_type, {}).get(target)
                if found is None or found.archived:
                    return (
                        f"Could not find {object_type} with id {target} to associate the task with"
                    )
        return None

    def _task_association_target(self, kind: dict[str, Any]) -> str | None:
        """The object type an association type from tasks leads to, when the category and
        the id are one HubSpot lists for tasks."""
        category, type_id = kind.get("associationCategory"), kind.get("associationTypeId")
        for object_type in [*_TYPE_OF_ASSOCIATION.values(), *self._custom_types()]:
            for label in self._labels_from_tasks(object_type) or []:
                if label["typeId"] == type_id and label["category"] == category:
                    return object_type
        return None

    def _custom_types(self) -> list[str]:
        return [str(s["objectTypeId"]) for s in self.schema_list]

    def _object_type(self, name: str) -> str | None:
        """An object type as the v4 APIs take it (a standard name, a custom object's
        objectTypeId, name or fully qualified name), as the objects are kept here."""
        if name in _TYPE_OF_ASSOCIATION.values() or name == "tasks":
            return name
        for schema in self.schema_list:
            if name in (schema["objectTypeId"], schema["name"], schema.get("fullyQualifiedName")):
                return str(schema["objectTypeId"])
        return None

    def _labels_from_tasks(self, to_type: str) -> list[dict[str, Any]] | None:
        object_type = self._object_type(to_type)
        if object_type is None or object_type == "tasks":
            return None
        standard = {v: k for k, v in _TYPE_OF_ASSOCIATION.items()}.get(object_type)
        if standard is not None:
            return [{"category": "HUBSPOT_DEFINED", "typeId": standard, "label": None}]
        default = [
            {"category": "USER_DEFINED", "typeId": int(object_type.split("-")[1]) % 1000 + 100,
             "label": None}
        ]  # fmt: skip
        return self.task_labels.get(object_type, default)

    def _associations_v4(self, request: Request, rest: list[str]) -> tuple[int, dict[str, Any]]:
        if len(rest) == 3 and rest[0] == "tasks" and rest[2] == "labels":
            labels = self._labels_from_tasks(rest[1])
            if labels is None:
                return 400, _error(f"Unable to infer object type from: {rest[1]}",
                                   "VALIDATION_ERROR")  # fmt: skip
            return 200, {"results": labels}
        if rest[1:] == ["tasks", "batch", "read"] and request.method == "POST":
            object_type = self._object_type(rest[0])
            if object_type is None or object_type == "tasks":
                return 400, _error(f"Unable to infer object type from: {rest[0]}",
                                   "VALIDATION_ERROR")  # fmt: skip
            return self._read_task_associations(object_type, (request.body or {}).get("inputs"))
        return 404, _error(f"no endpoint {request.method} {request.path}", "OBJECT_NOT_FOUND")

    def _read_task_associations(
        self, object_type: str, inputs: list[dict[str, Any]] | None
    ) -> tuple[int, dict[str, Any]]:
        started = iso(self.now_ms())
        results, errors = [], []
        for wanted in inputs or []:
            object_id = str(wanted["id"])
            linked = [
                (task_id, type_id)
                for task_id, associations in sorted(self.associations.items())
                for t, i, type_id in associations
                if t == object_type and i == object_id
            ]
            if not linked:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No tasks is associated with {object_type} {object_id}.",
                        "context": {"fromObjectId": [object_id]},
                    }
                )
                continue
            offset = int(wanted.get("after") or 0)
            page = linked[offset : offset + self.association_page]
            labels = {
                label["typeId"]: label for label in self._labels_from_tasks(object_type) or []
            }
            result: dict[str, Any] = {
                "from": {"id": object_id},
                "to": [
                    {
                        "toObjectId": int(task_id),
                        "associationTypes": [labels.get(type_id, {"typeId": type_id})],
                    }
                    for task_id, type_id in page
                ],
            }
            if offset + self.association_page < len(linked):
                after = str(offset + self.association_page)
                result["paging"] = {"next": {"after": after, "link": None}}
            results.append(result)
        return self._batch_answer(results, errors, started, ok=200)

    def _batch_read(self, object_type: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return 400, _error(
                f"Batch input size of {len(inputs)} exceeds the maximum of 100", "VALIDATION_ERROR"
            )
        started = iso(self.now_ms())
        table = self.objects.get(object_type, {})
        wanted = _names(body.get("properties") or [])
        found = [table.get(str(i.get("id"))) for i in inputs]
        results = [_shown(o, wanted, object_type) for o in found if o and not o.archived]
        missing = [str(i.get("id")) for i, o in zip(inputs, found, strict=True) if not o]
        errors = []
        if missing:
            error = _missing(object_type, ", ".join(missing))
            errors = [{**error, "context": {"ids": missing}}]
        return self._batch_answer(results, errors, started)

    def tasks_of(self, object_type: str, object_id: str) -> list[PortalObject]:
        """The tasks associated with an object, oldest first."""
        return [
            self.objects["tasks"][task_id]
            for task_id, linked in sorted(self.associations.items())
            if any(t == object_type and i == object_id for t, i, _ in linked)
        ]

    def _touch(self, body: dict[str, Any]) -> dict[str, Any]:
        """Changes every ``every``-th object of ``type`` (``count`` of them) at ``at_ms``,
        some minutes after the last requests: the rolling windows are empty again."""
        self.sent.clear()
        self.searched.clear()
        object_type, every, count = body["type"], int(body["every"]), int(body["count"])
        at = int(body["at_ms"])
        ordered = self._ordered(object_type)
        changed = ordered[::every][:count]
        for found in changed:
            found.properties["amount"] = str(int(found.properties.get("amount") or 0) + 1)
            found.properties[_modified(object_type)] = iso(at)
            found.modified_ms = at
        return {"changed": len(changed)}

    def _owners(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["100"])[0])
        offset = int(query.get("after", ["0"])[0])
        answer: dict[str, Any] = {"results": self.owner_list[offset : offset + limit]}
        if offset + limit < len(self.owner_list):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return answer


# HubSpot's HUBSPOT_DEFINED association types from a task (its tasks guide, "Associations").
_TYPE_OF_ASSOCIATION = {204: "contacts", 192: "companies", 216: "deals", 230: "tickets"}
# The search's ``associations.{name}`` pseudo-properties.
_SEARCH_ASSOCIATIONS = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
}


def _invalid(name: str, message: str, error: str) -> dict[str, Any]:
    return {
        "isValid": False,
        "message": message,
        "error": error,
        "name": name,
        "localizedErrorMessage": message,
    }


def _missing(object_type: str, object_id: str) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {object_type} objects, they may be deleted or not "
        f"exist. Check that ids are valid. Missing: {object_id}",
    }


# Datetime properties the stand-in's portals hold: a search compares them as instants, given
# as milliseconds since the epoch (HubSpot's APIs take timestamps so).
_DATETIME_PROPERTIES = frozenset(
    {"hs_timestamp", "hs_createdate", "createdate", "hs_lastmodifieddate", "lastmodifieddate"}
)


def _milliseconds(instant: str) -> int:
    if instant.isdigit():
        return int(instant)
    return round(datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp() * 1000)


def _first_at(ordered: list[PortalObject], after: int) -> int:
    """The position of the first object whose id is ``after`` or more (a binary search:
    the benchmark lists 100,000 objects a page at a time)."""
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if int(ordered[middle].id) < after:
            low = middle + 1
        else:
            high = middle
    return low


def _names(values: list[str]) -> list[str]:
    return [name for value in values for name in value.split(",") if name]


def _modified(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def _shown(found: PortalObject, wanted: list[str], object_type: str) -> dict[str, Any]:
    modified = _modified(object_type)
    # HubSpot answers the properties asked for, with these three always.
    keys = [*wanted, "hs_object_id", "createdate", modified] if wanted else list(found.properties)
    answer: dict[str, Any] = {
        "id": found.id,
        "properties": {key: found.properties.get(key) for key in dict.fromkeys(keys)},
        "createdAt": found.properties.get("createdate"),
        "updatedAt": found.properties.get(modified),
        "archived": found.archived,
    }
    if found.archived:
        answer["archivedAt"] = found.properties.get(modified)
    return answer


def _error(message: str, category: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
    }
    if category is not None:
        body["category"] = category
    return body


def deal_portal(deals: int, start_ms: int) -> HubSpotStandIn:
    """A portal of ``deals`` deals (a benchmark's): 10 properties each, 5 stages, 20 owners."""
    standin = HubSpotStandIn(keep_requests=False, control=True)
    text = {"type": "string", "fieldType": "text"}
    standin.define(
        "deals",
        {"name": "dealname", "label": "Deal name", **text},
        {"name": "amount", "label": "Amount", "type": "number", "fieldType": "number"},
        {"name": "dealstage", "label": "Deal stage", "type": "enumeration", "fieldType": "select"},
        {"name": "closedate", "label": "Close date", "type": "datetime", "fieldType": "date"},
        {"name": "region", "label": "Region", **text},
        {"name": "hs_priority", "label": "Priority", **text},
        {"name": "createdate", "label": "Create date", "type": "datetime", "fieldType": "date"},
        {
            "name": "hs_lastmodifieddate",
            "label": "Last modified",
            "type": "datetime",
            "fieldType": "date",
        },
    )
    stages = ["appointmentscheduled", "qualifiedtobuy", "contractsent", "closedwon", "closedlost"]
    standin.pipeline_definitions["deals"] = [
        {
            "id": "default",
            "label": "Sales pipeline",
            "displayOrder": 0,
            "stages": [
                {"id": s, "label": s.title(), "displayOrder": i} for i, s in enumerate(stages)
            ],
        }
    ]
    standin.owner_list = [{"id": str(100 + i), "email": f"owner{i}@example.com"} for i in range(20)]
    regions = ["north", "south", "east", "west", "central", "overseas"]
    table = standin.objects.setdefault("deals", {})
    for number in range(1, deals + 1):
        at = start_ms + number
        table[str(number)] = PortalObject(
            str(number),
            {
                "hs_object_id": str(number),
                "dealname": f"Deal {number}",
                "amount": str(number * 7919 % 10_000),
                "dealstage": stages[number % 5],
                "closedate": iso(at + 86_400_000 * (number % 90)),
                "region": regions[number * 7 % 6],
                "hs_priority": ("low", "medium", "high")[number % 3],
                "hubspot_owner_id": str(100 + number % 20),
                "createdate": iso(at),
                "hs_lastmodifieddate": iso(at),
            },
            at,
        )
    return standin


def main() -> None:
    """``python -m tests.hubspot_standin DEALS START_MS [REQUESTS SECONDS]``: serves a portal
    of DEALS deals (answering 429 past REQUESTS in any SECONDS) and prints its URL, until
    stdin closes (the benchmark's stand-in, in its own process)."""
    import sys

    standin = deal_portal(int(sys.argv[1]), int(sys.argv[2]))
    if len(sys.argv) > 4:
        standin.window = (int(sys.argv[3]), float(sys.argv[4]))
    with standin.serving() as url:
        print(url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
