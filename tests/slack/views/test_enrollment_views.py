"""The "Enroll in workflow" modal without Slack: valid Block Kit before and after a workflow
is chosen, the message kept in private_metadata, the state read back, problems placed on
their inputs, options within Slack's limits, and the outcome message escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Option

from bot.slack.ids import EnrollAction, EnrollBlock, View
from bot.slack.views.enrollment import (
    CREATE_VALUE,
    METADATA_CHARS,
    NAME_CHARS,
    EnrollContext,
    EnrollDraft,
    build_enroll_view,
    chosen_workflow,
    draft_errors,
    enrolling_view,
    enrollment_request,
    first_line,
    outcome_message,
    outcome_view,
    parse_enroll_view,
    parse_shortcut,
    problem_view,
    record_options,
    records_block_id,
    refusal_errors,
    workflow_options,
)
from bot.workflows.definitions import SendChannelMessage, SendOwnerDm
from bot.workflows.lifecycle import PermissionDenied
from bot.workflows.manual_enrollment import (
    ActionOutcomeLine,
    EnrollmentReport,
    MessageRecordError,
    NotEnrollable,
    RecordChoice,
    RecordOutcome,
    UnknownRecords,
    WorkflowChoice,
)
from bot.workflows.templates import parse_template
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from tests.block_kit import assert_valid_blocks, assert_valid_view
from tests.slack.views.state import State, enter, state_from_blocks

CONTEXT = EnrollContext("C0GENERAL", "1764504000.000100", "U0AUTHOR", "Umbrella <Corp> & co")
DEALS = WorkflowChoice(7, "Deal review", "deals")


def _with_state(view: dict[str, Any], values: State) -> dict[str, Any]:
    return {**view, "state": {"values": values}}


def _chosen(values: State, block_id: str, options: list[dict[str, Any]]) -> None:
    element = next(iter(values[block_id].values()))
    key = "selected_options" if element["type"].startswith(("multi_", "checkboxes")) else None
    element[key or "selected_option"] = options if key else options[0]


# The message ---------------------------------------------------------------------------


def test_the_shortcut_payload_gives_the_message_and_its_first_line() -> None:
    body = {
        "channel": {"id": "C0GENERAL"},
        "message": {
            "ts": "1764504000.000200",
            "thread_ts": "1764504000.000100",
            "user": "U0AUTHOR",
            "text": "\n  New lead: <@U0OTHER> &amp; <https://umbrella.example|Umbrella>\nmore",
        },
    }
    context = parse_shortcut(body)
    assert context == EnrollContext(
        "C0GENERAL",
        "1764504000.000200",
        "U0AUTHOR",
        "New lead: @U0OTHER & Umbrella",
        thread_ts="1764504000.000100",
    )
    assert context.message_id == "C0GENERAL-1764504000.000200"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", ""),
        ("plain", "plain"),
        ("<@U1|ann> and <#C1|general>", "@ann and #general"),
        ("<!here> ping <!subteam^S1|@sales>", "@here ping @sales"),
        ("see <https://x.example/a?b=1&amp;c=2>", "see https://x.example/a?b=1&c=2"),
        ("mail <mailto:a@b.example|a@b.example>", "mail a@b.example"),
        ("a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"),
        ("tabs\tand   spaces", "tabs and spaces"),
    ],
)
def test_the_first_line_reads_as_people_read_the_message(text: str, line: str) -> None:
    assert first_line(text) == line


def test_the_first_line_is_cut_to_a_record_name() -> None:
    assert len(first_line("x" * 1000)) == NAME_CHARS


@given(st.text(max_size=2000), st.text(max_size=300))
def test_private_metadata_keeps_the_message_within_slack_limit(text: str, author: str) -> None:
    context = EnrollContext("C0GENERAL", "1.2", author or None, first_line(text), "0.1", 42)
    metadata = context.to_metadata()
    assert len(metadata) <= METADATA_CHARS
    assert EnrollContext.from_metadata(metadata) == context


def test_unreadable_metadata_reads_as_an_empty_context() -> None:
    for text in (None, "", "not json", "[1, 2]"):
        assert EnrollContext.from_metadata(text).workflow_id is None


def test_a_link_is_built_when_slack_cannot_give_it() -> None:
    assert CONTEXT.built_permalink("acme") == (
        "https://acme.slack.com/archives/C0GENERAL/p1764504000000100"
    )
    reply = EnrollContext("C0GENERAL", "2.000300", None, "", thread_ts="1.000100")
    assert reply.built_permalink("acme").endswith("p2000300?thread_ts=1.000100&cid=C0GENERAL")


# The modal -----------------------------------------------------------------------------


def test_the_modal_opens_with_the_workflow_picker_only() -> None:
    view = build_enroll_view(CONTEXT, None)
    assert_valid_view(view)
    assert view["callback_id"] == View.ENROLL
    picker = next(b for b in view["blocks"] if b.get("block_id") == EnrollBlock.WORKFLOW)
    assert picker["dispatch_action"] is True
    assert picker["element"]["type"] == "external_select"
    assert picker["element"]["min_query_length"] == 0
    assert "initial_option" not in picker["element"]
    assert not any(
        str(b.get("block_id", "")).startswith(EnrollBlock.RECORDS) for b in view["blocks"]
    )
    shown = json.dumps(view["blocks"])
    assert "&lt;Corp&gt; &amp; co" in shown and "<@U0AUTHOR>" in shown


def test_choosing_a_workflow_shows_its_records_and_the_new_record() -> None:
    view = build_enroll_view(CONTEXT, DEALS)
    assert_valid_view(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids[1:] == [
        EnrollBlock.WORKFLOW,
        "enroll_records.7",
        EnrollBlock.CREATE,
        EnrollBlock.NAME,
    ]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[EnrollBlock.WORKFLOW]["element"]["initial_option"]["value"] == "7"
    records = blocks["enroll_records.7"]["element"]
    assert records["type"] == "multi_external_select" and records["min_query_length"] == 0
    assert blocks[EnrollBlock.NAME]["element"]["initial_value"] == "Umbrella <Corp> & co"
    create = blocks[EnrollBlock.CREATE]["element"]["options"][0]
    assert create["text"]["text"] == "Create a new deals record from this message"
    assert EnrollContext.from_metadata(view["private_metadata"]).workflow_id == 7


def test_a_long_object_type_still_fits_the_checkbox() -> None:
    view = build_enroll_view(CONTEXT, WorkflowChoice(1, "W", "t" * 64))
    assert_valid_view(view)


def test_a_problem_with_the_chosen_workflow_is_shown_under_the_picker() -> None:
    view = build_enroll_view(CONTEXT, None, "'Old' is paused: activate it <now>")
    assert_valid_view(view)
    assert "is paused: activate it &lt;now&gt;" in json.dumps(view["blocks"])


def test_a_message_without_text_or_author_opens_too() -> None:
    context = EnrollContext("C0GENERAL", "1.0", None, "")
    view = build_enroll_view(context, DEALS)
    assert_valid_view(view)
    name = next(b for b in view["blocks"] if b.get("block_id") == EnrollBlock.NAME)
    assert "initial_value" not in name["element"]


# The submission ------------------------------------------------------------------------


def _submitted(records: list[str], create: bool, name: str | None = None) -> EnrollDraft:
    view = build_enroll_view(CONTEXT, DEALS)
    values = state_from_blocks(view["blocks"])
    if records:
        _chosen(
            values,
            "enroll_records.7",
            [{"text": {"type": "plain_text", "text": r}, "value": r} for r in records],
        )
    if create:
        option = {"text": {"type": "plain_text", "text": "Create"}, "value": CREATE_VALUE}
        _chosen(values, EnrollBlock.CREATE, [option])
    if name is not None:
        enter(values, EnrollBlock.NAME, name)
    return parse_enroll_view(_with_state(view, values))


def test_the_state_reads_back_as_the_draft() -> None:
    draft = _submitted(["11", "12"], create=True)
    assert draft == EnrollDraft(7, 7, (11, 12), True, "Umbrella <Corp> & co")
    assert draft_errors(draft) == {}
    request = enrollment_request(draft, CONTEXT, "https://standin.slack.com/x")
    assert request.workflow_id == 7 and request.record_ids == (11, 12)
    assert request.new_record is not None
    assert request.new_record.message_id == "C0GENERAL-1764504000.000100"
    assert request.new_record.author == "U0AUTHOR"


def test_without_a_workflow_the_error_is_on_the_picker() -> None:
    view = build_enroll_view(CONTEXT, None)
    draft = parse_enroll_view(_with_state(view, state_from_blocks(view["blocks"])))
    assert draft_errors(draft) == {EnrollBlock.WORKFLOW: "Choose a workflow."}


def test_nothing_to_enroll_is_an_error_on_the_records() -> None:
    errors = draft_errors(_submitted([], create=False))
    assert list(errors) == ["enroll_records.7"]
    assert "Create a new record" in errors["enroll_records.7"]


def test_creating_without_a_name_is_an_error_on_the_name() -> None:
    errors = draft_errors(_submitted([], create=True, name="   "))
    assert list(errors) == [EnrollBlock.NAME]


def test_records_of_another_workflow_are_not_enrolled() -> None:
    draft = EnrollDraft(8, 7, (11,), False, "")
    assert list(draft_errors(draft)) == [EnrollBlock.WORKFLOW]


def test_a_dispatched_choice_names_the_workflow() -> None:
    assert chosen_workflow({"selected_option": {"value": "7"}}) == 7
    assert chosen_workflow({"selected_option": None}) is None


def test_refusals_are_placed_on_their_inputs() -> None:
    draft = EnrollDraft(7, 7, (11,), True, "x")
    denied = refusal_errors(PermissionDenied("Deal review", "U0OWNER"), draft)
    assert list(denied) == [EnrollBlock.WORKFLOW]
    assert "Only the owner of “Deal review” or an admin" in denied[EnrollBlock.WORKFLOW]
    assert list(refusal_errors(UnknownRecords("gone"), draft)) == [records_block_id(7)]
    assert list(refusal_errors(MessageRecordError("clash"), draft)) == [EnrollBlock.NAME]
    assert list(refusal_errors(NotEnrollable("paused"), draft)) == [EnrollBlock.WORKFLOW]


# Options -------------------------------------------------------------------------------


def test_options_fit_slack_limits_and_carry_ids() -> None:
    workflows = workflow_options([DEALS, WorkflowChoice(8, "W" * 200, "deals")])
    records = record_options(
        [RecordChoice(11, "D1", "Acme"), RecordChoice(12, "x" * 255, "N" * 90)]
    )
    for option in [*workflows, *records]:
        Option(**option).validate_json()
        assert len(option["text"]["text"]) <= 75
    assert workflows[0] == {
        "text": {"type": "plain_text", "text": "Deal review (deals)"},
        "value": "7",
    }
    assert records[0]["text"]["text"] == "Acme (D1)" and records[0]["value"] == "11"
    assert records[1]["text"]["text"].endswith("…")


# After the submission ------------------------------------------------------------------


def _report(**changes: Any) -> EnrollmentReport:
    actions = (
        SendChannelMessage("C0DEALS", parse_template("{{ name }} is in contract", ())),
        SendOwnerDm(parse_template("Please update {{ name }}", ())),
    )
    records = (
        RecordOutcome(
            "D1",
            "Acme <!channel>",
            False,
            (
                ActionOutcomeLine(1, ActionOutcome.OK, None),
                ActionOutcomeLine(2, ActionOutcome.SKIPPED, "the record has no owner"),
            ),
        ),
        RecordOutcome(
            "message-C0GENERAL-1.2",
            "Umbrella & co",
            True,
            (
                ActionOutcomeLine(1, ActionOutcome.FAILED, "the bot is not a member <x>"),
                ActionOutcomeLine(2, None, None),
            ),
        ),
    )
    fields: dict[str, Any] = {
        "run_id": 3,
        "workflow_name": "Deal <review>",
        "status": RunStatus.SUCCEEDED,
        "actions": actions,
        "records": records,
    }
    return EnrollmentReport(**{**fields, **changes})


def test_the_outcome_names_each_record_and_each_action_escaped() -> None:
    text, blocks = outcome_message(_report())
    assert_valid_blocks(blocks)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "*Deal &lt;review&gt;*: 2 records enrolled by hand; its actions ran now." in shown
    assert "Acme &lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "Umbrella &amp; co" in shown and "new, made from the message" in shown
    assert "1. :white_check_mark: ok" in shown
    assert "2. :heavy_minus_sign: skipped: the record has no owner" in shown
    assert "1. :x: failed: the bot is not a member &lt;x&gt;" in shown
    assert "2. :hourglass: not run yet" in shown
    assert "<#C0DEALS>" in shown
    assert (
        text
        == "Deal &lt;review&gt;: 2 records enrolled by hand; actions 1 ok, 1 failed, 1 skipped."
    )


def test_an_unfinished_run_says_it_goes_on() -> None:
    _, blocks = outcome_message(_report(status=RunStatus.RUNNING))
    assert "the run goes on by itself" in json.dumps(blocks)


def test_many_records_stay_within_a_message() -> None:
    many = tuple(
        RecordOutcome(
            f"D{n}", "N" * 150, False, (ActionOutcomeLine(1, ActionOutcome.FAILED, "r" * 500),)
        )
        for n in range(400)
    )
    _, blocks = outcome_message(_report(records=many))
    assert_valid_blocks(blocks)
    assert "more records" in json.dumps(blocks[-1])
    assert_valid_view(outcome_view(_report(records=many)))


def test_the_modals_after_submission_are_valid() -> None:
    for view in (enrolling_view("Deal <review>", 3), problem_view("nope"), outcome_view(_report())):
        assert_valid_view(view)
        assert "submit" not in view
    assert "Enrolling 3 records in *Deal &lt;review&gt;*" in json.dumps(
        enrolling_view("Deal <review>", 3)
    )


def test_the_records_block_id_names_the_workflow() -> None:
    assert records_block_id(7) == f"{EnrollBlock.RECORDS}.7"
    assert EnrollAction.RECORDS != EnrollAction.WORKFLOW
