"""What the dialogs show for an object type's properties and enumeration options where the
source gives them labels (HubSpot: "Deal stage", "Contract sent"): criteria keep comparing
the names and values, the pickers show the labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from storage.object_types import ObjectTypeRepository


@dataclass(frozen=True)
class PropertyLabels:
    names: Mapping[str, str] = field(default_factory=dict)  # property name -> label
    # Enumeration property -> option value -> label.
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def options_of(self, name: object) -> Mapping[str, str]:
        return self.options.get(name, {}) if isinstance(name, str) else {}


NO_LABELS = PropertyLabels()


def property_labels(session: Session, object_type_id: int) -> PropertyLabels:
    object_types = ObjectTypeRepository(session)
    return PropertyLabels(
        object_types.labels(object_type_id), object_types.option_labels(object_type_id)
    )
