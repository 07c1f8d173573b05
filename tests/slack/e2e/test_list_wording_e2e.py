"""/workflow list counts in good English in the text a notification shows."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from bot.workflows.clock import FixedClock
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn


def _list_reply_text(slack: Slack, slack_api: SlackStandIn) -> str:
    form = slack.command_form(OWNER, "list")
    assert slack.send(urlencode(form)).status == 200
    path = urlsplit(form["response_url"]).path
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()), 10.0)
    return next(r for r in slack_api.responses() if r.path == path).text


def test_one_workflow_is_one_workflow(
    bot: Bot, slack: Slack, slack_api: SlackStandIn, clock: FixedClock
) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    save(
        bot.sessions, workflow_document(name="Deal review", owner=OWNER), clock.now(), team=TEAM_ID
    )

    assert _list_reply_text(slack, slack_api) == "1 workflow"

    save(bot.sessions, workflow_document(name="Renewals", owner=OWNER), clock.now(), team=TEAM_ID)

    assert _list_reply_text(slack, slack_api).startswith("2 workflows")
