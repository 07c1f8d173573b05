"""Benchmarks: each measures workflow-bot next to a baseline run in the same process."""
