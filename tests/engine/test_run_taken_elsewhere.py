"""A command's manual run that a running ``serve`` claimed first: the command reports that
process's outcome instead of calling the run unfinished."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.commands.workflows import finished_elsewhere
from bot.workflows.lifecycle import CLI_ACTOR, request_run
from bot.workflows.vocabulary import RunStatus
from storage.database import transaction
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    TEAM,
    channel_message,
    deal,
    import_deals,
    save,
    workflow_document,
)
from tests.engine.conftest import START, Processes


def _manual_run(sessions: sessionmaker[Session]) -> int:
    import_deals(sessions, [deal("D-1")], START)
    save(sessions, workflow_document(actions=[channel_message()]), START)
    with transaction(sessions) as session:
        return request_run(session, TEAM, NAME, CLI_ACTOR, START).run_id


def test_a_run_another_process_finishes_while_the_command_waits_reports_its_outcome(
    processes: Processes,
) -> None:
    run_id = _manual_run(processes.sessions)
    serve = processes.start_on_console("serve-process")
    command = processes.start_on_console("command-process")
    assert serve.claim(run_id) == run_id
    assert command.run_now(run_id) is None  # serve holds it

    said: list[str] = []
    pauses: list[float] = []

    def serve_works_meanwhile(seconds: float) -> None:
        pauses.append(seconds)
        serve.runner.execute(run_id)

    status = finished_elsewhere(
        UnitOfWork(processes.sessions),
        run_id,
        command.owner,
        said.append,
        pause=serve_works_meanwhile,
    )
    assert status is RunStatus.SUCCEEDED
    assert len(pauses) == 1
    assert said == [f"Run {run_id} was taken by another workflow-bot process; waiting for it."]


def test_a_run_the_command_itself_holds_is_not_waited_for(processes: Processes) -> None:
    run_id = _manual_run(processes.sessions)
    command = processes.start_on_console("command-process")
    assert command.claim(run_id) == run_id
    said: list[str] = []
    status = finished_elsewhere(UnitOfWork(processes.sessions), run_id, command.owner, said.append)
    assert status is None and said == []


def test_the_command_stops_waiting_after_its_patience(processes: Processes) -> None:
    run_id = _manual_run(processes.sessions)
    processes.start_on_console("serve-process").claim(run_id)
    pauses: list[float] = []
    status = finished_elsewhere(
        UnitOfWork(processes.sessions),
        run_id,
        "command-process",
        print,
        pause=pauses.append,
        patience=2.0,
    )
    assert status is None
    assert sum(pauses) == 2.0
