"""Make sure the PostgreSQL the test suite uses is accepting connections.

Starts the machine's cluster with pg_ctlcluster when it is installed but stopped. On a
machine without PostgreSQL it does nothing: the suite then runs on SQLite only, except
under CI=true, where the suite itself fails on a missing PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST, PORT = "127.0.0.1", 5432


def accepting() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


def start_cluster() -> None:
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*"))
    if not versions or shutil.which("pg_ctlcluster") is None:
        print("PostgreSQL is not installed here; tests will use SQLite only.")
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
    )


def main() -> int:
    if accepting():
        return 0
    start_cluster()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if accepting():
            print("PostgreSQL started.")
            return 0
        time.sleep(0.5)
    print("PostgreSQL is not accepting connections on 127.0.0.1:5432.")
    return 1 if os.environ.get("CI") == "true" else 0


if __name__ == "__main__":
    sys.exit(main())
