"""The aws target: the learner's own account, explicit opt-in (LABKIT_TARGET=aws); everything tagged.

Preflight (``start()``): the credentials must work, and they must not be the account's root user —
AWS's own advice is to lock the root user away, and a lab run as root can do (and cost) anything.
``status()`` says which account, region and identity the labs will use.
"""
from __future__ import annotations

from .base import Target, TargetError


def identity_kind(arn: str) -> str:
    """root | user | assumed-role | federated-user | other, from a GetCallerIdentity ARN."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    if resource == "root":
        return "root"
    for kind in ("user", "assumed-role", "federated-user"):
        if resource.startswith(kind + "/"):
            return kind
    return "other"


class AwsTarget(Target):
    name = "aws"
    reads_user_aws_config = True   # the learner's own account: their profile is the point

    def env(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": None,  # never send real-account traffic to a stale local URL
            "AWS_DEFAULT_REGION": self.settings.region,
            "AWS_REGION": self.settings.region,
            "LABKIT_TARGET": "aws",
        }
        if self.settings.aws_profile:
            env["AWS_PROFILE"] = self.settings.aws_profile
        return env

    def start(self) -> dict:
        st = self.status()
        if not st["healthy"]:
            raise TargetError(
                "LABKIT_TARGET=aws but no AWS credentials work: " + st.get("error", "")
                + ". Configure a profile (aws configure) and set LABKIT_AWS_PROFILE, or unset LABKIT_TARGET "
                "to use the free local target.")
        if st["identity"] == "root":
            raise TargetError(
                f"These credentials are the root user of account {st['account']}. The kit refuses to run labs as "
                "root: root cannot be limited by any policy and its keys should not exist. Create an IAM Identity "
                "Center user or an IAM user with AdministratorAccess, configure its profile, and set "
                "LABKIT_AWS_PROFILE to it.")
        return st

    def status(self) -> dict:
        try:
            ident = self.session().client("sts").get_caller_identity()
            return {"target": self.name, "endpoint_url": None, "healthy": True, "account": ident["Account"],
                    "arn": ident["Arn"], "identity": identity_kind(ident["Arn"]), "region": self.settings.region}
        except Exception as exc:  # no credentials, expired token, no network
            return {"target": self.name, "endpoint_url": None, "healthy": False, "error": str(exc),
                    "region": self.settings.region}
