"""A command whose reader stops early (``workflow-bot ... | head``) ends quietly: a closed
pipe is not a bug, so no error id, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_a_listing_piped_into_head_ends_without_an_error(tmp_path: Path) -> None:
    rows = "".join(
        f"D-{i},Deal number {i} with a long enough name to fill the pipe\n" for i in range(6000)
    )
    (tmp_path / "deals.csv").write_text("id,name\n" + rows, encoding="utf-8")
    command = str(Path(sys.executable).parent / "workflow-bot")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    subprocess.run(
        [command, "records", "import", "deals.csv", "--type", "deals"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        f"'{command}' records list --type deals --limit 6000 | head -n 1",
        shell=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == ""
