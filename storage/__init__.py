"""Persistence for workflow-bot: SQLAlchemy models, repositories, criteria to SQL, migrations.

Imports nothing of ``bot`` but ``bot.workflows.vocabulary``, the domain's pure enums (statuses,
outcomes, property types) that the columns store: the domain depends on storage, never the reverse.
"""
