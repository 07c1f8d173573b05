from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.problems import ProblemCode
from bot.workflows.templates import (
    MISSING_VALUE,
    NO_OWNER,
    InvalidTemplate,
    RenderContext,
    Template,
    cut_mrkdwn,
    escape_mrkdwn,
    parse_template,
)

PROPERTIES = ("amount", "stage", "close_date", "active")


def context(**changes: Any) -> RenderContext:
    fields: dict[str, Any] = {
        "record_id": "D-42",
        "name": "Acme renewal",
        "owner": "U0123ABCD",
        "properties": {"amount": 5000, "stage": "contract sent", "active": True},
        "run_date": date(2026, 3, 5),
        "workflow_name": "Weekly deal review",
    }
    return RenderContext(**{**fields, **changes})


def render(text: str, **changes: Any) -> str:
    return parse_template(text, PROPERTIES).render(context(**changes))


def problems(text: str, names: tuple[str, ...] | None = PROPERTIES) -> list[str]:
    with pytest.raises(InvalidTemplate) as caught:
        parse_template(text, names)
    return caught.value.messages


# --- Escaping -----------------------------------------------------------------------------


def test_escape_mrkdwn_escapes_ampersand_and_angle_brackets_only() -> None:
    assert escape_mrkdwn("a & b < c > d *bold* _it_ ~s~ `c` @here") == (
        "a &amp; b &lt; c &gt; d *bold* _it_ ~s~ `c` @here"
    )


def test_an_already_escaped_entity_is_escaped_again_so_it_shows_as_written() -> None:
    assert escape_mrkdwn("&amp;") == "&amp;amp;"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U1>", "&lt;@U1&gt;"),
        ("<http://evil|click>", "&lt;http://evil|click&gt;"),
        ("Smith & Sons", "Smith &amp; Sons"),
    ],
)
def test_a_record_name_can_never_mention_or_link(value: str, expected: str) -> None:
    assert render("Deal: {{ name }}", name=value) == f"Deal: {expected}"


def test_a_property_value_can_never_mention_or_link() -> None:
    rendered = render("{{ properties.stage }}", properties={"stage": "<!channel> <@U1>"})
    assert rendered == "&lt;!channel&gt; &lt;@U1&gt;"


def test_a_hubspot_link_is_a_slack_link_to_the_record_s_page_or_a_dash_without_one() -> None:
    page = "https://app.hubspot.com/contacts/42/record/0-3/11"
    assert render("{{ hubspot.link }}", hubspot_page=page) == f"<{page}|View in HubSpot>"
    assert render("{{ hubspot.link }}") == "—"


def test_the_workflow_name_and_the_record_id_are_escaped_too() -> None:
    assert render("{{ workflow.name }}", workflow_name="R&D <team>") == "R&amp;D &lt;team&gt;"
    assert render("{{ id }}", record_id="<!here>") == "&lt;!here&gt;"


def test_the_authors_own_text_is_sent_as_written() -> None:
    text = "<https://crm.example.com|Open the CRM> & <@U0AUTHOR>: {{ name }}"
    assert render(text, name="<x>") == (
        "<https://crm.example.com|Open the CRM> & <@U0AUTHOR>: &lt;x&gt;"
    )


def test_a_value_that_looks_like_a_placeholder_is_not_expanded() -> None:
    assert render("{{ name }}", name="{{ owner }}") == "{{ owner }}"


# Unicode's explicit direction controls: embeddings, overrides, isolates and marks.
DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@given(st.text())
def test_any_record_value_renders_without_markup_and_unescapes_to_itself(name: str) -> None:
    rendered = render("{{ name }}", name=name)
    assert "<" not in rendered and ">" not in rendered
    unescaped = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == "".join(c for c in name if c not in DIRECTION_CONTROLS)


@pytest.mark.parametrize("control", DIRECTION_CONTROLS)
def test_direction_controls_in_record_values_are_removed(control: str) -> None:
    # "invoice_<RLO>gnp.exe" would show as "invoice_exe.png" and reorder the text after it.
    value = f"invoice_{control}gnp.exe"
    rendered = render(
        "{{ name }} {{ id }} {{ properties.stage }}: check it",
        name=value,
        record_id=value,
        properties={"stage": value},
    )
    assert rendered == "invoice_gnp.exe invoice_gnp.exe invoice_gnp.exe: check it"


