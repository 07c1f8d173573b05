"""Workflows in plain English: criteria, actions and settings as sentences a person reads.

The text is plain, never mrkdwn: a channel is a ``ChannelRef`` part of a ``Phrase``, which each
surface renders its own way (a mention in Slack, the id on a console). Everything here is
permissive: it describes documents as written, valid or not, so a half-filled draft reads too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.workflows.criteria import DAYS_OPERATORS, PRESENCE_OPERATORS, Criteria, Operator
from bot.workflows.definitions import (
    DEFAULT_CATCH_UP_MINUTES,
    DIGEST_THRESHOLD,
    RUN_DATE_TEMPLATE,
    Action,
    AlertOwner,
    CreateTask,
    MessageMode,
    PauseBehaviour,
    SendChannelMessage,
    SendDm,
    SendOwnerDm,
    SetProperty,
    StaleSourceBehaviour,
    SummaryPolicy,
    WorkflowSettings,
)

# Each operator as it reads after a property's name, in a sentence and in the wizard's
# select; "N days" stands for the number of days of DAYS_OPERATORS.
_N_DAYS = "N days"
OPERATOR_WORDS: Mapping[Operator, str] = {
    Operator.EQ: "is equal to",
    Operator.NEQ: "is not equal to",
    Operator.IN: "is any of",
    Operator.NOT_IN: "is none of",
    Operator.CONTAINS: "contains",
    Operator.NOT_CONTAINS: "does not contain",
    Operator.STARTS_WITH: "starts with",
    Operator.GT: "is greater than",
    Operator.GTE: "is at least",
    Operator.LT: "is less than",
    Operator.LTE: "is at most",
    Operator.BETWEEN: "is between",
    Operator.BEFORE: "is before",
    Operator.AFTER: "is after",
    Operator.IN_LAST_DAYS: f"is in the last {_N_DAYS}",
    Operator.IN_NEXT_DAYS: f"is in the next {_N_DAYS}",
    Operator.MORE_THAN_DAYS_AGO: f"is more than {_N_DAYS} ago",
    Operator.MORE_THAN_DAYS_FROM_NOW: f"is more than {_N_DAYS} from now",
    Operator.IS_KNOWN: "is known",
    Operator.IS_UNKNOWN: "is unknown",
}
# Each policy applies to every run, scheduled or started by hand (/workflow run, Enroll in
# workflow, Re-run failed): the words say so where a person could doubt it.
SUMMARY_WORDS: Mapping[SummaryPolicy, str] = {
    SummaryPolicy.ALWAYS: "after every run, scheduled or by hand",
    SummaryPolicy.WHEN_ENROLLED_OR_FAILED: "after runs that enrolled a record or had a failure",
    SummaryPolicy.WHEN_FAILED: "only after runs with a failure",
}
# Whom a failed action is told to: the owner, by direct message, once per run.
ALERT_WORDS: Mapping[AlertOwner, str] = {
    AlertOwner.ANY_FAILURE: "when any action of a run fails",
    AlertOwner.ALL_FAILED: "only when every action of a run fails",
    AlertOwner.NEVER: "never",
}
_DEFAULT_SUMMARY = WorkflowSettings().summary


@dataclass(frozen=True)
class ChannelRef:
    """A Slack channel inside a phrase, by id."""

    id: str


@dataclass(frozen=True)
class PersonRef:
    """A Slack user inside a phrase, by id."""

    id: str


@dataclass(frozen=True)
class Phrase:
    """A sentence made of plain-text parts, channel and person references."""

    parts: tuple[str | ChannelRef | PersonRef, ...]

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(part.id for part in self.parts if isinstance(part, ChannelRef))

    def plain(self) -> str:
        """The sentence with each channel written as ``#ID`` and each person as ``@ID``."""
        return "".join(_plain_part(part) for part in self.parts)

    def __str__(self) -> str:
        return self.plain()


def _plain_part(part: str | ChannelRef | PersonRef) -> str:
    if isinstance(part, str):
        return part
    return f"#{part.id}" if isinstance(part, ChannelRef) else f"@{part.id}"


# --- Criteria -----------------------------------------------------------------------------


