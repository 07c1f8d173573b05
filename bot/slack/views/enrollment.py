"""The "Enroll in workflow" message shortcut's modal: built from the message it was opened on
and the chosen workflow, read back into a draft with its problems placed on its inputs; the
options of its workflow and record pickers; and what the user reads once the actions ran.

The modal's private_metadata holds the message's ids and its first line (JSON, at most a few
hundred characters of Slack's 3,000): the shortcut payload is the only place the text is
given, and the modal must be rebuilt with it when the workflow changes. Everything else the
user chose lives in the view's state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.slack.ids import SLASH_COMMAND, EnrollAction, EnrollBlock, View
from bot.slack.views.blocks import (
    MESSAGE_BLOCKS,
    MODAL_BLOCKS,
    SELECT_OPTIONS,
    Block,
    checkboxes,
    cut,
    external_select,
    input_block,
    labelled,
    modal,
    multi_external_select,
    option,
    packed,
    plain_text_input,
    read_only_modal,
    section,
    state_values,
)
from bot.slack.views.blocks import context as context_block
from bot.slack.views.phrases import outcome_mrkdwn, person_mrkdwn, phrase_mrkdwn
from bot.workflows.lifecycle import PermissionDenied, WorkflowError
from bot.workflows.manual_enrollment import (
    EnrollmentReport,
    ManualEnrollment,
    MessageRecord,
    MessageRecordError,
    RecordChoice,
    RecordOutcome,
    UnknownRecords,
    WorkflowChoice,
)
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import ActionOutcome
from bot.workflows.wording import describe_action

TITLE = "Enroll in workflow"
# One line of the message is enough for a record's name, and keeps private_metadata small.
NAME_CHARS = 200
METADATA_CHARS = 3000
# Records picked in one go: with the record made from the message, one more than a
# channel message's digest threshold at most, and a confirmation that fits one message.
MAX_SELECTED = 20
ACTION_CHARS = 300
CREATE_VALUE = "create"


# The message --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrollContext:
    """What the modal remembers in its private_metadata: the message it was opened on and
    the workflow whose records it shows."""

    channel_id: str
    ts: str
    author: str | None
    first_line: str
    thread_ts: str | None = None
    workflow_id: int | None = None

    @property
    def message_id(self) -> str:
        """Unique in the workspace: a message is its channel and timestamp."""
        return f"{self.channel_id}-{self.ts}"

    def with_workflow(self, workflow_id: int | None) -> EnrollContext:
        return replace(self, workflow_id=workflow_id)

    def to_metadata(self) -> str:
        document = {
            "channel": self.channel_id,
            "ts": self.ts,
            "author": self.author,
            "line": self.first_line,
            "thread": self.thread_ts,
            "workflow": self.workflow_id,
        }
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        assert len(text) <= METADATA_CHARS, "the first line is cut long before this"
        return text

    @classmethod
    def from_metadata(cls, text: object) -> EnrollContext:
        """The context back from private_metadata; empty fields for anything unreadable."""
        try:
            document = json.loads(text) if isinstance(text, str) and text else {}
        except json.JSONDecodeError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        workflow = document.get("workflow")
        return cls(
            channel_id=str(document.get("channel") or ""),
            ts=str(document.get("ts") or ""),
            author=document.get("author") or None,
            first_line=str(document.get("line") or ""),
            thread_ts=document.get("thread") or None,
            workflow_id=workflow if isinstance(workflow, int) else None,
        )

    def built_permalink(self, team_domain: str) -> str:
        """The message's link as Slack writes it, for when chat.getPermalink cannot tell."""
        digits = self.ts.replace(".", "")
        link = f"https://{team_domain}.slack.com/archives/{self.channel_id}/p{digits}"
        if self.thread_ts:
            link += f"?thread_ts={self.thread_ts}&cid={self.channel_id}"
        return link


def parse_shortcut(body: Mapping[str, Any]) -> EnrollContext:
    """The context of a message_action payload (the "Enroll in workflow" shortcut)."""
    message = body.get("message") or {}
    ts = str(message.get("ts") or body.get("message_ts") or "")
    thread_ts = message.get("thread_ts")
    return EnrollContext(
        channel_id=str((body.get("channel") or {}).get("id") or ""),
        ts=ts,
        author=message.get("user") or None,
        first_line=first_line(str(message.get("text") or "")),
        thread_ts=str(thread_ts) if thread_ts and thread_ts != ts else None,
    )


_MARKUP = re.compile(r"<([^<>]*)>")
_SPACES = re.compile(r"\s+")


