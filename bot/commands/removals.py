"""What a removal of records shows, and the question asked before it (``records delete``,
``records import --prune``): the count and the first ids with their names."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.commands.context import Context, fail
from bot.workflows.readable import plural
from bot.workflows.record_import import ImportOptions
from bot.workflows.record_removal import EmptyPrune, absent, file_ids
from bot.workflows.sources import FedType
from storage.record_removal import Removal

DECLINED = 1


def removal_text(removal: Removal, type_name: str) -> str:
    """``3 records of deals: D-1 (Acme renewal), D-2 (Globex pilot), D-3 (Initech)`` (and N
    more); ``1 record of deals: ...`` for one."""
    shown = ", ".join(f"{external_id} ({_flat(name)})" for external_id, name in removal.first)
    more = removal.count - len(removal.first)
    rest = f" and {more:,} more" if more > 0 else ""
    return f"{plural(removal.count, 'record')} of {type_name}: {shown}{rest}"


def _flat(name: str, limit: int = 40) -> str:
    flat = " ".join(name.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_NO_ANSWER = (
    "nothing was removed: no answer came (there is no terminal input to ask); add "
    "--yes to remove without asking"
)


def confirm_removal(question: str) -> None:
    """Asks ``question``; exits when the answer is no, or when there is no one to answer
    (no terminal input: then --yes is how to say yes)."""
    if sys.stdin.isatty():
        try:
            confirmed = click.confirm(question, default=False)
        except click.Abort:  # Ctrl-D
            click.echo("", err=True)
            fail(_NO_ANSWER)
    else:
        confirmed = _piped_answer(question, sys.stdin.readline())
    if not confirmed:
        click.echo("Nothing was removed.")
        sys.exit(DECLINED)


def _piped_answer(question: str, line: str) -> bool:
    """The answer piped in (``echo y | ...``), shown after the question as a terminal
    would; no input at all (cron, ``< /dev/null``) is refused at once in one line, with
    no question left hanging before it."""
    if not line:
        fail(_NO_ANSWER)
    answer = line.strip()
    click.echo(f"{question} [y/N]: {answer}")
    return answer.lower() in ("y", "yes")


def confirm_prune(context: Context, file: Path, options: ImportOptions, team: str | None) -> None:
    """Shows what importing ``file`` with --prune would remove, and asks (before anything is
    written: no transaction waits for the answer)."""
    if not any(file_ids(file, options)):
        fail(str(EmptyPrune(file.name, options.type_name)))
    try:
        team_id = context.team(team)
        would = absent(context.work, team_id, options.type_name, file_ids(file, options))
    except FedType as fed:
        fail(str(fed))
    if would.count:
        click.echo(
            f"{file.name} is the whole set of {options.type_name}: importing it removes "
            f"{removal_text(would, options.type_name)}"
        )
        confirm_removal("Import it and remove them?")
