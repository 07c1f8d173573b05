"""What a run does, against the Slack stand-in over HTTP: whom it enrolls, the messages and
record changes of each action, failures, and the run summary."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.notifier import REASONS
from bot.workflows.clock import FixedClock
from bot.workflows.digest import MAX_REPLIES, REPLY_SECTIONS
from bot.workflows.notifier import ACTION_EVENT_TYPE
from bot.workflows.vocabulary import ActionOutcome, PropertyType, RunSource, RunStatus
from storage.object_types import ObjectTypeRepository
from storage.runs import RunRepository
from tests.engine.builders import (
    DEALS_CHANNEL,
    OWNER,
    SUMMARY_CHANNEL,
    channel_message,
    daily,
    deal,
    enrollments,
    import_deals,
    record_ids,
    records_of_type,
    results,
    run,
    runs,
    save,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

RUN_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
BAD_CHANNEL = "C0NOTJOINED"


def POSTGRES(engine: Any) -> bool:
    return bool(engine.dialect.name == "postgresql")


def run_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    document: dict[str, Any],
    at: datetime = JUST_AFTER,
) -> int:
    """Saves the workflow, ticks once at ``at`` and returns the id of the run that executed."""
    save(sessions, document, clock.now())
    clock.set(at)
    [(run_id, status)] = processes.start().tick()
    assert status is not None
    return run_id


def texts(slack_api: SlackStandIn, channel: str) -> list[str]:
    return [m["text"] for m in slack_api.posted_messages(channel)]


def enrolled_external_ids(sessions: sessionmaker[Session], run_id: int) -> list[str]:
    by_id = {record_id: external for external, record_id in record_ids(sessions).items()}
    return sorted(by_id[e.record_id] for e in enrollments(sessions, run_id))


# -- enrollment ----------------------------------------------------------------------------


def test_criteria_are_evaluated_at_the_runs_scheduled_time_not_the_wall_clock(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    recent = {
        "any": [{"all": [{"property": "touched_at", "operator": "in_last_days", "value": 1}]}]
    }
    import_deals(
        sessions,
        [
            # Within the day before 09:00, but not the day before 09:50.
            deal("EARLY", touched_at=datetime(2026, 11, 1, 9, 20, tzinfo=UTC)),
            # After 09:00: not yet touched when the run was due.
            deal("AFTER", touched_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),
        ],
        clock.now(),
    )
    late = datetime(2026, 11, 2, 9, 50, tzinfo=UTC)  # late, but within the catch-up window

    run_id = run_once(sessions, clock, processes, workflow_document(criteria=recent), at=late)

    assert run(sessions, run_id).scheduled_at == RUN_TIME
    assert enrolled_external_ids(sessions, run_id) == ["EARLY"]


def test_a_run_finds_deals_not_updated_in_14_days_of_its_zone_and_shows_the_local_date(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # The run is due at 09:00 UTC on 2 November: 18:00 in Tokyo, whose today is 2 November.
    stale = {
        "any": [
            {"all": [{"property": "updated_at", "operator": "more_than_days_ago", "value": 14}]}
        ]
    }
    import_deals(
        sessions,
        [
            # 18 October in Tokyo at 08:59:59, the day before the boundary (19 October).
            deal("STALE", updated_at=datetime(2026, 10, 17, 23, 59, 59, tzinfo=UTC)),
            deal("FRESH", updated_at=datetime(2026, 10, 18, 15, 0, tzinfo=UTC)),  # 19 Oct 00:00
        ],
        clock.now(),
    )
    document = workflow_document(
        schedule=daily("18:00", "Asia/Tokyo"),
        criteria=stale,
        actions=[channel_message("{{ id }} last updated {{ updated_at }}")],
    )

    run_id = run_once(sessions, clock, processes, document)

    assert enrolled_external_ids(sessions, run_id) == ["STALE"]
    assert texts(slack_api, DEALS_CHANNEL) == ["STALE last updated 2026-10-18 08:59"]


def test_suppression_criteria_remove_records_from_the_run(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(
        sessions,
        [
            deal("NO", do_not_contact=True),
            deal("YES", do_not_contact=False),
            deal("UNSET"),  # no value: not suppressed
            deal("LOST", stage="lost"),
        ],
        clock.now(),
    )
    suppression = {
        "any": [{"all": [{"property": "do_not_contact", "operator": "eq", "value": True}]}]
    }

    run_id = run_once(sessions, clock, processes, workflow_document(suppression=suppression))

    assert enrolled_external_ids(sessions, run_id) == ["UNSET", "YES"]


def test_records_are_enrolled_again_by_each_run_and_once_per_run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())
    save(sessions, workflow_document(), clock.now())
    bot = processes.start()

    for day in (2, 3):
        clock.set(datetime(2026, 11, day, 9, 0, 5, tzinfo=UTC))
        assert len(bot.tick()) == 1
        assert bot.tick() == []

    for each in runs(sessions):
        rows = enrollments(sessions, each.id)
        assert enrolled_external_ids(sessions, each.id) == ["D1", "D2"]
        assert {(e.source, e.enrolled_by) for e in rows} == {(RunSource.SCHEDULE.value, None)}
        assert len(results(sessions, each.id)) == 2  # one action, once for each record
    assert len(runs(sessions)) == 2
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 4


# -- channel messages ----------------------------------------------------------------------


def test_a_message_per_record_arrives_once_each_with_record_values_escaped(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(
        sessions,
        [deal("D1", name="<!channel> & <http://x|y>"), deal("D2", name="Globex")],
        clock.now(),
    )
    action = channel_message("{{ name }} needs a look", mode="per_record")

    run_id = run_once(sessions, clock, processes, workflow_document(actions=[action]))

    assert sorted(texts(slack_api, DEALS_CHANNEL)) == [
        "&lt;!channel&gt; &amp; &lt;http://x|y&gt; needs a look",
        "Globex needs a look",
    ]
    ids = record_ids(sessions)
    marks = [m["metadata"] for m in slack_api.posted_messages(DEALS_CHANNEL)]
    assert {(m["event_type"], m["event_payload"]["record_id"]) for m in marks} == {
        (ACTION_EVENT_TYPE, ids["D1"]),
        (ACTION_EVENT_TYPE, ids["D2"]),
    }
    for call in slack_api.calls("chat.postMessage"):
        assert "link_names" not in call.params and "parse" not in call.params
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}
    assert run(sessions, run_id).status == RunStatus.SUCCEEDED


def shown_in_full(message: dict[str, Any]) -> bool:
    """Whether the message's blocks show all of its text: none was cut to fit a section."""
    return "\n".join(block["text"]["text"] for block in message["blocks"]) == message["text"]


