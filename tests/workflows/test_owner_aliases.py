"""Owners in criteria stand for the same person under their other names: an email for the
Slack user it resolves to (and that user's other emails), a user id for its emails, as the
owner directory knows them after Slack was asked (through the stand-in over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.slack.notifier import make_web_client
from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.criteria import parse_criteria
from bot.workflows.owner_aliases import known_aliases, named_owners, with_known_aliases
from bot.workflows.owners import resolve_owners
from storage.database import transaction
from tests.slack_standin import SlackStandIn

TEAM = "T1"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def owned_by(operator: str, value: object = None) -> dict[str, object]:
    filter_: dict[str, object] = {"property": "owner", "operator": operator}
    if value is not None:
        filter_["value"] = value
    return {"any": [{"all": [filter_]}]}


def learn(sessions: sessionmaker[Session], slack_api: SlackStandIn, *emails: str) -> None:
    lookup = SlackPeopleLookup(make_web_client(slack_api.token, slack_api.url, max_retries=0))
    resolve_owners(sessions, TEAM, emails, lookup, NOW)


def test_the_owners_criteria_name_are_those_they_compare_with() -> None:
    criteria = parse_criteria(
        {
            "any": [
                {"all": [{"property": "owner", "operator": "in", "value": ["a@x.io", "U0A"]}]},
                {"all": [{"property": "owner", "operator": "neq", "value": "b@x.io"}]},
                {"all": [{"property": "owner", "operator": "is_unknown"}]},
            ]
        },
        {},
    )
    assert named_owners(criteria) == {"a@x.io", "U0A", "b@x.io"}


def test_an_email_and_a_user_id_alias_each_other_as_the_directory_knows_them(
    sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    slack_api.add_user("U0ANN", "ann", email="ann@example.com")
    learn(sessions, slack_api, "ann@example.com", "nobody@example.com")

    with transaction(sessions) as session:
        aliases = known_aliases(
            session, TEAM, ["Ann@Example.com", "U0ANN", "nobody@example.com", "U0BOB", "Carol"]
        )

    assert aliases == {"Ann@Example.com": {"U0ANN"}, "U0ANN": {"ann@example.com"}}


def test_criteria_by_email_also_name_the_slack_user_it_resolves_to(
    sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    slack_api.add_user("U0ANN", "ann", email="ann@example.com")
    learn(sessions, slack_api, "ann@example.com")
    criteria = parse_criteria(owned_by("eq", "ann@example.com"), {})

    with transaction(sessions) as session:
        aliased = with_known_aliases(session, TEAM, criteria)

    assert aliased.to_json() == owned_by("in", ["ann@example.com", "U0ANN"])


def test_criteria_without_owners_or_with_owners_slack_does_not_know_stay_as_they_are(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        for document in (owned_by("in", ["x@example.com"]), owned_by("is_known"), {}):
            criteria = parse_criteria(document, {})
            assert with_known_aliases(session, TEAM, criteria) == criteria
