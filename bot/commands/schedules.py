"""``workflow-bot schedule``: checks schedules given as JSON, printing their next runs or what
they mean, and reads schedules typed in plain English into that JSON."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import click

from bot.commands.context import Context, fail
from bot.commands.options import read_text_file
from bot.workflows.bounded_json import InvalidJSON, load_json
from bot.workflows.problems import file_text
from bot.workflows.schedule_phrases import PhraseNotUnderstood, parse_phrase
from bot.workflows.schedules import InvalidSchedule, ParsedSchedule, parse_schedule


@click.group()
def schedule() -> None:
    """Check workflow schedules: their next runs, and what they mean; read them from English."""


SPEC_HELP = (
    'A schedule as JSON, e.g. \'{"frequency": "weekly", "weekdays": ["mon"], "time": "09:00"}\', '
    "or @FILE with one JSON schedule per line. Without timezone: DEFAULT_TIMEZONE."
)


@schedule.command("next")
@click.option("--spec", "spec_option", required=True, help=SPEC_HELP)
@click.option(
    "--after",
    "after_option",
    metavar="ISO8601",
    help="List runs strictly after this instant, and check the schedules as of it "
    "(default: now); without a UTC offset it is a time in DEFAULT_TIMEZONE.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Runs to print per schedule.",
)
@click.pass_obj
def schedule_next(context: Context, spec_option: str, after_option: str | None, count: int) -> None:
    """Print the next runs of each schedule, one line per schedule, as ISO 8601 times."""
    zone = context.settings.default_timezone
    after = context.clock.now() if after_option is None else read_instant(after_option, zone)
    # Each schedule is valid as of --after, so it has at least one run to print.
    for _, parsed in read_schedules(spec_option, zone, after):
        runs = islice(parsed.schedule.occurrences_after(after), count)
        click.echo(" ".join(run.at.isoformat() for run in runs))


@schedule.command("describe")
@click.option("--spec", "spec_option", required=True, help=SPEC_HELP)
@click.pass_obj
def schedule_describe(context: Context, spec_option: str) -> None:
    """Print what each schedule means, one English sentence per line."""
    zone = context.settings.default_timezone
    for _, parsed in read_schedules(spec_option, zone, context.clock.now()):
        click.echo(parsed.schedule.describe())


@schedule.command("parse")
@click.argument("text")
@click.option(
    "--timezone",
    "timezone",
    metavar="ZONE",
    help="The IANA zone of a TEXT that names none (default: DEFAULT_TIMEZONE).",
)
@click.pass_obj
def schedule_parse(context: Context, text: str, timezone: str | None) -> None:
    """Print the schedule JSON of TEXT, a schedule in plain English such as "every other
    Tuesday at 9am" (the README lists what is understood); exit 2 when it is not one."""
    zone = timezone or context.settings.default_timezone
    if timezone is not None and timezone not in available_timezones():
        fail(f"--timezone {timezone!r} is not an IANA time zone: use e.g. Europe/Paris")
    try:
        spec = parse_phrase(text, zone)
    except PhraseNotUnderstood as error:
        fail(error.message)
    # The spec as --spec of next and describe would take it: checked the same way.
    read_schedules(json.dumps(spec), zone, context.clock.now())
    click.echo(json.dumps(spec))


def read_schedules(
    option: str, default_timezone: str, now: datetime
) -> list[tuple[str, ParsedSchedule]]:
    """The schedules of ``--spec`` validated as of ``now``, each with the label its messages
    start with; warnings go to stderr, and any problem exits with status 2."""
    parsed: list[tuple[str, ParsedSchedule]] = []
    problems: list[str] = []
    for label, text in spec_texts(option):
        try:
            result = parse_schedule(load_json(text), default_timezone, now)
        except json.JSONDecodeError as error:
            problems.append(f"{label}not valid JSON: {error.msg} at column {error.colno}")
            continue
        except InvalidJSON as error:
            problems.append(f"{label}the schedule {error}")
            continue
        except InvalidSchedule as error:
            problems += [f"{label}{message}" for message in error.messages]
            continue
        parsed.append((label, result))
        for warning in result.warnings:
            click.echo(f"warning: {label}{file_text(warning)}", err=True)
    if problems:
        fail(problems)
    return parsed


def spec_texts(option: str) -> list[tuple[str, str]]:
    """``--spec`` as (label, JSON text) pairs: one inline spec, or each non-blank line of @FILE."""
    if not option.startswith("@"):
        return [("", option)]
    path = Path(option[1:])
    lines = read_text_file(path, "schedule").splitlines()
    texts = [(f"line {n}: ", line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not texts:
        fail(f"the schedule file {str(path)!r} holds no schedule: write one JSON object per line")
    return texts


def read_instant(text: str, default_timezone: str) -> datetime:
    """An ISO 8601 instant; one without a UTC offset is read in ``default_timezone``."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"--after {text!r} is not an ISO 8601 date and time: use e.g. 2026-03-08T09:00:00-05:00"
        )
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(default_timezone))
    return instant
