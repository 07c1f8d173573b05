"""Runs due at one instant claimed and carried out in batches (bot.workflows.run_batch): the
small channel reminders of a burst together, everything else alone beside them, and a
batch's runs as exactly-once as runs carried out alone when its process dies or Slack is
away."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE, Engine
from bot.workflows.notifier import Message, Notifier, Posted
from bot.workflows.run_batch import (
    BATCH_SIZE,
    MAX_BATCHED_RECORDS,
    POSTING_RUNS,
    BatchExecution,
    Claimed,
    claim_batch,
)
from bot.workflows.run_observer import UNEXPECTED_ERROR, Unobserved
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.database import write_transaction
from storage.models import Run
from storage.runs import RunRepository
from tests.engine.batch_reminders import (
    PAST_THE_LEASE,
    by_workflow,
    channel,
    due_reminders,
    expected_marks,
    marks,
    more_than_a_batch_takes,
    reminder,
    with_a_run_alone,
)
from tests.engine.builders import (
    SUMMARY_CHANNEL,
    channel_message,
    deal,
    enrollments,
    import_deals,
    results,
    run,
    runs,
    save,
    workflow_document,
)
from tests.engine.conftest import Crash, DyingNotifier, Processes, WrappingNotifier
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)


def test_a_burst_of_channel_reminders_is_claimed_a_batch_at_a_time_and_each_posts_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due = BATCH_SIZE + 5
    due_reminders(sessions, clock, due, deals_each=2)
    bot = processes.start("host-1")
    clock.set(JUST_AFTER)
    bot.plan()

    first = bot.claim_batch(BATCH_SIZE)
    second = bot.claim_batch(BATCH_SIZE)

    assert (len(first.batch), first.alone) == (BATCH_SIZE, None)
    assert (len(second.batch), second.alone) == (5, None)
    assert bot.claim_batch(BATCH_SIZE).run_ids == []
    ended = BatchExecution(bot.runner, first).run() + BatchExecution(bot.runner, second).run()
    assert sorted(status for _, status in ended) == [RunStatus.SUCCEEDED] * due
    for each in runs(sessions):
        assert (each.status, each.attempts, each.lease_owner) == (RunStatus.SUCCEEDED, 1, None)
        assert each.enrolled_at is not None
        assert (each.summary["enrolled"], each.summary["ok"]) == (2, 2)
        assert [r.outcome for r in results(sessions, each.id)] == [ActionOutcome.OK.value] * 2
    assert marks(slack_api) == expected_marks(sessions)
    assert sum(marks(slack_api).values()) == 2 * due
    for number in range(due):
        assert len(slack_api.posted_messages(channel(number))) == 2


class PostsAtOnce(WrappingNotifier):
    """Counts the posts in progress at once, by batch (the run ids of each), holding each
    post until ``expected`` are in progress together (or a while has passed), so that any
    more posting at once would be seen."""

    def __init__(self, inner: Notifier, batches: list[set[int]], expected: int) -> None:
        super().__init__(inner)
        self.batches = batches
        self.expected = expected
        self.in_progress = [0 for _ in batches]
        self.most = [0 for _ in batches]
        self.most_together = 0
        self._changed = threading.Condition()

    def post(self, message: Message) -> Posted:
        assert message.mark is not None
        batch = next(n for n, ids in enumerate(self.batches) if message.mark.run_id in ids)
        with self._changed:
            self.in_progress[batch] += 1
            self.most[batch] = max(self.most[batch], self.in_progress[batch])
            self.most_together = max(self.most_together, sum(self.in_progress))
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.most_together >= self.expected, timeout=10)
        try:
            return super().post(message)
        finally:
            with self._changed:
                self.in_progress[batch] -= 1


def test_batches_of_ticks_side_by_side_each_post_as_many_runs_at_once_as_a_batch_may(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # The posting threads are the process's, shared by its ticks: each batch still gets its
    # POSTING_RUNS at once, and no more.
    each = POSTING_RUNS + 4
    due_reminders(sessions, clock, 2 * each)
    bot = processes.start("host-1")
    clock.set(JUST_AFTER)
    bot.plan()
    claims = [bot.claim_batch(each), bot.claim_batch(each)]
    batches = [set(claim.run_ids) for claim in claims]
    counting = PostsAtOnce(processes.slack(), batches, 2 * POSTING_RUNS)
    runner = processes.start("host-1", counting).runner
    ended: list[tuple[int, RunStatus | None]] = []

    def tick(claimed: Claimed) -> None:
        ended.extend(BatchExecution(runner, claimed).run())

    ticks = [threading.Thread(target=tick, args=(claim,)) for claim in claims]
    for each_tick in ticks:
        each_tick.start()
    for each_tick in ticks:
        each_tick.join(timeout=60)

    assert sorted(status for _, status in ended) == [RunStatus.SUCCEEDED] * 2 * each
    assert counting.most == [POSTING_RUNS, POSTING_RUNS]
    assert counting.most_together == 2 * POSTING_RUNS
    assert marks(slack_api) == expected_marks(sessions)


def test_a_run_that_cannot_join_a_batch_is_claimed_alone_beside_it_and_run_as_before(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 3)
    import_deals(sessions, [deal("OWNED", owner="U0AAA", batch=99)], clock.now())
    owners = workflow_document(
        name="Owner reminders",
        criteria={"any": [{"all": [{"property": "batch", "operator": "eq", "value": 99}]}]},
        actions=[{"type": "send_owner_dm", "text": "Please update {{ name }}"}],
    )
    save(sessions, owners, clock.now())
    bot = processes.start("host-1")
    clock.set(JUST_AFTER)
    bot.plan()

    claimed = bot.claim_batch(BATCH_SIZE)

    assert len(claimed.batch) == 3
    assert claimed.alone is not None
    assert run(sessions, claimed.alone).status == RunStatus.RUNNING
    ended = dict(BatchExecution(bot.runner, claimed).run())
    assert set(ended.values()) == {RunStatus.SUCCEEDED}
    assert len(ended) == 4
    [direct] = results(sessions, claimed.alone)
    assert direct.outcome == ActionOutcome.OK.value
    assert marks(slack_api) == expected_marks(sessions)
    assert sum(marks(slack_api).values()) == 4


def test_a_batched_run_enrolling_more_records_than_a_batch_takes_goes_on_alone(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    many = more_than_a_batch_takes(sessions, clock)
    save(sessions, reminder(0), clock.now())
    clock.set(JUST_AFTER)

    [(run_id, status)] = processes.start("host-1").tick()

    assert status is RunStatus.SUCCEEDED
    assert len(enrollments(sessions, run_id)) == many
    # More than DIGEST_THRESHOLD records: the per-run path posts them as one digest.
    [digest] = slack_api.posted_messages(channel(0))
    assert str(many) in digest["text"]
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}
    assert len(results(sessions, run_id)) == many


def test_a_batched_run_that_wants_a_summary_posts_it_once_after_its_messages(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("S1", batch=0), deal("S2", batch=1)], clock.now())
    save(sessions, reminder(0, summary_channel=SUMMARY_CHANNEL, summary="always"), clock.now())
    save(sessions, reminder(1), clock.now())
    clock.set(JUST_AFTER)

    ended = processes.start("host-1").tick()

    assert [status for _, status in ended] == [RunStatus.SUCCEEDED] * 2
    [summary] = slack_api.posted_messages(SUMMARY_CHANNEL)
    assert "Reminder 00" in summary["text"]
    assert len(slack_api.posted_messages(channel(0))) == 1
    assert len(slack_api.posted_messages(channel(1))) == 1


@pytest.mark.parametrize("dies", [{"after_post": 7}, {"before_post": 7}])
def test_a_batch_whose_process_dies_mid_burst_is_resumed_and_posts_each_message_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    dies: dict[str, int],
) -> None:
    due = 12
    due_reminders(sessions, clock, due, deals_each=2)
    dying = processes.start("host-1", DyingNotifier(processes.slack(), **dies))
    clock.set(JUST_AFTER)
    with pytest.raises(Crash):
        dying.tick()
    assert {r.status for r in runs(sessions)} == {RunStatus.RUNNING}

    clock.advance(PAST_THE_LEASE)
    ended = processes.start("host-2").tick()

    assert sorted(status for _, status in ended) == [RunStatus.SUCCEEDED] * due
    assert marks(slack_api) == expected_marks(sessions)
    # Nothing was posted twice: every call that reached Slack is one of those messages.
    assert len(slack_api.calls("chat.postMessage")) == 2 * due
    for each in runs(sessions):
        assert Counter((r.record_id, r.outcome) for r in results(sessions, each.id)) == Counter(
            {(e.record_id, ActionOutcome.OK.value): 1 for e in enrollments(sessions, each.id)}
        )


def test_a_batched_run_whose_slack_is_away_waits_and_the_others_post(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 4, deals_each=2)
    bot = processes.start("host-1")
    clock.set(JUST_AFTER)
    slack_api.fail("request_timeout", channel=channel(2))

    ended = dict(bot.tick())

    postponed = [run_id for run_id, status in ended.items() if status is None]
    assert len(postponed) == 1
    assert run(sessions, postponed[0]).status == RunStatus.RUNNING
    assert sorted(s for s in ended.values() if s is not None) == [RunStatus.SUCCEEDED] * 3

    slack_api.stop_failing()
    clock.advance(PAST_THE_LEASE)
    [(resumed, status)] = bot.tick()

    assert (resumed, status) == (postponed[0], RunStatus.SUCCEEDED)
    assert marks(slack_api) == expected_marks(sessions)
    assert len(slack_api.posted_messages(channel(2))) == 2


class TakingOver(WrappingNotifier):
    """A notifier in a process that stalls after its first post, long enough for its
    leases to be renewed, while another process takes ``taken`` over."""

    def __init__(
        self,
        inner: Notifier,
        sessions: sessionmaker[Session],
        clock: FixedClock,
        taken: int,
    ) -> None:
        self.inner = inner
        self.sessions = sessions
        self.clock = clock
        self.taken = taken
        self.stalled = False
        self._lock = threading.Lock()

    def post(self, message: Message) -> Posted:
        posted = self.inner.post(message)
        with self._lock:
            if not self.stalled:
                self.stalled = True
                with self.sessions.begin() as session:
                    session.execute(
                        update(Run).where(Run.id == self.taken).values(lease_owner="host-2")
                    )
                self.clock.advance(DEFAULT_LEASE / 2)
        return posted


def test_a_batched_run_another_process_took_over_stops_posting_and_is_not_finished(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 3, deals_each=3)
    clock.set(JUST_AFTER)
    planner = processes.start("host-1")
    planner.plan()
    taken = max(r.id for r in runs(sessions))
    bot = processes.start("host-1", TakingOver(processes.slack(), sessions, clock, taken))

    ended = dict(bot.tick())

    assert ended[taken] is None
    assert {ended[r.id] for r in runs(sessions) if r.id != taken} == {RunStatus.SUCCEEDED}
    left = run(sessions, taken)
    assert (left.status, left.lease_owner, left.finished_at) == (
        RunStatus.RUNNING,
        "host-2",
        None,
    )
    # It stopped at its next post once its lease was renewed: fewer than its three messages.
    assert len(slack_api.posted_messages(channel(2))) < 3
    assert len(results(sessions, taken)) == len(slack_api.posted_messages(channel(2)))


def test_a_claimed_run_whose_lease_another_process_took_before_it_started_posts_nothing(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    late, run_id = _claimed_until_its_lease_ran_out(sessions, clock, processes, "host-1")
    other = processes.start("host-2")
    assert other.claim(run_id) == run_id

    assert late.runner.execute(run_id) is None
    assert slack_api.posted_messages(channel(0)) == []
    assert other.runner.execute(run_id) is RunStatus.SUCCEEDED
    assert len(slack_api.posted_messages(channel(0))) == 1


class PacedChannel(WrappingNotifier):
    """A notifier whose every post takes 10 s of the clock (Slack paces a channel); once the
    leases taken at JUST_AFTER would have run out, ``other`` ticks (another process)."""

    def __init__(self, inner: Notifier, clock: FixedClock, other: Any) -> None:
        self.inner, self.clock, self.other = inner, clock, other
        self.other_ended: list[tuple[int, RunStatus | None]] | None = None

    def post(self, message: Message) -> Posted:
        posted = self.inner.post(message)
        self.clock.advance(timedelta(seconds=10))
        if self.other_ended is None and self.clock.now() > JUST_AFTER + PAST_THE_LEASE:
            self.other_ended = self.other.tick()
        return posted


def test_runs_claimed_with_a_batch_and_carried_out_alone_keep_their_leases_until_they_start(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # Two runs too large for a batch: claimed together, carried out one after the other,
    # the first posting for longer than a lease.
    many = MAX_BATCHED_RECORDS + 5
    import_deals(
        sessions, [deal(f"R{w}-{d}", batch=w) for w in range(2) for d in range(many)], clock.now()
    )
    for number in range(2):
        document = reminder(number)
        document["actions"] = [
            channel_message("{{ name }}", channel=channel(number), mode="per_record")
        ]
        save(sessions, document, clock.now())
    clock.set(JUST_AFTER)
    notifier = PacedChannel(processes.slack(), clock, processes.start("host-2"))

    ended = dict(processes.start("host-1", notifier).tick())

    assert notifier.other_ended == []
    assert set(ended.values()) == {RunStatus.SUCCEEDED}
    assert marks(slack_api) == expected_marks(sessions)


def test_batched_runs_whose_summary_slack_cannot_take_wait_and_the_other_runs_go_on(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal(f"S{n}", batch=n) for n in range(3)], clock.now())
    for number in range(2):
        document = reminder(number, summary_channel=SUMMARY_CHANNEL, summary="always")
        save(sessions, document, clock.now())
    save(sessions, reminder(2), clock.now())
    with_a_run_alone(sessions, clock, 3)
    clock.set(JUST_AFTER)
    slack_api.fail("request_timeout", channel=SUMMARY_CHANNEL)
    bot = processes.start("host-1")

    ended = dict(bot.tick())

    first, second, quiet, alone = by_workflow(sessions)
    assert [ended[r] for r in (first, second, quiet, alone)] == [
        None,
        None,
        RunStatus.SUCCEEDED,
        RunStatus.SUCCEEDED,
    ]
    assert {run(sessions, r).status for r in (first, second)} == {RunStatus.RUNNING}

    slack_api.stop_failing()
    clock.advance(PAST_THE_LEASE)
    assert dict(bot.tick()) == {first: RunStatus.SUCCEEDED, second: RunStatus.SUCCEEDED}
    assert len(slack_api.posted_messages(SUMMARY_CHANNEL)) == 2
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [1, 1, 1, 1]


class FailingChannel(WrappingNotifier):
    """A notifier with a bug: posting to ``broken`` raises an unexpected error."""

    def __init__(self, inner: Notifier, broken: str) -> None:
        self.inner, self.broken = inner, broken

    def post(self, message: Message) -> Posted:
        if message.channel == self.broken:
            raise RuntimeError("a bug while posting")
        return self.inner.post(message)


def test_a_batched_run_failing_unexpectedly_is_left_to_its_lease_and_the_others_finish(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 3, deals_each=2)
    with_a_run_alone(sessions, clock, 3)
    clock.set(JUST_AFTER)
    buggy = processes.start("host-1", FailingChannel(processes.slack(), channel(1)))

    ended = dict(buggy.tick())

    first, failing, third, alone = by_workflow(sessions)
    assert [ended[r] for r in (first, failing, third, alone)] == [
        RunStatus.SUCCEEDED,
        None,
        RunStatus.SUCCEEDED,
        RunStatus.SUCCEEDED,
    ]
    assert len(results(sessions, first)) == len(results(sessions, third)) == 2
    assert run(sessions, failing).status == RunStatus.RUNNING

    clock.advance(PAST_THE_LEASE)
    assert processes.start("host-2").tick() == [(failing, RunStatus.SUCCEEDED)]
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [2, 2, 2, 1]
    assert len(results(sessions, failing)) == 2


def test_a_run_chosen_as_a_first_claim_is_not_claimed_as_one_once_it_ran_elsewhere(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # Chosen as a first claim; meanwhile another process claimed it, and died: its lease
    # ran out, so it is due again, but as a run to resume, not a first claim.
    _, run_id = _claimed_until_its_lease_ran_out(sessions, clock, processes, "host-2")

    with write_transaction(sessions) as session:
        repository = RunRepository(session)
        assert (
            repository.claim([], "host-1", clock.now(), DEFAULT_LEASE, first_claims=[run_id])
            == set()
        )
        assert repository.claim([run_id], "host-1", clock.now(), DEFAULT_LEASE) == {run_id}
    assert (run(sessions, run_id).lease_owner, run(sessions, run_id).attempts) == ("host-1", 2)


def test_processes_claiming_at_once_each_take_runs_of_their_own(
    database_url: str,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    # SQLite has one writer at a time: claims never overlap there.
    if not database_url.startswith("postgresql"):
        pytest.skip("claims overlap on PostgreSQL only")
    due_reminders(sessions, clock, 4)
    clock.set(JUST_AFTER)
    processes.start("host-1").plan()

    # The first claim's transaction is still open when the second one reads its candidates.
    with write_transaction(sessions) as first, write_transaction(sessions) as second:
        one = claim_batch(first, "host-1", clock.now(), DEFAULT_LEASE, 2)
        other = claim_batch(second, "host-2", clock.now(), DEFAULT_LEASE, 2)

    assert (len(one.batch), len(other.batch)) == (2, 2)
    assert set(one.run_ids).isdisjoint(other.run_ids)
    assert sorted(r.lease_owner or "" for r in runs(sessions)) == ["host-1"] * 2 + ["host-2"] * 2


def test_finishing_a_batch_counts_only_the_runs_this_process_still_held(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    due_reminders(sessions, clock, 2)
    clock.set(JUST_AFTER)
    bot = processes.start("host-1")
    bot.plan()
    kept, taken = bot.claim(), bot.claim()
    assert kept is not None and taken is not None
    with write_transaction(sessions) as session:
        session.execute(update(Run).where(Run.id == taken).values(lease_owner="host-2"))
        RunRepository(session).finish(taken, "host-2", RunStatus.FAILED, {}, clock.now())

    with write_transaction(sessions) as session:
        finished = RunRepository(session).finish_many(
            [(kept, RunStatus.SUCCEEDED, {}), (taken, RunStatus.SUCCEEDED, {})],
            "host-1",
            clock.now(),
        )

    assert finished == {kept}
    assert [run(sessions, r).status for r in (kept, taken)] == [
        RunStatus.SUCCEEDED,
        RunStatus.FAILED,
    ]


class SlowSummaries(WrappingNotifier):
    """A notifier whose summary posts take 50 s of the clock; after each, ``other`` ticks
    (another process), and what it carried out is kept."""

    def __init__(self, inner: Notifier, clock: FixedClock, other: Any) -> None:
        self.inner, self.clock, self.other = inner, clock, other
        self.other_ended: list[tuple[int, RunStatus | None]] = []

    def post(self, message: Message) -> Posted:
        posted = self.inner.post(message)
        if message.channel == SUMMARY_CHANNEL:
            self.clock.advance(timedelta(seconds=50))
            self.other_ended += self.other.tick()
        return posted


def test_the_runs_claimed_alone_keep_their_leases_while_the_batch_reports(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # Three batched runs whose summaries take 150 s in all, longer than a lease, before
    # the digest run claimed with them starts.
    import_deals(sessions, [deal(f"S{n}", batch=n) for n in range(3)], clock.now())
    for number in range(3):
        document = reminder(number, summary_channel=SUMMARY_CHANNEL, summary="always")
        save(sessions, document, clock.now())
    with_a_run_alone(sessions, clock, 3)
    clock.set(JUST_AFTER)
    notifier = SlowSummaries(processes.slack(), clock, processes.start("host-2"))

    ended = dict(processes.start("host-1", notifier).tick())

    assert notifier.other_ended == []
    assert set(ended.values()) == {RunStatus.SUCCEEDED}
    assert len(ended) == 4
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [1, 1, 1, 1]


class FailingOnce(Unobserved):
    """An observer with a bug: the first run it is told of raises."""

    def __init__(self) -> None:
        self.told: list[str] = []

    def run_ended(self, outcome: str) -> None:
        self.told.append(outcome)
        if len(self.told) == 1:
            raise RuntimeError("a bug while counting a run")


def test_a_batch_failing_unexpectedly_while_finishing_leaves_its_runs_and_the_others_go_on(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 2)
    with_a_run_alone(sessions, clock, 2)
    clock.set(JUST_AFTER)
    observer = FailingOnce()
    chosen = processes.slack()
    bot = Engine(sessions, clock, lambda _team: chosen, owner="host-1", observer=observer)

    ended = dict(bot.tick())

    first, second, alone = by_workflow(sessions)
    assert [ended[r] for r in (first, second, alone)] == [None, None, RunStatus.SUCCEEDED]
    assert len(slack_api.posted_messages(channel(2))) == 1
    # Counted (metrics) as runs that failed unexpectedly, besides the one the bug hit.
    assert observer.told.count(UNEXPECTED_ERROR) == 2


class Recording(Unobserved):
    def __init__(self) -> None:
        self.told: list[str] = []

    def run_ended(self, outcome: str) -> None:
        self.told.append(outcome)


def test_a_batched_run_failing_unexpectedly_while_posting_is_counted_as_such(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    due_reminders(sessions, clock, 2)
    clock.set(JUST_AFTER)
    observer = Recording()
    buggy = FailingChannel(processes.slack(), channel(1))
    bot = Engine(sessions, clock, lambda _team: buggy, owner="host-1", observer=observer)

    bot.tick()

    assert sorted(observer.told) == sorted([RunStatus.SUCCEEDED.value, UNEXPECTED_ERROR])


def test_a_run_whose_lease_merely_ran_out_is_not_said_to_be_taken_over(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    late, run_id = _claimed_until_its_lease_ran_out(sessions, clock, processes, "host-1")

    assert late.runner.execute(run_id) is None
    assert f"run {run_id}: its lease ran out or another process took it over" in caplog.text


def _claimed_until_its_lease_ran_out(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, host: str
) -> tuple[Engine, int]:
    """One reminder due, planned and claimed by ``host``'s process, whose lease then ran out."""
    due_reminders(sessions, clock, 1)
    clock.set(JUST_AFTER)
    process = processes.start(host)
    process.plan()
    run_id = process.claim()
    assert run_id is not None
    clock.advance(PAST_THE_LEASE)
    return process, run_id
