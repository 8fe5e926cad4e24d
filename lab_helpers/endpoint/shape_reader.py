"""shape_reader: walks a botocore input shape over a request's raw values, converting and checking each.

The raw values come from the wire (``wire`` decodes the body): JSON values (json, rest-json
bodies) or strings to convert (query forms, XML elements, URI labels, query strings, headers).
Out come boto3 keyword arguments: int, float, bool, aware UTC ``datetime``, ``bytes``. A value of
the wrong type raises ``BadRequest`` at once; missing required members are collected, so one
error names them all, in AWS's words ("2 validation errors detected: Value null at ...").
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import re
from dataclasses import dataclass

ABSENT = object()
_INT_RANGE = {"integer": (-2 ** 31, 2 ** 31 - 1), "long": (-2 ** 63, 2 ** 63 - 1)}
_SPECIAL_FLOATS = ("NaN", "Infinity", "-Infinity")


class BadRequest(Exception):
    """Input the service refuses before doing anything: an AWS error code, a message, a 4xx status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Codes:
    """The error codes a service answers malformed input with."""

    malformed: str    # the body (or form) cannot be read at all
    wrong_type: str   # a value of the wrong type
    missing: str      # a required member is absent


class ShapeReader:
    """Walks the input shape over one request's raw values, converting and checking each."""

    def __init__(self, codes: Codes):
        self.codes = codes
        self.missing: list[tuple[str, str]] = []   # (path, code)
        self.in_body = False                        # inside an XML body: S3 answers MalformedXML

    # errors
    def wrong(self, value, shape, path: str, expected: str | None = None) -> BadRequest:
        code = self.codes.malformed if self.in_body else self.codes.wrong_type
        expected = expected or _EXPECTED.get(shape.type_name, shape.type_name)
        return BadRequest(code, f"Could not read the request: the value at '{path}' must be {expected}, "
                          f"not {_shown(value)}.")

    def absent(self, path: str) -> None:
        self.missing.append((path, self.codes.malformed if self.in_body else self.codes.missing))

    def raise_missing(self) -> None:
        if not self.missing:
            return
        n = len(self.missing)
        details = "; ".join(f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
                            for path, _ in self.missing)
        raise BadRequest(self.missing[0][1], f"{n} validation error{'s' if n > 1 else ''} detected: {details}")

    # scalars
    def scalar(self, value, shape, path: str, text: bool):
        """A string, number, boolean, timestamp or blob; ``text``: the wire gave a string to convert."""
        kind = shape.type_name
        if kind == "string":
            if isinstance(value, str):
                return value
        elif kind in ("integer", "long"):
            number = None
            if text and isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
                number = int(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                number = value
            elif isinstance(value, float) and not text and value.is_integer():
                number = int(value)
            low, high = _INT_RANGE[kind]
            if number is not None and low <= number <= high:
                return number
            if number is not None:
                raise self.wrong(value, shape, path, f"{'a 32' if kind == 'integer' else 'a 64'}-bit integer")
        elif kind in ("float", "double"):
            if isinstance(value, str) and (text or value in _SPECIAL_FLOATS):
                try:
                    return float(value)
                except ValueError:
                    pass
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        elif kind == "boolean":
            if isinstance(value, bool):
                return value
            if text and isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
        elif kind == "timestamp":
            parsed = timestamp(value)
            if parsed is not None:
                return parsed
        elif kind == "blob":
            if isinstance(value, str):
                try:
                    return base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    pass
        else:  # a type this reader does not know: pass it on as sent
            return value
        raise self.wrong(value, shape, path)

    # json
    def json_members(self, doc: dict, shape, path: str, json_protocol: bool = False, names=None) -> dict:
        """The members of a structure from a JSON object (in rest-json: only the body's members)."""
        out = {}
        for name, member in shape.members.items():
            if names is not None and name not in names:
                continue
            located = member.serialization.get("location")
            key = name if (json_protocol and located) else member.serialization.get("name", name)
            child = member_path(path, name)
            value = doc.get(key)
            if value is None:
                if name in shape.required_members:
                    self.absent(child)
                continue
            out[name] = self.json_value(value, member, child)
        return out

    def json_value(self, value, shape, path: str):
        kind = shape.type_name
        if kind == "structure":
            if getattr(shape, "is_document_type", False):
                return value
            if not isinstance(value, dict):
                raise self.wrong(value, shape, path)
            return self.json_members(value, shape, path)
        if kind == "list":
            if not isinstance(value, list):
                raise self.wrong(value, shape, path)
            return [None if v is None else self.json_value(v, shape.member, f"{path}.{i}.member")
                    for i, v in enumerate(value, 1)]
        if kind == "map":
            if not isinstance(value, dict):
                raise self.wrong(value, shape, path)
            return {k: None if v is None else self.json_value(v, shape.value, f"{path}.{k}") for k, v in value.items()}
        return self.scalar(value, shape, path, text=False)

    # query forms
    def form_value(self, form: dict[str, str], prefix: str, shape, path: str):
        kind = shape.type_name
        if prefix and kind != "list" and not _present(form, prefix):
            return ABSENT
        if kind == "structure":
            out = {}
            for name, member in shape.members.items():
                key = member.serialization.get("name", name)
                value = self.form_value(form, f"{prefix}.{key}" if prefix else key, member, member_path(path, name))
                if value is ABSENT:
                    if name in shape.required_members:
                        self.absent(member_path(path, name))
                    continue
                out[name] = value
            return out
        if kind == "list":
            if shape.serialization.get("flattened"):
                base = prefix
                if shape.member.serialization.get("name"):   # as botocore's QuerySerializer names it
                    base = ".".join(prefix.split(".")[:-1] + [shape.member.serialization["name"]])
            else:
                base = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
            if prefix not in form and not _present(form, base):
                return ABSENT
            items = [self.form_value(form, f"{base}.{i}", shape.member, f"{path}.{i}.member")
                     for i in _indices(form, base)]
            return [v for v in items if v is not ABSENT]
        if kind == "map":
            base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
            key_name = shape.key.serialization.get("name", "key")
            value_name = shape.value.serialization.get("name", "value")
            out = {}
            for i in _indices(form, base):
                key = form.get(f"{base}.{i}.{key_name}")
                if key is None:
                    self.absent(f"{path}.{i}.{key_name}")
                    continue
                value = self.form_value(form, f"{base}.{i}.{value_name}", shape.value, f"{path}.{key}")
                out[key] = None if value is ABSENT else value
            return out
        if prefix not in form:
            return ABSENT
        return self.scalar(form[prefix], shape, path, text=True)

    # xml
    def xml_value(self, node, shape, path: str):
        kind = shape.type_name
        if kind == "structure":
            return self.xml_members(node, shape, path)
        if kind == "list":
            element = shape.member.serialization.get("name", "member")
            return [self.xml_value(c, shape.member, f"{path}.{i}.member")
                    for i, c in enumerate((c for c in node if _local(c.tag) == element), 1)]
        if kind == "map":
            return self.xml_entries([c for c in node if _local(c.tag) == "entry"], shape, path)
        return self.scalar(node.text or "", shape, path, text=True)

    def xml_members(self, node, shape, path: str, names=None) -> dict:
        out = {}
        children: dict[str, list] = {}
        for child in node:
            children.setdefault(_local(child.tag), []).append(child)
        for name, member in shape.members.items():
            if names is not None and name not in names:
                continue
            key = member.serialization.get("name", name)
            child_path = member_path(path, name)
            if member.serialization.get("xmlAttribute"):
                raw = next((v for k, v in node.attrib.items() if _local(k) == key.split(":")[-1]), None)
                value = ABSENT if raw is None else self.scalar(raw, member, child_path, text=True)
            elif member.serialization.get("flattened") and member.type_name in ("list", "map"):
                nodes = children.get(key, [])
                value = self.xml_flattened(nodes, member, child_path) if nodes else ABSENT
            else:
                nodes = children.get(key)
                value = self.xml_value(nodes[0], member, child_path) if nodes else ABSENT
            if value is ABSENT:
                if name in shape.required_members:
                    self.absent(child_path)
                continue
            out[name] = value
        return out

    def xml_flattened(self, nodes: list, shape, path: str):
        if shape.type_name == "map":
            return self.xml_entries(nodes, shape, path)
        return [self.xml_value(c, shape.member, f"{path}.{i}.member") for i, c in enumerate(nodes, 1)]

    def xml_entries(self, entries: list, shape, path: str) -> dict:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out = {}
        for entry in entries:
            parts = {_local(c.tag): c for c in entry}
            if key_name not in parts:
                self.absent(f"{path}.{key_name}")
                continue
            key = parts[key_name].text or ""
            out[key] = self.xml_value(parts[value_name], shape.value, f"{path}.{key}") if value_name in parts else None
        return out


# --- helpers --------------------------------------------------------------------------------------

_EXPECTED = {"structure": "an object", "list": "an array", "map": "an object (a map)", "string": "a string",
             "integer": "an integer", "long": "an integer", "float": "a number", "double": "a number",
             "boolean": "true or false", "timestamp": "a timestamp (epoch seconds or ISO 8601)",
             "blob": "base64-encoded bytes"}


def member_path(parent: str, name: str) -> str:
    """AWS names a member in its messages lower-camel-cased: QueryString -> 'queryString'."""
    name = name[:1].lower() + name[1:]
    return f"{parent}.{name}" if parent else name


def json_kind(value) -> str:
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "an object"


def _shown(value) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string '{text}'"
    return json_kind(value) + ("" if isinstance(value, (list, dict)) or value is None else f" ({value!r})")


def _present(form: dict[str, str], prefix: str) -> bool:
    if prefix in form:
        return True
    dotted = prefix + "."
    return any(k.startswith(dotted) for k in form)


def _indices(form: dict[str, str], base: str) -> list[int]:
    pattern = re.compile(re.escape(base) + r"\.(\d+)(?:\.|$)")
    return sorted({int(m.group(1)) for k in form for m in [pattern.match(k)] if m})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def timestamp(value) -> dt.datetime | None:
    """Epoch seconds, ISO 8601 or RFC 822, as an aware UTC datetime; None if it is none of them."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, dt.timezone.utc)
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip()
        if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    except (ValueError, TypeError, OverflowError, OSError, IndexError):
        return None
