"""``workflow-bot records delete``: removes records by id or by criteria, after showing
them and asking (unless --yes). Removed records stay in past runs and are never enrolled
again; importing them again brings them back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.commands.records import CRITERIA_HELP, query_errors, read_criteria
from bot.commands.removals import confirm_removal, removal_text
from bot.workflows.record_removal import RemovalError, Removed, removal
from bot.workflows.sources import FedType


@click.command("delete")
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--criteria", "criteria_option", help=f"Remove the matching records: {CRITERIA_HELP}")
@click.option("--yes", is_flag=True, help="Remove without asking first.")
@TEAM_OPTION
@click.pass_obj
def records_delete(
    context: Context,
    ids: tuple[str, ...],
    type_name: str,
    criteria_option: str | None,
    yes: bool,
    team: str | None,
) -> None:
    """Remove records of a type, by id or by criteria.

    A removed record is never enrolled again; past runs still show it, and importing it
    again brings it back.
    """
    if bool(ids) == (criteria_option is not None):
        fail(
            "name the records to remove either by their ids or with --criteria JSON, not "
            + ("both" if ids else "neither")
        )
    criteria = read_criteria(criteria_option) if criteria_option is not None else None
    at = context.clock.now().astimezone(ZoneInfo(context.settings.default_timezone))

    def select(now: bool) -> Removed:
        with removal_errors():
            team_id = context.team(team)
            when = context.clock.now() if now else None
            named = ids if criteria is None else None
            return removal(context.work, team_id, type_name, named, criteria, at, when)

    if not yes:
        preview = select(now=False)
        _echo_already(preview, type_name)
        if preview.removal.count == 0:
            click.echo(f"Nothing to remove: no live {type_name} record is named.")
            return
        click.echo(f"This removes {removal_text(preview.removal, type_name)}")
        confirm_removal("Remove it?" if preview.removal.count == 1 else "Remove them?")
    removed = select(now=True)
    if yes:
        _echo_already(removed, type_name)
    if removed.removal.count == 0:
        click.echo(f"Nothing to remove: no live {type_name} record is named.")
        return
    click.echo(f"Removed {removal_text(removed.removal, type_name)}")


def _echo_already(removed: Removed, type_name: str) -> None:
    if removed.already:
        listed = ", ".join(removed.already[:10])
        click.echo(f"Already removed, left as they are: {listed}")


@contextmanager
def removal_errors() -> Iterator[None]:
    """The errors of a removal a user can fix: one line each, exit status 2."""
    try:
        with query_errors():
            yield
    except (RemovalError, FedType) as error:
        fail(str(error))
