"""iam_lite: KMS key policies and S3 bucket-policy denies enforced for S3 object access.

The one teaching-critical slice of authorization moto lacks. On AWS, writing an object that
ends up SSE-KMS encrypted needs ``kms:GenerateDataKey`` on the key and reading it needs
``kms:Decrypt``; a role that neither the key policy nor (through the key policy's root
statement) its own IAM policies allow gets AccessDenied. The workshop's roles have S3 rights
but no KMS rights, so they fail until the learner adds them as key users.

Emulated:
- S3 PutObject, CopyObject, CreateMultipartUpload (GenerateDataKey on the effective key:
  the request's SSE headers, else the bucket default) and GetObject / CopyObject and
  UploadPartCopy source (Decrypt on the object's key), for assumed-role sessions from STS
  AssumeRole; for every caller, the key must exist and be enabled (KMS.NotFoundException /
  KMS.DisabledException, as S3 answers);
- key policy statements (Allow/Deny, Principal AWS ARNs / "*", Action wildcards), the root
  statement delegating to the role's inline and attached IAM policies;
- bucket-policy Deny statements on s3:PutObject with String*/Null conditions on
  ``s3:x-amz-server-side-encryption`` and ``s3:x-amz-server-side-encryption-aws-kms-key-id``
  (moto evaluates bucket policies without these keys, so the adapter switches that off).

LIMITATIONS: not a general IAM evaluator. The learner's own identity (any non-role
credentials) is the account's admin and is always allowed, as the root statement gives it on
AWS. Identity-policy checks for S3 itself, permission boundaries, SCPs, grants, VPC endpoint
policies and condition keys other than the two above are not evaluated.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
The write checks (``lite.guard_write``, ``lite.guard_copy_source``) run inside engines/s3's
guards, after S3's own input checks: the gateway runs one guard per operation.
"""
HANDLERS: dict = {}
GUARDS = {
    ("s3", "GetObject"): f"{__name__}.lite:guard_read",
}
