"""A burst of history reads (runs resumed after a crash look for their messages) stays within
Slack's per-workspace tier for those methods, and one workspace's reads never wait for
another's: each bot token has its own pacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.notifier import READ_TIERS, MethodPacer, SlackNotifier, make_web_client
from bot.workflows.notifier import ActionMark, Message
from tests.slack_standin import SlackStandIn

HISTORY = "conversations.history"
PER_MINUTE, BURST = READ_TIERS[HISTORY]


class SteppedTime:
    """Monotonic time that jumps instead of sleeping; remembers when each turn came."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def notifier_of(slack: SlackStandIn, token: str, time: SteppedTime) -> SlackNotifier:
    client = make_web_client(token, slack.url)
    return SlackNotifier(client, monotonic=time.monotonic, sleep=time.sleep)


def test_a_burst_of_history_reads_keeps_to_the_tier_and_posts_are_not_held_by_it(
    slack_api: SlackStandIn,
) -> None:
    time = SteppedTime()
    notifier = notifier_of(slack_api, "xoxb-one", time)
    since = datetime.now(UTC) - timedelta(minutes=1)
    reads = 30
    for number in range(reads):
        notifier.find_marked(f"C0READ{number:02}", ActionMark(1, number, 0), since)

    # The first BURST go at once, then one every 60 / PER_MINUTE seconds.
    assert time.now == (reads - BURST) * 60 / PER_MINUTE
    assert len(slack_api.calls(HISTORY)) == reads
    before = time.now
    for number in range(reads):  # posts to as many channels are paced per channel only
        notifier.post(Message(f"C0POST{number:02}", "hello"))
    assert time.now == before


def test_one_workspaces_burst_does_not_slow_another_workspace(slack_api: SlackStandIn) -> None:
    time = SteppedTime()
    busy = notifier_of(slack_api, "xoxb-busy", time)
    quiet = notifier_of(slack_api, "xoxb-quiet", time)
    since = datetime.now(UTC) - timedelta(minutes=1)
    for number in range(BURST + 5):
        busy.find_marked(f"C0BUSY{number:02}", ActionMark(1, number, 0), since)
    waited = time.now
    assert waited > 0

    for number in range(BURST):
        quiet.find_marked(f"C0QUIET{number:02}", ActionMark(2, number, 0), since)

    assert time.now == waited


@given(st.lists(st.floats(min_value=0, max_value=30), min_size=1, max_size=200))
def test_no_minute_holds_more_calls_than_the_tier_allows(gaps: list[float]) -> None:
    """Whatever the callers' own pauses, the calls let through in any 60 s window are at
    most a burst plus a minute's worth."""
    time = SteppedTime()
    pacer = MethodPacer(READ_TIERS, time.monotonic, time.sleep)
    turns = []
    for gap in gaps:
        time.now += gap
        pacer.wait_turn(HISTORY)
        turns.append(time.now)
    for first in turns:
        within = [t for t in turns if first <= t < first + 60]
        assert len(within) <= BURST + PER_MINUTE
