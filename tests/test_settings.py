from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DatabaseOrigin, Settings, SettingsError


def test_defaults_need_nothing_set() -> None:
    settings = Settings.from_environment({}, dotenv=None)
    assert settings.database_origin is not DatabaseOrigin.ENVIRONMENT
    assert settings.port == 3000
    assert settings.default_timezone == "UTC"
    assert settings.slack_mode == "console"


def test_the_environment_wins_over_the_dotenv_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nDEFAULT_TIMEZONE=Europe/Paris\n")
    settings = Settings.from_environment({"PORT": "5000"}, dotenv=dotenv)
    assert settings.port == 5000
    assert settings.default_timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "socket"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "http"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "console"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"},
            "oauth",
        ),
        # The client id and secret win: SLACK_BOT_TOKEN is then unused.
        (
            {
                "SLACK_CLIENT_ID": "1.2",
                "SLACK_CLIENT_SECRET": "c",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_BOT_TOKEN": "xoxb-1",
            },
            "oauth",
        ),
    ],
)
def test_the_slack_mode_follows_the_credentials(environ: dict[str, str], mode: str) -> None:
    assert Settings.from_environment(environ, dotenv=None).slack_mode == mode


def test_every_bad_setting_is_reported_with_its_fix() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment(
            {"PORT": "http", "DEFAULT_TIMEZONE": "Mars/Olympus", "LOG_LEVEL": "loud"},
            dotenv=None,
        )
    problems = raised.value.problems
    assert len(problems) == 3
    assert "PORT='http'" in problems[0] and "1 to 65535" in problems[0]
    assert "Mars/Olympus" in problems[1] and "Europe/Paris" in problems[1]
    assert "LOUD" in problems[2]


def test_admins_are_read_as_a_set_of_user_ids() -> None:
    settings = Settings.from_environment({"WORKFLOW_ADMINS": "U1, U2 U3"}, dotenv=None)
    assert settings.workflow_admins == frozenset({"U1", "U2", "U3"})


def test_settings_are_frozen() -> None:
    settings = Settings.from_environment({}, dotenv=None)
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"},
            ["needs SLACK_SIGNING_SECRET too"],
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"},
            ["SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not"],
        ),
        (
            {"SLACK_CLIENT_SECRET": "c", "SLACK_BOT_TOKEN": "xoxb-1"},
            ["SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not"],
        ),
        (
            {
                "SLACK_CLIENT_ID": "1.2",
                "SLACK_CLIENT_SECRET": "c",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_APP_TOKEN": "xapp-1",
            },
            ["SLACK_APP_TOKEN (Socket Mode) cannot be used"],
        ),
    ],
)
def test_installing_into_several_workspaces_needs_the_whole_set_of_credentials(
    environ: dict[str, str], expected: list[str]
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment(environ, dotenv=None)
    problems = raised.value.problems
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"}


def test_with_several_workspaces_each_admin_names_its_workspace() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({**OAUTH, "WORKFLOW_ADMINS": "T1:U1 U2"}, dotenv=None)
    assert raised.value.problems == [
        "WORKFLOW_ADMINS lists U2 without a workspace: with several workspaces write each "
        "admin as TEAM_ID:USER_ID, e.g. T0123ABCD:U0456EFGH"
    ]
    settings = Settings.from_environment({**OAUTH, "WORKFLOW_ADMINS": "T1:U1"}, dotenv=None)
    assert settings.workflow_admins == frozenset({"T1:U1"})


def test_database_timeouts_have_defaults_and_can_be_set() -> None:
    default = Settings.from_environment({}, dotenv=None)
    assert (default.database_connect_timeout, default.database_statement_timeout) == (10, 30)
    chosen = Settings.from_environment(
        {"DATABASE_CONNECT_TIMEOUT": "3", "DATABASE_STATEMENT_TIMEOUT": "0"}, dotenv=None
    )
    assert (chosen.database_connect_timeout, chosen.database_statement_timeout) == (3, 0)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "0", "a whole number of 1 or more, e.g. 10"),
        ("DATABASE_CONNECT_TIMEOUT", "ten", "a whole number of 1 or more, e.g. 10"),
        ("DATABASE_STATEMENT_TIMEOUT", "1.5", "of 0 or more (0 for no limit), e.g. 30"),
        ("DATABASE_STATEMENT_TIMEOUT", "-1", "of 0 or more (0 for no limit), e.g. 30"),
    ],
)
def test_a_database_timeout_that_is_not_whole_seconds_is_refused(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({name: value}, dotenv=None)
    [problem] = raised.value.problems
    assert problem.startswith(f"{name}={value!r} is not a number of seconds")
    assert expected in problem
