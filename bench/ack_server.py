"""A Slack endpoint served alone in a process of its own for the acknowledgement benchmark:
the bot's app (``ours``) or a Bolt app whose listeners only ack (``minimal``), both on the
bot's waitress server. Prints its port once it serves; stops when its stdin closes.

python -m bench.ack_server ours|minimal --slack-url URL [--database-url URL] [--workers N]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.commands.serving import GC_THRESHOLDS
from bot.settings import Settings
from bot.slack.ids import SLASH_COMMAND, View
from bot.slack.notifier import make_web_client
from bot.slack.server import (
    EVENTS_PATH,
    Health,
    HttpServer,
    answer_slack_promptly,
    wsgi_application,
)
from bot.workflows.clock import SystemClock
from storage.database import make_engine, session_factory

TOKEN = "xoxb-ack-bench-token"
SIGNING_SECRET = "ack-bench-signing-secret"
HOST = "127.0.0.1"

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def ours(database_url: str, slack_url: str) -> WSGIApplication:
    """The bot's app as ``serve --role web`` builds it (production mode: Bolt acks before
    the listener's work is done wherever the listener acks first)."""
    return bot_app(make_engine(database_url), database_url, slack_url)


def bot_app(
    engine: Engine, database_url: str, slack_url: str, *, process_before_response: bool = False
) -> WSGIApplication:
    """The bot's app behind its request gate, on ``engine``; with
    ``process_before_response`` Bolt answers once the listener is done (all of a request's
    work in its own thread, as a profile wants it)."""
    # Imported here: the minimal app's process never loads the bot's listeners.
    from bot.slack.app import create_app
    from bot.slack.request_gate import RequestGate
    from bot.slack.services import Services

    sessions = session_factory(engine)
    clock = SystemClock()
    settings = Settings(
        database_url=database_url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_url,
    )
    services = Services.build(sessions, clock, settings)
    app = create_app(
        services,
        make_web_client(TOKEN, slack_url),
        process_before_response=process_before_response,
    )
    gate = RequestGate(SIGNING_SECRET, sessions)
    return wsgi_application(app, Health(sessions, clock, None), gate)


def minimal(slack_url: str) -> WSGIApplication:
    """The baseline: the same commands and submissions, acknowledged and nothing else, on
    Bolt's own WSGI adapter (Bolt checks the signature; no request log)."""
    app = App(
        token=TOKEN,
        signing_secret=SIGNING_SECRET,
        client=make_web_client(TOKEN, slack_url),
        token_verification_enabled=False,
    )

    @app.command(SLASH_COMMAND)
    def command(ack: Ack) -> None:
        ack()

    @app.view(View.WIZARD)
    def submission(ack: Ack) -> None:
        ack()

    return SlackRequestHandler(app, EVENTS_PATH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["ours", "minimal"])
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--workers", type=int, default=1, help="serve in this many gunicorn worker processes"
    )
    args = parser.parse_args()
    for name in [name for name in os.environ if name.startswith("SLACK_")]:
        del os.environ[name]  # App() would read them
    logging.basicConfig(level=logging.WARNING)
    # 20 users on 16 server threads queue by design; waitress warns of every queued request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if args.app == "ours" and not args.database_url:
        parser.error("ours needs --database-url")
    if args.app == "ours":
        gc.set_threshold(*GC_THRESHOLDS)  # as serve sets them

    def build() -> WSGIApplication:
        if args.app == "ours":
            return ours(args.database_url, args.slack_url)
        return minimal(args.slack_url)

    if args.workers > 1:
        serve_in_workers(build, args.workers)
        return
    answer_slack_promptly()  # as serve's Slack endpoint does
    server = HttpServer(build(), HOST, 0).start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    server.stop()


def serve_in_workers(build: Callable[[], WSGIApplication], workers: int) -> None:
    """As `serve --role web` with WEB_WORKERS: gunicorn's workers each build the app after
    the fork. Prints the port once it is bound; stops when stdin closes."""
    from bot.slack.web_workers import WebWorkers

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    arbiter_pid = os.getpid()

    def stop_on_stdin_close() -> None:
        sys.stdin.read()
        os.kill(arbiter_pid, signal.SIGTERM)

    def listening() -> None:
        print(port, flush=True)
        threading.Thread(target=stop_on_stdin_close, daemon=True).start()

    WebWorkers(build, HOST, port, workers, listening, lambda: None).serve()


if __name__ == "__main__":
    main()
