"""Owners in criteria are people, whatever name a record gives them: ``owner in
[ann@example.com]`` also matches the records owned by the Slack user that email resolves to
(and by the other emails of that user), and ``owner eq U0ANN`` the records owned by the
emails that resolve to U0ANN. The aliases come from the owner directory; a run asks Slack
about the emails involved first (bot.workflows.owners), a preview uses what is known."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.criteria import Criteria, Operator
from bot.workflows.fields import OWNER
from bot.workflows.owners import (
    OwnerResolution,
    PeopleLookup,
    email_key,
    is_email,
    is_user_id,
    resolve_owners,
)
from storage.database import transaction
from storage.owner_directory import OwnerDirectoryRepository

# The operators whose values name owners; the others (is_known, contains...) need no alias.
_VALUE_OPERATORS = frozenset({Operator.EQ, Operator.NEQ, Operator.IN, Operator.NOT_IN})


def named_owners(*criteria: Criteria) -> set[str]:
    """The owner values the criteria compare with (eq, neq, in, not_in on owner)."""
    named: set[str] = set()
    for each in criteria:
        for group in each.groups:
            for filter_ in group.filters:
                if filter_.property != OWNER or filter_.operator not in _VALUE_OPERATORS:
                    continue
                values = filter_.value if isinstance(filter_.value, tuple) else (filter_.value,)
                named.update(str(value) for value in values if value is not None)
    return named


def known_aliases(session: Session, team_id: str, owners: Collection[str]) -> dict[str, set[str]]:
    """The other names of each owner as the directory knows them: an email's Slack user and
    that user's other emails; a user id's emails. Asks nothing of Slack."""
    directory = OwnerDirectoryRepository(session)
    entries = directory.entries(team_id, {email_key(o) for o in owners if is_email(o)})
    user_of = {
        owner: entry.slack_user_id
        for owner in owners
        if is_email(owner) and (entry := entries.get(email_key(owner))) is not None
    }
    user_of.update({owner: owner for owner in owners if is_user_id(owner)})
    users = {user for user in user_of.values() if user is not None}
    emails_of = directory.emails_of(team_id, users)
    aliases: dict[str, set[str]] = {}
    for owner, user in user_of.items():
        if user is not None:
            others = ({user} | emails_of.get(user, set())) - {owner, email_key(owner)}
            if others:
                aliases[owner] = others
    return aliases


def with_known_aliases(session: Session, team_id: str, criteria: Criteria) -> Criteria:
    """``criteria`` whose owner values also stand for their known aliases."""
    owners = named_owners(criteria)
    if not owners:
        return criteria
    return criteria.with_owner_aliases(known_aliases(session, team_id, owners))


def resolve_for_criteria(
    sessions: sessionmaker[Session],
    team_id: str,
    object_type_id: int,
    owners: Iterable[str],
    lookup: PeopleLookup | None,
    now: datetime,
    progress: Callable[[], None] | None = None,
) -> OwnerResolution:
    """Before a run enrolls by criteria that name owners: Slack is asked (between
    transactions, answers kept in the directory) about the emails the criteria name and the
    owner emails of the type's records, so that aliases are known both ways."""
    with transaction(sessions) as session:
        of_records = OwnerDirectoryRepository(session).owners_of_type(object_type_id)
    return resolve_owners(sessions, team_id, [*owners, *of_records], lookup, now, progress=progress)
