"""The domain: criteria, records, schedules, runs and the use cases that tie them together.

Imports neither slack_* nor apscheduler, and takes the current instant as a parameter.
"""
