"""``workflow-bot sources``: the SQL queries and HubSpot objects that feed object types (add,
list, sync now, remove). A source's database URL or HubSpot access token stays in the
environment variable it names."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot.commands.context import Context, fail
from bot.commands.environment import environment_variable
from bot.commands.options import TEAM_OPTION
from bot.hubspot.portal import ClientPortal
from bot.workflows import sources as workflow_sources
from bot.workflows.engine import process_identity
from bot.workflows.hubspot_portal import HubSpotError
from bot.workflows.hubspot_sources import API_URL_VARIABLE, access_token
from bot.workflows.hubspot_sync import STANDARD_OBJECTS, ObjectToSync, objects_to_sync
from bot.workflows.readable import instant_text, plural
from bot.workflows.sources import (
    DEFAULT_MAX_STALENESS,
    NewHubSpotSource,
    NewSource,
    SourceDefinitionError,
    SourceStatus,
    SyncOutcome,
    UnknownSource,
    check_hubspot,
    parse_duration,
    shown_duration,
    sync_source,
)
from bot.workflows.vocabulary import SourceKind
from bot.workflows.workspaces import AmbiguousWorkspace
from storage.object_types import UnknownObjectType

SHOWN_REMOVED = 5


@click.group()
def sources() -> None:
    """SQL tables and HubSpot objects that feed object types: add, list, sync, remove."""


@sources.group("add")
def sources_add() -> None:
    """Add a source."""


@sources_add.command("sql")
@click.argument("name")
@click.option("--type", "type_name", required=True, help="Object type it feeds, e.g. deals.")
@click.option(
    "--url-env",
    required=True,
    metavar="VAR",
    help="Environment variable (or .env entry) holding the database URL, read at each sync.",
)
@click.option("--query", required=True, help="The SELECT that returns every record, one a row.")
@click.option("--id-column", required=True, help="The query's column of stable record ids.")
@click.option("--every", metavar="DURATION", help="Sync on this period too, e.g. 15m or 1h.")
@click.option(
    "--max-staleness",
    metavar="DURATION",
    default=shown_duration(int(DEFAULT_MAX_STALENESS.total_seconds())),
    show_default=True,
    help="A run syncs first when the last sync is older than this.",
)
@click.option("--create-type", is_flag=True, help="Create --type as a custom type if needed.")
@TEAM_OPTION
@click.pass_obj
def sources_add_sql(
    context: Context,
    name: str,
    type_name: str,
    url_env: str,
    query: str,
    id_column: str,
    every: str | None,
    max_staleness: str,
    create_type: bool,
    team: str | None,
) -> None:
    """Feed an object type from a SQL query: each sync makes the type's records exactly the
    query's rows (new and changed ones written, missing ones removed).

    The query's name and owner columns, when it has them, give each record's name and
    owner; every other column is a property.
    """
    with source_errors():
        new = NewSource(
            name=name,
            type_name=type_name,
            url_env=url_env,
            query=query,
            id_column=id_column,
            every=None if every is None else parse_duration(every, "--every"),
            max_staleness=parse_duration(max_staleness, "--max-staleness"),
            create_type=create_type,
        )
        team_id = context.team(team)
        added = workflow_sources.add(context.work, team_id, new, context.clock.now())
    click.echo(f"Added the source {added.name}, which feeds {added.type_name}.")
    if added.records:
        click.echo(
            f"{added.type_name} has {added.records:,} records: its first sync removes those "
            "the query does not return."
        )
    click.echo(f"Sync it now with: workflow-bot sources sync {added.name}")


@sources_add.command("hubspot")
@click.argument("name")
@click.option(
    "--token-env",
    required=True,
    metavar="VAR",
    help="Environment variable (or .env entry) holding the private app's access token, "
    "read at each sync.",
)
@click.option(
    "--objects",
    default=",".join(STANDARD_OBJECTS),
    show_default=True,
    help="HubSpot objects to sync, comma-separated: contacts, companies, deals, tickets or "
    "a custom object's name. Each feeds the object type of its name.",
)
@click.option("--every", metavar="DURATION", help="Sync on this period too, e.g. 15m or 1h.")
@click.option(
    "--max-staleness",
    metavar="DURATION",
    default=shown_duration(int(DEFAULT_MAX_STALENESS.total_seconds())),
    show_default=True,
    help="A run syncs first when the last sync is older than this.",
)
@TEAM_OPTION
@click.pass_obj
def sources_add_hubspot(
    context: Context,
    name: str,
    token_env: str,
    objects: str,
    every: str | None,
    max_staleness: str,
    team: str | None,
) -> None:
    """Feed object types from a HubSpot portal, read with a private app's access token: the
    first sync reads every object, the next ones what changed since.

    With one object the source is NAME; with several, one source per object, named
    NAME-object (NAME-deals), since a source feeds one object type.
    """
    with source_errors():
        new = NewHubSpotSource(
            name=name,
            token_env=token_env,
            every=None if every is None else parse_duration(every, "--every"),
            max_staleness=parse_duration(max_staleness, "--max-staleness"),
        )
        check_hubspot(new)
        found = _hubspot_objects(new, objects.split(","))
        team_id = context.team(team)
        added = workflow_sources.add_hubspot(context.work, team_id, new, found, context.clock.now())
    for source in added:
        click.echo(f"Added the HubSpot source {source.name}, which feeds {source.type_name}.")
        if source.records:
            click.echo(
                f"{source.type_name} has {source.records:,} records: its first sync removes "
                "those HubSpot does not have."
            )
    click.echo(f"Sync them now with: workflow-bot sources sync {added[0].name}" + (
        f" (and {', '.join(s.name for s in added[1:])})" if len(added) > 1 else ""
    ))  # fmt: skip


def _hubspot_objects(new: NewHubSpotSource, names: list[str]) -> list[ObjectToSync]:
    """The objects asked for, checked against the portal: the token is read now and tried
    on each object's properties (a wrong token or a missing scope shows at once)."""
    if not any(n.strip() for n in names):
        raise SourceDefinitionError("--objects is empty: name the HubSpot objects to sync")
    token = access_token(new.token_env, new.name, environment_variable)
    portal = ClientPortal(token, environment_variable(API_URL_VARIABLE) or None)
    found = objects_to_sync(portal, names)
    for each in found:
        portal.properties(each.api_name)
    return found


