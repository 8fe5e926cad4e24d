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
def up(port, no_data):
    """Start the endpoint (local target) and provision the workshop stack.

    Safe to run twice: a running endpoint and an existing stack are left as they are.

    \b
    Example:
      labkit up --port 4566
    """
    from . import stack

    settings = _settings(port)
    target = get_target(settings)
    t0 = time.monotonic()
    before = target.status()
    target.start()
    report = stack.ensure(target, settings, with_data=not no_data)
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
    for key in ("pid", "account", "arn", "error"):
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
    if settings.target != "local":
        raise click.ClickException("reset wipes the local endpoint only; on AWS use `labkit down --target aws`.")
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
    """The generated university data set."""


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


if __name__ == "__main__":
    main()
