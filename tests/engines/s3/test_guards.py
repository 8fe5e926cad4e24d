"""engines/s3 guards, called directly: each refusal, its boundary, and what passes on to moto.
(tests/reliability/test_s3_input_errors.py drives the same cases through boto3 and the endpoint.)"""
from __future__ import annotations

import pytest

from lab_helpers.endpoint.moto import MotoAnswer
from lab_helpers.endpoint.registry import EngineError, EngineRequest
from lab_helpers.engines.s3 import guards


class FakeContext:
    """Answers the guards' in-process ListParts as moto would for the uploads it knows."""

    def __init__(self, uploads=()):
        self.uploads = set(uploads)
        self.asked = []

    def call_moto(self, request, operation=None, params=None):
        self.asked.append((operation, params))
        if params["UploadId"] in self.uploads:
            return MotoAnswer(200, {}, b"<ListPartsResult/>")
        return MotoAnswer(404, {}, b"<Error><Code>NoSuchUpload</Code><Message>no</Message></Error>")


def request(operation: str, key: str = "k", query: dict | None = None, parsed: dict | None = None) -> EngineRequest:
    return EngineRequest(service="s3", operation=operation, region="us-east-1", account_id="123456789012",
                         access_key="test", method="PUT", path=f"/b/{key}", query=query or {}, headers={},
                         body=b"", path_params={"Bucket": "b", "Key": key}, parsed=parsed)


def code_of(fn, *args) -> str:
    with pytest.raises(EngineError) as err:
        fn(*args)
    return err.value.code


def test_key_length_counts_utf8_bytes_not_characters(monkeypatch):
    monkeypatch.setattr(guards.lite, "guard_write", lambda req, ctx: "authorized")
    assert guards.put_object(request("PutObject", "a" * 1024), None) == "authorized"
    assert code_of(guards.put_object, request("PutObject", "a" * 1025), None) == "KeyTooLongError"
    assert code_of(guards.put_object, request("PutObject", "€" * 342), None) == "KeyTooLongError"   # 1026 bytes


@pytest.mark.parametrize("number, ok", [("0", False), ("1", True), ("10000", True), ("10001", False),
                                        ("-1", False), ("one", False)])
def test_upload_part_number_bounds(number, ok):
    ctx = FakeContext({"u"})
    req = request("UploadPart", query={"partNumber": [number], "uploadId": ["u"]})
    if ok:
        assert guards.upload_part(req, ctx) is None
    else:
        assert code_of(guards.upload_part, req, ctx) == "InvalidArgument"
        assert ctx.asked == []     # refused before any lookup


def test_unknown_upload_is_no_such_upload_with_status_404():
    req = request("UploadPart", query={"partNumber": ["1"], "uploadId": ["nope"]})
    with pytest.raises(EngineError) as err:
        guards.upload_part(req, FakeContext())
    assert (err.value.code, err.value.status) == ("NoSuchUpload", 404)


def test_complete_checks_strictly_ascending_part_numbers():
    ctx = FakeContext({"u"})

    def complete(numbers):
        parts = [{"PartNumber": n, "ETag": "e"} for n in numbers]
        return request("CompleteMultipartUpload", query={"uploadId": ["u"]}, parsed={"MultipartUpload": {"Parts": parts}})

    assert guards.complete_multipart_upload(complete([1, 2, 5]), ctx) is None
    assert code_of(guards.complete_multipart_upload, complete([2, 1]), ctx) == "InvalidPartOrder"
    assert code_of(guards.complete_multipart_upload, complete([1, 1]), ctx) == "InvalidPartOrder"
    # not read by the gateway (virtual-host style): passed on to moto unchecked
    assert guards.complete_multipart_upload(request("CompleteMultipartUpload", query={"uploadId": ["u"]}), ctx) is None
