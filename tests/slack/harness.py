"""The bot under test, served over real HTTP, and Slack's side of the conversation: signed
slash commands, clicks, view submissions and events shaped as Slack sends them.

The bot calls the Web API stand-in (tests/slack_standin.py); this module plays the Slack
servers that call the bot, and the Slack client that shows its modals to a user.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_bolt import App
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.models.blocks import Option
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack import ids
from bot.slack.after_ack import AfterAck
from bot.slack.app import create_app
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.request_gate import RequestGate
from bot.slack.server import Health, HttpServer, wsgi_application
from bot.slack.services import Services
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from storage.database import transaction
from storage.models import Workflow
from tests.slack.views.state import State, choose, enter, state_from_blocks
from tests.slack_standin import TEAM_ID, OpenView, SlackStandIn

SIGNING_SECRET = "e2e-signing-secret"
QUICK_RETRIES = FixedValueRetryIntervalCalculator(0.001)
CHANNEL = "C0GENERAL"
# How long the bot under test waits for a listener's ack before Bolt answers 404. Slack's
# 3 s is production's (its handling is tested in test_handoff); on a loaded test machine a
# wizard step has taken longer, and a slow step is not what these tests are about. Below the
# 30 s that Slack's side here waits for an answer.
TEST_ACK_WAIT_S = 20.0


@dataclass(frozen=True)
class Answer:
    """The bot's HTTP answer to one request: status, body and headers (names in lower case)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


class Trap:
    """A listener on a loopback port that records every request it receives: where a
    forged response_url would send the bot."""

    def __init__(self) -> None:
        self.received: list[str] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                trap.received.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/internal/admin"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Sent:
    """One request as Slack's side sent it: path, body and headers."""

    path: str
    body: bytes
    headers: Mapping[str, str]


class Wakes(list[int]):
    """The scheduler's wake-ups the listeners asked for (Services.workflows_changed, called
    after their commit), a 1 each: a list to count, and a condition to wait for one on."""

    def __init__(self) -> None:
        super().__init__()
        self._woken = threading.Condition()

    def __call__(self) -> None:
        with self._woken:
            self.append(1)
            self._woken.notify_all()

    def wait_for(self, count: int, timeout: float) -> None:
        with self._woken:
            if not self._woken.wait_for(lambda: len(self) >= count, timeout):
                raise TimeoutError(f"{len(self)} of {count} wake-ups within {timeout} s")


@dataclass
class Bot:
    """The bot's Slack endpoint on loopback, with the services its listeners use."""

    services: Services
    app: App
    server: HttpServer
    slack_api: SlackStandIn
    clock: FixedClock
    wakes: Wakes = field(default_factory=Wakes)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.services.sessions

    def wait_for_wakes(self, count: int, timeout: float = 10.0) -> None:
        """Waits until listeners have woken the scheduler ``count`` times in all: they do
        after committing, so what they committed is then in the database."""
        self.wakes.wait_for(count, timeout)

    def engine(self) -> Engine:
        """A scheduler's engine posting through the stand-in, ticked by the test."""
        return standin_engine(self.sessions, self.clock, self.slack_api)

    def stored_workflow(self, name: str) -> Workflow | None:
        """The workflow named ``name`` as stored now, detached from its session."""
        with transaction(self.sessions) as session:
            found = session.scalars(select(Workflow).where(Workflow.name == name)).one_or_none()
            if found is not None:
                session.expunge(found)
            return found


def standin_engine(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn
) -> Engine:
    """An engine whose notifier posts through the stand-in without pacing."""
    client = make_web_client(slack_api.token, slack_api.url, max_retries=1)
    notifier = SlackNotifier(client, monotonic=lambda: 0.0, sleep=lambda _s: None)
    return Engine(sessions, clock, lambda _team: notifier, owner="e2e")


def start_bot(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    slack_api: SlackStandIn,
    *,
    admins: frozenset[str] = frozenset(),
    after_ack: AfterAck | None = None,
    ack_wait_s: float = TEST_ACK_WAIT_S,
) -> Bot:
    settings = Settings(
        slack_bot_token=slack_api.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
        workflow_admins=admins,
        default_timezone="UTC",
    )
    wakes = Wakes()
    # Manual runs (the enrollment shortcut) execute at once, as `serve` wires them.
    run_now = standin_engine(sessions, clock, slack_api).run_now
    services = Services.build(sessions, clock, settings, wakes, run_now)
    client = make_web_client(
        slack_api.token, slack_api.url, max_retries=1, retry_interval=QUICK_RETRIES
    )
    app = create_app(services, client, after_ack=after_ack, ack_wait_s=ack_wait_s)
    health = Health(sessions, clock, None)
    gate = RequestGate(SIGNING_SECRET, sessions)
    server = HttpServer(wsgi_application(app, health, gate), "127.0.0.1", 0).start()
    return Bot(services, app, server, slack_api, clock, wakes)


