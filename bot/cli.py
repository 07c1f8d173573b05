"""The ``workflow-bot`` command: the composition root that builds settings, storage and
services, then starts what was asked. Nothing else in the project starts anything."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import click
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.scheduler import Scheduler
from bot.settings import Settings, SettingsError
from bot.slack.connection import SlackConnection, SlackUnreachable, workspace_of
from bot.slack.installations import (
    INSTALL_PATH,
    REDIRECT_PATH,
    Installations,
    WorkspaceNotifiers,
    app_client,
)
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.server import Health
from bot.slack.services import Services
from bot.workflows.clock import Clock, SystemClock
from bot.workflows.criteria import InvalidCriteria
from bot.workflows.definitions import InvalidDefinition, to_document
from bot.workflows.engine import Engine as WorkflowEngine
from bot.workflows.lifecycle import (
    CLI_ACTOR,
    WorkflowError,
    delete_workflow,
    enroll_records,
    get_workflow,
    request_run,
    save_workflow,
    set_status,
)
from bot.workflows.notifier import Notifier
from bot.workflows.overview import list_workflows, run_history, workflow_details
from bot.workflows.preview import preview_run
from bot.workflows.record_files import FileFormat, RecordFileError, UnknownFileFormat
from bot.workflows.record_import import (
    ImportConflict,
    ImportOptionError,
    ImportOptions,
    ImportReport,
    import_records,
    parse_property_type,
)
from bot.workflows.records import MatchingRecord, count_matching, list_matching
from bot.workflows.runner import NotifierFor
from bot.workflows.samples import install_sample
from bot.workflows.schedules import InvalidSchedule, ParsedSchedule, parse_schedule
from bot.workflows.stored import definition_of
from bot.workflows.workflow_files import (
    InvalidWorkflowFile,
    dump_workflows,
    parse_workflow_documents,
    read_workflow_file,
)
from bot.workflows.workspaces import AmbiguousWorkspace, adopt_local_workspace, resolve_team
from storage.database import make_engine, session_factory, transaction, upgrade
from storage.models import WorkflowStatus
from storage.object_types import ObjectTypeRepository, UnknownObjectType
from storage.runs import RunRepository
from storage.workflows import WorkflowRepository

USAGE_ERROR = 2


@dataclass
class Context:
    """What every command needs, built lazily so ``--help`` never touches the database."""

    settings: Settings
    clock: Clock
    _engine: Engine | None = None
    _notifiers: NotifierFor | None = None
    _installations: Installations | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def migrate(self) -> None:
        upgrade(self.engine)

    @property
    def installations(self) -> Installations | None:
        """The workspaces that installed the app, when it serves several; else None."""
        if self.settings.slack_mode != "oauth":
            return None
        if self._installations is None:
            self._installations = Installations(self.settings, self.engine)
        return self._installations

    def workflow_engine(self) -> WorkflowEngine:
        self._notifiers = self._notifiers or self._make_notifiers()  # before any thread asks
        return WorkflowEngine(self.sessions, self.clock, self.notifier_for)

    def notifier_for(self, team_id: str) -> Notifier:
        """How runs of a workspace send messages: with the workspace's own bot token when
        the app serves several, else with SLACK_BOT_TOKEN, else to the console."""
        self._notifiers = self._notifiers or self._make_notifiers()
        return self._notifiers(team_id)

    def _make_notifiers(self) -> NotifierFor:
        installations = self.installations
        if installations is not None:
            return WorkspaceNotifiers.posting_to_slack(installations, self.settings)
        token = self.settings.slack_bot_token
        notifier: Notifier = (
            ConsoleNotifier()
            if token is None
            else SlackNotifier(make_web_client(token, self.settings.slack_api_url))
        )
        return lambda _team_id: notifier

    @contextmanager
    def workspace(self, team: str | None) -> Iterator[tuple[Session, str]]:
        """A transaction on a migrated database and the team it acts on."""
        self.migrate()
        with transaction(self.sessions) as session:
            team_id = resolve_team(session, team or self.settings.team_id)
            ObjectTypeRepository(session).ensure_built_ins(team_id, self.clock.now())
            yield session, team_id


def fail(problems: list[str] | str) -> NoReturn:
    """Prints what was wrong and exits with the usage-error status, never a traceback."""
    for problem in [problems] if isinstance(problems, str) else problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(USAGE_ERROR)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Scheduled workflows for your records, run from Slack."""
    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        fail(error.problems)
    settings.configure_logging()
    ctx.obj = Context(settings=settings, clock=SystemClock())
    ctx.call_on_close(lambda: ctx.obj._engine and ctx.obj._engine.dispose())


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(context: Context) -> None:
    """Apply pending migrations (serve does this at start too)."""
    context.migrate()
    click.echo("Database is up to date.")


