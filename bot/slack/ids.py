"""Every Slack id the bot defines, once: slash command, callback ids, block ids and action ids.

A typo in an id is then an import error, not a silent dead button. Each surface has its own
enum; values are what Slack sends back to us.
"""

from __future__ import annotations

from enum import StrEnum

SLASH_COMMAND = "/workflow"


class Shortcut(StrEnum):
    ENROLL = "enroll_in_workflow"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
    APP_UNINSTALLED = "app_uninstalled"
    TOKENS_REVOKED = "tokens_revoked"


class View(StrEnum):
    """callback_id of every modal."""

    WIZARD = "workflow_wizard"
    LOADING = "loading"
    ENROLL = "enroll_in_workflow_modal"
    HISTORY = "workflow_history"
    RUN_DETAILS = "run_details_modal"
    NOTICE = "notice"  # a modal that only says something, e.g. why a click was refused
    SNOOZE = "snooze_record_modal"  # pick a record a run enrolled, and for how many days
    WHY = "why_enrolled"  # pick a record: why it is (not) enrolled by a workflow
    TRANSFER = "transfer_workflow"  # choose a workflow's new owner


class CommandAction(StrEnum):
    """Buttons in the bot's replies to /workflow."""

    CONFIRM_DELETE = "workflow_delete_confirm"
    CANCEL_DELETE = "workflow_delete_cancel"


class HomeAction(StrEnum):
    """Buttons of each workflow on the App Home tab; a button's value is the workflow's name."""

    RUN = "home_run"
    PAUSE = "home_pause"
    ACTIVATE = "home_activate"
    EDIT = "home_edit"
    HISTORY = "home_history"
    WHY = "home_why"
    TRANSFER = "home_transfer"


class TransferBlock(StrEnum):
    """The "Transfer a workflow" modal's input: the new owner, chosen among the people."""

    NEW_OWNER = "transfer_new_owner"


class TransferAction(StrEnum):
    NEW_OWNER = "transfer_new_owner"


class HistoryAction(StrEnum):
    """The Details button of a run: in /workflow history replies, the history modal and run
    summaries posted to channels; its value is the run id."""

    DETAILS = "run_details"


class SummaryAction(StrEnum):
    """The buttons a run summary (and a failure alert) carries beside Details, for the
    workflow's owner or an admin; their value is the run id. UNDO_SKIP is in the reply to
    SKIP_NEXT; its value names the workflow and the skipped occurrence."""

    RERUN_FAILED = "summary_rerun_failed"
    SKIP_NEXT = "summary_skip_next"
    UNDO_SKIP = "summary_undo_skip"
    SNOOZE = "summary_snooze"


class SnoozeAction(StrEnum):
    """Inputs of the Snooze a record modal; RECORD loads its options when a run enrolled
    too many records to list."""

    RECORD = "snooze_record"
    DAYS = "snooze_days"


class SnoozeBlock(StrEnum):
    RECORD = "snooze_record"
    DAYS = "snooze_days"


class WhyAction(StrEnum):
    """Why a record is (not) enrolled: the record picker of the App Home's modal (its options
    are loaded as the user types), and the buttons of /workflow why when several records
    match what was typed (a button's value names the workflow and the record)."""

    RECORD = "why_record"
    PICK = "why_pick"


class WhyBlock(StrEnum):
    RECORD = "why_record"


class EnrollAction(StrEnum):
    """Inputs of the "Enroll in workflow" modal; WORKFLOW and RECORDS also load options."""

    WORKFLOW = "enroll_workflow"  # dispatches: choosing one shows its records
    RECORDS = "enroll_records"
    CREATE = "enroll_create"
    NAME = "enroll_name"


class EnrollBlock(StrEnum):
    """block_id of the "Enroll in workflow" modal's inputs. The records input's block id is
    RECORDS + "." + the workflow id, so that Slack drops records chosen for another workflow."""

    WORKFLOW = "enroll_workflow"
    RECORDS = "enroll_records"
    CREATE = "enroll_create"
    NAME = "enroll_name"


