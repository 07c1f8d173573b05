"""Runs survive their process: a process dying mid-run is resumed by another without a message
posted twice or an action lost, a live lease is respected, and a Slack outage postpones the
run instead of failing it, up to a limit."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.digest import MAX_REPLIES, REPLY_PARTS
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.notifier import ActionMark, Message
from bot.workflows.record_removal import by_ids
from bot.workflows.runner import DIGEST_RECORD_ID, MAX_ATTEMPTS, POST_TRIES
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.database import transaction, write_transaction
from storage.models import Run
from storage.run_digests import RunDigestRepository
from storage.runs import RunRepository
from tests.engine.builders import (
    DEALS_CHANNEL,
    SUMMARY_CHANNEL,
    TEAM,
    channel_message,
    deal,
    enrollments,
    import_deals,
    kept_layout,
    kept_layouts,
    record_ids,
    records_of_type,
    results,
    run,
    runs,
    save,
    save_long_digest,
    workflow_document,
)
from tests.engine.conftest import Crash, DyingNotifier, Processes
from tests.slack_standin import Call, SlackStandIn, conversations_history

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
PAST_THE_LEASE = DEFAULT_LEASE + timedelta(seconds=1)


def marks(slack_api: SlackStandIn) -> Counter[tuple[int, ...]]:
    """How many messages that reached Slack carry each (run, record, action, part) mark."""
    fields = ("run_id", "record_id", "action_index", "part")
    return Counter(
        tuple(int(m["metadata"]["event_payload"][f]) for f in fields)
        for m in slack_api.posted_messages()
        if "metadata" in m
    )


# -- a process dies mid-run ----------------------------------------------------------------

EVERY_KIND_OF_ACTION = [
    channel_message(mode="per_record"),
    {"type": "send_owner_dm", "text": "Please update {{ name }}"},
    {"type": "set_property", "property": "last_reminded", "value": "{{ run.date }}"},
    {"type": "create_task", "title": "Call about {{ name }}", "due_in_days": 3},
]
# Posts in order: the channel message of D1, D2, D3 (1-3), the DMs of D1, D2, D3 (4-6), then the
# record changes, which post nothing, then the run summary (7).
# Each crash: where the process dies, then how many results and messages it left behind.
CRASHES: dict[str, tuple[dict[str, int], int, int]] = {
    "after-a-channel-post": ({"after_post": 2}, 1, 2),
    "after-a-direct-message": ({"after_post": 5}, 4, 5),
    "between-two-records": ({"before_post": 2}, 1, 1),
    "after-the-summary": ({"after_post": 7}, 12, 7),
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_run_resumed_after_its_process_died_does_every_action_exactly_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    crash: str,
) -> None:
    import_deals(
        sessions,
        [deal("D1", owner="U0AAA"), deal("D2", owner="U0BBB"), deal("D3", owner="U0AAA")],
        clock.now(),
    )
    settings = {"summary_channel": SUMMARY_CHANNEL, "summary": "always"}
    save(sessions, workflow_document(actions=EVERY_KIND_OF_ACTION, settings=settings), clock.now())
    dies_at, recorded_before, posted_before = CRASHES[crash]
    dying = processes.start("host-1", DyingNotifier(processes.slack(), **dies_at))
    clock.set(JUST_AFTER)

    with pytest.raises(Crash):
        dying.tick()
    [interrupted] = runs(sessions)
    assert (interrupted.status, interrupted.lease_owner) == (RunStatus.RUNNING, "host-1")
    assert len(results(sessions, interrupted.id)) == recorded_before
    assert len(slack_api.posted_messages()) == posted_before

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert (run_id, status) == (interrupted.id, RunStatus.SUCCEEDED)
    resumed = run(sessions, run_id)
    assert resumed.attempts == 2
    assert len(enrollments(sessions, run_id)) == 3
    outcome = results(sessions, run_id)
    assert Counter((r.record_id, r.action_index) for r in outcome) == Counter(
        {(e.record_id, index): 1 for e in enrollments(sessions, run_id) for index in range(4)}
    )
    assert {r.outcome for r in outcome} == {ActionOutcome.OK.value}
    # Exactly one message per record and messaging action, and one summary.
    counted = marks(slack_api)
    assert sum(counted.values()) == 3 + 3 + 1
    assert set(counted.values()) == {1}
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3
    assert len(slack_api.posted_messages(SUMMARY_CHANNEL)) == 1
    # What a result refers to is the message in Slack, found again when it was not recorded.
    stored = {(m["channel"], m["ts"]) for m in slack_api.posted_messages()}
    for result in outcome:
        if result.reference is not None:
            assert (result.reference["channel"], result.reference["ts"]) in stored
    # Nothing was posted twice: every call that reached Slack is one of those messages.
    assert len(slack_api.calls("chat.postMessage")) == 7
    # The resumed process looked in the channels' history before posting anything.
    assert slack_api.calls("conversations.history")
    # The record changes happened once.
    assert len(records_of_type(sessions, "tasks")) == 3
    assert {r.properties["last_reminded"] for r in records_of_type(sessions, "deals")} == {
        "2026-11-02"
    }


def digest_dying_after(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, posts: int
) -> None:
    """A digest of 1,000 deals, a parent and three replies, whose process dies once it has
    posted ``posts`` of its messages."""
    save_long_digest(sessions, 1_000, clock.now())
    clock.set(JUST_AFTER)
    with pytest.raises(Crash):
        processes.start("host-1", DyingNotifier(processes.slack(), after_post=posts)).tick()


def test_a_digest_resumed_after_its_second_message_posts_only_the_others_and_records_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    digest_dying_after(sessions, clock, processes, posts=2)
    [interrupted] = runs(sessions)
    assert results(sessions, interrupted.id) == []
    before = [m["metadata"]["event_payload"]["part"] for m in slack_api.posted_messages()]
    assert before == [0, REPLY_PARTS + 1]

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    parent, *replies = slack_api.posted_messages(DEALS_CHANNEL)
    assert len(replies) == 3
    assert {reply["thread_ts"] for reply in replies} == {parent["ts"]}
    # Parts 2 and 3 were posted by the resumed process, once each; nothing else twice.
    assert set(marks(slack_api).values()) == {1}
    assert len(slack_api.calls("chat.postMessage")) == 4
    assert "more: see the run's history" in replies[-1]["text"]
    outcome = results(sessions, run_id)
    assert Counter(r.record_id for r in outcome) == Counter(
        {e.record_id: 1 for e in enrollments(sessions, run_id)}
    )
    assert len(outcome) == 1_000
    assert {(r.outcome, r.reference["ts"]) for r in outcome if r.reference} == {
        (ActionOutcome.OK.value, parent["ts"])
    }


def test_a_digest_resumed_across_a_change_of_layout_does_not_take_an_old_reply_for_its_own(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    digest_dying_after(sessions, clock, processes, posts=1)
    [interrupted] = runs(sessions)
    [parent] = slack_api.posted_messages(DEALS_CHANNEL)
    # The dead process ran an older layout: its first reply, part 1, held the second section.
    old_reply = ActionMark(interrupted.id, DIGEST_RECORD_ID, 0, part=1)
    processes.slack().post(
        Message(DEALS_CHANNEL, "• Deal D0030", mark=old_reply, thread_ts=parent["ts"])
    )

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    replies = [m for m in slack_api.posted_messages(DEALS_CHANNEL) if m["ts"] != parent["ts"]]
    parts = [m["metadata"]["event_payload"]["part"] for m in replies]
    assert parts == [1, REPLY_PARTS + 1, REPLY_PARTS + 2, REPLY_PARTS + 3]
    assert {(r.outcome, r.reference["ts"]) for r in results(sessions, run_id)} == {
        (ActionOutcome.OK.value, parent["ts"])
    }


def test_a_digest_resumed_after_its_parent_lists_a_record_removed_meanwhile_as_posted(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    digest_dying_after(sessions, clock, processes, posts=1)
    [parent] = slack_api.posted_messages(DEALS_CHANNEL)
    assert "Deal D0005 is in contract" in parent["text"]
    with transaction(sessions) as session:
        by_ids(session, TEAM, "deals", ["D0005"], clock.now())

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    messages = slack_api.posted_messages(DEALS_CHANNEL)
    assert len(messages) == 1 + MAX_REPLIES
    # Each listed record once, none left out where the replies take over from the parent.
    numbers = listed_numbers(messages)
    assert numbers == list(range(len(numbers)))
    ids = record_ids(sessions)
    outcome = {r.record_id: r.outcome for r in results(sessions, run_id)}
    assert len(outcome) == 1_000
    assert outcome[ids["D0005"]] == ActionOutcome.OK.value


def test_a_digest_resumed_without_a_kept_layout_lists_a_record_removed_meanwhile_as_posted(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The parent was posted by a process that kept no layout (as before run_digests): the
    resumed run lays the digest out again, and still lists the deal its parent lists."""
    digest_dying_after(sessions, clock, processes, posts=1)
    [interrupted] = runs(sessions)
    with write_transaction(sessions) as session:
        RunDigestRepository(session).forget(interrupted.id, 0)
        by_ids(session, TEAM, "deals", ["D0005"], clock.now())

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    messages = slack_api.posted_messages(DEALS_CHANNEL)
    numbers = listed_numbers(messages)
    assert numbers == list(range(len(numbers))), "each listed deal once, none left out"
    outcome = {r.record_id: r.outcome for r in results(sessions, run_id)}
    assert len(outcome) == 1_000
    assert outcome[record_ids(sessions)["D0005"]] == ActionOutcome.OK.value


