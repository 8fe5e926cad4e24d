"""shared: a class in ONE account — per learner an IAM user, a scope and a policy fenced to both.

When every learner cannot have an account of their own (a real AWS account an instructor
controls, a sandbox account of a training provider), learners share one. Two things keep them
apart there:

- **Names.** Each learner's workspace has a scope (``l07``), so every account-wide name of the
  workshop carries it (``l07-dataedu-glue-crawler-role``, ``l07_db_raw_sisdemo``,
  ``alias/l07-dataedu-key``; stack/names.py), and their buckets carry their workspace guid. Two
  learners never create or look up the same name.
- **Rights.** Each learner is an IAM user ``labkit-<class>-<learner>`` whose one inline policy
  (``learner_policy``) allows the workshop's services on resources with the learner's names or
  the learner's workspace tag, lists and describes account-wide (the consoles and the labs'
  "what exists" cells need that), and nothing on anyone else's named resources. Creating a
  resource of a service that names by id (KMS keys, Redshift Serverless) requires the learner's
  workspace tag, and using one requires it on the resource (``aws:ResourceTag``).

LIMITATIONS: the local endpoint (moto) does not enforce identity policies of IAM users, so on the
local target the fence is the names alone; the policy is evaluated by the tests with the kit's
own policy evaluator (engines/iam/policy.py ``identity_decision``), not by AWS. A service that
authorizes by request rather than by resource (Athena queries read Glue and S3 as the caller)
stays fenced through Glue and S3. Quotas are the account's: 30 learners × one Redshift Serverless
workgroup each needs the account's workgroup quota raised first.
"""
from __future__ import annotations

import json

from ..stack.names import TAG_KEY, Names

