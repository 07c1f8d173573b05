"""The bot's configuration, read once from the environment and an optional ``.env`` file,
and where the database is when DATABASE_URL does not say."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from platformdirs import user_data_path

from bot.logging_config import LOG_FORMATS, configure_logging
from storage.database import DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_STATEMENT_TIMEOUT_S

APP_NAME = "workflow-bot"
DATABASE_FILE = "workflow-bot.db"
DEFAULT_PORT = 3000
# The scheduler role's own /healthz and /metrics: a web process on PORT may share its host.
DEFAULT_HEALTH_PORT = 3001
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class DatabaseOrigin(StrEnum):
    """Why the database is where it is."""

    ENVIRONMENT = "set by DATABASE_URL"
    # Where versions before the per-user default kept it: found there, it stays the database,
    # rather than a new empty one elsewhere hiding the user's data.
    WORKING_DIRECTORY = "found in the current directory"
    USER_DATA = "the per-user default; DATABASE_URL overrides"


def user_database_path(data_directory: Path | None = None) -> Path:
    """The default SQLite file: in the per-user data directory (XDG_DATA_HOME, else
    ~/.local/share, on Linux; the platform's own elsewhere), the same from every folder."""
    directory = data_directory or user_data_path(APP_NAME, appauthor=False)
    return directory / DATABASE_FILE


def choose_database(
    url: str | None, working_directory: Path, data_directory: Path | None = None
) -> tuple[str, DatabaseOrigin]:
    """DATABASE_URL when set; else a workflow-bot.db already in ``working_directory``; else
    the per-user file."""
    if url:
        return url, DatabaseOrigin.ENVIRONMENT
    here = working_directory / DATABASE_FILE
    if here.is_file():
        return f"sqlite:///{here.resolve()}", DatabaseOrigin.WORKING_DIRECTORY
    return f"sqlite:///{user_database_path(data_directory)}", DatabaseOrigin.USER_DATA


def database_help() -> tuple[str, str]:
    """How the database is chosen, for --help: a sentence, and the per-user file's path
    (to be shown on a line of its own, where wrapping cannot break it)."""
    return (
        f"Database: DATABASE_URL if set; else {DATABASE_FILE} in the current directory if "
        "there is one; else this file (created when first used):",
        str(user_database_path()),
    )


class SettingsError(ValueError):
    """One or more settings are wrong; ``problems`` says which and how to fix each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: f"sqlite:///{user_database_path()}")
    database_origin: DatabaseOrigin = DatabaseOrigin.USER_DATA
    port: int = DEFAULT_PORT
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    log_format: str = "text"
    health_port: int = DEFAULT_HEALTH_PORT
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str | None = None
    team_id: str | None = None
    workflow_admins: frozenset[str] = field(default_factory=frozenset)
    # PostgreSQL only, in seconds; see storage.database for why these defaults.
    database_connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S
    database_statement_timeout: int = DEFAULT_STATEMENT_TIMEOUT_S
    # Processes serving Slack's requests in `serve --role web` (HTTP modes); 1 serves them
    # in the serve process itself.
    web_workers: int = 1

    @property
    def slack_mode(self) -> str:
        """How the bot talks to Slack: oauth (installed into any number of workspaces, over
        HTTP; each workspace's bot token comes from its installation), socket, http, or
        console (no credentials)."""
        if self.slack_client_id and self.slack_client_secret:
            return "oauth"
        if self.slack_bot_token and self.slack_app_token:
            return "socket"
        if self.slack_bot_token and self.slack_signing_secret:
            return "http"
        return "console"

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv: Path | None = Path(".env"),
        working_directory: Path | None = None,
        data_directory: Path | None = None,
    ) -> Settings:
        """Reads settings; the process environment wins over the ``.env`` file. The database
        is chosen by choose_database (from the current directory, and the per-user data
        directory, unless given)."""
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        database = choose_database(
            values.get("DATABASE_URL", "").strip() or None,
            working_directory or Path.cwd(),
            data_directory,
        )
        return cls._parse(values, database)

    @classmethod
    def _parse(cls, values: Mapping[str, str], database: tuple[str, DatabaseOrigin]) -> Settings:
        problems: list[str] = []

        def text(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        port = _port(text, "PORT", DEFAULT_PORT, problems)
        health_port = _port(text, "HEALTH_PORT", DEFAULT_HEALTH_PORT, problems)
        zone = text("DEFAULT_TIMEZONE") or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"DEFAULT_TIMEZONE={zone!r} is not an IANA time zone: use a name such as "
                "Europe/Paris or America/New_York"
            )
        connect_timeout = _seconds(
            text,
            "DATABASE_CONNECT_TIMEOUT",
            DEFAULT_CONNECT_TIMEOUT_S,
            problems,
            minimum=1,
        )
        statement_timeout = _seconds(
            text,
            "DATABASE_STATEMENT_TIMEOUT",
            DEFAULT_STATEMENT_TIMEOUT_S,
            problems,
            minimum=0,
        )
        web_workers = _count(text, "WEB_WORKERS", 1, problems)
        level = (text("LOG_LEVEL") or "INFO").upper()
        if level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL={level!r} is not one of {', '.join(LOG_LEVELS)}")
        log_format = (text("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            problems.append(
                f"LOG_FORMAT={log_format!r} is not one of {', '.join(LOG_FORMATS)}: "
                "json writes one JSON object per line for a log collector"
            )
        problems += _oauth_problems(text)
        admins = frozenset((text("WORKFLOW_ADMINS") or "").replace(",", " ").split())
        problems += _admin_problems(admins, several_workspaces=bool(text("SLACK_CLIENT_ID")))
        if problems:
            raise SettingsError(problems)
        return cls(
            database_url=database[0],
            database_origin=database[1],
            port=port,
            default_timezone=zone,
            log_level=level,
            log_format=log_format,
            health_port=health_port,
            slack_bot_token=text("SLACK_BOT_TOKEN"),
            slack_app_token=text("SLACK_APP_TOKEN"),
            slack_signing_secret=text("SLACK_SIGNING_SECRET"),
            slack_client_id=text("SLACK_CLIENT_ID"),
            slack_client_secret=text("SLACK_CLIENT_SECRET"),
            slack_api_url=text("SLACK_API_URL"),
            team_id=text("SLACK_TEAM_ID"),
            workflow_admins=admins,
            database_connect_timeout=connect_timeout,
            database_statement_timeout=statement_timeout,
            web_workers=web_workers,
        )

    def prepare_database_directory(self) -> None:
        """Creates the per-user data directory of the default database: SQLite creates the
        file, not its folder. A directory in DATABASE_URL is the user's to create."""
        if self.database_origin is DatabaseOrigin.USER_DATA:
            path = Path(self.database_url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)

    def configure_logging(self) -> None:
        configure_logging(self.log_level, self.log_format)


def _port(text: Callable[[str], str | None], name: str, default: int, problems: list[str]) -> int:
    """The TCP port ``name`` sets; a problem is noted when it is not one."""
    raw = text(name)
    if raw is None:
        return default
    if raw.isdigit() and 0 < int(raw) < 65536:
        return int(raw)
    problems.append(f"{name}={raw!r} is not a TCP port: use a number from 1 to 65535")
    return default


def _count(text: Callable[[str], str | None], name: str, default: int, problems: list[str]) -> int:
    """The number of processes ``name`` sets, from 1 to 64; a problem is noted otherwise."""
    raw = text(name)
    if raw is None:
        return default
    if raw.isdigit() and 1 <= int(raw) <= 64:
        return int(raw)
    problems.append(
        f"{name}={raw!r} is not a number of processes: use 1 to 64 (about 2 per CPU core)"
    )
    return default


def _seconds(
    text: Callable[[str], str | None], name: str, default: int, problems: list[str], minimum: int
) -> int:
    """The whole number of seconds ``name`` sets, at least ``minimum``; a problem is noted
    otherwise."""
    raw = text(name)
    if raw is None:
        return default
    if raw.isdigit() and int(raw) >= minimum:
        return int(raw)
    zero = " (0 for no limit)" if minimum == 0 else ""
    problems.append(
        f"{name}={raw!r} is not a number of seconds: use a whole number of {minimum} "
        f"or more{zero}, e.g. {default}"
    )
    return default


_APP_CREDENTIALS = "the app's Basic Information page, under App Credentials"


def _oauth_problems(text: Callable[[str], str | None]) -> list[str]:
    """What is missing or contradictory for installing into several workspaces (SLACK_CLIENT_ID
    and SLACK_CLIENT_SECRET): both are needed, over HTTP with the signing secret."""
    client_id, client_secret = text("SLACK_CLIENT_ID"), text("SLACK_CLIENT_SECRET")
    if client_id is None and client_secret is None:
        return []
    if client_id is None or client_secret is None:
        given, missing = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            if client_id
            else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        return [
            f"{given} is set but {missing} is not: installing into several workspaces needs "
            f"both (from {_APP_CREDENTIALS}); unset {given} to serve one workspace with "
            "SLACK_BOT_TOKEN"
        ]
    problems = []
    if text("SLACK_SIGNING_SECRET") is None:
        problems.append(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET install the app into several workspaces "
            "over HTTP, which needs SLACK_SIGNING_SECRET too: copy the Signing Secret from "
            f"{_APP_CREDENTIALS}"
        )
    if text("SLACK_APP_TOKEN") is not None:
        problems.append(
            "SLACK_APP_TOKEN (Socket Mode) cannot be used with SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET: installing into several workspaces works over HTTP only; "
            "unset SLACK_APP_TOKEN, or unset the client id and secret to use Socket Mode in "
            "one workspace"
        )
    return problems


def _admin_problems(admins: frozenset[str], several_workspaces: bool) -> list[str]:
    """With several workspaces a user id alone would make that user an admin in each of
    them (Enterprise Grid ids span workspaces): there each entry names its workspace."""
    if not several_workspaces:
        return []
    plain = sorted(entry for entry in admins if ":" not in entry)
    if not plain:
        return []
    return [
        f"WORKFLOW_ADMINS lists {', '.join(plain)} without a workspace: with several "
        "workspaces write each admin as TEAM_ID:USER_ID, e.g. T0123ABCD:U0456EFGH"
    ]
