"""What a HubSpot object's property definitions, pipelines and owners mean here: each
property's type, label and options by label, stage ids shown by label, the properties that
give a record its name, owner and dates, and how one HubSpot object becomes a record."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.workflows.hubspot_portal import Owner, Pipeline, PropertySchema
from bot.workflows.vocabulary import PropertyType
from storage.properties import InvalidValue, StoredValue, is_valid_property_name, to_stored

# HubSpot's property ``type`` -> ours. ``bool`` properties come as "true"/"false" strings;
# everything not listed (string, phone_number, json, object_coordinates) is text.
_TYPES = {
    "number": PropertyType.NUMBER,
    "bool": PropertyType.BOOLEAN,
    "date": PropertyType.DATE,
    "datetime": PropertyType.DATETIME,
    "enumeration": PropertyType.ENUMERATION,
}
# "2026-12-01T09:30:00.123Z": how HubSpot writes instants (milliseconds, UTC).
_HUBSPOT_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# The stage of a deal or a ticket: a pipeline stage id, shown by its label.
STAGE_PROPERTIES = {"deals": "dealstage", "tickets": "hs_pipeline_stage"}
OWNER_PROPERTY = "hubspot_owner_id"
CREATED_PROPERTY = "createdate"
MERGED_PROPERTY = "hs_merged_object_ids"


# The objectTypeId of each standard object, as a record's page address names it; a custom
# object's API name is its objectTypeId already.
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
# A domain of HubSpot's app, as account-info gives it: what a link may point to.
_UI_DOMAIN = re.compile(r"app(-[a-z0-9]+)?\.hubspot(qa)?\.com")


def record_page(ui_domain: str, portal_id: int, object_type: str, record_id: str) -> str | None:
    """The address of a record's page in HubSpot (HubSpot's documented form
    ``https://app.hubspot.com/contacts/{portalId}/record/{objectTypeId}/{recordId}``); None
    when the domain is not one of HubSpot's or the id not a HubSpot id, so that a link never
    leads elsewhere."""
    if not _UI_DOMAIN.fullmatch(ui_domain) or not record_id.isdigit():
        return None
    type_id = OBJECT_TYPE_IDS.get(object_type, object_type)
    if not re.fullmatch(r"\d+-\d+", type_id):
        return None
    return f"https://{ui_domain}/contacts/{portal_id}/record/{type_id}/{record_id}"


def modified_property(object_type: str) -> str:
    """The last-modified property: contacts keep theirs in ``lastmodifieddate``."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def name_properties(object_type: str) -> tuple[str, ...]:
    """The properties a record's name is made of, by the object's primary display property."""
    return {
        "deals": ("dealname",),
        "companies": ("name",),
        "contacts": ("firstname", "lastname", "email"),
        "tickets": ("subject",),
    }.get(object_type, ("name", "hs_object_id"))


@dataclass(frozen=True)
class ObjectSchema:
    """One object's properties as stored here, with what the dialogs show for them."""

    object_type: str
    types: dict[str, PropertyType]
    labels: dict[str, str]
    # Enumeration values in HubSpot's order, each with the label the dialogs offer.
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # owner id -> email
    # A custom object's primary display property, which names its records.
    name_property: str | None = None

    @property
    def fetched(self) -> list[str]:
        """The properties asked for with each object: every one stored, and those that make
        its name, owner and dates."""
        names = (self.name_property,) if self.name_property else name_properties(self.object_type)
        wanted = [*self.types, *names, OWNER_PROPERTY]
        wanted += [CREATED_PROPERTY, modified_property(self.object_type), MERGED_PROPERTY]
        return list(dict.fromkeys(wanted))

    def stage_label(self, stage_id: str) -> str | None:
        stage = STAGE_PROPERTIES.get(self.object_type)
        return None if stage is None else self.options.get(stage, {}).get(stage_id)


# How long a schema read by a sync serves the next syncs of the same process before it is
# read again; an object holding an option or an owner it does not know has it read at once.
SCHEMA_KEPT = timedelta(hours=1)


