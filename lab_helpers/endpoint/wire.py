"""wire: a request's input parameters, read from the wire and checked against botocore's model.

``parse`` turns what a client sent into the keyword arguments of the boto3 call: a JSON body
(json); URI labels, query string, headers and a JSON body (rest-json); a form (query); URI
labels, query string, headers and an XML body (rest-xml). Values come out typed as the model
says (int, bool, ``datetime``, ``bytes``). Input that botocore never sends (a body that does not
parse, a value of the wrong type, a required member missing) raises ``BadRequest`` carrying the
code the service answers on AWS, so the learner gets a 400 ``ClientError`` naming the member,
never a 500 that botocore retries until it gives up.

LIMITATIONS: constraints (length, range, pattern, enum) are not checked. The ec2 and
smithy-rpc-v2-cbor protocols are not read (``parse`` returns None; no engine service uses them).
A blob or string payload (S3 PutObject's Body, Lambda Invoke's Payload) is not read: it stays in
the request body. S3 requests in virtual-host style (bucket in the Host header) and aws-chunked
uploads are not read. A timestamp header that does not parse is kept as its string (S3 stores
``Expires`` as sent).
"""
from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs

from botocore.serialize import create_serializer

from .shape_reader import ABSENT, BadRequest, Codes, ShapeReader, json_kind, member_path, timestamp

__all__ = ["BadRequest", "Codes", "codes_for", "json_request", "parse", "reads", "reads_body"]

_PROTOCOL_CODES = {
    # Coral's JSON services: SerializationException for what cannot be deserialized,
    # ValidationException for the model's constraints ("1 validation error detected: ...").
    "json": Codes("SerializationException", "SerializationException", "ValidationException"),
    "rest-json": Codes("SerializationException", "SerializationException", "ValidationException"),
    # IAM, STS, SNS...: ValidationError for constraints; a form that does not decode is MalformedQueryString.
    "query": Codes("MalformedQueryString", "ValidationError", "ValidationError"),
    # S3: a body that is not the schema's XML is MalformedXML (also for wrong or missing elements
    # inside it, see ShapeReader.in_body); a bad header or query-string value is InvalidArgument.
    "rest-xml": Codes("MalformedXML", "InvalidArgument", "InvalidArgument"),
}
_SERVICE_CODES = {
    # Athena answers every invalid request with InvalidRequestException; its model declares no other.
    "athena": {"missing": "InvalidRequestException"},
    # Lambda: "Could not parse request body into json" is InvalidRequestContentException
    # (Lambda API reference, Errors: "The request body could not be parsed as JSON").
    "lambda": {"malformed": "InvalidRequestContentException", "wrong_type": "InvalidRequestContentException"},
}


def codes_for(service: str, protocol: str) -> Codes:
    base = _PROTOCOL_CODES.get(protocol, _PROTOCOL_CODES["json"])
    return Codes(**{**base.__dict__, **_SERVICE_CODES.get(service, {})})


# --- entry points ---------------------------------------------------------------------------------

def reads(info, headers: dict[str, str]) -> bool:
    """Whether ``parse`` reads this request (else it passes on unchecked)."""
    if info.operation_model is None or info.protocol not in _PROTOCOL_CODES:
        return False
    if "aws-chunked" in headers.get("content-encoding", ""):
        return False
    if info.service == "s3" and not _path_style(headers.get("host", "")):
        return False  # identify matched the path as if the bucket were in it
    return True


def reads_body(info) -> bool:
    """Whether ``parse`` needs the body (a blob payload, e.g. an S3 upload, is never buffered)."""
    op = info.operation_model
    if info.protocol in ("json", "query"):
        return True
    shape = op.input_shape
    if shape is None:
        return False
    payload = shape.serialization.get("payload")
    if payload:
        return shape.members[payload].type_name not in ("blob", "string")
    return any(not m.serialization.get("location") for m in shape.members.values())


def parse(info, query: dict[str, list[str]], headers: dict[str, str], body: bytes | None) -> dict:
    """The request's parameters as boto3 keyword arguments; BadRequest for input AWS refuses.

    ``info`` is protocol.identify's answer (``reads(info, headers)`` must be true); ``query`` is the
    parsed query string; ``headers`` has lower-case keys; ``body`` may be None if ``reads_body`` is false.
    """
    op = info.operation_model
    reader = ShapeReader(codes_for(info.service, info.protocol))
    body = _decoded(body or b"", headers, reader.codes)
    shape = op.input_shape
    if shape is None:
        return {}
    if info.protocol == "json":
        params = reader.json_members(_json_object(body, reader.codes), shape, "", json_protocol=True)
    elif info.protocol == "query":
        params = reader.form_value(_form(query, body, reader.codes), "", shape, "")
    else:
        params = _rest(reader, info, shape, query, headers, body)
    reader.raise_missing()
    return params


def json_request(params: dict, operation_model) -> tuple[bytes, dict[str, str]]:
    """The json-protocol request botocore would send for ``params`` (moto reads some services only so)."""
    request = create_serializer("json", include_validation=False).serialize_to_request(params, operation_model)
    return request["body"], dict(request["headers"])


# --- bodies ---------------------------------------------------------------------------------------

