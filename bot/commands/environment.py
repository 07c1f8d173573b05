"""Where the command line looks up a variable that a setting names (a record source's
database URL): the process environment, then the ``.env`` file of the working directory,
as settings are read. Looked up at each use, so a changed ``.env`` applies at the next sync."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

DOTENV = Path(".env")


def environment_variable(name: str) -> str | None:
    """The variable's value; the environment wins over the ``.env`` file."""
    found = os.environ.get(name)
    if found is not None or not DOTENV.is_file():
        return found
    return dotenv_values(DOTENV).get(name)
