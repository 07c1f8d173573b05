"""The create/edit wizard in Slack: opens the modal, moves between its steps, re-renders a
step when an input changes or a row is added, and saves the workflow at the end.

Each listener: ack (a view submission acks with its answer, after only fast work), read the
step's input, one use case of bot.workflows.drafts (each opens its own short transaction),
then the page to show, read apart (previews such as the review's count of matching records
never hold the write lock), render. No Slack call happens inside a transaction: who the user
is (users.info) is asked before the use case, views.update after it. Saving the workflow
can take longer than the 3 seconds Slack waits (the write lock; indexes for the criteria's
properties): it happens after the answer, which shows "Saving…", and views.update shows how
it went.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.channel_access import SlackChannelAccess
from bot.slack.errors import refusal_text, reported
from bot.slack.ids import View, WizardAction
from bot.slack.listeners.home_tab import publish_home
from bot.slack.listeners.modals import Update, update_modal, update_modal_hash
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views import actions_editor, criteria_editor
from bot.slack.views.wizard import (
    build_wizard_view,
    draft_id_of,
    finished_text,
    finished_view,
    input_version_of,
    is_editing,
    is_review,
    loading_view,
    message_view,
    page_step_of,
    problem_lines,
    read_step,
    saving_view,
    step_errors,
    unsaved_lines,
)
from bot.slack.views.wizard_steps.schedule import (
    schedule_text_not_understood,
    typed_schedule_errors,
    with_schedule_text_problem,
)
from bot.workflows import drafts
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.draft_document import (
    DraftDocument,
    ScheduleDocument,
    actions_of,
    criteria_of,
)
from bot.workflows.lifecycle import WorkflowError
from storage.unit_of_work import UnitOfWork

_CRITERIA_BUTTONS = (WizardAction.ADD_GROUP, WizardAction.ADD_FILTER, WizardAction.REMOVE_FILTER)
_ACTIONS_CONTROLS = (
    WizardAction.ADD_ACTION,
    WizardAction.REMOVE_ACTION,
    WizardAction.MOVE_ACTION_UP,
    WizardAction.MOVE_ACTION_DOWN,
)
# The inputs of a filter's value: they dispatch (the criteria step's count follows them).
_FILTER_VALUES = (
    WizardAction.INPUT,
    WizardAction.INPUT_DATE,
    WizardAction.INPUT_NUMBER,
    WizardAction.INPUT_CHOICE,
    WizardAction.INPUT_CHOICES,
    WizardAction.SEARCH_CHOICE,
    WizardAction.SEARCH_CHOICES,
    WizardAction.INPUT_USER,
    WizardAction.INPUT_USERS,
)
# Not where the error id went: the reply to a command, or a direct message from the Home.
_SOMETHING_WENT_WRONG = (
    ":x: Something went wrong while opening the dialog; the bot sent you an error id. Try "
    "again, and give the id to whoever runs workflow-bot if it keeps failing."
)
# A modal has no reply URL: the error handler sends the error id by direct message.
_NOT_SAVED = (
    "Something went wrong while saving, and the workflow was not saved; the bot sent you an "
    "error id in a direct message. Try again, and give the id to whoever runs workflow-bot "
    "if it keeps failing."
)

# How often a page refused for a stale hash is shown again with a newer one, how long to
# wait for the request whose page came first to note the hash Slack gave it, and how often
# to look meanwhile.
_REDRAWS = 3
_NOTED_WITHIN_SECONDS = 2.0
_LOOK_EVERY_SECONDS = 0.05

# An editor control's edit of the document read from the view: (document, action id, value)
# -> whether it is the editor's to edit (a control of the criteria editor names its field).
_Edit = Callable[[DraftDocument, str, str], bool]


class _PageHashes:
    """The hash Slack gave the last wizard page shown in each draft's modal, kept with the
    draft: '' once the modal showed something else there ("Saving…", the outcome).

    Two quick changes of a step (Wednesday ticked, then Friday) both carry the hash of the
    page they were made on; the second views.update is refused (hash_conflict) once the
    first one landed, although the second change is stored in the draft. Slack's refusal
    carries no hash and Slack has no method that reads a modal, so the hash to show the
    latest page with is the one the first views.update was answered with. It is kept in the
    database because with several web workers the two requests may reach two processes.
    """

    def __init__(self, work: UnitOfWork, wait: Callable[[float], object]) -> None:
        self._work = work
        self._wait = wait

    def shown(self, modal: _Modal, view_hash: str | None) -> None:
        drafts.note_page_hash(self._work, modal.key, view_hash or "")

    def instead_of(self, modal: _Modal, refused: object) -> str | None:
        """The hash of the page shown in place of the one whose hash ``refused`` was; it
        may take the request that showed it a moment to note it. None when it is unknown
        (never noted within the wait) or no page ("Saving…")."""
        looks = max(1, round(_NOTED_WITHIN_SECONDS / _LOOK_EVERY_SECONDS))
        for look in range(looks):
            noted = drafts.page_hash(self._work, modal.key)
            if noted is not None and noted != refused:
                return noted or None
            if look < looks - 1:
                self._wait(_LOOK_EVERY_SECONDS)
        return None


@dataclass(frozen=True)
class _Modal:
    """The wizard modal a request came from: who, in which workspace, which draft."""

    team_id: str
    user_id: str
    draft_id: str
    view: dict[str, Any]
    # When the user made the input of a block action (see drafts.change); None otherwise.
    input_version: int | None = None

    @classmethod
    def of(cls, context: BoltContext, body: dict[str, Any]) -> _Modal:
        who, view = Requester.of(context), body["view"]
        return cls(who.team_id, who.user_id, draft_id_of(view), view, input_version_of(body))

    @property
    def key(self) -> drafts.DraftKey:
        return drafts.DraftKey(self.draft_id, self.team_id, self.user_id)

    @property
    def view_id(self) -> str:
        return str(self.view["id"])

    @property
    def values(self) -> dict[str, Any]:
        state = self.view.get("state") or {}
        values = state.get("values") or {}
        return values if isinstance(values, dict) else {}

    @property
    def editing(self) -> bool:
        return is_editing(self.view)

    @property
    def step(self) -> drafts.WizardStep | None:
        return page_step_of(self.view)


def open_wizard(
    client: WebClient,
    services: Services,
    trigger_id: str,
    team_id: str,
    user_id: str,
    editing: str | None,
    *,
    name: str | None = None,
    schedule: ScheduleDocument | None = None,
) -> None:
    """Opens the wizard on a new workflow (named ``name`` on step 1 when given, with the
    schedule JSON ``schedule`` when given), or on the workflow named ``editing``. The
    trigger expires 3 seconds after the command and works once: the modal opens first,
    showing "Loading…", and is updated once the draft exists (or says why it cannot); a
    user who closed it meanwhile is left alone."""
    opened = client.views_open(trigger_id=trigger_id, view=loading_view(editing is not None))
    view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]
    try:
        page = _start(client, services, team_id, user_id, editing, name, schedule)
    except WorkflowError as error:
        update_modal(
            client, view_id, message_view(refusal_text(error), editing is not None), view_hash
        )
        return
    except Exception:
        # Not a loading modal forever: say so, then let the error handler report the bug.
        with suppress(SlackApiError):
            failed = message_view(_SOMETHING_WENT_WRONG, editing is not None)
            update_modal(client, view_id, failed)
        raise
    update_modal(client, view_id, build_wizard_view(page), view_hash)


def _start(
    client: WebClient,
    services: Services,
    team_id: str,
    user_id: str,
    editing: str | None,
    name: str | None,
    schedule: ScheduleDocument | None = None,
) -> drafts.WizardPage:
    now = services.clock.now()
    if editing is None:
        zone = services.people.timezone(client, team_id, user_id)
        zone = zone or services.settings.default_timezone
        key = drafts.create(services.work, team_id, user_id, zone, now, name, schedule)
    else:
        actor = services.people.actor(client, team_id, user_id)
        key = drafts.edit(services.work, team_id, editing, actor, now)
    return _page(services, key)


def register(app: App, services: Services) -> None:
    pages = _PageHashes(services.work, threading.Event().wait)

    @app.view(View.WIZARD)
    @reported
    def submit(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        modal = _Modal.of(context, body)
        if not is_review(modal.view):
            ack(**_next_step(services, modal))
            return
        # Saved before the answer, so that the answer is the outcome: a views.update after
        # it could reach Slack before the answer and be overwritten by it. What can take
        # long, the criteria indexes, comes after the answer.
        try:
            done = _saved(client, services, modal, activate=True, index=False)
        except (InvalidDefinition, WorkflowError) as error:
            ack(response_action="update", view=_review(services, modal, unsaved_lines(error)))
            return
        ack(response_action="update", view=finished_view(done))
        drafts.index_saved(services.work, modal.team_id, done.workflow_id)
        _after_save(client, services, modal)

    @app.action(WizardAction.SAVE_DRAFT)
    @reported
    def save_draft(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        modal = _Modal.of(context, body)
        if _show(client, pages, modal, saving_view(modal.draft_id, modal.editing), page=False):
            _save(client, services, pages, modal, activate=False)

    @app.action(WizardAction.BACK)
    @reported
    def back(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        _change(client, services, pages, _Modal.of(context, body), drafts.go_back)

    @reported
    def refresh(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        _change(client, services, pages, _Modal.of(context, body), drafts.keep_values)

    for action_id in (WizardAction.REFRESH, WizardAction.PICK_PROPERTY, *_FILTER_VALUES):
        app.action(action_id)(refresh)

    @app.action(WizardAction.TYPE_SCHEDULE)
    @reported
    def type_schedule(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Enter in "Type it": the text fills the schedule's fields (a new layout empties
        the input) and the preview shows its sentence and next runs, or the step says, under
        the input, what is not understood."""
        ack()
        modal = _Modal.of(context, body)
        not_understood = schedule_text_not_understood(modal.values)
        if not_understood is None:
            _change(client, services, pages, modal, drafts.restructure)
            return
        text, problem = not_understood
        _change(
            client,
            services,
            pages,
            modal,
            drafts.keep_values,
            lambda view: with_schedule_text_problem(view, text, problem),
        )

    @app.options(WizardAction.PICK_PROPERTY)
    @reported
    def property_choices(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        modal = _Modal.of(context, body)
        try:
            found = drafts.property_choices(services.work, modal.key)
        except WorkflowError:
            ack(options=[])  # the draft is gone: the modal says so at its next step
            return
        typed = str(body.get("value") or "")
        ack(options=criteria_editor.property_options(found.properties, typed, found.labels))

    @app.options(WizardAction.SEARCH_CHOICE)
    @app.options(WizardAction.SEARCH_CHOICES)
    @reported
    def value_choices(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        modal = _Modal.of(context, body)
        try:
            found = drafts.value_choices(services.work, modal.key)
        except WorkflowError:
            ack(options=[])  # the draft is gone: the modal says so at its next step
            return
        typed, block_id = str(body.get("value") or ""), str(body.get("block_id") or "")
        options = criteria_editor.choice_options(
            found.document, block_id, found.options, typed, found.labels
        )
        ack(options=options)

    criteria_button = _editor_control(services, pages, _edit_criteria)
    for action_id in _CRITERIA_BUTTONS:
        app.action(action_id)(criteria_button)
    actions_control = _editor_control(services, pages, _edit_actions)
    for action_id in _ACTIONS_CONTROLS:
        app.action(action_id)(actions_control)


def _editor_control(services: Services, pages: _PageHashes, edit: _Edit) -> Callable[..., None]:
    """The listener of an editor's add/remove/move controls: ``edit`` changes the document
    read from the view, which is then stored with a new layout."""

    @reported
    def control(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        action_id, value = action["action_id"], _action_value(action)
        change = drafts.edited(lambda document: edit(document, action_id, value))
        _change(client, services, pages, _Modal.of(context, body), change)

    return control


def _edit_criteria(document: DraftDocument, action_id: str, value: str) -> bool:
    field = criteria_editor.button_field(value)
    if field is None:
        return False
    criteria = criteria_of(document, field)
    document[field] = criteria_editor.edit_criteria(criteria, action_id, value)
    return True


def _edit_actions(document: DraftDocument, action_id: str, value: str) -> bool:
    document["actions"] = actions_editor.edit_actions(actions_of(document), action_id, value)
    return True


def _next_step(services: Services, modal: _Modal) -> dict[str, Any]:
    """The answer to submitting a step: its problems beside its inputs, or the next step."""
    zone, now = services.settings.default_timezone, services.clock.now()
    # A schedule typed but not read (no Enter) that is not one: said beside it.
    if typed_errors := typed_schedule_errors(modal.values, zone, now):
        return {"response_action": "errors", "errors": typed_errors}
    try:
        # What was typed is kept (committed) either way.
        done = drafts.submit(services.work, modal.key, _reader(modal), zone, now, modal.step)
        if done.outdated:
            return {"response_action": "update", "view": _outdated(services, modal, done.page)}
        problems, labels = done.problems, done.labels
        errors = {}
        if problems:
            errors = step_errors(done.step, problems, done.document, done.layout, labels)
        if errors:
            return {"response_action": "errors", "errors": errors}
        lines = problem_lines(problems, property_labels=labels)
        if done.page is None:
            page = _page(services, modal.key, lines)
        else:
            page = replace(done.page, problems=lines)
    except WorkflowError as error:
        return {"response_action": "update", "view": _refusal(error, modal)}
    return {"response_action": "update", "view": build_wizard_view(page)}


def _outdated(services: Services, modal: _Modal, page: drafts.WizardPage | None) -> dict[str, Any]:
    """The draft's page, saying that the page submitted was out of date: ``page`` as the
    submission read it, or read now when it previews records (None)."""
    if page is None:
        page = _page(services, modal.key)
    return build_wizard_view(page, outdated=modal.step)


def _save(
    client: WebClient, services: Services, pages: _PageHashes, modal: _Modal, activate: bool
) -> None:
    """Saves the draft as a workflow, once Slack has its answer, and shows how it went in
    the modal: finished, or the review again with why it could not be saved (the draft is
    kept). A user who closed the modal meanwhile is told by direct message that it saved."""
    try:
        done = _saved(client, services, modal, activate)
    except (InvalidDefinition, WorkflowError) as error:
        review = _review(services, modal, unsaved_lines(error))
        pages.shown(modal, update_modal_hash(client, modal.view_id, review)[1])
        return
    except Exception:
        # Not "Saving…" forever: the review again, to try once more; then the error handler
        # tells the user what went wrong. Showing it is best effort (it may fail likewise).
        with suppress(SlackApiError, SQLAlchemyError):
            update_modal(client, modal.view_id, _review(services, modal, (_NOT_SAVED,)))
        raise
    if update_modal(client, modal.view_id, finished_view(done)) is Update.CLOSED:
        client.chat_postMessage(channel=modal.user_id, text=finished_text(done))
    _after_save(client, services, modal)


def _after_save(client: WebClient, services: Services, modal: _Modal) -> None:
    """What follows a saved workflow, once the user was shown it saved: the scheduler is
    woken for its new schedule, and the Home tab lists it as saved (the Home may be open
    under the modal, when Edit was clicked there)."""
    services.workflows_changed()
    publish_home(client, services, modal.team_id, modal.user_id)


def _saved(
    client: WebClient, services: Services, modal: _Modal, activate: bool, index: bool = True
) -> drafts.Finished:
    actor = services.people.actor(client, modal.team_id, modal.user_id)
    zone, now = services.settings.default_timezone, services.clock.now()
    access = SlackChannelAccess(client)
    return drafts.save(services.work, modal.key, activate, actor, zone, now, access, index)


def _review(services: Services, modal: _Modal, problems: tuple[str, ...]) -> dict[str, Any]:
    """The draft's page (the review) with ``problems`` above it, or why there is none."""
    try:
        page = _page(services, modal.key, problems)
    except WorkflowError as gone:
        return _refusal(gone, modal)
    return build_wizard_view(page)


def _change(
    client: WebClient,
    services: Services,
    pages: _PageHashes,
    modal: _Modal,
    change: drafts.DraftChange,
    annotate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Reads the step's input into the draft, applies ``change`` and shows the result
    (through ``annotate`` when given). When a quicker change's page landed first, the page
    is drawn again from the draft, which holds both changes (see _PageHashes). An input
    older than one the draft holds is not read, and a change made on a page the draft has
    left is not made (drafts.change): nothing new to show then, the newer page shows the
    draft."""
    now, read = services.clock.now(), _reader(modal)
    try:
        version, step = modal.input_version, modal.step
        if not drafts.change(services.work, modal.key, read, change, now, version, step):
            return
    except WorkflowError as error:
        _show(client, pages, modal, _refusal(error, modal), page=False)
        return

    def draw() -> dict[str, Any]:
        view = build_wizard_view(_page(services, modal.key))
        return view if annotate is None else annotate(view)

    try:
        if _show(client, pages, modal, draw()):
            return
        refused = modal.view.get("hash")
        for _ in range(_REDRAWS):
            latest = pages.instead_of(modal, refused)
            if latest is None:
                return  # the modal shows something else, or no page was noted in time
            shown, new_hash = update_modal_hash(client, modal.view_id, draw(), latest)
            if shown is not Update.OVERTAKEN:
                pages.shown(modal, new_hash)
                return
            refused = latest
    except WorkflowError as error:
        _show(client, pages, modal, _refusal(error, modal), page=False)


def _page(
    services: Services, key: drafts.DraftKey, problems: tuple[str, ...] = ()
) -> drafts.WizardPage:
    """The draft's page, read once the change to the draft is committed."""
    zone, now = services.settings.default_timezone, services.clock.now()
    return drafts.page(services.work, key, zone, now, problems)


def _reader(modal: _Modal) -> drafts.StepReader:
    """Reads the modal's inputs (its state values) into the draft's document at its step."""
    return lambda step, document, properties, layout: read_step(
        step, modal.values, document, properties, layout
    )


def _refusal(error: WorkflowError, modal: _Modal) -> dict[str, Any]:
    return message_view(refusal_text(error), modal.editing)


def _show(
    client: WebClient, pages: _PageHashes, modal: _Modal, view: dict[str, Any], page: bool = True
) -> bool:
    """Shows ``view`` (a wizard ``page``, or something else) in place of the modal the
    action came from; False when the modal changed since (e.g. a quicker change of another
    input showed its page first). A modal the user closed is True: what the action asked
    for still stands."""
    shown, new_hash = update_modal_hash(client, modal.view_id, view, modal.view.get("hash"))
    if shown is Update.SHOWN:
        pages.shown(modal, new_hash if page else None)
    return shown is not Update.OVERTAKEN


def _action_value(action: dict[str, Any]) -> str:
    """A button's value, or the value of the option chosen in a select."""
    if isinstance(action.get("value"), str):
        return str(action["value"])
    option = action.get("selected_option") or {}
    return str(option.get("value", ""))