def listed_and_more(messages: list[dict[str, Any]]) -> tuple[int, int]:
    """How many records a digest's messages list, and how many its "more" line says are not."""
    lines = [line for message in messages for line in message["text"].split("\n")]
    more = [line for line in lines if line.startswith("…and ")]
    unlisted = int(more[0].split()[1].replace(",", "")) if more else 0
    return sum(line.startswith("• ") for line in lines), unlisted


def test_a_digest_of_a_thousand_records_takes_a_bounded_number_of_slack_calls(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # Lines long enough to fill every section a digest lists, so that its replies are full.
    long_name = "{{ name }} is in contract and waits for a look from the deal desk " * 3
    import_deals(sessions, [deal(f"D{n:04d}") for n in range(1_000)], clock.now())
    actions = [
        channel_message(long_name, mode="digest"),
        channel_message("{{ name }} ({{ id }})", channel="C0OTHER", mode="digest"),
    ]

    run_id = run_once(sessions, clock, processes, workflow_document(actions=actions))

    for channel in (DEALS_CHANNEL, "C0OTHER"):
        calls = [c for c in slack_api.calls("chat.postMessage") if c.params["channel"] == channel]
        assert 2 <= len(calls) <= 1 + MAX_REPLIES
        parent, *replies = slack_api.posted_messages(channel)
        assert parent["text"].startswith("*Deal review*: 1,000 records")
        assert {reply["thread_ts"] for reply in replies} == {parent["ts"]}
        # The parent is one section; each reply up to REPLY_SECTIONS, all of it shown, and
        # every reply taken by the stand-in, which refuses as much text as Slack refused.
        assert len(parent["blocks"]) == 1
        assert all(len(reply["blocks"]) <= REPLY_SECTIONS for reply in replies)
        assert all(shown_in_full(message) for message in [parent, *replies])
        assert "more: see the run's history" in replies[-1]["text"]
        assert sum(listed_and_more([parent, *replies])) == 1_000
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 1 + MAX_REPLIES
    assert slack_api.calls("conversations.history") == []
    outcome = results(sessions, run_id)
    assert len(outcome) == 2_000
    assert {(r.outcome, r.reference["digest"]) for r in outcome if r.reference} == {
        (ActionOutcome.OK.value, True)
    }
    assert {r.outcome for r in outcome} == {ActionOutcome.OK.value}


def test_a_digest_of_a_long_workflow_name_shows_every_line_it_counts_as_listed(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # 200 characters, 400 once escaped: the header takes room from the parent's lines.
    name = "R&D " * 50
    import_deals(sessions, [deal(f"D{n:04d}") for n in range(1_000)], clock.now())
    action = channel_message("{{ name }} is in contract", mode="digest")

    run_once(sessions, clock, processes, workflow_document(name=name, actions=[action]))

    messages = slack_api.posted_messages(DEALS_CHANNEL)
    assert messages[0]["text"].startswith("*R&amp;D R&amp;D ")
    assert all(shown_in_full(message) for message in messages)
    assert sum(listed_and_more(messages)) == 1_000


def test_a_digest_line_cut_to_its_length_is_not_cut_inside_an_escaped_character(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # Escaped, the name's "&" is "&amp;" across the 300th character of the line.
    import_deals(sessions, [deal("D1", name="x" * 298 + "& co")], clock.now())
    action = channel_message("{{ name }}", mode="digest")

    run_once(sessions, clock, processes, workflow_document(actions=[action]))

    [digest] = slack_api.posted_messages(DEALS_CHANNEL)
    assert digest["text"].split("\n")[1] == "• " + "x" * 298 + "…"


@pytest.mark.parametrize(("records", "messages"), [(20, 20), (21, 1)])
def test_without_a_mode_more_than_twenty_records_make_a_digest(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    records: int,
    messages: int,
) -> None:
    import_deals(sessions, [deal(f"D{n:02d}") for n in range(records)], clock.now())

    run_id = run_once(sessions, clock, processes, workflow_document())

    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == messages
    assert len(results(sessions, run_id)) == records


# -- direct messages and record changes ----------------------------------------------------


def test_owners_get_a_direct_message_and_a_record_without_owner_is_skipped_with_why(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1", name="Acme", owner="U0AAA"), deal("D2")], clock.now())
    dm = {"type": "send_owner_dm", "text": "Please update {{ name }}, {{ owner }}"}

    run_id = run_once(sessions, clock, processes, workflow_document(actions=[dm]))

    assert texts(slack_api, "D0AAA") == ["Please update Acme, <@U0AAA>"]
    ids = record_ids(sessions)
    outcome = {r.record_id: (r.outcome, r.reason) for r in results(sessions, run_id)}
    assert outcome == {
        ids["D1"]: (ActionOutcome.OK.value, None),
        ids["D2"]: (ActionOutcome.SKIPPED.value, "the record has no owner"),
    }


def test_record_changes_use_the_runs_date_in_the_workflows_zone(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # 09:00 on 3 November in Auckland is still 2 November in UTC.
    import_deals(sessions, [deal("D1", name="Acme", owner="U0AAA")], clock.now())
    actions: list[dict[str, Any]] = [
        {"type": "set_property", "property": "last_reminded", "value": "{{ run.date }}"},
        {"type": "set_property", "property": "priority", "value": "high"},
        {"type": "create_task", "title": "Call {{ name }} ({{ run.date }})", "due_in_days": 3},
    ]
    document = workflow_document(schedule=daily("09:00", "Pacific/Auckland"), actions=actions)

    run_id = run_once(
        sessions, clock, processes, document, at=datetime(2026, 11, 2, 20, 0, 5, tzinfo=UTC)
    )

    [changed] = records_of_type(sessions, "deals")
    assert changed.properties["last_reminded"] == "2026-11-03"
    assert changed.properties["priority"] == "high"
    [task] = records_of_type(sessions, "tasks")
    assert task.name == "Call Acme (2026-11-03)"
    assert task.owner == "U0AAA"
    assert task.properties == {
        "due_date": "2026-11-06",  # three days after the run's date
        "status": "open",
        "related_type": "deals",
        "related_id": "D1",
    }
    with sessions() as session:
        types = ObjectTypeRepository(session).property_types(changed.object_type_id)
    assert types["last_reminded"] is PropertyType.DATE
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}


def test_a_set_property_checks_its_types_source_once_however_many_records_it_changes(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    engine = sessions.kw["bind"]
    source_reads: list[str] = []

    def count_source_reads(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM record_sources" in statement:
            source_reads.append(statement)

    stamp = {"type": "set_property", "property": "last_reminded", "value": "{{ run.date }}"}
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(actions=[stamp]), clock.now())
    clock.set(JUST_AFTER)
    event.listen(engine, "before_cursor_execute", count_source_reads)
    try:
        [(first, _)] = processes.start().tick()
        for_one = len(source_reads)
        import_deals(sessions, [deal(f"D{n}") for n in range(1, 7)], clock.now())
        clock.set(datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC))
        source_reads.clear()
        [(second, _)] = processes.start().tick()
    finally:
        event.remove(engine, "before_cursor_execute", count_source_reads)

    assert len(source_reads) == for_one
    assert len(results(sessions, first)) == 1
    assert [r.outcome for r in results(sessions, second)] == [ActionOutcome.OK.value] * 6


# -- failures ------------------------------------------------------------------------------


def test_a_channel_the_bot_is_not_in_fails_its_actions_and_the_others_still_run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("not_in_channel", channel=BAD_CHANNEL)
    import_deals(sessions, [deal("D1", name="Acme"), deal("D2", name="Globex")], clock.now())
    actions = [channel_message(channel=BAD_CHANNEL), channel_message()]
    settings = {"summary_channel": SUMMARY_CHANNEL}

    run_id = run_once(
        sessions, clock, processes, workflow_document(actions=actions, settings=settings)
    )

    outcome = results(sessions, run_id)
    assert {(r.action_index, r.outcome, r.reason) for r in outcome} == {
        (0, ActionOutcome.FAILED.value, REASONS["not_in_channel"]),
        (1, ActionOutcome.OK.value, None),
    }
    assert len(outcome) == 4
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 2
    finished = run(sessions, run_id)
    assert finished.status == RunStatus.SUCCEEDED
    [summary] = texts(slack_api, SUMMARY_CHANNEL)
    assert "2 ok, 2 failed" in summary
    assert f"• Acme, action 1: {REASONS['not_in_channel']}" in summary
    assert f"• Globex, action 1: {REASONS['not_in_channel']}" in summary
    # Not everything failed, and the owner hears of it (alert_owner: any_failure, the default).
    [alert] = texts(slack_api, "D0OWNER")
    assert "2 of 4 actions failed" in alert and "• Globex, action 1" in alert


def test_when_every_action_fails_the_run_fails_and_the_owner_gets_an_alert(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("not_in_channel", channel=BAD_CHANNEL)
    import_deals(sessions, [deal("D1", name="Acme")], clock.now())
    document = workflow_document(
        actions=[channel_message(channel=BAD_CHANNEL)],
        settings={"summary_channel": SUMMARY_CHANNEL},
    )

    run_id = run_once(sessions, clock, processes, document)

    assert run(sessions, run_id).status == RunStatus.FAILED
    [to_owner] = texts(slack_api, "D" + OWNER[1:])
    assert "1 of 1 action failed" in to_owner and "• Acme, action 1" in to_owner
    [summary] = texts(slack_api, SUMMARY_CHANNEL)
    assert "0 ok, 1 failed" in summary


def test_the_summary_lists_only_the_first_failures(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("not_in_channel", channel=BAD_CHANNEL)
    import_deals(sessions, [deal(f"D{n}") for n in range(8)], clock.now())
    document = workflow_document(
        actions=[channel_message(channel=BAD_CHANNEL, mode="per_record"), channel_message()],
        settings={"summary_channel": SUMMARY_CHANNEL},
    )

    run_once(sessions, clock, processes, document)

    [summary] = texts(slack_api, SUMMARY_CHANNEL)
    assert "8 ok, 8 failed" in summary
    assert summary.count("action 1: ") == 5


# -- summary policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "kind", "summarised"),
    [
        ("always", "empty", True),
        ("always", "enrolled", True),
        ("always", "failed", True),
        ("when_enrolled_or_failed", "empty", False),
        ("when_enrolled_or_failed", "enrolled", True),
        ("when_enrolled_or_failed", "failed", True),
        ("when_failed", "empty", False),
        ("when_failed", "enrolled", False),
        ("when_failed", "failed", True),
    ],
)
def test_the_summary_policy_decides_which_runs_are_summarised(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    policy: str,
    kind: str,
    summarised: bool,
) -> None:
    slack_api.fail("not_in_channel", channel=BAD_CHANNEL)
    stage = "lost" if kind == "empty" else "contract"
    import_deals(sessions, [deal("D1", stage=stage)], clock.now())
    channel = BAD_CHANNEL if kind == "failed" else DEALS_CHANNEL
    document = workflow_document(
        actions=[channel_message(channel=channel)],
        settings={"summary_channel": SUMMARY_CHANNEL, "summary": policy},
    )

    run_once(sessions, clock, processes, document)

    assert len(slack_api.posted_messages(SUMMARY_CHANNEL)) == (1 if summarised else 0)


def test_an_empty_run_still_succeeds_and_records_nothing(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1", stage="lost")], clock.now())

    run_id = run_once(sessions, clock, processes, workflow_document())

    finished = run(sessions, run_id)
    assert finished.status == RunStatus.SUCCEEDED
    assert finished.summary["enrolled"] == 0
    assert slack_api.calls("chat.postMessage") == []


def summary_read(statement: str) -> bool:
    """Whether a statement is one of a summary's reads: a run alone counts its outcomes, a
    batch asks which of its workflows have earlier runs to tell about."""
    counts = "FROM action_results" in statement and "GROUP BY" in statement
    return counts or statement.startswith("SELECT DISTINCT runs.workflow_id")


# A run of per-record channel messages is carried out in a batch (bot.workflows.run_batch),
# a digest alone: both count their summary in a read transaction.
BATCHED_OR_ALONE = pytest.mark.parametrize(
    "action", [channel_message(mode="per_record"), channel_message(mode="digest")]
)


@contextmanager
def writes_tried_meanwhile(
    sessions: sessionmaker[Session], during: Callable[[str], bool]
) -> Iterator[list[bool]]:
    """Before each statement ``during`` picks, another connection tries SQLite's write lock:
    yields whether it took it, a statement at a time. Skips the test on other databases."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock")
    took_the_lock: list[bool] = []

    def try_to_write_meanwhile(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not during(statement):
            return
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_the_lock.append(True)
        except sqlite3.OperationalError:  # database is locked
            took_the_lock.append(False)
        finally:
            other.close()

    event.listen(engine, "before_cursor_execute", try_to_write_meanwhile)
    try:
        yield took_the_lock
    finally:
        event.remove(engine, "before_cursor_execute", try_to_write_meanwhile)


@BATCHED_OR_ALONE
def test_other_processes_may_write_while_a_run_counts_its_summary(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    action: dict[str, Any],
) -> None:
    """On SQLite a write transaction holds the database's one write lock: a run that counted
    its outcomes under it would make every other process's planning and claims wait."""
    import_deals(sessions, [deal("D-1")], clock.now())
    with writes_tried_meanwhile(sessions, summary_read) as took_the_lock:
        run_id = run_once(sessions, clock, processes, workflow_document(actions=[action]))

    assert run(sessions, run_id).status == RunStatus.SUCCEEDED
    assert took_the_lock and all(took_the_lock)


def pending_read(statement: str) -> bool:
    """Whether a statement counts or lists the records a digest is still to be sent for."""
    reads = statement.startswith("SELECT") and "enrollments" in statement
    return reads and "NOT (EXISTS (SELECT" in statement and "FROM action_results" in statement


def test_other_processes_may_write_while_a_digest_counts_and_reads_what_it_lists(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    import_deals(sessions, [deal(f"D{n}") for n in range(3)], clock.now())
    action = channel_message(mode="digest")
    with writes_tried_meanwhile(sessions, pending_read) as took_the_lock:
        run_id = run_once(sessions, clock, processes, workflow_document(actions=[action]))

    assert run(sessions, run_id).status == RunStatus.SUCCEEDED
    assert len(took_the_lock) == 2 and all(took_the_lock)


def test_a_digests_pending_records_are_each_looked_up_in_the_results_index(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    """Whatever the statistics say: planned on a table it thought empty, PostgreSQL joined
    each enrollment against all of the action's results, quadratic in the records."""
    engine = sessions.kw["bind"]
    import_deals(sessions, [deal(f"D{n:03d}") for n in range(300)], clock.now())
    with engine.begin() as connection:  # statistics taken before the run wrote its results
        connection.execute(
            text("ANALYZE enrollments, action_results" if POSTGRES(engine) else "ANALYZE")
        )
    action = channel_message(mode="digest")
    run_id = run_once(sessions, clock, processes, workflow_document(actions=[action]))
    assert len(results(sessions, run_id)) == 300
    statements: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if pending_read(statement):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with sessions() as session:
            assert RunRepository(session).pending_records(run_id, 0, None, 400) == (0, [])
    finally:
        event.remove(engine, "before_cursor_execute", keep)

    assert len(statements) == 2  # the count and the listing
    index = "uq_action_results_run_id_record_id_action_index"
    with engine.connect() as connection:
        for statement, parameters in statements:
            if POSTGRES(engine):
                plan = "\n".join(
                    connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars()
                )
                probe = f"Index Only Scan using {index}"
                assert probe in plan and "record_id = enrollments.record_id" in plan, plan
                assert "Materialize" not in plan and "Anti Join" not in plan, plan
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = "\n".join(str(row[-1]) for row in rows)
                # SQLite names the unique index sqlite_autoindex_action_results_1.
                probe = "SEARCH action_results USING COVERING INDEX"
                assert probe in plan, plan
                assert "(run_id=? AND record_id=? AND action_index=?)" in plan, plan


@BATCHED_OR_ALONE
def test_a_run_taken_over_while_it_counts_its_summary_reports_no_status(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    action: dict[str, Any],
) -> None:
    """The summary is counted in a read transaction and stored in a later write one: a
    process whose run was taken over in between stores nothing and says nothing of how the
    run ended (the command that started it then waits for the process that holds it)."""
    engine = sessions.kw["bind"]

    def take_the_run_meanwhile(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not summary_read(statement):
            return
        with engine.begin() as other:
            other.execute(
                text("UPDATE runs SET lease_owner = 'process-b' WHERE status = 'running'")
            )

    import_deals(sessions, [deal("D-1")], clock.now())
    save(sessions, workflow_document(actions=[action]), clock.now())
    clock.set(JUST_AFTER)
    event.listen(engine, "before_cursor_execute", take_the_run_meanwhile)
    try:
        [(run_id, status)] = processes.start().tick()
    finally:
        event.remove(engine, "before_cursor_execute", take_the_run_meanwhile)

    assert status is None
    taken = run(sessions, run_id)
    assert (taken.status, taken.lease_owner) == (RunStatus.RUNNING, "process-b")
    assert "enrolled" not in (taken.summary or {})
