"""GET /metrics on the web role, scraped over real HTTP and read with Prometheus's own
parser: runs by outcome, first-post lateness, Slack errors by code, acks by listener and the
age of the oldest waiting run move with what really happened."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from bot.database_outage import DatabaseOutage
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.request_gate import RequestGate
from bot.slack.server import Health, HttpServer, wsgi_application
from bot.slack.services import Services
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.lifecycle import CLI_ACTOR, request_run
from bot.workflows.sources import NewSource, add_source
from storage.database import write_transaction
from tests.engine.builders import (
    NAME,
    TEAM,
    channel_message,
    deal,
    import_deals,
    save,
    workflow_document,
)
from tests.slack.harness import QUICK_RETRIES, SIGNING_SECRET, TEST_ACK_WAIT_S, Slack
from tests.slack_standin import SlackStandIn

# A Monday; the workflow runs daily at 09:00 UTC.
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NOT_JOINED = "C0NOTJOINED"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> tuple[str, Samples]:
    """GET /metrics: its content type and every sample, by name and labels."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200
        body = response.read().decode()
        content_type = response.getheader("Content-Type") or ""
    finally:
        connection.close()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    return content_type, samples


def scrape_until(port: int, holds: Callable[[Samples], bool], timeout: float = 10.0) -> Samples:
    """Scrapes until ``holds``: an answer is counted once the server has sent it, so the
    count may trail the answer by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        _, samples = scrape(port)
        if holds(samples) or time.monotonic() > deadline:
            return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled counter that has not counted yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@dataclass
class Web:
    port: int
    engine: Engine
    clock: FixedClock
    slack: Slack


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def slack_api(clock: FixedClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=lambda: clock.now().timestamp()) as standin:
        yield standin


@pytest.fixture
def web(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn
) -> Iterator[Web]:
    """The web role as serve wires it: one Metrics for the app, the engine of manual runs
    and the HTTP endpoint."""
    metrics = Metrics(DatabaseOutage(sessions, clock))
    client = make_web_client(
        slack_api.token, slack_api.url, max_retries=1, retry_interval=QUICK_RETRIES
    )
    notifier = SlackNotifier(client, monotonic=lambda: 0.0, sleep=lambda _s: None)
    engine = Engine(sessions, clock, lambda _team: notifier, owner="web", observer=metrics)
    settings = Settings(
        slack_bot_token=slack_api.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )
    services = Services.build(sessions, clock, settings, run_now=engine.run_now)
    app = create_app(services, client, ack_wait_s=TEST_ACK_WAIT_S)
    gate = RequestGate(SIGNING_SECRET, sessions)
    application = wsgi_application(app, Health(sessions, clock, None), gate, metrics)
    server = HttpServer(application, "127.0.0.1", 0).start()
    try:
        yield Web(server.port, engine, clock, Slack(server.port, slack_api))
    finally:
        server.stop()
        app.listener_runner.listener_executor.shutdown(wait=True)


def test_a_run_moves_its_outcome_lateness_and_slack_errors(
    web: Web, sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], START)
    actions = [channel_message(), channel_message(channel=NOT_JOINED)]
    save(sessions, workflow_document(actions=actions), START)
    slack_api.fail("not_in_channel", channel=NOT_JOINED)
    content_type, before = scrape(web.port)
    assert content_type.startswith("text/plain")
    assert value(before, "workflow_bot_runs_total", outcome="succeeded") == 0

    web.clock.set(datetime(2026, 11, 2, 9, 0, 30, tzinfo=UTC))  # 30 s late
    [(_run_id, status)] = web.engine.tick()

    _, after = scrape(web.port)
    assert status is not None
    assert value(after, "workflow_bot_runs_total", outcome=status.value) == 1
    lateness = "workflow_bot_first_post_lateness_seconds"
    assert value(after, f"{lateness}_count", source="schedule") == 1
    assert value(after, f"{lateness}_sum", source="schedule") == 30
    assert value(after, f"{lateness}_bucket", source="schedule", le="15.0") == 0
    assert value(after, f"{lateness}_bucket", source="schedule", le="30.0") == 1
    # One refused message per deal, each named by Slack's error code.
    assert value(after, "workflow_bot_slack_errors_total", code="not_in_channel") == 2


def test_the_oldest_waiting_run_ages_until_a_process_takes_it(
    web: Web, sessions: sessionmaker[Session]
) -> None:
    import_deals(sessions, [deal("D1")], START)
    save(sessions, workflow_document(), START)
    _, idle = scrape(web.port)
    assert value(idle, "workflow_bot_oldest_pending_run_age_seconds") == 0
    assert value(idle, "workflow_bot_database_reachable") == 1

    with write_transaction(sessions) as session:
        request_run(session, TEAM, NAME, CLI_ACTOR, web.clock.now())
    web.clock.advance(timedelta(seconds=90))
    _, waiting = scrape(web.port)
    assert value(waiting, "workflow_bot_oldest_pending_run_age_seconds") == 90

    web.engine.tick()
    _, taken = scrape(web.port)
    assert value(taken, "workflow_bot_oldest_pending_run_age_seconds") == 0
    assert value(taken, "workflow_bot_runs_total", outcome="succeeded") == 1
    assert value(taken, "workflow_bot_first_post_lateness_seconds_count", source="manual") == 1


def test_a_failing_source_is_counted_by_its_kind_of_failure(
    web: Web, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_TEST_CRM_URL", raising=False)
    import_deals(sessions, [deal("D1")], START)
    with write_transaction(sessions) as session:
        every = timedelta(minutes=15)
        new = NewSource("crm", "deals", "METRICS_TEST_CRM_URL", "SELECT 1", "id", every=every)
        add_source(session, TEAM, new, START)

    web.clock.advance(every)  # its first periodic sync is due, and its URL is not set
    web.engine.tick()

    _, samples = scrape(web.port)
    errors = "workflow_bot_source_errors_total"
    assert value(samples, errors, source="crm", code="url_unset") == 1
    assert sum(v for (name, _), v in samples.items() if name == errors) == 1


def test_an_acked_slack_request_is_counted_by_its_listener(web: Web) -> None:
    _, before = scrape(web.port)
    listener = "command:/workflow"
    assert value(before, "workflow_bot_slack_acks_total", listener=listener, status="200") == 0

    assert web.slack.command("U0OWNER", "help").status == 200
    assert web.slack.send("payload=%7B%7D", signature="v0=forged").status == 401

    after = scrape_until(
        web.port, lambda s: value(s, "workflow_bot_slack_ack_seconds_count", listener=listener) > 0
    )
    assert value(after, "workflow_bot_slack_acks_total", listener=listener, status="200") == 1
    assert value(after, "workflow_bot_slack_ack_seconds_count", listener=listener) == 1
    # The forged request never reached a listener: nothing else was counted.
    acks = [v for (name, _), v in after.items() if name == "workflow_bot_slack_acks_total"]
    assert sum(acks) == 1


def test_each_process_counts_in_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()
    first.run_ended("succeeded")
    succeeded = ("workflow_bot_runs_total", {"outcome": "succeeded"})
    assert first.registry.get_sample_value(*succeeded) == 1
    assert second.registry.get_sample_value(*succeeded) == 0
