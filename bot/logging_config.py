"""How the process logs: one line per event, as text for people or as JSON lines for a log
collector (``LOG_FORMAT=json``). The only place that sets up logging."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What every LogRecord carries: anything else on a record came from ``extra=`` and is
# written as a field of its own in JSON lines.
_BLANK_RECORD = logging.LogRecord("", 0, "", 0, "", None, None)
_STANDARD_ATTRIBUTES = frozenset(_BLANK_RECORD.__dict__) | {"message", "asctime", "taskName"}


class OneLineTextFormatter(logging.Formatter):
    """The classic text line, with line breaks inside the message escaped: a database
    driver's three-line error stays one event to whoever greps the log. A bug's traceback
    still follows on its own lines, as Python prints it."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "").replace("\n", "\\n")


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: timestamp (ISO 8601, UTC), level, logger, message, the
    ``extra=`` fields of the call, and the traceback as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra field that JSON cannot hold (a datetime) is written as text
        # rather than losing the whole line.
        return json.dumps(line, default=str, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``log_format``, one of LOG_FORMATS."""
    if log_format == "json":
        return JsonLineFormatter()
    if log_format == "text":
        return OneLineTextFormatter()
    raise ValueError(f"unknown log format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")


def configure_logging(level: str, log_format: str = "text") -> None:
    """Sends every logger's records at ``level`` and above to standard error, one line per
    event, Python's warnings included. Like ``logging.basicConfig``, leaves the output alone
    when the root logger already has a handler (a test runner's, an embedding
    application's)."""
    if level != "DEBUG":
        # Alembic narrates every connection at INFO; applied migrations still show.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        # urllib3 warns at each of its own connection retries; the HubSpot client's error,
        # worded once with what to do, follows when they fail.
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    # A library's warning (a deprecation, SQLAlchemy's) becomes a log line too, instead of
    # two raw lines on standard error among the JSON.
    logging.captureWarnings(True)