@main.command()
@click.option(
    "--role",
    type=click.Choice(["all", "web", "scheduler"]),
    default="all",
    show_default=True,
    help="Run the scheduler, the Slack endpoint, or both in this process.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Run what is due now, then exit (for cron-style operation and checks).",
)
@click.pass_obj
def serve(context: Context, role: str, once: bool) -> None:
    """Run the bot until interrupted (Ctrl-C or SIGTERM)."""
    context.migrate()
    settings = context.settings
    if context.installations is not None:
        client: WebClient | None = _start_installed_workspaces(context, role)
    else:
        client = _start_one_workspace(context, role, once)
    if once:
        executed = context.workflow_engine().tick()
        click.echo(f"Ran {len(executed)} run(s) that were due.")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = None
    if role in ("all", "scheduler"):
        scheduler = Scheduler(context.workflow_engine(), context.clock)
        scheduler.start()
    connection = None
    if role in ("all", "web"):
        services = Services.build(
            context.sessions,
            context.clock,
            settings,
            scheduler.wake_now if scheduler else lambda: None,
            # Manual enrollments from Slack run at once, with the scheduler's notifier.
            run_now=(scheduler.engine if scheduler else context.workflow_engine()).run_now,
            installations=context.installations,
        )
        health = Health(context.sessions, context.clock, scheduler)
        connection = SlackConnection(services, health, client, settings.port)
        connection.start()
        click.echo(f"Listening on port {connection.http.port}.")
    stop.wait()
    click.echo("Stopping: letting the current action finish.")
    if connection is not None:
        connection.stop()
    if scheduler is not None:
        scheduler.shutdown()


def _start_one_workspace(context: Context, role: str, once: bool) -> WebClient | None:
    """Finds the workspace of SLACK_BOT_TOKEN (auth.test) and moves into it what was imported
    before Slack was connected; prints the banner. The Web API client of the bot token, or
    None without Slack credentials."""
    settings = context.settings
    try:
        slack = workspace_of(settings)
    except SlackUnreachable as error:
        fail(str(error))
    if slack is not None:
        with transaction(context.sessions) as session:
            if adopt_local_workspace(session, slack[1]):
                click.echo(f"Records and workflows imported before Slack now belong to {slack[1]}.")
    with context.workspace(slack[1] if slack else None) as (session, team_id):
        types = ObjectTypeRepository(session).names(team_id)
        sample = None
        if settings.slack_mode == "console" and not once:
            sample = install_sample(
                session, team_id, context.clock.now(), settings.default_timezone
            )
    workspace = f"{team_id}; object types: {', '.join(types)}"
    click.echo(banner(settings, workspace, role))
    if sample is not None:
        click.echo(
            f"This database had no workflows: the sample {sample.workflow_name!r} and five "
            f"sample deals were imported. It runs at {sample.runs_at:%H:%M} "
            f"({sample.runs_at.tzname()}); its messages will be printed below."
        )
    return slack[0] if slack else None


def _start_installed_workspaces(context: Context, role: str) -> WebClient:
    """Several workspaces install the app (OAuth): there is no bot token to ask auth.test
    about, and nothing imported before Slack moves into a workspace, since the first to
    install may be anyone's; prints the banner. The App's client, without a token."""
    assert context.installations is not None
    teams = context.installations.teams()
    installed = f"{len(teams)} installed ({', '.join(teams)})" if teams else "none installed yet"
    click.echo(banner(context.settings, f"{installed}; add one at {INSTALL_PATH}", role))
    return app_client(context.settings)


def banner(settings: Settings, workspace: str, role: str = "all") -> str:
    """What serve prints at start; ``workspace`` describes the workspace(s) it serves."""
    oauth = settings.slack_mode == "oauth"
    lines = [
        f"workflow-bot ({role})",
        f"  database: {settings.database_url}",
        f"  {'workspaces' if oauth else 'workspace'}: {workspace}",
    ]
    if settings.slack_mode == "console":
        lines += [
            "",
            "No Slack credentials are set: every message is printed here instead of posted.",
            "To connect Slack:",
            "  1. Create an app at api.slack.com/apps from manifest.yml (see README).",
            "  2. Install it to your workspace and copy the bot token (xoxb-...).",
            "  3. Put SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or",
            "     SLACK_SIGNING_SECRET (HTTP) in .env, then run `make run` again.",
        ]
    elif oauth:
        lines.append(
            "  Slack: oauth mode (several workspaces); each workspace's messages are posted "
            "with its own bot token."
        )
    else:
        lines.append(f"  Slack: {settings.slack_mode} mode; messages are posted to Slack.")
    if role in ("all", "web"):
        endpoint = {
            "http": "/slack/events and /healthz",
            "oauth": f"/slack/events, {INSTALL_PATH}, {REDIRECT_PATH} and /healthz",
        }.get(settings.slack_mode, "/healthz")
        lines.append(f"  HTTP: {endpoint} on port {settings.port}.")
        if settings.slack_mode != "console":
            lines.append("  Type /workflow help in Slack to start.")
    if role in ("all", "scheduler"):
        lines.append("Scheduler started: workflows run at their scheduled times. Ctrl-C stops.")
    return "\n".join(lines)


