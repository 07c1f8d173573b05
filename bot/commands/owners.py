"""``workflow-bot owners``: the owners of a workspace's records, who each is in Slack, and
how many records each owns."""

from __future__ import annotations

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.workflows.owners import OwnerLine, owner_lines, resolve_owners
from bot.workflows.readable import plural
from bot.workflows.workspaces import AmbiguousWorkspace

UNRESOLVED = "unresolved"
_NO_SLACK = (
    "--refresh asks Slack who each owner email is, and no Slack workspace is connected: set "
    "SLACK_BOT_TOKEN (or install the app in this workspace), then run it again"
)


@click.group()
def owners() -> None:
    """Record owners and who they are in Slack."""


@owners.command("list")
@TEAM_OPTION
@click.option(
    "--refresh",
    is_flag=True,
    help="Ask Slack again now who every owner email is (users.lookupByEmail).",
)
@click.pass_obj
def owners_list(context: Context, team: str | None, refresh: bool) -> None:
    """Each owner value of the records, its Slack user or "unresolved", and its records."""
    now = context.clock.now()
    try:
        team_id = context.team(team)
        lines = owner_lines(context.work, team_id, now)
        if refresh and lines:
            lookup = context.people_lookup(team_id)
            if lookup is None:
                fail(_NO_SLACK)
            # Between transactions: no database lock waits while Slack answers.
            resolution = resolve_owners(
                context.sessions, team_id, [line.owner for line in lines], lookup, now, refresh=True
            )
            if resolution.refused or resolution.unavailable:
                fail(resolution.refused or resolution.unavailable or "")
            lines = owner_lines(context.work, team_id, now)
    except AmbiguousWorkspace as error:
        fail(str(error))
    if not lines:
        click.echo("No record has an owner.")
        return
    click.echo(owners_table(lines))
    unresolved = sum(1 for line in lines if line.slack_user is None)
    click.echo(f"\n{plural(len(lines), 'owner')}, {unresolved:,} {UNRESOLVED}.")


def owners_table(lines: list[OwnerLine]) -> str:
    header = ("OWNER", "SLACK USER", "RECORDS", "")
    rows = [header] + [
        (_flat(line.owner), line.slack_user or UNRESOLVED, f"{line.records:,}", line.note)
        for line in lines
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join(
            [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
        ).rstrip()
        for row in rows
    )


def _flat(text: str, limit: int = 60) -> str:
    # One line per owner however it was written; long values shortened.
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