def _readable(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return label or target.removeprefix("mailto:")


def first_line(text: str) -> str:
    """The message's first line with text as people read it: mentions and links as their
    labels, Slack's escapes undone, spaces collapsed, cut to NAME_CHARS."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = _MARKUP.sub(_readable, line)
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _SPACES.sub(" ", line).strip()[:NAME_CHARS].rstrip()


# The modal ----------------------------------------------------------------------------------


def workflow_option(choice: WorkflowChoice) -> dict[str, Any]:
    return option(labelled(choice.name, choice.object_type), str(choice.id))


def record_option(choice: RecordChoice) -> dict[str, Any]:
    # The value is the record's row id: external ids may be 255 characters long, option
    # values only 150. The submission maps them back within the workflow's object type.
    return option(labelled(choice.name, choice.external_id), str(choice.id))


def workflow_options(choices: Sequence[WorkflowChoice]) -> list[dict[str, Any]]:
    return [workflow_option(choice) for choice in choices[:SELECT_OPTIONS]]


def record_options(choices: Sequence[RecordChoice]) -> list[dict[str, Any]]:
    return [record_option(choice) for choice in choices[:SELECT_OPTIONS]]


def records_block_id(workflow_id: int) -> str:
    return f"{EnrollBlock.RECORDS}.{workflow_id}"


def _source_line(context: EnrollContext) -> str:
    who = f"{person_mrkdwn(context.author)}'s message" if context.author else "A message"
    if not context.first_line:
        return f"{who} (no text)"
    return f"{who}: “{escape_mrkdwn(context.first_line)}”"


def build_enroll_view(
    context: EnrollContext, workflow: WorkflowChoice | None, problem: str | None = None
) -> dict[str, Any]:
    """The modal: the workflow picker; once a workflow is chosen, its records and the
    option to create one from the message. ``problem`` (plain text) says why the chosen
    workflow cannot be used."""
    picker = external_select(
        EnrollAction.WORKFLOW,
        "Search active workflows",
        initial_option=workflow_option(workflow) if workflow is not None else None,
    )
    blocks: list[Block] = [
        context_block(_source_line(context)),
        input_block(
            "Workflow",
            picker,
            block_id=EnrollBlock.WORKFLOW,
            dispatch_action=True,
            hint="Its actions run now for the records you enroll, whatever its schedule "
            "and criteria.",
        ),
    ]
    if problem:
        blocks.append(context_block(f":warning: {escape_mrkdwn(problem)}"))
    if workflow is None:
        blocks.append(context_block("Choose a workflow to pick the records to enroll."))
    else:
        blocks += _record_blocks(context, workflow)
    return modal(
        View.ENROLL,
        TITLE,
        blocks,
        submit="Enroll",
        close="Cancel",
        private_metadata=context.with_workflow(workflow.id if workflow else None).to_metadata(),
    )


def _record_blocks(context: EnrollContext, workflow: WorkflowChoice) -> list[Block]:
    kind = workflow.object_type
    records = multi_external_select(
        EnrollAction.RECORDS, "Search by name or id", max_selected_items=MAX_SELECTED
    )
    create = option(
        f"Create a new {kind} record from this message",
        CREATE_VALUE,
        description="With the message's link and author; the author owns it.",
    )
    name_input = plain_text_input(
        EnrollAction.NAME,
        placeholder="The record's name",
        initial_value=context.first_line or None,
        max_length=NAME_CHARS,
    )
    return [
        input_block(
            f"{kind} records",
            records,
            block_id=records_block_id(workflow.id),
            optional=True,
        ),
        input_block(
            "New record",
            checkboxes(EnrollAction.CREATE, [create]),
            block_id=EnrollBlock.CREATE,
            optional=True,
        ),
        input_block(
            "Name of the new record",
            name_input,
            block_id=EnrollBlock.NAME,
            optional=True,
            hint="Used only when “Create a new record” is ticked.",
        ),
    ]


# The submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrollDraft:
    """What the modal's state says the user chose."""

    workflow_id: int | None
    records_for: int | None  # the workflow the records input belongs to, if shown
    record_ids: tuple[int, ...]
    create: bool
    name: str


def _int(text: object) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() else None


def chosen_workflow(action: Mapping[str, Any]) -> int | None:
    """The workflow id a dispatched change of the workflow picker chose."""
    return _int((action.get("selected_option") or {}).get("value"))


def parse_enroll_view(view: Mapping[str, Any]) -> EnrollDraft:
    values = state_values(view)
    workflow = (values.get(EnrollBlock.WORKFLOW) or {}).get(EnrollAction.WORKFLOW) or {}
    records_for: int | None = None
    record_ids: tuple[int, ...] = ()
    for block_id, elements in values.items():
        prefix, _, suffix = block_id.partition(".")
        if prefix == EnrollBlock.RECORDS and _int(suffix) is not None:
            records_for = _int(suffix)
            chosen = (elements.get(EnrollAction.RECORDS) or {}).get("selected_options") or []
            record_ids = tuple(
                i for i in (_int(option.get("value")) for option in chosen) if i is not None
            )
    create = (values.get(EnrollBlock.CREATE) or {}).get(EnrollAction.CREATE) or {}
    name = (values.get(EnrollBlock.NAME) or {}).get(EnrollAction.NAME) or {}
    return EnrollDraft(
        workflow_id=_int((workflow.get("selected_option") or {}).get("value")),
        records_for=records_for,
        record_ids=record_ids,
        create=any(o.get("value") == CREATE_VALUE for o in create.get("selected_options") or []),
        name=str(name.get("value") or "").strip(),
    )


def draft_errors(draft: EnrollDraft) -> dict[str, str]:
    """Problems to show next to the inputs (response_action "errors"), each saying what to
    do; empty when the draft can be enrolled."""
    if draft.workflow_id is None:
        return {EnrollBlock.WORKFLOW: "Choose a workflow."}
    if draft.records_for != draft.workflow_id:
        return {
            EnrollBlock.WORKFLOW: "Its records are not shown yet: choose the workflow again "
            "to pick its records."
        }
    if not draft.record_ids and not draft.create:
        return {
            records_block_id(draft.workflow_id): "Choose at least one record, or tick "
            "“Create a new record” below."
        }
    if draft.create and not draft.name:
        return {EnrollBlock.NAME: "Give the new record a name, or untick “Create a new record”."}
    return {}


def enrollment_request(
    draft: EnrollDraft, context: EnrollContext, permalink: str | None
) -> ManualEnrollment:
    """The use case's request for a draft without errors; ``permalink`` is needed only
    when a record is created."""
    assert draft.workflow_id is not None
    new_record = None
    if draft.create:
        new_record = MessageRecord(draft.name, context.message_id, permalink or "", context.author)
    return ManualEnrollment(draft.workflow_id, draft.record_ids, new_record)


def refusal_errors(error: WorkflowError, draft: EnrollDraft) -> dict[str, str]:
    """A refusal of the use case, next to the input it is about."""
    if isinstance(error, PermissionDenied):
        return {
            EnrollBlock.WORKFLOW: f"Only the owner of “{error.name}” or an admin can enroll "
            "records in it. Ask them to, or to transfer the workflow to you."
        }
    if isinstance(error, UnknownRecords) and draft.workflow_id is not None:
        return {records_block_id(draft.workflow_id): str(error)}
    if isinstance(error, MessageRecordError):
        return {EnrollBlock.NAME: str(error)}
    return {EnrollBlock.WORKFLOW: str(error)}  # NotEnrollable and the like


# After the submission -----------------------------------------------------------------------


def _closed_modal(blocks: list[Block]) -> dict[str, Any]:
    return read_only_modal(View.ENROLL, TITLE, blocks)


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


def enrolling_view(workflow_name: str, count: int) -> dict[str, Any]:
    """What the modal shows while the actions run."""
    return _closed_modal(
        [
            section(
                f":hourglass_flowing_sand: Enrolling {_records(count)} in "
                f"*{escape_mrkdwn(workflow_name)}*: its actions are running now. You will get "
                "a message saying how each went."
            )
        ]
    )


def problem_view(text: str) -> dict[str, Any]:
    """The modal saying why nothing was enrolled; ``text`` is mrkdwn, already escaped."""
    return _closed_modal([section(text)])


def _record_lines(record: RecordOutcome) -> str:
    head = f"• *{escape_mrkdwn(record.name)}* (`{escape_mrkdwn(record.external_id)}`)"
    if record.created:
        head += " · new, made from the message"
    steps = [
        f"      {line.number}. {outcome_mrkdwn(line.outcome, line.reason)}"
        for line in record.actions
    ]
    return "\n".join([head, *steps])


def outcome_message(
    report: EnrollmentReport, max_blocks: int = MESSAGE_BLOCKS
) -> tuple[str, list[Block]]:
    """What the run did to each enrolled record, as fallback text and blocks; user data is
    escaped."""
    name = escape_mrkdwn(report.workflow_name)
    enrolled = _records(len(report.records))
    if report.finished:
        head = f"*{name}*: {enrolled} enrolled by hand; its actions ran now."
    else:
        head = (
            f"*{name}*: {enrolled} enrolled by hand. Not every action has run yet: the run "
            f"goes on by itself, and `{SLASH_COMMAND} history {name}` shows how it went."
        )
    actions = [
        f"{number}. {cut(phrase_mrkdwn(describe_action(action)), ACTION_CHARS)}"
        for number, action in enumerate(report.actions, start=1)
    ]
    unknown = report.count(ActionOutcome.UNKNOWN)
    counts = (
        f"{report.count(ActionOutcome.OK)} ok, {report.count(ActionOutcome.FAILED)} failed, "
        + (f"{unknown} unknown, " if unknown else "")
        + f"{report.count(ActionOutcome.SKIPPED)} skipped"
    )
    text = f"{name}: {enrolled} enrolled by hand; actions {counts}."
    top = [section(head), *packed(actions, head="*Actions:*", max_blocks=2, noun="actions")]
    lines = [_record_lines(record) for record in report.records]
    records = packed(lines, max_blocks=max_blocks - len(top), noun="records")
    return text, [*top, *records]


def outcome_view(report: EnrollmentReport) -> dict[str, Any]:
    """The modal once the actions ran: the same as the message."""
    return _closed_modal(outcome_message(report, MODAL_BLOCKS)[1])
