"""How long the values records had before each change (record_versions) are kept: as far
back as `why` can look, which is the latest runs of each workflow on the records' object
type, and never longer than LONGEST_KEPT, so that a workflow that stopped running does not
keep every change forever."""

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
    longer valid at the oldest run looked at is never read again. Each object type keeps
    what its own workflows' runs need: one workflow stopped long ago holds back only its
    type's records. Runs to come enroll after ``now``: with no run, nothing older than now
    is needed."""
    versions = RecordVersions(session)
    cap = now - LONGEST_KEPT
    floors = {
        type_id: max(min(oldest, now), cap)
        for type_id, oldest in versions.oldest_enrollments(RUNS_LOOKED_AT).items()
    }
    return versions.prune(floors, now)
