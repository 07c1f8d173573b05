"""Options shared by several command groups: ``--team``, and reading an option's value from
the file an ``@FILE`` value names."""

from __future__ import annotations

from pathlib import Path

import click

from bot.commands.context import fail

TEAM_OPTION = click.option("--team", help="Slack team id; needed when the database serves several.")


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of an @FILE option, or a usage error naming the file and the cause."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the {what} file {str(path)!r}: {error}")