@sources.command("list")
@TEAM_OPTION
@click.pass_obj
def sources_list(context: Context, team: str | None) -> None:
    """List the sources with their last sync and its outcome."""
    zone = ZoneInfo(context.settings.default_timezone)
    with source_errors():
        team_id = context.team(team)
        found = workflow_sources.statuses(context.work, team_id, context.clock.now())
    if not found:
        click.echo(
            "No sources. Add one with: workflow-bot sources add sql NAME ... (or add hubspot)"
        )
        return
    for status in found:
        click.echo("\n".join(_status_lines(status, zone, context.clock.now())))


def _status_lines(status: SourceStatus, zone: ZoneInfo, now: datetime) -> list[str]:
    every = f"every {shown_duration(status.every_seconds)}" if status.every_seconds else "on demand"
    staleness = shown_duration(status.max_staleness_seconds)
    origin = (
        f"HubSpot {status.hubspot_object} (token in ${status.url_env})"
        if status.kind is SourceKind.HUBSPOT
        else f"${status.url_env}, id column {status.id_column}"
    )
    lines = [
        f"{status.name}: feeds {status.type_name} from {origin}; {every}, max staleness "
        f"{staleness}" + ("; syncing now" if status.syncing else "")
    ]
    if status.kind is SourceKind.HUBSPOT:
        lines.append("  " + _hubspot_line(status, now))
    if status.last_attempt_at is None:
        lines.append("  never synced")
    elif status.last_error is None:
        assert status.counts is not None
        lines.append(
            f"  last sync {_when(status.last_attempt_at, zone)} "
            f"({_duration(status.last_duration_ms)}): {status.counts.added:,} added, "
            f"{status.counts.changed:,} changed, {status.counts.removed:,} removed"
        )
    else:
        lines.append(
            f"  last sync {_when(status.last_attempt_at, zone)} "
            f"({_duration(status.last_duration_ms)}) failed: {status.last_error}"
        )
        if status.last_success_at is not None and status.counts is not None:
            lines.append(
                f"  last success {_when(status.last_success_at, zone)}: "
                f"{status.counts.added:,} added, {status.counts.changed:,} changed, "
                f"{status.counts.removed:,} removed"
            )
        else:
            lines.append("  never synced successfully")
    return lines


