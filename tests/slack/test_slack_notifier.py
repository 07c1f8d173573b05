"""SlackNotifier against the Slack stand-in over real HTTP: marks, errors, retries, pacing."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.slack.ids import HistoryAction, SummaryAction
from bot.slack.notifier import (
    HISTORY_PAGE_SIZE,
    OUTCOME_UNKNOWN,
    SafeConnectionErrorRetryHandler,
    SafeServerErrorRetryHandler,
    SharedRateLimitRetryHandler,
    SlackNotifier,
    UnsentRetryHandler,
    make_web_client,
)
from bot.workflows.notifier import (
    ACTION_EVENT_TYPE,
    ActionMark,
    DeliveryFailed,
    DeliveryUnavailable,
    DeliveryUncertain,
    HistoryUnreadable,
    Message,
    Posted,
)
from tests.slack_standin import BOT_USER_ID, SlackStandIn

MARK = ActionMark(run_id=4, record_id=17, action_index=1)
# Server and connection errors are retried at once here; 429s still wait for Retry-After.
QUICK_RETRIES = FixedValueRetryIntervalCalculator(0.01)


class SteppedTime:
    """A monotonic clock that only moves when slept on or advanced; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def client(slack_api: SlackStandIn) -> WebClient:
    return make_web_client(slack_api.token, slack_api.url, retry_interval=QUICK_RETRIES)


@pytest.fixture
def pacing() -> SteppedTime:
    return SteppedTime()


@pytest.fixture
def notifier(client: WebClient, pacing: SteppedTime) -> SlackNotifier:
    return SlackNotifier(client, monotonic=pacing.monotonic, sleep=pacing.sleep)


@pytest.fixture
def since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


# -- posting and finding marked messages ---------------------------------------------------


def test_a_marked_message_is_posted_with_metadata_and_found_again(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* renews soon"}}]
    posted = notifier.post(
        Message("C0SALES", "Acme renews soon", sections=("*Acme* renews soon",), mark=MARK)
    )

    assert notifier.find_marked("C0SALES", MARK, since) == posted
    [stored] = slack_api.posted_messages("C0SALES")
    assert stored["ts"] == posted.ts and stored["blocks"] == blocks
    assert stored["metadata"] == {"event_type": ACTION_EVENT_TYPE, "event_payload": MARK.payload()}
    [call] = slack_api.calls("chat.postMessage")
    assert call.headers["authorization"] == f"Bearer {slack_api.token}"
    assert call.params["unfurl_links"] is False
    assert "link_names" not in call.params and "parse" not in call.params
    [history] = slack_api.calls("conversations.history")
    assert history.flag("include_all_metadata")


def test_a_run_summary_ends_with_a_details_button_for_its_run(
    slack_api: SlackStandIn, notifier: SlackNotifier
) -> None:
    summary = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deals* ran"}}]
    notifier.post(Message("C0SUMMARY", "*Deals* ran", ("*Deals* ran",), details_of_run=42))
    notifier.post(Message("C0SUMMARY", "*Deals* ran, as text", details_of_run=43))
    notifier.post(Message("C0SUMMARY", "an action's message", ("*Deals* ran",)))

    with_blocks, text_only, plain = slack_api.posted_messages("C0SUMMARY")
    assert with_blocks["blocks"][:1] == summary
    button, *acting = with_blocks["blocks"][1]["elements"]
    assert (button["action_id"], button["value"]) == (HistoryAction.DETAILS, "42")
    # Nothing failed: no Re-run failed, only Skip next run and Snooze a record.
    assert [(b["action_id"], b["value"]) for b in acting] == [
        (SummaryAction.SKIP_NEXT, "42"),
        (SummaryAction.SNOOZE, "42"),
    ]
    assert text_only["blocks"][0]["text"]["text"] == "*Deals* ran, as text"
    assert text_only["blocks"][1]["elements"][0]["value"] == "43"
    assert plain["blocks"] == summary


def test_find_marked_ignores_other_marks_and_messages_older_than_since(
    notifier: SlackNotifier, since: datetime
) -> None:
    notifier.post(Message("C0SALES", "first", mark=MARK))
    notifier.post(Message("C0SALES", "unmarked"))

    other = ActionMark(run_id=4, record_id=17, action_index=2)
    assert notifier.find_marked("C0SALES", other, since) is None
    assert notifier.find_marked("C0SALES", MARK, datetime.now(UTC) + timedelta(seconds=1)) is None


def test_find_marked_reads_further_pages_of_history(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    posted = notifier.post(Message("C0BUSY", "the one", mark=MARK))
    for n in range(HISTORY_PAGE_SIZE):
        notifier.post(Message("C0BUSY", f"chatter {n}"))

    assert notifier.find_marked("C0BUSY", MARK, since) == posted
    assert len(slack_api.calls("conversations.history")) == 2


def test_a_direct_message_is_found_again_after_a_restart(
    slack_api: SlackStandIn, client: WebClient, notifier: SlackNotifier, since: datetime
) -> None:
    posted = notifier.post(Message("U0ALICE", "your deals", mark=MARK))
    assert posted.channel.startswith("D")
    assert notifier.find_marked("U0ALICE", MARK, since) == posted
    assert slack_api.calls("conversations.open") == []  # post told us the DM channel

    restarted = SlackNotifier(client, sleep=lambda _: None)
    for _ in range(2):
        assert restarted.find_marked("U0ALICE", MARK, since) == posted
    [opened] = slack_api.calls("conversations.open")
    assert opened.params["users"] == "U0ALICE"


def test_a_reply_is_found_in_its_thread_only(notifier: SlackNotifier, since: datetime) -> None:
    parent = notifier.post(Message("C0SALES", "weekly digest"))
    reply = notifier.post(Message("C0SALES", "Acme", thread_ts=parent.ts, mark=MARK))

    assert notifier.find_marked("C0SALES", MARK, since) is None
    assert notifier.find_marked("C0SALES", MARK, since, thread_ts=parent.ts) == reply


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        ("missing_scope", "channels:history"),
        ("not_in_channel", "/invite @workflow-bot"),
        ("channel_not_found", "pick another channel"),
    ],
)
def test_unreadable_history_is_told_apart_from_not_found_and_logged_once(
    slack_api: SlackStandIn,
    notifier: SlackNotifier,
    since: datetime,
    caplog: pytest.LogCaptureFixture,
    code: str,
    fix: str,
) -> None:
    slack_api.fail(code, method="conversations.history", needed="channels:history")
    caplog.set_level(logging.INFO, logger="bot.slack.notifier")

    for _ in range(2):
        with pytest.raises(HistoryUnreadable) as unreadable:
            notifier.find_marked("C0SALES", MARK, since)
        assert unreadable.value.code == code and fix in unreadable.value.reason
    [record] = caplog.records
    assert record.levelno == logging.INFO and code in record.getMessage()


