"""learners: provision a class — an account, an IAM user and the workshop stack per learner — and tear it down.

Each learner gets what a workshop on AWS gives them: an account of their own. The instructor's
identity creates it the way AWS Organizations does (CreateAccount, then AssumeRole into the new
account's ``OrganizationAccountAccessRole``), makes an IAM user with administrator rights and an
access key there, and provisions the workshop stack with the learner's own keys, into a workspace
(guid, LABKIT_HOME) of the learner's. On the kit's endpoint the account is chosen by the access
key (endpoint/moto/accounts.py), so learners never see each other's buckets, catalogs, keys or
engine state. Running create again is safe: existing learners keep their account, guid and key
(a key the endpoint no longer knows — it restarted — is replaced and the roster rewritten).

With ``shared_account`` (the only way on the aws target: creating real AWS accounts per learner
is not something to do from a laptop command) every learner works in the instructor's account
instead: an IAM user of their own, a *scope* that every account-wide name of their stack carries
(``l07-dataedu-glue-crawler-role``, ``l07_db_raw_sisdemo``) and a policy fenced to their names and
workspace tag (classroom/shared.py). On the local target that mode is the same code on the shared
endpoint, which is how it is tested here.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..sessions import isolated_session
from ..stack.names import Names, ScopeError, check_scope, new_guid, save_workspace
from . import shared
from .roster import ClassError, ClassInfo, Learner, class_dir, learner_name, save

WORKERS = 4                                      # learners provisioned / torn down at a time
ACCESS_ROLE = "OrganizationAccountAccessRole"   # what Organizations creates in a new member account
USER = "labkit-learner"
CLASS_TAG = "labkit:class"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass
class CreateReport:
    klass: ClassInfo
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    rekeyed: list[str] = field(default_factory=list)


def _ensure_organization(org) -> None:
    try:
        org.describe_organization()
    except org.exceptions.AWSOrganizationsNotInUseException:
        org.create_organization(FeatureSet="ALL")


def _new_account(org, klass: str, learner: str, timeout: float = 120.0) -> str:
    status = org.create_account(Email=f"{learner}+{klass}@labkit.invalid", AccountName=f"{klass}-{learner}",
                                Tags=[{"Key": CLASS_TAG, "Value": klass}])["CreateAccountStatus"]
    deadline = time.monotonic() + timeout
    while status["State"] == "IN_PROGRESS" and time.monotonic() < deadline:   # AWS creates accounts async
        time.sleep(1)
        status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":
        raise ClassError(f"could not create the account of {learner}: {status.get('FailureReason', status['State'])}")
    return status["AccountId"]


def _as_account_admin(sts, account: str, endpoint_url: str | None, region: str):
    """An IAM client acting as the administrator of a learner's account (through its access role)."""
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}",
                            RoleSessionName="labkit-class")["Credentials"]
    session = isolated_session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region)
    return session.client("iam", endpoint_url=endpoint_url)


def _learner_session(learner: Learner, region: str):
    return isolated_session(learner.access_key, learner.secret_key, None, region)


def _key_works(learner: Learner, endpoint_url: str | None, region: str) -> bool:
    try:
        ident = _learner_session(learner, region).client("sts", endpoint_url=endpoint_url).get_caller_identity()
    except Exception:  # noqa: BLE001 - a rejected key
        return False
    # An unknown key lands in the default account on the local endpoint: the account (and, in a
    # shared account, the user) must be the learner's.
    return ident["Account"] == learner.account and (not learner.user or ident["Arn"].endswith(f":user/{learner.user}"))


def _wait_for_key(learner: Learner, endpoint_url: str | None, region: str, timeout: float = 60.0) -> None:
    """A new IAM access key takes seconds to work everywhere on AWS (at once on the local endpoint)."""
    deadline = time.monotonic() + timeout
    while not _key_works(learner, endpoint_url, region):
        if time.monotonic() > deadline:
            raise ClassError(f"the new access key of {learner.user} did not start working within {timeout:.0f} s")
        time.sleep(2)


def _ensure_user(iam, klass: str) -> None:
    try:
        iam.get_user(UserName=USER)
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=USER, Tags=[{"Key": CLASS_TAG, "Value": klass}])
    # Administrator of their own account, as in a workshop account (inline: AWS managed policies
    # are not loaded on the local endpoint).
    iam.put_user_policy(UserName=USER, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(ADMIN_POLICY))


