"""The after-ack pool: a listener's work after its ack runs on the pool's own threads, the
listener's thread going on at once, and an error reaches whoever tells the user."""

from __future__ import annotations

import logging
import threading

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
