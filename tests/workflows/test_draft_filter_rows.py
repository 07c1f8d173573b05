"""The wizard's filter rows as the draft holds them, on the real databases: a row in which
nothing was chosen is no filter (left out when the step is left, never counted), a row being
filled in is left out of the live count and counted as unfinished, and what only the dialog
keeps (days set aside) is never checked nor saved."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows import drafts
from bot.workflows.drafts import Matching, without_empty_filters
from storage.database import transaction
from tests.engine.builders import deal, import_deals
from tests.workflows.test_drafts import NOW, WON, complete, finish, load, new_draft

EMPTY: dict[str, Any] = {}
CHOSEN_IN_PART = {"property": "stage"}
STAGE_WON = WON["any"][0]["all"][0]


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    """Two deals in contract, two won."""
    rows = [deal("D1"), deal("D2"), deal("W1", stage="won"), deal("W2", stage="won")]
    import_deals(sessions, rows, NOW)


def criteria(*groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"any": [{"all": list(filters)} for filters in groups]}


# Filters as the editor leaves them: empty, chosen in part, or complete.
_rows = st.sampled_from([EMPTY, {"property": None}, CHOSEN_IN_PART, STAGE_WON])


@given(st.lists(st.lists(_rows, min_size=1, max_size=4), max_size=4))
def test_leaving_out_empty_rows_keeps_every_other_row_in_its_order(
    groups: list[list[dict[str, Any]]],
) -> None:
    tidied = without_empty_filters(criteria(*groups))

    kept = [[f for f in filters if f not in (EMPTY, {"property": None})] for filters in groups]
    assert tidied == (criteria(*[g for g in kept if g]) if any(kept) else {})


@pytest.mark.usefixtures("deals")
def test_a_step_left_with_only_an_empty_row_has_no_filter(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = 3
        typed = {**draft.document, "criteria": criteria([EMPTY], [STAGE_WON, EMPTY])}

        assert drafts.submit_step(session, draft, typed, "UTC", NOW) == ()

        assert (draft.step, draft.layout) == (4, 1)  # new rows, new block ids
        assert draft.document["criteria"] == criteria([STAGE_WON])


@pytest.mark.usefixtures("deals")
def test_an_empty_row_beside_a_wrong_one_stays_as_the_user_left_it(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = 3
        typed = {**draft.document, "criteria": criteria([EMPTY, CHOSEN_IN_PART])}

        problems = drafts.submit_step(session, draft, typed, "UTC", NOW)

        assert problems
        assert {problem.location[:3] for problem in problems} >= {("criteria", 0, 1)}
        assert (draft.step, draft.layout) == (3, 0)
        assert draft.document["criteria"] == criteria([EMPTY, CHOSEN_IN_PART])


@pytest.mark.usefixtures("deals")
def test_going_back_leaves_out_empty_rows_of_the_suppression_too(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = 5
        typed = {**draft.document, "suppression": criteria([EMPTY])}

        drafts.go_back(draft, typed, NOW)

        assert draft.step == 4 and draft.document["suppression"] == {}


@pytest.mark.usefixtures("deals")
@pytest.mark.parametrize(
    ("rows", "shown"),
    [
        ([], Matching(4)),
        ([EMPTY], Matching(4)),
        ([STAGE_WON], Matching(2)),
        ([STAGE_WON, EMPTY], Matching(2)),
        ([STAGE_WON, CHOSEN_IN_PART], Matching(2, unfinished=1)),
        ([CHOSEN_IN_PART], Matching(4, unfinished=1)),
        ([{**STAGE_WON, "value": None}], Matching(4, unfinished=1)),
    ],
)
def test_the_live_count_leaves_out_rows_being_filled_in_and_says_how_many(
    sessions: sessionmaker[Session], rows: list[dict[str, Any]], shown: Matching
) -> None:
    draft_id = new_draft(sessions, **complete(criteria=criteria(rows) if rows else {}))
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = 3

        assert drafts.wizard_page(session, draft, "UTC", NOW).matching == shown


@pytest.mark.usefixtures("deals")
def test_days_set_aside_by_the_dialog_are_neither_checked_nor_saved(
    sessions: sessionmaker[Session],
) -> None:
    aside = {drafts.SET_ASIDE: {"schedule": {"month_days": [1, 15]}}}
    draft_id = new_draft(sessions, **complete(), **aside)
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = drafts.REVIEW_STEP
        assert drafts.step_problems(session, draft, drafts.REVIEW_STEP, "UTC", NOW) == ()

    done = finish(sessions, draft_id, activate=True)

    assert done.name == "Won deals"
