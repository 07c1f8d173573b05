"""A scheduled run's query of the records it enrolls by its criteria, and a run batch's
``INSERT ... SELECT`` statements, one per shape of query, from SQL compiled once per shape.

In a burst, building each run's query as SQL expressions, and keying and compiling the
batch's statement of 50 of them, was most of the CPU a run cost. A run's query is compiled
once for all runs whose criteria and suppression have its shape (criteria_shape: properties,
operators, types, how many values), every value bound by name; a run then only works out
its values (its relative dates resolved at its instant), and a batch runs each shape's
``INSERT ... SELECT`` once per run of that shape, with the run's values as bound parameters,
by position. Nothing a run binds is ever written into the SQL text.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Dialect, Integer, Select, String, Table, bindparam, column, select, text
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

from bot.workflows.vocabulary import PropertyType, RunSource
from storage.columns import UTCDateTime
from storage.criteria_sql import (
    CriteriaLike,
    criteria_shape,
    criteria_values,
    enrollment_criteria_clause,
)
from storage.database import dialect_insert_for
from storage.followups import not_snoozed
from storage.models import Enrollment, Record

ENROLLMENTS = cast(Table, Enrollment.__table__)
ENROLLMENT_COLUMNS = ("run_id", "record_id", "source", "enrolled_by", "created_at")
# Compiled queries kept, by shape (the least recently used dropped first): workflows made
# from one another, or from one sample, share their shape.
COMPILED_SHAPES = 1024
# A compiled query holds about 80 bytes per parameter (its SQL, names and processors), and
# an `in` list of thousands of values is a shape of its own: a shape of more parameters is
# compiled for each batch, not kept, and those kept hold this many parameters at most
# (about 16 MB), the least recently used dropped first. A run batch does not prepare such a
# shape's statement for several runs either: its plan would stay in the pooled connection's
# session (enrollment_statements).
KEPT_SHAPE_PARAMETERS = 2_000
KEPT_PARAMETERS = 200_000
# Stands for a shape's query in the compiled INSERT.
_SHAPE_QUERY = "__shape_query__"


@dataclass(frozen=True)
class EnrollmentQuery:
    """What a scheduled run enrolls by its criteria: the records of its object type that
    match its criteria and not its suppression (both resolved to stored bounds at its
    instant, Criteria.at), not removed, and not snoozed in its workflow at ``snoozed_at``."""

    run_id: int
    object_type_id: int
    workflow_id: int
    snoozed_at: datetime
    criteria: CriteriaLike
    suppression: CriteriaLike
    property_types: Mapping[str, PropertyType]

    def shape(self) -> tuple[Any, ...]:
        """What the query's SQL depends on: the same for every run of this shape."""
        types = self.property_types
        return (criteria_shape(self.criteria, types), criteria_shape(self.suppression, types))

    def values(self) -> dict[str, Any]:
        """The values selected_records binds, by name."""
        types = self.property_types
        return {
            "object_type": self.object_type_id,
            "workflow": self.workflow_id,
            "snoozed_at": self.snoozed_at,
            **criteria_values(self.criteria, types, "c"),
            **criteria_values(self.suppression, types, "s"),
        }


def selected_records(query: EnrollmentQuery, dialect: str) -> Select[Any]:
    """The ids of the records ``query`` selects: one run's query (Runner's enrollment of a
    run alone), each value bound under a name of its own."""
    return _selected_records(query, dialect, named=False)


def _selected_records(query: EnrollmentQuery, dialect: str, *, named: bool) -> Select[Any]:
    """selected_records, its values bound under the names EnrollmentQuery.values gives when
    ``named``: the query compiled once per shape, whose names bind each run's values (the
    compiled text is bound by position, CompiledQuery.parameters)."""
    types = query.property_types
    names = "" if named else None
    clause = enrollment_criteria_clause(query.criteria, query.suppression, types, dialect, names)

    def bound(name: str, value: Any, sql_type: TypeEngine[Any]) -> BindParameter[Any]:
        return bindparam(name, value, sql_type, unique=not named)

    return select(Record.id).where(
        Record.object_type_id == bound("object_type", query.object_type_id, Integer()),
        clause,
        not_snoozed(
            bound("workflow", query.workflow_id, Integer()),
            bound("snoozed_at", query.snoozed_at, UTCDateTime()),
        ),
    )


