"""Provision the workshop stack (what the real workshop's CloudFormation creates), idempotently.

Works on any target through a boto3 session. Every resource is tagged labkit:workspace=<guid>.
Re-running changes nothing that is already right; it repairs what is missing.
"""
from __future__ import annotations

import functools
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from .names import (FETCH_DEMO_DATA, FETCH_S3_DATA, LMS_RAW_PREFIX, LMS_SOURCE_PREFIX, SIS_RAW_PREFIX,
                    ROLES, SIS_SOURCE_PREFIX, TAG_KEY, Names)

LAMBDA_SRC = Path(__file__).parent / "lambda_src"
LAMBDA_RUNTIME = "python3.11"
KEY_DESCRIPTION = "KMS key to encrypt objects in the dataEDU S3 buckets."
_SERVICE_OF_ROLE = {
    "dataedu-fetch-demo-data-role": "lambda.amazonaws.com",
    "dataedu-fetch-s3-data-role": "lambda.amazonaws.com",
    "dataedu-glue-crawler-role": "glue.amazonaws.com",
    "dataedu-databrew-role": "databrew.amazonaws.com",
    "dataedu-redshift-role": "redshift.amazonaws.com",
    "dataedu-sagemaker-role": "sagemaker.amazonaws.com",
}


@dataclass
class ProvisionReport:
    names: Names
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    key_arn: str = ""
    account: str = ""

    def note(self, created: bool, what: str) -> None:
        (self.created if created else self.kept).append(what)


def root_only_key_policy(account: str) -> dict:
    # Only the root statement, with the console's policy Id: exactly what the workshop ships, so
    # "add key users" is the learner's job (the KMS console edits policies with this Id).
    return {
        "Version": "2012-10-17",
        "Id": "key-consolepolicy-3",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }


def bucket_policy(bucket: str, key_arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenySSES3Uploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
            {"Sid": "DenyForeignKmsKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{bucket}/*",
             # Deny only when a key id is sent and it is another key. (The workshop writes this as
             # StringNotLikeIfExists, which under IAM's rules also matches requests that send no key
             # id; Null=false states the intent exactly and lets bucket-default uploads through.)
             "Condition": {"Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                           "StringNotLike": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}},
        ],
    }


def provision(session, names: Names, *, endpoint_url: str | None = None, scale: float = 1.0,
              seed: int = 2020, with_data: bool = True) -> ProvisionReport:
    def client(service):
        return session.client(service, endpoint_url=endpoint_url) if endpoint_url else session.client(service)

    report = ProvisionReport(names)
    report.account = client("sts").get_caller_identity()["Account"]
    report.key_arn = _key(client("kms"), names, report)
    s3 = client("s3")
    for zone in ("raw", "curated", "results"):
        _data_bucket(s3, names.buckets[zone], report.key_arn, names, report)
    _plain_bucket(s3, names.buckets["source"], names, report)
    if with_data:
        _source_data(s3, names.buckets["source"], scale, seed, report)
    iam = client("iam")
    for base in ROLES:
        _role(iam, base, names, report)
    _functions(client("lambda"), names, report)
    return report


def _tags(names: Names) -> list[dict]:
    return [{"Key": TAG_KEY, "Value": names.guid}]


def _key(kms, names: Names, report: ProvisionReport) -> str:
    try:
        meta = kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]
        report.note(False, f"kms {names.kms_alias}")
        if meta.get("KeyState") == "PendingDeletion":
            kms.cancel_key_deletion(KeyId=meta["KeyId"])
            kms.enable_key(KeyId=meta["KeyId"])
        return meta["Arn"]
    except ClientError as err:
        if err.response["Error"]["Code"] != "NotFoundException":
            raise
    meta = kms.create_key(
        Description=KEY_DESCRIPTION, Policy=json.dumps(root_only_key_policy(report.account)),
        Tags=[{"TagKey": TAG_KEY, "TagValue": names.guid}])["KeyMetadata"]
    kms.create_alias(AliasName=names.kms_alias, TargetKeyId=meta["KeyId"])
    kms.enable_key_rotation(KeyId=meta["KeyId"])
    report.note(True, f"kms {names.kms_alias}")
    return meta["Arn"]


def _ensure_bucket(s3, bucket: str, names: Names, report: ProvisionReport) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        report.note(False, f"s3 {bucket}")
    except ClientError:
        region = s3.meta.region_name
        kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **kwargs)
        report.note(True, f"s3 {bucket}")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(names)})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})


def _data_bucket(s3, bucket: str, key_arn: str, names: Names, report: ProvisionReport) -> None:
    _ensure_bucket(s3, bucket, names, report)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket, key_arn)))


def _plain_bucket(s3, bucket: str, names: Names, report: ProvisionReport) -> None:
    # The workshop's asset bucket: not encrypted with dataedu-key, readable by the copy function.
    _ensure_bucket(s3, bucket, names, report)


def _source_data(s3, bucket: str, scale: float, seed: int, report: ProvisionReport) -> None:
    from .. import datasets

    wanted = {_source_key(k) for k in datasets.inventory()}
    present = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="v1/mockdata/"):
        present.update(o["Key"] for o in page.get("Contents", []))
    if wanted <= present:
        report.note(False, f"data s3://{bucket} ({len(wanted)} objects)")
        return
    for obj in _generated(scale, seed):
        key = _source_key(obj.key)
        if key not in present:
            s3.put_object(Bucket=bucket, Key=key, Body=obj.body)
    report.note(True, f"data s3://{bucket} ({len(wanted)} objects)")