def test_a_direct_message_whose_conversation_cannot_be_opened_is_unreadable(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    slack_api.fail("missing_scope", method="conversations.open", needed="im:write")
    with pytest.raises(HistoryUnreadable) as unreadable:
        notifier.find_marked("U0ALICE", MARK, since)
    assert "im:write" in unreadable.value.reason


def test_find_marked_raises_unavailable_rather_than_guess_when_slack_is_down(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    slack_api.server_error("conversations.history", times=10)
    with pytest.raises(DeliveryUnavailable):
        notifier.find_marked("C0SALES", MARK, since)


# -- errors that are the message's ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        ("channel_not_found", "does not exist or the bot cannot see it: pick another channel"),
        ("not_in_channel", "invite the bot with /invite @workflow-bot"),
        ("is_archived", "unarchive it or pick another channel"),
        ("user_not_found", "pick another recipient"),
        ("cannot_dm_bot", "pick a person"),
        ("invalid_auth", "the workspace must reinstall"),
        ("token_revoked", "the workspace must reinstall"),
        ("account_inactive", "the workspace must reinstall"),
        ("something_new", "'something_new'"),
    ],
)
def test_a_refused_message_fails_with_how_to_fix_it_and_the_next_goes_out(
    slack_api: SlackStandIn, notifier: SlackNotifier, code: str, fix: str
) -> None:
    slack_api.fail(code, channel="C0BROKEN")

    with pytest.raises(DeliveryFailed) as failed:
        notifier.post(Message("C0BROKEN", "hello"))
    assert failed.value.code == code and fix in failed.value.reason
    assert notifier.post(Message("C0SALES", "still here")).channel == "C0SALES"
    assert len(slack_api.calls("chat.postMessage")) == 2  # a refusal is not retried


