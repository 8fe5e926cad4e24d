"""acting: engines act as a principal — the caller, or a role they assume — never as themselves.

On AWS a crawler reads S3 as its role, a Lambda function runs with its execution role, Athena
reads as the caller, Spectrum/DataBrew/SageMaker as the role named in the job. ``Acting`` is
that identity inside the kit:

- ``ctx.acting_as(role_arn, region, session_name)`` assumes the role through the endpoint's STS
  once and caches the session until shortly before it expires (or until the endpoint is reset
  and the temporary key is no longer known);
- ``ctx.as_caller(request)`` is the identity that signed a request;
- ``acting.store()`` is an ObjectStore whose reads and writes go through iam_lite, so KMS key
  policies and bucket-policy denies apply to what the engine does on the principal's behalf;
- ``acting.client(service)`` is a boto3 client signed with the principal's credentials;
- ``acting.env()`` are the ``AWS_*`` variables for a worker process acting as it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

RENEW_MARGIN_S = 300   # start a new session this long before the old one expires


class RoleNotAssumable(Exception):
    """The role does not exist (moto's STS would hand out credentials for it anyway; AWS refuses)."""

    def __init__(self, role_arn: str):
        super().__init__(f"Unable to assume role {role_arn}: the role does not exist. Create it (iam.create_role) "
                         "or name an existing role.")
        self.role_arn = role_arn


@dataclass
class Acting:
    principal: object                 # iam.lite Principal (arn, kind, role_arn, role_name, session)
    region: str
    credentials: dict = field(default_factory=dict)   # AccessKeyId/SecretAccessKey/SessionToken
    expires: float = float("inf")
    _ctx: object = field(default=None, repr=False)

    @property
    def arn(self) -> str:
        return self.principal.arn

    def store(self):
        """The S3 ObjectStore as this principal: reads and writes checked by iam_lite."""
        from ..iam.lite import RoleObjectStore

        return RoleObjectStore(self._ctx.store(self.region), self.principal, self.region)

    def client(self, service: str):
        return self._ctx.client(service, self.region, credentials=self.credentials or None)

    def env(self) -> dict[str, str]:
        out = {"AWS_ENDPOINT_URL": self._ctx.endpoint_url, "AWS_DEFAULT_REGION": self.region,
               "AWS_REGION": self.region}
        if self.credentials:
            out.update({"AWS_ACCESS_KEY_ID": self.credentials["AccessKeyId"],
                        "AWS_SECRET_ACCESS_KEY": self.credentials["SecretAccessKey"]})
            if self.credentials.get("SessionToken"):
                out["AWS_SESSION_TOKEN"] = self.credentials["SessionToken"]
        return out


class RoleSessions:
    """Cached role sessions of one endpoint (dropped on reset with the rest of the engine state)."""

    def __init__(self, ctx, principal_for_access_key):
        self._ctx = ctx
        self._principal_for = principal_for_access_key
        self._sessions: dict[tuple[str, str, str], Acting] = {}
        self._lock = threading.Lock()

    def role_arn(self, role: str, account_id: str) -> str:
        return role if role.startswith("arn:") else f"arn:aws:iam::{account_id}:role/{role}"

    def acting_as(self, role_arn: str, region: str, session_name: str) -> Acting:
        key = (region, role_arn, session_name)
        with self._lock:
            cached = self._sessions.get(key)
        if cached is not None and cached.expires - time.time() > RENEW_MARGIN_S:
            principal = self._principal_for(cached.credentials["AccessKeyId"])
            if getattr(principal, "kind", "") == "assumed-role":   # still known (no reset since)
                return cached
        iam = self._ctx.client("iam", region)
        try:
            iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])
        except iam.exceptions.NoSuchEntityException:
            raise RoleNotAssumable(role_arn) from None
        creds = self._ctx.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        acting = Acting(self._principal_for(creds["AccessKeyId"]), region,
                        {k: creds[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")},
                        creds["Expiration"].timestamp(), self._ctx)
        with self._lock:
            self._sessions[key] = acting
        return acting

    def caller(self, access_key: str, region: str) -> Acting:
        """The identity that signed a request (its secret is not known: store() only, no client)."""
        return Acting(self._principal_for(access_key), region, {}, float("inf"), self._ctx)
