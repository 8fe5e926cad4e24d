"""The localstack target: a LocalStack the learner runs, plus the kit's own endpoint for what it cannot do.

LocalStack needs Docker and (since March 2026) an auth token; it never executed Athena SQL, Glue
crawlers, DataBrew, Redshift SQL or SageMaker training in its free edition. So this target runs the
kit's endpoint next to it and routes, service by service, with ``AWS_ENDPOINT_URL_<SERVICE>``
(targets/routing.py): the data-lake services and the state they share go to the kit, services this
LocalStack reports as available stay on LocalStack. ``labkit status --json`` shows the routing.
MiniStack (PyPI, no Docker) serves the same APIs and health route; tests/targets/test_ministack.py
runs every lab's checks on this target against it.
"""
from __future__ import annotations

import json
import urllib.request
from dataclasses import replace

from ..endpoint import daemon
from .base import _FOREIGN_AWS_VARS, Target, TargetError
from . import routing as routing_mod


class RoutedSession:
    """A boto3 session whose clients go to the endpoint routing names for their service."""

    def __init__(self, session, routing: routing_mod.Routing):
        self._session = session
        self._routing = routing

    def client(self, service: str, *args, **kwargs):
        kwargs.setdefault("endpoint_url", self._routing.endpoint_for(service))
        return self._session.client(service, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


class LocalStackTarget(Target):
    name = "localstack"
    routes_per_service = True   # stack.ensure lets the session pick each service's endpoint

    def __init__(self, settings):
        super().__init__(settings)
        self._routing: routing_mod.Routing | None = None

    @property
    def endpoint_url(self) -> str:
        return self.settings.localstack_url

    @property
    def kit_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def _kit_settings(self):
        return replace(self.settings, target="local")   # the kit's endpoint is a local target's daemon

    def routing(self, refresh: bool = False) -> routing_mod.Routing:
        if self._routing is None or refresh:
            self._routing = routing_mod.plan(self._health(), self.kit_url, self.endpoint_url)
        return self._routing

    def _write_aws_files(self) -> None:
        s = self.settings
        s.aws_config_file.parent.mkdir(parents=True, exist_ok=True)
        s.aws_config_file.write_text(f"[default]\nregion = {s.region}\noutput = json\n")
        s.aws_credentials_file.write_text(
            f"[default]\naws_access_key_id = {s.access_key}\naws_secret_access_key = {s.secret_key}\n")

    def env(self) -> dict[str, str | None]:
        s = self.settings
        env: dict[str, str | None] = {k: None for k in _FOREIGN_AWS_VARS}
        env.update({
            "AWS_DEFAULT_REGION": s.region, "AWS_REGION": s.region, "AWS_ACCESS_KEY_ID": s.access_key,
            "AWS_SECRET_ACCESS_KEY": s.secret_key, "AWS_CONFIG_FILE": str(s.aws_config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(s.aws_credentials_file), "AWS_EC2_METADATA_DISABLED": "true",
            "LABKIT_TARGET": "localstack", "LABKIT_HOME": str(s.home), "LABKIT_PORT": str(s.port),
            "LABKIT_LOCALSTACK_URL": self.endpoint_url,
        })
        env.update(self.routing().env())   # AWS_ENDPOINT_URL (LocalStack) + one variable per kit service
        return env

    def apply(self, environ=None) -> None:
        self._write_aws_files()
        super().apply(environ)

    def session(self):
        return RoutedSession(super().session(), self.routing())

    def client(self, service: str, **kwargs):
        kwargs.setdefault("endpoint_url", self.routing().endpoint_for(service))
        return super().session().client(service, **kwargs)

    def _health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/_localstack/health", timeout=3) as resp:
                return json.load(resp)
        except Exception:
            return None

    def start(self) -> dict:
        if self._health() is None:
            raise TargetError(
                f"No LocalStack answers at {self.endpoint_url}. Start it yourself (LocalStack needs Docker and "
                "LOCALSTACK_AUTH_TOKEN; MiniStack needs neither: `pip install ministack` in a venv of its own, then "
                "`BIND_HOST=127.0.0.1 ministack`), "
                "set LABKIT_LOCALSTACK_URL if it runs elsewhere, or use the default local target: unset LABKIT_TARGET.")
        self._write_aws_files()
        try:
            daemon.start(self._kit_settings)   # what LocalStack does not run, the kit's endpoint does
        except daemon.EndpointError as exc:
            raise TargetError(str(exc)) from None
        self.routing(refresh=True)
        return self.status()

    def stop(self) -> bool:
        return daemon.stop(self._kit_settings)   # LocalStack is the learner's to stop

    def status(self) -> dict:
        info = self._health()
        kit = daemon.status(self._kit_settings)
        # "health" is the kit endpoint's (its engines); "localstack" says who answered LocalStack's route.
        emulator = {"url": self.endpoint_url, "healthy": info is not None,
                    "edition": (info or {}).get("edition"), "version": (info or {}).get("version")}
        return {"target": self.name, "endpoint_url": self.endpoint_url, "healthy": info is not None and kit.healthy,
                "health": kit.health, "localstack": emulator, "localstack_healthy": info is not None,
                "kit_endpoint_url": self.kit_url, "kit_healthy": kit.healthy, "pid": kit.pid,
                "routing": self.routing().as_dict()}
