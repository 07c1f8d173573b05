from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.workflows.definitions import InvalidDefinition, to_document
from bot.workflows.workflow_files import (
    InvalidWorkflowFile,
    dump_workflows,
    load_workflows,
    parse_workflow_documents,
    read_workflow_file,
)
from storage.properties import PropertyType
from tests.workflow_example import EXAMPLE

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PROPERTY_TYPES = {
    "deals": {"stage": PropertyType.ENUMERATION, "amount": PropertyType.NUMBER},
    "contacts": {"email": PropertyType.STRING},
    "tasks": {},
}
MINIMAL = """\
name: {name}
object_type: contacts
owner: U0123ABCD
schedule: {{frequency: daily, time: "09:00"}}
criteria: {{}}
actions: [{{type: send_owner_dm, text: "Hello {{{{ name }}}}"}}]
"""


def write(tmp_path: Path, text: str, name: str = "workflows.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def file_problems(text: str) -> list[str]:
    with pytest.raises(InvalidWorkflowFile) as caught:
        load_workflows(text)
    return caught.value.problems


def parse_problems(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_workflow_documents(load_workflows(text), PROPERTY_TYPES, "UTC", NOW)
    return caught.value.problems


# --- Reading ------------------------------------------------------------------------------


def test_a_file_with_one_mapping_holds_one_workflow(tmp_path: Path) -> None:
    documents = read_workflow_file(write(tmp_path, EXAMPLE))
    assert len(documents) == 1
    assert documents[0]["name"] == "Weekly deal review"
    assert documents[0]["settings"]["pause_days"] == ["12-25", "2026-11-26"]


def test_a_file_with_a_list_holds_several_workflows(tmp_path: Path) -> None:
    text = "- " + MINIMAL.format(name="One").replace("\n", "\n  ").rstrip() + "\n"
    text += "- " + MINIMAL.format(name="Two").replace("\n", "\n  ").rstrip() + "\n"
    documents = read_workflow_file(write(tmp_path, text))
    assert [document["name"] for document in documents] == ["One", "Two"]


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeff".encode() + MINIMAL.format(name="One").encode())
    assert read_workflow_file(path)[0]["name"] == "One"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Café\nowner: Zoë\n".encode("latin-1"))
    with pytest.raises(InvalidWorkflowFile) as caught:
        read_workflow_file(path)
    assert caught.value.problems == ["line 1: the file is not UTF-8 text: save it as UTF-8"]


def test_a_yaml_syntax_error_is_located_by_line_and_column() -> None:
    text = "name: Broken\nactions:\n  - {type: send_owner_dm, text: 'unclosed}\n"
    [problem] = file_problems(text)
    assert problem.startswith("line 4, column 1: found unexpected end of stream")


def test_a_bad_indentation_is_located_by_line() -> None:
    text = "name: x\nschedule:\n  frequency: daily\n time: '09:00'\n"
    [problem] = file_problems(text)
    assert problem.startswith("line 4, column 2: ")


def test_a_key_written_twice_is_refused_with_its_line() -> None:
    text = "name: x\nowner: U0123ABCD\nname: y\n"
    assert file_problems(text) == [
        "line 3, column 1: the key 'name' appears twice (while reading a mapping)"
    ]


def test_yaml_merge_keys_still_work() -> None:
    text = "- &base {object_type: deals, owner: U0123ABCD}\n- {<<: *base, name: Two}\n"
    assert load_workflows(text)[1] == {"object_type": "deals", "owner": "U0123ABCD", "name": "Two"}


def test_an_empty_file_holds_no_workflow() -> None:
    assert file_problems("# nothing here\n") == [
        "the file holds no workflow: write one mapping or a list"
    ]


def test_items_that_are_not_mappings_are_each_reported() -> None:
    text = "- name: One\n- just text\n- [a, list]\n"
    assert file_problems(text) == [
        "workflow 2: 'just text' is not a workflow: write a mapping with name, object_type, "
        "schedule, criteria and actions",
        "workflow 3: a list is not a workflow: write a mapping with name, object_type, "
        "schedule, criteria and actions",
    ]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("10:30", "10:30"),  # YAML 1.1: the number 630
        ("NO", "NO"),  # YAML 1.1: false (Norway's country code)
        ("yes", "yes"),
        ("off", "off"),
        ("2026-11-26", "2026-11-26"),  # YAML 1.1: a date object
        ("02134", "02134"),  # YAML 1.1: the octal number 1116
        ("-0755", "-0755"),
        ("1:20.5", "1:20.5"),
        ("true", True),
        ("False", False),
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        ("0x1F", 31),
        ("2.5", 2.5),
        ("0.5", 0.5),
        ("~", None),
    ],
)
def test_plain_values_read_as_json_would_have_them(written: str, read: object) -> None:
    assert load_workflows(f"value: {written}\n") == [{"value": read}]


# --- Writing and round trips --------------------------------------------------------------