def running_bot(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn, **options: Any
) -> Iterator[Bot]:
    bot = start_bot(sessions, clock, slack_api, **options)
    try:
        yield bot
    finally:
        bot.server.stop()
        # Listeners still at work after the test (a reply nobody waited for) finish before
        # the stand-in and the database go away.
        bot.app.listener_runner.listener_executor.shutdown(wait=True)


class Slack:
    """Slack's servers and client, as far as the bot can tell: signs and sends requests to
    the bot from the workspace ``team_id``, and applies the bot's answers to the modals the
    stand-in holds."""

    def __init__(
        self,
        port: int,
        slack_api: SlackStandIn,
        secret: str = SIGNING_SECRET,
        wall_clock: Callable[[], float] = time.time,
        team_id: str = TEAM_ID,
    ) -> None:
        self.port = port
        self.slack_api = slack_api
        self.team_id = team_id
        self.verifier = SignatureVerifier(secret)
        self.sent: list[Sent] = []
        # Bolt checks a request's age against the real clock, so signatures use it too.
        self.wall_clock = wall_clock

    # -- transport -------------------------------------------------------------------------

    def send(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "/slack/events",
    ) -> Answer:
        stamp = str(timestamp if timestamp is not None else int(self.wall_clock()))
        if signature is None:
            signature = str(self.verifier.generate_signature(timestamp=stamp, body=body))
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        self.sent.append(Sent(path, body.encode(), sent))
        return self._request("POST", path, body.encode(), sent)

    def resend(self, request: Sent) -> Answer:
        """Sends a request again byte for byte, as someone who captured it would."""
        return self._request("POST", request.path, request.body, request.headers)

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        """GET ``path`` unsigned, as a browser or a health check does."""
        return self._request("GET", path, None, headers or {})

    def _request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(headers))
            response = connection.getresponse()
            received = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, response.read(), received)
        finally:
            connection.close()

    def _interaction(self, payload: dict[str, Any]) -> Answer:
        return self.send(urlencode({"payload": json.dumps(payload)}))

    # -- what users do ---------------------------------------------------------------------

    def command_form(
        self,
        user_id: str,
        text: str,
        channel: str = CHANNEL,
        command: str = ids.SLASH_COMMAND,
    ) -> dict[str, str]:
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "standin",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0WORKFLOWBOT",
            "is_enterprise_install": "false",
            "response_url": self.slack_api.response_url(),
            "trigger_id": self.slack_api.issue_trigger(user_id),
        }

    def command(
        self,
        user_id: str,
        text: str,
        channel: str = CHANNEL,
        command: str = ids.SLASH_COMMAND,
    ) -> Answer:
        return self.send(urlencode(self.command_form(user_id, text, channel, command)))

    def reply_to(
        self, user_id: str, text: str, timeout: float = 10.0, command: str = ids.SLASH_COMMAND
    ) -> str:
        """Sends ``COMMAND TEXT`` (/workflow by default) and waits for the bot's reply at the
        command's response_url; returns everything the user reads in it."""
        form = self.command_form(user_id, text, command=command)
        answer = self.send(urlencode(form))
        assert answer.status == 200, answer
        path = urlsplit(form["response_url"]).path
        self.slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()), timeout)
        return next(r for r in self.slack_api.responses() if r.path == path).all_text()

    def click_in_message(
        self,
        user_id: str,
        message: Mapping[str, Any],
        action_id: str,
        *,
        user_team: str | None = None,
    ) -> tuple[Answer, str]:
        """Clicks the button ``action_id`` in an ephemeral message the bot sent to a
        response_url; returns the answer and the response_url of that click. The user is of
        this workspace, or of ``user_team`` (a Slack Connect user in a shared channel)."""
        button, block_id = _find_element(list(message.get("blocks") or []), action_id)
        response_url = self.slack_api.response_url("click")
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "standin"},
            "user": {"id": user_id, "team_id": user_team or self.team_id},
            "api_app_id": "A0WORKFLOWBOT",
            "container": {"type": "message", "is_ephemeral": True},
            "trigger_id": self.slack_api.issue_trigger(user_id),
            "channel": {"id": CHANNEL, "name": "general"},
            "response_url": response_url,
            "actions": [
                {
                    "type": button["type"],
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": button.get("value"),
                    "action_ts": f"{self.wall_clock():.6f}",
                }
            ],
        }
        return self._interaction(payload), urlsplit(response_url).path

    def submit(self, user_id: str, view: OpenView, values: dict[str, Any]) -> Answer:
        """Submits the modal with ``values`` as its state; applies an "update" answer to the
        stand-in's copy of the modal, as Slack's client would, and closes it on "clear"."""
        payload = {
            **self._about_modal("view_submission", user_id, view, values),
            "trigger_id": self.slack_api.issue_trigger(user_id),
        }
        answer = self._interaction(payload)
        action = answer.json.get("response_action") if answer.body else None
        if action == "update":
            self.slack_api.replace_view(view.view_id, answer.json["view"])
        elif action == "clear" or (answer.status == 200 and not answer.body):
            self.slack_api.close_view(view.view_id)
        return answer

    def click_in_view(
        self,
        user_id: str,
        view: OpenView,
        values: dict[str, Any],
        block_id: str,
        action: dict[str, Any],
    ) -> Answer:
        """A block action inside a modal: a button click or a dispatched input change."""
        payload = {
            **self._about_modal("block_actions", user_id, view, values),
            "container": {"type": "view", "view_id": view.view_id},
            "trigger_id": self.slack_api.issue_trigger(user_id),
            "actions": [{"block_id": block_id, "action_ts": f"{self.wall_clock():.6f}", **action}],
        }
        return self._interaction(payload)

    def event(
        self, event: dict[str, Any], event_id: str, *, retry_num: int | None = None
    ) -> Answer:
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0WORKFLOWBOT",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.wall_clock()),
            "authorizations": [
                {"team_id": self.team_id, "user_id": "U0WORKFLOWBOT", "is_bot": True}
            ],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.send(json.dumps(body), "application/json", headers=headers)

    def shortcut(
        self,
        user_id: str,
        message: Mapping[str, Any],
        callback_id: str,
        channel: str = CHANNEL,
    ) -> Answer:
        """A message shortcut (payload type message_action) on ``message`` ({text, user,
        ts, ...}) in ``channel``, chosen by ``user_id``."""
        payload = {
            "type": "message_action",
            "token": "legacy-verification-token",
            "callback_id": callback_id,
            "action_ts": f"{self.wall_clock():.6f}",
            "team": {"id": self.team_id, "domain": "standin"},
            "user": {"id": user_id, "name": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0WORKFLOWBOT",
            "channel": {"id": channel, "name": "general"},
            "is_enterprise_install": False,
            "message_ts": message.get("ts"),
            "message": {"type": "message", **message},
            "response_url": self.slack_api.response_url("shortcut"),
            "trigger_id": self.slack_api.issue_trigger(user_id),
        }
        return self._interaction(payload)

    def suggest(
        self,
        user_id: str,
        view: OpenView,
        block_id: str,
        action_id: str,
        typed: str = "",
        values: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """What an external select in a modal offers once the user typed ``typed``: the
        options of the bot's answer to the block_suggestion, each checked against Slack's
        limits (text 75 characters, value 150)."""
        payload = {
            **self._about_modal("block_suggestion", user_id, view, values or {}),
            "container": {"type": "view", "view_id": view.view_id},
            "block_id": block_id,
            "action_id": action_id,
            "value": typed,
        }
        answer = self._interaction(payload)
        assert answer.status == 200, answer
        options: list[dict[str, Any]] = answer.json.get("options", [])
        assert len(options) <= 100, f"{len(options)} options"
        for option in options:
            Option(**option).validate_json()
        return options

    def _about_modal(
        self, kind: str, user_id: str, view: OpenView, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What every payload of ``kind`` about an open modal carries: who acted, in which
        workspace, and the modal with ``values`` as its state."""
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": "standin"},
            "user": {"id": user_id, "team_id": self.team_id},
            "api_app_id": "A0WORKFLOWBOT",
            "view": {**view.as_api(self.team_id), "state": {"values": values}},
        }


def _find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        elements = block.get("elements") or []
        accessory = block.get("accessory")
        for element in [*elements, *([accessory] if accessory else [])]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element, str(block.get("block_id", ""))
    raise AssertionError(f"no element {action_id!r} in {json.dumps(blocks)[:500]}")


class Modal:
    """A user working in one modal: finds inputs by block id, types, picks, clicks and
    submits, and sees the view as the bot last left it. Between changes the state is what
    the rendered view shows (the bot keeps what was typed in its draft and renders it)."""

    def __init__(self, slack: Slack, user_id: str, view_id: str) -> None:
        self.slack = slack
        self.user_id = user_id
        self.view_id = view_id
        self.values: State = {}
        self.refresh()

    @property
    def view(self) -> OpenView:
        return self.slack.slack_api.view(self.view_id)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.view.view["blocks"])

    def text(self) -> str:
        return json.dumps(self.view.view, ensure_ascii=False)

    def refresh(self) -> None:
        self.values = state_from_blocks(self.blocks)

    def block_id(self, prefix: str) -> str:
        """The block ``prefix`` names exactly, else the one whose id starts with it (the
        editors' ids end with the draft's layout)."""
        ids = [str(b.get("block_id", "")) for b in self.blocks]
        if prefix in ids:
            return prefix
        found = [
            b["block_id"] for b in self.blocks if str(b.get("block_id", "")).startswith(prefix)
        ]
        assert len(found) == 1, f"{len(found)} blocks start with {prefix!r}: {found}"
        return str(found[0])

    def enter(self, prefix: str, value: Any, action_id: str | None = None) -> None:
        enter(self.values, self.block_id(prefix), value, action_id)

    def choose(self, prefix: str, option: str, action_id: str | None = None) -> None:
        choose(self.blocks, self.values, self.block_id(prefix), option, action_id)

    def submit(self) -> Answer:
        answer = self.slack.submit(self.user_id, self.view, self.values)
        if answer.json.get("response_action") == "update":
            self.refresh()
        return answer

    def _act(self, block_id: str, action: dict[str, Any]) -> None:
        before = self.view.hash
        answer = self.slack.click_in_view(self.user_id, self.view, self.values, block_id, action)
        assert answer.status == 200, answer
        self.slack.slack_api.wait_for(lambda api: api.view(self.view_id).hash != before)
        self.refresh()

    def press(self, action_id: str, value_contains: str = "") -> None:
        """Clicks the button ``action_id`` (the first whose value contains the text)."""
        for block in self.blocks:
            elements = [*(block.get("elements") or []), block.get("accessory") or {}]
            for element in elements:
                if element.get("action_id") == action_id and value_contains in str(
                    element.get("value", "")
                ):
                    self._act(
                        str(block.get("block_id") or "slack-made-id"),
                        {"type": "button", "action_id": action_id, "value": element["value"]},
                    )
                    return
        raise AssertionError(f"no button {action_id!r} with {value_contains!r} in the view")

    def search(self, prefix: str, typed: str, value: str) -> list[dict[str, Any]]:
        """Types ``typed`` into the searchable select of a block, as a person would, and
        picks the offered option whose value is ``value`` (Slack then sends the change at
        once); returns what was offered."""
        block_id = self.block_id(prefix)
        [(action_id, state)] = self.values[block_id].items()
        offered = self.slack.suggest(
            self.user_id, self.view, block_id, action_id, typed, self.values
        )
        state["selected_option"] = next(o for o in offered if o["value"] == value)
        self._act(block_id, {"type": state["type"], "action_id": action_id, **state})
        return offered

    def pick(self, prefix: str, option: str, action_id: str | None = None) -> None:
        """Chooses an option in a select that dispatches (Slack sends the change at once)."""
        block_id = self.block_id(prefix)
        choose(self.blocks, self.values, block_id, option, action_id)
        state = (
            self.values[block_id][action_id]
            if action_id
            else next(iter(self.values[block_id].values()))
        )
        chosen_action = action_id or next(iter(self.values[block_id]))
        self._act(block_id, {"type": state["type"], "action_id": chosen_action, **state})

    def type_and_enter(self, prefix: str, text: str) -> None:
        """Types ``text`` into a text input that dispatches on Enter, and presses Enter."""
        block_id = self.block_id(prefix)
        self.enter(block_id, text)
        [(action_id, state)] = self.values[block_id].items()
        self._act(block_id, {"type": state["type"], "action_id": action_id, "value": text})


def open_modal(slack: Slack, user_id: str, text: str, ready: str) -> Modal:
    """Sends ``/workflow TEXT`` and waits for the modal to show ``ready`` (a text in it)."""
    assert slack.command(user_id, text).status == 200
    slack.slack_api.wait_for(
        lambda api: any(ready in json.dumps(v.view) for v in api.views(user_id))
    )
    view = next(v for v in slack.slack_api.views(user_id) if ready in json.dumps(v.view))
    return Modal(slack, user_id, view.view_id)
