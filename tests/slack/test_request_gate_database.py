"""The request gate without its database: a request it cannot record is refused with 503
(a replay could not be told apart), and a connection PostgreSQL dropped is noticed at the
next request, whose statement runs with no transaction around it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.slack.request_gate import RequestGate
from storage.database import make_engine, session_factory

SECRET = "gate-database-secret"


def _signed(number: int) -> tuple[dict[str, str], bytes]:
    body = f"command=%2Fworkflow&text=list&team_id=T1&user_id=U{number}"
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    headers = {
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }
    return headers, body.encode()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_request_the_gate_cannot_record_is_refused_with_503(kind: str, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path / 'missing' / 'bot.db'}"
        if kind == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/test"
    )
    engine = make_engine(url, connect_timeout=1)
    try:
        refusal = RequestGate(SECRET, session_factory(engine)).check(*_signed(1))
    finally:
        engine.dispose()
    assert refusal is not None and refusal.status == 503


def test_a_connection_postgresql_dropped_is_noticed_and_replaced(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server dropping a pooled connection is PostgreSQL's")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        gate = RequestGate(SECRET, session_factory(engine))
        assert gate.check(*_signed(1)) is None
        with engine.connect() as pooled:  # the pool's only connection, the gate's
            pid = pooled.scalar(text("SELECT pg_backend_pid()"))
        admin = make_engine(database_url)
        with admin.begin() as other:
            # Waits (up to 5 s) until the connection's server process has ended.
            other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        admin.dispose()
        refusal = gate.check(*_signed(2))
        assert refusal is not None and refusal.status == 503
        assert gate.check(*_signed(3)) is None  # on a new connection
    finally:
        engine.dispose()
