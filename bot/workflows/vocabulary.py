"""The domain's fixed words: workflow and run statuses, where a run came from, what became of
an action, what happened to a workflow, where records come from and the types a property has.

Pure Python on purpose: storage maps these to its columns and imports this one module of the
domain (and nothing else of bot/); the stored values are these members' values.
"""

from __future__ import annotations

from enum import StrEnum


class WorkflowStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    MISSED = "missed"
    SKIPPED = "skipped"  # fell on a pause day of a workflow that skips them
    CANCELLED = "cancelled"


class RunSource(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"


class ActionOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"
    # Slack answered a post with an error after it may have stored the message, and its
    # history could not be read to tell: never posted again blindly.
    UNKNOWN = "unknown"


class WorkflowEventKind(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    PAUSED = "paused"
    ACTIVATED = "activated"
    RAN = "ran"
    DELETED = "deleted"
    RESTORED = "restored"
    TRANSFERRED = "transferred"
    COPIED = "copied"


class SourceKind(StrEnum):
    SQL = "sql"
    HUBSPOT = "hubspot"


class PropertyType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ENUMERATION = "enumeration"

    @property
    def is_text(self) -> bool:
        return self in (PropertyType.STRING, PropertyType.ENUMERATION)

    @property
    def is_temporal(self) -> bool:
        return self in (PropertyType.DATE, PropertyType.DATETIME)
