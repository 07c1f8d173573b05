"""Run history and run details, read-only for anyone in the workspace: the App Home's
History button opens a workflow's history in a modal, and a run's Details button (in that
modal, in a /workflow history reply or under a run summary in a channel) shows the run.

Details open on top of the history modal (views.push) when clicked there, else in a new
modal (views.open); either way with the click's trigger, which expires 3 seconds after the
click: one short read, then the view. A run is looked up in the clicker's workspace only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.errors import refusal_text, reported
from bot.slack.ids import HistoryAction, HomeAction
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views.blocks import notice_view
from bot.slack.views.history import (
    DETAILS_TITLE,
    HISTORY_TITLE,
    IN_MODAL,
    history_view,
    parse_run_id,
    run_details_view,
)
from bot.slack.views.home import clicked_workflow
from bot.slack.views.sharing import changes_blocks
from bot.workflows import workflow_requests
from bot.workflows.lifecycle import WorkflowError
from bot.workflows.overview import UnknownRun, WorkflowHistory, run_details

# Reads what a modal shows (one use case) and builds the view.
_Read = Callable[[], dict[str, Any]]


def register(app: App, services: Services) -> None:
    @app.action(HomeAction.HISTORY)
    @reported
    def open_history(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        team_id, name = Requester.of(context).team_id, clicked_workflow(action)

        def read() -> dict[str, Any]:
            past = workflow_requests.workflow_past(services.work, team_id, name, IN_MODAL)
            history = WorkflowHistory(past.name, past.runs, past.more_runs)
            return history_view(history, changes_blocks(past.changes))

        _show(client, services, body, read, HISTORY_TITLE)

    @app.action(HistoryAction.DETAILS)
    @reported
    def open_details(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        team_id, run_id = Requester.of(context).team_id, parse_run_id(action)

        def read() -> dict[str, Any]:
            if run_id is None:
                raise UnknownRun(action.get("value"))
            return run_details_view(run_details(services.work, team_id, run_id))

        _show(client, services, body, read, DETAILS_TITLE)


def _show(
    client: WebClient, services: Services, body: dict[str, Any], read: _Read, title: str
) -> None:
    """Reads the view and shows it; what cannot be shown (an unknown workflow or run) is
    said in the modal instead."""
    try:
        view = read()
    except WorkflowError as error:
        view = notice_view(title, refusal_text(error))
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)
