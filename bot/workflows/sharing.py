"""Workflows passed between people: transferring one to a new owner, and copying one into a
new workflow of one's own. Both are recorded in the workflows' histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.workflows.audit import record, stored_document
from bot.workflows.lifecycle import (
    Actor,
    NameTaken,
    WorkflowError,
    changeable_workflow,
    get_workflow,
    save_workflow,
)
from bot.workflows.owners import is_user_id
from bot.workflows.vocabulary import WorkflowEventKind, WorkflowStatus
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository


@dataclass(frozen=True)
class Transferred:
    name: str
    previous_owner: str
    owner: str


@dataclass(frozen=True)
class Copied:
    name: str
    status: str  # paused, or draft when the original is a draft
    copied_from: str
    owner: str


class AlreadyOwned(WorkflowError):
    """A transfer to whoever owns the workflow already."""

    def __init__(self, name: str, owner: str) -> None:
        super().__init__(f"{name!r} is already owned by {owner}: nothing changed.")
        self.owner = owner


def transfer_workflow(
    work: UnitOfWork, team_id: str, name: str, new_owner: str, actor: Actor, now: datetime
) -> Transferred:
    """Makes ``new_owner`` (a Slack user id: a person, which the caller checked when it
    can) the owner of the workflow; only its owner or an admin may. The definition keeps
    its revision: who owns it does not change what it does."""
    with work.writing() as session:
        workflow = changeable_workflow(session, team_id, name, actor)
        if not is_user_id(new_owner):
            raise WorkflowError(
                f"{new_owner!r} is not a Slack user id (U… or W…): name the person who is to own "
                f"{workflow.name!r}."
            )
        previous = workflow.owner_user_id
        if previous == new_owner:
            raise AlreadyOwned(workflow.name, new_owner)
        workflow.owner_user_id = new_owner
        workflow.updated_at = now
        session.flush()
        detail = {"from": previous, "to": new_owner}
        record(session, workflow, WorkflowEventKind.TRANSFERRED, actor.user_id, now, detail)
        return Transferred(workflow.name, previous, new_owner)


def copy_workflow(
    work: UnitOfWork,
    team_id: str,
    name: str,
    new_name: str,
    actor: Actor,
    default_timezone: str,
    now: datetime,
    owner: str | None = None,
) -> Copied:
    """A new workflow named ``new_name`` with the definition of the one named ``name``,
    owned by ``owner`` (default: ``actor`` when a person, else the original's owner). It
    starts paused (a draft stays a draft): nothing posts until someone activates it. Anyone
    who can see the original may copy it. Refused when ``new_name`` is taken, in any case."""
    with work.writing() as session:
        source = get_workflow(session, team_id, name)
        wanted = new_name.strip()
        for other in WorkflowRepository(session).same_name(team_id, wanted):
            raise NameTaken(other.name, wanted)
        new_owner = owner or (actor.user_id if is_user_id(actor.user_id) else source.owner_user_id)
        status = (
            WorkflowStatus.DRAFT.value
            if source.status == WorkflowStatus.DRAFT.value
            else WorkflowStatus.PAUSED.value
        )
        document = {**stored_document(source), "name": wanted, "owner": new_owner, "status": status}
        save_workflow(
            session,
            team_id,
            document,
            actor,
            default_timezone,
            now,
            detail={"copied_from": source.name},
        )
        record(session, source, WorkflowEventKind.COPIED, actor.user_id, now, {"to": wanted})
        return Copied(wanted, status, source.name, new_owner)
