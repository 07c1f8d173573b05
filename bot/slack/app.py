"""create_app: the Bolt app with its listeners, the error handler and the redelivery guard.

Importing this module builds nothing; the command line calls create_app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization.authorize import Authorize, InstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.slack import errors, handoff
from bot.slack.after_ack import AfterAck
from bot.slack.deliveries import first_delivery
from bot.slack.installations import NOT_INSTALLED_MESSAGE, Installations
from bot.slack.listeners import (
    commands,
    enrollment,
    explanations,
    history,
    home,
    revocation,
    sharing,
    summary_actions,
    wizard,
)
from bot.slack.response_url import check_responses
from bot.slack.services import Services

log = logging.getLogger(__name__)

# Listeners run on this pool (bot.slack.handoff), and Slack is answered once one called
# ack(): when every thread is busy with earlier work (database, Web API calls), a new
# request cannot even be acknowledged. Bolt's default of 5 threads is too few for 20 people
# at once.
LISTENER_THREADS = 32


def create_app(
    services: Services,
    client: WebClient,
    *,
    process_before_response: bool = False,
    after_ack: AfterAck | None = None,
    ack_wait_s: float = handoff.ACK_WAIT_S,
) -> App:
    """``client`` carries the token, base URL and retry handlers; Bolt copies them into the
    client of every request. The signing secret is always checked on HTTP requests (Socket
    Mode requests arrive over the authenticated socket instead).

    With ``services.installations`` (several workspaces) ``client`` has no token: Bolt finds
    each request's workspace token in the installation store, and serves the OAuth install
    paths, calling oauth.v2.access with this client (so at its base URL).

    ``process_before_response``: Slack is answered once every listener's work is done, its
    work after the ack included (a profile wants all of a request's work in its thread);
    otherwise at the ack, the rest going on in the listener pool and the after-ack pool.

    ``ack_wait_s``: how long a command, action or submission waits for its listener's ack
    before Bolt answers it as unhandled (an event is acked at once; with
    ``process_before_response`` nothing waits for an ack). Slack's own limit, which only
    tests on a loaded machine lengthen."""
    installations = services.installations
    bolt_logger = logging.getLogger("slack_bolt")
    with _client_given_on_purpose(bolt_logger):
        app = _bolt_app(services, client, installations, bolt_logger)
    errors.register(app)
    if not process_before_response:
        app.middleware(_hand_listeners_to(app.listener_runner.listener_executor, ack_wait_s))
    app.middleware(check_responses)
    if installations is None:
        app.middleware(_only_the_installed_workspace())
    app.middleware(_skip_redeliveries(services))
    # Slack waits for the whole listener then: so then does its after-ack work.
    if process_before_response:
        after_ack = AfterAck(0)
    elif after_ack is None:
        after_ack = AfterAck()
    commands.register(app, services, after_ack)
    wizard.register(app, services)
    home.register(app, services)
    history.register(app, services)
    summary_actions.register(app, services)
    explanations.register(app, services)
    enrollment.register(app, services)
    revocation.register(app, services)
    sharing.register(app, services)
    return app


def _bolt_app(
    services: Services,
    client: WebClient,
    installations: Installations | None,
    bolt_logger: logging.Logger,
) -> App:
    """Bolt answers Slack when the listener function returns (process_before_response):
    listeners that go on after their ack hand themselves to the listener pool first, and
    return at their ack (bot.slack.handoff)."""
    return App(
        client=client,
        signing_secret=services.settings.slack_signing_secret or "",
        oauth_settings=installations.oauth_settings() if installations else None,
        # Bolt accepts an Authorize instance here; its annotation only names plain functions.
        authorize=_cached_authorize(installations, client) if installations else None,  # type: ignore[arg-type]
        # What someone reads who uses the bot in a workspace without an installation.
        user_facing_authorize_error_message=NOT_INSTALLED_MESSAGE if installations else None,
        process_before_response=True,
        request_verification_enabled=True,
        logger=bolt_logger,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
    )


class _TokenSkippedWarning(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." Bolt reads
    SLACK_BOT_TOKEN from the environment itself when no token is passed, then warns that
    the client wins; the client is given on purpose (base URL, retry handlers) and holds the
    token it needs, or none with several workspaces."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


@contextmanager
def _client_given_on_purpose(bolt_logger: logging.Logger) -> Iterator[None]:
    quiet = _TokenSkippedWarning()
    bolt_logger.addFilter(quiet)
    try:
        yield
    finally:
        bolt_logger.removeFilter(quiet)


def _cached_authorize(installations: Installations, client: WebClient) -> Authorize:
    """Finds each request's workspace token in the store, as Bolt does by default, but keeps
    Slack's auth.test answer per token instead of asking on every request. Safe on
    uninstall: the store no longer has the token, so a cached answer is never reached."""
    return InstallationStoreAuthorize(
        installation_store=installations.store,
        client_id=installations.client_id,
        client_secret=installations.client_secret,
        bot_only=True,
        cache_enabled=True,
        client=client,
        logger=logging.getLogger("slack_bolt"),
    )


def _only_the_installed_workspace() -> Callable[..., BoltResponse | None]:
    """With one workspace's bot token, a request about another workspace is refused: its
    records and workflows would be that team's, run with this workspace's token. Slack
    Connect users from other organisations still act here: their requests name this
    workspace (Bolt's context.team_id) and only their user's team differs."""
    refused: set[str] = set()
    lock = threading.Lock()

    def middleware(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        installed = context.authorize_result.team_id if context.authorize_result else None
        team = context.team_id
        if installed is None or team is None or team == installed:
            return next()
        with lock:
            first = team not in refused
            refused.add(team)
        if first:  # once per team: a misdirected app would otherwise fill the log
            log.warning(
                "refused requests for workspace %s: this bot serves %s only (its token's "
                "workspace); install a separate app there, or serve several workspaces "
                "with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
                team,
                installed,
            )
        return BoltResponse(status=403, body="This app serves another workspace.")

    return middleware


def _skip_redeliveries(services: Services) -> Callable[..., BoltResponse | None]:
    """Answers a redelivered event (Slack retries when our answer was late or lost) without
    acting on it again: the first delivery is being or was handled."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        team_id, now = str(body.get("team_id")), services.clock.now()
        first = first_delivery(services.work, team_id, str(event_id), now)
        if not first:
            log.info("event %s was delivered again; already handled", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def _hand_listeners_to(pool: Executor, ack_wait_s: float) -> Callable[..., BoltResponse | None]:
    """Puts the listener pool, and how long to wait for an ack, in every request's context,
    where errors.reported finds them."""

    def hand_listeners_to(
        context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        context[handoff.POOL] = pool
        context[handoff.ACK_WAIT_KEY] = ack_wait_s
        return next()

    return hand_listeners_to
