"""``workflow-bot workflows why`` and ``workflows forecast``: why a record is (not) enrolled
by a workflow, filter by filter, and how many records its next runs would enroll."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.commands.records import evaluation_instant
from bot.workflows.explanations import (
    Explanation,
    GroupCheck,
    PastRun,
    explain_typed,
    shown_value,
    then_phrase,
)
from bot.workflows.forecast import DEFAULT_RUNS, MAX_RUNS, Forecast, forecast
from bot.workflows.lifecycle import WorkflowError
from bot.workflows.readable import instant_text, plural
from bot.workflows.workflow_requests import schedule_timezone
from bot.workflows.workspaces import AmbiguousWorkspace
from storage.object_types import UnknownObjectType


@contextmanager
def _errors() -> Iterator[None]:
    """Turns every error a user can fix into its message and exit status 2."""
    try:
        yield
    except (WorkflowError, UnknownObjectType, AmbiguousWorkspace) as error:
        fail(str(error))


@click.command("why")
@click.argument("name")
@click.argument("record_id")
@click.option(
    "--at",
    "at_option",
    metavar="ISO_INSTANT",
    help=(
        "Explain a run at this instant, e.g. 2026-12-06T08:00:00+01:00 (without an offset, "
        "a time in the workflow's zone). Default: the workflow's next run."
    ),
)
@TEAM_OPTION
@click.pass_obj
def workflows_why(
    context: Context, name: str, record_id: str, at_option: str | None, team: str | None
) -> None:
    """Why a record (by id, or a part of its name) is or is not enrolled by a workflow."""
    with _errors():
        team_id = context.team(team)
        at = None
        if at_option is not None:  # a time without an offset is in the workflow's zone
            zone = schedule_timezone(context.work, team_id, name)
            at = evaluation_instant(context, at_option, zone)
        now = context.clock.now()
        explanation = explain_typed(context.work, team_id, name, record_id, now, at)
    for line in explanation_lines(explanation):
        click.echo(line)


@click.command("forecast")
@click.argument("name")
@click.option(
    "--runs",
    type=click.IntRange(min=1, max=MAX_RUNS),
    default=DEFAULT_RUNS,
    show_default=True,
    help="How many runs to forecast.",
)
@TEAM_OPTION
@click.pass_obj
def workflows_forecast(context: Context, name: str, runs: int, team: str | None) -> None:
    """The next runs of a workflow, each with how many records it would enroll on today's data."""
    with _errors():
        team_id = context.team(team)
        found = forecast(context.work, team_id, name, context.clock.now(), runs)
    for line in forecast_lines(found):
        click.echo(line)


def _instant(at: datetime) -> str:
    return instant_text(at, at.tzinfo or "UTC")  # as every command writes an instant


def verdict_line(explanation: Explanation) -> str:
    """The answer in one sentence, e.g. "Deal 7 (D-7) would be enrolled by Deal review at
    its next run, 2026-11-03T09:00:00+00:00: it matches group 1."."""
    record = f"{explanation.record_name} ({explanation.external_id})"
    workflow = explanation.workflow_name
    verb = "would be" if explanation.enrolled else "would not be"
    if explanation.no_run_because is not None:
        return (
            f"{workflow} has no run at {_instant(explanation.at)}, because "
            f"{explanation.no_run_because}; had it run, {record} {verb} enrolled: "
            f"{explanation.reason}."
        )
    if explanation.deferred_from is not None:
        when = (
            f"at {_instant(explanation.at)}, where a pause day defers its run of "
            f"{_instant(explanation.deferred_from)}"
        )
    elif explanation.given:
        when = f"at {_instant(explanation.at)}"
    elif explanation.has_next_run:
        when = f"at its next run, {_instant(explanation.at)}"
    else:
        when = f"now ({_instant(explanation.at)}; it has no run to come)"
    return f"{record} {verb} enrolled by {workflow} {when}: {explanation.reason}."


def explanation_lines(explanation: Explanation) -> list[str]:
    lines = [verdict_line(explanation)]
    # Pause days, and a run skipped once by hand, before the run explained.
    lines += [f"Schedule: {pause}." for pause in explanation.pauses]
    if explanation.snoozed_until is not None:
        lines.append(
            f"Snoozed by {explanation.snoozed_by} until {_instant(explanation.snoozed_until)}: "
            "runs before then leave it out."
        )
    if explanation.criteria:
        lines.append("Criteria (a record matches when every filter of one group holds):")
        lines += _group_lines(explanation.criteria)
    else:
        lines.append("Criteria: none (every record matches).")
    if explanation.suppression:
        lines.append("Suppression (a record matching one group is never enrolled):")
        lines += _group_lines(explanation.suppression)
    lines += past_run_lines(explanation.past_runs)
    return lines


def _group_lines(groups: Sequence[GroupCheck]) -> list[str]:
    lines = []
    for number, group in enumerate(groups, start=1):
        lines.append(f"  group {number}: {'matches' if group.matched else 'does not match'}")
        for check in group.filters:
            mark = "yes" if check.passed else "no "
            then = f" (then: {check.resolved})" if check.resolved else ""
            value = shown_value(check.value)
            lines.append(f"    [{mark}] {check.text}{then}; {check.property} is {value}")
    return lines


def past_run_lines(runs: Sequence[PastRun]) -> list[str]:
    if not runs:
        return ["Past runs: none has enrolled records yet."]
    enrolled = [run for run in runs if run.enrolled]
    missed = [run for run in runs if not run.enrolled]
    parts = []
    if enrolled:
        parts.append(f"enrolled in {_run_list(enrolled)}")
    if missed:
        parts.append(f"not in {_run_list(missed)}")
    lines = [f"Latest {plural(len(runs), 'run')}: {'; '.join(parts)}."]
    for run in runs:
        phrase = then_phrase(run.then, run.enrolled, lambda text: f"`{text}`", str)
        if phrase is not None:
            done = "enrolled" if run.enrolled else "left out"
            lines.append(f"  #{run.id} ({run.scheduled_at:%Y-%m-%d}), {done}: {phrase}")
    return lines


def _run_list(runs: Sequence[PastRun]) -> str:
    names = [f"#{run.id} ({run.scheduled_at:%Y-%m-%d})" for run in runs]
    head = "run" if len(names) == 1 else "runs"
    if len(names) == 1:
        return f"{head} {names[0]}"
    return f"{head} {', '.join(names[:-1])} and {names[-1]}"


def forecast_lines(forecast: Forecast) -> list[str]:
    lines = []
    if not forecast.active:
        lines.append(
            f"{forecast.workflow_name} is {forecast.status}: these runs happen only once it "
            "is activated."
        )
    if not forecast.runs:
        lines.append(f"{forecast.workflow_name} has no run to come.")
    for run in forecast.runs:
        note = f" ({run.run.reason})" if run.run.reason else ""
        if run.matching is None:
            lines.append(f"{_instant(run.run.at)}: skipped{note}")
        else:
            records = "record" if run.matching == 1 else "records"
            lines.append(f"{_instant(run.run.at)}: {run.matching:,} {records}{note}")
    lines.append("Counted on the records as they are now; relative dates at each run's time.")
    return lines
