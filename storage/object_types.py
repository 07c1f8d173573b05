"""Repository of object types and the typed properties declared on each."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from bot.workflows.vocabulary import PropertyType
from storage.models import BUILT_IN_OBJECT_TYPES, ObjectType, PropertyDefinition, Record

OBJECT_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class UnknownObjectType(LookupError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(
            f"There is no object type {name!r}. Known types: {', '.join(self.known)}. "
            "Add a custom type with --create-type."
        )


class ObjectTypeRepository:
    """Finds and creates object types and their property definitions. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure_built_ins(self, team_id: str, now: datetime) -> None:
        existing = set(self.names(team_id))
        for name in BUILT_IN_OBJECT_TYPES:
            if name not in existing:
                self.session.add(
                    ObjectType(team_id=team_id, name=name, built_in=True, created_at=now)
                )
        self.session.flush()

    def names(self, team_id: str) -> list[str]:
        query = (
            select(ObjectType.name).where(ObjectType.team_id == team_id).order_by(ObjectType.name)
        )
        return list(self.session.scalars(query))

    def names_with_live_record_counts(self, team_id: str) -> list[tuple[str, int]]:
        """Each of the team's object types by name, with how many records not in the trash
        it holds (0 for a type with none), in one grouped statement."""
        live = (Record.object_type_id == ObjectType.id) & Record.deleted_at.is_(None)
        query = (
            select(ObjectType.name, func.count(Record.id))
            .select_from(ObjectType)
            .outerjoin(Record, live)
            .where(ObjectType.team_id == team_id)
            .group_by(ObjectType.name)
            .order_by(ObjectType.name)
        )
        return [(name, count) for name, count in self.session.execute(query)]

    def find(self, team_id: str, name: str) -> ObjectType | None:
        found = self.session.scalars(_find(), {"team_id": team_id, "name": name})
        return found.one_or_none()

    def get(self, team_id: str, name: str) -> ObjectType:
        found = self.find(team_id, name)
        if found is None:
            raise UnknownObjectType(name, self.names(team_id))
        return found

    def create_custom(self, team_id: str, name: str, now: datetime) -> ObjectType:
        if OBJECT_TYPE_NAME.fullmatch(name) is None:
            raise ValueError(
                f"{name!r} is not a valid object type name: use lower-case letters, digits and _"
            )
        object_type = ObjectType(team_id=team_id, name=name, built_in=False, created_at=now)
        self.session.add(object_type)
        self.session.flush()
        return object_type

    def property_types(self, object_type_id: int) -> dict[str, PropertyType]:
        rows = self.session.execute(_property_types(), {"object_type_id": object_type_id})
        return {name: PropertyType(type_) for name, type_ in rows}

    def enumeration_options(self, object_type_id: int) -> dict[str, list[str]]:
        query = select(PropertyDefinition.name, PropertyDefinition.options).where(
            PropertyDefinition.object_type_id == object_type_id,
            PropertyDefinition.type == PropertyType.ENUMERATION.value,
        )
        return {name: list(options or []) for name, options in self.session.execute(query)}

    def declare(
        self,
        object_type_id: int,
        types: Mapping[str, PropertyType],
        options: Mapping[str, Iterable[str]] | None = None,
        labels: Mapping[str, str] | None = None,
        option_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """Adds properties not declared yet and merges new enumeration options; ``labels``
        and ``option_labels`` (value -> label), when given, replace what the dialogs show.

        The type of an existing property never changes here: changing it would silently
        reinterpret every stored value.
        """
        existing = {
            definition.name: definition
            for definition in self.session.scalars(
                select(PropertyDefinition).where(
                    PropertyDefinition.object_type_id == object_type_id
                )
            )
        }
        for name, property_type in types.items():
            definition = existing.get(name)
            if definition is None:
                definition = PropertyDefinition(
                    object_type_id=object_type_id, name=name, type=property_type.value
                )
                self.session.add(definition)
            new_options = list((options or {}).get(name, ()))
            if property_type is PropertyType.ENUMERATION and new_options:
                known = list(definition.options or [])
                definition.options = known + [
                    o for o in dict.fromkeys(new_options) if o not in known
                ]
            label = (labels or {}).get(name)
            if label is not None and label != definition.label:
                definition.label = label
            shown = (option_labels or {}).get(name)
            if shown is not None and dict(shown) != definition.option_labels:
                definition.option_labels = dict(shown)
        self.session.flush()

    def labels(self, object_type_id: int) -> dict[str, str]:
        """Property name -> the label the dialogs show, for the properties that have one."""
        query = select(PropertyDefinition.name, PropertyDefinition.label).where(
            PropertyDefinition.object_type_id == object_type_id,
            PropertyDefinition.label.is_not(None),
        )
        return {name: label for name, label in self.session.execute(query) if label is not None}

    def option_labels(self, object_type_id: int) -> dict[str, dict[str, str]]:
        """Enumeration property -> option value -> the label the dialogs show."""
        query = select(PropertyDefinition.name, PropertyDefinition.option_labels).where(
            PropertyDefinition.object_type_id == object_type_id,
            PropertyDefinition.option_labels.is_not(None),
        )
        return {name: dict(shown or {}) for name, shown in self.session.execute(query)}


# Read on every step of the wizard and every check of a definition: built once (building one
# cost about as much as running it), their values bound as parameters.


@cache
def _find() -> Select[ObjectType]:
    return select(ObjectType).where(
        ObjectType.team_id == bindparam("team_id"), ObjectType.name == bindparam("name")
    )


@cache
def _property_types() -> Select[str, str]:
    return select(PropertyDefinition.name, PropertyDefinition.type).where(
        PropertyDefinition.object_type_id == bindparam("object_type_id")
    )
