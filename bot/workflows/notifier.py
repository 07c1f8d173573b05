"""The port through which runs send messages: Slack in production, the console without
credentials, a local stand-in in tests. The domain only ever sees this interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The Slack message metadata event type that marks a message as one action's output, so a
# run resumed after a crash can find a message it posted but had not recorded yet.
ACTION_EVENT_TYPE = "workflow_bot_action"
# The most characters of one of a Message's sections: what Slack shows in one section block
# (3,000), with room to spare. Producers cut their text to it (templates.cut_mrkdwn).
SECTION_CHARS = 2900


@dataclass(frozen=True)
class ActionMark:
    """Names the run, record and action a message belongs to (one message per mark)."""

    run_id: int
    record_id: int
    action_index: int
    part: int = 0  # the n-th message of one action, e.g. a digest's thread replies

    def payload(self) -> dict[str, int]:
        return {
            "run_id": self.run_id,
            "record_id": self.record_id,
            "action_index": self.action_index,
            "part": self.part,
        }


@dataclass(frozen=True)
class Message:
    """One message to post. ``text`` is mrkdwn whose user data is already escaped."""

    # A channel id (C.../G...) or a user id (U.../W...) for a direct message; without Slack,
    # also an owner email or a user group as written, which the console prints.
    channel: str
    text: str
    # The text in parts that a notifier may lay out one below the other (Slack: a section
    # each); without them the text is shown as it is. Each is mrkdwn whose user data is
    # already escaped, like ``text``, of at most SECTION_CHARS: the producers escape and
    # cut, the notifier shows each as it is.
    sections: tuple[str, ...] = ()
    thread_ts: str | None = None
    mark: ActionMark | None = None
    # A run summary names its run: a notifier may offer a way to see the run's details
    # (Slack adds a Details button); one that cannot, ignores it.
    details_of_run: int | None = None
    # How many actions the summarised run failed (or may not have done): a notifier may
    # offer to re-run them (Slack adds a Re-run failed button).
    failed_actions: int = 0


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


# Not frozen: Python assigns __traceback__ (and add_note __notes__) on exceptions, e.g. when one
# leaves a @contextmanager block, and a frozen dataclass turns that into FrozenInstanceError.
@dataclass(eq=False)
class DeliveryFailed(Exception):
    """A message that could not be delivered, and will not be by retrying now.

    ``code`` is Slack's error code (e.g. ``not_in_channel``); ``reason`` says in words what
    happened and how to fix it, for run history and summaries.
    """

    code: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(eq=False)
class DeliveryUnavailable(Exception):
    """The messaging service could not be reached, or kept refusing for now (rate limits,
    server errors, network), even after the notifier's own retries.

    Not a failure of the message: the same delivery may well succeed later, so the run should
    be left to resume later rather than record a failure. A post that may have been posted
    raises the subclass DeliveryUncertain; a resumed run still looks with ``find_marked``
    before posting, as its process may have died after a post. Deliberately not a subclass of
    DeliveryFailed, so code that records DeliveryFailed never records an outage as a failed
    message.
    """

    code: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(eq=False)
class DeliveryUncertain(DeliveryUnavailable):
    """The message was sent but its outcome is unknown: the service answered with an error
    after receiving it (a server error, a timeout, a connection that broke), so it may have
    been posted or not. Posting it again blindly could post it twice: look for it with
    ``find_marked`` first. ``reason`` says what happened, as a clause.
    """


@dataclass(eq=False)
class HistoryUnreadable(Exception):
    """The conversation's history cannot be read in a healthy workspace (a missing scope,
    the bot not a member...), so whether a message is there cannot be told. ``reason``
    says why and how to fix it. Not a DeliveryFailed: nothing was refused to be delivered.
    """

    code: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


class Notifier(Protocol):
    def post(self, message: Message) -> Posted:
        """Posts a message; raises DeliveryFailed when it cannot be delivered,
        DeliveryUnavailable when it cannot be delivered now but may be later (nothing was
        posted), and DeliveryUncertain when it was sent but may or may not have been posted."""
        ...

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        """A message carrying ``mark`` posted to ``channel`` (in the thread ``thread_ts``,
        when the message was a reply) after ``since``; None when it is not there. Raises
        HistoryUnreadable when the workspace does not let the bot read that history (no
        history scope...), and DeliveryUnavailable when history cannot be read now: either
        way, "not found" would wrongly tell the caller it may post again."""
        ...
