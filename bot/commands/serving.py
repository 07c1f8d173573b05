"""``workflow-bot serve``: starts the scheduler and the Slack endpoint of the workspace(s) it
serves, and the banner it prints at start."""

from __future__ import annotations

import gc
import signal
import socket
import threading
from typing import TYPE_CHECKING

import click
from slack_sdk import WebClient

from bot.commands.context import Context, fail
from bot.commands.failures import RUN_TIME_FAILURE, CommandFailure, masked, port_unavailable
from bot.commands.samples import removal_report
from bot.database_outage import DatabaseOutage
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack.after_ack import AfterAck
from bot.slack.connection import (
    HOST,
    SlackConnection,
    SlackCredentialsRefused,
    SlackUnreachable,
    check_app_token,
    http_application,
    workspace_of,
)
from bot.slack.ids import SLASH_COMMAND
from bot.slack.installations import INSTALL_PATH, REDIRECT_PATH, app_client
from bot.slack.server import Health, HttpServer, wsgi_application
from bot.slack.services import Services
from bot.slack.web_workers import WebWorkers
from bot.workflows import samples
from bot.workflows.readable import plural
from storage.database import open_pool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


# Allocations between collections of the youngest generation, CPython's default 700 times
# fourteen, for a process that serves (not --once). Measured in-process, 1,000 runs due at
# once collected the young generation 99 times and the whole heap (the parsed definitions
# of every workflow due) once, 10% of the tick's CPU with what collecting evicts from the
# caches; with these, once and never. Inherited by the web workers' forks.
GC_THRESHOLDS = (10_000, 10, 10)


@click.command()
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
    settings = context.settings
    # Serving Slack with part of its credentials would silently serve nothing; a scheduler
    # (or --once) needs only the bot token, to post.
    if serves_slack(role, once):
        if (problem := partial_slack_credentials(settings)) is not None:
            fail(problem)
        check_port_free(settings.port, "PORT")
    elif not once:
        check_port_free(settings.health_port, "HEALTH_PORT")
    context.migrate()
    if context.installations is not None:
        client: WebClient | None = _start_installed_workspaces(context, role, once)
    else:
        client = _start_one_workspace(context, role, once)
    if once:
        executed = context.workflow_engine().tick()
        due = len(executed)
        click.echo(f"Ran {plural(due, 'run')} that {'was' if due == 1 else 'were'} due.")
        return
    gc.set_threshold(*GC_THRESHOLDS)
    if role == "web" and settings.web_workers > 1 and settings.slack_mode in ("http", "oauth"):
        _serve_with_workers(context, client)
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # One of each per process: the scheduler and the HTTP endpoints share them.
    outage = DatabaseOutage(context.sessions, context.clock)
    metrics = Metrics(outage)
    scheduler = health_server = None
    if role in ("all", "scheduler"):
        scheduler = Scheduler(context.workflow_engine(metrics), context.clock, outage=outage)
        scheduler.start()
    if role == "scheduler":
        health = Health(context.sessions, context.clock, scheduler, outage)
        application = wsgi_application(None, health, None, metrics)
        try:
            health_server = HttpServer(application, HOST, settings.health_port).start()
        except OSError as error:  # taken since check_port_free looked
            raise port_unavailable(settings.health_port, "HEALTH_PORT", error) or error from None
        click.echo(f"Listening on port {health_server.port} (/healthz and /metrics).")
    connection = None
    if role in ("all", "web"):
        services = Services.build(
            context.sessions,
            context.clock,
            settings,
            scheduler.wake_now if scheduler else lambda: None,
            # Manual enrollments from Slack run at once, with the scheduler's notifier.
            run_now=(scheduler.engine if scheduler else context.workflow_engine(metrics)).run_now,
            installations=context.installations,
        )
        health = Health(context.sessions, context.clock, scheduler, outage)
        try:
            connection = SlackConnection(services, health, client, settings.port, metrics)
        except OSError as error:  # taken since check_port_free looked
            raise port_unavailable(settings.port, "PORT", error) or error from None
        connection.start()
        click.echo(f"Listening on port {connection.http.port}.")
    stop.wait()
    click.echo("Stopping: letting the current action finish.")
    if connection is not None:
        connection.stop()
    if health_server is not None:
        health_server.stop()
    if scheduler is not None:
        scheduler.shutdown()


def _serve_with_workers(context: Context, client: WebClient | None) -> None:
    """``serve --role web`` in WEB_WORKERS processes on PORT: each builds its own Slack app,
    database pool and metrics after the fork; gunicorn replaces a worker that dies."""
    settings = context.settings
    context.engine.dispose()  # the workers open connections of their own
    # The worker's pool of answers after the ack (built after the fork, one per worker).
    after_ack: list[AfterAck] = []

    def build() -> WSGIApplication:
        outage = DatabaseOutage(context.sessions, context.clock)
        metrics = Metrics(outage)
        services = Services.build(
            context.sessions,
            context.clock,
            settings,
            # Manual enrollments run at once in the worker that took the request.
            run_now=context.workflow_engine(metrics).run_now,
            installations=context.installations,
        )
        health = Health(context.sessions, context.clock, None, outage)
        after_ack.append(AfterAck())
        application = http_application(services, health, client, metrics, after_ack[-1])
        open_pool(context.engine)  # before gunicorn hands the worker its first request
        return application

    def exiting() -> None:
        # Within gunicorn's graceful timeout: answers not started are dropped and their
        # users told to ask again.
        for pool in after_ack:
            pool.stop()

    workers = plural(settings.web_workers, "worker process", "worker processes")
    WebWorkers(
        build,
        HOST,
        settings.port,
        settings.web_workers,
        listening=lambda: click.echo(f"Listening on port {settings.port} ({workers})."),
        stopped=lambda: click.echo("Stopped."),
        exiting=exiting,
    ).serve()


