"""The after-ack pool: a listener's work after its ack runs on the pool's own threads, the
listener's thread going on at once, and an error reaches whoever tells the user."""

from __future__ import annotations

import logging
import threading
import time
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


def _working_on_one_answer(threads: int) -> tuple[AfterAck, threading.Event]:
    """A pool whose first thread is busy with an answer until the event returned is set."""
    release, started = threading.Event(), threading.Event()
    pool = AfterAck(threads=threads)
    pool.run(_blocking(release, started), lambda e: None)
    assert started.wait(WAIT)
    return pool, release


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
    pool, release = _working_on_one_answer(threads=1)

    began = time.monotonic()
    pool.stop(wait_s=0.05)  # returns with the answer still being worked out
    took = time.monotonic() - began

    # Waiting for the answer would take until its WAIT ran out.
    assert took < WAIT / 2, f"stop() took {took:.1f} s"
    release.set()


def test_stopping_tells_the_dropped_users_at_once_and_ends_within_its_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, release = _working_on_one_answer(threads=1)
    slack_answers = threading.Event()  # never, until the test ends: Slack is slow
    told: list[str] = []

    def slow_message(user: str) -> Callable[[], None]:
        def tell() -> None:
            slack_answers.wait(1.0)
            told.append(user)

        return tell

    users = [f"U{number}" for number in range(6)]
    for user in users:
        pool.run(lambda: None, lambda e: None, dropped=slow_message(user), who=user)

    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.slack.after_ack"):
        pool.stop(wait_s=0.2)
    took = time.monotonic() - began

    # One after another, the six messages took 6 s before the wait even began.
    assert took < 0.9, f"stop() took {took:.1f} s"
    assert "stopped without telling 6 user(s)" in caplog.text
    assert "U0; U1; U2; U3; U4; U5" in caplog.text
    slack_answers.set()
    release.set()


def test_a_message_to_a_dropped_user_that_fails_is_logged_as_not_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, release = _working_on_one_answer(threads=1)

    def unreachable() -> None:
        raise ConnectionError("Slack is unreachable")

    pool.run(lambda: None, lambda e: None, dropped=unreachable, who="U0ALICE (/workflow list)")
    release.set()
    with caplog.at_level(logging.WARNING, logger="bot.slack.after_ack"):
        pool.stop(wait_s=WAIT)

    assert "could not tell U0ALICE (/workflow list)" in caplog.text
    assert "Slack is unreachable" in caplog.text
    assert "stopped without telling 1 user(s) that their answer was dropped" in caplog.text


def test_the_pools_threads_do_not_keep_a_stopping_process_alive() -> None:
    # Python waits at exit for non-daemon threads, and for a ThreadPoolExecutor's threads
    # whatever they are: an answer stuck on Slack would outlive stop().
    pool, release = _working_on_one_answer(threads=2)

    threads = [t for t in threading.enumerate() if t.name.startswith("after-ack")]

    assert threads
    assert all(thread.daemon for thread in threads)
    release.set()
    pool.stop()


def test_a_thread_whose_work_raises_system_exit_goes_on_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = AfterAck(threads=1)
    done = threading.Event()

    def exits() -> None:
        raise SystemExit(3)

    with caplog.at_level(logging.ERROR, logger="bot.slack.after_ack"):
        pool.run(exits, lambda e: None, who="U0DAN (/workflow list)")
        pool.run(done.set, lambda e: None)
        assert done.wait(WAIT)

    assert "an answer for U0DAN (/workflow list) ended its thread's work" in caplog.text
    pool.stop(wait_s=WAIT)


def test_stopping_logs_the_users_whose_answers_were_still_being_worked_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release, started = threading.Event(), threading.Event()
    pool = AfterAck(threads=1)
    pool.run(_blocking(release, started), lambda e: None, who="U0BOB (/workflow list)")
    assert started.wait(WAIT)

    with caplog.at_level(logging.WARNING, logger="bot.slack.after_ack"):
        pool.stop(wait_s=0.05)

    assert "stopped while answering 1 user(s), who may get no answer: U0BOB" in caplog.text
    release.set()


def test_an_answer_dropped_with_nothing_to_tell_its_user_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, release = _working_on_one_answer(threads=1)
    pool.run(lambda: None, lambda e: None, who="U0CAROL (/workflow show)")
    release.set()

    with caplog.at_level(logging.WARNING, logger="bot.slack.after_ack"):
        pool.stop(wait_s=WAIT)

    assert "stopped without telling 1 user(s)" in caplog.text
    assert "U0CAROL (/workflow show)" in caplog.text


class _ThreadsRunOut(threading.Thread):
    """The ``refused``-th thread started cannot start, as when the process has no more;
    ``started`` names the threads that did."""

    refused = 0
    starts = 0
    started: list[str] = []

    def start(self) -> None:
        _ThreadsRunOut.starts += 1
        if _ThreadsRunOut.starts == _ThreadsRunOut.refused:
            raise RuntimeError("can't start new thread")
        _ThreadsRunOut.started.append(self.name)
        super().start()


def _threads_run_out_at(monkeypatch: pytest.MonkeyPatch, refused: int) -> list[str]:
    monkeypatch.setattr(_ThreadsRunOut, "refused", refused)
    monkeypatch.setattr(_ThreadsRunOut, "starts", 0)
    monkeypatch.setattr(_ThreadsRunOut, "started", [])
    monkeypatch.setattr("bot.slack.after_ack.threading.Thread", _ThreadsRunOut)
    return _ThreadsRunOut.started


def test_a_pool_whose_threads_could_not_start_tries_again_on_the_next_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _threads_run_out_at(monkeypatch, refused=1)
    pool = AfterAck(threads=1)
    done = threading.Event()

    with pytest.raises(RuntimeError, match="can't start new thread"):
        pool.run(done.set, lambda e: None)
    pool.run(done.set, lambda e: None)

    assert done.wait(WAIT)
    pool.stop(wait_s=WAIT)


def test_a_pool_whose_second_thread_could_not_start_starts_only_that_one_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = _threads_run_out_at(monkeypatch, refused=2)
    pool = AfterAck(threads=2)
    done = threading.Event()

    with pytest.raises(RuntimeError, match="can't start new thread"):
        pool.run(done.set, lambda e: None)
    pool.run(done.set, lambda e: None)

    assert done.wait(WAIT)
    assert started == ["after-ack-0", "after-ack-1"]
    pool.stop(wait_s=WAIT)
