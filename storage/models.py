"""The tables: object types and their properties, records, workflows, runs, enrollments and
action results. Everything a workspace owns carries its Slack team id. The statuses, outcomes and
kinds the columns hold are the domain's words, from ``bot.workflows.vocabulary``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.workflows.vocabulary import (
    ActionOutcome,
    RunSource,
    RunStatus,
    SourceKind,
    WorkflowEventKind,
    WorkflowStatus,
)
from storage.columns import PortableJSON, UTCDateTime

# Stable constraint names, so Alembic migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BUILT_IN_OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key for records.
RecordKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _check_in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class ObjectType(Base):
    __tablename__ = "object_types"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    built_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    properties: Mapped[list[PropertyDefinition]] = relationship(
        back_populates="object_type", order_by="PropertyDefinition.name"
    )


class PropertyDefinition(Base):
    __tablename__ = "property_definitions"
    __table_args__ = (
        UniqueConstraint("object_type_id", "name"),
        CheckConstraint(
            "type IN ('string', 'number', 'boolean', 'date', 'datetime', 'enumeration')",
            name="type",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type_id: Mapped[int] = mapped_column(ForeignKey("object_types.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(16))
    # Enumeration options in first-seen order; null for other types.
    options: Mapped[list[str] | None] = mapped_column(PortableJSON)
    # What the dialogs show for the property and its options (HubSpot's labels); null:
    # the name and the values themselves.
    label: Mapped[str | None] = mapped_column(String(255))
    option_labels: Mapped[dict[str, str] | None] = mapped_column(PortableJSON)

    object_type: Mapped[ObjectType] = relationship(back_populates="properties")


class Record(Base):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("object_type_id", "external_id"),
        # What a source sync reads first: the digests of a type's live records, from this
        # index alone. By id, so that new records are appended to it.
        Index(
            None,
            "object_type_id",
            "id",
            "source_digest",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The removed records, usually few: a digest finds those of its 100,000 enrollments
        # removed since it enrolled them by probing this small index, not the records' rows.
        Index(
            "ix_records_removed",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
            sqlite_where=text("deleted_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(RecordKey, primary_key=True, autoincrement=True)
    object_type_id: Mapped[int] = mapped_column(ForeignKey("object_types.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)
    # A Slack user id or an email (resolved to a Slack user through owner_directory).
    owner: Mapped[str | None] = mapped_column(String(255))
    # Canonical typed values (see storage.properties); an unknown property has no key.
    properties: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    # Case-folded copies of the text properties, what case-insensitive criteria compare.
    folded: Mapped[dict[str, str]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Removed from its source or by `records delete`: kept so that past runs still show it,
    # never enrolled again; importing it again clears this.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A digest of the source row a sync last wrote the record from (with the query's
    # columns): a sync skips a row whose digest is unchanged. Null once anything else
    # writes the record, so the next sync compares it in full.
    source_digest: Mapped[int | None] = mapped_column(BigInteger)
    # Installed by the sample (bot.workflows.samples): `sample remove` deletes it.
    is_sample: Mapped[bool] = mapped_column(server_default=false())


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        # "Deals" and "deals" would make a command naming either one ambiguous.
        Index("uq_workflows_team_id_lower_name", "team_id", func.lower(text("name")), unique=True),
        CheckConstraint(_check_in("status", WorkflowStatus), name="status"),
        Index(None, "status", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    object_type_id: Mapped[int] = mapped_column(ForeignKey("object_types.id"))
    schedule: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    criteria: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    suppression: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON)
    settings: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    status: Mapped[str] = mapped_column(String(16), default=WorkflowStatus.DRAFT.value)
    owner_user_id: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The next scheduled instant, kept by the engine; the database decides what is due.
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The sample workflow (bot.workflows.samples): never adopted by a Slack workspace.
    is_sample: Mapped[bool] = mapped_column(server_default=false())
    # Deleted, and restorable for a while (bot.workflows.trash): its runs, revisions and
    # events stay. The name it had is in ``deleted_name``; ``name`` is moved aside to a
    # key no typed name can equal, so that the name is free at once.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    deleted_name: Mapped[str | None] = mapped_column(String(200))

    object_type: Mapped[ObjectType] = relationship()


class WorkflowRevision(Base):
    """One saved definition of a workflow (its document, as a file would hold it), with who
    saved it and when: what a run of that revision ran, and what a diff compares."""

    __tablename__ = "workflow_revisions"
    __table_args__ = (UniqueConstraint("workflow_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    author: Mapped[str] = mapped_column(String(32))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowEvent(Base):
    """The audit history: who did what to a workflow, when. Kept when the workflow is
    purged (``workflow_id`` becomes null), with its team and the name it had then."""

    __tablename__ = "workflow_events"
    __table_args__ = (
        CheckConstraint(_check_in("kind", WorkflowEventKind), name="kind"),
        Index(None, "workflow_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="SET NULL"))
    workflow_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int | None] = mapped_column(Integer)
    # What else there is to say, e.g. {"run_id": 7} or {"from": "U1", "to": "U2"}.
    detail: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        # One row per occurrence: the key is the occurrence's local wall time (or a manual id).
        UniqueConstraint("workflow_id", "occurrence_key"),
        CheckConstraint(_check_in("status", RunStatus), name="status"),
        CheckConstraint(_check_in("source", RunSource), name="source"),
        Index(None, "status", "lease_expires_at"),
        Index(None, "retry_of"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    occurrence_key: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.PENDING.value)
    triggered_by: Mapped[str | None] = mapped_column(String(32))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many times a process claimed this run: above one, it is resuming after a crash.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set once the run's enrollments are written: a resumed run does not evaluate again.
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the run did, in counts (RunSummary.to_json): nothing in it changes what a run does.
    # Its missed_not_recorded (occurrences the planner left out, noted before the run) is
    # kept for auditing: nothing reads it back.
    summary: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A manual run of every record matching the criteria (Run now), not of records chosen by
    # hand: it evaluates the criteria as a scheduled run does (see enrolls_by_criteria).
    evaluates_all_records: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Why the run was skipped, missed, deferred, cancelled or stopped; None when nothing
    # kept it from running as planned.
    reason: Mapped[str | None] = mapped_column(Text)
    # A run deferred past a pause day: the instant its occurrence had (scheduled_at is later).
    deferred_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether the run's owner was sent a failure alert about it: kept for auditing (nothing
    # reads it back; a resumed run finds its alert in Slack by its mark).
    owner_alerted: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The run enrolled on data older than its source allows (StaleData.to_json: the source,
    # how old its data was and why it could not be synced). Written at enrollment, read
    # only to word the run's summary, so it stays a small JSON object of its own.
    stale_source: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    # A manual run that retries the failed actions of this earlier run (Re-run failed).
    # Not a foreign key: SQLite adds one only by rebuilding runs, and dropping the old table
    # would delete every run's enrollments and results (ON DELETE CASCADE). Runs are deleted
    # only with their workflow, the run and its re-run together.
    retry_of: Mapped[int | None] = mapped_column(Integer)
    # The newest record's id when the run enrolled by its criteria: a record with a larger
    # one was not stored yet then (ids only grow), whatever created_at its source gave it.
    newest_record_id: Mapped[int | None] = mapped_column(RecordKey)

    @property
    def enrolls_by_criteria(self) -> bool:
        """Whether the criteria chose the run's records (a scheduled run, or Run now), rather
        than someone by hand: such a run syncs a stale source first, and `why` can tell
        from it whether a record then matched."""
        return self.source == RunSource.SCHEDULE.value or self.evaluates_all_records


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("run_id", "record_id"),
        CheckConstraint(_check_in("source", RunSource), name="source"),
        Index(None, "record_id"),
    )

    id: Mapped[int] = mapped_column(RecordKey, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    enrolled_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ActionResult(Base):
    __tablename__ = "action_results"
    __table_args__ = (
        UniqueConstraint("run_id", "record_id", "action_index"),
        CheckConstraint(_check_in("outcome", ActionOutcome), name="outcome"),
        # A result is of a record the run enrolled: one key to the enrollment, where keys to
        # the run and the record checked (and locked) the record's row for every result,
        # most of the cost of writing a 100,000-record digest's results on PostgreSQL.
        # Deleting a run or a record still deletes its results, through its enrollments.
        ForeignKeyConstraint(
            ["run_id", "record_id"],
            ["enrollments.run_id", "enrollments.record_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(RecordKey, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[int] = mapped_column(RecordKey)
    action_index: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    # What the action produced outside, e.g. the channel and ts of a posted message.
    reference: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunDigest(Base):
    """The sections of one digest of a run (its action ``action_index``) as the run laid
    them out before posting its parent: a resumed run, or a re-run of a digest that may be
    missing replies, posts the missing replies from these, not from the records as they are
    by then (a record changed meanwhile would move lines from one reply to another). Kept
    while the digest may be missing replies."""

    __tablename__ = "run_digests"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    action_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which text of the action the sections were laid out for (bot.workflows.digest.
    # layout_fingerprint): a workflow edited since has a layout of another action. Empty for
    # layouts kept before the column: they match no action.
    action_fingerprint: Mapped[str] = mapped_column(String(64), server_default="")
    # The parent's section, then its replies' (bot.workflows.digest.digest_sections).
    sections: Mapped[list[str]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WizardDraft(Base):
    """A workflow being created or edited in the Slack wizard: the modal holds only this id.

    ``document`` is the workflow document in its file form, as far as the user has filled
    it in; ``layout`` changes whenever filters or actions are added, removed or moved, so
    the modal's block ids change and Slack does not carry a value over to another row.
    """

    __tablename__ = "wizard_drafts"
    __table_args__ = (Index(None, "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # The workflow being edited; None while creating.
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer, default=1)
    layout: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The hash of the page the modal shows ('' when it shows no wizard page, None before a
    # page was shown): a views.update refused for a stale hash redraws with it.
    page_hash: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The version of the latest input stored (when it was made, in microseconds); None
    # before one was. An older input is not stored over a newer one (DraftRepository).
    input_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class HandledEvent(Base):
    """Slack events already acted on: a redelivery (X-Slack-Retry-Num) finds its id here."""

    __tablename__ = "handled_events"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class HandledRequest(Base):
    """Signed Slack requests (commands, clicks, submissions) already acted on, by a hash of
    their signature: a replay within the signature's five-minute window finds it here."""

    __tablename__ = "handled_requests"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class OwnerDirectory(Base):
    """Owner emails of a workspace resolved to Slack users (users.lookupByEmail); an email
    Slack does not know has no user. ``checked_at`` says when Slack was last asked."""

    __tablename__ = "owner_directory"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(255), primary_key=True)  # case-folded
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordSource(Base):
    """Where one object type's records come from: a query run against a database whose URL
    is read from the environment variable ``url_env`` at each sync (never stored), and how
    the last sync went. A sync is a full snapshot of the type's records."""

    __tablename__ = "record_sources"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        UniqueConstraint("object_type_id"),  # one source feeds one type
        CheckConstraint(_check_in("kind", SourceKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    object_type_id: Mapped[int] = mapped_column(ForeignKey("object_types.id", ondelete="CASCADE"))
    url_env: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    id_column: Mapped[str] = mapped_column(String(63))
    # Synced on this period by the scheduler; None: only before runs and by hand.
    sync_every_seconds: Mapped[int | None] = mapped_column(Integer)
    # A run of a workflow on this type syncs first when the last success is older.
    max_staleness_seconds: Mapped[int] = mapped_column(Integer, default=300)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_added: Mapped[int | None] = mapped_column(Integer)
    last_changed: Mapped[int | None] = mapped_column(Integer)
    last_removed: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # When the owners of the workflows on this type were told of the current failure: once
    # per failure, not at every tick; cleared by a successful sync.
    failure_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One process syncs a source at a time, as runs are claimed.
    sync_lease_owner: Mapped[str | None] = mapped_column(String(128))
    sync_lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # HubSpot sources (kind 'hubspot'; ``url_env`` names the variable of the private app's
    # token, ``query`` and ``id_column`` are empty): the object read, as the APIs name it
    # (deals, or a custom object's objectTypeId), and the property naming its records.
    hubspot_object: Mapped[str | None] = mapped_column(String(100))
    hubspot_name_property: Mapped[str | None] = mapped_column(String(100))
    # Where the next incremental sync starts (a last-modified instant, in milliseconds);
    # None: the next sync is a first, full one.
    hubspot_cursor_ms: Mapped[int | None] = mapped_column(BigInteger)
    # HubSpot's daily request budget as it last reported it.
    daily_limit: Mapped[int | None] = mapped_column(Integer)
    daily_remaining: Mapped[int | None] = mapped_column(Integer)
    # The portal's id and its app's domain (account-info), which links to a record's page
    # in HubSpot need; read at the first sync.
    hubspot_portal_id: Mapped[int | None] = mapped_column(BigInteger)
    hubspot_ui_domain: Mapped[str | None] = mapped_column(String(100))


class SampleInstallation(Base):
    """That this database once received the sample: it is never installed twice."""

    __tablename__ = "sample_installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RunSkip(Base):
    """One occurrence of a workflow skipped once by hand (Skip next run): the planner makes
    it a skipped run, in the name of who asked."""

    __tablename__ = "run_skips"
    __table_args__ = (UniqueConstraint("workflow_id", "occurrence_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    occurrence_key: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordSnooze(Base):
    """A record kept out of one workflow's criteria-based runs until ``until`` (Snooze a
    record); one row per workflow and record, a new snooze replaces the old one."""

    __tablename__ = "record_snoozes"
    __table_args__ = (UniqueConstraint("workflow_id", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordVersion(Base):
    """The values a record had until ``valid_until``, the instant a change replaced them
    (an import, a sync, an action, a removal): what `why` evaluates a past run's criteria
    on. The values at an instant are those of the record's first version still valid
    after it, or the record's own row when none is."""

    __tablename__ = "record_versions"
    __table_args__ = (
        Index(None, "record_id", "valid_until"),
        # What pruning deletes by.
        Index(None, "valid_until"),
    )

    id: Mapped[int] = mapped_column(RecordKey, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(RecordKey, ForeignKey("records.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    folded: Mapped[dict[str, str]] = mapped_column(PortableJSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordVersionsKept(Base):
    """Since when record_versions holds every change (one row, or none: since always).
    Versions older than that were pruned, or written before versions were kept at all."""

    __tablename__ = "record_versions_kept"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
