"""What HubSpot's property definitions, pipelines and owners become here, and how one
object's properties become a record: pure functions, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.hubspot_portal import Owner, Pipeline, PropertyOption, PropertySchema, Stage
from bot.workflows.hubspot_schema import convert, object_schema, stage_labels
from bot.workflows.vocabulary import PropertyType

labels = st.sampled_from(["Won", "won", "Lost", "Contract sent", "Qualified", "Nouveau"])


@given(
    st.lists(
        st.lists(labels, min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_a_stage_label_names_its_pipeline_only_where_another_stage_shares_it(
    pipelines_labels: list[list[str]],
) -> None:
    pipelines = [
        Pipeline(
            f"p{p}",
            f"Pipeline {p}",
            tuple(Stage(f"p{p}s{s}", label) for s, label in enumerate(stage_names)),
        )
        for p, stage_names in enumerate(pipelines_labels)
    ]
    shown = stage_labels(pipelines)
    every = [(p, s) for p in pipelines for s in p.stages]
    assert set(shown) == {stage.id for _, stage in every}
    for pipeline, stage in every:
        shared = sum(other.label.casefold() == stage.label.casefold() for _, other in every) > 1
        expected = f"{stage.label} ({pipeline.label})" if shared else stage.label
        assert shown[stage.id] == expected


def test_types_labels_options_and_the_owner_come_from_the_schema() -> None:
    schema = object_schema(
        "contacts",
        [
            PropertySchema("firstname", "First name", "string", "text"),
            PropertySchema("lastname", "Last name", "string", "text"),
            PropertySchema("email", "Email", "string", "text"),
            PropertySchema("birthday", "Birthday", "date", "date"),
            PropertySchema("score", "Score", "number", "number"),
            PropertySchema("vip", "VIP", "bool", "booleancheckbox"),
            PropertySchema(
                "interests",
                "Interests",
                "enumeration",
                "checkbox",
                (PropertyOption("golf", "Golf"), PropertyOption("chess", "Chess")),
            ),
            PropertySchema("hubspot_owner_id", "Contact owner", "enumeration", "select"),
            PropertySchema("lastmodifieddate", "Last modified", "datetime", "date"),
            PropertySchema("Not A Name", "Odd", "string", "text"),
        ],
        [],
        [Owner("7", "ada@example.com"), Owner("8", None)],
    )
    assert schema.types["birthday"] is PropertyType.DATE
    assert schema.types["vip"] is PropertyType.BOOLEAN
    assert schema.options["interests"] == {"golf": "Golf", "chess": "Chess"}
    assert "hubspot_owner_id" not in schema.types and "Not A Name" not in schema.types
    contact = convert(
        schema,
        "51",
        {
            "firstname": "Ada",
            "lastname": None,
            "email": "ada@example.com",
            "birthday": "1990-05-01T00:00:00.000Z",
            "score": "12",
            "vip": "false",
            "interests": "golf;chess",
            "hubspot_owner_id": "7",
            "lastmodifieddate": "2026-12-01T09:30:00.123Z",
            "createdate": "2026-01-02T03:04:05.000Z",
        },
    )
    assert (contact.name, contact.owner) == ("Ada", "ada@example.com")
    assert contact.properties["birthday"] == "1990-05-01"
    assert contact.properties["score"] == 12 and contact.properties["vip"] is False
    assert contact.properties["lastmodifieddate"] == "2026-12-01T09:30:00.123000Z"
    assert contact.updated_at == datetime(2026, 12, 1, 9, 30, 0, 123000, tzinfo=UTC)
    assert contact.modified_ms == 1796117400123
    assert contact.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_contact_without_a_name_is_named_by_email_and_a_ticket_by_subject() -> None:
    contacts = object_schema("contacts", [], [], [])
    assert convert(contacts, "1", {"email": "x@example.com"}).name == "x@example.com"
    assert convert(contacts, "2", {}).name == "2"
    tickets = object_schema("tickets", [], [], [])
    assert convert(tickets, "3", {"subject": "Printer on fire"}).name == "Printer on fire"
    assert tickets.types["hs_pipeline_stage"] is PropertyType.ENUMERATION
    merged = convert(tickets, "3", {"hs_merged_object_ids": "9;3;10"})
    assert merged.merged_ids == ("9", "10")
