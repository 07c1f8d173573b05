"""``workflow-bot workspaces``: the workspaces (Slack teams) the database knows, what each
holds, and removing one that holds nothing, such as one a mistyped --team once created."""

from __future__ import annotations

import click

from bot.commands.context import Context, fail
from bot.slack.connection import (
    SlackCredentialsRefused,
    SlackUnreachable,
    single_bot_token,
    workspace_of,
)
from bot.workflows.workspaces import (
    UnknownWorkspace,
    WorkspaceNotRemoved,
    contents_of,
    remove_empty,
)


@click.group()
def workspaces() -> None:
    """The workspaces this database serves; remove one created by mistake."""


@workspaces.command("list")
@click.option(
    "--check",
    is_flag=True,
    help="Also ask Slack (auth.test) which workspace SLACK_BOT_TOKEN belongs to, and mark it.",
)
@click.pass_obj
def workspaces_list(context: Context, check: bool) -> None:
    """Each workspace with what it holds, and whether SLACK_TEAM_ID or an installation names
    it. Works offline; with --check, asks Slack which is SLACK_BOT_TOKEN's workspace."""
    context.migrate()
    vouched = context.vouched_teams()
    connected = _connected_team(context) if check else None
    found = contents_of(context.work, vouched | ({connected} if connected else set()))
    if not found:
        click.echo("No workspace yet: the first import or Slack connection makes one.")
    for contents in found:
        named = (
            " (SLACK_BOT_TOKEN's workspace)"
            if contents.team_id == connected
            else " (installed, or SLACK_TEAM_ID)"
            if contents.team_id in vouched
            else ""
        )
        hint = (
            f"; remove it with `workflow-bot workspaces remove {contents.team_id}`"
            if contents.empty and not named
            else ""
        )
        click.echo(f"{contents.team_id}{named}: {contents.describe()}{hint}")
    if not check and single_bot_token(context.settings) is not None:
        click.echo(
            "SLACK_BOT_TOKEN's workspace is not marked (that takes a call to Slack): add "
            "--check to mark it. `workspaces remove` asks Slack and never removes it."
        )


@workspaces.command("remove")
@click.argument("team_id")
@click.pass_obj
def workspaces_remove(context: Context, team_id: str) -> None:
    """Remove a workspace that holds nothing (no records, workflows, sources or history)."""
    context.migrate()
    connected = _connected_team(context)
    vouched = context.vouched_teams() | ({connected} if connected else set())
    try:
        remove_empty(context.work, team_id, vouched)
    except (UnknownWorkspace, WorkspaceNotRemoved) as error:
        fail(str(error))
    click.echo(f"Removed the workspace {team_id}: it held nothing.")


def _connected_team(context: Context) -> str | None:
    """The workspace SLACK_BOT_TOKEN belongs to (Slack's auth.test), which serve connects
    to and would bring back at once; None without the token, or when Slack cannot say."""
    try:
        slack = workspace_of(context.settings)
    except (SlackCredentialsRefused, SlackUnreachable):
        return None  # serve reports those; here the list is still worth showing
    return slack[1] if slack else None
