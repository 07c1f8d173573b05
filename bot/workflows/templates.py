"""Message templates of workflow actions: ``{{ placeholder }}`` text parsed and checked when a
workflow is saved, rendered per record with record values escaped for Slack mrkdwn."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from bot.workflows.owners import is_user_id
from bot.workflows.problems import InvalidDocument, Problem, ProblemCode
from storage.properties import StoredValue

# Slack user ids: U... for ordinary users, W... for Enterprise Grid users.
# What a property the record has no value for renders as: an empty string would leave
# "Amount: " looking like a bug in the message, a dash reads as "not known".
MISSING_VALUE = "—"
NO_OWNER = "no owner"

NAME = "name"
OWNER = "owner"
ID = "id"
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"
RUN_DATE = "run.date"
WORKFLOW_NAME = "workflow.name"
# A link to the record's page in HubSpot, for records a HubSpot source feeds.
HUBSPOT_LINK = "hubspot.link"
PROPERTY_PREFIX = "properties."
FIXED_PLACEHOLDERS = (
    NAME,
    OWNER,
    ID,
    CREATED_AT,
    UPDATED_AT,
    RUN_DATE,
    WORKFLOW_NAME,
    HUBSPOT_LINK,
)
# What {{ hubspot.link }} shows: the link's text.
HUBSPOT_LINK_TEXT = "View in HubSpot"
# How {{ created_at }} and {{ updated_at }} show: the local date and time in the workflow's zone.
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M"

# Whitespace inside the braces is optional; the name itself is checked after matching, so a
# misspelt placeholder is reported rather than left in the message as literal text.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_MAX_SHOWN = 60


class InvalidTemplate(InvalidDocument):
    """A template that cannot be used: one Problem per problem found, located at the
    template itself (the reader of the document it is in places them)."""


# Unicode's explicit direction controls: embeddings and overrides (U+202A-U+202E), isolates
# (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). In a value they can reorder how the
# rest of the message displays ("invoice_\u202egnp.exe" shows as "invoice_exe.png"), so what
# the reader sees is not what the record says. They are removed rather than shown as a marker:
# right-to-left text stays readable without them (the bidirectional algorithm orders it by its
# letters; marks only adjust where neutral punctuation falls), a marker would clutter every
# Arabic or Hebrew value that carries a mark, and removal drops no visible character.
_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def cut_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn ``text`` cut to at most ``limit`` characters, never inside one of the
    entities escape_mrkdwn writes (a cut ``&am`` would show as it is) nor inside a link or
    mention (``<http://x|label>``, ``<@U1>``; a cut one would show its markup)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    started = cut.rfind("&")
    if started != -1 and ";" not in cut[started:]:
        cut = cut[:started]  # the entity that begins there does not end before the limit
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        cut = cut[:opened]  # the link that begins there does not end before the limit
    return cut


def escape_mrkdwn(text: str) -> str:
    """``text`` made inert in Slack mrkdwn: no mention, link or special command can come of
    it, and no direction control can reorder the message around it.

    Slack gives meaning to ``&``, ``<`` and ``>`` only (``<!channel>``, ``<@U1>``,
    ``<http://x|label>``), so those three are escaped and nothing else: escaping more
    would show backslashes or entities in the message. Direction controls are removed
    (see _BIDI_CONTROLS).
    """
    text = text.translate(_BIDI_CONTROLS)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class RenderContext:
    """What placeholders render from: one record at one run of one workflow."""

    record_id: str  # the record's external id, as imported: what people know it by
    name: str
    owner: str | None
    properties: Mapping[str, StoredValue]
    run_date: date
    workflow_name: str
    # The Slack user the owner is, when known: the owner itself when it is a user id, or the
    # user an owner email resolved to (bot.workflows.owners). None: the owner shows as text.
    owner_user: str | None = None
    # The record's built-in dates, shown in ``zone``: the workflow's time zone.
    created_at: datetime | None = None
    updated_at: datetime | None = None
    zone: tzinfo = UTC
    # The record's page in HubSpot (bot.workflows.hubspot_schema.record_page); None: the
    # record does not come from HubSpot, or its portal is not known yet.
    hubspot_page: str | None = None


@dataclass(frozen=True)
class Placeholder:
    """One ``{{ ... }}`` in a template; ``name`` is e.g. ``owner`` or ``properties.amount``."""

    name: str

    @property
    def property_name(self) -> str | None:
        if self.name.startswith(PROPERTY_PREFIX):
            return self.name.removeprefix(PROPERTY_PREFIX)
        return None

    def render(self, context: RenderContext, mrkdwn: bool = True) -> str:
        """The value for ``context``: escaped (and a mention or link made) for Slack mrkdwn,
        or, with ``mrkdwn`` False, as it is, for text stored or sent outside Slack."""
        shown = escape_mrkdwn if mrkdwn else str
        if self.name == OWNER:
            return _owner_text(context.owner, context.owner_user, mrkdwn)
        if self.name == RUN_DATE:
            return context.run_date.isoformat()
        if self.name == ID:
            return shown(context.record_id)
        if self.name == NAME:
            return shown(context.name)
        if self.name == WORKFLOW_NAME:
            return shown(context.workflow_name)
        if self.name == HUBSPOT_LINK:
            # The address is built from digits and HubSpot's own domain only (record_page).
            page = context.hubspot_page
            if page is None:
                return MISSING_VALUE
            return f"<{page}|{HUBSPOT_LINK_TEXT}>" if mrkdwn else f"{HUBSPOT_LINK_TEXT} ({page})"
        if self.name in (CREATED_AT, UPDATED_AT):
            instant = context.created_at if self.name == CREATED_AT else context.updated_at
            return MISSING_VALUE if instant is None else local_time(instant, context.zone)
        value = context.properties.get(self.property_name or "")
        return MISSING_VALUE if value is None else shown(_display(value))


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and placeholders in order. Build it with
    ``parse_template``; ``text`` is the source as written, which the parts come from.

    The literal text is the workflow author's and is sent as written, not escaped: authors
    may write links, mentions and formatting on purpose. Only values that come from records
    (and the workflow's name) are escaped, with ``escape_mrkdwn``.
    """

    text: str
    parts: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(part.name for part in self.parts if isinstance(part, Placeholder))

    @property
    def properties_used(self) -> frozenset[str]:
        return frozenset(
            part.property_name
            for part in self.parts
            if isinstance(part, Placeholder) and part.property_name is not None
        )

    def render(self, context: RenderContext) -> str:
        """The text for Slack mrkdwn: record values escaped."""
        return "".join(
            part.render(context) if isinstance(part, Placeholder) else part for part in self.parts
        )

    def render_as_typed(self, context: RenderContext) -> str:
        """The text as typed, with record values inserted as they are: for what is stored or
        sent outside Slack (a task's title and notes, in HubSpot or as a local record), which
        is escaped only where it is shown in mrkdwn."""
        return "".join(
            part.render(context, mrkdwn=False) if isinstance(part, Placeholder) else part
            for part in self.parts
        )


def parse_template(text: str, property_names: Collection[str] | None) -> Template:
    """Splits ``text`` into literal text and placeholders, checking every placeholder.

    ``property_names`` are the properties of the records the template renders; None skips
    the check of property names (when the object type itself is not known). Raises
    InvalidTemplate listing every unknown placeholder, with the closest known one as a hint.
    """
    parts: list[str | Placeholder] = []
    problems: list[Problem] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position : match.start()])
        placeholder = Placeholder(match[1])
        problem = _problem(placeholder, property_names)
        if problem is not None:
            problems.append(problem)
        parts.append(placeholder)
        position = match.end()
    parts.append(text[position:])
    problems.extend(_stray_braces(parts))
    if problems:
        raise InvalidTemplate(problems)
    return Template(text, tuple(part for part in parts if part != ""))


