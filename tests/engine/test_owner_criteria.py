"""Criteria that name owners match the same person under their other names, in a run
against the Slack stand-in over HTTP: an email and the Slack user it resolves to."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunStatus
from tests.engine.builders import channel_message, deal, import_deals, save, workflow_document
from tests.engine.conftest import Processes
from tests.engine.test_owner_messages import ANN, JUST_AFTER, engine, people
from tests.engine.test_owner_messages import ann_by_email as ann_by_email  # the fixture
from tests.slack_standin import SlackStandIn


def _owned_by(*owners: str) -> dict[str, Any]:
    return {"any": [{"all": [{"property": "owner", "operator": "in", "value": list(owners)}]}]}


@pytest.mark.usefixtures("ann_by_email")
def test_criteria_naming_an_owner_by_email_or_user_id_match_the_same_person_both_ways(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(
        sessions,
        [
            deal("BY-ID", owner=ANN),
            deal("BY-EMAIL", owner="Ann@Example.com"),
            deal("OTHER", owner="bob@example.com"),
        ],
        clock.now(),
    )
    bot = engine(processes, people(slack_api))
    post = channel_message("{{ id }}", mode="per_record")
    for name, owners in (("By email", ["ann@example.com"]), ("By id", [ANN])):
        document = workflow_document(name=name, criteria=_owned_by(*owners), actions=[post])
        save(sessions, document, clock.now())
    clock.set(JUST_AFTER)

    executed = bot.tick()

    assert [status for _, status in executed] == [RunStatus.SUCCEEDED] * 2
    posted = sorted(m["text"] for m in slack_api.posted_messages("C0DEALS"))
    assert posted == ["BY-EMAIL", "BY-EMAIL", "BY-ID", "BY-ID"]
    # Asked once for every email involved, the criteria's and the records' owners.
    asked = sorted(str(c.params["email"]) for c in slack_api.calls("users.lookupByEmail"))
    assert asked == ["ann@example.com", "bob@example.com"]
