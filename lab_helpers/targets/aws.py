"""The aws target: the learner's own account, explicit opt-in (LABKIT_TARGET=aws); everything tagged."""
from __future__ import annotations

from .base import Target, TargetError


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
        return st

    def status(self) -> dict:
        try:
            ident = self.session().client("sts").get_caller_identity()
            return {"target": self.name, "endpoint_url": None, "healthy": True,
                    "account": ident["Account"], "arn": ident["Arn"]}
        except Exception as exc:  # no credentials, expired token, no network
            return {"target": self.name, "endpoint_url": None, "healthy": False, "error": str(exc)}
