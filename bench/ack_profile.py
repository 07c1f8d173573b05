"""The acknowledgement benchmark's requests one at a time, in-process: CPU time per request by
kind (``/workflow list``, a wizard's first step submitted), statements per request, and
optionally a cProfile of each kind.

python -m bench.ack_profile [--databases sqlite,postgresql] [--requests 300] [--profile]

The bot's app as ``bench.ack_server`` builds it, behind the request gate, on the ack bench's
database (50 workflows, 3,000 deals), but with Bolt waiting for the listener
(process_before_response) so that all of a request's work is in this thread, the after-ack
answer included. The Web API stand-in and the server taking the list's replies run in this
process too: their CPU is counted, as the reply's round trip is part of a list's work.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, event

from bench.ack_bench import (
    COMMAND,
    DEALS,
    EVENTS_PATH,
    SUBMISSION,
    WORKFLOWS,
    Request,
    _ReplyServer,
    _user,
    command_request,
    seed,
    wizard_submissions,
)
from bench.ack_server import SIGNING_SECRET, TOKEN, bot_app
from bench.databases import DATA_DIR, empty_database
from bot.workflows.clock import SystemClock
from storage.database import session_factory

USERS = 20
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _environ(request: Request) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "CONTENT_TYPE": request.headers["Content-Type"],
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.url_scheme": "http",
    }
    for name, value in request.headers.items():
        if name != "Content-Type":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def send(application: WSGIApp, request: Request) -> str:
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    answer = application(_environ(request), start_response)
    b"".join(answer)
    close = getattr(answer, "close", None)
    if close is not None:
        close()
    return statuses[0]


@contextmanager
def slack_side() -> Iterator[tuple[str, str]]:
    """The Web API stand-in's URL and a response URL prefix, served in this process."""
    from tests.slack_standin import SlackStandIn

    standin = SlackStandIn(token=TOKEN)
    for number in range(USERS):
        standin.add_user(_user(number), tz="Europe/Paris")
    replies = _ReplyServer()
    thread = threading.Thread(target=replies.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with standin:
            yield standin.url, replies.url
    finally:
        replies.shutdown()
        thread.join()


def app_of(engine: Engine, url: str, slack_url: str) -> WSGIApp:
    # Bolt waits for the listener: all of a request's work in one thread, for the profile.
    return bot_app(engine, url, slack_url, process_before_response=True)  # type: ignore[return-value]


def requests_of(engine: Engine, replies_url: str, count: int) -> dict[str, list[Request]]:
    verifier = SignatureVerifier(SIGNING_SECRET)
    people = [_user(n) for n in range(USERS)]
    per_user = -(-count // USERS)
    submissions = wizard_submissions(
        session_factory(engine), {user: per_user for user in people}, verifier
    )
    return {
        COMMAND: [
            command_request(people[n % USERS], f"{replies_url}/response/{n}", verifier)
            for n in range(count)
        ],
        SUBMISSION: [r for user in people for r in submissions.by_user[user]][:count],
    }


def measure(kind: str, count: int, profile: bool, rounds: int) -> None:
    DATA_DIR.mkdir(exist_ok=True)
    with slack_side() as (slack_url, replies_url), empty_database(kind) as (engine, url):
        seed(engine, [_user(n) for n in range(USERS)], WORKFLOWS, DEALS, SystemClock().now())
        application = app_of(engine, url, slack_url)
        statements = [0]

        def counted(*_: Any) -> None:
            statements[0] += 1

        event.listen(engine, "before_cursor_execute", counted)
        warm = requests_of(engine, replies_url, 20)
        for request_kind in (COMMAND, SUBMISSION):
            for request in warm[request_kind]:
                send(application, request)
        for _ in range(rounds):
            batches = requests_of(engine, replies_url, count)
            for request_kind in (COMMAND, SUBMISSION):
                batch = batches[request_kind]
                profiler = cProfile.Profile() if profile else None
                statements[0] = 0
                cpu = time.process_time()
                if profiler:
                    profiler.enable()
                statuses = {send(application, request) for request in batch}
                if profiler:
                    profiler.disable()
                cpu = time.process_time() - cpu
                print(
                    f"| {kind} | {request_kind} | {len(batch)} | {cpu * 1000 / len(batch):.2f} "
                    f"| {statements[0] / len(batch):.1f} | {', '.join(sorted(statuses))} |",
                    flush=True,
                )
                if profiler:
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out)
                    stats.sort_stats("cumulative").print_stats(60)
                    print(out.getvalue(), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    args = parser.parse_args()
    print("| database | request | requests | CPU ms per request | statements | statuses |")
    print("|---|---|---:|---:|---:|---|")
    for kind in args.databases.split(","):
        measure(kind, args.requests, args.profile, args.rounds)


if __name__ == "__main__":
    main()
