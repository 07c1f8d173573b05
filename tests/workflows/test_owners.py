"""Owners are people: owner emails resolved to Slack users through the Slack stand-in over
HTTP (users.lookupByEmail), kept in the owner directory on both databases and asked again once
old; user groups read for direct messages; what cannot be an owner at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.channel_access import SlackChannelAccess
from bot.slack.notifier import make_web_client
from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.owners import (
    MAX_DM_RECIPIENTS,
    RESOLVED_MAX_AGE,
    UNKNOWN_MAX_AGE,
    LookupRefused,
    dm_recipients,
    is_user_id,
    owner_problem,
    resolve_owners,
)
from storage.database import transaction
from storage.models import OwnerDirectory
from tests.slack_standin import SlackStandIn

TEAM = "T1"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ANN = "U0ANN"


@pytest.fixture
def lookup(slack_api: SlackStandIn) -> SlackPeopleLookup:
    client = make_web_client(
        slack_api.token,
        slack_api.url,
        max_retries=1,
        retry_interval=FixedValueRetryIntervalCalculator(0.001),
    )
    return SlackPeopleLookup(client)


def lookups(slack_api: SlackStandIn) -> list[str]:
    return [str(call.params.get("email")) for call in slack_api.calls("users.lookupByEmail")]


def directory(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with transaction(sessions) as session:
        rows = session.scalars(select(OwnerDirectory).where(OwnerDirectory.team_id == TEAM))
        return {row.email: row.slack_user_id for row in rows}


# --- Resolving emails -----------------------------------------------------------------------


def test_an_email_resolves_to_its_slack_user_once_and_is_kept_in_the_directory(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user(ANN, "ann", email="ann@example.com")
    owners = ["Ann@Example.com", "ann@example.com", "U0BOB", "Carol (sales)"]

    first = resolve_owners(sessions, TEAM, owners, lookup, NOW)
    again = resolve_owners(sessions, TEAM, owners, lookup, NOW + timedelta(hours=2))

    assert lookups(slack_api) == ["ann@example.com"], "asked once, in any case"
    for resolution in (first, again):
        assert resolution.user_of("Ann@Example.com") == ANN
        assert resolution.user_of("U0BOB") == "U0BOB"
        assert resolution.user_of("Carol (sales)") is None
    assert directory(sessions) == {"ann@example.com": ANN}


def test_an_email_slack_does_not_know_stays_unresolved_and_says_how_to_fix_it(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    resolution = resolve_owners(sessions, TEAM, ["ann@example.com"], lookup, NOW)

    assert resolution.user_of("ann@example.com") is None
    assert resolution.recipient("ann@example.com") is None
    assert resolution.why_not("ann@example.com").startswith(
        "ann@example.com is not a member of this Slack workspace (or the bot lacks "
        "users:read.email): invite them to Slack with that email, or set the record's owner"
    )
    assert directory(sessions) == {"ann@example.com": None}


def test_a_resolved_email_is_asked_again_after_a_day_and_an_unknown_one_after_an_hour(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user(ANN, "ann", email="ann@example.com")
    owners = ["ann@example.com", "new@example.com"]
    resolve_owners(sessions, TEAM, owners, lookup, NOW)

    resolve_owners(sessions, TEAM, owners, lookup, NOW + UNKNOWN_MAX_AGE - timedelta(seconds=1))
    assert lookups(slack_api) == ["ann@example.com", "new@example.com"]

    slack_api.add_user("U0NEW", "new", email="new@example.com")  # invited meanwhile
    later = resolve_owners(sessions, TEAM, owners, lookup, NOW + UNKNOWN_MAX_AGE)
    assert lookups(slack_api)[2:] == ["new@example.com"]
    assert later.user_of("new@example.com") == "U0NEW"

    resolve_owners(sessions, TEAM, owners, lookup, NOW + RESOLVED_MAX_AGE)
    assert lookups(slack_api)[3:] == ["ann@example.com"]


def test_refresh_asks_slack_again_about_every_email(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    owners = ["ann@example.com", "bob@example.com"]
    resolve_owners(sessions, TEAM, owners, lookup, NOW)
    resolve_owners(sessions, TEAM, owners, lookup, NOW, refresh=True)
    assert len(lookups(slack_api)) == 4


def test_without_slack_emails_stay_emails_and_direct_messages_go_to_them(
    sessions: sessionmaker[Session],
) -> None:
    resolution = resolve_owners(sessions, TEAM, ["ann@example.com", "Carol"], None, NOW)
    assert resolution.user_of("ann@example.com") is None
    assert resolution.recipient("ann@example.com") == "ann@example.com"
    assert resolution.recipient("Carol") is None
    assert "'Carol' is neither a Slack user id nor an email address" in resolution.why_not("Carol")
    assert directory(sessions) == {}


def test_a_deactivated_slack_account_is_no_one_to_message(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user("U0GONE", "gone", email="gone@example.com", deleted=True)
    resolution = resolve_owners(sessions, TEAM, ["gone@example.com"], lookup, NOW)
    assert resolution.user_of("gone@example.com") is None


def test_without_users_read_email_slack_is_asked_once_and_the_reason_says_to_reinstall(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.fail(
        "missing_scope",
        method="users.lookupByEmail",
        needed="users:read.email",
        provided="chat:write,users:read",
    )
    owners = ["ann@example.com", "bob@example.com"]

    resolution = resolve_owners(sessions, TEAM, owners, lookup, NOW)

    assert len(lookups(slack_api)) == 1
    assert resolution.refused is not None and resolution.unavailable is None
    assert resolution.why_not("bob@example.com") == (
        "Slack would not say who bob@example.com is: the bot lacks the Slack permission "
        "users:read.email, so it cannot tell which Slack user an owner email is: reinstall the "
        "app to grant it"
    )
    assert directory(sessions) == {}, "a refusal says nothing about the emails"


def test_when_slack_cannot_answer_the_last_answer_stands_and_new_emails_wait(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user(ANN, "ann", email="ann@example.com")
    resolve_owners(sessions, TEAM, ["ann@example.com"], lookup, NOW)
    slack_api.rate_limit("users.lookupByEmail", times=10, retry_after=0)

    later = NOW + RESOLVED_MAX_AGE
    resolution = resolve_owners(
        sessions, TEAM, ["ann@example.com", "bob@example.com"], lookup, later
    )

    assert resolution.user_of("ann@example.com") == ANN
    assert resolution.unavailable is not None
    assert "rate limiting" in resolution.unavailable
    assert resolution.why_not("bob@example.com").startswith(
        "Slack could not be asked who bob@example.com is"
    )


def test_slack_is_never_asked_while_a_database_connection_is_held(
    engine: Engine,
    sessions: sessionmaker[Session],
    slack_api: SlackStandIn,
    lookup: SlackPeopleLookup,
) -> None:
    slack_api.add_user(ANN, "ann", email="ann@example.com")
    held: list[int] = []
    original = slack_api.handlers["users.lookupByEmail"]

    def checking(standin: SlackStandIn, call: object) -> dict[str, object]:
        held.append(engine.pool.checkedout())  # type: ignore[attr-defined]
        return original(standin, call)  # type: ignore[arg-type]

    slack_api.handlers["users.lookupByEmail"] = checking
    resolve_owners(sessions, TEAM, ["ann@example.com", "bob@example.com"], lookup, NOW)
    assert held == [0, 0]


# --- What can be an owner -------------------------------------------------------------------


@pytest.mark.parametrize(
    "owner", ["U024BE7LH", "ann@example.com", "Ann Smith", "ann@localhost", "x" * 255]
)
def test_any_text_on_one_line_can_be_an_owner(owner: str) -> None:
    assert owner_problem(owner) is None


def test_control_characters_and_overlong_text_cannot_be_an_owner() -> None:
    assert owner_problem("ann\t@example.com") == (
        "the owner 'ann\\t@example.com' contains a control character (U+0009): write the "
        "owner's email address or Slack user id (such as U024BE7LH) on one line"
    )
    assert owner_problem("x" * 256) == (
        "the owner is 256 characters long, more than the 255 an owner may have: write the "
        "owner's email address or Slack user id"
    )


# --- User groups ----------------------------------------------------------------------------


def test_a_send_dm_reaches_its_people_and_the_members_of_its_groups_each_once(
    slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user_group("S0SALES", "sales-leads", ["U0ANN", "U0BOB"])
    slack_api.add_user_group("S0SUPPORT", "support", ["U0BOB", "U0CAROL"])

    found = dm_recipients(["U0ANN", "U0DAN"], ["@Sales-Leads", "S0SUPPORT"], lookup)

    assert found.people == ("U0ANN", "U0DAN", "U0BOB", "U0CAROL")
    assert found.problems == ()
    assert len(slack_api.calls("usergroups.list")) == 1


@pytest.mark.parametrize(
    ("group", "reason"),
    [
        ("@nobody", "there is no user group @nobody in this workspace (or it is disabled)"),
        ("S0GONE", "there is no user group S0GONE in this workspace (or it is disabled)"),
    ],
)
def test_a_user_group_slack_does_not_have_is_one_clear_line(
    slack_api: SlackStandIn, lookup: SlackPeopleLookup, group: str, reason: str
) -> None:
    found = dm_recipients(["U0ANN"], [group], lookup)
    assert found.people == ("U0ANN",)
    assert [problem.split(":")[0] for problem in found.problems] == [reason]


def test_without_usergroups_read_the_reason_says_to_reinstall(
    slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.fail("missing_scope", method="usergroups.users.list", needed="usergroups:read")
    with pytest.raises(LookupRefused) as refused:
        lookup.group_members("S0SALES")
    assert refused.value.reason == (
        "the bot lacks the Slack permission usergroups:read, so it cannot read the members of "
        "the user group S0SALES: reinstall the app to grant it, or name the people themselves"
    )


def test_too_many_people_for_a_direct_message_send_nothing(
    slack_api: SlackStandIn, lookup: SlackPeopleLookup
) -> None:
    slack_api.add_user_group("S0ALL", "everyone", [f"U{n:08d}" for n in range(150)])
    found = dm_recipients([], ["@everyone"], lookup)
    assert found.people == ()
    assert found.problems[0].startswith(
        f"the action would message 150 people, more than the {MAX_DM_RECIPIENTS}"
    )


def test_without_slack_a_user_group_is_addressed_as_written() -> None:
    assert dm_recipients(["U0ANN"], ["@sales-leads"], None).people == ("U0ANN", "@sales-leads")


def test_saving_a_workflow_checks_that_its_user_groups_can_be_read(
    slack_api: SlackStandIn,
) -> None:
    slack_api.add_user_group("S0SALES", "sales-leads", ["U0ANN"])
    access = SlackChannelAccess(make_web_client(slack_api.token, slack_api.url, max_retries=0))
    assert access.refusal("@sales-leads", "U0OWNER") is None
    assert access.refusal("S0SALES", "U0OWNER") is None
    refusal = access.refusal("@sales", "U0OWNER")
    assert refusal is not None and refusal.startswith("there is no user group @sales")


@pytest.mark.parametrize("value", ["UNASSIGNED", "WEB", "UK", "U1", "u0abc"])
def test_crm_placeholders_are_not_taken_for_slack_user_ids(value: str) -> None:
    assert not is_user_id(value)


@pytest.mark.parametrize("value", ["U024BE7LH", "W0ABC123", "U0OWNER"])
def test_slack_user_ids_are_recognised(value: str) -> None:
    assert is_user_id(value)
