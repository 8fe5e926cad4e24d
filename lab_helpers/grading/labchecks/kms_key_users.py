"""Checks for lab 01_kms_key_users: the key-users statement, and an object the role wrote."""
from __future__ import annotations

import json

from ...engines.iam.policy import allows_role
from ..checks import Check, Part, object_encryption_parts

# Roles that read or write the encrypted lake in later labs.
KEY_USER_ROLES = ("dataedu-fetch-s3-data-role", "dataedu-glue-crawler-role", "dataedu-databrew-role",
                  "dataedu-redshift-role", "dataedu-sagemaker-role")
ROLE_TEST_KEY = "labkit-checks/written-by-role.txt"


def key_users(ctx) -> list[Part]:
    kms = ctx.client("kms")
    key_id = kms.describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    account = ctx.client("sts").get_caller_identity()["Account"]
    root = f"arn:aws:iam::{account}:root"
    has_root = any(st.get("Effect") == "Allow" and root in json.dumps(st.get("Principal", "")) and
                   st.get("Action") in ("kms:*", ["kms:*"]) for st in policy.get("Statement", []))
    parts = [Part(has_root, "the root-account statement is still there (you did not lock the account out)",
                  "Put back the 'Enable IAM User Permissions' statement for the account root.")]
    for role in map(ctx.names.of, KEY_USER_ROLES):
        arn = f"arn:aws:iam::{account}:role/{role}"
        ok = all(allows_role(policy, arn, a) for a in ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"))
        parts.append(Part(ok, f"{role} {'is' if ok else 'is not'} a key user (Encrypt, Decrypt, GenerateDataKey)",
                          "Add a key-users statement to the key policy that names the workshop roles."))
    return parts


def role_can_write(ctx) -> list[Part]:
    return object_encryption_parts(
        ctx, ctx.buckets["raw"], ROLE_TEST_KEY, f"the object written as {ctx.names.of('dataedu-fetch-s3-data-role')}",
        "After adding the key users, write the test object again as the role (the 'retry' step).")


CHECKS = [
    Check("key_users", "the workshop roles are key users of dataedu-key", key_users, 10),
    Check("role_can_write", "the fetch role can write SSE-KMS objects to the raw zone", role_can_write, 10),
]