def test_right_to_left_text_itself_is_kept() -> None:
    assert render("{{ name }}", name="עסקה 42 (חידוש)") == "עסקה 42 (חידוש)"


# --- Placeholders -------------------------------------------------------------------------


def test_owner_renders_as_a_slack_mention() -> None:
    assert render("Hi {{ owner }}") == "Hi <@U0123ABCD>"


def test_an_enterprise_grid_owner_renders_as_a_mention() -> None:
    assert render("{{ owner }}", owner="W0123ABCD") == "<@W0123ABCD>"


def test_a_record_without_owner_renders_no_owner() -> None:
    assert render("{{ owner }}", owner=None) == NO_OWNER == "no owner"


def test_an_owner_that_is_not_a_user_id_is_shown_escaped_not_as_a_mention() -> None:
    assert render("{{ owner }}", owner="<!channel>") == "&lt;!channel&gt;"


def test_an_owner_email_that_resolved_renders_as_a_mention_of_its_slack_user() -> None:
    assert render("{{ owner }}", owner="ann@example.com", owner_user="U0ANN") == "<@U0ANN>"


def test_an_owner_email_slack_does_not_know_renders_as_its_escaped_text() -> None:
    assert render("{{ owner }}", owner="ann@example.com") == "ann@example.com"
    assert render("{{ owner }}", owner="<ann>@example.com") == "&lt;ann&gt;@example.com"


def test_run_date_renders_as_an_iso_date() -> None:
    assert render("Reminded {{ run.date }}") == "Reminded 2026-03-05"


def test_id_and_properties_render_their_values() -> None:
    assert render("#{{ id }}: {{ properties.amount }} ({{ properties.stage }})") == (
        "#D-42: 5000 (contract sent)"
    )


def test_a_missing_property_value_renders_as_a_dash() -> None:
    assert render("Closes {{ properties.close_date }}") == f"Closes {MISSING_VALUE}"
    assert MISSING_VALUE == "—"


def test_an_empty_text_value_renders_empty_not_as_missing() -> None:
    assert render("[{{ properties.stage }}]", properties={"stage": ""}) == "[]"


def test_booleans_render_as_yes_and_no() -> None:
    assert render("{{ properties.active }}") == "yes"
    assert render("{{ properties.active }}", properties={"active": False}) == "no"


@pytest.mark.parametrize("text", ["{{name}}", "{{ name }}", "{{   name\t}}", "{{\nname\n}}"])
def test_whitespace_inside_the_braces_is_optional(text: str) -> None:
    assert render(text) == "Acme renewal"


def test_text_without_placeholders_renders_as_itself() -> None:
    assert render("No placeholders at all.") == "No placeholders at all."


def test_placeholders_and_properties_used_are_exposed() -> None:
    template = parse_template("{{ name }} {{ properties.amount }} {{properties.stage}}", PROPERTIES)
    assert template.placeholders == {"name", "properties.amount", "properties.stage"}
    assert template.properties_used == {"amount", "stage"}


def test_a_template_keeps_its_source_text() -> None:
    text = "{{name}} is {{ properties.stage }}"
    assert parse_template(text, PROPERTIES).text == text


def test_the_same_text_parses_to_equal_templates() -> None:
    assert parse_template("{{ name }}!", PROPERTIES) == parse_template("{{ name }}!", PROPERTIES)
    assert isinstance(parse_template("x", PROPERTIES), Template)


# --- Validation ---------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_with_the_closest_one() -> None:
    assert problems("{{ propertes.amount }}") == [
        "unknown placeholder {{ propertes.amount }}; did you mean properties.amount?"
    ]


def test_an_unknown_placeholder_without_a_close_one_lists_the_known_ones() -> None:
    assert problems("{{ zzz }}") == [
        "unknown placeholder {{ zzz }}; use one of name, owner, id, created_at, updated_at, "
        "run.date, workflow.name, hubspot.link or properties.<name>"
    ]