def _decoded(body: bytes, headers: dict[str, str], codes: Codes) -> bytes:
    if body and "gzip" in headers.get("content-encoding", ""):  # botocore's request compression
        try:
            return gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise BadRequest(codes.malformed,
                             f"The request says Content-Encoding: gzip but its body is not gzip: {exc}.") from None
    return body


def _text_of(body: bytes, codes: Codes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(codes.malformed, f"Could not parse the request body as {what}: invalid UTF-8 byte "
                         f"0x{body[exc.start]:02x} at offset {exc.start}. Send the body UTF-8 encoded.") from None


def _json_object(body: bytes, codes: Codes) -> dict:
    if not body.strip():
        return {}
    text = _text_of(body, codes, "JSON")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BadRequest(codes.malformed, f"Could not parse the request body as JSON: {exc}. The body must be "
                         "one complete JSON object, as botocore sends it.") from None
    if not isinstance(doc, dict):
        raise BadRequest(codes.malformed, f"Could not parse the request body: expected a JSON object ({{...}}) at "
                         f"the top level, found {json_kind(doc)}.")
    return doc


def _xml_root(body: bytes, codes: Codes):
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise BadRequest(codes.malformed, "The XML you provided was not well-formed or did not validate against "
                         f"our published schema ({exc}).") from None


def _form(query: dict[str, list[str]], body: bytes, codes: Codes) -> dict[str, str]:
    """A query-protocol request's flat parameters (``Tags.member.1.Key`` -> value)."""
    form = {k: v[0] for k, v in query.items() if v}
    if body.strip():
        text = _text_of(body, codes, "a form")
        try:
            form.update({k: v[0] for k, v in parse_qs(text, keep_blank_values=True, errors="strict").items()})
        except UnicodeDecodeError:
            raise BadRequest(codes.malformed, "The request's form has a percent-encoded value that is not UTF-8; "
                             "encode every value as UTF-8 before percent-encoding it.") from None
    return form


def _path_style(host: str) -> bool:
    """Whether an S3 request names its bucket in the path: the Host is an IP address or localhost."""
    name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    if not name or name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


# --- rest protocols: URI, query string, headers, body ----------------------------------------------

def _rest(reader: ShapeReader, info, shape, query: dict[str, list[str]], headers: dict[str, str], body: bytes) -> dict:
    out, body_members = {}, []
    bound_query = {m.serialization.get("name", n) for n, m in shape.members.items()
                   if m.serialization.get("location") == "querystring" and m.type_name != "map"}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        key = member.serialization.get("name", name)
        path = member_path("", name)
        if location == "uri":
            raw = info.path_params.get(re.sub(r"\W", "_", key))
            value = ABSENT if raw is None else reader.scalar(raw, member, path, text=True)
        elif location == "querystring":
            value = _query_member(reader, query, key, member, path, bound_query)
        elif location == "header":
            value = _header(reader, headers.get(key.lower()), member, path)
        elif location == "headers":
            prefix = key.lower()
            value = {h[len(prefix):]: v for h, v in headers.items() if h.startswith(prefix)} or ABSENT
        elif name == payload:
            continue
        else:
            body_members.append(name)
            continue
        if value is ABSENT:
            if name in shape.required_members:
                reader.absent(path)
            continue
        out[name] = value
    if payload:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):   # streaming: left in the request body
            return out
        if body.strip():
            out[payload] = _rest_body(reader, info.protocol, body, member, member_path("", payload))
        elif payload in shape.required_members:
            reader.absent(member_path("", payload))
    elif body_members:
        if info.protocol == "rest-json":
            out.update(reader.json_members(_json_object(body, reader.codes), shape, "", names=set(body_members)))
        else:
            root = _xml_root(body, reader.codes) if body.strip() else ElementTree.Element("empty")
            reader.in_body = True
            out.update(reader.xml_members(root, shape, "", names=set(body_members)))
            reader.in_body = False
    return out


def _rest_body(reader: ShapeReader, protocol: str, body: bytes, member, path: str):
    if protocol == "rest-json":
        return reader.json_value(_json_object(body, reader.codes), member, path)
    root = _xml_root(body, reader.codes)
    reader.in_body = True
    try:
        return reader.xml_value(root, member, path)
    finally:
        reader.in_body = False


def _query_member(reader: ShapeReader, query, key: str, member, path: str, bound: set[str]):
    if member.type_name == "map":   # every query parameter no other member takes
        many = member.value.type_name == "list"
        found = {k: (v if many else v[0]) for k, v in query.items() if k not in bound and v}
        return found or ABSENT
    values = query.get(key)
    if not values:
        return ABSENT
    if member.type_name == "list":
        return [reader.scalar(v, member.member, f"{path}.{i}.member", text=True) for i, v in enumerate(values, 1)]
    return reader.scalar(values[0], member, path, text=True)


def _header(reader: ShapeReader, raw: str | None, member, path: str):
    if raw is None:
        return ABSENT
    if member.type_name == "list":
        items = [v.strip().strip('"') for v in re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', raw) if v.strip()]
        return [reader.scalar(v, member.member, f"{path}.{i}.member", text=True) for i, v in enumerate(items, 1)]
    if member.type_name == "timestamp":
        return timestamp(raw) or raw
    if member.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(raw, validate=True))
        except ValueError:
            raise reader.wrong(raw, member, path, "base64-encoded JSON") from None
    return reader.scalar(raw, member, path, text=True)
