"""``workflow-bot sources``: SQL tables feeding object types, through the real command line,
with the bot's database and the source's each SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.cli import main
from storage.models import PropertyDefinition, Record, RecordSource
from tests.source_databases import (
    QUERY,
    SOURCE_KINDS,
    SourceDatabase,
    crm_deal,
    rows_of,
    source_database,
)


@pytest.fixture(params=SOURCE_KINDS)
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDatabase]:
    with source_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def runner(
    database_url: str, source: SourceDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CRM_URL", source.url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


def cli(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(main, list(args), input=input)


def add_crm(runner: CliRunner, *options: str, query: str = QUERY, name: str = "crm") -> Result:
    result = cli(
        runner,
        "sources", "add", "sql", name, "--type", "deals", "--url-env", "CRM_URL",
        "--query", query, "--id-column", "deal_id", *options,
    )  # fmt: skip
    return result


def sync(runner: CliRunner, name: str = "crm") -> Result:
    return cli(runner, "sources", "sync", name)


def live_records(engine: Engine) -> dict[str, Record]:
    with Session(engine) as session:
        query = select(Record).where(Record.deleted_at.is_(None))
        return {record.external_id: record for record in session.scalars(query)}


def count_all(runner: CliRunner) -> str:
    return cli(runner, "records", "count", "--type", "deals", "--criteria", "{}").output.strip()


def test_a_sync_makes_the_types_records_the_querys_rows(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(crm_deal("D-1", "Acme renewal", amount=12000), *rows_of("D-2", "D-3"))
    added = add_crm(runner)
    assert added.exit_code == 0, added.output
    assert "Added the source crm, which feeds deals." in added.output

    result = sync(runner)

    assert result.exit_code == 0, result.output
    assert "Synced crm: 3 rows" in result.output
    assert "3 added, 0 changed, 0 removed, 0 unchanged" in result.output
    records = live_records(engine)
    assert sorted(records) == ["D-1", "D-2", "D-3"]
    assert records["D-1"].name == "Acme renewal"
    assert records["D-1"].properties["amount"] == 12000
    assert records["D-1"].properties["close_date"] == "2026-11-20"
    listed = cli(runner, "records", "list", "--type", "deals")
    assert "Acme renewal" in listed.output and "3 of 3 matching deals shown" in listed.output


def test_a_sync_upserts_changes_removes_missing_rows_and_brings_back_returning_ones(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(*rows_of("D-1", "D-2", "D-3"))
    add_crm(runner)
    sync(runner)
    first_id = live_records(engine)["D-3"].id
    source.change("D-2", stage="won")
    source.drop("D-3")

    changed = sync(runner)

    assert "0 added, 1 changed, 1 removed, 1 unchanged" in changed.output, changed.output
    assert "removed: D-3 (Deal D-3)" in changed.output
    assert live_records(engine)["D-2"].properties["stage"] == "won"
    assert count_all(runner) == "2"
    source.add(crm_deal("D-3"))

    back = sync(runner)

    assert "1 added, 0 changed, 0 removed, 2 unchanged" in back.output, back.output
    assert live_records(engine)["D-3"].id == first_id  # the same record, brought back
    assert count_all(runner) == "3"


def test_an_empty_snapshot_removes_nothing_and_says_why(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    """A table emptied for a reload is a fault far more often than a CRM without deals."""
    source.add(*rows_of("D-1", "D-2"))
    add_crm(runner)
    sync(runner)
    source.drop("D-1")
    source.drop("D-2")

    result = cli(runner, "sources", "sync", "crm")

    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: the query returned no rows, which would remove all 2 records it feeds: "
        "nothing was removed; check the query and its table, or, if the source crm is empty "
        "on purpose, remove it (sources remove) and then its records (records delete)"
    )
    assert sorted(live_records(engine)) == ["D-1", "D-2"]


def test_column_types_come_from_the_driver_or_else_from_the_values(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(crm_deal("D-1", hot=True), crm_deal("D-2"))
    add_crm(runner)

    result = sync(runner)

    # SQLite reports no column types, and keeps booleans as 0 and 1: numbers to the bot.
    hot = "boolean" if source.kind == "postgresql" else "number"
    assert (
        f"new properties: stage (string), amount (number), close_date (date), hot ({hot})"
        in result.output
    )
    with Session(engine) as session:
        rows = session.execute(select(PropertyDefinition.name, PropertyDefinition.type))
        types = {name: type_ for name, type_ in rows}
    assert types == {"stage": "string", "amount": "number", "close_date": "date", "hot": hot}
    assert live_records(engine)["D-1"].properties["hot"] == (True if hot == "boolean" else 1)


def test_sources_list_shows_the_last_sync_its_counts_and_the_last_error(
    runner: CliRunner, source: SourceDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    source.add(*rows_of("D-1", "D-2"))
    add_crm(runner, "--every", "15m")
    assert "crm: feeds deals from $CRM_URL" in cli(runner, "sources", "list").output
    assert "never synced" in cli(runner, "sources", "list").output
    sync(runner)

    listed = cli(runner, "sources", "list")

    assert "every 15m, max staleness 5m" in listed.output
    assert "s): 2 added, 0 changed, 0 removed" in listed.output
    monkeypatch.delenv("CRM_URL")
    sync(runner)

    failed = cli(runner, "sources", "list").output
    assert "failed: the environment variable CRM_URL is not set" in failed
    assert "last success" in failed and ": 2 added, 0 changed, 0 removed" in failed


def test_the_database_url_is_never_stored_nor_shown(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(*rows_of("D-1"))
    add_crm(runner)
    sync(runner)
    with Session(engine) as session:
        stored = session.scalars(select(RecordSource)).one()
        columns = [str(getattr(stored, c.key)) for c in RecordSource.__table__.columns]
    assert not any(source.url in value for value in columns)
    assert stored.url_env == "CRM_URL"
    assert source.url not in cli(runner, "sources", "list").output


BROKEN = [
    pytest.param("unset", "the environment variable CRM_URL is not set", id="variable-not-set"),
    pytest.param("unreachable", "cannot connect to the database of source crm", id="unreachable"),
    pytest.param("query", "the query of source crm failed", id="query-error"),
    pytest.param("id-column", "returns no column 'ref' (its columns:", id="missing-id-column"),
    pytest.param("duplicate", "returns the id 'D-2' more than once", id="duplicate-ids"),
    pytest.param("null-id", "has no id", id="null-id"),
]


@pytest.mark.parametrize(("broken", "message"), BROKEN)
def test_a_sync_that_cannot_be_done_says_what_to_fix_and_changes_no_record(
    runner: CliRunner,
    source: SourceDatabase,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    broken: str,
    message: str,
) -> None:
    source.add(*rows_of("D-1", "D-2", "D-3"))
    query, id_column = QUERY, "deal_id"
    if broken == "query":
        query = "SELECT deal_id, no_such_column FROM crm_deals"
    elif broken == "id-column":
        id_column = "ref"
    cli(
        runner,
        "sources", "add", "sql", "crm", "--type", "deals", "--url-env", "CRM_URL",
        "--query", query, "--id-column", id_column,
    )  # fmt: skip
    before = {"D-1": "contract", "D-2": "contract", "D-3": "contract"} if broken in (
        "unset", "unreachable", "duplicate", "null-id"
    ) else {}  # fmt: skip
    if before:
        assert sync(runner).exit_code == 0
    # Changes a sync would write, had it not failed: nothing of them may be written.
    source.change("D-1", stage="won")
    source.drop("D-3")
    if broken == "unset":
        monkeypatch.delenv("CRM_URL")
    elif broken == "unreachable":
        monkeypatch.setenv("CRM_URL", "postgresql+psycopg://bot:s3cr3t-pw@127.0.0.1:1/crm")
    elif broken == "duplicate":
        source.add(crm_deal("D-2", stage="lost"))
    elif broken == "null-id":
        source.add(crm_deal(None))  # type: ignore[arg-type]

    result = sync(runner)

    assert result.exit_code == 2, result.output
    assert message in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output and "s3cr3t-pw" not in result.output
    assert {e: r.properties["stage"] for e, r in live_records(engine).items()} == before
    assert message in cli(runner, "sources", "list").output


def test_a_file_import_into_a_type_fed_by_a_source_is_refused_with_the_reason(
    runner: CliRunner, source: SourceDatabase, tmp_path: Path
) -> None:
    add_crm(runner)
    Path("deals.csv").write_text("id,name\nD-9,Manual\n", encoding="utf-8")

    result = cli(runner, "records", "import", "deals.csv", "--type", "deals")

    assert result.exit_code == 2
    assert "deals is fed by the source 'crm'" in result.output
    assert "sources remove crm" in result.output
    removed = cli(runner, "sources", "remove", "crm")
    assert "Removed the source crm; the records of deals stay as they are." in removed.output
    again = cli(runner, "records", "import", "deals.csv", "--type", "deals")
    assert again.exit_code == 0, again.output


def test_removing_a_source_keeps_its_records(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(*rows_of("D-1", "D-2"))
    add_crm(runner)
    sync(runner)

    cli(runner, "sources", "remove", "crm")

    assert sorted(live_records(engine)) == ["D-1", "D-2"]
    assert "No sources." in cli(runner, "sources", "list").output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--every", "soon"), "--every 'soon' is not a duration"),
        (("--every", "30s"), "--every is shorter than a minute"),
        (("--max-staleness", "5 minutes"), "--max-staleness '5 minutes' is not a duration"),
        (("--type", "invoices"), "there is no object type 'invoices'"),
    ],
)
def test_adding_a_source_with_bad_options_says_what_to_fix(
    runner: CliRunner, options: tuple[str, ...], message: str
) -> None:
    result = add_crm(runner, *options)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_url_given_instead_of_a_variable_name_is_refused_without_being_stored(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    result = cli(
        runner,
        "sources", "add", "sql", "crm", "--type", "deals", "--url-env", source.url,
        "--query", QUERY, "--id-column", "deal_id",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "is not an environment variable name" in result.output
    with Session(engine) as session:
        assert session.scalars(select(RecordSource)).all() == []


def test_one_source_feeds_one_type(runner: CliRunner) -> None:
    add_crm(runner)

    second = add_crm(runner, name="other")

    assert second.exit_code == 2
    assert "deals is already fed by the source 'crm'" in second.output
    assert "there is already a source named 'crm'" in add_crm(runner).output


def test_an_id_repeated_in_a_first_sync_is_named_and_nothing_is_written(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    # More rows than one batch, so that the second D-7 comes in another batch.
    source.add(*rows_of(*(f"D-{n}" for n in range(2_500))), crm_deal("D-7", stage="won"))
    add_crm(runner)

    result = sync(runner)

    assert result.exit_code == 2, result.output
    assert "returns the id 'D-7' more than once" in result.output
    assert live_records(engine) == {}


def test_a_value_that_does_not_fit_its_property_is_named_with_its_row_and_id(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    Path("deals.csv").write_text("id,amount\nD-1,5\n", encoding="utf-8")
    cli(runner, "records", "import", "deals.csv", "--type", "deals")  # amount: a number
    source.add(*rows_of("D-1", "D-2"))
    query = (
        "SELECT deal_id, CASE WHEN deal_id = 'D-2' THEN 'lots' ELSE '7' END AS amount "
        "FROM crm_deals ORDER BY deal_id"
    )
    add_crm(runner, query=query)

    result = sync(runner)

    assert result.exit_code == 2, result.output
    assert (
        "error: row 2 (id 'D-2') of source crm: amount 'lots' is not a number (amount is a "
        "number property): fix it at the source or convert it in the query"
    ) in result.output
    assert live_records(engine)["D-1"].properties == {"amount": 5}


def test_records_of_a_type_fed_by_a_source_are_not_removed_by_hand(
    runner: CliRunner, source: SourceDatabase
) -> None:
    source.add(*rows_of("D-1"))
    add_crm(runner)
    sync(runner)

    result = cli(runner, "records", "delete", "--type", "deals", "D-1", "--yes")

    assert result.exit_code == 2
    assert "deals is fed by the source 'crm'" in result.output
    assert count_all(runner) == "1"


@pytest.mark.parametrize("rows", [3, 2_500], ids=["same-batch", "later-batch"])
def test_a_row_repeated_unchanged_in_a_resync_is_still_a_repeated_id(
    runner: CliRunner, source: SourceDatabase, engine: Engine, rows: int
) -> None:
    source.add(*rows_of(*(f"D-{n}" for n in range(rows))))
    add_crm(runner)
    sync(runner)
    source.change("D-0", stage="won")
    source.add(crm_deal("D-1"))  # the same row again: the same digest

    result = sync(runner)

    assert result.exit_code == 2, result.output
    assert "returns the id 'D-1' more than once" in result.output
    assert live_records(engine)["D-0"].properties["stage"] == "contract"


def test_a_resync_of_unchanged_rows_changes_nothing_whatever_the_column_types(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    # A json column: PostgreSQL cannot hash its values as they are (no hash function).
    source.add(*rows_of("D-1", "D-2"))
    extra = "CAST('{\"a\": 1}' AS json)" if source.kind == "postgresql" else "'{\"a\": 1}'"
    query = f"SELECT deal_id, stage, {extra} AS extra FROM crm_deals"
    add_crm(runner, query=query)
    sync(runner)
    before = {e: r.updated_at for e, r in live_records(engine).items()}

    again = sync(runner)

    assert "0 added, 0 changed, 0 removed, 2 unchanged" in again.output, again.output
    assert {e: r.updated_at for e, r in live_records(engine).items()} == before
    assert live_records(engine)["D-1"].properties["extra"] == '{"a": 1}'


MARK_HOT = """\
name: Mark hot
object_type: deals
status: active
owner: U0123ABCD
schedule: {frequency: weekly, weekdays: [thu], time: "07:00", timezone: UTC}
criteria: {}
actions:
  - {type: send_channel_message, channel: C0123ABCD, text: "{{ name }} is hot"}
  - {type: set_property, property: stage, value: reviewed}
