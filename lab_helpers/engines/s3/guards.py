"""guards: S3's input checks (key length, part numbers, upload ids, part order), then iam_lite's."""
from __future__ import annotations

from ...endpoint.registry import EngineError
from ..iam import lite

MAX_KEY_BYTES = 1024          # "The name for a key is a sequence of Unicode characters whose UTF-8
                              # encoding is at most 1,024 bytes long" (S3 User Guide, object keys)
MAX_PART_NUMBER = 10_000      # UploadPart: "Part numbers can be any number from 1 to 10,000, inclusive"

NO_SUCH_UPLOAD = ("The specified upload does not exist. The upload ID may be invalid, or the upload "
                  "may have been aborted or completed.")


def put_object(request, ctx):
    """PutObject, CopyObject, CreateMultipartUpload: the key's length, then iam_lite (the SSE-KMS
    key exists and is enabled; key policy and bucket policy allow the caller)."""
    key = request.path_params.get("Key", "")
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise EngineError("KeyTooLongError", f"Your key is too long ({size} bytes of UTF-8; at most "
                          f"{MAX_KEY_BYTES} are allowed).", 400)
    return lite.guard_write(request, ctx)


def upload_part(request, ctx):
    """UploadPart, UploadPartCopy: a part number in 1..10000 of an upload that exists."""
    raw = _query(request, "partNumber")
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PART_NUMBER:
        raise EngineError("InvalidArgument",
                          f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive", 400)
    _check_upload_exists(request, ctx)
    if request.operation == "UploadPartCopy":
        return lite.guard_copy_source(request, ctx)
    return None


def complete_multipart_upload(request, ctx):
    """An upload that exists, its parts listed in ascending part-number order."""
    _check_upload_exists(request, ctx)
    parts = ((request.parsed or {}).get("MultipartUpload") or {}).get("Parts") or []
    numbers = [p.get("PartNumber") for p in parts if isinstance(p, dict)]
    if any(not isinstance(n, int) for n in numbers):
        return None   # the gateway reads the XML; anything else is moto's to answer
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise EngineError("InvalidPartOrder", "The list of parts was not in ascending order. The parts list "
                          "must be specified in order by part number.", 400)
    return None


def _check_upload_exists(request, ctx) -> None:
    """NoSuchUpload unless moto knows the upload (asked through its own ListParts, one part)."""
    bucket, key = request.path_params.get("Bucket", ""), request.path_params.get("Key", "")
    answer = ctx.call_moto(request, "ListParts",
                           {"Bucket": bucket, "Key": key, "UploadId": _query(request, "uploadId"), "MaxParts": 1})
    if answer.error_code == "NoSuchUpload":
        raise EngineError("NoSuchUpload", NO_SUCH_UPLOAD, 404)
    # Other failures (NoSuchBucket...) are moto's to answer for the operation itself.


def _query(request, name: str) -> str:
    values = request.query.get(name) or [""]
    return values[0]
