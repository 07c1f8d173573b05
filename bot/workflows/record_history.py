"""How long the values records had before each change (record_versions) are kept: as far
back as `why` can look, which is each workflow's latest runs, and never longer than
LONGEST_KEPT, so that a workflow that stopped running does not keep every change forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.record_versions import RecordVersions

# Each workflow's latest runs `why` looks at (it shows the last ten that chose records by
# criteria or enrolled the record); the values at the oldest one's enrollment are needed.
RUNS_LOOKED_AT = 50
# A yearly workflow's previous run, and a month to spare.
LONGEST_KEPT = timedelta(days=400)


def prune_record_versions(session: Session, now: datetime) -> int:
    """Deletes the versions no run `why` can show needs; returns how many.

    The values at an instant come from the first version valid after it, so a version no
    longer valid at the oldest run looked at is never read again. Runs to come enroll
    after ``now``: with no run, nothing older than now is needed."""
    versions = RecordVersions(session)
    oldest = versions.oldest_enrollment(RUNS_LOOKED_AT)
    needed_from = now if oldest is None else min(oldest, now)
    return versions.prune(max(needed_from, now - LONGEST_KEPT))
