"""``workflow-bot serve --role scheduler`` as a real process: it serves /healthz and /metrics
on HEALTH_PORT, its metrics count the run it made, and with LOG_FORMAT=json every log line
is a JSON object."""

from __future__ import annotations

import http.client
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import CLI_ACTOR, request_run
from bot.workflows.workspaces import LOCAL_TEAM
from storage.database import write_transaction
from tests.engine.builders import NAME, deal, import_deals, save, workflow_document
from tests.serve_process import TIMEOUT, serving


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def test_the_scheduler_role_serves_health_and_metrics_of_its_runs(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    import_deals(sessions, [deal("D1", "Acme")], now, LOCAL_TEAM)
    save(sessions, workflow_document(), now, team=LOCAL_TEAM)
    with write_transaction(sessions) as session:
        request_run(session, LOCAL_TEAM, NAME, CLI_ACTOR, now)
    environment = {
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    ports = ("PORT", "HEALTH_PORT")
    with serving(environment, tmp_path, "--role", "scheduler", ports=ports) as served:
        process, output, health_port = served.process, served.output, served.ports["HEALTH_PORT"]
        assert f"Listening on port {health_port}" in output[-1]
        served.read_until("ran 1 run:")  # the scheduler's log line, once it ran

        status, health = _get(health_port, "/healthz")
        assert status == 200, health
        report = json.loads(health)
        assert report["database"] == "ok"
        assert report["scheduler"]["state"] == "ok"

        status, body = _get(health_port, "/metrics")
        assert status == 200
        samples = _samples(body)
        assert samples[("workflow_bot_runs_total", frozenset({("outcome", "succeeded")}))] == 1
        lateness = ("workflow_bot_first_post_lateness_seconds_count", {("source", "manual")})
        assert samples[(lateness[0], frozenset(lateness[1]))] == 1
        assert samples[("workflow_bot_database_reachable", frozenset())] == 1
        assert samples[("workflow_bot_oldest_pending_run_age_seconds", frozenset())] == 0
        assert _get(health_port, "/slack/events")[0] == 404  # no Slack endpoint here

        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, "".join(output) + rest
    printed = "".join(output) + rest
    assert "Acme is in contract" in printed  # the run's message, on the console
    assert "Traceback" not in printed
    # Log lines and the console share the output here: every log line is one JSON object.
    logged = [line for line in printed.splitlines() if line.startswith("{")]
    events: list[dict[str, Any]] = [json.loads(line) for line in logged]
    assert all({"timestamp", "level", "logger", "message"} <= set(e) for e in events)
    assert any(e["logger"] == "bot.scheduler" and "ran 1 run:" in e["message"] for e in events)
