"""Persistence for workflow-bot: SQLAlchemy models, repositories, criteria to SQL, migrations.

Imports nothing of ``bot``: the domain depends on storage, never the reverse.
"""
