"""The localstack target: a LocalStack the learner runs (it needs Docker and an auth token)."""
from __future__ import annotations

import json
import urllib.request

from ..config import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from .base import _FOREIGN_AWS_VARS, Target, TargetError


class LocalStackTarget(Target):
    name = "localstack"

    @property
    def endpoint_url(self) -> str:
        return self.settings.localstack_url

    def env(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {k: None for k in _FOREIGN_AWS_VARS}
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": self.settings.region,
            "AWS_REGION": self.settings.region, "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY, "AWS_CONFIG_FILE": str(self.settings.aws_config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.settings.aws_credentials_file),
            "LABKIT_TARGET": "localstack",
        })
        return env

    def _health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/_localstack/health", timeout=3) as resp:
                return json.load(resp)
        except Exception:
            return None

    def start(self) -> dict:
        if self._health() is None:
            raise TargetError(
                f"No LocalStack answers at {self.endpoint_url}. Start it yourself (it needs Docker and "
                "LOCALSTACK_AUTH_TOKEN), set LABKIT_LOCALSTACK_URL if it runs elsewhere, or use the default "
                "local target: unset LABKIT_TARGET.")
        return self.status()

    def status(self) -> dict:
        info = self._health()
        return {"target": self.name, "endpoint_url": self.endpoint_url, "healthy": info is not None, "health": info}
