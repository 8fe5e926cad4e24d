"""learners: provision a class — an account, an IAM user and the workshop stack per learner — and tear it down.

Each learner gets what a workshop on AWS gives them: an account of their own. The instructor's
identity creates it the way AWS Organizations does (CreateAccount, then AssumeRole into the new
account's ``OrganizationAccountAccessRole``), makes an IAM user with administrator rights and an
access key there, and provisions the workshop stack with the learner's own keys, into a workspace
(guid, LABKIT_HOME) of the learner's. On the kit's endpoint the account is chosen by the access
key (endpoint/moto/accounts.py), so learners never see each other's buckets, catalogs, keys or
engine state. Running create again is safe: existing learners keep their account, guid and key
(a key the endpoint no longer knows — it restarted — is replaced and the roster rewritten).

Only the local target is supported: the workshop stack has fixed names (alias/dataedu-key,
dataedu-*-role, db_raw_sisdemo, dataedu-wg), so learners cannot share one account, and creating
real AWS accounts per learner is not something to do from a laptop command. On AWS, give each
learner an account (e.g. AWS Organizations, Workshop Studio) and a profile; they run
``LABKIT_TARGET=aws labkit up`` and ``labkit submit`` into a shared class store directory.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..sessions import isolated_session
from ..stack.names import Names, new_guid
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
    return ident["Account"] == learner.account   # an unknown key lands in the default account


def _ensure_user(iam, klass: str) -> None:
    try:
        iam.get_user(UserName=USER)
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=USER, Tags=[{"Key": CLASS_TAG, "Value": klass}])
    # Administrator of their own account, as in a workshop account (inline: AWS managed policies
    # are not loaded on the local endpoint).
    iam.put_user_policy(UserName=USER, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(ADMIN_POLICY))


def _new_key(iam) -> tuple[str, str]:
    for old in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=USER, AccessKeyId=old["AccessKeyId"])
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def learner_settings(settings, learner: Learner):
    """The learner's own Settings (their LABKIT_HOME and keys), for their workspace and manifest."""
    return replace(settings, home=Path(learner.home), access_key=learner.access_key, secret_key=learner.secret_key,
                   shared_endpoint=True, learner=learner.name)


def _write_workspace(learner: Learner) -> None:
    path = Path(learner.home) / "workspace.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("local", {})["guid"] = learner.guid
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def create(settings, target, name: str, count: int, *, with_data: bool = True,
           echo: Callable[[str], None] = lambda _m: None) -> CreateReport:
    """Provision (or repair, or grow) class ``name`` to ``count`` learners on the target's endpoint."""
    from ..stack.provision import provision
    from . import roster

    if settings.target != "local":
        raise ClassError(
            f"class mode runs on the local target (one shared endpoint); LABKIT_TARGET is {settings.target}. On AWS, "
            "the workshop stack's fixed names need one account per learner: give each learner an account and a "
            "profile (AWS Organizations, Workshop Studio); they run `LABKIT_TARGET=aws labkit up` and "
            "`labkit submit` with LABKIT_CLASS_STORE pointing at a shared directory.")
    if not 1 <= count <= 500:
        raise ClassError(f"--learners must be between 1 and 500, got {count}")
    root = class_dir(settings.home, name)
    try:
        klass = roster.load(settings.home, name)
    except ClassError:
        klass = ClassInfo(name=name, target=settings.target, port=settings.port, region=settings.region,
                          endpoint_url=target.endpoint_url, dir=str(root), store=str(root / "store"))
    if klass.port != settings.port:
        raise ClassError(f"class {name} runs on port {klass.port}; run this with LABKIT_PORT={klass.port}")
    report = CreateReport(klass)
    admin = target.session()
    endpoint_url = target.endpoint_url
    org = admin.client("organizations", endpoint_url=endpoint_url)
    sts = admin.client("sts", endpoint_url=endpoint_url)
    _ensure_organization(org)
    by_name = {learner.name: learner for learner in klass.learners}
    width = max(2, len(str(count)))

    def one(lname: str) -> tuple[str, Learner]:
        learner = by_name.get(lname)
        if learner is not None and _key_works(learner, endpoint_url, settings.region):
            outcome = "kept"
        else:
            account = learner.account if learner else _new_account(org, name, lname)
            iam = _as_account_admin(sts, account, endpoint_url, settings.region)
            _ensure_user(iam, name)
            key, secret = _new_key(iam)
            home = str(root / "learners" / lname / "home")
            outcome = "rekeyed" if learner else "created"
            learner = Learner(lname, account, key, secret, learner.guid if learner else new_guid(), home)
        _write_workspace(learner)
        provision(_learner_session(learner, settings.region), Names(learner.guid), endpoint_url=endpoint_url,
                  scale=settings.scale, seed=settings.seed, with_data=with_data)
        echo(f"  {lname}  account {learner.account}  workspace {learner.guid}")
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
            iam = _as_account_admin(sts, learner.account, endpoint_url, settings.region)
            try:
                for key in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]:
                    iam.delete_access_key(UserName=USER, AccessKeyId=key["AccessKeyId"])
                iam.delete_user_policy(UserName=USER, PolicyName="AdministratorAccess")
                iam.delete_user(UserName=USER)
            except iam.exceptions.NoSuchEntityException:
                pass
        else:
            result.failed.append("its key is unknown to the endpoint (restarted?): nothing of it is left there")
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