def _hubspot_line(status: SourceStatus, now: datetime) -> str:
    """Where the next sync starts and what is left of HubSpot's daily request budget."""
    if status.cursor_at is None:
        cursor = "no cursor: the next sync reads every object"
    else:
        age = max(int((now - status.cursor_at).total_seconds()), 0)
        cursor = f"cursor age {shown_duration(age)}: the next sync reads the changes since"
    if status.daily_remaining is None:
        budget = "daily request budget not reported yet"
    else:
        limit = f" of {status.daily_limit:,}" if status.daily_limit is not None else ""
        budget = f"daily request budget: {status.daily_remaining:,}{limit} left"
    return f"{cursor}; {budget}"


def _when(instant: datetime, zone: ZoneInfo) -> str:
    return instant_text(instant, zone)  # as every command writes an instant


def _duration(milliseconds: int | None) -> str:
    return "?" if milliseconds is None else f"{milliseconds / 1000:.1f} s"


@sources.command("sync")
@click.argument("name")
@TEAM_OPTION
@click.pass_obj
def sources_sync(context: Context, name: str, team: str | None) -> None:
    """Sync a source now: its records become exactly its query's rows (a HubSpot source's:
    what changed in HubSpot since its last sync, everything at the first)."""
    with source_errors():
        team_id = context.team(team)
        source_id = workflow_sources.source_id(context.work, team_id, name)
    outcome = sync_source(
        context.sessions,
        source_id,
        process_identity(),
        context.clock,
        environment_variable,
        portals=ClientPortal,
    )
    if outcome.busy:
        click.echo(
            f"error: another process is syncing {name} now: wait for it, then see "
            "workflow-bot sources list",
            err=True,
        )
        sys.exit(1)
    if outcome.error is not None:
        fail(outcome.error)
    _echo_synced(outcome)


def _echo_synced(outcome: SyncOutcome) -> None:
    report = outcome.report
    assert report is not None
    if report.new_properties:
        declared = ", ".join(f"{n} ({t})" for n, t in report.new_properties.items())
        click.echo(f"new properties: {declared}")
    removed = report.removed
    if removed.count:
        shown = ", ".join(f"{external_id} ({name})" for external_id, name in removed.first)
        more = removed.count - len(removed.first)
        click.echo(f"removed: {shown}" + (f" and {more:,} more" if more > 0 else ""))
    click.echo(
        f"Synced {outcome.name}: {plural(report.rows, 'row')} in {report.seconds:.1f} s: "
        f"{report.added:,} added, {report.changed:,} changed, {removed.count:,} removed, "
        f"{report.unchanged:,} unchanged"
    )


@sources.command("remove")
@click.argument("name")
@TEAM_OPTION
@click.pass_obj
def sources_remove(context: Context, name: str, team: str | None) -> None:
    """Remove a source. Its records stay as they are; files may be imported into its type."""
    with source_errors():
        team_id = context.team(team)
        type_name = workflow_sources.remove(context.work, team_id, name)
    click.echo(f"Removed the source {name}; the records of {type_name} stay as they are.")


@contextmanager
def source_errors() -> Iterator[None]:
    """Turns the errors a user can fix into one line and exit status 2."""
    try:
        yield
    except (SourceDefinitionError, UnknownSource, AmbiguousWorkspace, HubSpotError) as error:
        fail(str(error))
    except UnknownObjectType as error:
        fail(
            f"there is no object type {error.name!r}; known types: {', '.join(error.known)}; "
            "add --create-type to create it"
        )