class SchemaMemory:
    """The schemas (properties, stages, owners) the syncs of one process read, by object
    type: an incremental sync spares the three requests that read them again, HubSpot's
    search being the minimum it needs. Shared by the process's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[int, tuple[ObjectSchema, datetime]] = {}

    def recall(self, object_type_id: int, now: datetime) -> ObjectSchema | None:
        with self._lock:
            kept = self._kept.get(object_type_id)
        if kept is None or now - kept[1] >= SCHEMA_KEPT:
            return None
        return kept[0]

    def keep(self, object_type_id: int, schema: ObjectSchema, read_at: datetime) -> None:
        with self._lock:
            known = self._kept.get(object_type_id)
            if known is None or known[0] is not schema:
                self._kept[object_type_id] = (schema, read_at)


def object_schema(
    object_type: str,
    properties: Sequence[PropertySchema],
    pipelines: Sequence[Pipeline],
    owners: Sequence[Owner],
    name_property: str | None = None,
) -> ObjectSchema:
    types: dict[str, PropertyType] = {}
    labels: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    for prop in properties:
        if prop.hidden or not is_valid_property_name(prop.name):
            continue
        types[prop.name] = _TYPES.get(prop.type, PropertyType.STRING)
        labels[prop.name] = prop.label or prop.name
        if types[prop.name] is PropertyType.ENUMERATION:
            options[prop.name] = {o.value: o.label or o.value for o in prop.options}
    stage = STAGE_PROPERTIES.get(object_type)
    if stage is not None:
        # The stages' options come from the pipelines API, whatever the property lists.
        types[stage] = PropertyType.ENUMERATION
        labels.setdefault(stage, "Stage")
        options[stage] = stage_labels(pipelines)
    # The owner is the record's owner (by email), not a property of its own.
    for mapping in (types, labels, options):
        mapping.pop(OWNER_PROPERTY, None)
    return ObjectSchema(
        object_type,
        types,
        labels,
        options,
        {owner.id: owner.email for owner in owners if owner.email},
        name_property,
    )


def stage_labels(pipelines: Sequence[Pipeline]) -> dict[str, str]:
    """Stage id -> the label shown: the stage's, with its pipeline's name in parentheses
    where stages of two pipelines share a label ("Won (Renewals)")."""
    shared = Counter(stage.label.casefold() for p in pipelines for stage in p.stages)
    return {
        stage.id: (
            f"{stage.label} ({pipeline.label})"
            if shared[stage.label.casefold()] > 1
            else stage.label
        )
        for pipeline in pipelines
        for stage in pipeline.stages
    }


@dataclass(frozen=True, slots=True)
class ConvertedObject:
    external_id: str
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    created_at: datetime | None
    updated_at: datetime | None
    modified_ms: int | None
    merged_ids: tuple[str, ...]


def convert(
    schema: ObjectSchema, object_id: str, values: Mapping[str, str | None]
) -> ConvertedObject:
    """One object's properties as a record. A value HubSpot sends that does not fit its
    declared type (rare: a number property holding text) is left out, not guessed."""
    properties: dict[str, StoredValue] = {}
    for name, property_type in schema.types.items():
        raw = values.get(name)
        if raw is None or raw == "":
            continue
        if property_type is PropertyType.DATETIME and _HUBSPOT_INSTANT.fullmatch(raw):
            # HubSpot's own form, already UTC: the stored text without parsing (the sync
            # converts a few datetimes per object, 100,000 objects at a time).
            properties[name] = raw[:23] + "000Z"
            continue
        try:
            properties[name] = to_stored(_raw(raw, property_type), property_type)
        except InvalidValue:
            continue
    modified = _instant(values.get(modified_property(schema.object_type)))
    owner_id = values.get(OWNER_PROPERTY)
    merged = values.get(MERGED_PROPERTY) or ""
    return ConvertedObject(
        external_id=object_id,
        name=_name(schema, values) or object_id,
        owner=schema.owners.get(owner_id) if owner_id else None,
        properties=properties,
        created_at=_instant(values.get(CREATED_PROPERTY)),
        updated_at=modified,
        modified_ms=None if modified is None else _milliseconds(modified),
        merged_ids=tuple(i for i in merged.split(";") if i and i != object_id),
    )


def modified_ms(object_type: str, values: Mapping[str, str | None]) -> int | None:
    """When the object was last modified, in milliseconds: what the incremental sync's
    cursor and the search's filter compare."""
    modified = _instant(values.get(modified_property(object_type)))
    return None if modified is None else _milliseconds(modified)


def _raw(raw: str, property_type: PropertyType) -> str:
    # Date properties come as "2026-12-01" or as that day's UTC midnight in full.
    if property_type is PropertyType.DATE and len(raw) > 10 and raw[10] == "T":
        return raw[:10]
    return raw


def _name(schema: ObjectSchema, values: Mapping[str, str | None]) -> str | None:
    if schema.name_property:
        return values.get(schema.name_property) or None
    object_type = schema.object_type
    if object_type == "contacts":
        full = " ".join(v for v in (values.get("firstname"), values.get("lastname")) if v)
        return full.strip() or values.get("email")
    for name in name_properties(object_type):
        if values.get(name):
            return values[name]
    return None


def _instant(raw: str | None) -> datetime | None:
    """HubSpot's instants: ISO 8601 in UTC ("2026-12-01T09:30:00.123Z"), or milliseconds
    since the epoch in some older properties."""
    if not raw:
        return None
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _milliseconds(instant: datetime) -> int:
    return round(instant.timestamp() * 1000)
