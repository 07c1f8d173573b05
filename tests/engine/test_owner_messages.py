"""Runs that message people, against the Slack stand-in over HTTP: owners given by email
resolved before their direct messages and mentions, batched per run; owners Slack does not
know failing only their own records; the send_dm action to people and user groups, per record
and as digests; and the console without Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.notifier import make_web_client
from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.clock import FixedClock
from bot.workflows.digest import MAX_LISTED
from bot.workflows.engine import DEFAULT_LEASE, Engine
from bot.workflows.owners import PeopleLookup
from bot.workflows.record_removal import by_ids
from bot.workflows.runner import REMOVED
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.database import transaction
from tests.engine.builders import (
    LONG_LINE,
    TEAM,
    channel_message,
    deal,
    import_deals,
    record_ids,
    results,
    save,
    workflow_document,
)
from tests.engine.conftest import QUICK_RETRIES, Crash, DyingNotifier, Processes
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
ANN = "U0ANN"
BOB = "U0BOB"


@pytest.fixture
def ann_by_email(slack_api: SlackStandIn) -> None:
    """Slack knows ANN by the email ann@example.com."""
    slack_api.add_user(ANN, "ann", email="ann@example.com")


def people(slack_api: SlackStandIn) -> SlackPeopleLookup:
    client = make_web_client(
        slack_api.token, slack_api.url, max_retries=1, retry_interval=QUICK_RETRIES
    )
    return SlackPeopleLookup(client)


def engine(processes: Processes, lookup: PeopleLookup | None, owner: str = "p1") -> Engine:
    """A bot process posting to the stand-in and asking it who people are (None: no Slack
    lookups, as in console mode)."""
    notifier = processes.slack()
    return Engine(
        processes.sessions,
        processes.clock,
        lambda _team: notifier,
        owner=owner,
        people_for=lambda _team: lookup,
    )


def run_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    bot: Engine,
    actions: list[dict[str, Any]],
    at: datetime = JUST_AFTER,
) -> int:
    save(sessions, workflow_document(actions=actions), clock.now())
    clock.set(at)
    [(run_id, status)] = bot.tick()
    assert status is not None
    return run_id


def outcomes(sessions: sessionmaker[Session], run_id: int) -> dict[str, tuple[str, str | None]]:
    """Deal external id -> (outcome, reason) of the run's only action."""
    by_id = {record_id: external for external, record_id in record_ids(sessions).items()}
    return {by_id[r.record_id]: (r.outcome, r.reason) for r in results(sessions, run_id)}


def dm_texts(slack_api: SlackStandIn, user: str) -> list[str]:
    return [m["text"] for m in slack_api.posted_messages(f"D{user[1:]}")]


# --- Owners given by email ------------------------------------------------------------------


@pytest.mark.usefixtures("ann_by_email")
def test_an_owner_dm_to_an_email_reaches_the_slack_user_it_resolves_to(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1", "Acme", owner="Ann@Example.com")], clock.now())
    dm = {"type": "send_owner_dm", "text": "Please update {{ name }}, {{ owner }}"}

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [dm])

    assert dm_texts(slack_api, ANN) == [f"Please update Acme, <@{ANN}>"]
    assert outcomes(sessions, run_id) == {"D1": (ActionOutcome.OK, None)}


@pytest.mark.usefixtures("ann_by_email")
def test_an_owner_dm_to_an_email_slack_does_not_know_fails_that_record_and_the_run_goes_on(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(
        sessions,
        [deal("D1", owner="stranger@example.com"), deal("D2", owner="ann@example.com")],
        clock.now(),
    )
    dm = {"type": "send_owner_dm", "text": "Please update {{ name }}"}

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [dm])

    found = outcomes(sessions, run_id)
    assert found["D2"] == (ActionOutcome.OK, None)
    outcome, reason = found["D1"]
    assert outcome == ActionOutcome.FAILED
    assert reason is not None and reason.startswith(
        "stranger@example.com is not a member of this Slack workspace (or the bot lacks "
        "users:read.email): invite them to Slack with that email"
    )
    assert dm_texts(slack_api, ANN) == ["Please update Deal D2"]


