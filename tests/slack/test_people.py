"""Who is an admin: Slack's admin and owner flags (users.info), or WORKFLOW_ADMINS."""

from __future__ import annotations

from bot.slack.notifier import make_web_client
from bot.slack.people import People
from tests.slack_standin import SlackStandIn


def test_admins_come_from_slack_or_the_setting_scoped_to_a_workspace(
    slack_api: SlackStandIn,
) -> None:
    for user in ("U0PLAIN", "U0LISTED", "U0SCOPED"):
        slack_api.add_user(user)
    slack_api.add_user("U0SLACKADMIN", is_admin=True)
    slack_api.add_user("U0SLACKOWNER", is_owner=True)
    client = make_web_client(slack_api.token, slack_api.url)
    people = People({"U0LISTED", "T0ONE:U0SCOPED"})

    def is_admin(team: str, user: str) -> bool:
        return people.actor(client, team, user).is_admin

    assert not is_admin("T0ONE", "U0PLAIN")
    assert is_admin("T0ONE", "U0SLACKADMIN") and is_admin("T0ONE", "U0SLACKOWNER")
    assert is_admin("T0ONE", "U0LISTED") and is_admin("T0TWO", "U0LISTED")
    assert is_admin("T0ONE", "U0SCOPED") and not is_admin("T0TWO", "U0SCOPED")
