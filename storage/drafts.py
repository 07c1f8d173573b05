"""Wizard drafts: the workflow a user is creating or editing in Slack, kept between steps."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import WizardDraft


class DraftRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        team_id: str,
        user_id: str,
        document: Mapping[str, object],
        now: datetime,
        workflow_id: int | None = None,
    ) -> WizardDraft:
        draft = WizardDraft(
            id=uuid.uuid4().hex,
            team_id=team_id,
            user_id=user_id,
            workflow_id=workflow_id,
            step=1,
            layout=0,
            document=dict(document),
            created_at=now,
            updated_at=now,
        )
        self.session.add(draft)
        self.session.flush()
        return draft

    def get(self, draft_id: str, team_id: str, user_id: str) -> WizardDraft | None:
        """The draft, only for the user who started it in that workspace."""
        return self.session.scalars(_draft(), _key(draft_id, team_id, user_id)).one_or_none()

    def get_for_update(self, draft_id: str, team_id: str, user_id: str) -> WizardDraft | None:
        """The draft as get finds it, its row locked until the transaction ends (on
        PostgreSQL; SQLite's writer holds the whole database): a use case that writes the
        draft from what it read cannot overwrite a change committed meanwhile."""
        found = self.session.scalars(_draft_for_update(), _key(draft_id, team_id, user_id))
        return found.one_or_none()

    def delete(self, draft: WizardDraft) -> None:
        self.session.delete(draft)

    def purge(self, before: datetime) -> int:
        """Removes drafts untouched since ``before`` (abandoned modals); returns how many."""
        result = self.session.execute(delete(WizardDraft).where(WizardDraft.updated_at < before))
        return int(getattr(result, "rowcount", 0) or 0)

    def note_page_hash(self, draft_id: str, team_id: str, user_id: str, page_hash: str) -> None:
        """Keeps the hash of the page the draft's modal shows ('' for no wizard page)."""
        self.session.execute(
            update(WizardDraft)
            .where(
                WizardDraft.id == draft_id,
                WizardDraft.team_id == team_id,
                WizardDraft.user_id == user_id,
            )
            .values(page_hash=page_hash)
        )

    def claim_input(self, draft_id: str, team_id: str, user_id: str, version: int) -> bool:
        """Makes ``version`` the draft's input version unless a newer input was stored: a
        compare-and-set, in one UPDATE, so that of two concurrent requests the one with the
        older input waits for the newer one's transaction and then finds it newer. False
        (nothing changed) when the draft holds a newer input, or is gone."""
        result = self.session.execute(
            update(WizardDraft)
            .where(
                WizardDraft.id == draft_id,
                WizardDraft.team_id == team_id,
                WizardDraft.user_id == user_id,
                or_(WizardDraft.input_version.is_(None), WizardDraft.input_version <= version),
            )
            .values(input_version=version)
        )
        return bool(getattr(result, "rowcount", 0))

    def page_hash(self, draft_id: str, team_id: str, user_id: str) -> str | None:
        """The hash last noted for the draft's modal, or None if none was noted."""
        query = select(WizardDraft.page_hash).where(
            WizardDraft.id == draft_id,
            WizardDraft.team_id == team_id,
            WizardDraft.user_id == user_id,
        )
        return self.session.scalars(query).one_or_none()


# A draft is read on every step of the wizard: its queries are built once (building one cost
# about as much as running it), the draft's key bound as parameters.


@cache
def _draft() -> Select[WizardDraft]:
    return select(WizardDraft).where(
        WizardDraft.id == bindparam("draft_id"),
        WizardDraft.team_id == bindparam("team_id"),
        WizardDraft.user_id == bindparam("user_id"),
    )


@cache
def _draft_for_update() -> Select[WizardDraft]:
    return _draft().with_for_update()


def _key(draft_id: str, team_id: str, user_id: str) -> dict[str, str]:
    return {"draft_id": draft_id, "team_id": team_id, "user_id": user_id}
