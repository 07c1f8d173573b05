"""The text of /workflow transfer and copy read back, a workflow's changes as Slack shows
them (mentions for people, names escaped, valid Block Kit within a message's limits), and the
App Home's read-only rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import HomeAction
from bot.slack.views.home import build_home
from bot.slack.views.sharing import (
    CopyText,
    TransferText,
    changes_blocks,
    command_arguments,
    parse_copy_text,
    parse_transfer_text,
)
from bot.workflows.audit import ChangeLine
from bot.workflows.overview import WorkflowLine
from tests.block_kit import assert_valid_blocks, assert_valid_view

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Names as people type them: no surrounding spaces (names are stripped), no quotes or angle
# brackets (which would read as the name's end or a mention).
_QUOTES_AND_BRACKETS = "\"'<>\u201c\u201d\u2018\u2019"
NAMES = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters=_QUOTES_AND_BRACKETS
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: name.strip() == name)


def test_command_arguments_undo_slacks_escapes_but_keep_mentions() -> None:
    text = "transfer R&amp;D &lt;review&gt; <@U0OTHER|oscar>"
    assert command_arguments(text) == "R&D <review> <@U0OTHER|oscar>"


def test_a_mention_or_a_user_id_at_the_end_is_the_new_owner() -> None:
    assert parse_transfer_text("Deal review <@U0OTHER|oscar>") == TransferText(
        "Deal review", "U0OTHER"
    )
    assert parse_transfer_text('"Deal review" @W0ENTERPRISE1') == TransferText(
        "Deal review", "W0ENTERPRISE1"
    )
    assert parse_transfer_text("Deal review") is None
    assert parse_transfer_text("<@U0OTHER>") is None  # no workflow named
    assert parse_transfer_text("Deal <@U0OTHER> review") is None  # the person comes last


@given(name=NAMES, user=st.from_regex(r"U[0-9][A-Z0-9]{2,10}", fullmatch=True))
def test_any_name_then_a_mention_reads_back_as_typed(name: str, user: str) -> None:
    assert parse_transfer_text(f"{name} <@{user}|someone>") == TransferText(name, user)


def test_copy_reads_quoted_names_or_the_longest_known_name_first() -> None:
    known = ["Deal", "Deal review"]
    assert parse_copy_text("deal review Deal review 2", known) == CopyText(
        "deal review", "Deal review 2"
    )
    assert parse_copy_text("“Deal review” “Copy of it”", known) == CopyText(
        "Deal review", "Copy of it"
    )
    assert parse_copy_text("Unknown name here", known) is None
    assert parse_copy_text('"Deal review"', known) is None  # no new name


@given(name=NAMES, new_name=NAMES)
def test_any_two_quoted_names_read_back_as_typed(name: str, new_name: str) -> None:
    assert parse_copy_text(f'"{name}" "{new_name}"', []) == CopyText(name, new_name)


def _change(kind: str, minutes: int, **detail: object) -> ChangeLine:
    return ChangeLine(kind, "U0OWNER", AT + timedelta(minutes=minutes), 2, detail)


def test_changes_name_people_as_mentions_and_escape_everything_else() -> None:
    changes = [
        _change("transferred", 3, **{"from": "U0OWNER", "to": "U0OTHER"}),
        _change("copied", 2, to="<!channel> & co"),
        _change("created", 1, copied_from="R&D"),
    ]
    blocks = changes_blocks(changes)
    assert_valid_blocks(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*Tue 01 Dec 2026 09:03 UTC* · transferred from <@U0OWNER> to <@U0OTHER>" in text
    assert "copied to '&lt;!channel&gt; &amp; co' · by <@U0OWNER>" in text
    assert "created as a copy of 'R&amp;D'" in text


def test_many_changes_stay_within_three_blocks_and_say_how_many_more() -> None:
    changes = [_change("ran", n, run_id=n) for n in range(200)]
    blocks = changes_blocks(changes)
    assert_valid_blocks(blocks)
    assert len(blocks) <= 3
    assert "more changes" in json.dumps(blocks)


def test_no_changes_says_so() -> None:
    assert "No changes recorded yet." in json.dumps(changes_blocks([]))


def _home_line(name: str, owner: str, may_change: bool) -> WorkflowLine:
    return WorkflowLine(
        name=name,
        status="active",
        object_type="deals",
        owner=owner,
        schedule="Every day at 09:00",
        next_run=AT,
        revision=1,
        may_change=may_change,
    )


def test_the_home_offers_only_history_on_a_workflow_the_viewer_may_not_change() -> None:
    lines = [_home_line("Mine", "U0ME", True), _home_line("<Theirs> & co", "U0THEM", False)]
    view = build_home(lines, everyone=False)
    assert_valid_view(view)
    rows = [block["elements"] for block in view["blocks"] if block["type"] == "actions"]
    assert [b["action_id"] for b in rows[0]][:3] == [
        HomeAction.RUN,
        HomeAction.PAUSE,
        HomeAction.EDIT,
    ]
    assert [(b["action_id"], b["value"]) for b in rows[1]] == [
        (HomeAction.HISTORY, "<Theirs> & co")
    ]
    text = json.dumps(view, ensure_ascii=False)
    assert (
        "*&lt;Theirs&gt; &amp; co* · :large_green_circle: active · deals · owner <@U0THEM>" in text
    )
    assert "*Mine* · :large_green_circle: active · deals\\n" in text  # one's own: no owner