def learner_settings(settings, learner: Learner):
    """The learner's own Settings (their LABKIT_HOME and keys), for their workspace and manifest."""
    return replace(settings, home=Path(learner.home), access_key=learner.access_key, secret_key=learner.secret_key,
                   shared_endpoint=True, learner=learner.name, scope=learner.scope)


def create(settings, target, name: str, count: int, *, with_data: bool = True, shared_account: bool = False,
           scope_prefix: str = "l", echo: Callable[[str], None] = lambda _m: None) -> CreateReport:
    """Provision (or repair, or grow) class ``name`` to ``count`` learners: on the local target's
    endpoint an account each, or (``shared_account``; always on the aws target) all in the
    instructor's account, each with an IAM user and a scope ``<scope_prefix><number>``."""
    from ..stack.provision import provision
    from . import roster

    if settings.target not in ("local", "aws"):
        raise ClassError(
            f"class mode runs on the local target (one shared endpoint) or the aws target (one shared account); "
            f"LABKIT_TARGET is {settings.target}.")
    shared_account = shared_account or settings.target == "aws"
    if not 1 <= count <= 500:
        raise ClassError(f"--learners must be between 1 and 500, got {count}")
    width = max(2, len(str(count)))
    try:
        check_scope(f"{scope_prefix}{0:0{width}d}")
    except ScopeError as exc:
        raise ClassError(f"--scope-prefix {scope_prefix!r}: {exc}") from None
    root = class_dir(settings.home, name)
    try:
        klass = roster.load(settings.home, name)
    except ClassError:
        klass = ClassInfo(name=name, target=settings.target, port=settings.port, region=settings.region,
                          endpoint_url=target.endpoint_url or "", dir=str(root), store=str(root / "store"),
                          shared_account=shared_account)
    if klass.target != settings.target:
        raise ClassError(f"class {name} is on the {klass.target} target; run this with LABKIT_TARGET={klass.target}")
    if klass.target == "local" and klass.port != settings.port:
        raise ClassError(f"class {name} runs on port {klass.port}; run this with LABKIT_PORT={klass.port}")
    if klass.learners and klass.shared_account != shared_account:
        how = "in one shared account" if klass.shared_account else "with an account per learner"
        raise ClassError(f"class {name} was created {how}; it keeps that (leave --shared-account as it was)")
    report = CreateReport(klass)
    admin = target.session()
    endpoint_url = target.endpoint_url
    org = admin.client("organizations", endpoint_url=endpoint_url)
    sts = admin.client("sts", endpoint_url=endpoint_url)
    admin_iam = admin.client("iam", endpoint_url=endpoint_url)
    class_account = sts.get_caller_identity()["Account"] if shared_account else ""
    if not shared_account:
        _ensure_organization(org)
    by_name = {learner.name: learner for learner in klass.learners}

    def new_identity(lname: str, learner: Learner | None) -> Learner:
        home = str(root / "learners" / lname / "home")
        guid = learner.guid if learner else new_guid()
        if shared_account:
            scope = learner.scope if learner else f"{scope_prefix}{lname.rsplit('-', 1)[-1]}"
            names = Names(guid, scope)
            taken = shared.scope_taken_by(admin_iam, names)
            if taken:
                raise ClassError(f"scope {scope} is already used in account {class_account} by workspace {taken}; "
                                 "run again with another --scope-prefix")
            try:
                key, secret = shared.ensure_user(admin_iam, name, lname, names, class_account, settings.region)
            except ValueError as exc:
                raise ClassError(str(exc)) from None
            fresh = Learner(lname, class_account, key, secret, guid, home, scope, shared.user_name(name, lname))
            _wait_for_key(fresh, endpoint_url, settings.region)
            return fresh
        account = learner.account if learner else _new_account(org, name, lname)
        iam = _as_account_admin(sts, account, endpoint_url, settings.region)
        _ensure_user(iam, name)
        key, secret = shared.new_key(iam, USER)
        return Learner(lname, account, key, secret, guid, home)

    def one(lname: str) -> tuple[str, Learner]:
        learner = by_name.get(lname)
        if learner is not None and _key_works(learner, endpoint_url, settings.region):
            outcome = "kept"
        else:
            outcome = "rekeyed" if learner else "created"
            learner = new_identity(lname, learner)
        save_workspace(learner_settings(settings, learner), Names(learner.guid, learner.scope))
        provision(_learner_session(learner, settings.region), Names(learner.guid, learner.scope),
                  endpoint_url=endpoint_url, scale=settings.scale, seed=settings.seed, with_data=with_data)
        echo(f"  {lname}  account {learner.account}  workspace {learner.guid}"
             + (f"  scope {learner.scope}" if learner.scope else ""))
        return outcome, learner

    def guarded(lname: str):
        try:
            return one(lname)
        except Exception as exc:  # noqa: BLE001 - one learner's failure must not lose the others' keys
            return "failed", f"{lname}: {type(exc).__name__}: {exc}"

    # A few learners at a time: the endpoint is threaded, and most of the time is spent waiting on it.
    failures = []
    with ThreadPoolExecutor(WORKERS) as pool:
        for outcome, learner in pool.map(guarded, [learner_name(i, width) for i in range(1, count + 1)]):
            if outcome == "failed":
                failures.append(learner)
                continue
            getattr(report, outcome).append(learner.name)
            by_name[learner.name] = learner
    klass.learners = sorted(by_name.values(), key=lambda l: l.name)
    Path(klass.store).mkdir(parents=True, exist_ok=True)
    save(klass)   # every learner that worked is in the roster, even when others failed
    if failures:
        raise ClassError(f"{len(failures)} learners could not be provisioned (run the command again to retry): "
                         + "; ".join(failures[:5]))
    return report


