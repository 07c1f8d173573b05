"""``workflow-bot sources add hubspot`` through the real command line and the HubSpot
stand-in: the source listed, synced before a scheduled run whose messages reach the Slack
stand-in for the deals its criteria match; a revoked token marks the source failing and its
workflows' owner is told once. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.commands.environment import environment_variable
from bot.hubspot.portal import ClientPortal
from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.workspaces import LOCAL_TEAM
from tests.engine.builders import DEALS_CHANNEL, channel_message, save, workflow_document
from tests.engine.conftest import START, Processes
from tests.hubspot_source.portal_fixtures import T0, deal_portal
from tests.hubspot_standin import DAILY_LIMIT, HubSpotStandIn
from tests.slack_standin import SlackStandIn

RUN_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
IN_CONTRACT = {
    "any": [
        {
            "all": [
                {"property": "dealstage", "operator": "eq", "value": "contractsent"},
                {"property": "amount", "operator": "gt", "value": 1000},
            ]
        }
    ]
}


@pytest.fixture
def portal() -> Iterator[tuple[HubSpotStandIn, str]]:
    standin = deal_portal(SteppedTime())
    standin.put("deals", "11", T0, dealname="Acme <renewal>", dealstage="contractsent",
                amount="5000", hubspot_owner_id="101")  # fmt: skip
    standin.put("deals", "12", T0, dealname="Globex", dealstage="contractsent", amount="500")
    standin.put("deals", "13", T0, dealname="Initech", dealstage="closedwon", amount="9000")
    with standin.serving() as url:
        yield standin, url


@pytest.fixture
def runner(
    database_url: str,
    portal: tuple[HubSpotStandIn, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HUBSPOT_TOKEN", HubSpotStandIn.token)
    monkeypatch.setenv("HUBSPOT_API_URL", portal[1])
    for name in ("SLACK_BOT_TOKEN", "SLACK_TEAM_ID", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


def cli(runner: CliRunner, *args: str, at: datetime | None = None) -> Result:
    """The command, run at ``at`` on the wall clock when given (the engine's test clock)."""
    if at is None:
        return runner.invoke(main, list(args))
    with time_machine.travel(at, tick=False):
        return runner.invoke(main, list(args))


def add_portal(runner: CliRunner, *options: str, at: datetime | None = None) -> Result:
    return cli(
        runner, "sources", "add", "hubspot", "portal", "--token-env", "HUBSPOT_TOKEN",
        "--objects", "deals", *options, at=at,
    )  # fmt: skip


def hubspot_engine(
    processes: Processes, sessions: sessionmaker[Session], clock: FixedClock
) -> Engine:
    """The serving process's engine: HubSpot reached through the real client."""
    notifier = processes.slack()
    return Engine(
        sessions,
        clock,
        lambda _team: notifier,
        owner="process-a",
        environment=environment_variable,  # the runner's fixture set the variables
        portals=ClientPortal,
    )


def test_a_portal_added_from_the_command_line_feeds_a_scheduled_run(
    runner: CliRunner,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    portal: tuple[HubSpotStandIn, str],
) -> None:
    added = add_portal(runner, "--max-staleness", "10m", at=START)
    assert added.exit_code == 0, added.output
    assert "Added the HubSpot source portal, which feeds deals." in added.output
    listed = cli(runner, "sources", "list", at=START)
    assert "portal: feeds deals from HubSpot deals (token in $HUBSPOT_TOKEN)" in listed.output
    assert "never synced" in listed.output
    assert "no cursor: the next sync reads every object" in listed.output
    first = cli(runner, "sources", "sync", "portal", at=START)
    assert "3 added, 0 changed, 0 removed" in first.output, first.output

    document = workflow_document(
        criteria=IN_CONTRACT, actions=[channel_message("{{ name }} is in contract")]
    )
    save(sessions, document, clock.now(), team=LOCAL_TEAM)
    standin = portal[0]
    standin.put("deals", "12", T0 + 60_000, amount="7000")  # Globex now matches
    clock.set(RUN_TIME + timedelta(seconds=5))  # the data is an hour old: synced first
    [(_run_id, status)] = hubspot_engine(processes, sessions, clock).tick()

    assert status is not None
    posted = sorted(m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL))
    assert posted == ["Acme &lt;renewal&gt; is in contract", "Globex is in contract"], posted
    listed = cli(runner, "sources", "list", at=RUN_TIME + timedelta(minutes=1))
    assert "0 added, 1 changed, 0 removed" in listed.output, listed.output
    assert "cursor age " in listed.output
    budget = f"daily request budget: {DAILY_LIMIT - standin.daily_used:,} of {DAILY_LIMIT:,} left"
    assert budget in listed.output, listed.output