@main.group()
def records() -> None:
    """Import, list and count records."""


CRITERIA_HELP = (
    'Criteria JSON, e.g. \'{"any": [{"all": [{"property": "amount", "operator": "gte", '
    '"value": 5000}]}]}\', {} for every record, or @FILE to read it from a file.'
)


@records.command("list")
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--criteria", "criteria_option", help=f"{CRITERIA_HELP} Default: {{}}.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--team", help="Slack team id; needed when the database serves several.")
@click.pass_obj
def records_list(
    context: Context, type_name: str, criteria_option: str | None, limit: int, team: str | None
) -> None:
    """List the records of a type that match criteria, by name."""
    criteria = read_criteria(criteria_option)
    now = context.clock.now().astimezone(ZoneInfo(context.settings.default_timezone))
    with query_errors(), context.workspace(team) as (session, team_id):
        total = count_matching(session, team_id, type_name, criteria, now)
        found = list_matching(session, team_id, type_name, criteria, now, limit)
    if not found:
        click.echo(f"No {type_name} match.")
        return
    click.echo(records_table(found))
    click.echo(f"\n{len(found)} of {total} matching {type_name} shown.")


@records.command("count")
@click.option("--type", "type_name", required=True, help="Object type, e.g. deals.")
@click.option("--criteria", "criteria_option", required=True, help=CRITERIA_HELP)
@click.option("--team", help="Slack team id; needed when the database serves several.")
@click.pass_obj
def records_count(context: Context, type_name: str, criteria_option: str, team: str | None) -> None:
    """Print how many records of a type match criteria."""
    criteria = read_criteria(criteria_option)
    now = context.clock.now().astimezone(ZoneInfo(context.settings.default_timezone))
    with query_errors(), context.workspace(team) as (session, team_id):
        click.echo(count_matching(session, team_id, type_name, criteria, now))


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of an @FILE option, or a usage error naming the file and the cause."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the {what} file {str(path)!r}: {error}")


def read_criteria(option: str | None) -> object:
    """The decoded ``--criteria`` JSON, given inline or as @FILE; ``{}`` when omitted."""
    if option is None:
        return {}
    text = read_text_file(Path(option[1:]), "criteria") if option.startswith("@") else option
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        fail(
            f"--criteria is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno} (character {error.pos + 1})"
        )


@contextmanager
def query_errors() -> Iterator[None]:
    """Turns the errors a user can fix into messages and exit status 2."""
    try:
        yield
    except UnknownObjectType as error:
        fail(f"there is no object type {error.name!r}; known types: {', '.join(error.known)}")
    except InvalidCriteria as error:
        fail(error.problems)
    except AmbiguousWorkspace as error:
        fail(str(error))


def records_table(found: list[MatchingRecord]) -> str:
    header = ("EXTERNAL ID", "NAME", "OWNER", "PROPERTIES")
    rows = [header] + [
        (
            _cell(r.external_id),
            _cell(r.name),
            _cell(r.owner or "-"),
            ", ".join(f"{k}={_cell(_shown(v))}" for k, v in sorted(r.properties.items())),
        )
        for r in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join([*(row[c].ljust(widths[c]) for c in range(3)), row[3]]).rstrip() for row in rows
    )


