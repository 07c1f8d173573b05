"""What the request gate costs per request: RequestGate.check (signature, body checks, and
the fingerprint written to handled_requests) against what Bolt does anyway for the same
request (slack_sdk's signature check and Bolt's body parser), in one process, one thread.

python -m bench --gate-only [--databases sqlite,postgresql]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.slack.request_gate import RequestGate
from storage.database import session_factory

SECRET = "gate-bench-signing-secret"
REQUESTS = 2_000
CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class GateFigures:
    database: str
    requests: int
    baseline_us: float
    gate_us: float

    @property
    def ratio(self) -> float:
        return self.gate_us / self.baseline_us


def _submission(number: int) -> str:
    """A view submission of the size the wizard's schedule step sends (about 3 KB)."""
    values = {
        f"block_{i}": {f"action_{i}": {"type": "plain_text_input", "value": f"value {i}"}}
        for i in range(30)
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0BENCH", "domain": "bench"},
        "user": {"id": "U0BENCH", "team_id": "T0BENCH"},
        "api_app_id": "A0BENCH",
        "trigger_id": f"trigger-{number}",
        "view": {"id": f"V{number}", "callback_id": "wizard", "state": {"values": values}},
    }
    return urlencode({"payload": json.dumps(payload)})


def _signed(verifier: SignatureVerifier, now: int) -> list[tuple[dict[str, str], bytes]]:
    requests = []
    for number in range(REQUESTS):
        body = _submission(number)
        stamp = str(now)
        headers = {
            "content-type": CONTENT_TYPE,
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": str(verifier.generate_signature(timestamp=stamp, body=body)),
        }
        requests.append((headers, body.encode()))
    return requests


def run(kind: str, engine: Engine) -> GateFigures:
    verifier = SignatureVerifier(SECRET)
    requests = _signed(verifier, int(time.time()))
    started = time.perf_counter()
    for headers, body in requests:
        text = body.decode()
        stamp, signature = headers["x-slack-request-timestamp"], headers["x-slack-signature"]
        assert verifier.is_valid(text, stamp, signature)
        parse_body(text, CONTENT_TYPE)
    baseline = time.perf_counter() - started
    gate = RequestGate(SECRET, session_factory(engine))
    started = time.perf_counter()
    for headers, body in requests:
        assert gate.check(headers, body) is None
    gated = time.perf_counter() - started
    return GateFigures(kind, REQUESTS, baseline / REQUESTS * 1e6, gated / REQUESTS * 1e6)


def print_figures(figures: GateFigures) -> None:
    print(f"\n## Request gate on {figures.database}: {figures.requests:,} signed submissions")
    print("| what | µs per request | x Bolt's own checks |")
    print("|---|---:|---:|")
    print(f"| Bolt's signature check and body parse | {figures.baseline_us:.0f} | 1.00 |")
    print(f"| RequestGate.check | {figures.gate_us:.0f} | {figures.ratio:.2f} |")
