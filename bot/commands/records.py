"""``workflow-bot records``: import records from files, and list or count those that match
criteria."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from bot.commands.context import Context, fail
from bot.commands.failures import RUN_TIME_FAILURE, USAGE_ERROR
from bot.commands.options import TEAM_OPTION, read_text_file
from bot.commands.removals import confirm_prune, removal_text
from bot.workflows.bounded_json import InvalidJSON, load_json
from bot.workflows.criteria import InvalidCriteria
from bot.workflows.readable import instant_text, is_are, plural
from bot.workflows.record_files import FileFormat, RecordFileError, UnknownFileFormat
from bot.workflows.record_import import (
    ImportConflict,
    ImportOptionError,
    ImportOptions,
    ImportReport,
    parse_property_type,
)
from bot.workflows.record_removal import EmptyPrune, import_file
from bot.workflows.records import MatchingRecord, matching, matching_count
from bot.workflows.vocabulary import PropertyType
from bot.workflows.workspaces import AmbiguousWorkspace
from storage.object_types import UnknownObjectType
from storage.properties import parse_datetime


@click.group()
def records() -> None:
    """Import, list and count records."""


CRITERIA_HELP = (
    'Criteria JSON, e.g. \'{"any": [{"all": [{"property": "amount", "operator": "gte", '
    '"value": 5000}]}]}\', {} for every record, or @FILE to read it from a file.'
)


Command = TypeVar("Command", bound=Callable[..., Any])


def evaluation_options(command: Command) -> Command:
    """``--at`` and ``--timezone``: the instant criteria are evaluated at, and the zone whose
    calendar days "today", in_last_days and the other relative dates count in."""
    command = click.option(
        "--timezone",
        "zone_name",
        metavar="ZONE",
        help="IANA time zone of relative dates, e.g. Europe/Paris. Default: DEFAULT_TIMEZONE.",
    )(command)
    return click.option(
        "--at",
        "at_option",
        metavar="ISO_INSTANT",
        help=(
            "Evaluate the criteria at this instant, e.g. 2026-12-06T08:00:00+01:00 (without "
            "an offset, a time in --timezone). Default: now."
        ),
    )(command)


def evaluation_instant(context: Context, at_option: str | None, zone_name: str | None) -> datetime:
    """The aware instant of ``--at`` (or now) in the zone of ``--timezone`` (or the default)."""
    name = zone_name if zone_name is not None else context.settings.default_timezone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        fail(f"--timezone {name!r} is not an IANA time zone: use e.g. Europe/Paris or UTC")
    if at_option is None:
        return context.clock.now().astimezone(zone)
    try:
        instant = datetime.fromisoformat(at_option.strip())
    except ValueError:
        fail(
            f"--at {at_option!r} is not an ISO 8601 date and time: use e.g. "
            "2026-12-06T08:00:00+01:00"
        )
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone)
    try:
        return instant.astimezone(zone)
    except OverflowError:
        fail(f"--at {at_option!r} is too close to the ends of the calendar: use a nearer instant")


@records.command("list")
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--criteria", "criteria_option", help=f"{CRITERIA_HELP} Default: {{}}.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@evaluation_options
@TEAM_OPTION
@click.pass_obj
def records_list(
    context: Context,
    type_name: str,
    criteria_option: str | None,
    limit: int,
    at_option: str | None,
    zone_name: str | None,
    team: str | None,
) -> None:
    """List the records of a type that match criteria, by name."""
    criteria = read_criteria(criteria_option)
    now = evaluation_instant(context, at_option, zone_name)
    with query_errors():
        team_id = context.team(team)
        found = matching(context.work, team_id, type_name, criteria, now, limit)
    total, first = found.total, found.first
    if not first:
        click.echo(f"No {type_name} match.")
        return
    click.echo(records_table(first))
    click.echo(f"\n{len(first)} of {total} matching {type_name} shown.")


@records.command("count")
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--criteria", "criteria_option", required=True, help=CRITERIA_HELP)
@evaluation_options
@TEAM_OPTION
@click.pass_obj
def records_count(
    context: Context,
    type_name: str,
    criteria_option: str,
    at_option: str | None,
    zone_name: str | None,
    team: str | None,
) -> None:
    """Print how many records of a type match criteria."""
    criteria = read_criteria(criteria_option)
    now = evaluation_instant(context, at_option, zone_name)
    with query_errors():
        team_id = context.team(team)
        click.echo(matching_count(context.work, team_id, type_name, criteria, now))


def read_criteria(option: str | None) -> object:
    """The decoded ``--criteria`` JSON, given inline or as @FILE; ``{}`` when omitted."""
    if option is None:
        return {}
    text = read_text_file(Path(option[1:]), "criteria") if option.startswith("@") else option
    try:
        return load_json(text)
    except json.JSONDecodeError as error:
        fail(
            f"--criteria is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno} (character {error.pos + 1})"
        )
    except InvalidJSON as error:
        fail(f"--criteria {error}")


@contextmanager
def query_errors() -> Iterator[None]:
    """Turns the errors a user can fix into messages and exit status 2."""
    try:
        yield
    except UnknownObjectType as error:
        fail(f"there is no object type {error.name!r}; known types: {', '.join(error.known)}")
    except InvalidCriteria as error:
        fail(error.messages)
    except AmbiguousWorkspace as error:
        fail(str(error))


def records_table(found: list[MatchingRecord]) -> str:
    header = ("EXTERNAL ID", "NAME", "OWNER", "PROPERTIES")
    rows = [header] + [
        (
            _cell(r.external_id),
            _cell(r.name),
            _cell(r.owner or "-"),
            ", ".join(
                f"{k}={_cell(_shown(v, r.property_types.get(k)))}"
                for k, v in sorted(r.properties.items())
            ),
        )
        for r in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join([*(row[c].ljust(widths[c]) for c in range(3)), row[3]]).rstrip() for row in rows
    )


def _shown(value: object, property_type: PropertyType | None) -> str:
    if property_type is PropertyType.DATETIME and isinstance(value, str):
        # Stored as fixed-width UTC text; shown as every command writes an instant.
        return instant_text(parse_datetime(value), "UTC")
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _cell(text: str, limit: int = 40) -> str:
    # One line per record: collapse line breaks and tabs, shorten long values.
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


SHOWN_PROBLEMS = 20


@records.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--id-column", default="id", show_default=True, help="Column of stable ids.")
@click.option(
    "--name-column", default="name", show_default=True, help="Column of names (empty: the id)."
)
@click.option(
    "--owner-column",
    default="owner",
    show_default=True,
    help="Column of owners' Slack user ids, used when the file has it.",
)
@click.option(
    "--property-type",
    "property_types",
    multiple=True,
    metavar="NAME=TYPE",
    help="Declare a property's type instead of inferring it (repeatable); "
    "the only way to get an enumeration.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice([f.value for f in FileFormat]),
    help="File format; by default from the extension (.csv, .jsonl, .ndjson).",
)
@click.option("--create-type", is_flag=True, help="Create --type as a custom type if needed.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, skip the others.")
@click.option(
    "--prune",
    is_flag=True,
    help="The file is the whole set: remove the records of the type it does not name.",
)
@click.option("--yes", is_flag=True, help="With --prune: remove without asking first.")
@TEAM_OPTION
@click.pass_obj
def records_import(
    context: Context,
    file: Path,
    type_name: str,
    id_column: str,
    name_column: str,
    owner_column: str,
    property_types: tuple[str, ...],
    file_format: str | None,
    create_type: bool,
    skip_invalid: bool,
    prune: bool,
    yes: bool,
    team: str | None,
) -> None:
    """Create or update records from a CSV or JSON Lines file, matched by id.

    Every row is checked before anything is written: a file with invalid rows imports
    nothing (exit status 2) unless --skip-invalid is given. With --prune the file is the
    whole set: the records it does not name are removed (after a question, unless --yes).
    """
    with import_errors():
        options = ImportOptions(
            type_name=type_name,
            id_column=id_column,
            name_column=name_column,
            owner_column=owner_column,
            property_types=dict(parse_property_type(option) for option in property_types),
            file_format=FileFormat(file_format) if file_format else None,
            create_type=create_type,
            skip_invalid=skip_invalid,
        )
        if prune and not yes:
            confirm_prune(context, file, options, team)
        team_id = context.team(team)
        try:
            imported = import_file(context.work, team_id, file, options, context.clock, prune)
        except EmptyPrune as empty:
            fail(str(empty))
    report, pruned = imported.report, imported.pruned
    echo_import_report(report)
    if pruned is not None and pruned.count:
        click.echo(f"removed {removal_text(pruned, type_name)}")
    if not report.written:
        sys.exit(USAGE_ERROR)  # the file must change, as with any other bad input


@contextmanager
def import_errors() -> Iterator[None]:
    """Usage errors and a file that cannot be imported as a whole exit with status 2; a
    conflict with a concurrent change, which another try resolves, with 1."""
    try:
        yield
    except (UnknownObjectType, AmbiguousWorkspace, ImportOptionError, UnknownFileFormat) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read {error.filename or 'the file'}: {error.strerror or error}")
    except RecordFileError as error:
        fail(str(error))
    except ImportConflict as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(RUN_TIME_FAILURE)


def echo_import_report(report: ImportReport) -> None:
    for problem in report.problems[:SHOWN_PROBLEMS]:
        click.echo(str(problem), err=True)
    if report.rejected > SHOWN_PROBLEMS:
        more = plural(report.rejected - SHOWN_PROBLEMS, "more invalid row")
        click.echo(f"... and {more}", err=True)
    if not report.written:
        invalid = f"{plural(report.rejected, 'row')} {is_are(report.rejected)} invalid"
        click.echo(
            f"Nothing was imported: {invalid}. Fix {'it' if report.rejected == 1 else 'them'}, "
            "or pass --skip-invalid to import the valid rows.",
            err=True,
        )
    elif report.new_properties:
        declared = ", ".join(f"{name} ({t})" for name, t in report.new_properties.items())
        click.echo(f"new properties: {declared}")
    click.echo(report.summary())
