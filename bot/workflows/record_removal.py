"""Removing records by hand (``records delete``) and by a pruning import (``records import
--prune``, where the file is the whole set): what a removal would remove, to be shown and
confirmed first, and the removal itself. A removed record keeps its row, so that past runs
still name it; it is never enrolled again, and importing it again brings it back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.workflows.clock import Clock
from bot.workflows.record_files import RecordFile, column_name, detect_format
from bot.workflows.record_import import ImportOptions, ImportReport, import_records
from bot.workflows.records import criteria_selection
from bot.workflows.sources import refuse_fed_type
from storage.object_types import ObjectTypeRepository
from storage.record_removal import SHOWN, RecordRemoval, Removal, SeenRecords
from storage.unit_of_work import UnitOfWork

# File ids looked up per query while a prune finds what the file leaves out.
ID_BATCH = 2_000


class RemovalError(ValueError):
    """A removal that cannot be done as asked; the message says what to change."""


@dataclass(frozen=True)
class Removed:
    """What a removal removes (or would), and the ids it names that were removed already."""

    removal: Removal
    already: tuple[str, ...] = ()


def _type_id(session: Session, team_id: str, type_name: str, doing: str) -> int:
    object_type = ObjectTypeRepository(session).get(team_id, type_name)
    refuse_fed_type(session, object_type.id, type_name, doing)
    return object_type.id


def by_ids(
    session: Session,
    team_id: str,
    type_name: str,
    external_ids: Sequence[str],
    now: datetime | None = None,
) -> Removed:
    """The records of the type with these ids; removed when ``now`` is given. Every id must
    name a record (RemovalError otherwise, and nothing is removed)."""
    object_type_id = _type_id(session, team_id, type_name, "removing records by hand")
    removal = RecordRemoval(session)
    found = removal.by_external_id(object_type_id, external_ids)
    missing = [
        external_id for external_id in dict.fromkeys(external_ids) if external_id not in found
    ]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:SHOWN])
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        raise RemovalError(
            f"no {type_name} record has the id {shown}{more}: nothing was removed; check the "
            f"ids with workflow-bot records list --type {type_name}"
        )
    live = [(external_id, record) for external_id, record in found.items() if not record[2]]
    already = tuple(external_id for external_id, record in found.items() if record[2])
    live.sort(key=lambda item: item[1][0])
    result = Removal(len(live), tuple((e, record[1]) for e, record in live[:SHOWN]))
    if now is not None:
        removal.remove([record[0] for _, record in live], now)
    return Removed(result, already)


def by_criteria(
    session: Session,
    team_id: str,
    type_name: str,
    criteria_json: object,
    at: datetime,
    now: datetime | None = None,
) -> Removed:
    """The live records of the type that match the criteria at ``at``; removed when ``now``
    is given. Raises UnknownObjectType or InvalidCriteria as records count does."""
    _type_id(session, team_id, type_name, "removing records by hand")
    object_type_id, clause = criteria_selection(session, team_id, type_name, criteria_json, at)
    removal = RecordRemoval(session)
    found = removal.matching(object_type_id, clause)
    if now is not None:
        removal.remove_matching(object_type_id, clause, now)
    return Removed(found)


def file_ids(path: Path, options: ImportOptions) -> Iterator[list[str]]:
    """The record ids a file names, in batches: what a pruning import keeps. A row too
    broken to read names none; a row the import rejects still names its record."""
    id_column = column_name(options.id_column)
    special = {id_column, column_name(options.name_column), column_name(options.owner_column)}
    file_format = detect_format(path, options.file_format)
    source = RecordFile(path, file_format, frozenset(special), frozenset((id_column,)))
    batch: list[str] = []
    with closing(source.rows()) as rows:
        for row in rows:
            external_id = row.cells.get(id_column, "").strip()
            if external_id:
                batch.append(external_id)
            if len(batch) >= ID_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def absent_from(
    session: Session,
    team_id: str,
    type_name: str,
    batches: Iterable[Sequence[str]],
    now: datetime | None = None,
) -> Removal:
    """The live records of the type that none of the ids name; removed when ``now`` is
    given. A type that does not exist yet has nothing to remove."""
    object_type = ObjectTypeRepository(session).find(team_id, type_name)
    if object_type is None:
        return Removal(0, ())
    refuse_fed_type(session, object_type.id, type_name, "a pruning import")
    seen = SeenRecords.of(session, object_type.id)
    removal = RecordRemoval(session)
    for batch in batches:
        for record_id, _name, _removed in removal.by_external_id(object_type.id, batch).values():
            seen.see(record_id)
    if now is None:
        return removal.absent(object_type.id, seen)
    return removal.remove_absent(object_type.id, seen, now)


# Use cases: each opens its own transaction on the unit of work it is given -----------------


class EmptyPrune(RemovalError):
    """A pruning import of a file that names no record: it would remove every record of
    the type, far more often a fault (a failed export, a filter left on) than meant;
    nothing is written."""

    def __init__(self, file_name: str, type_name: str) -> None:
        super().__init__(
            f"{file_name} holds no records, and --prune would remove every {type_name} "
            "record: nothing was imported or removed; to remove them all, use "
            f"`workflow-bot records delete --type {type_name} --criteria {{}}`"
        )


@dataclass(frozen=True)
class Imported:
    report: ImportReport
    pruned: Removal | None  # None without --prune, or when the import wrote nothing


def removal(
    work: UnitOfWork,
    team_id: str,
    type_name: str,
    external_ids: Sequence[str] | None,
    criteria_json: object,
    at: datetime,
    now: datetime | None,
) -> Removed:
    """The records named by their ids (by_ids) or else matching the criteria at ``at``
    (by_criteria); removed when ``now`` is given, only shown otherwise."""
    with work.writing() if now is not None else work.reading() as session:
        if external_ids is not None:
            return by_ids(session, team_id, type_name, external_ids, now)
        return by_criteria(session, team_id, type_name, criteria_json, at, now)


def absent(
    work: UnitOfWork, team_id: str, type_name: str, batches: Iterable[Sequence[str]]
) -> Removal:
    """What a pruning import of a file naming the ids ``batches`` would remove."""
    with work.reading() as session:
        return absent_from(session, team_id, type_name, batches)


def import_file(
    work: UnitOfWork,
    team_id: str,
    path: Path,
    options: ImportOptions,
    clock: Clock,
    prune: bool,
) -> Imported:
    """Imports the file (import_records) and, with ``prune``, removes the records of the
    type it does not name, in one transaction: all or nothing. EmptyPrune, with nothing
    written, for a pruning import of a file that names no record."""
    with work.writing() as session:
        report = import_records(session, team_id, path, options, clock.now(), clock)
        if not prune or not report.written:
            return Imported(report, None)
        if not report.created + report.updated + report.unchanged + report.rejected:
            raise EmptyPrune(path.name, options.type_name)
        batches = file_ids(path, options)
        return Imported(
            report, absent_from(session, team_id, options.type_name, batches, clock.now())
        )