USER_PREFIX = "labkit-"
POLICY_NAME = "labkit-learner"
# Read-only calls the labs and consoles make on "*" (what exists, quotas, identity): no data.
DISCOVER = ["sts:GetCallerIdentity", "iam:ListRoles", "iam:GetAccountSummary", "s3:ListAllMyBuckets",
            "kms:ListAliases", "kms:ListKeys", "glue:GetDatabases", "glue:GetCrawlers", "glue:ListCrawlers",
            "athena:ListWorkGroups", "athena:ListDataCatalogs", "lambda:ListFunctions", "databrew:List*",
            "redshift-serverless:List*", "sagemaker:List*", "logs:DescribeLogGroups", "tag:GetResources",
            "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "ec2:DescribeRegions"]


def user_name(klass: str, learner: str) -> str:
    return f"{USER_PREFIX}{klass}-{learner}"[:64]


def learner_policy(names: Names, account: str, region: str = "*") -> dict:
    """The one inline policy of a learner's IAM user in a shared account (see the module text)."""
    if not names.scope:
        raise ValueError("a learner in a shared account needs a scoped workspace")
    s, acct, rg = names.scope, account, region
    dash, under = f"{s}-*", f"{s}_*"
    buckets = [f"arn:aws:s3:::{b}" for b in names.buckets.values()]
    tagged = {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": names.guid}}
    tagging = {"StringEquals": {f"aws:RequestTag/{TAG_KEY}": names.guid}}

    def allow(sid, actions, resources, condition=None):
        st = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
        if condition:
            st["Condition"] = condition
        return st

    statements = [
        allow("Discover", DISCOVER, "*"),
        allow("OwnBuckets", "s3:*", buckets + [f"{b}/*" for b in buckets]),
        allow("OwnRoles", "iam:*", [f"arn:aws:iam::{acct}:role/{dash}", f"arn:aws:iam::{acct}:policy/{dash}"]),
        allow("OwnKeyCreate", ["kms:CreateKey", "kms:TagResource"], "*", tagging),
        allow("OwnKey", "kms:*", f"arn:aws:kms:{rg}:{acct}:key/*", tagged),
        allow("OwnKeyAlias", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
              f"arn:aws:kms:{rg}:{acct}:alias/{dash}"),
        allow("OwnCatalog", "glue:*", [f"arn:aws:glue:{rg}:{acct}:catalog",
                                       f"arn:aws:glue:{rg}:{acct}:database/{under}",
                                       f"arn:aws:glue:{rg}:{acct}:table/{under}/*",
                                       f"arn:aws:glue:{rg}:{acct}:userDefinedFunction/{under}/*",
                                       f"arn:aws:glue:{rg}:{acct}:crawler/{dash}"]),
        allow("OwnFunctions", "lambda:*", f"arn:aws:lambda:{rg}:{acct}:function:{dash}"),
        allow("OwnLogs", "logs:*", [f"arn:aws:logs:{rg}:{acct}:log-group:/aws/lambda/{dash}",
                                    f"arn:aws:logs:{rg}:{acct}:log-group:/aws-glue-databrew/jobs/{dash}",
                                    f"arn:aws:logs:{rg}:{acct}:log-group:/aws/sagemaker/*:log-stream:{dash}",
                                    f"arn:aws:logs:{rg}:{acct}:log-group:/aws-glue/crawlers:log-stream:{dash}"]),
        allow("OwnWorkgroup", "athena:*", f"arn:aws:athena:{rg}:{acct}:workgroup/{dash}"),
        allow("OwnDataBrew", "databrew:*", [f"arn:aws:databrew:{rg}:{acct}:{kind}/{dash}"
                                            for kind in ("dataset", "recipe", "project", "job", "ruleset",
                                                         "schedule")]),
        allow("OwnRedshiftCreate", ["redshift-serverless:CreateNamespace", "redshift-serverless:CreateWorkgroup",
                                    "redshift-serverless:TagResource"], "*", tagging),
        allow("OwnRedshift", ["redshift-serverless:*", "redshift-data:*"], "*", tagged),
        allow("OwnStatements", ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
                                "redshift-data:GetStatementResultV2", "redshift-data:CancelStatement"], "*",
              {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}),
        allow("OwnSageMaker", "sagemaker:*", [f"arn:aws:sagemaker:{rg}:{acct}:{kind}/{dash}"
                                              for kind in ("training-job", "model", "endpoint-config", "endpoint",
                                                           "transform-job", "processing-job")]),
        allow("PassOwnRoles", "iam:PassRole", f"arn:aws:iam::{acct}:role/{dash}"),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_user(iam, klass: str, learner: str, names: Names, account: str, region: str) -> tuple[str, str]:
    """The learner's IAM user (tagged with the class and workspace), its policy, and a new access key."""
    user = user_name(klass, learner)
    try:
        tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}
        if tags.get("labkit:class") != klass:
            raise ValueError(f"IAM user {user} exists and is not of class {klass} (tag labkit:class="
                             f"{tags.get('labkit:class')!r}); it is left alone: choose another class name")
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=user, Tags=[{"Key": "labkit:class", "Value": klass},
                                             {"Key": TAG_KEY, "Value": names.guid}])
    iam.put_user_policy(UserName=user, PolicyName=POLICY_NAME,
                        PolicyDocument=json.dumps(learner_policy(names, account, region)))
    return new_key(iam, user)


def new_key(iam, user: str) -> tuple[str, str]:
    """A new access key for ``user``; the old ones are deleted (a learner has exactly one)."""
    for old in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=old["AccessKeyId"])
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def remove_user(iam, user: str) -> None:
    """The user, its access keys and inline policies; a user that is already gone is fine."""
    try:
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        for policy in iam.list_user_policies(UserName=user)["PolicyNames"]:
            iam.delete_user_policy(UserName=user, PolicyName=policy)
        iam.delete_user(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        pass


def scope_taken_by(iam, names: Names) -> str | None:
    """Another workspace already using this scope in the account (its role's workspace tag), if any."""
    role = names.of("dataedu-glue-crawler-role")
    try:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
    except iam.exceptions.NoSuchEntityException:
        return None
    owner = tags.get(TAG_KEY, "")
    return None if owner == names.guid else (owner or "an untagged workspace")


__all__ = ["learner_policy", "ensure_user", "new_key", "remove_user", "scope_taken_by", "user_name"]