def test_a_revoked_token_marks_the_source_failing_and_tells_the_owner_once(
    runner: CliRunner,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    portal: tuple[HubSpotStandIn, str],
) -> None:
    assert add_portal(runner, "--max-staleness", "1m", at=START).exit_code == 0
    assert cli(runner, "sources", "sync", "portal", at=START).exit_code == 0
    save(sessions, workflow_document(criteria=IN_CONTRACT), clock.now(), team=LOCAL_TEAM)
    engine = hubspot_engine(processes, sessions, clock)
    portal[0].token = "revoked"

    for day in (0, 1, 2):  # three runs, each syncing first (its data is too old)
        clock.set(RUN_TIME + timedelta(days=day, seconds=5))
        [(_run_id, status)] = engine.tick()
        assert status is not None

    notices = [m for m in slack_api.posted_messages() if "failed to sync" in m["text"]]
    assert len(notices) == 1, notices
    assert notices[0]["channel"] != DEALS_CHANNEL  # a direct message to the owner
    assert (
        "HubSpot refused the token (401): Authentication credentials not found"
        in (notices[0]["text"])
    )
    listed = cli(runner, "sources", "list", at=RUN_TIME + timedelta(days=2, minutes=1))
    assert "failed: HubSpot refused the token (401)" in listed.output, listed.output


def test_a_missing_token_variable_or_a_wrong_token_is_one_line_and_exit_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN")
    missing = add_portal(runner)
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines() == [
        "error: the environment variable HUBSPOT_TOKEN that the source portal reads its "
        "HubSpot access token from is not set: set it (or a .env entry) to the private "
        "app's access token"
    ]
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-wrong")
    wrong = add_portal(runner)
    assert wrong.exit_code == 2
    [line] = wrong.output.strip().splitlines()
    assert line.startswith("error: HubSpot refused the token (401): Authentication")
    assert "pat-na1-wrong" not in wrong.output
    assert "No sources" in cli(runner, "sources", "list").output


