"""The `labkit` command: thin click wiring around the library functions notebooks use too."""
from __future__ import annotations

import json
import shlex
import sys
import time

import click

from . import __version__
from .config import ConfigError, load
from .targets import TargetError, get_target


def _settings(port=None):
    try:
        return load(port=port)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TargetError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labkit")
def main():
    """Data Lake Immersion Lab Kit: AWS data-engineering labs that run locally.

    \b
    Example:
      labkit up            # start the local AWS endpoint and provision the workshop stack
      eval "$(labkit env)" # point this shell's aws CLI / boto3 at it
      labkit status
    """


@main.command()
@click.option("--port", type=int, help="Port for the local endpoint (default 4566 or LABKIT_PORT).")
@click.option("--no-data", is_flag=True, help="Skip uploading the generated data set to the source bucket.")
@click.option("--budget", type=float, help="Also create an AWS Budgets alarm of this many USD a month (see `labkit teardown`).")
@click.option("--budget-email", default="", help="Who the budget alarm e-mails (without it the budget only shows in Billing).")
def up(port, no_data, budget, budget_email):
    """Start the endpoint (local target) and provision the workshop stack.

    Safe to run twice: a running endpoint and an existing stack are left as they are.

    \b
    Example:
      labkit up --port 4566
      LABKIT_TARGET=aws labkit up --budget 10 --budget-email me@example.com
    """
    from . import stack
    from .endpoint.daemon import EndpointError, workspace_lock

    settings = _settings(port)
    target = get_target(settings)
    t0 = time.monotonic()
    try:
        # One `labkit up` per workspace at a time: a second one waits here, then finds this one's
        # endpoint and stack (before the lock, two raced to spawn endpoints and create the stack).
        with workspace_lock(settings):
            before = target.status()
            target.start()
            report = stack.ensure(target, settings, with_data=not no_data)
    except EndpointError as exc:
        raise click.ClickException(str(exc)) from None
    if budget is not None:
        from .cli_cloud import apply_budget

        apply_budget(target, settings, report.names, budget, budget_email)
    elapsed = time.monotonic() - t0
    if before.get("healthy") and not report.created:
        click.echo(f"labkit is already up at {target.endpoint_url or 'AWS'} (workspace {report.names.guid}); nothing to do.")
        return
    click.echo(f"labkit is up on target '{settings.target}' in {elapsed:.1f}s")
    if target.endpoint_url:
        click.echo(f"  endpoint   {target.endpoint_url}")
    click.echo(f"  workspace  {report.names.guid}  ({settings.home})")
    for zone, bucket in report.names.buckets.items():
        click.echo(f"  bucket     {zone:8s} s3://{bucket}")
    click.echo(f"  kms key    {report.names.kms_alias}")
    click.echo(f"  created    {len(report.created)} resources, kept {len(report.kept)}")
    click.echo("Next: `eval \"$(labkit env)\"` for this shell, or `make lab` to open the notebooks.")


@main.command()
def down():
    """Stop the local endpoint (its in-memory state is discarded).

    \b
    Example:
      labkit down
    """
    settings = _settings()
    target = get_target(settings)
    if target.stop():
        click.echo("labkit endpoint stopped.")
    else:
        click.echo("No labkit endpoint was running for this workspace.")


def status_dict(settings) -> dict:
    from .stack import workspace

    target = get_target(settings)
    st = target.status()
    names = workspace(settings, create=False)
    out = {
        "target": settings.target,
        "endpoint_url": target.endpoint_url,
        "healthy": bool(st.get("healthy")),
        "home": str(settings.home),
        "workspace": names.as_dict() if names else None,
    }
    if st.get("health"):
        out["engines"] = st["health"].get("engines", {})
        out["moto_version"] = st["health"].get("moto_version")
        out["uptime_seconds"] = st["health"].get("uptime_seconds")
    for key in ("pid", "account", "arn", "identity", "error", "kit_endpoint_url", "localstack", "routing"):
        if st.get(key) is not None:
            out[key] = st[key]
    return out


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def status(as_json):
    """Show the target, endpoint health and the workspace's resource names.

    \b
    Example:
      labkit status --json
    """
    data = status_dict(_settings())
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    click.echo(f"target     {data['target']}")
    if data.get("account"):   # a real account: whose, as whom (the preflight refuses root)
        click.echo(f"account    {data['account']} as {data['arn']} ({data.get('identity', '?')})")
    elif data.get("error"):
        click.echo(f"account    not reachable: {data['error']}")
    if data["endpoint_url"]:
        click.echo(f"endpoint   {data['endpoint_url']}  ({'healthy' if data['healthy'] else 'NOT running'})")
    ws = data["workspace"]
    if ws:
        click.echo(f"workspace  {ws['guid']}")
        for zone, bucket in ws["buckets"].items():
            click.echo(f"  {zone:8s} s3://{bucket}")
        click.echo(f"  kms      {ws['kms_alias']}")
    else:
        click.echo("workspace  (none yet: run `labkit up`)")
    if not data["healthy"] and data["target"] == "local":
        click.echo("Start it with: labkit up")


