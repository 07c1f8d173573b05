"""The README's shell snippets run as written, so its Quick start cannot drift from what the
bot prints, and every ``workflow-bot`` command the README names exists.

The tested snippets run in the README's order in one empty folder with its own data
directory, as a reader following the README would, where ``.venv/bin/workflow-bot`` is this
checkout's command. A snippet whose fence follows ``<!-- tested: FILE -->`` is saved as FILE
there; one that follows ``<!-- tested -->`` is a shell script, run by bash. In a script, lines
starting with ``# `` right after a command are that command's expected output, line by line
(``# ...`` stands for any number of lines).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from bot.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
_MARKER = re.compile(r"^<!-- tested(?:: (?P<file>[\w.-]+))? -->$")
ANY_LINES = "..."
_FENCE = re.compile(r"^```")
_HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
_COMMAND_MENTION = re.compile(r"(?:`|bin/)workflow-bot((?: [a-z][a-z|-]*)+)")


@dataclass
class Snippet:
    first_line: int
    lines: list[str]
    file: str | None  # saved under this name; None: a shell script


@dataclass
class Step:
    script: str
    expected: list[str] = field(default_factory=list)


def readme_snippets(text: str) -> list[Snippet]:
    """The tested snippets, in the README's order."""
    lines = text.splitlines()
    snippets: list[Snippet] = []
    for index, line in enumerate(lines):
        marker = _MARKER.match(line.strip())
        if marker is None:
            continue
        start = index + 1
        assert _FENCE.match(lines[start]), f"README line {start + 1}: a marker must precede a fence"
        end = next(i for i in range(start + 1, len(lines)) if _FENCE.match(lines[i]))
        snippets.append(Snippet(start + 2, lines[start + 1 : end], marker.group("file")))
    return snippets


def steps_of(lines: list[str]) -> list[Step]:
    """Splits a snippet into commands (with their continuation lines and here-documents) and
    the output expected after each."""
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("# ") or line == "#":
            assert steps, f"expected output before any command: {line!r}"
            steps[-1].expected.append(line[2:])
            index += 1
            continue
        command = [line]
        heredoc = _HEREDOC.search(line)
        while _continues("\n".join(command)):
            index += 1
            command.append(lines[index])
        if heredoc:
            terminator = heredoc.group(1)
            while lines[index] != terminator:
                index += 1
                command.append(lines[index])
        steps.append(Step("\n".join(command)))
        index += 1
    return steps


def _continues(command: str) -> bool:
    """Whether a command goes on to the next line: a trailing backslash, or a quote left open
    (the README's JSON options span lines inside single quotes)."""
    return command.endswith("\\") or command.count("'") % 2 == 1


def matches(actual: list[str], expected: list[str]) -> bool:
    """Line-by-line equality, where an ``...`` line stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == ANY_LINES:
        return any(matches(actual[skip:], expected[1:]) for skip in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(actual[1:], expected[1:])


def sandbox(tmp_path: Path) -> dict[str, str]:
    """An empty working folder whose ``.venv/bin`` holds this checkout's command, and an
    environment with nothing of the developer's: its own home and data directory, no Slack."""
    bin_dir = tmp_path / "work" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    installed = Path(sys.executable).parent / "workflow-bot"
    (bin_dir / "workflow-bot").symlink_to(installed)
    home = tmp_path / "home"
    home.mkdir()
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), PYTHONPATH=str(README.parent))
    return env


@pytest.mark.slow
def test_the_readme_snippets_print_what_the_readme_says(tmp_path: Path) -> None:
    env = sandbox(tmp_path)
    work = tmp_path / "work"
    for snippet in readme_snippets(README.read_text("utf-8")):
        if snippet.file is not None:
            (work / snippet.file).write_text("\n".join(snippet.lines) + "\n", encoding="utf-8")
        else:
            run_script(snippet, work, env)


def run_script(snippet: Snippet, work: Path, env: dict[str, str]) -> None:
    for step in steps_of(snippet.lines):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step.script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        shown = f"README line {snippet.first_line}: {step.script}\n{done.stdout}{done.stderr}"
        assert done.returncode == 0, shown
        actual = [line.rstrip() for line in done.stdout.splitlines()]
        wanted = "\n".join(step.expected)
        assert not step.expected or matches(actual, step.expected), f"{shown}\nwanted:\n{wanted}"


def test_the_readme_has_tested_snippets() -> None:
    assert len(readme_snippets(README.read_text("utf-8"))) >= 2


def test_every_command_the_readme_names_exists() -> None:
    """Words after ``workflow-bot`` name commands down to the first one that takes no
    subcommand; ``pause|activate`` names each."""
    mentions = {m.strip() for m in _COMMAND_MENTION.findall(README.read_text("utf-8"))}
    assert len(mentions) >= 10, "the pattern finds the README's commands"
    for mention in sorted(mentions):
        command: click.Command = main
        for word in mention.split():
            if not isinstance(command, click.Group):
                break  # an argument of a command, such as `sources add sql`
            for name in word.split("|"):
                found = command.get_command(click.Context(command), name)
                assert found is not None, f"the README names `workflow-bot {mention}`: no {name!r}"
            command = found


@pytest.mark.parametrize(
    "actual, expected, result",
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a"], False),
        (["a", "x", "y", "b"], ["a", "...", "b"], True),
        (["a", "b"], ["a", "...", "b"], True),
        (["a", "c"], ["a", "...", "b"], False),
        ([], ["..."], True),
    ],
)
def test_expected_output_matching(actual: list[str], expected: list[str], result: bool) -> None:
    assert matches(actual, expected) is result


def test_a_snippet_splits_into_commands_with_their_outputs() -> None:
    lines = ["cat > f <<'CSV'", "# not output", "CSV", "echo a \\", "  b", "# a b", "# ...", "ls"]
    steps = steps_of(lines)
    assert [step.script for step in steps] == [
        "cat > f <<'CSV'\n# not output\nCSV",
        "echo a \\\n  b",
        "ls",
    ]
    assert [step.expected for step in steps] == [[], ["a b", "..."], []]