class WizardAction(StrEnum):
    """Buttons and dispatched inputs inside the create/edit wizard."""

    BACK = "wizard_back"
    SAVE_DRAFT = "wizard_save_draft"
    # Criteria and actions editors (bot/slack/views/criteria_editor.py, actions_editor.py).
    REFRESH = "wizard_refresh"  # a dispatched select changed: read the state and re-render
    # The searchable property picker of a type with many properties: its options come from
    # the bot as the user types (block_suggestion), and a pick re-renders like REFRESH.
    PICK_PROPERTY = "wizard_pick_property"
    ADD_GROUP = "wizard_add_group"
    ADD_FILTER = "wizard_add_filter"
    REMOVE_FILTER = "wizard_remove_filter"
    ADD_ACTION = "wizard_add_action"  # a dispatched select: the type is its selected option
    REMOVE_ACTION = "wizard_remove_action"
    MOVE_ACTION_UP = "wizard_move_action_up"
    MOVE_ACTION_DOWN = "wizard_move_action_down"
    # Inputs that do not dispatch, read back by block id; one id per kind of element so that
    # Slack drops a typed value when a row's input changes kind (text to date picker).
    INPUT = "wizard_input"
    INPUT_DATE = "wizard_input_date"
    INPUT_NUMBER = "wizard_input_number"
    INPUT_CHOICE = "wizard_input_choice"
    INPUT_CHOICES = "wizard_input_choices"
    # Searched selects of an enumeration's many options: the bot sends what matches.
    SEARCH_CHOICE = "wizard_search_choice"
    SEARCH_CHOICES = "wizard_search_choices"
    INPUT_USER = "wizard_input_user"
    INPUT_USERS = "wizard_input_users"
    # The schedule step's "Type it" input: Enter reads the text into the schedule's fields.
    TYPE_SCHEDULE = "wizard_type_schedule"


class WizardBlock(StrEnum):
    """block_id of the wizard's own blocks (the criteria and actions editors name theirs)."""

    STEP = "wizard_step"
    NAVIGATION = "wizard_navigation"
    NAME = "wizard_name"
    OBJECT_TYPE = "wizard_object_type"
    # Its id ends with the draft's layout, so that a new layout empties it once read.
    SCHEDULE_TEXT = "wizard_schedule_text"
    FREQUENCY = "wizard_frequency"
    WEEKDAYS = "wizard_weekdays"
    MONTHLY_MODE = "wizard_monthly_mode"
    MONTH_DAYS = "wizard_month_days"
    MONTH_POSITIONS = "wizard_month_positions"
    MONTH = "wizard_month"
    DAY = "wizard_day"
    DATE = "wizard_date"
    TIME = "wizard_time"
    MORE_TIMES = "wizard_more_times"
    MONTHS = "wizard_months"
    BUSINESS_HOLIDAYS = "wizard_business_holidays"
    BUSINESS_SUBDIVISION = "wizard_business_subdivision"
    TIMEZONE = "wizard_timezone"
    INTERVAL = "wizard_interval"
    START_DATE = "wizard_start_date"
    END_DATE = "wizard_end_date"
    SCHEDULE_PREVIEW = "wizard_schedule_preview"
    MATCHING = "wizard_matching"
    SUMMARY_CHANNEL = "wizard_summary_channel"
    SUMMARY = "wizard_summary"
    PAUSE_DAYS = "wizard_pause_days"
    HOLIDAYS = "wizard_holidays"
    ON_PAUSE_DAY = "wizard_on_pause_day"
    ON_STALE_SOURCE = "wizard_on_stale_source"
    CATCH_UP = "wizard_catch_up"
    ALERT_OWNER = "wizard_alert_owner"
    PROBLEMS = "wizard_problems"
    # Above a page shown in place of an out-of-date page submitted (drafts.submit).
    OUTDATED = "wizard_outdated"
    REVIEW = "wizard_review"
