"""s3: the input checks S3 makes before it stores anything, which moto skips or crashes on.

moto stores S3 objects (the control plane and the bytes stay moto's); these guards refuse, with
S3's own error, what AWS refuses at the door:
- an object key longer than 1024 bytes of UTF-8 (PutObject, CopyObject, CreateMultipartUpload)
  → 400 ``KeyTooLongError``;
- an SSE-KMS key (request header or the bucket's default) that does not exist, is disabled or
  is pending deletion → 400 ``KMS.NotFoundException`` / ``KMS.DisabledException`` /
  ``KMS.KMSInvalidStateException``, for every caller (iam_lite's ``usable_key``);
- UploadPart / UploadPartCopy with a part number outside 1..10000 → 400 ``InvalidArgument``;
- UploadPart, UploadPartCopy, CompleteMultipartUpload naming an upload that does not exist (never
  created, completed or aborted) → 404 ``NoSuchUpload`` (moto answered a 500 ``KeyError``);
- CompleteMultipartUpload whose parts are not in ascending part-number order → 400
  ``InvalidPartOrder``.
Each guard then runs iam_lite's authorization check for its operation (KMS key policies, bucket
policy denies), so an operation still has exactly one guard.

LIMITATIONS: the error bodies carry Code and Message only (AWS adds elements such as
ArgumentName, UploadId, MaxSizeAllowed). An upload id is looked up per bucket, not per key (an
id of another key in the same bucket passes to moto). The part order is checked only when the
gateway read the request's XML (path-style requests, which every kit client sends); GetObject and
other reads do not check key length. Other S3 input limits (part sizes beyond moto's own check,
metadata size, tag counts) are moto's or not checked.
"""
HANDLERS: dict = {}
GUARDS = {
    ("s3", "PutObject"): f"{__name__}.guards:put_object",
    ("s3", "CopyObject"): f"{__name__}.guards:put_object",
    ("s3", "CreateMultipartUpload"): f"{__name__}.guards:put_object",
    ("s3", "UploadPart"): f"{__name__}.guards:upload_part",
    ("s3", "UploadPartCopy"): f"{__name__}.guards:upload_part",
    ("s3", "CompleteMultipartUpload"): f"{__name__}.guards:complete_multipart_upload",
}