def test_a_too_long_message_and_too_many_blocks_fail_with_slacks_limits(
    notifier: SlackNotifier,
) -> None:
    with pytest.raises(DeliveryFailed) as too_long:
        notifier.post(Message("C0SALES", "x" * 40_001))
    assert too_long.value.code == "msg_too_long" and "40,000" in too_long.value.reason

    with pytest.raises(DeliveryFailed) as too_many:
        notifier.post(Message("C0SALES", "many", sections=("one of many",) * 51))
    assert too_many.value.code == "invalid_blocks" and "template" in too_many.value.reason
    assert too_many.value.details["errors"]


def test_blocks_holding_more_text_than_slack_takes_in_one_message_fail_however_split(
    notifier: SlackNotifier,
) -> None:
    # Four sections of 2,800 characters: each within a section's limit, too much in all.
    with pytest.raises(DeliveryFailed) as too_long:
        notifier.post(Message("C0SALES", "long", sections=("x" * 2_800,) * 4))
    assert too_long.value.code == "msg_blocks_too_long" and "template" in too_long.value.reason

    assert notifier.post(Message("C0SALES", "ok", sections=("x" * 2_800,) * 3))


def test_a_rejected_token_asks_for_a_reinstall(
    slack_api: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack_api.reject_token()
    with pytest.raises(DeliveryFailed) as failed:
        notifier.post(Message("C0SALES", "hello"))
    assert failed.value.code == "invalid_auth" and "reinstall" in failed.value.reason


def test_a_missing_scope_names_the_scope(slack_api: SlackStandIn, notifier: SlackNotifier) -> None:
    slack_api.fail("missing_scope", method="chat.postMessage", needed="chat:write")
    with pytest.raises(DeliveryFailed) as failed:
        notifier.post(Message("C0SALES", "hello"))
    assert "chat:write" in failed.value.reason
    assert failed.value.details["needed"] == "chat:write"


# -- trouble on Slack's side -----------------------------------------------------------------


def test_a_rate_limited_post_waits_for_retry_after_and_lands_once(
    slack_api: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=1)

    started = time.monotonic()
    posted = notifier.post(Message("C0SALES", "hello"))

    assert time.monotonic() - started >= 1.0
    assert len(slack_api.calls("chat.postMessage")) == 2
    assert [m["ts"] for m in slack_api.posted_messages()] == [posted.ts]


def bounded_notifier(
    slack_api: SlackStandIn, pacing: SteppedTime, retrying: list[float], max_wait: float
) -> SlackNotifier:
    """A notifier on ``pacing``'s clock whose client's 429 sleeps are noted in ``retrying``."""
    client = make_web_client(
        slack_api.token,
        slack_api.url,
        retry_interval=QUICK_RETRIES,
        monotonic=pacing.monotonic,
        sleep=retrying.append,
        max_wait=max_wait,
    )
    return SlackNotifier(client, monotonic=pacing.monotonic, sleep=pacing.sleep)


def test_a_rate_limited_post_holds_the_tokens_other_posts_for_its_retry_after(
    slack_api: SlackStandIn,
) -> None:
    pacing = SteppedTime()
    # The post that met the 429 sleeps while the clock stands still: the pool's other
    # threads post meanwhile.
    retrying: list[float] = []
    notifier = bounded_notifier(slack_api, pacing, retrying, max_wait=60)
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=30)

    notifier.post(Message("C0SALES", "hello"))
    notifier.post(Message("C0OTHER", "meanwhile"))

    assert retrying == [30.0]
    # The other channel's post waited for the Retry-After instead of meeting a 429 itself.
    assert pacing.sleeps == [30.0]
    notifier.post(Message("C0THIRD", "after"))
    assert pacing.sleeps == [30.0]
    assert len(slack_api.calls("chat.postMessage")) == 4


def test_one_workspaces_429_does_not_hold_another_workspaces_posts(
    slack_api: SlackStandIn,
) -> None:
    """Bolt gives every request's client a copy of the App client's list of retry handlers,
    so every workspace's listener shares the same handler objects."""
    pacing = SteppedTime()
    retrying: list[float] = []
    limited = make_web_client(
        "xoxb-limited",
        slack_api.url,
        retry_interval=QUICK_RETRIES,
        monotonic=pacing.monotonic,
        sleep=retrying.append,
        max_wait=60,
    )
    other = WebClient(
        token="xoxb-other", base_url=slack_api.url, retry_handlers=limited.retry_handlers.copy()
    )
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=30)
    SlackNotifier(limited, monotonic=pacing.monotonic, sleep=pacing.sleep).post(
        Message("C0SALES", "hello")
    )
    assert retrying == [30.0]

    other_notifier = SlackNotifier(other, monotonic=pacing.monotonic, sleep=pacing.sleep)
    other_notifier.post(Message("C0SALES", "meanwhile"))
    assert pacing.sleeps == []
    # Its own 429 waits its own Retry-After, not what is left of the other token's.
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=1)
    other_notifier.post(Message("C0OTHER", "again"))
    assert retrying == [30.0, 1.0]
    assert pacing.sleeps == []