def describe_criteria(criteria: Criteria | Mapping[str, Any]) -> list[str]:
    """One sentence per group of filters, e.g. "stage is equal to contract sent and amount is
    at least 5000"; the groups are alternatives (join them with "or"). No group (``{}``)
    gives an empty list: every record matches."""
    data = criteria.to_json() if isinstance(criteria, Criteria) else criteria
    groups = data.get("any") if isinstance(data, Mapping) else None
    if not isinstance(groups, list):
        return []
    sentences = []
    for group in groups:
        filters = group.get("all") if isinstance(group, Mapping) else None
        if isinstance(filters, list) and filters:
            sentences.append(" and ".join(describe_filter(f) for f in filters))
    return sentences


def describe_filter(filter_: object) -> str:
    """One filter in words, e.g. "close_date is in the next 7 days"."""
    if not isinstance(filter_, Mapping):
        return "(an incomplete filter)"
    name = filter_.get("property")
    subject = name if isinstance(name, str) and name else "(no property)"
    operator = operator_of(filter_.get("operator"))
    if operator is None:
        return f"{subject} (no operator chosen)"
    words = f"{subject} {OPERATOR_WORDS[operator]}"
    if operator in PRESENCE_OPERATORS:
        return words
    value = filter_.get("value")
    if operator in DAYS_OPERATORS:
        days = f"{_value(value)} {'day' if value == 1 else 'days'}"
        return f"{subject} {OPERATOR_WORDS[operator].replace(_N_DAYS, days)}"
    if operator is Operator.BETWEEN and isinstance(value, list) and len(value) == 2:
        return f"{words} {_value(value[0])} and {_value(value[1])}"
    if isinstance(value, list):
        return f"{words} {_or(_value(item) for item in value)}"
    return f"{words} {_value(value)}"