def test_a_property_the_object_type_lacks_is_named_with_a_hint() -> None:
    assert problems("{{ properties.amout }}") == [
        "{{ properties.amout }}: the records have no property 'amout'; "
        "did you mean properties.amount?"
    ]


def test_properties_with_nothing_after_the_dot_is_unknown() -> None:
    assert problems("{{ properties. }}")[0].startswith("unknown placeholder {{ properties. }}")


def test_every_problem_of_a_template_is_listed() -> None:
    found = problems("{{ nme }} {{ owner }} {{ properties.x }} {{ run.dat }}")
    assert len(found) == 3
    assert "did you mean name?" in found[0]
    assert "'x'" in found[1]
    assert "did you mean run.date?" in found[2]


@pytest.mark.parametrize("text", ["{{ name", "name }}", "{{ name {{ owner }}", "{{}"])
def test_unmatched_braces_are_refused(text: str) -> None:
    assert any("unmatched braces" in problem for problem in problems(text))


def test_template_problems_are_data_for_each_surface_to_word() -> None:
    with pytest.raises(InvalidTemplate) as caught:
        parse_template("{{ nme }} {{ properties.amout }} {{ zzz }} and {{ owner", PROPERTIES)

    assert [(p.location, p.code, dict(p.params)) for p in caught.value.problems] == [
        (
            (),
            ProblemCode.UNKNOWN_PLACEHOLDER,
            {"placeholder": "{{ nme }}", "property": None, "suggestion": "name"},
        ),
        (
            (),
            ProblemCode.UNKNOWN_PLACEHOLDER,
            {
                "placeholder": "{{ properties.amout }}",
                "property": "amout",
                "suggestion": "properties.amount",
            },
        ),
        (
            (),
            ProblemCode.UNKNOWN_PLACEHOLDER,
            {"placeholder": "{{ zzz }}", "property": None, "suggestion": None},
        ),
        ((), ProblemCode.UNMATCHED_BRACES, {"excerpt": "and {{ owner"}),
    ]


def test_an_empty_placeholder_is_unknown() -> None:
    assert problems("{{ }}")[0].startswith("unknown placeholder")


def test_property_names_are_unchecked_when_none_are_given() -> None:
    template = parse_template("{{ properties.anything }}", None)
    assert template.properties_used == {"anything"}
    assert problems("{{ nmae }}", None)[0].startswith("unknown placeholder {{ nmae }}")


# --- Built-in dates -------------------------------------------------------------------------


def test_created_and_updated_dates_show_as_local_time_in_the_workflows_zone() -> None:
    created = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, the night Paris springs on
    updated = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    text = render(
        "{{ name }}: created {{ created_at }}, updated {{updated_at}}",
        created_at=created,
        updated_at=updated,
        zone=ZoneInfo("Europe/Paris"),
    )
    assert text == "Acme renewal: created 2026-03-29 01:30, updated 2026-03-29 03:30"


def test_a_record_date_the_context_lacks_shows_as_missing() -> None:
    assert render("{{ created_at }}") == MISSING_VALUE


@given(st.text(alphabet="a&<> ", max_size=60), st.integers(0, 80))
def test_escaped_text_cut_to_a_length_keeps_every_entity_whole(text: str, limit: int) -> None:
    escaped = escape_mrkdwn(text)

    cut = cut_mrkdwn(escaped, limit)

    assert escaped.startswith(cut) and len(cut) <= limit
    assert len(cut) > limit - len("&amp;") or cut == escaped
    rest = cut[cut.rfind("&") :] if "&" in cut else ";"
    assert ";" in rest


@pytest.mark.parametrize("limit", [3, 10, 20, 24])
def test_text_cut_to_a_length_keeps_a_link_or_mention_whole(limit: int) -> None:
    text = "see <http://x.co/a|the deal> for <@U123>"

    cut = cut_mrkdwn(text, limit)

    assert text.startswith(cut) and len(cut) <= limit
    assert cut.count("<") == cut.count(">")
