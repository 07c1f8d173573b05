"""HubSpot source benchmark: a first sync of N deals from the HubSpot stand-in (run in a
process of its own) through the real client, at HubSpot's private-app rate (190 requests per
10 seconds, enforced by the client's limiter), and an incremental sync of 1,000 deals changed
among them.

The first sync runs in real time: its own work (about 50 s for 100,000 deals here) is longer
than the rate's floor (about 43 s: 190 requests at once, then 19 a second), and the limiter's
waits overlap the writes (pages are read ahead by a thread), so scaling time would count
waits that do not happen. The stand-in enforces the same window on its side and answers 429
past it. The incremental sync's requests are counted; its waits are scaled (the search's 5
a second), not slept. The stand-in answers locally: HubSpot's own latency per request is not
in the figures.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bench.measure import rss_mb
from bot.hubspot.portal import ClientPortal, Timing
from bot.hubspot.rate_limit import PRIVATE_APP_WINDOW
from bot.workflows.hubspot_portal import LIST_PAGE, SEARCH_PAGE
from bot.workflows.hubspot_sync import HubSpotObjectSync
from storage.database import session_factory, write_transaction
from storage.object_types import ObjectTypeRepository
from tests.hubspot_standin import TOKEN

TEAM = "TBENCH"
CHANGED = 1_000
START_MS = 1_796_000_000_000
SCHEMA_REQUESTS = 3  # properties, pipelines, owners (20 owners: one page)


class ScaledTime:
    """The real monotonic clock plus the waits asked of it, which are not slept."""

    def __init__(self) -> None:
        self.slept = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(seconds, 0.0)


class _CountedWaits:
    """Real sleeps, added up."""

    def __init__(self) -> None:
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += max(seconds, 0.0)
        time.sleep(max(seconds, 0.0))


@dataclass
class HubSpotFigures:
    database: str
    deals: int
    first_seconds: float
    first_waited: float
    # CPU time of the syncing process (all its threads): what the sync needs of a core,
    # whatever else the machine runs at the time.
    first_cpu_seconds: float
    first_requests: int
    first_throttled: int
    first_peak_rss_mb: float
    incremental_seconds: float
    incremental_requests: int
    incremental_searches: int

    @property
    def first_minimum(self) -> int:
        return math.ceil(self.deals / LIST_PAGE) + SCHEMA_REQUESTS

    @property
    def allowed_per_second(self) -> float:
        limit, seconds = PRIVATE_APP_WINDOW
        return limit / seconds * LIST_PAGE

    @property
    def achieved_per_second(self) -> float:
        return self.deals / self.first_seconds

    @property
    def incremental_minimum(self) -> int:
        return math.ceil(CHANGED / SEARCH_PAGE)


def run(kind: str, engine: Engine, deals: int) -> HubSpotFigures:
    with standin_portal(deals) as url:
        return _measure(kind, engine, url, deals)


@contextlib.contextmanager
def standin_portal(deals: int) -> Iterator[str]:
    """The HubSpot stand-in as a process of its own holding ``deals`` deals, at HubSpot's
    private-app rate (190 requests per 10 s): its API's address while it runs."""
    standin = subprocess.Popen(
        [sys.executable, "-m", "tests.hubspot_standin", str(deals), str(START_MS), "190", "10"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert standin.stdout is not None
        yield standin.stdout.readline().strip()
    finally:
        assert standin.stdin is not None
        standin.stdin.close()
        standin.wait(timeout=30)


def _measure(kind: str, engine: Engine, url: str, deals: int) -> HubSpotFigures:
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with write_transaction(sessions) as session:
        type_id = ObjectTypeRepository(session).create_custom(TEAM, "hubspot_deals", now).id
    _reset_peak_rss()
    waits = _CountedWaits()
    portal = ClientPortal(TOKEN, url, Timing(time.monotonic, waits.sleep))
    started, cpu = time.monotonic(), time.process_time()
    first = HubSpotObjectSync(portal, sessions, type_id, "deals").first(now)
    first_seconds = time.monotonic() - started
    first_cpu = time.process_time() - cpu
    first_waited = waits.slept
    peak = rss_mb(os.getpid())[1]
    first_counts = portal.counts()
    assert first.fetched == deals, (first.fetched, deals)

    _touch(url, deals, START_MS + deals + 60_000)
    scaled = ScaledTime()
    portal = ClientPortal(TOKEN, url, Timing(scaled.monotonic, scaled.sleep))
    started = scaled.monotonic()
    assert first.cursor is not None
    # As a periodic sync does: the schema read by the first sync (bot.workflows.hubspot_sync
    # reads it again when an object holds an option it does not know), and no archived
    # listing, which a periodic sync reads in the first sync of each hour only
    # (bot.workflows.hubspot_sources.ARCHIVED_EVERY).
    incremental = HubSpotObjectSync(portal, sessions, type_id, "deals").incremental(
        first.cursor, datetime.now(UTC), known_schema=first.schema, archived=False
    )
    incremental_seconds = scaled.monotonic() - started
    counts = portal.counts()
    assert incremental.changed == CHANGED, incremental
    return HubSpotFigures(
        kind,
        deals,
        first_seconds,
        first_waited,
        first_cpu,
        first_counts.requests,
        first_counts.throttled,
        peak,
        incremental_seconds,
        counts.requests,
        counts.search_requests,
    )


def _touch(url: str, deals: int, at_ms: int) -> None:
    body = {"type": "deals", "every": max(deals // CHANGED, 1), "count": CHANGED, "at_ms": at_ms}
    request = urllib.request.Request(
        f"{url}/standin/touch",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["changed"] == CHANGED


def _reset_peak_rss() -> None:
    """Resets this process's peak resident set (VmHWM), so the figure is the sync's own."""
    with contextlib.suppress(OSError):  # not Linux: the process's peak since it began
        Path("/proc/self/clear_refs").write_text("5")


def print_figures(figures: HubSpotFigures) -> None:
    f = figures
    print(f"\n## HubSpot source on {f.database}: {f.deals:,} deals")
    print(
        f"first sync: {f.first_seconds:.1f} s at 190 requests/10 s "
        f"(the limiter waited {f.first_waited:.1f} s in all, while pages were written), "
        f"{f.achieved_per_second:,.0f} deals/s of the {f.allowed_per_second:,.0f} the rate "
        f"allows ({f.achieved_per_second / f.allowed_per_second:.0%}); requests "
        f"{f.first_requests:,} / minimum {f.first_minimum:,} "
        f"({f.first_requests / f.first_minimum:.2f}x), 429s {f.first_throttled}, "
        f"peak RSS {f.first_peak_rss_mb:.0f} MB; CPU {f.first_cpu_seconds:.1f} s "
        f"({f.deals / f.first_cpu_seconds:,.0f} deals per CPU second)"
    )
    print(
        f"incremental sync of {CHANGED:,} changed: {f.incremental_seconds:.1f} s to the last "
        f"record stored; requests {f.incremental_requests} / minimum {f.incremental_minimum} "
        f"({f.incremental_requests / f.incremental_minimum:.2f}x; searches "
        f"{f.incremental_searches}; a periodic sync within the hour of its last, without "
        "the archived listing)"
    )
