"""sessions: boto3 sessions that never read the learner's AWS configuration.

On the local and LocalStack targets the kit talks to an endpoint on this machine with dummy
credentials. A plain ``boto3.Session`` would still read ``~/.aws/config`` and honour a stale
``AWS_PROFILE`` (raising ``ProfileNotFound`` even when keys are passed explicitly), or run a
``credential_process``. ``isolated_session`` builds a botocore session whose profile, config
file and credentials file are switched off, so the user's real AWS set-up is never read —
the endpoint's own threads, the CLI and engines all use it.
"""
from __future__ import annotations

import os

import boto3
import botocore.session

# botocore session variables: (config-file key, environment variable, default, converter).
# No environment variable and no file means nothing outside this process can change them.
_SEALED = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
    "data_path": (None, None, None, None),
    "ca_bundle": (None, None, None, None),
    "metadata_service_num_attempts": (None, None, 0, int),
}

# Variables a child process of the kit must not inherit on the local target.
FOREIGN_AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL",
                    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE",
                    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


_LOADER = None


def _shared_loader():
    """One botocore data loader for every isolated session: a session of its own would parse the
    service models again (~0.2 s for three clients; class mode makes sessions for 30 learners)."""
    global _LOADER
    if _LOADER is None:
        import botocore.loaders

        _LOADER = botocore.loaders.create_loader()
    return _LOADER


def isolated_session(access_key: str, secret_key: str, session_token: str | None = None,
                     region: str = "us-east-1") -> boto3.session.Session:
    core = botocore.session.Session(session_vars=_SEALED)
    core.register_component("data_loader", _shared_loader())
    return boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                 aws_session_token=session_token, region_name=region, botocore_session=core)


def without_foreign_aws(environ: dict[str, str]) -> dict[str, str]:
    """A copy of ``environ`` without the variables that point boto3 at the user's AWS set-up."""
    return {k: v for k, v in environ.items() if k not in FOREIGN_AWS_VARS}
