"""Owners and recipients are people. A record's owner is a Slack user id or an email address
(any other text is kept as written, and reaches nobody); emails are resolved to Slack users
through the PeopleLookup port (Slack's users.lookupByEmail), the answers kept in the owner
directory and asked again once old. The people a ``send_dm`` action names are user ids and
user groups, whose members the same port reads."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.readable import instant_text
from storage.database import transaction, write_transaction
from storage.owner_directory import DirectoryEntry, OwnerCount, OwnerDirectoryRepository
from storage.unit_of_work import UnitOfWork

# Slack user ids: U... for ordinary users, W... for Enterprise Grid users; 32 characters at most.
# A Slack user id: U or W, then capitals and digits, at least one a digit. The digit keeps
# owner values that CRMs use for nobody ("UNASSIGNED", "WEB", "UK") from passing for one.
SLACK_USER_ID = re.compile(r"^[UW](?=[A-Z]*[0-9])[A-Z0-9]{2,31}$")
# What an owner email looks like; whether it is someone's is for Slack to say.
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# A user group by id (S...) or by its handle as people mention it (@sales-leads).
USER_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,31}$")
USER_GROUP_HANDLE = re.compile(r"^@[a-z0-9][a-z0-9._-]{0,79}$")
MAX_OWNER_LENGTH = 255  # what records.owner holds
# A send_dm action messages at most this many people (its users and its groups' members):
# beyond, a workflow is a broadcast, which a channel does better.
MAX_DM_RECIPIENTS = 100

# How long Slack's answer about an email is trusted. A resolved email is asked again after a
# day: people rarely change the email of their Slack account, but a deactivated account or
# an email handed to someone else must stop receiving a record's messages within a day. An
# email Slack does not know is asked again after an hour: it is most often someone about to
# be invited, who should start receiving messages soon after joining, and an hour still asks
# Slack at most once per hour per email however often workflows run.
RESOLVED_MAX_AGE = timedelta(days=1)
UNKNOWN_MAX_AGE = timedelta(hours=1)
# Answers stored per transaction while many emails are asked: a run that dies midway keeps
# what it learnt.
_STORE_EVERY = 100
_SCOPE = "users:read.email"


@dataclass(eq=False)
class LookupUnavailable(Exception):
    """Slack could not answer now (unreachable, rate limits, server errors, after the
    client's own retries): nothing is wrong with the question; ask again later."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(eq=False)
class LookupRefused(Exception):
    """Slack refuses to answer (a missing scope, an unknown user group, a revoked token):
    asking again will not help until ``reason``, which says what to fix, is dealt with."""

    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


class PeopleLookup(Protocol):
    """Who people are in the messaging workspace (Slack's users.lookupByEmail, and
    usergroups.list and usergroups.users.list)."""

    def user_by_email(self, email: str) -> str | None:
        """The id of the workspace's active user with ``email``; None when there is none.
        Raises LookupRefused or LookupUnavailable."""
        ...

    def group_members(self, group: str) -> list[str]:
        """The user ids of the members of the user group ``group`` (an id such as S0123ABCD
        or a handle such as @sales-leads). Raises LookupRefused when the group cannot be
        read (none of that name, a missing scope...), LookupUnavailable."""
        ...


PeopleFor = Callable[[str], PeopleLookup | None]


def is_user_id(value: str) -> bool:
    return SLACK_USER_ID.fullmatch(value) is not None


def is_email(value: str) -> bool:
    return EMAIL.fullmatch(value) is not None


def is_user_group(value: str) -> bool:
    return any(pattern.fullmatch(value) for pattern in (USER_GROUP_ID, USER_GROUP_HANDLE))


def email_key(email: str) -> str:
    """The directory's key of an email: Slack finds users by email in any case."""
    return email.casefold()


def owner_problem(owner: str) -> str | None:
    """Why ``owner`` cannot be anyone's name at all, or None. Any other text is an owner,
    kept as written, whether Slack knows it or not."""
    if len(owner) > MAX_OWNER_LENGTH:
        return (
            f"the owner is {len(owner):,} characters long, more than the {MAX_OWNER_LENGTH} an "
            "owner may have: write the owner's email address or Slack user id"
        )
    control = next((c for c in owner if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return (
            f"the owner {_shown(owner)} contains a control character (U+{ord(control):04X}): "
            "write the owner's email address or Slack user id (such as U024BE7LH) on one line"
        )
    return None


# --- Resolving owners -----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerResolution:
    """Who the owners of some records are in Slack, as far as could be told.

    ``users`` maps each email asked about (case-folded) to its Slack user, None when Slack
    has none; ``problems`` holds why an email could not be told (Slack refused or could not
    answer) when nothing is known of it. ``connected`` is False without a Slack workspace:
    then emails stay emails, and messages to them go to whatever prints them.
    """

    connected: bool
    users: Mapping[str, str | None] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)
    # Why Slack could not be asked now, when it could not: what a run waits out.
    unavailable: str | None = None
    # Why Slack refused to say who emails are (no users:read.email...), when it did.
    refused: str | None = None

    def user_of(self, owner: str) -> str | None:
        """The Slack user ``owner`` is, when known: a user id is one; an email, when Slack
        resolved it."""
        if is_user_id(owner):
            return owner
        if is_email(owner):
            return self.users.get(email_key(owner))
        return None

    def recipient(self, owner: str) -> str | None:
        """Where a direct message to ``owner`` goes: its Slack user, or without Slack the
        email itself (the console prints it); None when it reaches nobody (see why_not)."""
        user = self.user_of(owner)
        if user is not None:
            return user
        if not self.connected and is_email(owner):
            return owner
        return None

    def why_not(self, owner: str) -> str:
        """Why a direct message to ``owner`` reaches nobody, and how to fix it."""
        if not is_email(owner):
            return (
                f"the owner {_shown(owner)} is neither a Slack user id nor an email address: "
                "set the record's owner to the person's email or Slack user id (such as "
                "U024BE7LH)"
            )
        problem = self.problems.get(email_key(owner))
        if problem is not None:
            return problem
        return (
            f"{owner} is not a member of this Slack workspace (or the bot lacks {_SCOPE}): "
            "invite them to Slack with that email, or set the record's owner to the email of "
            "their Slack account or to their Slack user id; `workflow-bot owners list` shows "
            "every owner Slack does not know"
        )


def resolve_owners(
    sessions: sessionmaker[Session],
    team_id: str,
    owners: Iterable[str],
    lookup: PeopleLookup | None,
    now: datetime,
    *,
    refresh: bool = False,
    progress: Callable[[], None] | None = None,
) -> OwnerResolution:
    """Who the emails among ``owners`` are in Slack: the directory's answers, and Slack's
    for those never asked or asked too long ago (all of them with ``refresh``), which the
    directory then keeps. Slack is asked between short transactions, never inside one.

    When Slack refuses (no users:read.email) or cannot answer now, it is asked no more, and
    emails it was asked about before keep their last answer. ``progress`` is called after
    each question to Slack (a run renews its lease there).
    """
    if lookup is None:
        return OwnerResolution(connected=False)
    emails = sorted({email_key(owner) for owner in owners if is_email(owner)})
    with transaction(sessions) as session:
        cached = OwnerDirectoryRepository(session).entries(team_id, emails)
    users: dict[str, str | None] = {e: entry.slack_user_id for e, entry in cached.items()}
    problems: dict[str, str] = {}
    unavailable: str | None = None
    refused: str | None = None
    answers: dict[str, str | None] = {}
    for email in (e for e in emails if refresh or _stale(cached.get(e), now)):
        if refused is not None or unavailable is not None:
            if email not in cached:
                problems[email] = _unanswered(email, refused, unavailable)
            continue
        try:
            answers[email] = users[email] = lookup.user_by_email(email)
        except LookupRefused as error:
            refused = error.reason
        except LookupUnavailable as error:
            unavailable = error.reason
        if email not in users:
            problems[email] = _unanswered(email, refused, unavailable)
        if progress is not None:
            progress()
        if len(answers) >= _STORE_EVERY:
            _store(sessions, team_id, answers, now)
            answers = {}
    _store(sessions, team_id, answers, now)
    return OwnerResolution(True, users, problems, unavailable if problems else None, refused)


def _stale(entry: DirectoryEntry | None, now: datetime) -> bool:
    if entry is None:
        return True
    max_age = RESOLVED_MAX_AGE if entry.slack_user_id is not None else UNKNOWN_MAX_AGE
    return now - entry.checked_at >= max_age


def _unanswered(email: str, refused: str | None, unavailable: str | None) -> str:
    if refused is not None:
        return f"Slack would not say who {email} is: {refused}"
    return f"Slack could not be asked who {email} is: {unavailable}"


def _store(
    sessions: sessionmaker[Session], team_id: str, answers: Mapping[str, str | None], now: datetime
) -> None:
    if answers:
        with write_transaction(sessions) as session:
            OwnerDirectoryRepository(session).record(team_id, answers, now)


# --- Listing owners -------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerLine:
    """One owner value of a workspace's records: its Slack user (None: unresolved), how
    many records it owns, and what to know about it when it is unresolved."""

    owner: str
    slack_user: str | None
    records: int
    note: str = ""


def _line(count: OwnerCount, entries: Mapping[str, DirectoryEntry]) -> OwnerLine:
    owner = count.owner
    if is_user_id(owner):
        return OwnerLine(owner, owner, count.records)
    if not is_email(owner):
        return OwnerLine(owner, None, count.records, "neither a Slack user id nor an email")
    entry = entries.get(email_key(owner))
    if entry is None:
        return OwnerLine(owner, None, count.records, "not asked yet: use --refresh")
    if entry.slack_user_id is None:
        checked = instant_text(entry.checked_at, "UTC")  # as every command writes an instant
        return OwnerLine(owner, None, count.records, f"not in Slack (asked {checked})")
    return OwnerLine(owner, entry.slack_user_id, count.records)


# --- Recipients of direct messages ----------------------------------------------------------


@dataclass(frozen=True)
class Recipients:
    """The people a send_dm action reaches: user ids (or, without Slack, the user groups as
    written, which the console prints), and why some of its user groups reach nobody."""

    people: tuple[str, ...]
    problems: tuple[str, ...] = ()


def dm_recipients(
    users: Sequence[str], user_groups: Sequence[str], lookup: PeopleLookup | None
) -> Recipients:
    """The action's people, each once, in the order named: its users, then the members of
    its user groups. Raises LookupUnavailable when Slack cannot say now."""
    people = dict.fromkeys(users)
    problems: list[str] = []
    for group in user_groups:
        if lookup is None:
            people[group] = None  # no Slack: the console prints the message to the group
            continue
        try:
            people.update(dict.fromkeys(lookup.group_members(group)))
        except LookupRefused as refused:
            problems.append(refused.reason)
    if len(people) > MAX_DM_RECIPIENTS:
        problems.append(
            f"the action would message {len(people):,} people, more than the "
            f"{MAX_DM_RECIPIENTS} a direct message action sends to: name fewer people or "
            "smaller user groups, or post to a channel instead"
        )
        return Recipients((), tuple(problems))
    return Recipients(tuple(people), tuple(problems))


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def owner_lines(work: UnitOfWork, team_id: str, now: datetime) -> list[OwnerLine]:
    """Every owner value of the workspace's records, as far as the directory knows them."""
    with work.reading() as session:
        directory = OwnerDirectoryRepository(session)
        counts = directory.owner_counts(team_id)
        emails = {email_key(c.owner) for c in counts if is_email(c.owner)}
        entries = directory.entries(team_id, emails)
        return [_line(count, entries) for count in counts]
