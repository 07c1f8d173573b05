"""open_pool: a new web worker's connections are made before its first request."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from storage.database import make_engine, open_pool


def test_the_pools_connections_are_open_and_waiting_after_it(database_url: str) -> None:
    engine = make_engine(database_url, poolclass=QueuePool, pool_size=3)
    try:
        assert open_pool(engine) == 3
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.checkedin(), pool.checkedout()) == (3, 0)
        with engine.connect():
            assert pool.checkedin() == 2, "a request takes a connection made already"
    finally:
        engine.dispose()


def _closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_database_out_of_reach_is_logged_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    engine: Engine = make_engine(url, connect_timeout=2)
    try:
        with caplog.at_level(logging.WARNING, logger="storage.database"):
            assert open_pool(engine) == 0
    finally:
        engine.dispose()
    [warning] = [r.getMessage() for r in caplog.records if r.name == "storage.database"]
    assert warning.startswith("the database's connections could not be opened ahead: ")
    assert "refused" in warning.lower()
