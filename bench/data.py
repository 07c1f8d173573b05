"""Deterministic generated data for the benchmarks: deals with a known match rate."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

STAGES = ("appointment", "qualified", "presentation", "contract_sent", "closed_won")
REGIONS = ("north", "south", "east", "west", "central", "overseas")
REFERENCE_DAY = date(2026, 11, 27)

# stage eq contract_sent (1/5) AND amount >= 5000 (1/2) AND close_date in the last 109 days
# (110 of 365 days) selects 0.2 x 0.5 x 0.3 = 3% of the records.
CRITERIA = {
    "any": [
        {
            "all": [
                {"property": "stage", "operator": "eq", "value": "Contract_Sent"},
                {"property": "amount", "operator": "gte", "value": 5000},
                {"property": "close_date", "operator": "in_last_days", "value": 109},
            ]
        }
    ]
}
EXPECTED_SHARE = 0.2 * 0.5 * 110 / 365


def write_deals(path: Path, rows: int, first_id: int = 0, seed: int = 7) -> Path:
    """Writes ``rows`` deals to a CSV file (reused when it already holds them)."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "owner", "stage", "amount", "close_date", "region", "hot"])
        for number in range(first_id, first_id + rows):
            close = REFERENCE_DAY - timedelta(days=rng.randrange(365))
            writer.writerow(
                [
                    f"D-{number}",
                    f"Deal {number} {rng.choice(REGIONS).title()}",
                    f"U{rng.randrange(10_000):05d}" if rng.random() < 0.8 else "",
                    rng.choice(STAGES),
                    rng.randrange(10_000),
                    close.isoformat(),
                    rng.choice(REGIONS),
                    "true" if rng.random() < 0.1 else "false",
                ]
            )
    partial.rename(path)
    return path
