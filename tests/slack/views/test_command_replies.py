"""What a command answered after the ack says when it was not run: the command as typed,
in a code span that the user's own text cannot break."""

from __future__ import annotations

from bot.slack.views.commands import busy_reply, stopping_reply


def test_a_dropped_command_says_the_bot_was_stopping_and_to_run_it_again() -> None:
    assert stopping_reply("show Weekly check-in") == (
        "workflow-bot was stopping and did not run `/workflow show Weekly check-in`. "
        "Run the command again."
    )


def test_a_backtick_typed_by_the_user_does_not_end_the_code_span() -> None:
    typed = "show `Weekly` <!channel> & co"

    for reply in (busy_reply(typed), stopping_reply(typed)):
        assert "`/workflow show 'Weekly' &lt;!channel&gt; &amp; co`" in reply
        assert reply.count("`") == 2
