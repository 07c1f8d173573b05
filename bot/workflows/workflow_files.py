"""Workflow files: YAML holding one workflow document or a list of them, read with every problem
located by line, validated together, and written back in canonical form.

A file is bounded before it is built: at most MAX_FILE_BYTES, nested at most MAX_DEPTH deep, and
with aliases expanding to at most MAX_ALIAS_NODES values, so neither a billion-laughs file nor a
deeply nested one can exhaust memory, time or the stack.

Importing is the inverse of exporting: a file exported from any database imports again, also
a workflow whose schedule has run its course (a ``once`` workflow that ran: it imports as
finished, with no next run), and a workflow the file leaves unchanged keeps its revision.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from bot.workflows.definitions import (
    InvalidDefinition,
    ParsedDefinition,
    parse_definition,
    to_document,
)
from bot.workflows.hubspot_writes import write_back_rules
from bot.workflows.lifecycle import (
    Actor,
    WorkflowError,
    get_workflow,
    parse_for_team,
    save_workflow,
)
from bot.workflows.overview import coming_run
from bot.workflows.problems import counted_text
from bot.workflows.readable import shown_value
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import PropertyType
from storage.models import Workflow
from storage.object_types import ObjectTypeRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_STR_TAG = "tag:yaml.org,2002:str"
# A workflow file is a few kilobytes per workflow; a megabyte holds hundreds of them.
MAX_FILE_BYTES = 1_000_000
# A file of workflow documents is at most 9 levels deep (list, workflow, criteria, groups,
# group, filters, filter, a list of values, a value); far deeper is a mistake or an attack
# on the stack.
MAX_DEPTH = 32
# What aliases (*name, and merge keys such as <<: *defaults) may add to a file, counted in
# values as if each alias were written out: sharing settings among a hundred workflows takes
# a few thousand; a kilobyte of aliases of aliases can otherwise make billions.
MAX_ALIAS_NODES = 10_000
# NUL, which neither database stores, and UTF-16 surrogates without their pair, which are
# not text (YAML's "\0" and "\ud800" escapes make them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class InvalidWorkflowFile(ValueError):
    """A file that holds no workflow documents; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without the YAML 1.1 surprises of hand-written files.

    ``time: 10:30`` would be the number 630 (base 60), ``holidays: NO`` the boolean false,
    ``value: 02134`` the octal number 1116 and unquoted dates ``date`` objects; here they
    stay text, as the documents expect (and as in JSON). Only true/false are booleans.
    A key written twice is an error rather than the last one silently winning.

    The file is bounded while it is composed into nodes, before any Python value is built:
    each node's size and height with its aliases written out are known once it is composed,
    so an alias is refused as soon as the values aliases add pass MAX_ALIAS_NODES, or its
    value would nest deeper than MAX_DEPTH, or it names the value that holds it (a cycle).
    Nesting deeper than MAX_DEPTH is refused at the level that exceeds it, before the
    recursive composer can exhaust the stack.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._alias_nodes = 0
        # By id() of each composed node (all alive until loading ends): its size and height
        # with aliases written out.
        self._sizes: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # The pure-Python parser's event, whose marks are yaml.error.Mark (the stubs leave it
        # untyped, and type marks as either parser's).
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            return self._alias(super().compose_node(parent, index), event)
        if self._depth >= MAX_DEPTH:
            raise _too_deep(event)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        assert node is not None
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        sizes = [self._sizes[id(child)] for child in children]
        self._sizes[id(node)] = (
            1 + sum(size for size, _ in sizes),
            1 + max((height for _, height in sizes), default=0),
        )
        return node

    def _alias(self, node: yaml.Node | None, event: Any) -> yaml.Node | None:
        size_and_height = self._sizes.get(id(node))
        if size_and_height is None:  # still being composed: the alias is inside its value
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the alias *{event.anchor} names the value it is part of: "
                "a value cannot contain itself",
                event.start_mark,
            )
        size, height = size_and_height
        if self._depth + height > MAX_DEPTH:
            raise _too_deep(event)
        self._alias_nodes += size
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"with the alias *{event.anchor}, aliases repeat more than "
                f"{MAX_ALIAS_NODES:,} values: write the values out, or use fewer aliases",
                event.start_mark,
            )
        return node

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        text = str(self.construct_scalar(node))
        if (found := _UNSTORABLE.search(text)) is not None:
            character = found.group()
            what = "a NUL character" if character == "\x00" else "an unpaired surrogate"
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the text holds {what} (U+{ord(character):04X}), which cannot be stored: "
                "remove it",
                node.start_mark,
            )
        return text

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"the key {key!r} appears twice",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


def _too_deep(event: Any) -> yaml.composer.ComposerError:
    return yaml.composer.ComposerError(
        None,
        None,
        f"the document is nested more than {MAX_DEPTH} levels deep: "
        "a workflow needs fewer than 10; check the brackets and indentation",
        event.start_mark,
    )