def _enrolled_rows(query: EnrollmentQuery, dialect: str, now: datetime) -> Select[Any]:
    """The enrollment rows of ``query``'s records up to record ``newest``, in
    ENROLLMENT_COLUMNS' order, every value bound by name (those of _batch_values too)."""
    return (
        _selected_records(query, dialect, named=True)
        .with_only_columns(
            bindparam("run_id", query.run_id, Integer()),
            Record.id,
            bindparam("source", RunSource.SCHEDULE.value, String()),
            bindparam("enrolled_by", None, ENROLLMENTS.c.enrolled_by.type),
            bindparam("created_at", now, UTCDateTime()),
        )
        .where(Record.id <= bindparam("newest", 0, Integer()))
    )


def _batch_values(run_id: int, now: datetime, newest: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "source": RunSource.SCHEDULE.value,
        "enrolled_by": None,
        "created_at": now,
        "newest": newest,
    }


@dataclass(frozen=True)
class CompiledQuery:
    """A shape's query compiled for a database: its SQL, whose parameters are bound by
    position, and for each position, the name of the value it binds and how the column's
    type turns that value into what the driver takes."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    # Values the SQL binds that no run gives (a function's constant argument, say).
    constants: Mapping[str, Any]

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The query's parameters, in order, for a run's ``values``."""
        constants = self.constants
        bound = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = constants[name] if name in constants else values[name]
            bound.append(value if process is None else process(value))
        return bound


class CompiledQueries:
    """Compiled queries by database and shape. Thread-safe; bounded in shapes and in the
    parameters they hold, the least recently used dropped first. A change of criteria that
    keeps their shape keeps the query (its values are the run's own); one that changes it is
    a new shape: nothing is ever stale."""

    def __init__(
        self,
        size: int = COMPILED_SHAPES,
        shape_parameters: int = KEPT_SHAPE_PARAMETERS,
        parameters: int = KEPT_PARAMETERS,
    ) -> None:
        self._size = size
        self._shape_parameters = shape_parameters
        self._parameters = parameters
        self._compiled: OrderedDict[tuple[Any, ...], CompiledQuery] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self.compilations = 0

    def enrolled_rows(self, query: EnrollmentQuery, dialect: Dialect) -> CompiledQuery:
        """``query``'s enrollment rows (_enrolled_rows), compiled for ``dialect``."""
        key = (dialect.name, dialect.driver, dialect.paramstyle, query.shape())
        with self._lock:
            found = self._compiled.get(key)
            if found is not None:
                self._compiled.move_to_end(key)
                return found
        compiled = _compiled_rows(query, dialect)
        with self._lock:
            self.compilations += 1
            if len(compiled.names) <= self._shape_parameters:
                self._keep(key, compiled)
        return compiled

    def _keep(self, key: tuple[Any, ...], compiled: CompiledQuery) -> None:
        replaced = self._compiled.pop(key, None)
        if replaced is not None:  # compiled by two threads at once
            self._held -= len(replaced.names)
        self._compiled[key] = compiled
        self._held += len(compiled.names)
        while len(self._compiled) > self._size or self._held > self._parameters:
            _, dropped = self._compiled.popitem(last=False)
            self._held -= len(dropped.names)

    def held(self) -> tuple[int, int]:
        """How many shapes are kept, and how many parameters they hold."""
        with self._lock:
            return len(self._compiled), self._held


COMPILED = CompiledQueries()


def _compiled_rows(query: EnrollmentQuery, dialect: Dialect) -> CompiledQuery:
    # The values compiled in are this run's, but only the SQL and the names are kept.
    statement = _enrolled_rows(query, dialect.name, query.snoozed_at)
    compiled = statement.compile(dialect=_positional(dialect))
    names = tuple(compiled.positiontup or ())
    values = {**query.values(), **_batch_values(query.run_id, query.snoozed_at, 0)}
    unbound = set(values) - set(names)
    if unbound:
        # A value the run gives that its SQL does not bind: the query and EnrollmentQuery
        # .values disagree, and the query would select with a value of another run.
        raise ValueError(f"the enrollment query binds no value named {sorted(unbound)}")
    binds = compiled.binds
    return CompiledQuery(
        sql=compiled.string,
        names=names,
        processors=tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ),
        constants=bound_constants(compiled, values),
    )