@pytest.mark.usefixtures("ann_by_email")
def test_owner_mentions_name_resolved_owners_and_show_the_others_as_escaped_text(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(
        sessions,
        [
            deal("D1", "One", owner="ann@example.com"),
            deal("D2", "Two", owner="<b>@example.com"),
            deal("D3", "Three", owner=BOB),
            deal("D4", "Four"),
        ],
        clock.now(),
    )
    post = channel_message("{{ name }}: {{ owner }}", mode="per_record")

    run_once(sessions, clock, engine(processes, people(slack_api)), [post])

    posted = sorted(m["text"] for m in slack_api.posted_messages("C0DEALS"))
    assert posted == [
        "Four: no owner",
        f"One: <@{ANN}>",
        f"Three: <@{BOB}>",
        "Two: &lt;b&gt;@example.com",
    ]


@pytest.mark.usefixtures("ann_by_email")
def test_a_digest_asks_slack_only_about_the_owners_of_the_records_it_lists(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    listed = [deal(f"D{n:03d}", owner="ann@example.com") for n in range(MAX_LISTED)]
    unlisted = [deal("D998", owner="late@example.com"), deal("D999", owner="later@example.com")]
    import_deals(sessions, listed + unlisted, clock.now())
    digest = channel_message("{{ name }}: {{ owner }}", mode="digest")

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [digest])

    asked = [c.params["email"] for c in slack_api.calls("users.lookupByEmail")]
    assert asked == ["ann@example.com"]
    parent, *_replies = slack_api.posted_messages("C0DEALS")
    assert f"Deal D000: <@{ANN}>" in parent["text"]
    assert {outcome for outcome, _ in outcomes(sessions, run_id).values()} == {
        ActionOutcome.OK.value
    }


@pytest.mark.usefixtures("ann_by_email")
def test_owners_are_looked_up_once_per_run_and_not_again_while_the_answer_is_fresh(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(
        sessions,
        [deal(f"D{n}", owner="ann@example.com") for n in range(5)]
        + [deal("D9", owner="nobody@example.com")],
        clock.now(),
    )
    bot = engine(processes, people(slack_api))
    run_once(sessions, clock, bot, [{"type": "send_owner_dm", "text": "{{ name }}"}])
    assert len(slack_api.calls("users.lookupByEmail")) == 2

    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))  # the next day's run, on time
    bot.tick()
    # The unknown email is older than an hour: asked again; Ann's answer is still fresh.
    asked = [c.params["email"] for c in slack_api.calls("users.lookupByEmail")]
    assert asked[2:] == ["nobody@example.com"]
    assert len(dm_texts(slack_api, ANN)) == 10


@pytest.mark.usefixtures("ann_by_email")
def test_a_run_whose_owners_slack_cannot_resolve_now_waits_and_resumes(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1", owner="ann@example.com")], clock.now())
    slack_api.rate_limit("users.lookupByEmail", times=2, retry_after=0)
    bot = engine(processes, people(slack_api))
    save(
        sessions,
        workflow_document(actions=[{"type": "send_owner_dm", "text": "{{ name }}"}]),
        clock.now(),
    )
    clock.set(JUST_AFTER)

    [(run_id, status)] = bot.tick()
    assert status is None, "postponed, not failed"
    assert results(sessions, run_id) == [] and dm_texts(slack_api, ANN) == []

    clock.advance(timedelta(minutes=3))  # the lease ran out: the run is claimed again
    [(again, status)] = bot.tick()
    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    assert dm_texts(slack_api, ANN) == ["Deal D1"]


def test_without_slack_the_console_prints_owner_dms_to_their_emails(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1", "Acme", owner="ann@example.com")], clock.now())
    save(
        sessions,
        workflow_document(
            actions=[{"type": "send_owner_dm", "text": "Update {{ name }}, {{ owner }}"}]
        ),
        clock.now(),
    )
    clock.set(JUST_AFTER)

    [(_, status)] = processes.start_on_console().tick()

    assert status == RunStatus.SUCCEEDED
    assert "→ @ann@example.com (run 1, record 1, action 1)\n  Update Acme, ann@example.com\n" in (
        processes.console.getvalue()
    )


# --- send_dm --------------------------------------------------------------------------------


def test_send_dm_messages_each_person_and_user_group_member_once_per_record(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.add_user_group("S0SALES", "sales-leads", [ANN, BOB])
    import_deals(sessions, [deal("D1", "Acme"), deal("D2", "Globex")], clock.now())
    action = {
        "type": "send_dm",
        "users": [ANN],
        "user_groups": ["@sales-leads"],
        "text": "{{ name }} is in contract",
        "mode": "per_record",
    }

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [action])

    expected = ["Acme is in contract", "Globex is in contract"]
    assert dm_texts(slack_api, ANN) == expected
    assert dm_texts(slack_api, BOB) == expected
    assert {o for o, _ in outcomes(sessions, run_id).values()} == {ActionOutcome.OK}
    assert len(slack_api.calls("usergroups.users.list")) == 1, "read once per run"
    [first, *_] = results(sessions, run_id)
    assert first.reference is not None and len(first.reference["messages"]) == 2


def test_send_dm_as_a_digest_sends_each_person_one_message_listing_the_records(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal(f"D{n}", f"Deal {n}") for n in range(3)], clock.now())
    action = {"type": "send_dm", "users": [ANN, BOB], "text": "{{ name }}", "mode": "digest"}

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [action])

    for user in (ANN, BOB):
        [digest] = dm_texts(slack_api, user)
        assert digest.startswith("*Deal review*: 3 records")
        assert "• Deal 0" in digest and "• Deal 2" in digest
    assert {o for o, _ in outcomes(sessions, run_id).values()} == {ActionOutcome.OK}