@main.command()
def env():
    """Print `export` lines that point a shell (aws CLI, boto3, awswrangler, PyAthena) at the target.

    \b
    Example:
      eval "$(labkit env)"
      aws s3 ls
    """
    settings = _settings()
    target = get_target(settings)
    if hasattr(target, "_write_aws_files"):
        target._write_aws_files()
    for key, value in sorted(target.env().items()):
        if value is None:
            click.echo(f"unset {key}")
        else:
            click.echo(f"export {key}={shlex.quote(value)}")
    from .stack import workspace

    names = workspace(settings, create=False)
    if names:
        click.echo(f"export AWS_ATHENA_S3_STAGING_DIR={shlex.quote('s3://' + names.buckets['results'] + '/athena/')}")


@main.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes):
    """Wipe the local endpoint's state and provision a fresh workshop stack.

    Learner progress (checks and quiz answers) is kept; see `labkit progress`.

    \b
    Example:
      labkit reset --yes
    """
    import urllib.request

    from . import stack

    settings = _settings()
    if settings.shared_endpoint:
        raise click.ClickException("this endpoint is your class's: a reset would wipe every learner's work. To start your "
                                   "own labs over, `labkit teardown --yes` then `labkit up` (your workspace only).")
    if settings.target != "local":
        raise click.ClickException("reset wipes the local endpoint only. On a real account, `labkit teardown --yes` deletes what this workspace created (everything tagged labkit:workspace=<guid>).")
    if not yes and sys.stdin.isatty():
        click.confirm("Delete every resource on the local endpoint and start over?", abort=True)
    target = get_target(settings)
    target.start()
    req = urllib.request.Request(f"{target.endpoint_url}/_labkit/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=30).read()
    report = stack.ensure(target, settings)
    click.echo(f"Endpoint state wiped; workshop stack re-provisioned ({len(report.created)} resources).")


@main.group()
def data():
    """The generated university data set.

    \b
    Example:
      labkit data generate /tmp/university
    """


@data.command("generate")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--scale", type=float, default=1.0, show_default=True, help="Grow the rows (not the layout).")
@click.option("--seed", type=int, default=2020, show_default=True)
def data_generate(outdir, scale, seed):
    """Write the SIS (Parquet) and LMS (CSV) objects under OUTDIR.

    \b
    Example:
      labkit data generate /tmp/university --scale 2
    """
    from . import datasets

    t0 = time.monotonic()
    keys = datasets.write_dir(outdir, scale=scale, seed=seed)
    click.echo(f"Wrote {len(keys)} objects to {outdir} in {time.monotonic() - t0:.1f}s")


def _session(ensure_stack=True):
    from .grading.notebook import Session

    return Session(_settings(), ensure_stack=ensure_stack)


@main.command()
@click.argument("lab_id")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def check(lab_id, as_json):
    """Run every check of a lab against the current target (read-only).

    \b
    Example:
      labkit check 01_kms_key_users --json
    """
    from .grading import labs

    try:
        labs.get(lab_id)
    except labs.UnknownLab as exc:
        raise click.ClickException(str(exc)) from None
    results = _session().run_lab_checks(lab_id)
    if as_json:
        click.echo(json.dumps({"lab": lab_id, "checks": [r.as_dict() for r in results]}, indent=2))
    else:
        for r in results:
            click.echo(str(r))
        done = sum(r.passed for r in results)
        click.echo(f"{done}/{len(results)} checks passed")
    sys.exit(0 if all(r.passed for r in results) else 1)


@main.command()
@click.argument("lab_id")
def quiz(lab_id):
    """Ask a lab's (or an exam bank's) questions in the terminal and record the answers.

    \b
    Example:
      labkit quiz 00_orientation
    """
    from .grading import bank
    from .grading.progress import ProgressStore
    from .grading.quiz import InvalidAnswer, grade, how_to_answer, render_text

    questions = bank.bank(lab_id)
    if not questions:
        names = sorted({q.bank for q in bank.load_all().values()})
        raise click.ClickException(f"no questions for {lab_id!r}; banks are: {', '.join(names)}")
    store = ProgressStore(_settings().progress_db)
    score = 0
    for i, q in enumerate(questions, 1):
        click.echo(f"\nQuestion {i}/{len(questions)}")
        click.echo(render_text(q))
        while True:
            raw = click.prompt(f"Your answer ({how_to_answer(q).replace('answer=', '')}; empty to skip)",
                               default="", show_default=False)
            if not raw.strip():
                break
            try:
                result = grade(q, raw)
            except InvalidAnswer as exc:
                click.echo(f"  {exc}")
                continue
            store.record_quiz(lab_id, result)
            score += result.correct
            click.echo(str(result))
            break
    click.echo(f"\nScore: {score}/{len(questions)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Write an HTML report with charts.")
def progress(as_json, html_file):
    """Show checks passed and quiz scores per lab (from the workspace's progress store).

    \b
    Example:
      labkit progress --html progress.html
    """
    from .grading import bank, labs
    from .grading.progress import ProgressStore, html_report, notebook_questions, render_text, summary
    from .stack import workspace

    settings = _settings()
    store = ProgressStore(settings.progress_db)
    names = workspace(settings, create=False)
    data = summary(store, [l.id for l in labs.LABS], {l.id: [c.id for c in l.checks] for l in labs.LABS},
                   notebook_questions(), workspace=names.guid if names else None)
    if html_file:
        from pathlib import Path

        Path(html_file).write_text(html_report(data, bank.EXAMS))
        click.echo(f"Wrote {html_file}")
        return
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(render_text(data))


@main.command()
@click.option("--check", "check_only", is_flag=True, help="Only verify labs/ is up to date (exit 1 if stale).")
def build(check_only):
    """Regenerate labs/ from solutions/ (solutions stripped, outputs cleared, quiz answers removed).

    \b
    Example:
      labkit build --check
    """
    from .authoring.build import AuthoringError, build as run_build

    try:
        report = run_build(check=check_only)
    except AuthoringError as exc:
        raise click.ClickException(str(exc)) from None
    if check_only:
        if report.stale:
            click.echo(f"labs/ is stale for: {', '.join(report.stale)}. Run `labkit build` and commit.", err=True)
            sys.exit(1)
        click.echo(f"labs/ is up to date ({len(report.unchanged)} notebooks).")
        return
    click.echo(f"Wrote {len(report.written)}, unchanged {len(report.unchanged)}, removed {len(report.orphans)}.")


@main.command("catch-up")
@click.argument("lab_id")
@click.option("--through", is_flag=True, help="Also run LAB_ID's own solution (bring the workspace to its end).")
def catch_up_cmd(lab_id, through):
    """Replay the earlier labs that are not done yet (their checks fail) so a workspace can start at LAB_ID.

    \b
    Example:
      labkit catch-up 03_glue_crawlers            # ready to start lab 03
      labkit catch-up 01_kms_key_users --through  # lab 01 done too
    """
    from .authoring.catchup import CatchUpError, catch_up
    from .grading import labs

    try:
        labs.get(lab_id)
    except labs.UnknownLab as exc:
        raise click.ClickException(str(exc)) from None
    session = _session()  # endpoint up, stack provisioned; its checks say which labs are done
    try:
        catch_up(lab_id, through=through, echo=click.echo, session=session)
    except CatchUpError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("execute")
@click.argument("lab_ids", nargs=-1, required=True)
def execute_cmd(lab_ids):
    """For authors: catch up to the first LAB_ID, run each solution notebook and store its outputs.

    Run it in a throwaway workspace (LABKIT_HOME), then `labkit build` and commit both notebooks.

    \b
    Example:
      LABKIT_HOME=$(mktemp -d) labkit execute 03_glue_crawlers
      LABKIT_HOME=$(mktemp -d) labkit execute 00_orientation 01_kms_key_users
    """
    from .authoring.catchup import CatchUpError
    from .authoring.execute import execute_solutions
    from .grading import labs

    try:
        ordered = sorted((labs.get(i) for i in lab_ids), key=lambda lab: labs.LABS.index(lab))
    except labs.UnknownLab as exc:
        raise click.ClickException(str(exc)) from None
    session = _session()
    try:
        execute_solutions([lab.id for lab in ordered], echo=click.echo, session=session)
    except CatchUpError as exc:
        raise click.ClickException(str(exc)) from None


from .cli_work import register as _register_work_commands  # noqa: E402

_register_work_commands(main)

from .exam_cli import register as _register_exam_commands  # noqa: E402

_register_exam_commands(main)

from .cli_cloud import register as _register_cloud_commands  # noqa: E402

_register_cloud_commands(main)

from .cli_class import register as _register_class_commands  # noqa: E402

_register_class_commands(main)

if __name__ == "__main__":
    main()
