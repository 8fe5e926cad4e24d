"""The local target: the kit's embedded endpoint, dummy credentials, ~/.aws never read."""
from __future__ import annotations

from ..endpoint import daemon
from .base import _FOREIGN_AWS_VARS, Target, TargetError


class LocalTarget(Target):
    name = "local"

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    def _write_aws_files(self) -> None:
        # Kit-owned config files: botocore reads these instead of ~/.aws, so a learner's real
        # profile can never be picked up by accident on the local target.
        s = self.settings
        s.aws_config_file.parent.mkdir(parents=True, exist_ok=True)
        s.aws_config_file.write_text(
            f"[default]\nregion = {s.region}\noutput = json\nendpoint_url = {self.endpoint_url}\n")
        s.aws_credentials_file.write_text(
            f"[default]\naws_access_key_id = {s.access_key}\naws_secret_access_key = {s.secret_key}\n")
        # The SageMaker Python SDK phones home for telemetry unless its config file opts out.
        self._sagemaker_config.write_text(
            "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")

    @property
    def _sagemaker_config(self):
        return self.settings.aws_config_file.parent / "sagemaker-config.yaml"

    def env(self) -> dict[str, str | None]:
        s = self.settings
        env: dict[str, str | None] = {k: None for k in _FOREIGN_AWS_VARS}
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": s.region,
            "AWS_REGION": s.region,
            # `test` (the default account) unless a class gave this learner keys of their own account
            "AWS_ACCESS_KEY_ID": s.access_key,
            "AWS_SECRET_ACCESS_KEY": s.secret_key,
            "AWS_CONFIG_FILE": str(s.aws_config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(s.aws_credentials_file),
            "AWS_EC2_METADATA_DISABLED": "true",
            # Clients built with an explicit AWS endpoint (the SageMaker SDK's STS) come here too,
            # and the SDK's 5-30 s polling sleeps shrink (see targets/local_clients.py).
            "BOTOCORE_EXPERIMENTAL__PLUGINS": "labkit=lab_helpers.targets.local_clients",
            "SAGEMAKER_USER_CONFIG_OVERRIDE": str(self._sagemaker_config),
            "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
            "LABKIT_TARGET": "local",
            "LABKIT_HOME": str(s.home),
            "LABKIT_PORT": str(s.port),
        })
        if s.shared_endpoint:   # a class learner: kernels and subprocesses stay that learner
            env.update({"LABKIT_SHARED_ENDPOINT": "1", "LABKIT_ACCESS_KEY_ID": s.access_key,
                        "LABKIT_SECRET_ACCESS_KEY": s.secret_key, "LABKIT_LEARNER": s.learner})
            if s.class_store is not None:
                env["LABKIT_CLASS_STORE"] = str(s.class_store)
        return env

    def apply(self, environ=None) -> None:
        self._write_aws_files()
        super().apply(environ)

    def start(self) -> dict:
        self._write_aws_files()
        if self.settings.shared_endpoint:
            # A class learner: the endpoint is the instructor's, started and stopped by them only.
            st = self.status()
            if not st["healthy"]:
                raise TargetError(
                    f"The class endpoint at {self.endpoint_url} is not answering. Ask your instructor to start it "
                    "(`labkit class create NAME` again brings the class back after a restart), then re-run this.")
            return st
        try:
            daemon.start(self.settings)
        except daemon.EndpointError as exc:
            raise TargetError(str(exc)) from None
        return self.status()

    def stop(self) -> bool:
        if self.settings.shared_endpoint:
            return False   # a learner never stops the class's endpoint
        return daemon.stop(self.settings)

    def status(self) -> dict:
        st = daemon.status(self.settings)
        return {"target": self.name, "endpoint_url": self.endpoint_url, "healthy": st.healthy,
                "pid": st.pid, "health": st.health}