def _start_one_workspace(context: Context, role: str, once: bool) -> WebClient | None:
    """Finds the workspace of SLACK_BOT_TOKEN (auth.test) and moves into it what was imported
    before Slack was connected; prints the banner. The Web API client of the bot token, or
    None without Slack credentials."""
    settings = context.settings
    try:
        slack = workspace_of(settings)
        if slack is not None and settings.slack_mode == "socket" and serves_slack(role, once):
            check_app_token(slack[0], str(settings.slack_app_token))
    except SlackCredentialsRefused as error:
        fail(str(error))
    except SlackUnreachable as error:
        raise CommandFailure(str(error), RUN_TIME_FAILURE) from error
    if slack is not None:
        # The sample was a demonstration without Slack: it never enters a workspace.
        connected = samples.connect_slack(context.work, slack[1], context.clock.now())
        if not connected.sample_removed.empty:
            click.echo(f"{removal_report(connected.sample_removed)} It stays out of {slack[1]}.")
        if connected.adopted:
            click.echo(f"Records and workflows imported before Slack now belong to {slack[1]}.")
    team_id = context.team(slack[1] if slack else None, from_slack=True)
    with_sample = settings.slack_mode == "console" and not once
    opened = samples.open_for_serving(
        context.work, team_id, context.clock.now(), settings.default_timezone, with_sample
    )
    sample = opened.sample
    workspace = f"{team_id}; object types: {', '.join(opened.object_types)}"
    click.echo(banner(settings, workspace, role, once))
    if sample is not None:
        click.echo(
            f"This database is new: the sample {sample.workflow_name!r} and "
            f"{sample.record_count} sample deals were imported. It runs at "
            f"{sample.runs_at:%H:%M} ({sample.runs_at.tzname()}); its messages will be printed "
            "below. Remove them with: workflow-bot sample remove"
        )
    return slack[0] if slack else None


def _start_installed_workspaces(context: Context, role: str, once: bool) -> WebClient:
    """Several workspaces install the app (OAuth): there is no bot token to ask auth.test
    about, and nothing imported before Slack moves into a workspace, since the first to
    install may be anyone's; prints the banner. The App's client, without a token."""
    assert context.installations is not None
    teams = context.installations.teams()
    installed = f"{len(teams)} installed ({', '.join(teams)})" if teams else "none installed yet"
    click.echo(banner(context.settings, f"{installed}; add one at {INSTALL_PATH}", role, once))
    return app_client(context.settings)


def serves_slack(role: str, once: bool) -> bool:
    """Whether serve listens for Slack on PORT: a scheduler process or --once only posts,
    with the bot token."""
    return role in ("all", "web") and not once


def check_port_free(port: int, variable: str) -> None:
    """Stops serve when another process listens on ``port``, before the banner says that
    the bot is running: binds it as the HTTP server will (reusing the addresses of closing
    connections, which do not stop the server either) and lets go at once."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise port_unavailable(port, variable, error) or error from None


_CREDENTIALS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


def partial_slack_credentials(settings: Settings) -> str | None:
    """Why serving would silently run without Slack although some of its credentials are
    set (a variable forgotten, or misspelled), naming what is missing; None otherwise."""
    values = (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)
    given = [name for name, value in zip(_CREDENTIALS, values, strict=True) if value]
    if settings.slack_mode != "console" or not given:
        return None
    unset = f"or unset {' and '.join(given)} to run without Slack"
    if given == ["SLACK_BOT_TOKEN"]:
        return (
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
            f"SLACK_SIGNING_SECRET (HTTP) is: set one of them to connect Slack, {unset}"
        )
    return (
        f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set but SLACK_BOT_TOKEN "
        f"(the Bot User OAuth Token, xoxb-...) is not: set it to connect Slack, {unset}"
    )


def banner(settings: Settings, workspace: str, role: str = "all", once: bool = False) -> str:
    """What serve prints at start; ``workspace`` describes the workspace(s) it serves;
    ``once``: serve --once, which runs what is due and exits."""
    oauth = settings.slack_mode == "oauth"
    lines = [
        f"workflow-bot ({role})",
        # The password stays in .env.
        f"  database: {masked(settings.database_url)} ({settings.database_origin})",
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
    if once:  # no HTTP endpoint and no scheduler: it runs what is due and exits
        lines.append("Running what is due now (--once), then exiting.")
        return "\n".join(lines)
    if role in ("all", "web"):
        endpoint = {
            "http": "/slack/events and /healthz",
            "oauth": f"/slack/events, {INSTALL_PATH}, {REDIRECT_PATH} and /healthz",
        }.get(settings.slack_mode, "/healthz")
        lines.append(f"  HTTP: {endpoint} and /metrics on port {settings.port}.")
        if settings.slack_mode != "console":
            lines.append(f"  Type {SLASH_COMMAND} help in Slack to start.")
    if role == "scheduler":
        lines.append(f"  HTTP: /healthz and /metrics on port {settings.health_port}.")
    if role in ("all", "scheduler"):
        lines.append("Scheduler started: workflows run at their scheduled times. Ctrl-C stops.")
    return "\n".join(lines)