def test_a_post_held_longer_than_it_may_wait_is_postponed_unsent(
    slack_api: SlackStandIn,
) -> None:
    pacing = SteppedTime()
    retrying: list[float] = []
    notifier = bounded_notifier(slack_api, pacing, retrying, max_wait=20)
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=15)
    notifier.post(Message("C0SALES", "hello"))
    assert retrying == [15.0]
    pacing.now += 15
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=30)
    with pytest.raises(DeliveryUnavailable) as raised:
        notifier.post(Message("C0SALES", "too long"))
    assert not isinstance(raised.value, DeliveryUncertain)
    assert retrying == [15.0]  # the 30 s were not slept
    calls = len(slack_api.calls("chat.postMessage"))

    # The 30 s hold now stands between every post of the token and Slack.
    with pytest.raises(DeliveryUnavailable) as held:
        notifier.post(Message("C0OTHER", "meanwhile"))
    assert "wait 30 s" in held.value.reason
    assert len(slack_api.calls("chat.postMessage")) == calls
    assert pacing.sleeps == []

    pacing.now += 11  # 19 s left: waited for
    notifier.post(Message("C0OTHER", "later"))
    assert pacing.sleeps == [19.0]


def test_the_retries_of_one_post_wait_at_most_max_wait_for_429s_in_all(
    slack_api: SlackStandIn,
) -> None:
    pacing = SteppedTime()
    retrying: list[float] = []
    notifier = bounded_notifier(slack_api, pacing, retrying, max_wait=10)
    slack_api.rate_limit("chat.postMessage", times=2, retry_after=6)

    with pytest.raises(DeliveryUnavailable) as raised:
        notifier.post(Message("C0SALES", "hello"))

    assert not isinstance(raised.value, DeliveryUncertain)
    assert retrying == [6.0]  # a second wait of 6 s would make 12
    assert len(slack_api.calls("chat.postMessage")) == 2
    assert slack_api.posted_messages() == []


