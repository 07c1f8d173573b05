"""bot.slack.handoff: the request's thread waits for a listener's ack, not for its end."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_bolt import Ack, BoltContext

from bot.slack import handoff
from bot.slack.handoff import SignallingAck, ack_wait_of, acked_at_once, until_acked

WAIT_S = 10  # only ever reached when the code under test is broken
# Stands for Slack's 3 s limit, in place of waiting it out.
SHORT_WAIT_S = 0.05
# Errors handed to ``unanswered``: none in a test that does not say so.
unanswered: list[BaseException] = []


@pytest.fixture(autouse=True)
def nothing_unanswered() -> Iterator[None]:
    unanswered.clear()
    yield
    assert not unanswered


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def test_the_caller_returns_at_the_ack_while_the_listener_goes_on(
    pool: ThreadPoolExecutor,
) -> None:
    ack = Ack()
    go_on, ended = threading.Event(), threading.Event()

    def listener(acknowledge: SignallingAck) -> None:
        acknowledge(text="on it")
        assert go_on.wait(WAIT_S)
        ended.set()

    assert until_acked(pool, listener, ack, unanswered.append, WAIT_S) is None

    assert ack.response is not None and ack.response.body == "on it"
    assert not ended.is_set(), "the caller waited for the work after the ack"
    go_on.set()
    assert ended.wait(WAIT_S)


def test_an_error_before_the_ack_is_raised_in_the_callers_thread(
    pool: ThreadPoolExecutor,
) -> None:
    def listener(acknowledge: SignallingAck) -> None:
        raise LookupError("no such draft")

    with pytest.raises(LookupError, match="no such draft"):
        until_acked(pool, listener, Ack(), unanswered.append, WAIT_S)


def test_a_listener_that_ends_without_an_ack_gives_its_value(pool: ThreadPoolExecutor) -> None:
    ack = Ack()
    assert (
        until_acked(pool, lambda acknowledge: "returned", ack, unanswered.append, WAIT_S)
        == "returned"
    )
    assert ack.response is None


def test_an_error_after_the_ack_is_logged_and_the_ack_stands(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    ack = Ack()
    raise_now = threading.Event()

    def listener(acknowledge: SignallingAck) -> None:
        acknowledge()
        assert raise_now.wait(WAIT_S)
        raise RuntimeError("views.update failed")

    with caplog.at_level(logging.ERROR, logger=handoff.__name__):
        assert until_acked(pool, listener, ack, unanswered.append, WAIT_S) is None
        raise_now.set()
        pool.shutdown(wait=True)

    assert ack.response is not None and ack.response.status == 200
    [logged] = [r for r in caplog.records if r.name == handoff.__name__]
    assert logged.getMessage() == "a listener failed after its ack, and told no one"
    assert isinstance(logged.exc_info and logged.exc_info[1], RuntimeError)


def test_past_slacks_limit_with_no_ack_the_caller_stops_waiting(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    ack, release = Ack(), threading.Event()

    def listener(acknowledge: SignallingAck) -> None:
        assert release.wait(WAIT_S)
        acknowledge()

    with caplog.at_level(logging.WARNING, logger=handoff.__name__):
        assert until_acked(pool, listener, ack, unanswered.append, SHORT_WAIT_S) is None
    release.set()

    assert "a listener neither acked nor ended within 0.05 s" in caplog.text
    pool.shutdown(wait=True)
    assert ack.response is not None, "the listener carried on to its end"


def test_the_signalling_ack_reads_the_requests_ack() -> None:
    ack, called = Ack(), threading.Event()
    signalling = SignallingAck(ack, called)
    assert signalling.response is None and not called.is_set()
    signalling(response_action="clear")
    assert called.is_set()
    assert signalling.response is ack.response is not None
    assert ack.response.body == '{"response_action": "clear"}'


def test_an_error_past_slacks_limit_goes_to_unanswered(
    pool: ThreadPoolExecutor,
) -> None:
    """Bolt's error handler is past reach then: the request was answered without an ack."""
    release = threading.Event()

    def listener(acknowledge: SignallingAck) -> None:
        assert release.wait(WAIT_S)
        raise LookupError("the draft was deleted meanwhile")

    assert until_acked(pool, listener, Ack(), unanswered.append, SHORT_WAIT_S) is None
    release.set()
    pool.shutdown(wait=True)

    [error] = unanswered
    assert isinstance(error, LookupError)
    unanswered.clear()


def test_an_ack_that_raises_is_answered_as_an_error_before_the_ack(
    pool: ThreadPoolExecutor,
) -> None:
    """Nothing was acked: the caller must not stop waiting at the failed ack, and gets the
    listener's error to answer (once), as for any error before the ack."""

    def listener(acknowledge: SignallingAck) -> None:
        acknowledge(response_action="errors", errors="not a mapping")
        raise AssertionError("unreachable: the ack raised")

    ack = Ack()
    with pytest.raises(Exception) as raised:
        until_acked(pool, listener, ack, unanswered.append, WAIT_S)
    assert not isinstance(raised.value, AssertionError)
    assert ack.response is None


def test_an_event_is_acked_before_its_work_starts(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    ack, started, go_on = Ack(), threading.Event(), threading.Event()
    acked_when_started: list[bool] = []

    def work() -> None:
        acked_when_started.append(ack.response is not None)
        started.set()
        assert go_on.wait(WAIT_S)
        raise RuntimeError("views.publish failed")

    with caplog.at_level(logging.ERROR, logger=handoff.__name__):
        acked_at_once(ack, pool, work)
        assert ack.response is not None and ack.response.status == 200
        assert started.wait(WAIT_S)
        go_on.set()
        pool.shutdown(wait=True)

    assert acked_when_started == [True]
    # What the work did not tell (errors.reported tells its Exceptions) is logged.
    [logged] = [r for r in caplog.records if r.name == handoff.__name__]
    assert isinstance(logged.exc_info and logged.exc_info[1], RuntimeError)


def test_a_listener_still_waiting_for_a_thread_when_slack_gives_up_never_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Slack told the user the submission failed: done later, it would be done twice once
    the user submits again."""
    ran, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(1) as busy:
        busy.submit(release.wait, WAIT_S)  # the pool's only thread, taken
        with caplog.at_level(logging.WARNING, logger=handoff.__name__):
            never_run = until_acked(
                busy, lambda ack: ran.set(), Ack(), unanswered.append, SHORT_WAIT_S
            )
            assert never_run is None
        release.set()
    assert not ran.is_set()
    assert "a listener found no free thread within 0.05 s: not run" in caplog.text


def test_a_request_waits_slacks_limit_for_an_ack_unless_the_app_was_given_another() -> None:
    assert handoff.ACK_WAIT_S == 3.0
    assert ack_wait_of(BoltContext()) == handoff.ACK_WAIT_S
    assert ack_wait_of(BoltContext({handoff.ACK_WAIT_KEY: 20.0})) == 20.0
    assert ack_wait_of(BoltContext({handoff.ACK_WAIT_KEY: 20})) == 20.0