def bound_constants(compiled: SQLCompiler, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values ``compiled`` binds that no run gives (not in ``values``), by name: the
    anonymous constants SQLAlchemy binds for a function's argument (substr's 1, the 0 a
    position is compared with), the same for every run of the shape. A value bound by name
    that ``values`` does not give is one the query means to take from each run: kept, it
    would be the first run's for all runs of the shape, so it is refused."""
    constants = {}
    for bind, name in compiled.bind_names.items():
        if name in values:
            continue
        if not bind.unique:
            raise ValueError(f"the enrollment query binds {name!r}, a value no run gives")
        constants[name] = bind.effective_value
    return constants


def _positional(dialect: Dialect) -> Dialect:
    """The dialect, binding parameters by position (CompiledQuery.parameters gives a run's
    values in order, whatever their names) with the placeholder its driver takes at every
    position (? or %s). A numbered one ($1, :1) or a named one, which no driver here uses,
    is refused rather than left untested."""
    if dialect.paramstyle in ("qmark", "format"):
        return dialect
    if dialect.paramstyle != "pyformat":
        raise ValueError(f"no positional form of the {dialect.paramstyle} parameter style")
    positional = copy.copy(dialect)
    positional.paramstyle = "format"  # the same driver's %s for %(name)s
    positional.positional = True
    return positional


# By database and parameter style: two threads compiling one at once store the same text.
_INSERTS: dict[tuple[str, str, str], tuple[str, str]] = {}


def _insert_around(dialect: Dialect) -> tuple[str, str]:
    """The SQL before and after a shape's query in a batch's ``INSERT ... SELECT``, which
    leaves the rows already there (ON CONFLICT DO NOTHING)."""
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    if key not in _INSERTS:
        rows = text(_SHAPE_QUERY).columns(*(column(name) for name in ENROLLMENT_COLUMNS))
        insert = dialect_insert_for(dialect.name, ENROLLMENTS)
        statement = insert.from_select(list(ENROLLMENT_COLUMNS), rows)
        sql = statement.on_conflict_do_nothing().compile(dialect=_positional(dialect)).string
        before, after = sql.split(_SHAPE_QUERY)
        _INSERTS[key] = (before, after)
    return _INSERTS[key]


@dataclass(frozen=True)
class EnrollmentStatement:
    """One shape's ``INSERT ... SELECT``, and the parameters of each run of that shape, run
    once per run (an executemany): the database parses the SQL once for all of them, where a
    statement joining 50 runs' queries was parsed and planned anew in every batch (on
    PostgreSQL, 8-12 ms of planning for 3-5 ms of work). PostgreSQL's driver prepares an
    executemany's statement, and PostgreSQL plans its first five runs each and may then keep
    one plan for the others."""

    sql: str
    runs: tuple[tuple[Any, ...], ...]


def enrollment_statements(
    queries: Sequence[EnrollmentQuery], dialect: Dialect, now: datetime, newest: int
) -> list[EnrollmentStatement]:
    """The statements enrolling each query's records, up to record ``newest``, at ``now``:
    one per shape of query, in the order the shapes first come, with each of its runs'
    parameters in the order the runs come. A shape of more than KEPT_SHAPE_PARAMETERS
    values (an ``in`` list of thousands) is a statement per run: an executemany is prepared
    at once, and its plan stays in the pooled connection's session (about 19 MB for 30,000
    values), where a statement run alone is prepared only once psycopg has run its text five
    times on that connection, as for a run carried out alone."""
    before, after = _insert_around(dialect)
    by_shape: dict[str, list[tuple[Any, ...]]] = {}
    statements: list[EnrollmentStatement] = []
    for query in queries:
        compiled = COMPILED.enrolled_rows(query, dialect)
        values = {**query.values(), **_batch_values(query.run_id, now, newest)}
        parameters = tuple(compiled.parameters(values))
        if len(parameters) > KEPT_SHAPE_PARAMETERS:
            statements.append(EnrollmentStatement(before + compiled.sql + after, (parameters,)))
        else:
            by_shape.setdefault(compiled.sql, []).append(parameters)
    shared = [
        EnrollmentStatement(before + sql + after, tuple(runs)) for sql, runs in by_shape.items()
    ]
    return shared + statements
