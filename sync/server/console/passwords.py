"""Console password hashing: Argon2id with the library's defaults, and the suite's test-only
cheap parameters (kept apart from accounts.py, which hashes and checks through these)."""

from __future__ import annotations

import os
import secrets
import sys

from argon2 import PasswordHasher

# Argon2id with argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4).
HASHER = PasswordHasher()

# TEST-ONLY. With exactly CHILDDESK_TEST_FAST_PASSWORD_HASH=1 in the environment, console
# passwords are hashed with cheap Argon2id parameters (1 pass, 1 MiB, 1 lane): the test suite
# adds and signs in hundreds of accounts, each hash and check ~0.25 CPU-s with the real ones.
# Any other value is ignored; so is the switch in a frozen program. ``childdesk-district serve``
# says so in its log when it is on (cmd_serve), and a hash made with it is replaced by one with
# the real parameters at the account's next sign-in without it (check_password: the hasher's
# check_needs_rehash). This module is the only place that reads it; tests/console sets it.
TEST_FAST_HASH_ENV = "CHILDDESK_TEST_FAST_PASSWORD_HASH"
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_DUMMY: dict[int, str] = {}


def fast_hash_for_tests() -> bool:
    """Whether the test-only switch is on (see TEST_FAST_HASH_ENV)."""
    return os.environ.get(TEST_FAST_HASH_ENV) == "1" and not getattr(sys, "frozen", False)


def password_hasher() -> PasswordHasher:
    """The hasher for new hashes and for the re-hash check: :data:`HASHER` (the library's
    defaults), unless the test-only switch is on."""
    return _TEST_HASHER if fast_hash_for_tests() else HASHER


def dummy_hash() -> str:
    """Verifying against this keeps an unknown name as slow as a wrong password."""
    hasher = password_hasher()
    if id(hasher) not in _DUMMY:
        _DUMMY[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY[id(hasher)]
