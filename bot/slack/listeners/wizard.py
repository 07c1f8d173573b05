"""The create/edit wizard in Slack: opens the modal, moves between its steps, re-renders a
step when an input changes or a row is added, and saves the workflow at the end.

Each listener: ack (a view submission acks with its answer, after only fast work), read the
step's input, one use case in one short transaction, render. No Slack call happens inside a
transaction: who the user is (users.info) is asked before it, views.update after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.slack.errors import user_message
from bot.slack.ids import View, WizardAction
from bot.slack.services import Services
from bot.slack.views import actions_editor, criteria_editor
from bot.slack.views.wizard import (
    build_wizard_view,
    draft_id_of,
    finished_view,
    is_review,
    loading_view,
    message_view,
    problem_lines,
    read_step,
    step_errors,
)
from bot.workflows import drafts
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.lifecycle import WorkflowError
from bot.workflows.templates import escape_mrkdwn
from storage.database import transaction, write_transaction
from storage.models import WizardDraft

log = logging.getLogger(__name__)

_CRITERIA_BUTTONS = (WizardAction.ADD_GROUP, WizardAction.ADD_FILTER, WizardAction.REMOVE_FILTER)
_ACTIONS_CONTROLS = (
    WizardAction.ADD_ACTION,
    WizardAction.REMOVE_ACTION,
    WizardAction.MOVE_ACTION_UP,
    WizardAction.MOVE_ACTION_DOWN,
)
_SOMETHING_WENT_WRONG = (
    ":x: Something went wrong while opening the dialog. The bot sent you the details in a "
    "direct message; please try again."
)

# A change to the draft at its current step: (draft, document read from the view) -> None.
_Change = Callable[[WizardDraft, dict[str, Any]], None]
# An editor control's edit of the document read from the view: (document, action id, value)
# -> whether it is the editor's to edit (a control of the criteria editor names its field).
_Edit = Callable[[dict[str, Any], str, str], bool]


@dataclass(frozen=True)
class _Modal:
    """The wizard modal a request came from: who, in which workspace, which draft."""

    team_id: str
    user_id: str
    draft_id: str
    view: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any]) -> _Modal:
        view = body["view"]
        team = body.get("team") or {}
        team_id = team.get("id") or view.get("team_id")
        return cls(str(team_id), body["user"]["id"], draft_id_of(view), view)

    @property
    def values(self) -> dict[str, Any]:
        state = self.view.get("state") or {}
        values = state.get("values") or {}
        return values if isinstance(values, dict) else {}

    @property
    def editing(self) -> bool:
        return str(self.view.get("title", {}).get("text", "")).startswith("Edit")


def open_wizard(
    client: WebClient,
    services: Services,
    trigger_id: str,
    team_id: str,
    user_id: str,
    editing: str | None,
) -> None:
    """Opens the wizard on a new workflow, or on the workflow named ``editing``. The trigger
    expires 3 seconds after the command and works once: the modal opens first, showing
    "Loading…", and is updated once the draft exists (or says why it cannot)."""
    opened = client.views_open(trigger_id=trigger_id, view=loading_view(editing is not None))
    view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]
    try:
        page = _start(client, services, team_id, user_id, editing)
    except WorkflowError as error:
        text = user_message(error) or escape_mrkdwn(str(error))
        client.views_update(
            view_id=view_id, hash=view_hash, view=message_view(text, editing is not None)
        )
        return
    except Exception:
        # Not a loading modal forever: say so, then let the error handler report the bug.
        with suppress(SlackApiError):
            client.views_update(
                view_id=view_id, view=message_view(_SOMETHING_WENT_WRONG, editing is not None)
            )
        raise
    client.views_update(view_id=view_id, hash=view_hash, view=build_wizard_view(page))


def _start(
    client: WebClient, services: Services, team_id: str, user_id: str, editing: str | None
) -> drafts.WizardPage:
    settings, now = services.settings, services.clock.now()
    if editing is None:
        zone = services.people.timezone(client, team_id, user_id) or settings.default_timezone
        with write_transaction(services.sessions) as session:
            draft = drafts.start_create(session, team_id, user_id, zone, now)
            return drafts.wizard_page(session, draft, settings.default_timezone, now)
    actor = services.people.actor(client, team_id, user_id)
    with write_transaction(services.sessions) as session:
        draft = drafts.start_edit(session, team_id, editing, actor, now)
        return drafts.wizard_page(session, draft, settings.default_timezone, now)


def register(app: App, services: Services) -> None:
    @app.view(View.WIZARD)
    def submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        modal = _Modal.of(body)
        if not is_review(modal.view):
            ack(**_next_step(services, modal))
            return
        view, saved = _save(client, services, modal, activate=True)
        ack(response_action="update", view=view)
        if saved:
            services.workflows_changed()

    @app.action(WizardAction.SAVE_DRAFT)
    def save_draft(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        modal = _Modal.of(body)
        view, saved = _save(client, services, modal, activate=False)
        _show(client, modal, view)
        if saved:
            services.workflows_changed()

    @app.action(WizardAction.BACK)
    def back(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        now = services.clock.now()
        _change(client, services, _Modal.of(body), lambda d, doc: drafts.go_back(d, doc, now))

    @app.action(WizardAction.REFRESH)
    def refresh(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        now = services.clock.now()
        _change(client, services, _Modal.of(body), lambda d, doc: drafts.keep_values(d, doc, now))

    criteria_button = _editor_control(services, _edit_criteria)
    for action_id in _CRITERIA_BUTTONS:
        app.action(action_id)(criteria_button)
    actions_control = _editor_control(services, _edit_actions)
    for action_id in _ACTIONS_CONTROLS:
        app.action(action_id)(actions_control)


def _editor_control(services: Services, edit: _Edit) -> Callable[..., None]:
    """The listener of an editor's add/remove/move controls: ``edit`` changes the document
    read from the view, which is then stored with a new layout."""

    def control(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        now = services.clock.now()
        action_id, value = action["action_id"], _action_value(action)

        def change(draft: WizardDraft, document: dict[str, Any]) -> None:
            if edit(document, action_id, value):
                drafts.restructure(draft, document, now)

        _change(client, services, _Modal.of(body), change)

    return control


def _edit_criteria(document: dict[str, Any], action_id: str, value: str) -> bool:
    field = criteria_editor.button_field(value)
    if field is None:
        return False
    document[field] = criteria_editor.edit_criteria(document.get(field) or {}, action_id, value)
    return True


def _edit_actions(document: dict[str, Any], action_id: str, value: str) -> bool:
    actions = document.get("actions")
    current = actions if isinstance(actions, list) else []
    document["actions"] = actions_editor.edit_actions(current, action_id, value)
    return True


def _next_step(services: Services, modal: _Modal) -> dict[str, Any]:
    """The answer to submitting a step: its problems beside its inputs, or the next step."""
    zone, now = services.settings.default_timezone, services.clock.now()
    try:
        with write_transaction(services.sessions) as session:
            draft = _load(session, modal)
            step, layout = draft.step, draft.layout
            document = _read(session, draft, modal)
            problems = drafts.submit_step(session, draft, document, zone, now)
            errors = step_errors(step, problems, document, layout) if problems else {}
            if errors:
                # What was typed is kept (the transaction commits); Slack shows the errors.
                return {"response_action": "errors", "errors": errors}
            page = drafts.wizard_page(session, draft, zone, now, problem_lines(problems))
    except WorkflowError as error:
        return {"response_action": "update", "view": _refusal(error, modal)}
    return {"response_action": "update", "view": build_wizard_view(page)}


def _save(
    client: WebClient, services: Services, modal: _Modal, activate: bool
) -> tuple[dict[str, Any], bool]:
    """Saves the draft as a workflow: the finished modal and True, or the review again with
    why it could not be saved and False."""
    actor = services.people.actor(client, modal.team_id, modal.user_id)
    zone, now = services.settings.default_timezone, services.clock.now()
    try:
        with write_transaction(services.sessions) as session:
            draft = _load(session, modal)
            saved = drafts.finish(session, draft, activate, actor, zone, now)
            done = drafts.finished(session, saved)
    except (InvalidDefinition, WorkflowError) as error:
        problems = error.problems if isinstance(error, InvalidDefinition) else [str(error)]
        try:
            with transaction(services.sessions) as session:
                draft = _load(session, modal)
                page = drafts.wizard_page(session, draft, zone, now, problem_lines(problems))
        except WorkflowError as gone:
            return _refusal(gone, modal), False
        return build_wizard_view(page), False
    return finished_view(done), True


def _change(client: WebClient, services: Services, modal: _Modal, change: _Change) -> None:
    """Reads the step's input into the draft, applies ``change`` and shows the result."""
    zone, now = services.settings.default_timezone, services.clock.now()
    try:
        with write_transaction(services.sessions) as session:
            draft = _load(session, modal)
            change(draft, _read(session, draft, modal))
            page = drafts.wizard_page(session, draft, zone, now)
        view = build_wizard_view(page)
    except WorkflowError as error:
        view = _refusal(error, modal)
    _show(client, modal, view)


def _load(session: Session, modal: _Modal) -> WizardDraft:
    return drafts.load_draft(session, modal.draft_id, modal.team_id, modal.user_id)


def _read(session: Session, draft: WizardDraft, modal: _Modal) -> dict[str, Any]:
    properties = drafts.draft_properties(session, draft)
    return read_step(draft.step, modal.values, draft.document, properties, draft.layout)


def _refusal(error: WorkflowError, modal: _Modal) -> dict[str, Any]:
    return message_view(user_message(error) or escape_mrkdwn(str(error)), modal.editing)


def _show(client: WebClient, modal: _Modal, view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=modal.view["id"], hash=modal.view.get("hash"), view=view)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # The modal changed since this action (a quicker change of another input): that
        # change is showing, and this one is saved in the draft for the next render.
        log.info("wizard view %s changed meanwhile; not updated", modal.view.get("id"))


def _action_value(action: dict[str, Any]) -> str:
    """A button's value, or the value of the option chosen in a select."""
    if isinstance(action.get("value"), str):
        return str(action["value"])
    option = action.get("selected_option") or {}
    return str(option.get("value", ""))