@functools.lru_cache(maxsize=2)
def _generated(scale: float, seed: int) -> tuple:
    # Deterministic, so one generation per process serves every reset and re-provision.
    from .. import datasets

    return tuple(datasets.generate(scale=scale, seed=seed))


def _source_key(dataset_key: str) -> str:
    if dataset_key.startswith(SIS_RAW_PREFIX):
        return SIS_SOURCE_PREFIX + dataset_key[len(SIS_RAW_PREFIX):]
    return LMS_SOURCE_PREFIX + dataset_key[len(LMS_RAW_PREFIX):]


def _role(iam, base: str, names: Names, report: ProvisionReport) -> None:
    role = names.of(base)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": _SERVICE_OF_ROLE[base]}, "Action": "sts:AssumeRole"}]}
    try:
        iam.get_role(RoleName=role)
        report.note(False, f"iam {role}")
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), Tags=_tags(names),
                        Description="DataEDU workshop role: S3 and logs rights, no KMS rights")
        report.note(True, f"iam {role}")
    buckets = names.buckets
    resources = [f"arn:aws:s3:::{b}" for b in buckets.values()] + [f"arn:aws:s3:::{b}/*" for b in buckets.values()]
    statements = [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
                                       "s3:GetBucketLocation"], "Resource": resources},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"},
    ]
    if base == "dataedu-fetch-demo-data-role":
        statements.append({"Effect": "Allow", "Action": "lambda:InvokeFunction",
                           "Resource": f"arn:aws:lambda:*:*:function:{names.of(FETCH_S3_DATA)}"})
    # Deliberately no kms:* here: the workshop's first step is adding these roles as key users.
    iam.put_role_policy(RoleName=role, PolicyName="dataedu-s3-access",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def function_zip(module: str, extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(f"{module}.py", date_time=(2020, 8, 17, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, (LAMBDA_SRC / f"{module}.py").read_text())
        for name, text in sorted((extra or {}).items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 8, 17, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return buf.getvalue()


def _functions(lam, names: Names, report: ProvisionReport) -> None:
    from .. import datasets

    keys = datasets.inventory()
    sis = "\n".join(k[len(SIS_RAW_PREFIX):] for k in keys if k.startswith(SIS_RAW_PREFIX)) + "\n"
    lms = "\n".join(k[len(LMS_RAW_PREFIX):] for k in keys if k.startswith(LMS_RAW_PREFIX)) + "\n"
    account = report.account
    specs = {
        FETCH_DEMO_DATA: dict(
            module="dataedu_fetch_demo_data", extra={"data/sis.txt": sis, "data/lms.txt": lms},
            role=names.of("dataedu-fetch-demo-data-role"), timeout=900, memory=1769,
            env={"SOURCE_DATA_BUCKET_NAME": names.buckets["source"], "RAW_DATA_BUCKET_NAME": names.buckets["raw"],
                 "SIS_DEMO_MOCK_DATA_PREFIX": SIS_SOURCE_PREFIX, "LMS_DEMO_MOCK_DATA_PREFIX": LMS_SOURCE_PREFIX,
                 "SIS_DEMO_RAW_DATA_PREFIX": SIS_RAW_PREFIX, "LMS_DEMO_RAW_DATA_PREFIX": LMS_RAW_PREFIX,
                 "FETCH_S3_DATA_FUNCTION": names.of(FETCH_S3_DATA)}),
        FETCH_S3_DATA: dict(module="dataedu_fetch_s3_data", extra=None, role=names.of("dataedu-fetch-s3-data-role"),
                            timeout=600, memory=1769, env={}),
    }
    for base, spec in specs.items():
        name = names.of(base)
        code = function_zip(spec["module"], spec["extra"])
        role_arn = f"arn:aws:iam::{account}:role/{spec['role']}"
        config = dict(Role=role_arn, Handler=f"{spec['module']}.lambda_handler", Runtime=LAMBDA_RUNTIME,
                      Timeout=spec["timeout"], MemorySize=spec["memory"],
                      Environment={"Variables": spec["env"]})
        try:
            current = lam.get_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            lam.create_function(FunctionName=name, Code={"ZipFile": code}, Tags={TAG_KEY: names.guid},
                                Description=f"DataEDU loader ({spec['module']})", **config)
            report.note(True, f"lambda {name}")
            continue
        import base64
        import hashlib

        sha = base64.b64encode(hashlib.sha256(code).digest()).decode()
        have = current["Configuration"]
        changed = have.get("CodeSha256") != sha
        if changed:
            lam.update_function_code(FunctionName=name, ZipFile=code)
        wanted = {**config, "Environment": config["Environment"]["Variables"]}
        actual = {"Role": have.get("Role"), "Handler": have.get("Handler"), "Runtime": have.get("Runtime"),
                  "Timeout": have.get("Timeout"), "MemorySize": have.get("MemorySize"),
                  "Environment": (have.get("Environment") or {}).get("Variables", {})}
        if wanted != actual:
            lam.update_function_configuration(FunctionName=name, **config)
            changed = True
        report.note(changed, f"lambda {name}")
