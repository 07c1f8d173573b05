"""The door of the HTTP endpoint, probed as an attacker would: nothing acts on a request
whose signature is not good, malformed bodies get a 400 instead of a traceback, and a
replayed request has no second effect."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.slack.request_gate import MAX_DEPTH
from bot.workflows.clock import FixedClock
from storage.database import transaction
from storage.models import ObjectType, Run
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Slack, Trap
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> str:
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    return NAME


def _forged_command(slack: Slack, trap: Trap, text: str = "list") -> str:
    form = {**slack.command_form(OWNER, text), "response_url": trap.url}
    return urlencode(form)


def _nothing_happened(slack: Slack, slack_api: SlackStandIn, trap: Trap) -> None:
    """Lets a benign request go all the way through first: had a refused request set off
    work of its own, that work would have started before this reply."""
    slack.reply_to(OWNER, "help")
    assert trap.received == []
    # auth.test is Bolt's question about its own token, asked for the help request.
    methods = [c.method for c in slack_api.calls() if c.method != "auth.test"]
    assert methods == [], "the bot called Slack's Web API"
    assert len(slack_api.responses()) == 1, "a response URL other than the help's was used"


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "NaN", "", " 1", "-1", "12345678901234"])
def test_a_malformed_timestamp_is_refused_with_no_side_effect(
    slack: Slack, slack_api: SlackStandIn, trap: Trap, timestamp: str
) -> None:
    body = _forged_command(slack, trap)
    answer = slack.send(body, signature="v0=0", headers={"X-Slack-Request-Timestamp": timestamp})
    assert answer.status == 401
    _nothing_happened(slack, slack_api, trap)


@pytest.mark.parametrize("signature", ["", "v0=0", "v1=" + "0" * 64, "v0=" + "G" * 64])
def test_a_malformed_signature_is_refused_with_no_side_effect(
    slack: Slack, slack_api: SlackStandIn, trap: Trap, signature: str
) -> None:
    answer = slack.send(_forged_command(slack, trap), signature=signature)
    assert answer.status == 401
    _nothing_happened(slack, slack_api, trap)


def test_a_forged_request_without_response_url_sends_no_direct_message(
    slack: Slack, slack_api: SlackStandIn, trap: Trap
) -> None:
    payload = {"type": "block_actions", "user": {"id": OWNER}, "actions": {"oops": 1}}
    body = urlencode({"payload": json.dumps(payload)})
    assert slack.send(body, timestamp=0, signature="v0=" + "0" * 64).status == 401
    _nothing_happened(slack, slack_api, trap)


MALFORMED_BODIES = {
    "truncated JSON payload": urlencode({"payload": '{"type": "block_actions", "us'}),
    "an array payload": urlencode({"payload": "[1, 2]"}),
    "a string payload": urlencode({"payload": '"hello"'}),
    "a null payload": urlencode({"payload": "null"}),
    "an empty payload": urlencode({"payload": ""}),
    "100k-deep nesting": urlencode({"payload": "[" * 100_000 + "]" * 100_000}),
    "deep nesting in an object": urlencode(
        {"payload": '{"type": "x", "view": ' + '{"a": ' * 1000 + "1" + "}" * 1001}
    ),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_a_malformed_body_is_refused_unsigned_with_401_and_signed_with_400(
    slack: Slack,
    slack_api: SlackStandIn,
    trap: Trap,
    body: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    assert slack.send(body, signature="v0=" + "0" * 64).status == 401
    assert slack.send(body).status == 400
    _nothing_happened(slack, slack_api, trap)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_form_body_labelled_json_is_refused(slack: Slack, trap: Trap) -> None:
    answer = slack.send(_forged_command(slack, trap), content_type="application/json")
    assert answer.status == 400
    assert trap.received == []


def test_a_body_that_is_not_utf8_is_refused(slack: Slack) -> None:
    answer = slack._request(
        "POST",
        "/slack/events",
        b"payload=\xff\xfe",
        {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64},
    )
    assert answer.status == 400


ODD_SHAPES = {
    "actions as an object": {"type": "block_actions", "actions": {"0": {}}},
    "an action that is a string": {"type": "block_actions", "actions": ["click"]},
    "view as a list": {"type": "view_submission", "view": []},
    "state values as a list": {"type": "view_submission", "view": {"state": {"values": []}}},
    "a type that is a number": {"type": 7},
    "a user that is a number": {"type": "block_actions", "user": 12},
    "an action id that is an object": {
        "type": "block_actions",
        "actions": [{"action_id": {"x": 1}, "block_id": "b"}],
    },
}


@pytest.mark.parametrize("payload", ODD_SHAPES.values(), ids=ODD_SHAPES.keys())
def test_a_signed_payload_of_an_odd_shape_gets_400(
    slack: Slack, payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = slack.send(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 400
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_payloads_nested_to_the_limit_pass_and_one_deeper_is_refused(slack: Slack) -> None:
    def nested(depth: int) -> str:
        """A payload whose objects nest ``depth`` levels, itself the first."""
        inner = "1"
        for _ in range(depth - 1):
            inner = '{"x": ' + inner + "}"
        return '{"type": "unknown_kind", "x": ' + inner + "}"

    assert slack.send(urlencode({"payload": nested(MAX_DEPTH)})).status != 400
    assert slack.send(urlencode({"payload": nested(MAX_DEPTH + 1)})).status == 400


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
KEYS = ["type", "actions", "view", "user", "team", "channel", "container", "trigger_id"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=4))
def test_no_signed_payload_makes_the_endpoint_fail(slack: Slack, payload: dict[str, Any]) -> None:
    answer = slack.send(urlencode({"payload": json.dumps(payload)}))
    # 403: a payload that names another workspace; 404: one no listener handles.
    assert answer.status in (200, 400, 403, 404), answer


def test_a_replayed_command_has_no_second_effect(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert "Running *Deal review* now" in slack.reply_to(OWNER, f"run {NAME}")
    replay = slack.resend(slack.sent[-1])
    assert replay.status == 200 and replay.body == b""
    slack.reply_to(OWNER, "help")  # anything the replay set off would have started by now
    with transaction(bot.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 1
    assert len(slack_api.responses()) == 2  # the run's reply and the help


def test_a_replayed_click_has_no_second_effect(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    answer, path = slack.click_in_message(OWNER, question.payload, "workflow_delete_confirm")
    assert answer.status == 200
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    click = slack.sent[-1]
    assert slack.resend(click).status == 200
    slack.reply_to(OWNER, "help")
    assert len([r for r in slack_api.responses() if r.path == path]) == 1


def test_the_same_request_signed_again_later_is_not_a_replay(
    slack: Slack, bot: Bot, deal_review: str
) -> None:
    """Two people (or one, twice) asking for the same thing: Slack signs each request
    anew, so only a byte-for-byte copy of one request counts as its replay."""
    slack.reply_to(OWNER, f"run {NAME}")
    slack.reply_to(OWNER, f"run {NAME}")
    with transaction(bot.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 2


def test_a_request_for_another_workspace_is_refused_and_creates_nothing(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.slack.app")
    foreign = Slack(slack.port, slack_api, team_id="T0OTHER99")
    assert foreign.command(OWNER, "create").status == 403
    assert foreign.command(OWNER, "list").status == 403
    with transaction(bot.sessions) as session:
        teams = set(session.scalars(select(ObjectType.team_id)))
    assert "T0OTHER99" not in teams
    assert slack_api.views(OWNER) == []
    warnings = [r.getMessage() for r in caplog.records if "T0OTHER99" in r.getMessage()]
    assert len(warnings) == 1, "refusals of one team are logged once"


def test_a_slack_connect_user_from_another_organisation_acts_here(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    """In a shared channel the payload names this workspace; only the user's team is
    theirs. The user id decides what they may do, as for anyone."""
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    answer, path = slack.click_in_message(
        OWNER, question.payload, "workflow_delete_confirm", user_team="T0PARTNER"
    )
    assert answer.status == 200
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    assert bot.stored_workflow(NAME) is None
