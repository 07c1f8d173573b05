"""A serving process's syncs and runs open portals from one PortalPool: HubSpot counts a
private app's requests together, so portals of one token keep to one rate limit."""

from __future__ import annotations

from bot.hubspot.portal import PortalPool, Timing
from bot.hubspot.rate_limit import SteppedTime
from tests.hubspot_source.portal_fixtures import T0, deal_portal
from tests.hubspot_standin import TOKEN


def test_two_portals_of_one_token_share_the_rate_limit_and_are_never_throttled() -> None:
    time = SteppedTime()
    standin = deal_portal(time, window=(190, 10.0))
    standin.put("deals", "1", T0, dealname="Acme")
    pool = PortalPool(Timing(time.monotonic, time.sleep))
    with standin.serving() as url:
        syncing, writing = pool(TOKEN, url), pool(TOKEN, url)
        for _ in range(150):  # 300 requests: more than one window holds
            syncing.list_page("deals", ["dealname"], None, archived=False)
            writing.list_page("deals", ["dealname"], None, archived=False)

    assert standin.throttled == 0
    # 300 requests at 190 per rolling 10 s: the second window's requests waited for it.
    assert time.now >= 10.0
    assert syncing.window is writing.window


def test_another_token_has_limits_of_its_own() -> None:
    pool = PortalPool(Timing())
    first, other = pool(TOKEN, "http://127.0.0.1:9"), pool("pat-other", "http://127.0.0.1:9")
    assert first.window is not other.window
    assert first.search_window is not other.search_window