def _number_or_text(loader: _Loader, node: yaml.ScalarNode) -> object:
    text = str(node.value)
    digits = text.lstrip("+-").replace("_", "")
    if ":" in text or (len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()):
        return text
    if node.tag == _INT_TAG:
        return loader.construct_yaml_int(node)
    return loader.construct_yaml_float(node)


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, _YAML12_BOOL if tag == _BOOL_TAG else pattern)
        for tag, pattern in resolvers
        if tag != _TIMESTAMP_TAG
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(_INT_TAG, _number_or_text)
_Loader.add_constructor(_FLOAT_TAG, _number_or_text)
_Loader.add_constructor(_STR_TAG, _Loader.construct_yaml_str)

_TOO_LARGE = (
    f"the file is larger than {MAX_FILE_BYTES:,} bytes: a workflow file holds workflows, not "
    "data; split it into several files"
)


def read_workflow_file(path: str | Path) -> list[dict[str, Any]]:
    """The workflow documents of the YAML file at ``path`` (UTF-8)."""
    with Path(path).open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)  # no more than that is ever read
    if len(data) > MAX_FILE_BYTES:
        raise InvalidWorkflowFile([_TOO_LARGE])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidWorkflowFile(
            [f"line {line}: the file is not UTF-8 text: save it as UTF-8"]
        ) from None
    return load_workflows(text)


def load_workflows(text: str) -> list[dict[str, Any]]:
    """The workflow documents of YAML ``text``: one mapping, or a list of them.

    Raises InvalidWorkflowFile for text that is not YAML (with line and column), is too
    large or too deep, expands its aliases too far, or whose items are not mappings; the
    documents' contents are checked by parse_workflow_documents.
    """
    if len(text) > MAX_FILE_BYTES:
        raise InvalidWorkflowFile([_TOO_LARGE])
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds no Python objects
    except yaml.YAMLError as error:
        raise InvalidWorkflowFile([_yaml_problem(error, text)]) from None
    if data is None:
        raise InvalidWorkflowFile(["the file holds no workflow: write one mapping or a list"])
    items = data if isinstance(data, list) else [data]
    problems = [
        f"workflow {number}: {_kind(item)} is not a workflow: write a mapping with name, "
        "object_type, schedule, criteria and actions"
        for number, item in enumerate(items, start=1)
        if not isinstance(item, dict)
    ]
    if problems:
        raise InvalidWorkflowFile(problems)
    return items


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        context = f" ({error.context})" if error.context else ""
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}{context}"
    if isinstance(error, yaml.reader.ReaderError):
        # Its own text spans two lines and counts characters from the start of the file.
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else "a byte"
        return (
            f"line {line}, column {column}: {character} is a control character YAML does not "
            "allow: remove it"
        )
    return f"not YAML: {error}"


def _kind(item: object) -> str:
    if isinstance(item, list):
        return "a list"
    return shown_value(item)  # as written in the file: null, not None


class _Dumper(yaml.SafeDumper):
    """YAML's safe dumper, writing multi-line text as literal blocks, as a person would."""


# PyYAML writes these line separators raw inside quotes, where its reader turns them into
# spaces: escaped in double quotes, they survive.
_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_text(dumper: _Dumper, text: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(separator in text for separator in _UNICODE_BREAKS):
        style = '"'
    elif "\n" in text:
        style = "|"  # the emitter picks a quoted style itself where a block cannot hold the text
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_workflows(documents: Sequence[Mapping[str, Any]]) -> str:
    """YAML for ``documents`` (to_document's output): one mapping for a single workflow, a
    list otherwise; keys in the documents' order, and load_workflows reads it back equal."""
    data: object = dict(documents[0]) if len(documents) == 1 else [dict(d) for d in documents]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def parse_workflow_documents(
    documents: Sequence[Mapping[str, object]],
    property_types: Mapping[str, Mapping[str, PropertyType]],
    default_timezone: str,
    now: datetime,
) -> list[ParsedDefinition]:
    """Validates every document of a file, all or nothing.

    ``property_types`` maps each object type of the workspace to its properties' types.
    Raises InvalidWorkflowFile listing every problem of every document, each prefixed with
    "workflow N (name): "; two documents with one name (in any case) are a problem too.
    A schedule that has run its course is not a problem: exported after it ran, it imports
    as finished.
    """
    problems: list[str] = []
    parsed: list[ParsedDefinition] = []
    first_with_name: dict[str, tuple[int, str]] = {}
    for number, document in enumerate(documents, start=1):
        label = document_label(number, document)
        name = document.get("name")
        if isinstance(name, str) and name.strip():
            # Names are unique in any case: "Deals" and "deals" would be one workflow.
            first, first_name = first_with_name.setdefault(
                name.strip().casefold(), (number, name.strip())
            )
            if first != number:
                in_case = "" if first_name == name.strip() else " in another case"
                problems.append(f"{label}: name: workflow {first} has the same name{in_case}")
        object_type = document.get("object_type")
        types = property_types.get(object_type, {}) if isinstance(object_type, str) else {}
        try:
            result = parse_definition(
                document, types, list(property_types), default_timezone, now, ended_ok=True
            )
        except InvalidDefinition as error:
            # Locations count actions from 1 here, as the file's reader does ("action 1, text").
            problems.extend(f"{label}: {counted_text(problem)}" for problem in error.problems)
            continue
        parsed.append(result)
    if problems:
        raise InvalidWorkflowFile(problems)
    return parsed


def document_label(number: int, document: Mapping[str, object]) -> str:
    """How a file's messages name its ``number``-th document: "workflow 2 (Renewals)"."""
    name = document.get("name")
    if isinstance(name, str) and name.strip():
        shown = name.strip() if len(name.strip()) <= 60 else name.strip()[:59] + "…"
        return f"workflow {number} ({shown})"
    return f"workflow {number}"


class ImportOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ImportedWorkflow:
    name: str
    outcome: ImportOutcome
    revision: int
    # As the engine will run it (overview.coming_run: pause days, holidays, skips applied).
    next_run: datetime | None
    # The schedule has run its course: imported with no next run, whatever its status.
    finished: bool
    # Which of its actions write to HubSpot (bot.workflows.hubspot_writes), when some do.
    writes_to_hubspot: str | None = None


def import_workflow(
    session: Session,
    team_id: str,
    document: Mapping[str, object],
    actor: Actor,
    default_timezone: str,
    now: datetime,
) -> ImportedWorkflow:
    """Saves one document of a workflow file (checked by parse_workflow_documents): a new
    workflow, or a new revision of the one with its name, or nothing at all when the
    document is what is stored (its revision, next run and planned runs stay as they are).
    Raises what save_workflow raises."""
    parsed = parse_for_team(session, team_id, document, default_timezone, now, ended_ok=True)
    definition = parsed.parsed.definition
    finished = definition.schedule.has_ended(now)
    rules = write_back_rules(
        session, parsed.object_type.id, parsed.object_type.name, definition.actions
    )
    if rules.refusal is not None:
        # Also for a document that is what is stored: its type may have got a SQL source
        # since it was saved, and UNCHANGED would say all is well.
        raise WorkflowError(rules.refusal)
    writes = rules.note
    stored = WorkflowRepository(session).find_for_update(team_id, definition.name)
    if stored is not None and to_document(definition_of(session, stored)) == to_document(
        definition
    ):
        return ImportedWorkflow(
            stored.name,
            ImportOutcome.UNCHANGED,
            stored.revision,
            coming_run(session, stored, now),
            finished,
            writes,
        )
    saved = save_workflow(session, team_id, document, actor, default_timezone, now, ended_ok=True)
    outcome = ImportOutcome.CREATED if saved.created else ImportOutcome.UPDATED
    workflow = session.get(Workflow, saved.workflow_id)
    assert workflow is not None
    next_run = coming_run(session, workflow, now)
    return ImportedWorkflow(definition.name, outcome, saved.revision, next_run, finished, writes)


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def checked_documents(
    work: UnitOfWork,
    team_id: str,
    documents: Sequence[Mapping[str, object]],
    default_timezone: str,
    now: datetime,
) -> list[ParsedDefinition]:
    """The documents of a workflow file checked against the team's object types and their
    properties (parse_workflow_documents); writes nothing."""
    with work.reading() as session:
        object_types = ObjectTypeRepository(session)
        types = {
            name: object_types.property_types(object_types.get(team_id, name).id)
            for name in object_types.names(team_id)
        }
        return parse_workflow_documents(documents, types, default_timezone, now)


def import_all(
    work: UnitOfWork,
    team_id: str,
    documents: Sequence[Mapping[str, object]],
    actor: Actor,
    default_timezone: str,
    now: datetime,
) -> list[ImportedWorkflow]:
    """Creates or updates every workflow of a file, all or none (import_workflow)."""
    with work.writing() as session:
        return [
            import_workflow(session, team_id, document, actor, default_timezone, now)
            for document in documents
        ]


def export(work: UnitOfWork, team_id: str, name: str | None = None) -> str:
    """The workspace's workflows (or the one named ``name``, found as get_workflow finds
    it) as a workflow file that import_workflow reads back unchanged."""
    with work.reading() as session:
        chosen = (
            [get_workflow(session, team_id, name)]
            if name
            else WorkflowRepository(session).in_team(team_id)
        )
        return dump_workflows(
            [to_document(definition_of(session, workflow)) for workflow in chosen]
        )
