"""Key derivation calibration: no wasted measurement when the floor is asked for, and the
test-only fast-KDF switch (CHILDDESK_TEST_FAST_KDF=1) that the shipped program never obeys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storage import crypto
from storage.crypto import MIN_ITERATIONS, MIN_MEMORY_KIB, TEST_FAST_KDF_ENV
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[crypto.KdfParams]:
    """Every Argon2id derivation calibrate_kdf runs (each one still runs for real)."""
    seen: list[crypto.KdfParams] = []
    real = crypto.derive_key

    def counted(secret: bytes, params: crypto.KdfParams) -> bytes:
        seen.append(params)
        return real(secret, params)

    monkeypatch.setattr(crypto, "derive_key", counted)
    return seen


def _floor(params: crypto.KdfParams) -> bool:
    return (params.memory_kib, params.iterations) == (MIN_MEMORY_KIB, MIN_ITERATIONS)


def test_a_zero_target_gives_the_floor_without_measuring(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TEST_FAST_KDF_ENV, raising=False)
    first, second = crypto.calibrate_kdf(0), crypto.calibrate_kdf(0)
    assert _floor(first) and _floor(second)
    assert first.salt != second.salt and len(first.salt) == crypto.SALT_BYTES
    assert derivations == []  # a vault made with kdf_target_ms=0 derives its two keys only


def test_a_positive_target_is_still_measured(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TEST_FAST_KDF_ENV, raising=False)
    crypto.calibrate_kdf(1)
    assert derivations and _floor(derivations[0])


@pytest.mark.parametrize("value", [None, "", "0", "true", "yes", " 1"])
def test_the_default_target_is_measured_unless_the_switch_is_exactly_1(
    value: str | None, derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv(TEST_FAST_KDF_ENV, raising=False)
    else:
        monkeypatch.setenv(TEST_FAST_KDF_ENV, value)
    crypto.calibrate_kdf()
    assert derivations, "the default target must be calibrated by a measurement"


def test_the_switch_gives_the_floor_for_the_default_target_only(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    assert _floor(crypto.calibrate_kdf())
    assert derivations == []
    crypto.calibrate_kdf(300)  # an explicit target (tests of calibration itself) is measured
    assert derivations


def test_the_frozen_program_ignores_the_switch(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # as PyInstaller's bundle sets it
    crypto.calibrate_kdf()
    assert derivations


def test_only_storage_crypto_reads_the_switch() -> None:
    readers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("app", "ui", "storage", "sync", "resources")
        for path in (ROOT / folder).rglob("*.py")
        if "CHILDDESK_TEST_FAST_KDF" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["storage/crypto.py"]
    assert "CHILDDESK_TEST_FAST_KDF" not in (ROOT / "build_installer.py").read_text("utf-8")


def test_the_suite_runs_the_command_line_with_floor_parameters(tmp_path: Path) -> None:
    """tests/conftest.py sets the switch for the programs the suite starts."""
    result = run_cli(
        "init", "--password-stdin", stdin="green-hills-far-away\n", data_dir=tmp_path / "v"
    )
    assert result.returncode == 0, result.stderr
    header = json.loads((tmp_path / "v" / "vault.header").read_text(encoding="utf-8"))
    kdf = next(s["kdf"] for s in header["slots"] if s["type"] == "password")
    assert (kdf["memory_kib"], kdf["iterations"]) == (MIN_MEMORY_KIB, MIN_ITERATIONS)
