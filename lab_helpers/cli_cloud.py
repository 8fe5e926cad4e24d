"""`labkit teardown`, `labkit costs` and `labkit up --budget`: what a workspace owns and costs, and deleting exactly that."""
from __future__ import annotations

import json
import sys
from collections import Counter

import click

from .config import ConfigError, load
from .targets import get_target


def _settings():
    try:
        return load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _ready_target(settings):
    target = get_target(settings)
    status = target.status()
    if not status.get("healthy"):
        if settings.target == "local":
            raise click.ClickException(
                "the local endpoint is not running, so nothing of this workspace exists (its state lives in "
                "memory). Nothing to tear down; `labkit up` starts it again.")
        raise click.ClickException(f"target {settings.target} is not reachable: {status.get('error', 'no answer')}")
    return target


def print_teardown(report, echo=click.echo) -> None:
    by_kind = Counter(r.kind for r in report.owned)
    echo(f"Workspace {report.guid}: {len(report.owned)} resources carry its tag or are in its manifest.")
    for kind, n in by_kind.items():
        names = ", ".join(r.name for r in report.owned if r.kind == kind)
        echo(f"  {kind:30s} {n:3d}  {names[:100]}")
    unreadable = Counter(r.kind for r in report.foreign if r.detail.get("tags_unreadable"))
    foreign = Counter(r.kind for r in report.foreign if not r.detail.get("tags_unreadable"))
    if foreign:
        echo(f"Not this workspace's (untagged or another workspace's) and never touched: "
             + ", ".join(f"{n} {k}" for k, n in foreign.items()))
    if unreadable:
        echo("Tags could not be read, so never touched: " + ", ".join(f"{n} {k}" for k, n in unreadable.items())
             + " (the local endpoint keeps no tags for some of the kit's own resources; `labkit down` drops them)")
    for kind, why in report.unlisted:
        echo(f"Could not list {kind} ({why.splitlines()[0][:120]}); nothing of that kind was touched.")
    if not report.executed:
        if report.owned:
            echo(f"Dry run: nothing deleted. Run `labkit teardown --yes` to delete these {len(report.owned)} resources.")
        return
    echo(f"Deleted {len(report.deleted)}, pending {len(report.pending)}, failed {len(report.failed)}.")
    for r, why in report.pending:
        echo(f"  pending {r.kind} {r.name}: {why}")
    for r, why in report.failed:
        echo(f"  FAILED  {r.kind} {r.name}: {why}")
    if report.failed:
        echo("Run `labkit teardown --yes` again; what failed is still listed above.")


def apply_budget(target, settings, names, amount: float, email: str, echo=click.echo) -> None:
    """`labkit up --budget N`: the workspace's AWS Budgets alarm (on the local target, on its endpoint)."""
    from .stack.budget import ensure_budget
    from .stack.manifest import for_workspace

    try:
        report = ensure_budget(target.client, names.guid, amount, for_workspace(settings, names.guid), email=email,
                               region=settings.region)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    verb = "created" if report.created else "kept"
    echo(f"  budget     {report.name}: {amount:.2f} USD a month for the whole account ({verb})")
    if email:
        echo(f"             e-mails {email} at 50/80/100 % of actual and 100 % of forecast spend")
    else:
        echo("             no --budget-email: it alerts nobody, it only shows in the Billing console")
    if settings.target != "aws":
        echo("             (on the local target this only rehearses it: nothing here is billed)")


def print_costs(lab_ids, echo=click.echo) -> None:
    from .targets import costs

    p = costs.prices()
    echo(f"Estimated cost per lab on AWS ({p['currency']} list prices, {p['region']}, recorded {p['recorded']}; "
         "the local target is free):")
    total = 0.0
    for lab_id in lab_ids:
        c = costs.for_lab(lab_id)
        total += c.total
        echo(f"\n{lab_id}  {costs.about(c.total)}")
        for what in c.creates:
            echo(f"  creates  {what}")
        for line in c.lines:
            echo(f"  {costs.describe(line)}")
        for what in c.ongoing:
            echo(f"  keeps billing while it exists: {what}")
    if len(lab_ids) > 1:
        echo(f"\nAll labs once: {costs.about(total)}. Prices change: check the source pages in "
             "lab_helpers/targets/costs.yml before a paid class.")


def register(main: click.Group) -> None:
    @main.command()
    @click.argument("lab_id", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
    def costs(lab_id, as_json):
        """What each lab creates on a real AWS account and what it costs (prices recorded offline).

        \b
        Example:
          labkit costs               # every lab
          labkit costs 06_redshift   # one lab
        """
        from dataclasses import asdict

        from .targets import costs as costs_mod

        ids = [lab_id] if lab_id else costs_mod.labs()
        try:
            estimates = [costs_mod.for_lab(i) for i in ids]
        except costs_mod.UnknownCosts as exc:
            raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps({"prices": costs_mod.prices(), "labs": [
                asdict(c) | {"total": round(c.total, 4)} for c in estimates]}, indent=2, default=str))
            return
        print_costs(ids)

    @main.command()
    @click.option("--yes", is_flag=True, help="Delete (without it: only list what would be deleted).")
    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
    @click.option("--workspace", "guid", help="Another workspace guid of this target (default: this LABKIT_HOME's).")
    def teardown(yes, as_json, guid):
        """Delete everything this workspace created — and nothing else.

        Lists every resource tagged labkit:workspace=<guid> (and the untaggable ones the workspace
        manifest recorded: Glue databases and tables, budgets); with --yes deletes them in
        dependency order and reports what it deleted and what it left. A resource without the
        workspace's tag is never touched. Works on every target (local, localstack, aws).

        \b
        Example:
          labkit teardown          # what would go
          labkit teardown --yes    # delete it
        """
        from .stack import workspace
        from .stack.manifest import for_workspace
        from .stack.teardown import teardown as run_teardown

        settings = _settings()
        if guid is None:
            names = workspace(settings, create=False)
            if names is None:
                raise click.ClickException(f"no workspace on target {settings.target} in {settings.home}: nothing "
                                           "to tear down (pass --workspace GUID for another one).")
            guid = names.guid
        target = _ready_target(settings)
        report = run_teardown(target.client, guid, for_workspace(settings, guid), settings.region, execute=yes,
                              echo=(lambda m: None) if as_json else click.echo)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2, default=str))
        else:
            print_teardown(report)
        sys.exit(1 if report.failed else 0)
