"""`labkit my-labs` and `labkit fresh`: your private working copies of the labs (never in git)."""
from __future__ import annotations

from pathlib import Path

import click

from .authoring import workcopies


@click.command("my-labs")
@click.option("--dir", "work", type=click.Path(file_okay=False, path_type=Path), default=workcopies.WORK,
              show_default=True, help="Where your working copies live.")
def my_labs(work):
    """Make your own copy of every lab that has none yet (existing copies are never overwritten).

    `make lab` runs this and opens JupyterLab on the copies: labs/ stays as git has it, so
    `git pull` never conflicts with your work.

    \b
    Example:
      labkit my-labs
      labkit fresh 01_kms_key_users   # start one lab over (your old copy is kept in my-labs/backups/)
    """
    report = workcopies.sync(work)
    if report.copied:
        click.echo(f"New copies in {work}/: {', '.join(report.copied)}")
    if report.kept:
        click.echo(f"Your copies kept as they are: {', '.join(report.kept)}")
    for lab in report.newer_in_labs:
        click.echo(f"  labs/{lab}.ipynb changed since you copied it: `labkit fresh {lab}` gets the new version "
                   "(yours moves to backups/).")


@click.command("fresh")
@click.argument("lab_id")
@click.option("--dir", "work", type=click.Path(file_okay=False, path_type=Path), default=workcopies.WORK,
              show_default=True, help="Where your working copies live.")
def fresh(lab_id, work):
    """Get a fresh copy of one lab from labs/; your current copy moves to my-labs/backups/.

    \b
    Example:
      labkit fresh 03_glue_crawlers
    """
    try:
        dest, backup = workcopies.fresh(lab_id, work)
    except workcopies.WorkCopyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Fresh copy: {dest}")
    if backup:
        click.echo(f"Your previous copy is kept: {backup}")


def register(main) -> None:
    main.add_command(my_labs)
    main.add_command(fresh)