def test_several_objects_make_one_source_each_and_a_custom_object_its_own_type(
    runner: CliRunner, portal: tuple[HubSpotStandIn, str]
) -> None:
    standin = portal[0]
    standin.schema_list = [
        {
            "name": "cars",
            "objectTypeId": "2-3444025",
            "primaryDisplayProperty": "model",
            "labels": {"singular": "Car", "plural": "Cars"},
        }
    ]
    standin.define(
        "2-3444025", {"name": "model", "label": "Model", "type": "string", "fieldType": "text"}
    )
    standin.put("2-3444025", "1", T0, model="Model T")
    added = cli(
        runner, "sources", "add", "hubspot", "crm", "--token-env", "HUBSPOT_TOKEN",
        "--objects", "deals,cars", "--every", "15m",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added the HubSpot source crm-deals, which feeds deals." in added.output
    assert "Added the HubSpot source crm-cars, which feeds cars." in added.output
    synced = cli(runner, "sources", "sync", "crm-cars")
    assert "1 added, 0 changed, 0 removed" in synced.output, synced.output
    assert "Model T" in cli(runner, "records", "list", "--type", "cars").output

    removed = cli(runner, "sources", "remove", "crm-deals")
    assert removed.exit_code == 0, removed.output
    listed = cli(runner, "sources", "list").output
    assert "crm-cars: feeds cars from HubSpot 2-3444025" in listed and "every 15m" in listed
    assert "crm-deals" not in listed
    unknown = cli(
        runner, "sources", "add", "hubspot", "more", "--token-env", "HUBSPOT_TOKEN",
        "--objects", "boats",
    )  # fmt: skip
    assert unknown.exit_code == 2
    assert "the HubSpot portal has no object named 'boats'" in unknown.output


def test_importing_a_file_into_a_type_hubspot_feeds_is_refused_naming_hubspot(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert add_portal(runner).exit_code == 0
    deals = tmp_path / "deals.csv"
    deals.write_text("id,name\nD-1,Acme\n")
    imported = cli(runner, "records", "import", str(deals), "--type", "deals")
    assert imported.exit_code != 0
    assert "deals is fed by the HubSpot source 'portal'" in imported.output, imported.output
    assert "change the records in HubSpot" in imported.output


def test_a_periodic_sync_lists_archived_deals_in_the_first_sync_of_each_hour_only(
    runner: CliRunner,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    portal: tuple[HubSpotStandIn, str],
) -> None:
    """The archived listing costs a request per 100 archived deals however few changed."""
    standin = portal[0]
    assert add_portal(runner, "--every", "15m", at=START).exit_code == 0
    engine = hubspot_engine(processes, sessions, clock)

    def archived_listings() -> int:
        return sum(r.query.get("archived", [""])[0].lower() == "true" for r in standin.requests)

    clock.set(START + timedelta(minutes=15))
    [first] = engine.sync_sources()
    assert first.report is not None and first.report.added == 3
    standin.archive("deals", "13")
    clock.set(START + timedelta(minutes=30))  # 08:30: the hour of the last sync
    [same_hour] = engine.sync_sources()
    assert same_hour.error is None and archived_listings() == 0
    assert "Initech" in cli(runner, "records", "list", "--type", "deals").output

    clock.set(START + timedelta(minutes=60))  # 09:00: a new hour
    [next_hour] = engine.sync_sources()

    assert next_hour.report is not None and next_hour.report.removed.count == 1
    assert archived_listings() == 1
    assert "Initech" not in cli(runner, "records", "list", "--type", "deals").output


def test_the_sync_before_a_run_always_removes_archived_deals(
    runner: CliRunner,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    portal: tuple[HubSpotStandIn, str],
) -> None:
    assert add_portal(runner, "--max-staleness", "0", at=START).exit_code == 0
    synced = cli(runner, "sources", "sync", "portal", at=RUN_TIME + timedelta(seconds=1))
    assert synced.exit_code == 0, synced.output
    save(sessions, workflow_document(criteria=IN_CONTRACT), clock.now(), team=LOCAL_TEAM)
    portal[0].put("deals", "12", T0 + 60_000, amount="7000")
    portal[0].archive("deals", "11")
    clock.set(RUN_TIME + timedelta(seconds=5))  # the hour of the last sync
    hubspot_engine(processes, sessions, clock).tick()

    posted = [m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL)]
    assert len(posted) == 1 and "Globex" in posted[0], posted  # not the archived Acme


def test_importing_a_workflow_file_says_which_actions_write_to_hubspot(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert add_portal(runner).exit_code == 0
    assert cli(runner, "sources", "sync", "portal").exit_code == 0
    file = tmp_path / "workflows.yaml"
    file.write_text(
        "name: Existing business\n"
        "object_type: deals\n"
        "owner: U0OWNER\n"
        "schedule: {frequency: daily, time: '09:00', timezone: UTC}\n"
        "criteria: {any: [{all: [{property: dealstage, operator: eq, value: contractsent}]}]}\n"
        "actions:\n"
        "  - {type: send_channel_message, channel: C0DEALS, text: '{{ name }}'}\n"
        "  - {type: set_property, property: dealtype, value: existingbusiness}\n",
        encoding="utf-8",
    )

    imported = cli(runner, "workflows", "import", str(file))

    assert imported.exit_code == 0, imported.output
    assert (
        "Existing business: Writes to HubSpot: action 2 (Set a property: dealtype) changes "
        "HubSpot (the source 'portal') each time the workflow runs.\n" in imported.output
    )
