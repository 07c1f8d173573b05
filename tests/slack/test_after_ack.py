"""The after-ack pool: a listener's work after its ack runs on the pool's own threads, the
listener's thread going on at once, and an error reaches whoever tells the user."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from bot.slack.after_ack import AfterAck

WAIT = 10.0  # seconds: only reached when the behaviour is broken


def test_the_work_runs_on_the_pools_thread_and_the_caller_does_not_wait_for_it() -> None:
    release, done = threading.Event(), threading.Event()
    ran_on: list[str] = []

    def work() -> None:
        ran_on.append(threading.current_thread().name)
        assert release.wait(WAIT)
        done.set()

    AfterAck(threads=1).run(work, lambda error: None)

    assert not done.is_set()  # run() returned while the work waits
    release.set()
    assert done.wait(WAIT)
    assert ran_on[0].startswith("after-ack")


def test_an_error_in_the_work_is_handed_to_failed() -> None:
    failures: list[BaseException] = []
    told = threading.Event()

    def work() -> None:
        raise RuntimeError("the list could not be read")

    def failed(error: BaseException) -> None:
        failures.append(error)
        told.set()

    AfterAck(threads=1).run(work, failed)

    assert told.wait(WAIT)
    assert [str(error) for error in failures] == ["the list could not be read"]


def test_without_threads_the_work_runs_at_once_in_the_callers_thread() -> None:
    ran_on: list[threading.Thread] = []

    AfterAck(threads=0).run(lambda: ran_on.append(threading.current_thread()), lambda e: None)

    assert ran_on == [threading.current_thread()]


def test_when_telling_the_user_fails_too_the_error_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def work() -> None:
        raise RuntimeError("the list could not be read")

    def failed(error: BaseException) -> None:
        raise ConnectionError("Slack is unreachable")

    with caplog.at_level(logging.ERROR, logger="bot.slack.after_ack"):
        AfterAck(threads=0).run(work, failed)

    assert "could not tell the user" in caplog.text
    assert "Slack is unreachable" in caplog.text


def _blocking(release: threading.Event, started: threading.Event) -> Callable[[], None]:
    def work() -> None:
        started.set()
        assert release.wait(WAIT)

    return work


def test_past_the_answers_waiting_a_request_is_told_at_once_that_the_bot_is_busy() -> None:
    release, started = threading.Event(), threading.Event()
    pool = AfterAck(threads=1, waiting=1)
    told: list[str] = []
    pool.run(_blocking(release, started), lambda e: None, busy=lambda: told.append("first"))
    assert started.wait(WAIT)  # on the thread: waits no more
    waited = threading.Event()
    pool.run(waited.set, lambda e: None, busy=lambda: told.append("second"))

    pool.run(lambda: told.append("ran"), lambda e: None, busy=lambda: told.append("third"))

    assert told == ["third"]  # at once, in the caller's thread
    release.set()
    assert waited.wait(WAIT)
    ran = threading.Event()
    pool.run(ran.set, lambda e: None, busy=lambda: told.append("fourth"))
    assert ran.wait(WAIT)  # room again once the waiting answer started
    assert told == ["third"]


def test_stopping_drops_the_answers_not_started_and_tells_their_users() -> None:
    release, started = threading.Event(), threading.Event()
    pool = AfterAck(threads=1)
    told: list[str] = []
    finished = threading.Event()

    def first() -> None:
        _blocking(release, started)()
        finished.set()

    pool.run(first, lambda e: None, dropped=lambda: told.append("first dropped"))
    assert started.wait(WAIT)

    # The first is released once the second was dropped, while stop() waits for it.
    pool.run(
        lambda: told.append("second ran"),
        lambda e: None,
        dropped=lambda: (told.append("second dropped"), release.set()),
    )
    pool.stop(wait_s=WAIT)

    assert finished.is_set(), "stop() waits for the answer being worked out"
    assert told == ["second dropped"]
    pool.run(
        lambda: told.append("late ran"), lambda e: None, dropped=lambda: told.append("late dropped")
    )
    assert told == ["second dropped", "late dropped"]


def test_stopping_waits_no_longer_than_it_is_given() -> None:
    release, started = threading.Event(), threading.Event()
    pool = AfterAck(threads=1)
    pool.run(_blocking(release, started), lambda e: None)
    assert started.wait(WAIT)

    pool.stop(wait_s=0.05)  # returns with the answer still being worked out

    assert not release.is_set()
    release.set()