def operator_of(raw: object) -> Operator | None:
    """The operator a filter document names; None for anything else."""
    try:
        return Operator(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _value(value: object) -> str:
    if value is None or value == "":
        return "(no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _or(items: Iterable[str], word: str = "or") -> str:
    words = list(items) or ["(no value)"]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {word} {words[-1]}"


# --- Actions ------------------------------------------------------------------------------


def describe_action(action: Action | Mapping[str, Any]) -> Phrase:
    """One action in words, e.g. "Post to #C0123ABCD one message per record: “{{ name }} is
    in contract”" (with the channel as a ChannelRef); templates are quoted as written."""
    data = action.to_document() if not isinstance(action, Mapping) else action
    kind = data.get("type")
    if kind == SendChannelMessage.TYPE:
        return _channel_message(data)
    if kind == SendOwnerDm.TYPE:
        return Phrase((f"Send each record's owner a direct message: {_quoted(data.get('text'))}",))
    if kind == SendDm.TYPE:
        return _direct_message(data)
    if kind == SetProperty.TYPE:
        return Phrase((_set_property(data),))
    if kind == CreateTask.TYPE:
        return Phrase((_create_task(data),))
    return Phrase(("An action of no known type",))


def _channel_message(data: Mapping[str, Any]) -> Phrase:
    channel = data.get("channel")
    text = f" {_how(data.get('mode'))}: {_quoted(data.get('text'))}"
    if isinstance(channel, str) and channel:
        return Phrase(("Post to ", ChannelRef(channel), text))
    return Phrase(("Post to (no channel chosen)", text))


def _direct_message(data: Mapping[str, Any]) -> Phrase:
    """E.g. "Send @U0ANN and the user group @sales-leads a direct message, one message per
    record: “…”", with each user a PersonRef."""
    users = [u for u in _listed(data.get("users")) if u]
    groups = [g for g in _listed(data.get("user_groups")) if g]
    parts: list[str | ChannelRef | PersonRef] = ["Send "]
    count = len(users) + (1 if groups else 0)  # the groups read as one item, at the end
    for position, user in enumerate(users):
        parts += [_joint(position, count), PersonRef(user)]
    if groups:
        word = "the user group" if len(groups) == 1 else "the user groups"
        parts.append(f"{_joint(len(users), count)}{word} {_or(groups, 'and')}")
    if not users and not groups:
        parts.append("(no one chosen)")
    parts.append(f" a direct message, {_how(data.get('mode'))}: {_quoted(data.get('text'))}")
    return Phrase(tuple(part for part in parts if part != ""))


def _listed(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _joint(position: int, count: int) -> str:
    """What goes before the item at ``position`` of ``count`` in "a, b and c"."""
    if position == 0:
        return ""
    return " and " if position == count - 1 else ", "


def _how(mode: object) -> str:
    if mode == MessageMode.DIGEST:
        return "one digest message per run"
    if mode == MessageMode.PER_RECORD:
        return "one message per record"
    return f"one message per record (a digest when more than {DIGEST_THRESHOLD} records match)"


def _set_property(data: Mapping[str, Any]) -> str:
    name = data.get("property")
    subject = name if isinstance(name, str) and name else "(no property)"
    value = data.get("value")
    if isinstance(value, str) and RUN_DATE_TEMPLATE.fullmatch(value.strip()):
        return f"Set {subject} to the date of the run"
    return f"Set {subject} to {_value(value)}"


def _create_task(data: Mapping[str, Any]) -> str:
    days = data.get("due_in_days")
    if days == 0:
        due = "due on the day of the run"
    elif days == 1:
        due = "due the day after the run"
    elif isinstance(days, int):
        due = f"due {days} days after the run"
    else:
        due = "with no due date chosen"
    said = f"Create a task {_quoted(data.get('title'))}, {due}"
    priority = data.get("priority")
    if isinstance(priority, str) and priority.strip():
        said += f", priority {priority.strip().capitalize()}"
    owner = data.get("owner")
    if isinstance(owner, str) and owner.strip():
        said += f", for {owner.strip()}"
    return said


def _quoted(text: object) -> str:
    return f"“{text}”" if isinstance(text, str) and text.strip() else "(no text yet)"


# --- Settings -----------------------------------------------------------------------------


def describe_settings(settings: WorkflowSettings | Mapping[str, Any]) -> list[Phrase]:
    """The settings that differ from doing nothing special, one phrase each: the run
    summary, pause days and holidays, and how late a missed run may still happen."""
    data = settings.to_document() if isinstance(settings, WorkflowSettings) else settings
    phrases: list[Phrase] = []
    channel = data.get("summary_channel")
    if isinstance(channel, str) and channel:
        policy = SUMMARY_WORDS[_summary_policy(data.get("summary"))]
        phrases.append(Phrase(("Post a summary to ", ChannelRef(channel), f" {policy}")))
    phrases.append(Phrase((_alert_phrase(data.get("alert_owner")),)))
    pauses = _pauses(data.get("pause_days"), data.get("holidays"))
    if pauses:
        deferred = data.get("on_pause_day") != PauseBehaviour.SKIP
        what = "moves to the next day that is not one" if deferred else "is skipped"
        phrases.append(Phrase((f"No runs on {pauses}: a run due then {what}",)))
    if data.get("on_stale_source") == StaleSourceBehaviour.POSTPONE:
        phrases.append(
            Phrase(("When the records' source cannot be synced, a run waits and tries again",))
        )
    catch_up = data.get("catch_up_minutes", DEFAULT_CATCH_UP_MINUTES)
    if catch_up == 0:
        phrases.append(Phrase(("A run missed while the bot was down is not made up",)))
    elif isinstance(catch_up, int):
        phrases.append(
            Phrase(
                (
                    f"A run missed while the bot was down still happens up to {catch_up} "
                    f"{'minute' if catch_up == 1 else 'minutes'} late",
                )
            )
        )
    return phrases


def _alert_phrase(raw: object) -> str:
    """How the owner hears of failed actions; a document without the setting (or with one
    not known) reads as the default, as its runs do."""
    try:
        alert = AlertOwner(raw) if isinstance(raw, str) else AlertOwner.ANY_FAILURE
    except ValueError:
        alert = AlertOwner.ANY_FAILURE
    if alert is AlertOwner.NEVER:
        return "The owner is never told about failed actions"
    return f"The owner gets a direct message {ALERT_WORDS[alert]}"


def _summary_policy(raw: object) -> SummaryPolicy:
    """The policy a document names; the default for one it does not (yet)."""
    try:
        return SummaryPolicy(raw) if isinstance(raw, str) else _DEFAULT_SUMMARY
    except ValueError:
        return _DEFAULT_SUMMARY


def _pauses(pause_days: object, country: object) -> str:
    parts = []
    if isinstance(pause_days, Sequence) and not isinstance(pause_days, str) and pause_days:
        parts.append(", ".join(str(day) for day in pause_days))
    if isinstance(country, str) and country:
        parts.append(f"public holidays in {country}")
    return " and ".join(parts)
