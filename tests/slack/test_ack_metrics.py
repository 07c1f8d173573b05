"""The listener label of a Slack request in /metrics: read from the body as Slack sends it,
and never more than the kinds and ids the bot defines, whatever a body holds."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.slack import ids
from bot.slack.ack_metrics import KINDS, OTHER, known_ids, listener_of

KNOWN = known_ids()
FORM = "application/x-www-form-urlencoded"


def interaction(payload: dict[str, object]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_each_kind_of_request_is_labelled_by_the_id_it_names() -> None:
    cases = {
        urlencode({"command": ids.SLASH_COMMAND, "text": "list"}).encode(): (
            FORM,
            "command:/workflow",
        ),
        interaction(
            {"type": "block_actions", "actions": [{"action_id": ids.HomeAction.RUN.value}]}
        ): (FORM, "block_actions:home_run"),
        interaction({"type": "view_submission", "view": {"callback_id": ids.View.WIZARD.value}}): (
            FORM,
            "view_submission:workflow_wizard",
        ),
        interaction({"type": "shortcut", "callback_id": ids.Shortcut.ENROLL.value}): (
            FORM,
            "shortcut:enroll_in_workflow",
        ),
        json.dumps(
            {"type": "event_callback", "event": {"type": ids.Event.APP_HOME_OPENED.value}}
        ).encode(): ("application/json", "event_callback:app_home_opened"),
    }
    for body, (content_type, label) in cases.items():
        assert listener_of(body, content_type, KNOWN) == label


def test_ids_the_bot_does_not_define_share_one_label() -> None:
    body = interaction({"type": "block_actions", "actions": [{"action_id": "made_up_42"}]})
    assert listener_of(body, FORM, KNOWN) == f"block_actions:{OTHER}"
    assert listener_of(b"\xff\xfe", FORM, KNOWN) == f"{OTHER}:{OTHER}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@given(
    st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: interaction({"type": "block_actions", "actions": v})),
        st.builds(
            lambda kind, fields: interaction({**fields, "type": kind}),
            st.sampled_from(sorted(KINDS)),
            st.dictionaries(
                st.sampled_from(["action_id", "callback_id", "event", "view", "actions"]),
                json_values,
            ),
        ),
        st.dictionaries(st.text(max_size=10), st.text(max_size=20)).map(
            lambda form: urlencode(form).encode()
        ),
    ),
    st.sampled_from([FORM, "application/json", ""]),
)
def test_any_body_gets_a_bounded_label_and_never_an_error(body: bytes, content_type: str) -> None:
    kind, _, name = listener_of(body, content_type, KNOWN).partition(":")
    assert kind in KINDS | {OTHER}
    assert name in KNOWN | {OTHER}
