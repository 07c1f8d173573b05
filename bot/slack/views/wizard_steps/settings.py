"""Wizard step 5, settings and suppression: the settings' inputs and the suppression
editor, reading them back and placing their problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.slack.ids import WizardAction, WizardBlock
from bot.slack.views import criteria_editor
from bot.slack.views.blocks import (
    Block,
    conversations_select,
    divider,
    fits_option_value,
    input_block,
    number_input,
    option,
    plain_text_input,
    radio_buttons,
    static_select,
)
from bot.slack.views.editor_inputs import fits_input, kept_as_it_is, typed_list
from bot.slack.views.input_places import SETTINGS_BLOCKS
from bot.slack.views.places import COUNTRIES
from bot.slack.views.wizard_steps.inputs import (
    StateValues,
    as_list,
    is_int,
    number_or_none,
    select_block,
    sentence,
    shown,
    value_of,
)
from bot.slack.views.wizard_steps.placing import Placed, own_inputs, place_on
from bot.workflows.definitions import (
    DEFAULT_CATCH_UP_MINUTES,
    MAX_CATCH_UP_MINUTES,
    AlertOwner,
    PauseBehaviour,
    StaleSourceBehaviour,
    supported_countries,
)
from bot.workflows.draft_document import (
    DraftDocument,
    SettingsDocument,
    criteria_of,
    settings_of,
)
from bot.workflows.drafts import WizardPage, WizardStep
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import SUMMARY_WORDS

NO_SUMMARY = "none"


NO_HOLIDAYS = "none"


PAUSE_BEHAVIOURS = (
    (PauseBehaviour.DEFER, "Run on the next day that is not a pause day"),
    (PauseBehaviour.SKIP, "Skip that run"),
)


# The failure alert's choices, in plain words (the file's values are any_failure...).
ALERT_CHOICES = (
    (AlertOwner.ANY_FAILURE, "When any action of a run fails"),
    (AlertOwner.ALL_FAILED, "Only when every action of a run fails"),
    (AlertOwner.NEVER, "Never"),
)


STALE_SOURCE_BEHAVIOURS = (
    (StaleSourceBehaviour.RUN, "Run with the records as last synced, and say so in the summary"),
    (StaleSourceBehaviour.POSTPONE, "Wait and try the source again (up to 12 minutes)"),
)


def render(page: WizardPage) -> list[Block]:
    settings = settings_of(page.document)
    channel = settings.get("summary_channel")
    conversations = conversations_select(
        WizardAction.INPUT,
        "Choose a channel",
        initial_conversation=channel if isinstance(channel, str) else None,
        include=["public", "private"],
        exclude_bot_users=True,
    )
    summaries = [option(sentence(text), value) for value, text in SUMMARY_WORDS.items()]
    summaries.append(option("No summary", NO_SUMMARY))
    # Without a channel there is no summary whatever the policy: "No summary" is there to
    # remove a channel, which a channel select cannot be emptied of.
    summary = radio_buttons(
        WizardAction.INPUT,
        summaries,
        initial_option=next(
            (o for o in summaries if o["value"] == settings.get("summary")), summaries[1]
        ),
    )
    behaviours = [option(text, value) for value, text in PAUSE_BEHAVIOURS]
    skips = settings.get("on_pause_day") == PauseBehaviour.SKIP
    behaviour = radio_buttons(
        WizardAction.INPUT, behaviours, initial_option=behaviours[1 if skips else 0]
    )
    catch_up = settings.get("catch_up_minutes", DEFAULT_CATCH_UP_MINUTES)
    minutes = number_input(
        WizardAction.INPUT,
        min_value=0,
        max_value=MAX_CATCH_UP_MINUTES,
        initial_value=str(catch_up) if is_int(catch_up) else str(DEFAULT_CATCH_UP_MINUTES),
    )
    suppression = criteria_of(page.document, "suppression")
    return [
        input_block(
            "Summary channel",
            conversations,
            block_id=WizardBlock.SUMMARY_CHANNEL,
            optional=True,
            hint="After runs, post a summary of what happened here. Invite the bot there first.",
        ),
        input_block("Post the summary", summary, block_id=WizardBlock.SUMMARY),
        _pause_days_block(settings),
        input_block(
            "Public holidays",
            holidays_select(settings.get("holidays")),
            block_id=WizardBlock.HOLIDAYS,
            optional=True,
        ),
        input_block(
            "When a run falls on a pause day", behaviour, block_id=WizardBlock.ON_PAUSE_DAY
        ),
        _alert_owner_block(settings),
        *_stale_source_blocks(page.source, settings),
        input_block(
            "Catch-up window (minutes)",
            minutes,
            block_id=WizardBlock.CATCH_UP,
            hint="A run missed while the bot was down still happens if at most this late; "
            f"0 runs only on time, {MAX_CATCH_UP_MINUTES} is a week.",
        ),
        divider(),
        *criteria_editor.criteria_blocks(
            "suppression", suppression, page.properties, page.layout, page.options, page.labels
        ),
    ]


def _pause_days_block(settings: SettingsDocument) -> Block:
    days = typed_list([str(day) for day in as_list(settings.get("pause_days"))])
    if not fits_input(days):
        return kept_as_it_is("Pause days", WizardBlock.PAUSE_DAYS)
    element = plain_text_input(
        WizardAction.INPUT, placeholder="e.g. 12-25, 2026-11-26", initial_value=days
    )
    return input_block(
        "Pause days",
        element,
        block_id=WizardBlock.PAUSE_DAYS,
        optional=True,
        hint='Days without runs, separated by commas: "12-25" every year, "2026-11-26" once.',
    )


def _alert_owner_block(settings: SettingsDocument) -> Block:
    """When the owner gets a direct message about failed actions (default: any failure)."""
    choices = [option(text, value) for value, text in ALERT_CHOICES]
    chosen = settings.get("alert_owner")
    element = static_select(
        WizardAction.INPUT,
        options=choices,
        initial_option=next((o for o in choices if o["value"] == chosen), choices[0]),
    )
    return input_block(
        "Tell the owner about failed actions",
        element,
        block_id=WizardBlock.ALERT_OWNER,
        hint="A direct message to the workflow's owner, once per run, naming the records "
        "that failed and why.",
    )


def _stale_source_blocks(source: str | None, settings: SettingsDocument) -> list[Block]:
    """What a run does when the source feeding its records cannot be synced before it: a
    choice only for a type that a source feeds."""
    if source is None:
        return []
    choices = [option(text, value) for value, text in STALE_SOURCE_BEHAVIOURS]
    chosen = settings.get("on_stale_source") == StaleSourceBehaviour.POSTPONE
    element = radio_buttons(
        WizardAction.INPUT, choices, initial_option=choices[1] if chosen else choices[0]
    )
    label = f"When the source {source} cannot be synced before a run"
    return [input_block(label, element, block_id=WizardBlock.ON_STALE_SOURCE)]


def holidays_select(current: object) -> Block:
    """The select of a country whose public holidays count (``current``: the one chosen)."""
    supported = supported_countries()
    countries = {code: name for code, name in COUNTRIES.items() if code in supported}
    if isinstance(current, str) and fits_option_value(current):
        countries.setdefault(current, current)
    options = [option("No public holidays", NO_HOLIDAYS)] + [
        option(f"{name} ({code})", code)
        for code, name in sorted(countries.items(), key=lambda item: item[1])
    ]
    element = select_block(options, current if current else NO_HOLIDAYS, "Choose a country")
    element["action_id"] = WizardAction.INPUT
    return element


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    updated["settings"] = _read_settings(values, settings_of(document))
    suppression = criteria_of(document, "suppression")
    updated["suppression"] = criteria_editor.read_criteria(
        "suppression", values, suppression, properties, layout
    )


def _read_settings(values: StateValues, old: SettingsDocument) -> SettingsDocument:
    settings = old.copy()
    if shown(values, WizardBlock.SUMMARY_CHANNEL) or shown(values, WizardBlock.SUMMARY):
        channel = value_of(values, WizardBlock.SUMMARY_CHANNEL)
        policy = value_of(values, WizardBlock.SUMMARY) or settings.get("summary")
        settings.pop("summary_channel", None)
        settings.pop("summary", None)
        if policy != NO_SUMMARY:
            if channel is not None:
                settings["summary_channel"] = channel
            if policy is not None:
                settings["summary"] = policy
    if shown(values, WizardBlock.PAUSE_DAYS):
        text = value_of(values, WizardBlock.PAUSE_DAYS) or ""
        settings["pause_days"] = [day for day in re.split(r"[\s,;]+", text) if day]
    if shown(values, WizardBlock.HOLIDAYS):
        country = value_of(values, WizardBlock.HOLIDAYS)
        settings.pop("holidays", None)
        if country is not None and country != NO_HOLIDAYS:
            settings["holidays"] = country
    if behaviour := value_of(values, WizardBlock.ON_PAUSE_DAY):
        settings["on_pause_day"] = behaviour
    if stale := value_of(values, WizardBlock.ON_STALE_SOURCE):
        settings["on_stale_source"] = stale
    if alert := value_of(values, WizardBlock.ALERT_OWNER):
        settings.pop("alert_owner", None)
        if alert != AlertOwner.ANY_FAILURE:  # the default, which a file leaves out too
            settings["alert_owner"] = alert
    if shown(values, WizardBlock.CATCH_UP):
        raw = (value_of(values, WizardBlock.CATCH_UP) or "").strip()
        minutes = number_or_none(raw)
        if minutes is not None:
            settings["catch_up_minutes"] = minutes
        elif raw:
            settings["catch_up_minutes"] = raw
        else:
            settings.pop("catch_up_minutes", None)
    return settings


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """A problem of the suppression on its filter's row (the editor places it), else of the
    settings on their input."""
    root = problem.location[0] if problem.location else None
    if root == "suppression":
        found = criteria_editor.criteria_errors(
            "suppression", [problem], criteria_of(document, "suppression"), layout, property_labels
        )
        if found:
            return next(iter(found.items()))
    page = WizardPage("", WizardStep.SETTINGS, 0, document)
    # The suppression editor's inputs are its own to place.
    inputs = own_inputs(render(page))
    labels = {b: label for b, label in inputs.items() if b in SETTINGS_BLOCKS.values()}
    return place_on(labels, problem, layout, property_labels=property_labels)
