"""A small HubSpot portal for tests: deals with two pipelines (one stage label shared), an
enumeration with labelled options, owners with emails; and a ClientPortal reading it over
HTTP with a stepped clock, so rate limits are waited out without waiting."""

from __future__ import annotations

import copy

from bot.hubspot.portal import ClientPortal, Timing
from bot.hubspot.rate_limit import SteppedTime
from tests.hubspot_standin import HubSpotStandIn

DEAL_PROPERTIES = (
    {"name": "dealname", "label": "Deal name", "type": "string", "fieldType": "text"},
    {"name": "amount", "label": "Amount", "type": "number", "fieldType": "number"},
    {"name": "closedate", "label": "Close date", "type": "datetime", "fieldType": "date"},
    {"name": "dealstage", "label": "Deal stage", "type": "enumeration", "fieldType": "select"},
    {
        "name": "dealtype",
        "label": "Deal type",
        "type": "enumeration",
        "fieldType": "radio",
        "options": [
            {"value": "newbusiness", "label": "New business", "displayOrder": 0, "hidden": False},
            {"value": "existingbusiness", "label": "Existing business", "displayOrder": 1},
        ],
    },
    {"name": "is_strategic", "label": "Strategic", "type": "bool", "fieldType": "booleancheckbox"},
    {
        "name": "hubspot_owner_id",
        "label": "Deal owner",
        "type": "enumeration",
        "fieldType": "select",
    },
    {"name": "createdate", "label": "Create date", "type": "datetime", "fieldType": "date"},
    {
        "name": "hs_lastmodifieddate",
        "label": "Last modified date",
        "type": "datetime",
        "fieldType": "date",
    },
    {
        "name": "hs_internal_secret",
        "label": "Internal",
        "type": "string",
        "fieldType": "text",
        "hidden": True,
    },
)
PIPELINES = [
    {
        "id": "default",
        "label": "Sales pipeline",
        "displayOrder": 0,
        "stages": [
            {"id": "appointmentscheduled", "label": "Appointment scheduled", "displayOrder": 0},
            {"id": "contractsent", "label": "Contract sent", "displayOrder": 1},
            {"id": "closedwon", "label": "Closed won", "displayOrder": 2},
        ],
    },
    {
        "id": "7001",
        "label": "Renewals",
        "displayOrder": 1,
        "stages": [
            {"id": "1234567", "label": "Contract sent", "displayOrder": 0},
            {"id": "1234568", "label": "Renewed", "displayOrder": 1},
        ],
    },
]
OWNERS = [
    {"id": "101", "email": "ada@example.com", "firstName": "Ada", "lastName": "L", "userId": 9001},
    {
        "id": "102",
        "email": "grace@example.com",
        "firstName": "Grace",
        "lastName": "H",
        "userId": 9002,
    },
]
T0 = 1_796_000_000_000  # 2026-11-30, in milliseconds


def deal_portal(time: SteppedTime, **settings: object) -> HubSpotStandIn:
    standin = HubSpotStandIn(monotonic=time.monotonic, **settings)  # type: ignore[arg-type]
    # Copies: a test may change its portal's schema.
    standin.define("deals", *copy.deepcopy(DEAL_PROPERTIES))
    standin.pipeline_definitions["deals"] = copy.deepcopy(PIPELINES)
    standin.owner_list = copy.deepcopy(OWNERS)
    return standin


def client(
    url: str, time: SteppedTime, token: str | None = None, **windows: object
) -> ClientPortal:
    return ClientPortal(
        token or HubSpotStandIn.token,
        url,
        Timing(time.monotonic, time.sleep),
        **windows,  # type: ignore[arg-type]
    )
