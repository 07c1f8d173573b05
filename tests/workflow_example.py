"""The workflow file of the README, shared by the tests that read it."""

EXAMPLE = """\
name: Weekly deal review            # unique per workspace
object_type: deals
status: active                      # draft | active | paused
owner: U0123ABCD                    # Slack user id
schedule: {frequency: weekly, weekdays: [thu], time: "07:00", timezone: America/New_York}
criteria: {any: [{all: [{property: stage, operator: eq, value: contract sent}]}]}
suppression: {}                     # optional, same shape as criteria
actions:
  - {type: send_channel_message, channel: C0123ABCD, text: "{{ name }} ({{ owner }}) is still \
in contract", mode: per_record}
  - {type: send_owner_dm, text: "Please update {{ name }}"}
  - {type: set_property, property: last_reminded, value: "{{ run.date }}"}
  - {type: create_task, title: "Call about {{ name }}", due_in_days: 3}
settings:
  summary_channel: C0123ABCD
  summary: when_enrolled_or_failed
  pause_days: ["12-25", "2026-11-26"]
  holidays: US
  on_pause_day: defer
  catch_up_minutes: 60
"""
