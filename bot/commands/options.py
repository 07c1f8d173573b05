"""Options shared by several command groups: ``--team``, and reading an option's value from
the file an ``@FILE`` value names."""

from __future__ import annotations

from pathlib import Path

import click

from bot.commands.context import fail
from bot.workflows.bounded_json import MAX_JSON_CHARS

TEAM_OPTION = click.option(
    "--team",
    help="Slack team id; needed when the database serves several. It must be one the "
    "database knows (see `workflow-bot workspaces list`): another is refused.",
)


def read_text_file(path: Path, what: str, max_chars: int = MAX_JSON_CHARS) -> str:
    """The UTF-8 text of an @FILE option, or a usage error naming the file and the cause;
    a file longer than ``max_chars`` is refused without reading further."""
    try:
        with path.open(encoding="utf-8") as stream:
            text = stream.read(max_chars + 1)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the {what} file {str(path)!r}: {error}")
    if len(text) > max_chars:
        fail(
            f"the {what} file {str(path)!r} is longer than {max_chars:,} characters: "
            "check that it is the right file"
        )
    return text
