"""accounts: which account a request acts in — one endpoint serving many isolated accounts (class mode).

moto keeps every backend per account id and picks the account from the request's access key: a
key that moto's IAM issued (CreateAccessKey, or STS AssumeRole into a role of another account)
belongs to that key's account; any other key (the kit's dummy ``test``) to the default account,
123456789012. Class mode gives each learner an IAM user's keys in an account of their own, so
buckets, catalogs, roles and keys of two learners never meet — as with one AWS account per learner.

The engines follow the caller: the gateway resolves the account of every request and runs the
guard and the engine handler inside ``acting_in(account)``; the adapters of this package read the
moto backends of ``current()``; job threads inherit the caller's context (platform/jobs.py); and
the engines' own calls back into the endpoint are signed with ``admin_key(account)``, a key the
endpoint registers in that account for itself (the account's own admin identity, as ``test`` is
in the default account).
"""
from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from, iam_backends

_current: contextvars.ContextVar[str] = contextvars.ContextVar("labkit_account", default=DEFAULT_ACCOUNT_ID)
_admin_keys: dict[str, tuple[str, str]] = {}
_lock = threading.Lock()


def current() -> str:
    """The account the running request (or job) acts in."""
    return _current.get()


@contextmanager
def acting_in(account_id: str):
    token = _current.set(account_id or DEFAULT_ACCOUNT_ID)
    try:
        yield
    finally:
        _current.reset(token)


def for_access_key(access_key: str) -> str:
    """The account moto attributes a request signed with this access key to."""
    return get_account_id_from(access_key) if access_key else DEFAULT_ACCOUNT_ID


def admin_key(account_id: str) -> tuple[str, str]:
    """(access key id, secret) the endpoint signs its own calls into ``account_id`` with; registered
    in that account's IAM on first use and again after a reset wiped it."""
    if account_id == DEFAULT_ACCOUNT_ID:
        return "test", "test"
    with _lock:
        cached = _admin_keys.get(account_id)
        backend = iam_backends[account_id]["aws"]
        if cached is None or cached[0] not in backend.access_keys:
            key = backend.create_temp_access_key()
            cached = (key.physical_resource_id, key.secret_access_key)
            _admin_keys[account_id] = cached
        return cached


def is_admin_key(access_key: str) -> bool:
    """Whether the key is one the endpoint issued for itself (an account's admin identity)."""
    return access_key == "test" or any(access_key == k for k, _ in list(_admin_keys.values()))


__all__ = ["DEFAULT_ACCOUNT_ID", "acting_in", "admin_key", "current", "for_access_key", "is_admin_key"]
