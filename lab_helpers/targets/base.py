"""The Target interface: start(), stop(), status(), endpoint_url, session(), env(), apply()."""
from __future__ import annotations

import os

import boto3

from ..config import Settings
from ..sessions import FOREIGN_AWS_VARS, isolated_session

# Variables that could point boto3 somewhere the target did not choose.
_FOREIGN_AWS_VARS = FOREIGN_AWS_VARS


class TargetError(RuntimeError):
    """The target cannot be used as configured; the message says the next command to run."""


class Target:
    name = "base"

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def endpoint_url(self) -> str | None:
        return None

    def start(self) -> dict:
        """Make the target usable (e.g. start the endpoint). Returns status()."""
        return self.status()

    def stop(self) -> bool:
        return False

    def status(self) -> dict:
        raise NotImplementedError

    def env(self) -> dict[str, str | None]:
        """Variables a kernel or subprocess needs; None means 'unset this variable'."""
        raise NotImplementedError

    def apply(self, environ=None) -> None:
        """Put env() into this process so plain boto3 clients (and awswrangler, PyAthena) follow."""
        environ = os.environ if environ is None else environ
        for key, value in self.env().items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        boto3.DEFAULT_SESSION = None  # a session built before apply() would keep old settings

    # Targets on this machine (local, localstack) never read the learner's AWS configuration.
    reads_user_aws_config = False

    def session(self) -> boto3.session.Session:
        env = self.env()
        if not self.reads_user_aws_config:
            return isolated_session(env.get("AWS_ACCESS_KEY_ID") or "test", env.get("AWS_SECRET_ACCESS_KEY") or "test",
                                    None, env.get("AWS_DEFAULT_REGION") or self.settings.region)
        return boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
            profile_name=env.get("AWS_PROFILE"),
            region_name=env.get("AWS_DEFAULT_REGION") or self.settings.region,
        )

    def client(self, service: str, **kwargs):
        if self.endpoint_url and "endpoint_url" not in kwargs:
            kwargs["endpoint_url"] = self.endpoint_url
        return self.session().client(service, **kwargs)
