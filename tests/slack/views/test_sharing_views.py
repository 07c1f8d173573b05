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
    DIFF_BLOCKS,
    CopyText,
    DiffText,
    TransferText,
    changes_blocks,
    chosen_transfer,
    command_arguments,
    diff_blocks,
    parse_copy_text,
    parse_diff_text,
    parse_transfer_text,
    transfer_view,
)
from bot.workflows.audit import ChangeLine
from bot.workflows.overview import WorkflowLine
from bot.workflows.revisions import SavedRevision
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


def test_diff_text_names_a_workflow_and_two_revisions_in_either_order() -> None:
    assert parse_diff_text("Deal review") == DiffText("Deal review", None)
    assert parse_diff_text("Deal review 5 2") == DiffText("Deal review", (2, 5))
    assert parse_diff_text('"Top 10 deals" 1 2') == DiffText("Top 10 deals", (1, 2))
    assert parse_diff_text("Top 10 deals") == DiffText("Top 10 deals", None)
    assert parse_diff_text("  ") is None


_DIFF_LINES = st.lists(st.text(max_size=900).map(lambda t: t.replace("\n", " ")), max_size=80)


@given(_DIFF_LINES)
def test_a_diff_of_any_length_fits_a_message_and_says_what_it_leaves_out(lines: list[str]) -> None:
    newer = SavedRevision(3, {}, "U0OWNER", AT)
    diff = "--- a\n+++ b\n" + "\n".join(f"+{line}" for line in lines)

    blocks = diff_blocks("Deal <review> & co", 2, newer, diff)

    assert_valid_blocks(blocks)
    assert len(blocks) <= DIFF_BLOCKS + 2
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    shown = json.dumps(blocks)
    assert "Deal &lt;review&gt; &amp; co" in shown and "<review>" not in shown
    code = [b["text"]["text"] for b in blocks[1:] if b["type"] == "section"]
    assert all(c.startswith("```") and c.endswith("```") and "```" not in c[3:-3] for c in code)
    if len(blocks) == DIFF_BLOCKS + 2:
        assert "more lines: `workflow-bot workflows diff" in blocks[-1]["elements"][0]["text"]


def test_the_command_a_long_diff_points_to_takes_a_name_of_several_words_as_one() -> None:
    newer = SavedRevision(3, {}, "U0OWNER", AT)
    diff = "--- a\n+++ b\n" + "\n".join(f"+line {n} " + "x" * 900 for n in range(60))

    blocks = diff_blocks("Deal review", 2, newer, diff)

    pointer = blocks[-1]["elements"][0]["text"]
    assert "`workflow-bot workflows diff 'Deal review' 2 3`" in pointer


def test_the_transfer_dialog_asks_for_a_person_and_reads_the_choice_back() -> None:
    view = transfer_view("Deal <review>", "U0OWNER")
    assert_valid_view(view)
    assert "Deal &lt;review&gt;" in json.dumps(view) and "<@U0OWNER>" in json.dumps(view)
    picked = {"transfer_new_owner": {"transfer_new_owner": {"selected_user": "U0OTHER"}}}

    chosen = chosen_transfer({**view, "state": {"values": picked}})

    assert chosen == TransferText("Deal <review>", "U0OTHER")
    assert chosen_transfer({**view, "state": {"values": {}}}) is None