@dataclass
class LearnerTeardown:
    learner: str
    deleted: int = 0
    pending: int = 0
    failed: list[str] = field(default_factory=list)
    foreign: int = 0


def teardown(settings, target, klass: ClassInfo, *, keep_results: bool = False,
             echo: Callable[[str], None] = lambda _m: None) -> list[LearnerTeardown]:
    """Delete every learner's workspace (by its tag and manifest), their IAM user and account."""
    import shutil

    from ..stack import teardown as td
    from ..stack.manifest import for_workspace

    endpoint_url = target.endpoint_url
    admin = target.session()
    org = admin.client("organizations", endpoint_url=endpoint_url)
    sts = admin.client("sts", endpoint_url=endpoint_url)
    admin_iam = admin.client("iam", endpoint_url=endpoint_url)

    def one(learner: Learner) -> LearnerTeardown:
        result = LearnerTeardown(learner.name)
        session = _learner_session(learner, settings.region)
        if _key_works(learner, endpoint_url, settings.region):
            mine = learner_settings(settings, learner)
            report = td.teardown(lambda service: session.client(service, endpoint_url=endpoint_url), learner.guid,
                                 for_workspace(mine, learner.guid), settings.region, execute=True)
            result.deleted, result.pending = len(report.deleted), len(report.pending)
            result.failed = [f"{r.kind} {r.name}: {why}" for r, why in report.failed]
            result.foreign = len(report.foreign)
            if not learner.user:   # their own account: its user goes with it
                shared.remove_user(_as_account_admin(sts, learner.account, endpoint_url, settings.region), USER)
        elif learner.user:
            result.failed.append(f"its key no longer works: its IAM user is removed, but its resources "
                                 f"(tag labkit:workspace={learner.guid}) are left; run `labkit teardown` as admin")
        else:
            result.failed.append("its key is unknown to the endpoint (restarted?): nothing of it is left there")
        if learner.user:   # a shared account: the learner's user goes; the account is the class's
            shared.remove_user(admin_iam, learner.user)
        else:
            try:
                org.close_account(AccountId=learner.account)
            except Exception as exc:  # noqa: BLE001 - an account the endpoint no longer knows
                if "AccountNotFound" not in type(exc).__name__ and "AccountNotFound" not in str(exc):
                    result.failed.append(f"account {learner.account}: {exc}")
        echo(f"  {learner.name}: deleted {result.deleted}, pending {result.pending}, failed {len(result.failed)}")
        return result

    with ThreadPoolExecutor(WORKERS) as pool:
        out = list(pool.map(one, klass.learners))
    root = Path(klass.dir)
    if keep_results:
        # The store and a roster without keys stay, so `labkit class report` still works afterwards.
        shutil.rmtree(root / "learners", ignore_errors=True)
        (root / "roster.json").write_text(json.dumps(klass.as_dict(secrets=False), indent=2, sort_keys=True))
    else:
        shutil.rmtree(root, ignore_errors=True)
    return out


__all__ = ["CreateReport", "LearnerTeardown", "create", "learner_settings", "teardown"]
