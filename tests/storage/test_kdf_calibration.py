"""Key derivation calibration: no wasted measurement when the floor is asked for, and the
test-only fast-KDF switch (CHILDDESK_TEST_FAST_KDF=1) that the shipped program never obeys: under
it the floor is the test floor (8 MiB, 1 pass; issue 15), without it (or frozen) the vault's
64 MiB and 3 passes, below which a header or keystore is refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storage import crypto
from storage.crypto import (
    MIN_ITERATIONS,
    MIN_MEMORY_KIB,
    TEST_FAST_KDF_ENV,
    TEST_MIN_ITERATIONS,
    TEST_MIN_MEMORY_KIB,
    KdfParams,
)
from storage.keyslots import recovery_kdf
from sync.errors import MalformedError
from sync.keys import KeyPair, read_keystore, write_keystore
from tests.conftest import PASSWORD, run_cli

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
    """At the production floor (64 MiB, 3 passes)."""
    return (params.memory_kib, params.iterations) == (MIN_MEMORY_KIB, MIN_ITERATIONS)


def _test_floor(params: crypto.KdfParams) -> bool:
    """At the test-only floor (8 MiB, 1 pass)."""
    return (params.memory_kib, params.iterations) == (TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS)


def _kdf_json(memory_kib: int, iterations: int) -> dict[str, object]:
    return KdfParams(b"\0" * crypto.SALT_BYTES, memory_kib, iterations).to_json()


def _refused(memory_kib: int, iterations: int) -> bool:
    try:
        KdfParams.from_json(_kdf_json(memory_kib, iterations))
    except ValueError as err:
        assert "below the vault's minimum" in str(err)
        return True
    return False


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


def test_the_switch_gives_the_test_floor_for_the_default_target_only(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    assert _test_floor(crypto.calibrate_kdf()) and _test_floor(crypto.calibrate_kdf(0))
    assert _test_floor(recovery_kdf())
    assert derivations == []
    crypto.calibrate_kdf(300)  # an explicit target (tests of calibration itself) is measured
    assert derivations and _test_floor(derivations[0])  # up from the test floor


def test_without_the_switch_the_floor_is_the_production_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TEST_FAST_KDF_ENV, raising=False)
    assert crypto.kdf_floor() == (64 * 1024, 3)
    assert _floor(recovery_kdf()) and _floor(crypto.floor_kdf())
    assert not _refused(64 * 1024, 3)
    for memory_kib, iterations in ((64 * 1024, 2), (32 * 1024, 3), (8 * 1024, 1), (64 * 1024, 0)):
        assert _refused(memory_kib, iterations), (memory_kib, iterations)


@pytest.mark.parametrize("value", ["", "0", "true", " 1"])
def test_any_other_value_of_the_switch_keeps_the_production_floor(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, value)
    assert crypto.kdf_floor() == (MIN_MEMORY_KIB, MIN_ITERATIONS)
    assert _refused(TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS)


def test_the_switch_accepts_parameters_down_to_the_test_floor_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    assert crypto.kdf_floor() == (8 * 1024, 1)
    # Below the production floor but at or above the test floor: accepted under the switch.
    for memory_kib, iterations in ((8 * 1024, 1), (32 * 1024, 2), (64 * 1024, 3)):
        assert not _refused(memory_kib, iterations), (memory_kib, iterations)
    # Below the test floor: refused all the same.
    for memory_kib, iterations in ((8 * 1024 - 1, 1), (4 * 1024, 3), (64 * 1024, 0)):
        assert _refused(memory_kib, iterations), (memory_kib, iterations)


def test_the_frozen_program_ignores_the_switch(
    derivations: list[crypto.KdfParams], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # as PyInstaller's bundle sets it
    assert crypto.kdf_floor() == (MIN_MEMORY_KIB, MIN_ITERATIONS)
    assert _floor(crypto.calibrate_kdf(0)) and _floor(recovery_kdf())
    assert _refused(TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS)
    assert _refused(32 * 1024, 3)
    assert derivations == []
    crypto.calibrate_kdf()
    assert derivations and _floor(derivations[0])  # measured, up from the production floor


def test_a_keystore_made_under_the_switch_opens_only_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sync/keys.py reads the same floor: the district keystore follows the vault."""
    monkeypatch.setenv(TEST_FAST_KDF_ENV, "1")
    keys, path = KeyPair.generate(), tmp_path / "district-keys.json"
    write_keystore(path, keys, "operator-passphrase-long")
    kdf = json.loads(path.read_text(encoding="utf-8"))["kdf"]
    assert (kdf["memory_kib"], kdf["iterations"]) == (TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS)
    assert read_keystore(path, "operator-passphrase-long").key_id == keys.key_id
    monkeypatch.delenv(TEST_FAST_KDF_ENV)
    with pytest.raises(MalformedError, match="damaged"):
        read_keystore(path, "operator-passphrase-long")


def test_only_storage_crypto_reads_the_switch() -> None:
    readers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("app", "ui", "storage", "sync", "resources")
        for path in (ROOT / folder).rglob("*.py")
        if "CHILDDESK_TEST_FAST_KDF" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["storage/crypto.py"]
    assert "CHILDDESK_TEST_FAST_KDF" not in (ROOT / "build_installer.py").read_text("utf-8")


def test_the_suite_runs_the_command_line_with_the_test_floor(tmp_path: Path) -> None:
    """tests/conftest.py sets the switch in os.environ, so the programs the suite starts
    inherit it: a vault one ``childdesk`` process makes at the test floor, another opens."""
    result = run_cli("init", "--password-stdin", stdin=PASSWORD + "\n", data_dir=tmp_path / "v")
    assert result.returncode == 0, result.stderr
    header = json.loads((tmp_path / "v" / "vault.header").read_text(encoding="utf-8"))
    for slot in header["slots"]:  # the password slot and the recovery slot
        kdf = slot["kdf"]
        assert (kdf["memory_kib"], kdf["iterations"]) == (TEST_MIN_MEMORY_KIB, TEST_MIN_ITERATIONS)
    opened = run_cli("verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=tmp_path / "v")
    assert opened.returncode == 0 and "healthy" in opened.stdout, opened.stderr