def _problem(placeholder: Placeholder, property_names: Collection[str] | None) -> Problem | None:
    """An UNKNOWN_PLACEHOLDER (params: placeholder as shown, property when it names one the
    records lack, suggestion: the closest known placeholder or None), or None."""
    name = placeholder.name
    if name in FIXED_PLACEHOLDERS:
        return None
    property_name = placeholder.property_name
    if property_name and (property_names is None or property_name in property_names):
        return None
    shown = _shown(name)
    suggestion = _closest(name, property_names)
    if suggestion:
        tail = f"; did you mean {suggestion}?"
    else:
        tail = f"; use one of {', '.join(FIXED_PLACEHOLDERS)} or properties.<name>"
    if property_name:
        head = f"{shown}: the records have no property {property_name!r}"
    else:
        head = f"unknown placeholder {shown}"
    params = {"placeholder": shown, "property": property_name or None, "suggestion": suggestion}
    return Problem((), ProblemCode.UNKNOWN_PLACEHOLDER, head, tail, params)


def _closest(name: str, property_names: Collection[str] | None) -> str | None:
    known = [*FIXED_PLACEHOLDERS, *(PROPERTY_PREFIX + p for p in sorted(property_names or ()))]
    close = difflib.get_close_matches(name, known, n=1)
    return close[0] if close else None


def _stray_braces(parts: list[str | Placeholder]) -> list[Problem]:
    # "{{ name" or "name }}" is almost always a typo that would reach the channel verbatim.
    problems = []
    for part in parts:
        if isinstance(part, str) and ("{{" in part or "}}" in part):
            head = f"unmatched braces in {_excerpt(part)}"
            tail = ": write placeholders as {{ name }}"
            params = {"excerpt": _cut(part.strip())}
            problems.append(Problem((), ProblemCode.UNMATCHED_BRACES, head, tail, params))
    return problems


def local_time(instant: datetime, zone: tzinfo) -> str:
    """An instant as people read it where the workflow runs, e.g. ``2026-12-06 09:30``."""
    return instant.astimezone(zone).strftime(LOCAL_TIME_FORMAT)


def _owner_text(owner: str | None, user: str | None, mrkdwn: bool = True) -> str:
    """A mention of the owner's Slack user when there is one (@U123 outside mrkdwn), else
    the owner as written (an email Slack does not know, or any text), escaped for mrkdwn: an
    owner must never become markup."""
    if owner is None:
        return NO_OWNER
    user = user if user is not None and is_user_id(user) else owner
    if is_user_id(user):
        return f"<@{user}>" if mrkdwn else f"@{user}"
    return escape_mrkdwn(owner) if mrkdwn else owner


def _display(value: StoredValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _shown(name: str) -> str:
    placeholder = f"{{{{ {name} }}}}"
    return placeholder if len(placeholder) <= _MAX_SHOWN else placeholder[: _MAX_SHOWN - 1] + "…"


def _excerpt(text: str) -> str:
    return repr(_cut(text.strip()))


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
