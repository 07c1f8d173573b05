"""The address of a record's page in HubSpot, as HubSpot documents it: built from the
portal's id, the object's type id and the record's id only, so a link never leads away
from HubSpot."""

from __future__ import annotations

import pytest

from bot.workflows.hubspot_schema import record_page


@pytest.mark.parametrize(
    ("object_type", "type_id"),
    [("contacts", "0-1"), ("companies", "0-2"), ("deals", "0-3"), ("tickets", "0-5")],
)
def test_a_standard_object_s_page_names_its_object_type_id(object_type: str, type_id: str) -> None:
    page = record_page("app.hubspot.com", 2468135, object_type, "11")
    assert page == f"https://app.hubspot.com/contacts/2468135/record/{type_id}/11"


def test_a_custom_object_s_page_names_its_own_type_id_and_an_eu_portal_its_domain() -> None:
    page = record_page("app-eu1.hubspot.com", 42, "2-3444025", "907")
    assert page == "https://app-eu1.hubspot.com/contacts/42/record/2-3444025/907"


@pytest.mark.parametrize(
    ("domain", "object_type", "record_id"),
    [
        ("evil.example.com", "deals", "11"),  # not HubSpot's app
        ("app.hubspot.com.evil.example", "deals", "11"),
        ("app.hubspot.com", "deals", "11|click here"),  # not a HubSpot id
        ("app.hubspot.com", "cars>", "11"),  # not a type id
    ],
)
def test_no_link_is_made_from_anything_but_hubspot_s_domain_and_ids(
    domain: str, object_type: str, record_id: str
) -> None:
    assert record_page(domain, 1, object_type, record_id) is None
