"""`labkit class ...` (instructors) and `labkit submit` (learners): class mode on one shared endpoint."""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from .config import ConfigError, load
from .targets import get_target


def _settings():
    try:
        return load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _class(settings, name):
    from .classroom import roster

    try:
        return roster.load(settings.home, name)
    except roster.ClassError as exc:
        raise click.ClickException(str(exc)) from None


def register(main: click.Group) -> None:
    @main.group("class")
    def class_group():
        """Run a class: N learners, each isolated, on one shared endpoint or in one AWS account.

        \b
        Example:
          labkit class create dataeng-0312 --learners 30
          labkit class create dataeng-0312 --learners 30 --shared-account   # one account, scoped names
          labkit class report dataeng-0312            # HTML dashboard
          labkit class teardown dataeng-0312 --yes
        """

    @class_group.command("create")
    @click.argument("name")
    @click.option("--learners", "count", type=int, required=True, help="How many learners (1-500).")
    @click.option("--no-data", is_flag=True, help="Skip uploading the data set into each learner's source bucket.")
    @click.option("--shared-account", is_flag=True,
                  help="All learners in this account: an IAM user each, and a scope (l01, l02 ...) in every "
                       "account-wide name. Always so on LABKIT_TARGET=aws.")
    @click.option("--scope-prefix", default="l", show_default=True,
                  help="With --shared-account: scopes are this prefix and the learner's number (l07).")
    def class_create(name, count, no_data, shared_account, scope_prefix):
        """Provision a class: per learner an identity with keys, the workshop stack, an env file.

        On the local target each learner gets an account of their own on this workspace's endpoint
        (started if needed); learners connect with their own keys (LABKIT_SHARED_ENDPOINT=1 in their
        env file, so they never start or stop it). With --shared-account, and always on
        LABKIT_TARGET=aws, learners share the account you are signed in to: each gets an IAM user
        whose policy is fenced to their scope and workspace tag, and every name of their stack
        carries their scope (l07-dataedu-glue-crawler-role, l07_db_raw_sisdemo). Run it again to add
        learners or to restore the class after the endpoint restarted.

        \b
        Example:
          labkit class create dataeng-0312 --learners 30
          set -a; . ~/.labkit/classes/dataeng-0312/learners/learner-07.env; set +a   # as learner-07
          LABKIT_TARGET=aws labkit class create dataeng-0312 --learners 12   # one AWS account
        """
        from .classroom import learners, roster
        from .targets.base import TargetError

        settings = _settings()
        target = get_target(settings)
        if settings.target in ("local", "aws"):
            try:
                target.start()    # local: the class endpoint; aws: the preflight (never as root)
            except TargetError as exc:
                raise click.ClickException(str(exc)) from None
        where = target.endpoint_url or f"account {target.status().get('account')} ({settings.region})"
        click.echo(f"Class {name}: {count} learners on {where}")
        try:
            report = learners.create(settings, target, name, count, with_data=not no_data,
                                     shared_account=shared_account, scope_prefix=scope_prefix, echo=click.echo)
        except roster.ClassError as exc:
            raise click.ClickException(str(exc)) from None
        root = Path(report.klass.dir)
        click.echo(f"Created {len(report.created)}, kept {len(report.kept)}, new keys for {len(report.rekeyed)}.")
        click.echo(f"Roster (keys: keep it private): {root / 'roster.json'}")
        click.echo(f"Give each learner their env file: {root / 'learners'}/<learner>.env")
        click.echo(f"Progress arrives in {report.klass.store}; see it with: labkit class report {name}")

    @class_group.command("env")
    @click.argument("name")
    @click.argument("learner")
    def class_env(name, learner):
        """Print a learner's connection settings as `export` lines.

        \b
        Example:
          eval "$(labkit class env dataeng-0312 learner-07)"
        """
        klass = _class(_settings(), name)
        match = next((l for l in klass.learners if l.name == learner), None)
        if match is None:
            raise click.ClickException(f"no learner {learner!r} in {name}; learners are "
                                       f"{', '.join(l.name for l in klass.learners)}")
        for key, value in sorted(match.env(klass).items()):
            click.echo(f"export {key}={shlex.quote(value)}")

    @class_group.command("report")
    @click.argument("name")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--html", "html_file", type=click.Path(dir_okay=False),
                  help="Where to write the HTML dashboard (default: report.html in the class directory).")
    def class_report(name, as_json, html_file):
        """Learners x labs: checks passed, quiz scores, who is stuck where (HTML dashboard, or --json).

        \b
        Example:
          labkit class report dataeng-0312
          labkit class report dataeng-0312 --json | jq '.stuck'
        """
        from .classroom import report as report_mod, store
        from .grading import labs

        settings = _settings()
        klass = _class(settings, name)
        data = report_mod.build(klass, store.read_all(Path(klass.store)), [lab.id for lab in labs.LABS])
        if as_json:
            click.echo(json.dumps(data, indent=2))
            return
        path = Path(html_file) if html_file else Path(klass.dir) / "report.html"
        path.write_text(report_mod.to_html(data))
        click.echo(f"Class {name}: {data['learners']} learners, {data['submitted']} submitted, "
                   f"{data['finished']} finished.")
        for spot in data["stuck"]:
            click.echo(f"  stuck at {spot['where']}: {', '.join(spot['learners'])}")
        idle = [r["learner"] for r in data["rows"] if r.get("idle")]
        if idle:
            click.echo(f"  idle {report_mod.IDLE_MINUTES}+ minutes: {', '.join(idle)}")
        click.echo(f"Wrote {path}")

    @class_group.command("teardown")
    @click.argument("name")
    @click.option("--yes", is_flag=True, help="Really delete every learner's resources, users and accounts.")
    @click.option("--keep-results", is_flag=True, help="Keep the progress store and a key-less roster for reports.")
    def class_teardown(name, yes, keep_results):
        """Remove a class: every learner's workspace (by tag and manifest), IAM user, account and files.

        \b
        Example:
          labkit class report dataeng-0312 --html final.html
          labkit class teardown dataeng-0312 --yes
        """
        from .classroom import learners

        settings = _settings()
        klass = _class(settings, name)
        if not yes:
            click.echo(f"This deletes the workspaces, IAM users and accounts of {len(klass.learners)} learners of "
                       f"class {name}, and {klass.dir}. Run again with --yes.")
            sys.exit(1)
        target = get_target(settings)
        if not target.status().get("healthy"):
            raise click.ClickException(f"the class endpoint {target.endpoint_url} is not running: its resources are "
                                       f"gone with it. Delete {klass.dir} to forget the class.")
        results = learners.teardown(settings, target, klass, keep_results=keep_results, echo=click.echo)
        failed = [r for r in results if r.failed]
        click.echo(f"Class {name} torn down: {sum(r.deleted for r in results)} resources deleted, "
                   f"{sum(r.pending for r in results)} pending (KMS keys wait 7 days), {len(failed)} learners with "
                   "failures.")
        for r in failed:
            click.echo(f"  {r.learner}: " + "; ".join(r.failed))
        sys.exit(1 if failed else 0)

    @class_group.command("list")
    def class_list():
        """The classes of this workspace.

        \b
        Example:
          labkit class list
        """
        from .classroom import roster

        settings = _settings()
        for name in roster.names(settings.home):
            klass = roster.load(settings.home, name)
            click.echo(f"{name:24s} {len(klass.learners):3d} learners  port {klass.port}  {klass.dir}")

    @main.command()
    def submit():
        """Send your progress (checks, quiz scores) to your class's store.

        Happens by itself after every check in a class; run it after quizzes or if the share was away.

        \b
        Example:
          labkit submit
        """
        from .classroom import store
        from .grading.progress import ProgressStore
        from .stack import workspace

        settings = _settings()
        names = workspace(settings, create=False)
        try:
            path = store.submit(settings, ProgressStore(settings.progress_db), names.guid if names else "")
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Submitted {settings.learner}'s progress to {path}")