def test_server_errors_of_a_history_read_are_retried(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    posted = notifier.post(Message("C0SALES", "hello", mark=MARK))
    slack_api.server_error("conversations.history", times=2)

    assert notifier.find_marked("C0SALES", MARK, since) == posted
    assert len(slack_api.calls("conversations.history")) == 3


def test_server_errors_of_reads_after_the_retries_are_unavailable_not_failed(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    slack_api.server_error("conversations.history", times=10)

    with pytest.raises(DeliveryUnavailable) as unavailable:
        notifier.find_marked("C0SALES", MARK, since)
    assert not isinstance(unavailable.value, DeliveryFailed | DeliveryUncertain)
    assert unavailable.value.code == "slack_unavailable"
    assert unavailable.value.details["status"] == 500
    assert len(slack_api.calls("conversations.history")) == 3  # one try and two retries


@pytest.mark.parametrize("stored", [True, False], ids=["stored-then-500", "500-before-storing"])
def test_a_post_answered_with_a_server_error_is_not_retried_and_its_outcome_is_unknown(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime, stored: bool
) -> None:
    slack_api.server_error("chat.postMessage", times=10, after_handling=stored)

    with pytest.raises(DeliveryUncertain) as uncertain:
        notifier.post(Message("C0SALES", "hello", mark=MARK))

    assert isinstance(uncertain.value, DeliveryUnavailable)
    assert uncertain.value.code == OUTCOME_UNKNOWN
    assert uncertain.value.details["status"] == 500
    assert "server error (HTTP 500) after the message was sent" in uncertain.value.reason
    assert len(slack_api.calls("chat.postMessage")) == 1
    assert len(slack_api.posted_messages()) == (1 if stored else 0)
    assert (notifier.find_marked("C0SALES", MARK, since) is not None) is stored


def test_a_post_whose_connection_drops_once_stored_is_not_retried_and_is_unknown(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    slack_api.drop_connection("chat.postMessage", times=10)

    with pytest.raises(DeliveryUncertain) as uncertain:
        notifier.post(Message("C0SALES", "hello", mark=MARK))

    assert "no answer came back from Slack" in uncertain.value.reason
    assert len(slack_api.calls("chat.postMessage")) == 1
    [stored] = slack_api.posted_messages()
    assert notifier.find_marked("C0SALES", MARK, since) == Posted("C0SALES", stored["ts"])


def test_a_post_that_times_out_once_sent_is_not_retried_and_is_unknown(
    slack_api: SlackStandIn, client: WebClient, notifier: SlackNotifier
) -> None:
    client.timeout = 1
    slack_api.hold("chat.postMessage", after_handling=True)  # dropped when the test ends

    with pytest.raises(DeliveryUncertain) as uncertain:
        notifier.post(Message("C0SALES", "hello", mark=MARK))

    assert "timed out" in uncertain.value.reason
    assert len(slack_api.calls("chat.postMessage")) == 1


def test_a_slack_error_that_may_follow_the_work_is_unknown_and_a_rate_limit_is_not(
    slack_api: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack_api.fail("fatal_error", channel="C0FATAL")
    slack_api.fail("ratelimited", channel="C0LIMITED")

    with pytest.raises(DeliveryUncertain) as uncertain:
        notifier.post(Message("C0FATAL", "hello"))
    assert "(fatal_error) after the message was sent" in uncertain.value.reason
    with pytest.raises(DeliveryUnavailable) as unavailable:
        notifier.post(Message("C0LIMITED", "hello"))
    assert not isinstance(unavailable.value, DeliveryUncertain)


def test_rate_limits_after_the_retries_are_unavailable(slack_api: SlackStandIn) -> None:
    slack_api.rate_limit("chat.postMessage", times=5, retry_after=0)
    client = make_web_client(slack_api.token, slack_api.url, max_retries=1)

    with pytest.raises(DeliveryUnavailable) as unavailable:
        SlackNotifier(client).post(Message("C0SALES", "hello"))
    assert "rate limiting" in unavailable.value.reason
    assert len(slack_api.calls("chat.postMessage")) == 2


def test_a_bad_gateway_is_unavailable_without_retrying(
    slack_api: SlackStandIn, notifier: SlackNotifier, since: datetime
) -> None:
    # slack_sdk's ServerErrorRetryHandler retries only 500 and 503.
    slack_api.server_error("conversations.history", times=1, status=502)
    with pytest.raises(DeliveryUnavailable) as unavailable:
        notifier.find_marked("C0SALES", MARK, since)
    assert unavailable.value.details["status"] == 502
    assert len(slack_api.calls("conversations.history")) == 1


def test_an_unreachable_slack_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_web_client(
        "xoxb-x", f"http://127.0.0.1:{port}/api/", retry_interval=QUICK_RETRIES
    )

    with pytest.raises(DeliveryUnavailable) as unavailable:
        SlackNotifier(client).post(Message("C0SALES", "hello"))
    # Nothing was sent, so nothing can have been posted: unavailable, not uncertain.
    assert not isinstance(unavailable.value, DeliveryUncertain)
    assert "could not be reached" in unavailable.value.reason


# -- pacing ------------------------------------------------------------------------------------


def test_posts_to_one_channel_go_out_a_second_apart(
    slack_api: SlackStandIn, notifier: SlackNotifier, pacing: SteppedTime
) -> None:
    for n in range(3):
        notifier.post(Message("C0SALES", f"message {n}"))

    assert pacing.sleeps == [1.0, 1.0]
    assert len(slack_api.posted_messages("C0SALES")) == 3


def test_posts_to_different_channels_do_not_wait_for_each_other(
    notifier: SlackNotifier, pacing: SteppedTime
) -> None:
    for channel in ("C0SALES", "C0SUPPORT", "U0ALICE"):
        notifier.post(Message(channel, "hello"))

    assert pacing.sleeps == []


def test_a_post_waits_only_for_the_rest_of_the_second(
    notifier: SlackNotifier, pacing: SteppedTime
) -> None:
    notifier.post(Message("C0SALES", "one"))
    pacing.now += 0.4
    notifier.post(Message("C0SALES", "two"))
    pacing.now += 5
    notifier.post(Message("C0SALES", "three"))

    assert pacing.sleeps == [pytest.approx(0.6)]


# -- the client --------------------------------------------------------------------------------


def test_the_web_client_talks_to_slack_and_retries_three_kinds_of_trouble() -> None:
    client = make_web_client("xoxb-x")

    assert client.base_url == "https://slack.com/api/"
    kinds = {type(handler): handler.max_retry_count for handler in client.retry_handlers}
    assert kinds == {
        SafeConnectionErrorRetryHandler: 2,
        SharedRateLimitRetryHandler: 2,
        SafeServerErrorRetryHandler: 2,
    }
    assert issubclass(SharedRateLimitRetryHandler, RateLimitErrorRetryHandler)
    assert issubclass(SafeConnectionErrorRetryHandler, ConnectionErrorRetryHandler)
    assert issubclass(SafeServerErrorRetryHandler, ServerErrorRetryHandler)


def _retries(handler_type: type, method: str, **trouble: object) -> bool:
    handler = handler_type(max_retry_count=2)
    request = HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})
    return bool(handler.can_retry(state=RetryState(), request=request, **trouble))


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (URLError(ConnectionRefusedError()), True),
        (URLError(socket.gaierror()), True),
        (URLError(TimeoutError("timed out")), False),
        (RemoteDisconnected(), False),
        (ConnectionResetError(), False),
    ],
)
def test_an_answer_at_a_response_url_is_retried_only_when_it_never_left(
    error: Exception, retried: bool
) -> None:
    handler = UnsentRetryHandler()
    request = HttpRequest(method="POST", url="https://hooks.slack.com/commands/T1/2/x", headers={})
    assert handler.can_retry(state=RetryState(), request=request, error=error) is retried


