"""Check cells: read-only boto3 calls that verify what the learner built, with partial credit."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError


@dataclass
class Part:
    """One verifiable part of a step: did it hold, what was found, what to do if not."""

    ok: bool
    found: str
    hint: str = ""
    weight: float = 1.0


@dataclass
class CheckResult:
    check_id: str
    title: str
    passed: bool
    points: float
    max_points: float
    found: list[str] = field(default_factory=list)
    hint: str = ""
    lab: str = ""
    parts_done: int = 0
    parts_total: int = 0

    @property
    def score_text(self) -> str:
        """`10/10 points`, or for partial credit `4/10 points · 2 of 5 parts`."""
        text = f"{self.points:g}/{self.max_points:g} points"
        if not self.passed and self.parts_total > 1:
            text += f" · {self.parts_done} of {self.parts_total} parts"
        return text

    @property
    def message(self) -> str:
        if self.passed:
            return f"Done: {self.title}."
        return f"Not done yet: {self.title}. {self.hint}".strip()

    def as_dict(self) -> dict:
        return {"id": self.check_id, "passed": self.passed, "points": round(self.points, 2),
                "max_points": self.max_points, "message": self.message, "found": self.found}

    def __str__(self) -> str:
        mark = "✔" if self.passed else "✘"
        lines = [f"{mark} {self.check_id}: {self.message}  [{self.score_text}]"]
        lines += [f"    · {f}" for f in self.found]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        color = "#1b7f3b" if self.passed else "#b3261e"
        mark = "✔" if self.passed else "✘"
        items = "".join(f"<li>{html.escape(f)}</li>" for f in self.found)
        return (f'<div style="border-left:4px solid {color};padding:4px 10px">'
                f'<b style="color:{color}">{mark} {html.escape(self.check_id)}</b> '
                f'{html.escape(self.message)} <span style="color:#666">[{html.escape(self.score_text)}]</span>'
                f'<ul style="margin:2px 0">{items}</ul></div>')


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    fn: Callable
    points: float = 10.0


class CheckContext:
    """What a check may use: the target's clients (read-only use) and the workspace names."""

    def __init__(self, target, names):
        self.target = target
        self.names = names
        self._clients = {}

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.target.client(service)
        return self._clients[service]

    @property
    def buckets(self) -> dict[str, str]:
        return self.names.buckets


def run(check: Check, ctx: CheckContext, lab: str = "") -> CheckResult:
    try:
        parts = check.fn(ctx)
    except EndpointConnectionError:
        parts = [Part(False, "the AWS endpoint did not answer",
                      "Start it with `labkit up` (or re-run the first cell of this notebook).")]
    except ClientError as err:
        e = err.response.get("Error", {})
        parts = [Part(False, f"{err.operation_name} answered {e.get('Code')}: {e.get('Message')}",
                      "Do this step first, then re-run the check.")]
    except BotoCoreError as err:
        parts = [Part(False, f"boto3 could not complete the check: {err}", "Check the target with `labkit status`.")]
    passed = all(p.ok for p in parts) and bool(parts)
    hint = next((p.hint for p in parts if not p.ok and p.hint), "")
    return CheckResult(check.id, check.title, passed, whole_points(check.points, parts, passed), check.points,
                       [("✔ " if p.ok else "✘ ") + p.found for p in parts], hint, lab,
                       sum(p.ok for p in parts), len(parts))


def whole_points(max_points: float, parts: list[Part], passed: bool) -> int:
    """Partial credit in whole points (a learner reads `4/10`, never `1.67/10`): the weighted share
    rounded half up, never full marks for a step that is not done, at least 1 for any part done."""
    total = sum(p.weight for p in parts) or 1.0
    earned = sum(p.weight for p in parts if p.ok)
    if passed:
        return int(max_points) if float(max_points).is_integer() else max_points
    points = math.floor(max_points * earned / total + 0.5)
    if earned > 0:
        points = max(points, 1)
    return int(min(points, max(max_points - 1, 0)))


def key_name(ctx) -> str:
    """The lake key as the labs name it: dataedu-key (its alias without alias/; scoped in a shared account)."""
    return ctx.names.kms_alias.removeprefix("alias/")


def key_label(ctx: CheckContext, key_id: str) -> str:
    """A KMS key as a learner knows it: its alias (alias/dataedu-key), with the key id after it."""
    if not key_id:
        return "no key"
    short = key_id.split("/")[-1]
    try:
        aliases = ctx.client("kms").list_aliases(KeyId=short).get("Aliases", [])
    except (ClientError, BotoCoreError):
        aliases = []
    names = [a["AliasName"] for a in aliases if not a["AliasName"].startswith("alias/aws/")]
    return f"{names[0]} (key {short})" if names else f"key {short} (no alias)"


def object_encryption_parts(ctx: CheckContext, bucket: str, key: str, what: str, hint: str) -> list[Part]:
    """Parts shared by several labs: the object exists and is SSE-KMS with the lake key."""
    s3 = ctx.client("s3")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return [Part(False, f"no object s3://{bucket}/{key}", hint, 2)]
    key_arn = ctx.client("kms").describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["Arn"]
    sse = head.get("ServerSideEncryption")
    used = head.get("SSEKMSKeyId", "")
    return [Part(True, f"{what} exists ({head['ContentLength']} bytes)"),
            Part(sse == "aws:kms" and used in (key_arn, key_arn.split("/")[-1]),
                 f"encryption: {sse or 'none'}" + (f" with {key_label(ctx, used)}" if sse == "aws:kms" else ""),
                 f"Write it without SSE headers so the bucket default (SSE-KMS with {key_name(ctx)}) applies.")]