def test_the_example_round_trips_exactly(tmp_path: Path) -> None:
    documents = read_workflow_file(write(tmp_path, EXAMPLE))
    [parsed] = parse_workflow_documents(documents, PROPERTY_TYPES, "UTC", NOW)
    exported = dump_workflows([to_document(parsed.definition)])
    reimported = read_workflow_file(write(tmp_path, exported, "exported.yaml"))
    assert reimported == documents
    assert parse_workflow_documents(reimported, PROPERTY_TYPES, "UTC", NOW) == [parsed]
    assert dump_workflows(reimported) == exported


def test_the_export_is_block_yaml_in_canonical_key_order(tmp_path: Path) -> None:
    [parsed] = parse_workflow_documents(load_workflows(EXAMPLE), PROPERTY_TYPES, "UTC", NOW)
    exported = dump_workflows([to_document(parsed.definition)])
    top_level = [line.split(":")[0] for line in exported.splitlines() if line[:1].isalpha()]
    assert top_level == [
        "name",
        "object_type",
        "status",
        "owner",
        "schedule",
        "criteria",
        "suppression",
        "actions",
        "settings",
    ]
    assert "text: '{{ name }} ({{ owner }}) is still in contract'" in exported
    assert "'2026-11-26'" in exported  # quoted: other YAML readers would make it a date


def test_several_workflows_are_written_as_a_list() -> None:
    documents = [{"name": "One"}, {"name": "Two"}]
    assert dump_workflows(documents) == "- name: One\n- name: Two\n"
    assert load_workflows(dump_workflows(documents)) == documents


def test_unicode_is_written_as_is() -> None:
    assert dump_workflows([{"name": "Überprüfung ✅"}]) == "name: Überprüfung ✅\n"


@pytest.mark.parametrize(
    "text",
    [
        "line one\nline two",
        "ends with a newline\n",
        "two newlines\n\n",
        " leading space\nsecond",
        "trailing space \nsecond",
        "\nstarts with a newline",
        "tab\tand\nnewline",
        "crlf\r\nline",
        "next line\x85separator",
        "line\u2028separator",
        "'quotes' and \"quotes\"",
        "# not a comment",
        "10:30",
        "",
    ],
)
def test_any_text_survives_writing_and_reading(text: str) -> None:
    assert load_workflows(dump_workflows([{"text": text}])) == [{"text": text}]


def test_multi_line_text_is_written_as_a_literal_block() -> None:
    assert dump_workflows([{"text": "Hello\nWorld"}]) == "text: |-\n  Hello\n  World\n"


# --- Validating a file --------------------------------------------------------------------


def test_problems_are_prefixed_with_the_workflow_number_and_name() -> None:
    text = "- " + MINIMAL.format(name="Fine").replace("\n", "\n  ").rstrip() + "\n"
    broken = EXAMPLE.replace('"Please update {{ name }}"', '"{{ propertes.amount }}"')
    text += "- " + broken.replace("\n", "\n  ").rstrip() + "\n"
    assert parse_problems(text) == [
        "workflow 2 (Weekly deal review): actions[1].text: unknown placeholder "
        "{{ propertes.amount }}; did you mean properties.amount?"
    ]


def test_every_problem_of_every_workflow_is_listed() -> None:
    one = MINIMAL.format(name="One").replace("U0123ABCD", "bob")
    two = MINIMAL.format(name="'  '").replace("contacts", "contact")
    text = "- " + one.replace("\n", "\n  ").rstrip() + "\n- " + two.replace("\n", "\n  ")
    found = parse_problems(text)
    assert [problem.split(": ")[:2] for problem in found] == [
        ["workflow 1 (One)", "owner"],
        ["workflow 2", "name"],
        ["workflow 2", "object_type"],
    ]


def test_two_workflows_with_one_name_are_refused() -> None:
    one = MINIMAL.format(name="Same")
    text = "- " + one.replace("\n", "\n  ").rstrip() + "\n- " + one.replace("\n", "\n  ")
    assert parse_problems(text) == ["workflow 2 (Same): name: workflow 1 has the same name"]


def test_warnings_are_prefixed_too() -> None:
    text = MINIMAL.format(name="Leap") + "settings: {pause_days: ['02-29']}\n"
    [parsed] = parse_workflow_documents(load_workflows(text), PROPERTY_TYPES, "UTC", NOW)
    assert parsed.warnings == (
        "workflow 1 (Leap): settings.pause_days: 02-29 exists only in leap years: in other "
        "years no day is paused for it",
    )


def test_a_valid_file_gives_every_definition_in_order() -> None:
    text = "- " + MINIMAL.format(name="One").replace("\n", "\n  ").rstrip() + "\n"
    text += "- " + MINIMAL.format(name="Two").replace("\n", "\n  ")
    parsed = parse_workflow_documents(load_workflows(text), PROPERTY_TYPES, "UTC", NOW)
    assert [p.definition.name for p in parsed] == ["One", "Two"]
    assert parsed[0].definition.schedule.timezone == "UTC"
