"""Every LABKIT_* setting in one place, with offline-safe defaults (the only reader of os.environ)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PORT = 4566          # LocalStack's port, so tutorials' `--endpoint-url` habits carry over
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's default account id
LOCAL_ACCESS_KEY = "test"    # the moto/LocalStack convention for dummy credentials
LOCAL_SECRET_KEY = "test"
TARGETS = ("local", "localstack", "aws")
# A learner's scope in a shared account (stack/names.py): starts with a letter, so scoped database
# names stay valid SQL identifiers; 12 characters keep the longest role name far below IAM's 64.
SCOPE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
SCOPE_RULE = "use 1-12 lower-case letters and digits, starting with a letter (e.g. l07)"


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
    # Host names besides localhost/127.0.0.1/[::1] the endpoint answers (LABKIT_ALLOWED_HOSTS,
    # comma-separated), e.g. a name a dev container gives the host. Everything else gets 403.
    allowed_hosts: tuple[str, ...] = ()
    # Class mode (`labkit class create`): a learner's own credentials on the class's shared endpoint
    # (an IAM user of the learner's account; the dummy `test` keys act in the default account), the
    # endpoint is the instructor's (never started or stopped by a learner), and progress goes to the
    # class store as this learner.
    access_key: str = LOCAL_ACCESS_KEY
    secret_key: str = LOCAL_SECRET_KEY
    shared_endpoint: bool = False
    class_store: Path | None = None
    learner: str = ""
    # A learner's scope in an account shared with others (LABKIT_SCOPE, e.g. l07): every
    # account-wide name of the workshop carries it (stack/names.py). Empty = the workshop's names.
    scope: str = ""
    # Set (LABKIT_CATCHUP=1) in the kernels that catch-up starts: their checks are recorded as
    # catch-up, not as the learner's work, and the preflight does not nag about prerequisites.
    catchup: bool = False

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
    if env.get("LABKIT_ALLOWED_HOSTS", "").strip():
        values["allowed_hosts"] = tuple(h.strip().lower() for h in env["LABKIT_ALLOWED_HOSTS"].split(",") if h.strip())
    if env.get("LABKIT_REDSHIFT_PORT", "").strip():
        values["redshift_port"] = _int(env["LABKIT_REDSHIFT_PORT"], "LABKIT_REDSHIFT_PORT")
    if env.get("LABKIT_ACCESS_KEY_ID", "").strip():
        values["access_key"] = env["LABKIT_ACCESS_KEY_ID"].strip()
        values["secret_key"] = env.get("LABKIT_SECRET_ACCESS_KEY", "").strip() or LOCAL_SECRET_KEY
    if "LABKIT_SHARED_ENDPOINT" in env:
        values["shared_endpoint"] = env["LABKIT_SHARED_ENDPOINT"].strip() not in ("", "0")
    if env.get("LABKIT_CLASS_STORE", "").strip():
        values["class_store"] = Path(env["LABKIT_CLASS_STORE"]).expanduser().resolve()
    if "LABKIT_LEARNER" in env:
        values["learner"] = env["LABKIT_LEARNER"].strip()
    if "LABKIT_SCOPE" in env:
        values["scope"] = env["LABKIT_SCOPE"].strip().lower()
    if "LABKIT_CATCHUP" in env:
        values["catchup"] = env["LABKIT_CATCHUP"].strip() not in ("", "0")
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
    if settings.scope and not SCOPE.match(settings.scope):
        raise ConfigError(f"LABKIT_SCOPE={settings.scope!r} is not a scope: {SCOPE_RULE}, or unset it")
    if settings.scale <= 0:
        raise ConfigError(f"LABKIT_SCALE must be positive, got {settings.scale}")
    return settings


def child_environ(overrides: dict[str, str | None]) -> dict[str, str]:
    """The environment for a child process (a kernel, a subprocess): this process's variables with
    ``overrides`` applied (None unsets one). Hand it to the child explicitly; this process's own
    environment is left as it is."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


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