@pytest.mark.parametrize(
    ("method", "trouble", "retried"),
    [
        ("chat.postMessage", {"error": URLError(ConnectionRefusedError())}, True),
        ("chat.postMessage", {"error": URLError(socket.gaierror())}, True),
        ("chat.postMessage", {"error": URLError(TimeoutError("timed out"))}, False),
        ("chat.postMessage", {"error": RemoteDisconnected()}, False),
        ("chat.postMessage", {"error": ConnectionResetError()}, False),
        ("chat.postEphemeral", {"error": ConnectionResetError()}, False),
        ("conversations.history", {"error": RemoteDisconnected()}, True),
        ("views.publish", {"error": ConnectionResetError()}, True),
        ("users.info", {"error": URLError(ConnectionRefusedError())}, True),
    ],
)
def test_connection_errors_are_retried_where_slack_cannot_have_acted(
    method: str, trouble: dict[str, object], retried: bool
) -> None:
    assert _retries(SafeConnectionErrorRetryHandler, method, **trouble) is retried


@pytest.mark.parametrize(
    ("method", "retried"),
    [
        ("chat.postMessage", False),
        ("chat.postEphemeral", False),
        ("chat.scheduleMessage", False),
        ("conversations.history", True),
        ("conversations.replies", True),
        ("users.info", True),
        ("views.publish", True),
    ],
)
def test_server_errors_are_retried_only_for_methods_that_may_be_called_twice(
    method: str, retried: bool
) -> None:
    response = HttpResponse(status_code=500, headers={})
    assert _retries(SafeServerErrorRetryHandler, method, response=response) is retried


def test_a_listeners_calls_through_the_client_are_retried_unless_they_post(
    slack_api: SlackStandIn, client: WebClient
) -> None:
    slack_api.add_user("U0ALICE", "alice")
    slack_api.server_error("users.info", times=1)
    slack_api.server_error("chat.postEphemeral", times=1, after_handling=True)

    assert client.users_info(user="U0ALICE")["user"]["id"] == "U0ALICE"
    with pytest.raises(SlackApiError):
        client.chat_postEphemeral(channel="C0SALES", user="U0ALICE", text="only you")

    assert len(slack_api.calls("users.info")) == 2
    assert len(slack_api.calls("chat.postEphemeral")) == 1
    assert len(slack_api.ephemeral_messages()) == 1


def test_the_standin_answers_auth_users_and_unknown_methods(
    slack_api: SlackStandIn, client: WebClient
) -> None:
    slack_api.add_user("U0ALICE", "alice", tz="Europe/Paris", is_admin=True)

    assert client.auth_test()["user_id"] == BOT_USER_ID
    user = client.users_info(user="U0ALICE")["user"]
    assert (user["tz"], user["is_admin"], user["is_owner"]) == ("Europe/Paris", True, False)
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("emoji.list")
    assert unknown.value.response["error"] == "unknown_method"
