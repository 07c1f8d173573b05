"""ConsoleNotifier: what running without Slack credentials prints for each message."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from bot.console_notifier import ConsoleNotifier
from bot.workflows.notifier import ActionMark, Message, Posted

MARK = ActionMark(run_id=4, record_id=17, action_index=0)  # the first action


def test_a_marked_message_prints_its_channel_mark_and_text() -> None:
    stream = io.StringIO()

    posted = ConsoleNotifier(stream).post(Message("C0123", "Acme renews soon", mark=MARK))

    assert stream.getvalue() == "→ #C0123 (run 4, record 17, action 1)\n  Acme renews soon\n"
    assert posted.channel == "C0123"


def test_a_run_summary_is_labelled_as_such() -> None:
    stream = io.StringIO()
    summary = ActionMark(run_id=4, record_id=0, action_index=-1)
    ConsoleNotifier(stream).post(Message("C0123", "3 records enrolled", mark=summary))
    assert stream.getvalue().startswith("→ #C0123 (run 4 summary)")


def test_a_summarys_run_details_add_nothing_on_the_console() -> None:
    plain, with_details = io.StringIO(), io.StringIO()
    summary = ActionMark(run_id=4, record_id=0, action_index=-1)
    ConsoleNotifier(plain).post(Message("C0123", "3 enrolled", mark=summary))
    ConsoleNotifier(with_details).post(
        Message("C0123", "3 enrolled", mark=summary, details_of_run=4)
    )
    assert with_details.getvalue() == plain.getvalue()


def test_each_post_gets_a_later_ts() -> None:
    notifier = ConsoleNotifier(io.StringIO())

    first, second = (notifier.post(Message("C0123", "hi")) for _ in range(2))

    assert float(second.ts) > float(first.ts)


def test_a_direct_reply_with_blocks_and_lines_stays_readable() -> None:
    stream = io.StringIO()
    sections = ("Deals:", "• Acme")

    ConsoleNotifier(stream).post(
        Message("U0ALICE", "Deals:\n• Acme", sections=sections, thread_ts="12.000000")
    )

    assert stream.getvalue() == ("→ @U0ALICE (in thread 12.000000; 2 blocks)\n  Deals:\n  • Acme\n")


def test_it_prints_to_standard_output_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleNotifier().post(Message("C0123", "hello"))

    assert capsys.readouterr().out == "→ #C0123\n  hello\n"


def test_it_never_finds_a_marked_message() -> None:
    notifier = ConsoleNotifier(io.StringIO())
    posted = notifier.post(Message("C0123", "hello", mark=MARK))

    assert isinstance(posted, Posted)
    assert notifier.find_marked("C0123", MARK, datetime(2020, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("to", "shown"),
    [
        ("ann@example.com", "@ann@example.com"),
        ("@sales-leads", "@sales-leads"),
        ("S0123ABCD", "@S0123ABCD"),
        ("U0ALICE", "@U0ALICE"),
        ("C0123", "#C0123"),
    ],
)
def test_direct_messages_to_emails_and_user_groups_are_addressed_like_people(
    to: str, shown: str
) -> None:
    stream = io.StringIO()
    ConsoleNotifier(stream).post(Message(to, "Please update Acme", mark=MARK))
    assert stream.getvalue() == f"→ {shown} (run 4, record 17, action 1)\n  Please update Acme\n"


def test_the_text_prints_as_typed_not_as_slack_escapes_it() -> None:
    stream = io.StringIO()
    text = "Umbrella &lt;Corp&gt; &amp; Co (<@U0SAMPLE1>) in <#C0123|sales>"

    ConsoleNotifier(stream).post(Message("C0123", text))

    assert stream.getvalue().splitlines()[1] == "  Umbrella <Corp> & Co (@U0SAMPLE1) in #sales"


def test_a_link_shows_its_label_and_its_address() -> None:
    stream = io.StringIO()
    text = "See <https://crm.example.com/d?id=1&amp;tab=2|Acme &amp; Co> and <https://x.example>"

    ConsoleNotifier(stream).post(Message("C0123", text))

    assert stream.getvalue().splitlines()[1] == (
        "  See Acme & Co (https://crm.example.com/d?id=1&tab=2) and https://x.example"
    )


def test_one_block_is_one_block() -> None:
    stream = io.StringIO()

    ConsoleNotifier(stream).post(Message("C0123", "hi", sections=("hi",)))

    assert stream.getvalue().startswith("→ #C0123 (1 block)\n")
