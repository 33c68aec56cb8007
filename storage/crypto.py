"""Cryptographic building blocks: Argon2id key derivation with calibration, HKDF sub-keys,
AES-256-GCM. All from ``cryptography``; nothing hand-rolled."""

from __future__ import annotations

import base64
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16

# Floors from the vault's promise: never below 64 MiB and 3 passes, whatever the machine.
# Read them through kdf_floor(), the one place that knows about the test-only switch below.
MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3
# TEST-ONLY floor (see TEST_FAST_KDF_ENV): ~5 ms per derivation instead of ~200 ms.
TEST_MIN_MEMORY_KIB = 8 * 1024
TEST_MIN_ITERATIONS = 1
MAX_MEMORY_KIB = 256 * 1024  # old laptops have 2–4 GiB of RAM
LANES = 4
DEFAULT_KDF_TARGET_MS = 500

# TEST-ONLY. With exactly CHILDDESK_TEST_FAST_KDF=1 in the environment the vault's floor is a
# test floor, 8 MiB and 1 pass instead of 64 MiB and 3 (kdf_floor()): calibrate_kdf() gives it
# without measuring for its default target (and for a target of 0 ms), the recovery slot uses
# it, and KdfParams.from_json (vault headers, the district keystore) accepts parameters down to
# it and refuses anything below. Why: issue 15 (the suite within 4 minutes) — every vault
# create, unlock and password change in a test derived at the production floor, ~0.2 CPU-s
# each, ~8 % of the whole suite's CPU. A vault or keystore made under the switch therefore
# opens only under the switch. The frozen program that ships (PyInstaller sets
# ``sys.frozen``) ignores it, and so does any other value: there the floor stays 64 MiB and
# 3 passes and a header below it is refused. This is the only place that reads it;
# tests/conftest.py sets it for the whole test run (the programs the tests start inherit it).
TEST_FAST_KDF_ENV = "CHILDDESK_TEST_FAST_KDF"

log = logging.getLogger("childdesk.storage")


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored in each key slot so a vault opens on any machine."""

    salt: bytes
    memory_kib: int
    iterations: int
    lanes: int = LANES

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "salt": b64e(self.salt),
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        if data.get("name") != "argon2id":
            raise ValueError("unknown key derivation function")
        params = cls(
            salt=b64d(data["salt"]),
            memory_kib=int(data["memory_kib"]),
            iterations=int(data["iterations"]),
            lanes=int(data["lanes"]),
        )
        min_memory_kib, min_iterations = kdf_floor()
        if params.memory_kib < min_memory_kib or params.iterations < min_iterations:
            # A tampered header must not be able to weaken the derivation.
            raise ValueError("key derivation parameters below the vault's minimum")
        return params

    def with_new_salt(self) -> KdfParams:
        return KdfParams(os.urandom(SALT_BYTES), self.memory_kib, self.iterations, self.lanes)


def derive_key(secret: bytes, params: KdfParams) -> bytes:
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)


_fast_kdf_logged = False


def fast_kdf_for_tests() -> bool:
    """Whether the test-only override (see ``TEST_FAST_KDF_ENV``) is in force (logged the
    first time it is, once per process: it is asked on every header read)."""
    global _fast_kdf_logged
    if os.environ.get(TEST_FAST_KDF_ENV) != "1" or getattr(sys, "frozen", False):
        return False
    if not _fast_kdf_logged:
        _fast_kdf_logged = True
        log.info("%s=1: test floor key derivation parameters (test runs only)", TEST_FAST_KDF_ENV)
    return True


def kdf_floor() -> tuple[int, int]:
    """The least Argon2id ``(memory_kib, iterations)`` a vault or keystore may use: 64 MiB and
    3 passes; the test floor (8 MiB, 1 pass) only under the test-only ``TEST_FAST_KDF_ENV``."""
    if fast_kdf_for_tests():
        return TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS
    return MIN_MEMORY_KIB, MIN_ITERATIONS


def floor_kdf() -> KdfParams:
    """Parameters at :func:`kdf_floor`, with a fresh salt."""
    memory_kib, iterations = kdf_floor()
    return KdfParams(os.urandom(SALT_BYTES), memory_kib, iterations)


def calibrate_kdf(target_ms: float = DEFAULT_KDF_TARGET_MS) -> KdfParams:
    """Choose Argon2id parameters so one derivation takes about ``target_ms`` here.

    Measures the floor (:func:`kdf_floor`: 64 MiB, 3 passes), then spends the remaining budget
    first on memory (up to 256 MiB, which hurts GPU attackers most), then on passes. A target
    of 0 (or less) asks for the floor itself: nothing to measure. So does the program's default
    target under the test-only ``CHILDDESK_TEST_FAST_KDF=1``, whose floor is the test floor (an
    explicit other target is still measured, up from that floor).
    """
    floor = floor_kdf()
    if target_ms <= 0 or (target_ms == DEFAULT_KDF_TARGET_MS and fast_kdf_for_tests()):
        return floor  # what the measurement would choose for 0 ms: the floor, not below it
    start = time.perf_counter()
    derive_key(b"calibration", floor)
    floor_ms = max((time.perf_counter() - start) * 1000.0, 1.0)
    budget = target_ms / floor_ms  # in units of the floor's cost (cost ~ memory x passes)
    memory_kib = floor.memory_kib
    while memory_kib * 2 <= MAX_MEMORY_KIB and budget / (memory_kib * 2 / floor.memory_kib) >= 1.5:
        memory_kib *= 2
    if memory_kib == floor.memory_kib:
        chosen_ms = floor_ms
    else:  # cost is not quite linear in memory: measure the chosen size once more
        probe = KdfParams(os.urandom(SALT_BYTES), memory_kib, floor.iterations)
        start = time.perf_counter()
        derive_key(b"calibration", probe)
        chosen_ms = max((time.perf_counter() - start) * 1000.0, 1.0)
    iterations = max(floor.iterations, math.ceil(floor.iterations * target_ms / chosen_ms))
    return KdfParams(os.urandom(SALT_BYTES), memory_kib, iterations)


def hkdf(key: bytes, info: bytes, salt: bytes | None = None, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)
