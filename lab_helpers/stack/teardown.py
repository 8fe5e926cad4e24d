"""teardown: find everything a workspace owns, and delete it in dependency order — nothing else.

Ownership is proved, never guessed from a name: a resource is the workspace's when it carries
``labkit:workspace=<guid>`` (read again right before it is deleted), or — for what AWS cannot tag
(Glue databases and tables, budgets) — when the workspace manifest recorded it at creation. What
lives inside an owned resource goes with it (a bucket's objects, a role's policies, a key's
aliases, a database's tables). Everything else is left and counted: untagged resources, those of
another workspace, and those whose tags cannot be read.

Kinds run in the order of ``KINDS``: what uses a resource goes before it (endpoints before their
configs and models, workgroups before namespaces, jobs before their datasets, crawlers before
the databases they fill, everything before the roles it runs as, buckets before the key that
encrypts them). Some deletions finish later on AWS (a KMS key is only *scheduled* for deletion,
7 days at least; a Redshift Serverless namespace waits for its workgroup): those are reported,
and running teardown again finishes them.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from .manifest import Manifest
from .names import TAG_KEY

KMS_PENDING_DAYS = 7   # the shortest window KMS allows


@dataclass
class Resource:
    kind: str
    name: str
    arn: str = ""
    proof: str = ""            # "tag" | "manifest" | "" (not the workspace's)
    detail: dict = field(default_factory=dict)


@dataclass
class Report:
    guid: str
    executed: bool
    owned: list[Resource] = field(default_factory=list)
    deleted: list[Resource] = field(default_factory=list)
    pending: list[tuple[Resource, str]] = field(default_factory=list)   # asked to go; AWS finishes later
    failed: list[tuple[Resource, str]] = field(default_factory=list)
    foreign: list[Resource] = field(default_factory=list)               # seen, not the workspace's
    unlisted: list[tuple[str, str]] = field(default_factory=list)       # (kind, why it could not be listed)

    def as_dict(self) -> dict:
        return {
            "workspace": self.guid, "executed": self.executed,
            "owned": [asdict(r) for r in self.owned], "deleted": [asdict(r) for r in self.deleted],
            "pending": [{**asdict(r), "reason": why} for r, why in self.pending],
            "failed": [{**asdict(r), "reason": why} for r, why in self.failed],
            "foreign": [asdict(r) for r in self.foreign],
            "unlisted": [{"kind": k, "reason": why} for k, why in self.unlisted],
        }


def _code(err: Exception) -> str:
    return err.response.get("Error", {}).get("Code", "") if isinstance(err, ClientError) else type(err).__name__


_GONE = {"NoSuchBucket", "NoSuchEntity", "EntityNotFoundException", "ResourceNotFoundException",
         "NotFoundException"}


def _gone(err: Exception) -> bool:
    """The resource no longer exists (deleted meanwhile): nothing left to do."""
    return _code(err) in _GONE


class Pending(Exception):
    """The deletion was requested and AWS completes it later (the message says when/what to do)."""


# --- the kinds ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str
    service: str
    list: Callable                 # (client, ctx) -> iterable of Resource (proof not yet decided)
    tags: Callable | None          # (client, resource, ctx) -> {key: value}; None: proved by the manifest
    delete: Callable               # (client, resource, ctx) -> None; raises Pending when AWS finishes later
    manifest_kind: str = ""


@dataclass
class _Ctx:
    region: str
    account: str
    manifest: Manifest
    wait_s: float = 60.0


def _paginate(client, op: str, key: str, **kwargs) -> Iterable:
    if client.can_paginate(op):
        for page in client.get_paginator(op).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, op)(**kwargs).get(key, [])


def _kv(items, k="Key", v="Value") -> dict:
    return {t[k]: t[v] for t in items or []}


# SageMaker ---------------------------------------------------------------------------------
def _sm_list(op, key, name_key, arn_key):
    return lambda c, x: (Resource("", r[name_key], r.get(arn_key, "")) for r in _paginate(c, op, key))


def _sm_tags(c, r, x):
    return _kv(c.list_tags(ResourceArn=r.arn).get("Tags"))


def _sm_training_list(c, x):
    for r in _paginate(c, "list_training_jobs", "TrainingJobSummaries"):
        yield Resource("", r["TrainingJobName"], r["TrainingJobArn"], detail={"status": r.get("TrainingJobStatus")})


def _sm_training_stop(c, r, x):
    if r.detail.get("status") in ("InProgress", "Stopping"):
        c.stop_training_job(TrainingJobName=r.name)
        raise Pending("stopped; SageMaker keeps training job records (they cost nothing once stopped)")
    raise Pending("finished; SageMaker keeps training job records (they cannot be deleted and cost nothing)")


def _sm_notebook_delete(c, r, x):
    status = c.describe_notebook_instance(NotebookInstanceName=r.name)["NotebookInstanceStatus"]
    if status in ("InService", "Pending", "Updating"):
        c.stop_notebook_instance(NotebookInstanceName=r.name)
        raise Pending("stopping; run teardown again in a few minutes to delete it")
    if status == "Stopping":
        raise Pending("stopping; run teardown again in a few minutes to delete it")
    c.delete_notebook_instance(NotebookInstanceName=r.name)


# Redshift Serverless ----------------------------------------------------------------------
def _rs_tags(c, r, x):
    return _kv(c.list_tags_for_resource(resourceArn=r.arn).get("tags"), "key", "value")


def _rs_namespace_delete(c, r, x):
    try:
        c.delete_namespace(namespaceName=r.name)
    except ClientError as err:
        if _code(err) == "ConflictException":
            raise Pending("waits for its workgroup to finish deleting; run teardown again in a few minutes") from None
        raise


# DataBrew ---------------------------------------------------------------------------------
def _db_arn(x, what, name):
    return f"arn:aws:databrew:{x.region}:{x.account}:{what}/{name}"


def _db_list(op, key, what, **kwargs):
    return lambda c, x: (Resource("", r["Name"], r.get("ResourceArn") or _db_arn(x, what, r["Name"]))
                         for r in _paginate(c, op, key, **kwargs))


def _db_tags(c, r, x):
    return dict(c.list_tags_for_resource(ResourceArn=r.arn).get("Tags") or {})


def _db_recipe_delete(c, r, x):
    versions = [v["RecipeVersion"] for v in _paginate(c, "list_recipe_versions", "Recipes", Name=r.name)]
    for version in versions + ["LATEST_WORKING"]:
        try:
            c.delete_recipe_version(Name=r.name, RecipeVersion=version)
        except ClientError as err:
            if not _gone(err):
                raise


# Glue ----------------------------------------------------------------------------------------
def _glue_crawlers(c, x):
    for name in _paginate(c, "list_crawlers", "CrawlerNames"):
        yield Resource("", name, f"arn:aws:glue:{x.region}:{x.account}:crawler/{name}")


def _glue_tags(c, r, x):
    return dict(c.get_tags(ResourceArn=r.arn).get("Tags") or {})


def _glue_crawler_delete(c, r, x):
    deadline = time.monotonic() + x.wait_s
    while True:
        state = c.get_crawler(Name=r.name)["Crawler"]["State"]
        if state == "RUNNING":
            try:
                c.stop_crawler(Name=r.name)
            except ClientError as err:
                if _code(err) not in ("CrawlerStoppingException", "CrawlerNotRunningException"):
                    raise
        elif state == "READY":
            c.delete_crawler(Name=r.name)
            return
        if time.monotonic() > deadline:
            raise Pending(f"still {state}; run teardown again when it is READY")
        time.sleep(0.5)


def _manifest_list(kind: str, fields: tuple[str, ...]):
    def inventory(c, x):
        for e in x.manifest.entries():
            if e["kind"] == kind and e.get("region", "") in ("", x.region):
                name = ".".join(e[f] for f in fields)
                yield Resource("", name, "", "manifest", {f: e[f] for f in fields} | {"entry": e})
    return inventory


def _glue_table_delete(c, r, x):
    try:
        c.delete_table(DatabaseName=r.detail["database"], Name=r.detail["name"])
    except ClientError as err:
        if not _gone(err):
            raise
    x.manifest.forget(r.detail["entry"])


def _glue_database_delete(c, r, x):
    try:
        c.delete_database(Name=r.detail["name"])   # its tables go with it
    except ClientError as err:
        if not _gone(err):
            raise
    x.manifest.forget(r.detail["entry"])


# Athena ----------------------------------------------------------------------------------------
def _athena_list(c, x):
    for wg in _paginate(c, "list_work_groups", "WorkGroups"):
        if wg["Name"] != "primary":   # every account's default workgroup: never deleted
            yield Resource("", wg["Name"], f"arn:aws:athena:{x.region}:{x.account}:workgroup/{wg['Name']}")


def _athena_tags(c, r, x):
    return _kv(c.list_tags_for_resource(ResourceARN=r.arn).get("Tags"))


# Lambda, logs, secrets -----------------------------------------------------------------------
def _lambda_list(c, x):
    for fn in _paginate(c, "list_functions", "Functions"):
        yield Resource("", fn["FunctionName"], fn["FunctionArn"])


def _logs_list(c, x):
    for g in _paginate(c, "describe_log_groups", "logGroups"):
        yield Resource("", g["logGroupName"], g.get("arn", "").removesuffix(":*"))


def _logs_tags(c, r, x):
    return dict(c.list_tags_log_group(logGroupName=r.name).get("tags") or {})


def _secrets_list(c, x):
    for s in _paginate(c, "list_secrets", "SecretList"):
        yield Resource("", s["Name"], s["ARN"])


def _secrets_tags(c, r, x):
    return _kv(c.describe_secret(SecretId=r.arn).get("Tags"))


# S3 ------------------------------------------------------------------------------------------
def _s3_list(c, x):
    for b in c.list_buckets().get("Buckets", []):
        yield Resource("", b["Name"], f"arn:aws:s3:::{b['Name']}")


def _s3_tags(c, r, x):
    try:
        return _kv(c.get_bucket_tagging(Bucket=r.name).get("TagSet"))
    except ClientError as err:
        if _code(err) == "NoSuchTagSet":
            return {}
        raise


def _s3_delete(c, r, x):
    # Every version and delete marker first (the stack's buckets are versioned), then the bucket.
    for page in c.get_paginator("list_object_versions").paginate(Bucket=r.name):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for i in range(0, len(doomed), 1000):
            c.delete_objects(Bucket=r.name, Delete={"Objects": doomed[i:i + 1000], "Quiet": True})
    for upload in c.list_multipart_uploads(Bucket=r.name).get("Uploads", []):
        c.abort_multipart_upload(Bucket=r.name, Key=upload["Key"], UploadId=upload["UploadId"])
    c.delete_bucket(Bucket=r.name)


# IAM -----------------------------------------------------------------------------------------
def _iam_roles(c, x):
    for role in _paginate(c, "list_roles", "Roles"):
        if not role.get("Path", "/").startswith("/aws-service-role/"):
            yield Resource("", role["RoleName"], role["Arn"])


def _iam_role_tags(c, r, x):
    return _kv(c.list_role_tags(RoleName=r.name).get("Tags"))


def _iam_role_delete(c, r, x):
    for p in _paginate(c, "list_attached_role_policies", "AttachedPolicies", RoleName=r.name):
        c.detach_role_policy(RoleName=r.name, PolicyArn=p["PolicyArn"])
    for name in _paginate(c, "list_role_policies", "PolicyNames", RoleName=r.name):
        c.delete_role_policy(RoleName=r.name, PolicyName=name)
    for profile in _paginate(c, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=r.name):
        c.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=r.name)
    c.delete_role(RoleName=r.name)


def _iam_users(c, x):
    for user in _paginate(c, "list_users", "Users"):
        yield Resource("", user["UserName"], user["Arn"])


def _iam_user_tags(c, r, x):
    return _kv(c.list_user_tags(UserName=r.name).get("Tags"))


def _iam_user_delete(c, r, x):
    for key in _paginate(c, "list_access_keys", "AccessKeyMetadata", UserName=r.name):
        c.delete_access_key(UserName=r.name, AccessKeyId=key["AccessKeyId"])
    for p in _paginate(c, "list_attached_user_policies", "AttachedPolicies", UserName=r.name):
        c.detach_user_policy(UserName=r.name, PolicyArn=p["PolicyArn"])
    for name in _paginate(c, "list_user_policies", "PolicyNames", UserName=r.name):
        c.delete_user_policy(UserName=r.name, PolicyName=name)
    for group in _paginate(c, "list_groups_for_user", "Groups", UserName=r.name):
        c.remove_user_from_group(GroupName=group["GroupName"], UserName=r.name)
    try:
        c.delete_login_profile(UserName=r.name)
    except ClientError as err:
        if not _gone(err):
            raise
    c.delete_user(UserName=r.name)


def _iam_policies(c, x):
    for p in _paginate(c, "list_policies", "Policies", Scope="Local"):
        yield Resource("", p["PolicyName"], p["Arn"])


def _iam_policy_tags(c, r, x):
    return _kv(c.list_policy_tags(PolicyArn=r.arn).get("Tags"))


def _iam_policy_delete(c, r, x):
    entities = c.list_entities_for_policy(PolicyArn=r.arn)
    for role in entities.get("PolicyRoles", []):
        c.detach_role_policy(RoleName=role["RoleName"], PolicyArn=r.arn)
    for user in entities.get("PolicyUsers", []):
        c.detach_user_policy(UserName=user["UserName"], PolicyArn=r.arn)
    for group in entities.get("PolicyGroups", []):
        c.detach_group_policy(GroupName=group["GroupName"], PolicyArn=r.arn)
    for v in c.list_policy_versions(PolicyArn=r.arn).get("Versions", []):
        if not v["IsDefaultVersion"]:
            c.delete_policy_version(PolicyArn=r.arn, VersionId=v["VersionId"])
    c.delete_policy(PolicyArn=r.arn)


# KMS ----------------------------------------------------------------------------------------
def _kms_list(c, x):
    for key in _paginate(c, "list_keys", "Keys"):
        meta = c.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS":
            continue   # AWS managed keys (aws/s3, ...) belong to the account, not to a workspace
        yield Resource("", key["KeyId"], key["KeyArn"], detail={"state": meta.get("KeyState")})


def _kms_tags(c, r, x):
    return _kv(c.list_resource_tags(KeyId=r.name).get("Tags"), "TagKey", "TagValue")


def _kms_delete(c, r, x):
    if c.describe_key(KeyId=r.name)["KeyMetadata"].get("KeyState") == "PendingDeletion":
        raise Pending("already scheduled for deletion")
    aliases = [a["AliasName"] for a in _paginate(c, "list_aliases", "Aliases", KeyId=r.name)]
    for alias in aliases:
        c.delete_alias(AliasName=alias)
    when = c.schedule_key_deletion(KeyId=r.name, PendingWindowInDays=KMS_PENDING_DAYS)["DeletionDate"]
    r.detail["aliases"] = aliases
    raise Pending(f"scheduled for deletion on {when:%Y-%m-%d} (KMS waits {KMS_PENDING_DAYS} days at least); "
                  f"aliases {', '.join(aliases) or '(none)'} deleted")


# Budgets ------------------------------------------------------------------------------------
def _budget_delete(c, r, x):
    try:
        c.delete_budget(AccountId=x.account, BudgetName=r.detail["name"])
    except ClientError as err:
        if _code(err) != "NotFoundException":
            raise
    x.manifest.forget(r.detail["entry"])


def _delete(op: str, param: str, value: str = "name", **extra):
    def run(c, r, x):
        getattr(c, op)(**{param: getattr(r, value)}, **extra)
    return run


# The order is the dependency order (see the module docstring).
KINDS: tuple[Kind, ...] = (
    Kind("sagemaker endpoint", "sagemaker", _sm_list("list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
         _sm_tags, _delete("delete_endpoint", "EndpointName")),
    Kind("sagemaker endpoint config", "sagemaker",
         _sm_list("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
         _sm_tags, _delete("delete_endpoint_config", "EndpointConfigName")),
    Kind("sagemaker model", "sagemaker", _sm_list("list_models", "Models", "ModelName", "ModelArn"),
         _sm_tags, _delete("delete_model", "ModelName")),
    Kind("sagemaker training job", "sagemaker", _sm_training_list, _sm_tags, _sm_training_stop),
    Kind("sagemaker notebook instance", "sagemaker",
         _sm_list("list_notebook_instances", "NotebookInstances", "NotebookInstanceName", "NotebookInstanceArn"),
         _sm_tags, _sm_notebook_delete),
    Kind("redshift-serverless workgroup", "redshift-serverless",
         lambda c, x: (Resource("", w["workgroupName"], w["workgroupArn"])
                       for w in _paginate(c, "list_workgroups", "workgroups")),
         _rs_tags, _delete("delete_workgroup", "workgroupName")),
    Kind("redshift-serverless namespace", "redshift-serverless",
         lambda c, x: (Resource("", n["namespaceName"], n["namespaceArn"])
                       for n in _paginate(c, "list_namespaces", "namespaces")),
         _rs_tags, _rs_namespace_delete),
    Kind("databrew job", "databrew", _db_list("list_jobs", "Jobs", "job"), _db_tags, _delete("delete_job", "Name")),
    Kind("databrew project", "databrew", _db_list("list_projects", "Projects", "project"), _db_tags,
         _delete("delete_project", "Name")),
    # Every recipe has a working version; ListRecipes without RecipeVersion lists published ones only.
    Kind("databrew recipe", "databrew", _db_list("list_recipes", "Recipes", "recipe", RecipeVersion="LATEST_WORKING"),
         _db_tags, _db_recipe_delete),
    Kind("databrew ruleset", "databrew", _db_list("list_rulesets", "Rulesets", "ruleset"), _db_tags,
         _delete("delete_ruleset", "Name")),
    Kind("databrew dataset", "databrew", _db_list("list_datasets", "Datasets", "dataset"), _db_tags,
         _delete("delete_dataset", "Name")),
    Kind("glue crawler", "glue", _glue_crawlers, _glue_tags, _glue_crawler_delete),
    Kind("glue table", "glue", _manifest_list("glue_table", ("database", "name")), None, _glue_table_delete,
         "glue_table"),
    Kind("glue database", "glue", _manifest_list("glue_database", ("name",)), None, _glue_database_delete,
         "glue_database"),
    Kind("athena workgroup", "athena", _athena_list, _athena_tags,
         lambda c, r, x: c.delete_work_group(WorkGroup=r.name, RecursiveDeleteOption=True)),
    Kind("lambda function", "lambda", _lambda_list, lambda c, r, x: dict(c.list_tags(Resource=r.arn).get("Tags") or {}),
         _delete("delete_function", "FunctionName")),
    Kind("log group", "logs", _logs_list, _logs_tags, _delete("delete_log_group", "logGroupName")),
    Kind("secret", "secretsmanager", _secrets_list, _secrets_tags,
         _delete("delete_secret", "SecretId", "arn", ForceDeleteWithoutRecovery=True)),
    Kind("s3 bucket", "s3", _s3_list, _s3_tags, _s3_delete),
    Kind("iam user", "iam", _iam_users, _iam_user_tags, _iam_user_delete),
    Kind("iam role", "iam", _iam_roles, _iam_role_tags, _iam_role_delete),
    Kind("iam policy", "iam", _iam_policies, _iam_policy_tags, _iam_policy_delete),
    Kind("kms key", "kms", _kms_list, _kms_tags, _kms_delete),
    Kind("budget", "budgets", _manifest_list("budget", ("name",)), None, _budget_delete, "budget"),
)


def _owner(kind: Kind, client, r: Resource, ctx: _Ctx, guid: str) -> str:
    """'tag' or 'manifest' when the workspace owns it, else '' (never raises)."""
    if kind.tags is None:
        return "manifest" if kind.manifest_kind and ctx.manifest.owns(
            kind.manifest_kind, r.detail["entry"].get("region", ""),
            **{k: v for k, v in r.detail.items() if k != "entry"}) else ""
    try:
        return "tag" if kind.tags(client, r, ctx).get(TAG_KEY) == guid else ""
    except (ClientError, BotoCoreError) as err:
        r.detail["tags_unreadable"] = _code(err)
        return ""


def teardown(client: Callable[[str], object], guid: str, manifest: Manifest, region: str, *,
             execute: bool = False, kinds: Iterable[str] | None = None, wait_s: float = 60.0,
             echo: Callable[[str], None] | None = None) -> Report:
    """Inventory (and with ``execute``, delete) what workspace ``guid`` owns. ``client(service)``
    returns a boto3 client for the target. Returns a Report; never deletes a resource whose
    ownership it has not just proved."""
    echo = echo or (lambda _msg: None)
    account = client("sts").get_caller_identity()["Account"]
    ctx = _Ctx(region, account, manifest, wait_s)
    report = Report(guid, execute)
    wanted = set(kinds) if kinds is not None else None
    clients: dict[str, object] = {}
    for kind in KINDS:
        if wanted is not None and kind.name not in wanted:
            continue
        if kind.service not in clients:
            clients[kind.service] = client(kind.service)
        c = clients[kind.service]
        try:
            candidates = list(kind.list(c, ctx))
        except (ClientError, BotoCoreError) as err:
            report.unlisted.append((kind.name, f"{_code(err)}: {err}"))
            continue
        for r in candidates:
            r.kind = kind.name
            r.proof = _owner(kind, c, r, ctx, guid)
            (report.owned if r.proof else report.foreign).append(r)
            if not (r.proof and execute):
                continue
            # Proved again right before the deletion: a tag removed meanwhile means hands off.
            if _owner(kind, c, r, ctx, guid) != r.proof:
                report.failed.append((r, "its workspace tag changed during teardown; left alone"))
                continue
            try:
                kind.delete(c, r, ctx)
                report.deleted.append(r)
                echo(f"deleted  {kind.name:30s} {r.name}")
            except Pending as why:
                report.pending.append((r, str(why)))
                echo(f"pending  {kind.name:30s} {r.name}: {why}")
            except (ClientError, BotoCoreError) as err:
                if _gone(err):
                    report.deleted.append(r)
                    continue
                report.failed.append((r, f"{_code(err)}: {err}"))
                echo(f"FAILED   {kind.name:30s} {r.name}: {err}")
    return report
