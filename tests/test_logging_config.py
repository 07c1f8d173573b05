"""Log lines: one per event, as text or as JSON lines (LOG_FORMAT=json)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logging_config import formatter
from bot.settings import Settings, SettingsError


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    """A logger of its own writing to a string, whatever the test runner does with root."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.logging_config")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_json_line_has_the_time_level_logger_message_and_extra_fields(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(formatter("json"))
    logger.warning("run %s postponed", 42, extra={"run_id": 42, "workflow": "Renewals"})
    [line] = lines_of(stream)
    event = json.loads(line)
    assert event["level"] == "WARNING"
    assert event["logger"] == "tests.logging_config"
    assert event["message"] == "run 42 postponed"
    assert event["run_id"] == 42 and event["workflow"] == "Renewals"
    assert datetime.fromisoformat(event["timestamp"]).utcoffset() is not None


def test_a_bug_logged_as_json_keeps_its_traceback_in_one_line(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(formatter("json"))
    try:
        raise KeyError("missing")
    except KeyError:
        logger.exception("tick failed")
    [line] = lines_of(stream)
    event = json.loads(line)
    assert event["message"] == "tick failed"
    assert "Traceback" in event["exception"] and "KeyError: 'missing'" in event["exception"]


def test_an_extra_field_json_cannot_hold_is_written_as_text(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(formatter("json"))
    logger.info("synced", extra={"as_of": date(2026, 12, 7)})
    assert json.loads(lines_of(stream)[0])["as_of"] == "2026-12-07"


@given(st.text())
def test_any_message_is_one_line_in_either_format(message: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.logging_config.any")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    for log_format in ("text", "json"):
        handler.setFormatter(formatter(log_format))
        logger.info("%s", message)
    text_line, json_line = stream.getvalue().split("\n")[:2]
    assert text_line.endswith(message.replace("\r", "").replace("\n", "\\n"))
    assert json.loads(json_line)["message"] == message


def test_log_format_and_health_port_come_from_the_environment() -> None:
    settings = Settings.from_environment({"LOG_FORMAT": "JSON", "HEALTH_PORT": "9102"}, None)
    assert (settings.log_format, settings.health_port) == ("json", 9102)
    assert Settings.from_environment({}, None).log_format == "text"


def test_a_wrong_log_format_or_health_port_says_what_to_use() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({"LOG_FORMAT": "yaml", "HEALTH_PORT": "http"}, None)
    assert raised.value.problems == [
        "HEALTH_PORT='http' is not a TCP port: use a number from 1 to 65535",
        "LOG_FORMAT='yaml' is not one of text, json: json writes one JSON object per line "
        "for a log collector",
    ]
