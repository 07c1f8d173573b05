"""The HTTP side: Slack's requests on /slack/events through Bolt's WSGI adapter (with GET
/slack/install and /slack/oauth_redirect when the app serves several workspaces), GET
/healthz and GET /metrics, served by waitress (a production WSGI server; Bolt's own server
is for development only)."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from waitress import create_server

from bot.database_outage import DatabaseOutage
from bot.metrics import Metrics
from bot.slack.ack_metrics import known_ids, listener_of
from bot.slack.request_gate import Refusal, RequestGate
from bot.workflows.clock import Clock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# These threads read, verify and answer requests: listeners run on the listener pool, and a
# request's thread waits for the ack only (bot.slack.handoff).
THREADS = 16
# Slack wants its answer within 3 s, and an ack is a few hundred microseconds of Python;
# work after other acks holds the GIL for up to the switch interval (5 ms by default) before
# an acking thread gets a turn. A shorter interval trades a little throughput for acks that
# wait less behind that work: for processes that answer Slack only (SlackConnection, the web
# workers), not a scheduler alone, whose burst took 11% more CPU with it.
GIL_SWITCH_SECONDS = 0.0005
# Slack sends at most a few kB; a larger body is refused before Bolt reads it.
MAX_BODY = 1_048_576


class SchedulerState(Protocol):
    @property
    def running(self) -> bool: ...

    last_tick: Any
    last_error: str | None
    safety_tick: timedelta


@dataclass(frozen=True)
class Health:
    """What /healthz reports: the database answers, and the scheduler (when this process
    runs one) is running and ticked recently."""

    sessions: sessionmaker[Session]
    clock: Clock
    scheduler: SchedulerState | None
    # Shared with the process's scheduler: an outage is logged once, not at every check.
    outage: DatabaseOutage | None = None

    @cached_property
    def _outage(self) -> DatabaseOutage:
        return self.outage or DatabaseOutage(self.sessions, self.clock)

    def report(self) -> tuple[bool, dict[str, Any]]:
        database = self._database()
        scheduler = self._scheduler()
        healthy = database == "ok" and scheduler.get("state") in ("ok", "not run here")
        return healthy, {
            "status": "ok" if healthy else "failing",
            "database": database,
            "scheduler": scheduler,
        }

    def _database(self) -> str:
        try:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))
        except (DBAPIError, PoolTimeout) as error:
            # The endpoint is public: the details (hosts, paths) go to the log only, once
            # a minute while the outage lasts.
            self._outage.failed(error)
            return "unreachable"
        except Exception:  # reported, not raised: the endpoint exists to say this
            log.exception("health check: the database did not answer")
            return "unreachable"
        self._outage.answered()
        return "ok"

    def _scheduler(self) -> dict[str, Any]:
        scheduler = self.scheduler
        if scheduler is None:
            return {"state": "not run here"}
        last_tick = scheduler.last_tick
        # The error itself is in the log (the scheduler logs it with its traceback): the
        # endpoint is public and only says that the last tick failed.
        report: dict[str, Any] = {"last_tick": last_tick.isoformat() if last_tick else None}
        # Three missed safety ticks in a row mean the timer is stuck.
        stale_after = scheduler.safety_tick * 3
        if not scheduler.running:
            report["state"] = "stopped"
        elif last_tick is None or self.clock.now() - last_tick > stale_after:
            report["state"] = "starting" if last_tick is None else "stalled"
        elif scheduler.last_error:
            report["state"] = "failing"
        else:
            report["state"] = "ok"
        return report


def wsgi_application(
    app: App | None,
    health: Health,
    gate: RequestGate | None,
    metrics: Metrics | None = None,
) -> WSGIApplication:
    """Routes /healthz to the health report, /metrics to ``metrics`` (when given) and
    everything else to Bolt, which serves /slack/events, and the OAuth install paths when
    the app has an OAuth flow, and answers 404 for other paths. Without an app (Socket
    Mode, the scheduler role) only /healthz and /metrics are served.

    Every POST to /slack/events passes ``gate`` first, which an app cannot go without."""
    if app is not None and gate is None:
        raise ValueError("the Slack endpoint needs a RequestGate in front of the app")
    slack = SlackRequestHandler(app, EVENTS_PATH) if app is not None else None
    known = known_ids()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            healthy, report = health.report()
            body = json.dumps(report).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if path == METRICS_PATH and method == "GET" and metrics is not None:
            content_type, body = metrics.exposition()
            start_response("200 OK", [("Content-Type", content_type)])
            return [body]
        if slack is None:
            return _plain(start_response, 404, "Not Found")
        if path == EVENTS_PATH and method == "POST":
            assert gate is not None
            verified = _through_gate(gate, environ)
            if isinstance(verified, Refusal):
                if verified.reason:
                    log.info("refused a request to %s: %s", EVENTS_PATH, verified.reason)
                return _plain(start_response, verified.status, verified.reason)
            environ = verified
            if metrics is not None:
                return _counted(slack, environ, start_response, metrics, known)
        return slack(environ, start_response)

    return application


def _counted(
    slack: SlackRequestHandler,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    metrics: Metrics,
    known: frozenset[str],
) -> Iterable[bytes]:
    """Bolt's answer to a verified request (its WSGI adapter returns once the listener
    acked), timed, and counted by listener once it was sent."""
    started = time.perf_counter()
    statuses: list[int] = []

    def noting_status(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(int(status.split(" ", 1)[0]))
        return start_response(status, headers, exc_info)

    answer = slack(environ, noting_status)
    seconds = time.perf_counter() - started
    body = environ["wsgi.input"].getvalue()
    content_type = str(environ.get("CONTENT_TYPE") or "")

    def count() -> None:
        listener = listener_of(body, content_type, known)
        metrics.acked(listener, statuses[0] if statuses else 500, seconds)

    return _AfterSending(answer, count)


class _AfterSending:
    """A WSGI answer that calls ``then`` when the server has sent it (WSGI's close()):
    reading which listener a request was for (a form decoded again, a few hundred
    microseconds on a large interaction) does not delay the ack."""

    def __init__(self, answer: Iterable[bytes], then: Callable[[], None]) -> None:
        self._answer = answer
        self._then = then

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._answer)

    def close(self) -> None:
        try:
            close = getattr(self._answer, "close", None)
            if close is not None:
                close()
        finally:
            self._then()


def _through_gate(gate: RequestGate, environ: WSGIEnvironment) -> WSGIEnvironment | Refusal:
    """The environment to hand Bolt, or why the request stops here."""
    body = _read_body(environ)
    if body is None:
        return Refusal(400, "invalid request: bad Content-Length")
    refusal = gate.check(_headers(environ), body)
    if refusal is not None:
        return refusal
    # Bolt reads the body again from wsgi.input: hand it the bytes checked here.
    return {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}


def _read_body(environ: WSGIEnvironment) -> bytes | None:
    """The request body (waitress caps it at MAX_BODY); None for a bad Content-Length."""
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return None
    return bytes(environ["wsgi.input"].read(int(length)))


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    headers = {
        key[5:].lower().replace("_", "-"): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    headers["content-type"] = str(environ.get("CONTENT_TYPE") or "")
    return headers


def _plain(start_response: StartResponse, status: int, text: str) -> Iterable[bytes]:
    phrase = HTTPStatus(status).phrase
    start_response(f"{status} {phrase}", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode()]


def answer_slack_promptly() -> None:
    """Tunes this process for answering Slack's requests (GIL_SWITCH_SECONDS): called by
    every process that acks them, and by no other."""
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


class HttpServer:
    """A waitress server on its own thread; port 0 picks a free port (tests)."""

    # How often the serving loop checks for stop(): the longest stop() waits.
    POLL_SECONDS = 0.1

    def __init__(self, application: WSGIApplication, host: str, port: int) -> None:
        self._server: Any = create_server(
            application,
            host=host,
            port=port,
            threads=THREADS,
            max_request_body_size=MAX_BODY,
            ident="workflow-bot",
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _serve(self) -> None:
        # waitress's own run() loops until its socket map is empty, and closing the server
        # from another thread pulls sockets out from under select(). This loop checks for
        # stop() between polls and closes everything from the serving thread.
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(
                timeout=self.POLL_SECONDS,
                map=server._map,
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )
        for channel in list(server._map.values()):
            channel.close()
        server.task_dispatcher.shutdown()
