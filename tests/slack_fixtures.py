"""Pytest fixtures for tests that talk to Slack: ``slack_api``, a started Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slack_standin import SlackStandIn


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin
