"""``workflow-bot sample remove``: deletes the sample deals and workflow that a first start
installed into a new database."""

from __future__ import annotations

import click

from bot.commands.context import Context
from bot.workflows import samples
from bot.workflows.samples import SampleContents


@click.group()
def sample() -> None:
    """The sample deals and workflow a first start installs into a new database."""


@sample.command("remove")
@click.pass_obj
def sample_remove(context: Context) -> None:
    """Delete the sample workflow (with its runs) and the sample records; your own data
    stays, and the sample does not come back."""
    context.migrate()
    removed = samples.remove(context.work, context.clock.now())
    click.echo(removal_report(removed))


def removal_report(removed: SampleContents) -> str:
    if removed.empty:
        return "There is no sample in this database: nothing was removed."
    parts = [f"the workflow {name!r} with its runs" for name in removed.workflow_names]
    if removed.record_count:
        plural = "" if removed.record_count == 1 else "s"
        parts.append(f"{removed.record_count} sample record{plural}")
    return f"Removed the sample: {' and '.join(parts)}."