def test_a_user_group_the_bot_cannot_read_fails_the_records_with_the_reason(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("missing_scope", method="usergroups.users.list", needed="usergroups:read")
    import_deals(sessions, [deal("D1", "Acme")], clock.now())
    action = {"type": "send_dm", "users": [ANN], "user_groups": ["S0SALES"], "text": "{{ name }}"}

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [action])

    outcome, reason = outcomes(sessions, run_id)["D1"]
    assert outcome == ActionOutcome.FAILED
    assert reason == (
        "the bot lacks the Slack permission usergroups:read, so it cannot read the members of "
        "the user group S0SALES: reinstall the app to grant it, or name the people themselves "
        "(sent to 1 of 1 people)"
    )
    assert dm_texts(slack_api, ANN) == ["Acme"], "the people it could reach still got it"


def test_a_person_slack_refuses_fails_the_record_naming_them(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("user_not_found", method="chat.postMessage", channel="U0GONE")
    import_deals(sessions, [deal("D1", "Acme")], clock.now())
    action = {"type": "send_dm", "users": [ANN, "U0GONE"], "text": "{{ name }}"}

    run_id = run_once(sessions, clock, engine(processes, people(slack_api)), [action])

    outcome, reason = outcomes(sessions, run_id)["D1"]
    assert outcome == ActionOutcome.FAILED
    assert reason is not None and reason.startswith("U0GONE: the user does not exist")
    assert reason.endswith("(sent to 1 of 2 people)")


def test_without_slack_the_console_prints_send_dm_to_people_and_groups(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1", "Acme")], clock.now())
    action = {"type": "send_dm", "users": [ANN], "user_groups": ["@sales-leads"], "text": "Hi"}
    save(sessions, workflow_document(actions=[action]), clock.now())
    clock.set(JUST_AFTER)

    [(_, status)] = processes.start_on_console().tick()

    assert status == RunStatus.SUCCEEDED
    printed = processes.console.getvalue()
    assert f"→ @{ANN} (run 1, record 1, action 1)\n  Hi\n" in printed
    assert "→ @sales-leads (run 1, record 1, action 1)\n  Hi\n" in printed


def dies_after_posts(processes: Processes, slack_api: SlackStandIn, posts: int) -> None:
    """host-1 starts the due run at JUST_AFTER and dies once it has posted `posts`
    messages."""
    dying = Engine(
        processes.sessions,
        processes.clock,
        lambda _team: DyingNotifier(processes.slack(), after_post=posts),
        owner="host-1",
        people_for=lambda _team: people(slack_api),
    )
    processes.clock.set(JUST_AFTER)
    with pytest.raises(Crash):
        dying.tick()


def resumed_on_host_2(
    processes: Processes, slack_api: SlackStandIn
) -> list[tuple[int, RunStatus | None]]:
    """What host-2 ran once host-1's lease had run out."""
    processes.clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    return engine(processes, people(slack_api), owner="host-2").tick()


def test_a_resumed_send_dm_messages_nobody_twice_when_its_group_changed_order(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The first process sent the DM to Ann and died; when the run resumes, the group
    lists Bob first. Each person's conversation is searched, so Ann is not sent it again."""
    group = slack_api.add_user_group("S0SALES", "sales-leads", [ANN, BOB])
    import_deals(sessions, [deal("D1", "Acme")], clock.now())
    action = {
        "type": "send_dm",
        "user_groups": ["@sales-leads"],
        "text": "{{ name }} is in contract",
        "mode": "per_record",
    }
    save(sessions, workflow_document(actions=[action]), clock.now())
    dies_after_posts(processes, slack_api, 1)
    assert dm_texts(slack_api, ANN) == ["Acme is in contract"]
    group.users.reverse()  # Bob first now

    [(run_id, status)] = resumed_on_host_2(processes, slack_api)

    assert status is RunStatus.SUCCEEDED
    assert dm_texts(slack_api, ANN) == ["Acme is in contract"]
    assert dm_texts(slack_api, BOB) == ["Acme is in contract"]
    assert {o for o, _ in outcomes(sessions, run_id).values()} == {ActionOutcome.OK}


def _listed(texts: list[str]) -> list[str]:
    return [line for text in texts for line in text.split("\n") if line.startswith("• ")]


def test_a_resumed_dm_digest_posts_each_person_the_replies_as_first_laid_out(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """Ann got the digest's parent and first reply before the process died; a deal the parent
    lists then got a long name. Laid out again, the replies still to send Ann would start
    lines earlier or later than where her first reply ended."""
    import_deals(sessions, [deal(f"D{n:04d}") for n in range(1_000)], clock.now())
    action = {"type": "send_dm", "users": [ANN, BOB], "text": LONG_LINE, "mode": "digest"}
    save(sessions, workflow_document(actions=[action]), clock.now())
    dies_after_posts(processes, slack_api, 2)
    assert len(dm_texts(slack_api, ANN)) == 2
    import_deals(sessions, [deal("D0005", "Deal D0005 " + "renamed " * 30)], clock.now())

    [(run_id, status)] = resumed_on_host_2(processes, slack_api)

    assert status is RunStatus.SUCCEEDED
    ann, bob = _listed(dm_texts(slack_api, ANN)), _listed(dm_texts(slack_api, BOB))
    numbers = [int(line.split()[2][1:]) for line in ann]
    assert numbers == list(range(len(numbers))), "each listed deal once, none left out"
    assert bob == ann, "one digest for everyone, as it was laid out before the crash"
    assert len(outcomes(sessions, run_id)) == 1_000


def test_a_dm_digest_postponed_before_anyone_got_it_is_laid_out_from_the_records_now(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """Slack was rate limiting the first post: the run was postponed with nothing sent.
    Meanwhile D2 was renamed and D1 removed: nobody got the digest, so it is laid out from
    the records as they are when it is sent."""
    import_deals(sessions, [deal("D1", "Acme"), deal("D2", "Globex")], clock.now())
    action = {"type": "send_dm", "users": [ANN], "text": "{{ name }}", "mode": "digest"}
    save(sessions, workflow_document(actions=[action]), clock.now())
    slack_api.rate_limit("chat.postMessage", times=2, retry_after=0)  # a try and its retry
    bot = engine(processes, people(slack_api))
    clock.set(JUST_AFTER)
    [(run_id, status)] = bot.tick()
    assert status is None and dm_texts(slack_api, ANN) == []
    import_deals(sessions, [deal("D2", "Globex renamed")], clock.now())
    with transaction(sessions) as session:
        by_ids(session, TEAM, "deals", ["D1"], clock.now())

    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    [(again, status)] = bot.tick()

    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    [digest] = dm_texts(slack_api, ANN)
    assert "Globex renamed" in digest and "Acme" not in digest
    assert outcomes(sessions, run_id) == {
        "D1": (ActionOutcome.SKIPPED.value, REMOVED),
        "D2": (ActionOutcome.OK.value, None),
    }