"""


def test_a_sql_source_is_not_added_under_active_workflows_that_set_a_property(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    Path("hot.yml").write_text(MARK_HOT, encoding="utf-8")
    assert cli(runner, "workflows", "import", "hot.yml").exit_code == 0

    refused = add_crm(runner)

    assert refused.exit_code == 2
    assert (
        "deals has active workflows that set a property: 'Mark hot' (action 2, Set a property: "
        "stage); its records would come from the source 'crm', a database query, whose next "
        "sync would set each change back to what the database holds. Pause those workflows "
        "(workflows pause NAME) or remove their Set a property action, then add the source"
    ) in " ".join(refused.output.split())
    with Session(engine) as session:
        assert session.scalars(select(RecordSource)).all() == []  # nothing half-written
    assert cli(runner, "workflows", "pause", "Mark hot").exit_code == 0
    added = add_crm(runner)
    assert added.exit_code == 0, added.output


def test_a_workflow_file_setting_a_property_a_sql_source_feeds_is_refused_even_unchanged(
    runner: CliRunner, source: SourceDatabase
) -> None:
    Path("hot.yml").write_text(MARK_HOT, encoding="utf-8")
    assert cli(runner, "workflows", "import", "hot.yml").exit_code == 0
    assert cli(runner, "workflows", "pause", "Mark hot").exit_code == 0
    Path("stored.yml").write_text(cli(runner, "workflows", "export").output, encoding="utf-8")
    assert add_crm(runner).exit_code == 0

    result = cli(runner, "workflows", "import", "stored.yml")

    assert result.exit_code != 0
    assert "UNCHANGED" not in result.output.upper()
    assert (
        "action 2 (Set a property: stage) cannot be saved: deals come from the source 'crm', a "
        "database query, whose next sync would set the property back to what the database "
        "holds." in " ".join(result.output.split())
    )


def test_a_run_refuses_each_set_property_its_types_sql_source_would_undo(
    runner: CliRunner, source: SourceDatabase, engine: Engine
) -> None:
    source.add(crm_deal("D-1", "Acme renewal"), crm_deal("D-2", "Globex"))
    Path("hot.yml").write_text(MARK_HOT, encoding="utf-8")
    assert cli(runner, "workflows", "import", "hot.yml").exit_code == 0
    assert cli(runner, "workflows", "pause", "Mark hot").exit_code == 0
    assert add_crm(runner).exit_code == 0
    assert sync(runner).exit_code == 0
    activated = cli(runner, "workflows", "activate", "Mark hot")
    assert activated.exit_code != 0
    assert (
        "action 2 (Set a property: stage) cannot be activated: deals come from the source "
        "'crm', a database query" in " ".join(activated.output.split())
    )
    # A paused workflow still runs by hand: the run is where the change stops.

    result = cli(runner, "workflows", "run", "Mark hot")

    output = " ".join(result.output.split())
    assert "actions 2 ok, 2 failed" in output, result.output
    reason = (
        "nothing was changed: the record comes from the source 'crm', a database query, "
        "whose next sync would set stage back to what the database holds. Change the value in "
        "that database instead, or remove the Set a property action from the workflow"
    )
    assert f"Acme renewal, action 2: {reason}" in output
    assert f"Globex, action 2: {reason}" in output
    assert {r.properties.get("stage") for r in live_records(engine).values()} == {"contract"}