def _shown(value: object) -> str:
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
@click.option("--team", help="Slack team id; needed when the database serves several.")
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
    team: str | None,
) -> None:
    """Create or update records from a CSV or JSON Lines file, matched by id.

    Every row is checked before anything is written: a file with invalid rows imports
    nothing (exit status 1) unless --skip-invalid is given.
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
        with context.workspace(team) as (session, team_id):
            report = import_records(session, team_id, file, options, context.clock.now())
    echo_import_report(report)
    if not report.written:
        sys.exit(1)


@contextmanager
def import_errors() -> Iterator[None]:
    """Usage errors exit with status 2; a file that cannot be imported as a whole with 1."""
    try:
        yield
    except (UnknownObjectType, AmbiguousWorkspace, ImportOptionError, UnknownFileFormat) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read {error.filename or 'the file'}: {error.strerror or error}")
    except (RecordFileError, ImportConflict) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def echo_import_report(report: ImportReport) -> None:
    for problem in report.problems[:SHOWN_PROBLEMS]:
        click.echo(str(problem), err=True)
    if report.rejected > SHOWN_PROBLEMS:
        click.echo(f"... and {report.rejected - SHOWN_PROBLEMS} more invalid rows", err=True)
    if not report.written:
        click.echo(
            f"Nothing was imported: {report.rejected} rows are invalid. Fix them, or pass "
            "--skip-invalid to import the valid rows.",
            err=True,
        )
    elif report.new_properties:
        declared = ", ".join(f"{name} ({t})" for name, t in report.new_properties.items())
        click.echo(f"new properties: {declared}")
    click.echo(report.summary())


@main.group()
def schedule() -> None:
    """Check workflow schedules: their next runs, and what they mean."""


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


def read_schedules(
    option: str, default_timezone: str, now: datetime
) -> list[tuple[str, ParsedSchedule]]:
    """The schedules of ``--spec`` validated as of ``now``, each with the label its messages
    start with; warnings go to stderr, and any problem exits with status 2."""
    parsed: list[tuple[str, ParsedSchedule]] = []
    problems: list[str] = []
    for label, text in spec_texts(option):
        try:
            result = parse_schedule(json.loads(text), default_timezone, now)
        except json.JSONDecodeError as error:
            problems.append(f"{label}not valid JSON: {error.msg} at column {error.colno}")
            continue
        except InvalidSchedule as error:
            problems += [f"{label}{message}" for message in error.messages]
            continue
        parsed.append((label, result))
        for warning in result.warnings:
            click.echo(f"warning: {label}{warning}", err=True)
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


# --- workflows ------------------------------------------------------------------------------

TEAM_OPTION = click.option("--team", help="Slack team id; needed when the database serves several.")


@main.group()
def workflows() -> None:
    """Manage workflows as files, run them now, enroll records by hand."""


@contextmanager
def workflow_errors() -> Iterator[None]:
    """Turns every error a user can fix into its message and exit status 2."""
    try:
        yield
    except (InvalidDefinition, InvalidWorkflowFile) as error:
        fail(error.problems)
    except (WorkflowError, UnknownObjectType, AmbiguousWorkspace) as error:
        fail(str(error))


@workflows.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@TEAM_OPTION
@click.pass_obj
def workflows_import(context: Context, file: Path, team: str | None) -> None:
    """Create or update the workflows of a YAML file (all of them, or none)."""
    now = context.clock.now()
    with workflow_errors(), context.workspace(team) as (session, team_id):
        documents = read_workflow_file(file)
        if not documents:
            fail(f"{file} holds no workflow: write one mapping, or a list of them.")
        object_types = ObjectTypeRepository(session)
        types = {
            name: object_types.property_types(object_types.get(team_id, name).id)
            for name in object_types.names(team_id)
        }
        parsed = parse_workflow_documents(documents, types, context.settings.default_timezone, now)
        for result in parsed:
            for warning in result.warnings:
                click.echo(f"warning: {warning}", err=True)
        for document in documents:
            saved = save_workflow(
                session, team_id, document, CLI_ACTOR, context.settings.default_timezone, now
            )
            verb = "created" if saved.created else f"updated to revision {saved.revision}"
            click.echo(f"{document['name']}: {verb}; next run {_instant(saved.next_run_at)}")


@workflows.command("export")
@click.argument("name", required=False)
@TEAM_OPTION
@click.pass_obj
def workflows_export(context: Context, name: str | None, team: str | None) -> None:
    """Print one workflow (or all) in the YAML file format."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        chosen = (
            [get_workflow(session, team_id, name)]
            if name
            else WorkflowRepository(session).in_team(team_id)
        )
        documents = [to_document(definition_of(session, workflow)) for workflow in chosen]
    click.echo(dump_workflows(documents), nl=False)


