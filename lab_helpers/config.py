"""Every LABKIT_* setting in one place, with offline-safe defaults (the only reader of os.environ)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PORT = 4566          # LocalStack's port, so tutorials' `--endpoint-url` habits carry over
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's default account id
LOCAL_ACCESS_KEY = "test"    # the moto/LocalStack convention for dummy credentials
LOCAL_SECRET_KEY = "test"
TARGETS = ("local", "localstack", "aws")


@dataclass(frozen=True)
class Settings:
    target: str = "local"
    home: Path = field(default_factory=lambda: REPO_ROOT / ".labkit")
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    region: str = DEFAULT_REGION
    scale: float = 1.0
    seed: int = 2020
    localstack_url: str = "http://localhost:4566"
    aws_profile: str = ""
    start_timeout: float = 60.0
    # The Redshift engine's PostgreSQL port (LABKIT_REDSHIFT_PORT): None = the workgroup's own port
    # (5439 unless create_workgroup named another), 0 = any free port, negative = no wire port.
    redshift_port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.target == "localstack":
            return self.localstack_url
        return f"http://{self.host}:{self.port}"

    # Files the local target owns, so ~/.aws is never read on the local target.
    @property
    def aws_config_file(self) -> Path:
        return self.home / "aws" / "config"

    @property
    def aws_credentials_file(self) -> Path:
        return self.home / "aws" / "credentials"

    @property
    def pidfile(self) -> Path:
        return self.home / "endpoint.pid"

    @property
    def logfile(self) -> Path:
        return self.home / "endpoint.log"

    @property
    def workspace_file(self) -> Path:
        return self.home / "workspace.json"

    @property
    def progress_db(self) -> Path:
        return self.home / "progress.sqlite"


class ConfigError(ValueError):
    """A LABKIT_* variable has a value the kit cannot use (the message says how to fix it)."""


def load(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Read LABKIT_* variables; explicit keyword overrides (e.g. from CLI flags) win."""
    env = os.environ if environ is None else environ
    values: dict = {}
    if "LABKIT_TARGET" in env:
        values["target"] = env["LABKIT_TARGET"].strip().lower()
    if "LABKIT_HOME" in env:
        values["home"] = Path(env["LABKIT_HOME"]).expanduser().resolve()
    if "LABKIT_PORT" in env:
        values["port"] = _int(env["LABKIT_PORT"], "LABKIT_PORT")
    if "LABKIT_REGION" in env:
        values["region"] = env["LABKIT_REGION"]
    if "LABKIT_SCALE" in env:
        values["scale"] = _float(env["LABKIT_SCALE"], "LABKIT_SCALE")
    if "LABKIT_SEED" in env:
        values["seed"] = _int(env["LABKIT_SEED"], "LABKIT_SEED")
    if "LABKIT_LOCALSTACK_URL" in env:
        values["localstack_url"] = env["LABKIT_LOCALSTACK_URL"].rstrip("/")
    if "LABKIT_AWS_PROFILE" in env:
        values["aws_profile"] = env["LABKIT_AWS_PROFILE"]
    if "LABKIT_START_TIMEOUT" in env:
        values["start_timeout"] = _float(env["LABKIT_START_TIMEOUT"], "LABKIT_START_TIMEOUT")
    if env.get("LABKIT_REDSHIFT_PORT", "").strip():
        values["redshift_port"] = _int(env["LABKIT_REDSHIFT_PORT"], "LABKIT_REDSHIFT_PORT")
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("home"), str):
        values["home"] = Path(values["home"]).expanduser().resolve()
    settings = Settings(**values)
    if settings.target not in TARGETS:
        raise ConfigError(
            f"LABKIT_TARGET={settings.target!r} is not a target; use one of {', '.join(TARGETS)} "
            "(unset it for the default, local)."
        )
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port {settings.port} is out of range; pick 1024-65535, e.g. --port 4566")
    if settings.scale <= 0:
        raise ConfigError(f"LABKIT_SCALE must be positive, got {settings.scale}")
    return settings


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def _float(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
