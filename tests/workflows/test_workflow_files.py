from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.workflows.definitions import to_document
from bot.workflows.problems import file_text
from bot.workflows.vocabulary import PropertyType
from bot.workflows.workflow_files import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    InvalidWorkflowFile,
    document_label,
    dump_workflows,
    load_workflows,
    parse_workflow_documents,
    read_workflow_file,
)
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
    with pytest.raises(InvalidWorkflowFile) as caught:
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


def _alias_bomb(where: str) -> str:
    """About a kilobyte: nine levels of nine aliases each, 387 million values written out."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, level in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]")
    anchors = "\n".join(f"  {line}" for line in levels)
    document = MINIMAL.format(name="Bomb").replace("criteria: {}\n", "")
    return f"x-anchors:\n{anchors}\n{document}{where}\n"


@pytest.mark.parametrize(
    "where", ["criteria: {any: *i}", "criteria: {}\nsettings: {pause_days: *i}"]
)
def test_an_alias_bomb_is_refused_quickly_before_it_is_expanded(where: str) -> None:
    text = _alias_bomb(where)
    assert len(text) < 1_500
    started = time.perf_counter()
    with pytest.raises(InvalidWorkflowFile) as caught:
        parse_workflow_documents(load_workflows(text), PROPERTY_TYPES, "UTC", NOW)
    assert time.perf_counter() - started < 5  # unbounded, this took a minute and 690 MB
    assert caught.value.problems == [
        f"line 6, column 10: with the alias *d, aliases repeat more than {MAX_ALIAS_NODES:,} "
        "values: write the values out, or use fewer aliases"
    ]


def test_aliases_that_share_a_few_settings_are_still_read() -> None:
    text = (
        "- &first {name: One, settings: &shared {summary: never, holidays: US}}\n"
        "- {<<: *first, name: Two}\n"
        "- {name: Three, settings: *shared}\n"
    )
    documents = load_workflows(text)
    assert [d["settings"] for d in documents] == [{"summary": "never", "holidays": "US"}] * 3
    assert documents[1]["name"] == "Two"


def test_an_alias_inside_the_value_it_names_is_refused() -> None:
    assert file_problems("name: One\nloop: &loop [a, *loop]\n") == [
        "line 2, column 17: the alias *loop names the value it is part of: a value cannot "
        "contain itself"
    ]


def test_fifty_thousand_levels_of_nesting_are_refused_without_a_recursion_error() -> None:
    problems = file_problems("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert problems == [
        f"line 1, column 38: the document is nested more than {MAX_DEPTH} levels deep: a "
        "workflow needs fewer than 10; check the brackets and indentation"
    ]


def test_nesting_is_allowed_up_to_the_limit_and_no_further() -> None:
    # The mapping, then one level per bracket: MAX_DEPTH levels in all are allowed.
    brackets = MAX_DEPTH - 1
    assert load_workflows("x: " + "[" * brackets + "]" * brackets)
    deeper = brackets + 1
    assert "nested more than" in file_problems("x: " + "[" * deeper + "]" * deeper)[0]


def test_an_alias_that_would_nest_too_deeply_is_refused() -> None:
    deep = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert "nested more than" in file_problems(f"a: &deep {deep}\nb: [[*deep]]\n")[0]


def test_a_file_larger_than_the_limit_is_refused_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "# padding\n" * (MAX_FILE_BYTES // 10) + MINIMAL.format(name="One"))
    with pytest.raises(InvalidWorkflowFile) as caught:
        read_workflow_file(path)
    assert caught.value.problems == [
        f"the file is larger than {MAX_FILE_BYTES:,} bytes: a workflow file holds workflows, "
        "not data; split it into several files"
    ]


@pytest.mark.parametrize(
    ("escape", "what"),
    [("\\0", "a NUL character (U+0000)"), ("\\ud800", "an unpaired surrogate (U+D800)")],
)
def test_text_that_cannot_be_stored_is_refused_with_its_line(escape: str, what: str) -> None:
    text = MINIMAL.format(name="One") + f'settings: {{summary_channel: "C1{escape}"}}\n'
    assert file_problems(text) == [
        f"line 7, column 29: the text holds {what}, which cannot be stored: remove it"
    ]


def test_a_control_character_is_reported_on_one_line() -> None:
    assert file_problems("name: One\nowner: U1\x01\n") == [
        "line 2, column 10: U+0001 is a control character YAML does not allow: remove it"
    ]


def test_an_empty_file_holds_no_workflow() -> None:
    assert file_problems("# nothing here\n") == [
        "the file holds no workflow: write one mapping or a list"
    ]


def test_items_that_are_not_mappings_are_each_reported() -> None:
    text = "- name: One\n- just text\n- [a, list]\n- ~\n"
    assert file_problems(text) == [
        "workflow 2: 'just text' is not a workflow: write a mapping with name, object_type, "
        "schedule, criteria and actions",
        "workflow 3: a list is not a workflow: write a mapping with name, object_type, "
        "schedule, criteria and actions",
        "workflow 4: null is not a workflow: write a mapping with name, object_type, "
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
        "workflow 2 (Weekly deal review): action 2, text: unknown placeholder "
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


def test_two_workflows_whose_names_differ_only_in_case_are_refused() -> None:
    one, two = MINIMAL.format(name="Straße"), MINIMAL.format(name="STRASSE")
    text = "- " + one.replace("\n", "\n  ").rstrip() + "\n- " + two.replace("\n", "\n  ")
    assert parse_problems(text) == [
        "workflow 2 (STRASSE): name: workflow 1 has the same name in another case"
    ]


def test_warnings_are_told_led_by_their_documents_label_too() -> None:
    text = MINIMAL.format(name="Leap") + "settings: {pause_days: ['02-29']}\n"
    [document] = load_workflows(text)
    [parsed] = parse_workflow_documents([document], PROPERTY_TYPES, "UTC", NOW)
    told = [f"{document_label(1, document)}: {file_text(w)}" for w in parsed.warnings]
    assert told == [
        "workflow 1 (Leap): settings.pause_days: 02-29 exists only in leap years: in other "
        "years no day is paused for it"
    ]


def test_a_valid_file_gives_every_definition_in_order() -> None:
    text = "- " + MINIMAL.format(name="One").replace("\n", "\n  ").rstrip() + "\n"
    text += "- " + MINIMAL.format(name="Two").replace("\n", "\n  ")
    parsed = parse_workflow_documents(load_workflows(text), PROPERTY_TYPES, "UTC", NOW)
    assert [p.definition.name for p in parsed] == ["One", "Two"]
    assert parsed[0].definition.schedule.timezone == "UTC"