@workflows.command("list")
@TEAM_OPTION
@click.pass_obj
def workflows_list(context: Context, team: str | None) -> None:
    """Every workflow with its status, schedule and next run."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        found = list_workflows(session, team_id)
        if not found:
            click.echo("No workflows yet: import one with `workflow-bot workflows import FILE`.")
        for line in found:
            next_run = line.next_run.isoformat() if line.next_run else "none"
            click.echo(
                f"{line.name} [{line.status}] {line.object_type}: {line.schedule}; "
                f"next run {next_run}"
            )


@workflows.command("show")
@click.argument("name")
@TEAM_OPTION
@click.pass_obj
def workflows_show(context: Context, name: str, team: str | None) -> None:
    """A workflow's definition, its next runs and its latest runs."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        details = workflow_details(session, team_id, name, context.clock.now())
        click.echo(dump_workflows([to_document(details.definition)]), nl=False)
        click.echo(f"# {details.line.schedule}; revision {details.line.revision}")
        if details.upcoming:
            click.echo("# next runs: " + " ".join(at.isoformat() for at in details.upcoming))
        for run in details.runs:
            click.echo(f"# run {run.id}: {run.describe()}")


@workflows.command("history")
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@TEAM_OPTION
@click.pass_obj
def workflows_history(context: Context, name: str, limit: int, team: str | None) -> None:
    """The latest runs of a workflow, newest first."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        for run in run_history(session, get_workflow(session, team_id, name), limit):
            click.echo(f"run {run.id}: {run.describe()}")


@workflows.command("run")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what would happen; post and record nothing.")
@TEAM_OPTION
@click.pass_obj
def workflows_run(context: Context, name: str, dry_run: bool, team: str | None) -> None:
    """Run a workflow now for every record matching its criteria."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        if dry_run:
            preview = preview_run(session, team_id, name, context.clock.now())
            click.echo(f"{preview.matching} records match now. Dry run: nothing is posted.")
            for line in preview.lines:
                click.echo(line)
            return
        run_id = request_run(session, team_id, name, CLI_ACTOR, context.clock.now())
    _run_and_report(context, run_id)


@workflows.command("enroll")
@click.argument("name")
@click.argument("record_ids", nargs=-1, required=True)
@TEAM_OPTION
@click.pass_obj
def workflows_enroll(
    context: Context, name: str, record_ids: tuple[str, ...], team: str | None
) -> None:
    """Enroll records by id: the workflow's actions run for them now."""
    with workflow_errors(), context.workspace(team) as (session, team_id):
        run_id = enroll_records(
            session, team_id, name, list(record_ids), CLI_ACTOR, context.clock.now()
        )
    _run_and_report(context, run_id)


def _status_command(status: WorkflowStatus, verb: str) -> click.Command:
    @click.argument("name")
    @TEAM_OPTION
    @click.pass_obj
    def command(context: Context, name: str, team: str | None) -> None:
        with workflow_errors(), context.workspace(team) as (session, team_id):
            workflow = set_status(session, team_id, name, status, CLI_ACTOR, context.clock.now())
            click.echo(f"{workflow.name} is {status}; next run {_instant(workflow.next_run_at)}")

    command.__doc__ = f"{verb} a workflow; it takes effect at once."
    return click.command((status is WorkflowStatus.ACTIVE and "activate") or "pause")(command)


workflows.add_command(_status_command(WorkflowStatus.PAUSED, "Pause"))
workflows.add_command(_status_command(WorkflowStatus.ACTIVE, "Activate"))


@workflows.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@TEAM_OPTION
@click.pass_obj
def workflows_delete(context: Context, name: str, yes: bool, team: str | None) -> None:
    """Delete a workflow and its run history."""
    if not yes:
        click.confirm(f"Delete {name!r} and its run history?", abort=True)
    with workflow_errors(), context.workspace(team) as (session, team_id):
        delete_workflow(session, team_id, name, CLI_ACTOR)
    click.echo(f"{name} deleted.")


def _run_and_report(context: Context, run_id: int) -> None:
    status = context.workflow_engine().run_now(run_id)
    with transaction(context.sessions) as session:
        run = RunRepository(session).get(run_id)
        assert run is not None
        summary = dict(run.summary)
    if status is None:
        click.echo(f"Run {run_id} could not finish now (Slack unavailable); it will resume.")
        sys.exit(1)
    click.echo(
        f"Run {run_id} {status}: {summary.get('enrolled', 0)} enrolled; actions "
        f"{summary.get('ok', 0)} ok, {summary.get('failed', 0)} failed, "
        f"{summary.get('skipped', 0)} skipped."
    )
    for record_name, action_number, reason in summary.get("failures", []):
        click.echo(f"  {record_name}, action {action_number}: {reason}")


def _instant(instant: datetime | None, zone: ZoneInfo | None = None) -> str:
    if instant is None:
        return "none"
    return instant.astimezone(zone).isoformat() if zone else instant.isoformat()