def test_a_digest_resumed_after_its_action_was_edited_lays_it_out_anew(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The kept layout is of the action as it was: the replies still to post say what the
    action says now."""
    digest_dying_after(sessions, clock, processes, posts=1)
    edited = channel_message("{{ name }} is ready for signature", mode="digest")
    save(sessions, workflow_document(actions=[edited]), clock.now())

    clock.advance(PAST_THE_LEASE)
    [(_run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    _parent, *replies = slack_api.posted_messages(DEALS_CHANNEL)
    assert replies and all("is ready for signature" in reply["text"] for reply in replies)
    assert not any("is in contract" in reply["text"] for reply in replies)


def listed_numbers(messages: list[dict[str, Any]]) -> list[int]:
    """The numbers of the deals the messages list, D0005 as 5, in the order they are listed."""
    lines = [line for m in messages for line in m["text"].split("\n") if line.startswith("• ")]
    return [int(line.split()[2][1:]) for line in lines]


def test_a_digest_resumed_after_a_listed_record_grew_posts_the_replies_as_first_laid_out(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The parent and reply 1 were posted; then a deal of the parent got a name long enough
    to push the parent's last lines into reply 1, and so reply 1's last lines into reply 2,
    had the resumed run laid the digest out again from what the records say now."""
    digest_dying_after(sessions, clock, processes, posts=2)
    [parent, first_reply] = slack_api.posted_messages(DEALS_CHANNEL)
    assert "Deal D0005 is in contract" in parent["text"]
    import_deals(sessions, [deal("D0005", "Deal D0005 " + "renamed " * 30)], clock.now())

    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    messages = slack_api.posted_messages(DEALS_CHANNEL)
    assert messages[:2] == [parent, first_reply]
    assert len(messages) == 1 + MAX_REPLIES
    assert set(marks(slack_api).values()) == {1}
    # Each listed deal in exactly one message, none left out between two of them.
    numbers = listed_numbers(messages)
    assert numbers == list(range(len(numbers)))
    assert f"…and {1_000 - len(numbers):,} more" in messages[-1]["text"]
    assert len(results(sessions, run_id)) == 1_000
    assert kept_layouts(sessions) == set(), "posted whole, its layout is not kept any longer"


Ticked = list[tuple[int, RunStatus | None]]


@contextmanager
def _first_reply_held(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    lease: timedelta = DEFAULT_LEASE,
) -> Iterator[tuple[Run, list[Ticked]]]:
    """host-1 runs a 1,000-deal digest in a thread, held in Slack at the digest's first
    reply while the body runs; on leaving, the reply is let through and the thread joined,
    what its tick returned then in the list given."""
    save_long_digest(sessions, 1_000, clock.now())
    clock.set(JUST_AFTER)
    first_reply = slack_api.hold("chat.postMessage", nth=2, after_handling=False)
    ended: list[Ticked] = []
    host = processes.start("host-1", lease=lease)
    running = threading.Thread(target=lambda: ended.append(host.tick()))
    running.start()
    try:
        assert first_reply.reached.wait(30)
        [digest] = runs(sessions)
        yield digest, ended
    finally:
        first_reply.release()
        running.join(30)


def _assert_every_deal_ok(sessions: sessionmaker[Session], run_id: int) -> None:
    outcome = results(sessions, run_id)
    assert len(outcome) == 1_000
    assert {r.outcome for r in outcome} == {ActionOutcome.OK.value}


def test_while_a_digests_replies_are_posted_its_results_are_unseen_and_its_lease_renewable(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    with _first_reply_held(sessions, clock, processes, slack_api) as (digest, ended):
        # On PostgreSQL the results are written by now, in a transaction still open (its
        # rows lock their enrollments): none is seen, so a process dying here leaves none.
        assert _enrollments_locked(sessions, digest.id) in (True, None)
        assert results(sessions, digest.id) == []
        # Nor does that transaction hold what a lease renewal locks (the run's row, or on
        # SQLite the database): this process renews its lease meanwhile.
        with write_transaction(sessions) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
            renewed = RunRepository(session).renew_leases(
                [digest.id], "host-1", clock.now(), DEFAULT_LEASE
            )
        assert renewed == {digest.id}

    assert ended == [[(digest.id, RunStatus.SUCCEEDED)]]
    _assert_every_deal_ok(sessions, digest.id)
    assert kept_layouts(sessions) == set()


def test_a_process_taking_over_a_digest_does_not_wait_for_the_old_holders_open_transaction(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """host-1 wrote the digest's results (PostgreSQL) and is stuck posting its first reply,
    its transaction open, as when its machine vanished: the database ends that transaction
    once it has been idle a third of host-1's lease, so host-2, which took the run over
    after the lease, writes the results, where it waited on host-1's rows until its
    statement timeout."""
    short_lease = timedelta(seconds=3)
    save_long_digest(sessions, 1_000, clock.now())
    clock.set(JUST_AFTER)
    first_reply = slack_api.hold("chat.postMessage", nth=2, after_handling=False)
    ended: dict[str, list[tuple[int, RunStatus | None]]] = {}

    def tick(owner: str, lease: timedelta) -> None:
        ended[owner] = processes.start(owner, lease=lease).tick()

    one = threading.Thread(target=tick, args=("host-1", short_lease))
    two = threading.Thread(target=tick, args=("host-2", DEFAULT_LEASE))
    one.start()
    try:
        assert first_reply.reached.wait(30)
        clock.advance(short_lease + timedelta(seconds=1))
        two.start()
        two.join(20)
        assert not two.is_alive(), "host-2 waited on host-1's open transaction"
    finally:
        first_reply.release()
        one.join(30)
        two.join(30)

    [digest] = runs(sessions)
    assert ended == {"host-1": [(digest.id, None)], "host-2": [(digest.id, RunStatus.SUCCEEDED)]}
    _assert_every_deal_ok(sessions, digest.id)


def test_a_digest_reply_slower_than_the_idle_limit_costs_only_the_early_write(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """host-1's first reply waits in Slack longer than its transaction may stay idle (a
    third of its lease), its lease still held: the database ends the transaction, and the
    results are written once the replies are posted."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("only PostgreSQL writes the results while the replies wait")
    short_lease = timedelta(seconds=3)
    held = _first_reply_held(sessions, clock, processes, slack_api, lease=short_lease)
    with held as (digest, ended):
        assert _enrollments_locked(sessions, digest.id) is True  # written, still open
        _wait_until_enrollments_unlocked(sessions, digest.id)

    assert ended == [[(digest.id, RunStatus.SUCCEEDED)]]
    _assert_every_deal_ok(sessions, digest.id)


def _enrollments_locked(sessions: sessionmaker[Session], run_id: int) -> bool | None:
    """On PostgreSQL, whether a transaction holds locks on the run's enrollments (results
    written and not committed reference them); None on SQLite, which writes them later."""
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return None
        try:
            session.execute(
                text("SELECT 1 FROM enrollments WHERE run_id = :run_id FOR UPDATE NOWAIT"),
                {"run_id": run_id},
            )
        except OperationalError:
            return True
        return False


def _wait_until_enrollments_unlocked(sessions: sessionmaker[Session], run_id: int) -> None:
    """On PostgreSQL, until no transaction holds locks on the run's enrollments: the database
    has ended the one left idle."""
    deadline = time.monotonic() + 20
    while _enrollments_locked(sessions, run_id):
        assert time.monotonic() < deadline, "the idle transaction was never ended"
        time.sleep(0.1)


def test_a_digest_holder_that_lost_its_run_while_posting_replies_records_no_result(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """host-1's first reply waits in Slack past its lease, and host-3 claims the run
    meanwhile: host-1 must neither post the digest's other replies nor record its results
    (host-3 owns the run now, and posts what is missing when it runs it)."""
    with _first_reply_held(sessions, clock, processes, slack_api) as (digest, ended):
        clock.advance(PAST_THE_LEASE)
        assert processes.start("host-3").claim(digest.id) == digest.id

    assert ended == [[(digest.id, None)]]
    assert run(sessions, digest.id).lease_owner == "host-3"
    assert results(sessions, digest.id) == []
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 2  # the parent, the held reply


# -- leases --------------------------------------------------------------------------------


def test_a_run_under_a_live_lease_is_not_taken_by_another_process(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(), clock.now())
    holder, other = processes.start("host-1"), processes.start("host-2")
    clock.set(JUST_AFTER)
    holder.plan()
    run_id = holder.claim()
    assert run_id is not None

    clock.advance(DEFAULT_LEASE - timedelta(seconds=1))
    assert other.tick() == []
    held = run(sessions, run_id)
    assert (held.lease_owner, held.attempts) == ("host-1", 1)

    assert holder.runner.execute(run_id) is RunStatus.SUCCEEDED
    assert run(sessions, run_id).attempts == 1
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 1
    clock.advance(PAST_THE_LEASE)
    assert other.tick() == []


def test_a_process_that_lost_its_run_while_reading_history_keeps_no_layout_and_stops(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """host-1 kept its layout and died before posting. host-2, resuming, stalled while it
    read the channel's history, past its lease: host-3 claimed the run meanwhile. host-2
    must not replace the layout host-3 will post from, nor post anything."""
    save_long_digest(sessions, 1_000, clock.now())
    clock.set(JUST_AFTER)
    with pytest.raises(Crash):
        processes.start("host-1", DyingNotifier(processes.slack(), before_post=1)).tick()
    [interrupted] = runs(sessions)
    first_layout = kept_layout(sessions, interrupted.id, 0)
    assert first_layout is not None
    import_deals(sessions, [deal("D0005", "Deal D0005 renamed")], clock.now())
    taken_by: list[int | None] = []

    def stalled_past_the_lease(standin: SlackStandIn, call: Call) -> dict[str, Any]:
        if not taken_by:
            clock.advance(PAST_THE_LEASE)
            taken_by.append(processes.start("host-3").claim(interrupted.id))
        return conversations_history(standin, call)

    slack_api.handlers["conversations.history"] = stalled_past_the_lease
    clock.advance(PAST_THE_LEASE)
    [(run_id, status)] = processes.start("host-2").tick()

    assert (run_id, status, taken_by) == (interrupted.id, None, [interrupted.id])
    assert run(sessions, run_id).lease_owner == "host-3"
    assert kept_layout(sessions, run_id, 0) == first_layout
    assert slack_api.posted_messages(DEALS_CHANNEL) == []


# -- Slack outages -------------------------------------------------------------------------


def _answer_500(slack_api: SlackStandIn, claims: int) -> None:
    # A post answered 500 is not retried by the client: the run looks for it in history,
    # then posts it again, POST_TRIES times in all per claim.
    slack_api.server_error("chat.postMessage", times=claims * POST_TRIES)


def _answer_429(slack_api: SlackStandIn, claims: int) -> None:
    # A 429 is retried by the client: the try and its one retry per claim.
    slack_api.rate_limit("chat.postMessage", times=claims * 2, retry_after=0)


OUTAGES: dict[str, Any] = {"server-errors": _answer_500, "rate-limits": _answer_429}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_slack_outage_postpones_the_run_until_after_its_lease_and_it_then_completes(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    outage: str,
) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())
    save(sessions, workflow_document(), clock.now())
    OUTAGES[outage](slack_api, 1)  # every post of one claim of the run
    bot = processes.start()
    clock.set(JUST_AFTER)

    [(run_id, status)] = bot.tick()

    assert status is None
    postponed = run(sessions, run_id)
    assert (postponed.status, postponed.attempts) == (RunStatus.RUNNING, 1)
    assert results(sessions, run_id) == []
    assert bot.next_wake_up() == JUST_AFTER + DEFAULT_LEASE
    assert bot.tick() == []  # not before the lease ends

    clock.advance(PAST_THE_LEASE)
    [(again, status)] = bot.tick()

    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    assert run(sessions, run_id).attempts == 2
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 2
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}


def test_after_the_last_attempt_an_outage_fails_the_remaining_actions_with_why(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())
    save(sessions, workflow_document(), clock.now())
    _answer_500(slack_api, 1_000_000)
    bot = processes.start()
    clock.set(JUST_AFTER)

    statuses = []
    for _ in range(MAX_ATTEMPTS):
        [(run_id, status)] = bot.tick()
        statuses.append(status)
        clock.advance(PAST_THE_LEASE)

    assert statuses == [None] * (MAX_ATTEMPTS - 1) + [RunStatus.FAILED]
    finished = run(sessions, run_id)
    assert (finished.status, finished.attempts) == (RunStatus.FAILED, MAX_ATTEMPTS)
    outcome = results(sessions, run_id)
    assert len(outcome) == 2
    assert {r.outcome for r in outcome} == {ActionOutcome.FAILED.value}
    assert {r.reason for r in outcome} == {
        "Slack answered with a server error (HTTP 500) after the message was sent (it was "
        f"sent {POST_TRIES} times, and each time not found in the channel then): the delivery "
        "can be tried again later"
    }
    assert bot.tick() == []


def test_a_resumed_run_searches_history_only_up_to_the_first_message_not_found(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal(f"D{n}") for n in range(1, 6)], clock.now())
    save(sessions, workflow_document(actions=[channel_message(mode="per_record")]), clock.now())
    dying = processes.start("host-1", DyingNotifier(processes.slack(), after_post=2))
    clock.set(JUST_AFTER)
    with pytest.raises(Crash):
        dying.tick()

    clock.advance(PAST_THE_LEASE)
    [(_, status)] = processes.start("host-2").tick()

    assert status is RunStatus.SUCCEEDED
    # The second message is found; the third is not, so the last two are posted unsearched.
    assert len(slack_api.calls("conversations.history")) == 2
    assert set(marks(slack_api).values()) == {1}
    assert len(marks(slack_api)) == 5


def test_a_run_that_kills_every_process_running_it_is_stopped_and_failed(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    from bot.workflows.runner import MAX_CLAIMS

    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(actions=[channel_message(mode="per_record")]), clock.now())
    clock.set(JUST_AFTER)
    for attempt in range(MAX_CLAIMS):
        dying = processes.start(f"host-{attempt}", DyingNotifier(processes.slack(), before_post=1))
        with pytest.raises(Crash):
            dying.tick()
        clock.advance(PAST_THE_LEASE)

    [(run_id, status)] = processes.start("host-last").tick()

    assert status is RunStatus.FAILED
    stopped = run(sessions, run_id)
    assert stopped.attempts == MAX_CLAIMS + 1
    assert "every process that ran it died" in stopped.reason
    assert processes.start("host-after").tick() == []
