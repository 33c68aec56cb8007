"""Names, ID numbers, phone numbers and addresses never reach the disk or the logs in
plaintext: every byte of every file in the data folder is scanned, while the vault is open
(WAL and shared-memory files present), after a kill -9, and after a clean close."""

from __future__ import annotations

import io
import json
import logging
import random
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from app.demo_caseload import synthetic_child
from storage.vault import Vault
from storage.verify import verify_vault
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, create_vault

ROOT = Path(__file__).resolve().parents[2]


def _child(rng: random.Random) -> dict:  # type: ignore[type-arg]
    return synthetic_child(rng, "500119104201", date(2026, 11, 22), "red").to_json()


def _texts(children: list[dict]) -> set[str]:  # type: ignore[type-arg]
    texts: set[str] = {DIRECTOR}
    for child in children:
        texts.update((child["name"], child["id_number"], child["address"]))
        texts.update(g["name"] for g in child["guardians"])
        texts.update(g["phone"] for g in child["guardians"])
    return texts


def _needles(children: list[dict]) -> set[bytes]:  # type: ignore[type-arg]
    needles: set[bytes] = set()
    for text in filter(None, _texts(children)):  # (a child may have no ID number yet)
        needles.add(text.encode("utf-8"))
        needles.add(text.encode("utf-16-le"))
        needles.add(json.dumps(text).strip('"').encode())  # \\uXXXX escapes
    needles.add(b"SECRET-SCAN-CONTENT")
    return needles


def _scan(folder: Path, needles: set[bytes]) -> list[str]:
    found = []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        found += [f"{path.name}: {n!r}" for n in needles if n in data]
    return found


def _populate(vault: Vault, children: list[dict]) -> None:  # type: ignore[type-arg]
    with vault.transaction():
        for child in children:
            rec = vault.put("child", child, author=DIRECTOR)
            vault.put(
                "visit",
                {"child_id": rec.record_id, "met": child["guardians"][0]["name"]},
                author=DIRECTOR,
            )
    vault.add_attachment(
        io.BytesIO(b"SECRET-SCAN-CONTENT " * 5000),
        owner_id=rec.record_id,
        filename=f"{children[0]['name']}的残疾证.jpg",
        mime="image/jpeg",
        author=DIRECTOR,
    )


def test_no_personal_data_on_disk_or_in_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rng = random.Random(7)
    children = [_child(rng) for _ in range(200)]
    needles = _needles(children)
    control = tmp_path / "control"
    control.mkdir()
    (control / "plain.json").write_text(json.dumps(children[0]), encoding="utf-8")
    assert _scan(control, needles)  # the scan does find plaintext where there is some
    vault_dir = tmp_path / "vault"
    vault = create_vault(vault_dir, director_name=DIRECTOR)
    _populate(vault.vault, children)
    # While open: the WAL holds the recent transactions.
    assert (vault_dir / "vault.db-wal").stat().st_size > 0
    assert _scan(vault_dir, needles) == []
    verify_vault(vault.vault)
    vault.vault.change_password(PASSWORD, "another-long-phrase-2")
    vault.vault.lock()
    assert _scan(vault_dir, needles) == []
    logged = caplog.text
    assert "created vault" in logged  # the log was captured
    assert [t for t in _texts(children) if t and t in logged] == []


def test_no_personal_data_after_a_kill(tmp_path: Path, vault_copies: VaultCopies) -> None:
    rng = random.Random(8)
    children = [_child(rng) for _ in range(50)]
    vault_dir = tmp_path / "vault"
    vault_copies.open(vault_dir).vault.lock()
    script = textwrap.dedent(
        f"""
        import json, sys, time
        from storage.vault import Vault
        v = Vault.unlock({str(vault_dir)!r}, {PASSWORD!r})
        for child in json.loads(sys.stdin.read()):
            v.put("child", child, author={DIRECTOR!r})
        print("written", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write(json.dumps(children))
    proc.stdin.close()
    assert proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _scan(vault_dir, _needles(children)) == []  # WAL left by the killed process
    with Vault.unlock(vault_dir, PASSWORD) as vault:
        assert len(vault.load("child").revisions) == 50
