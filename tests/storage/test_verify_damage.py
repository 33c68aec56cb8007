"""``verify`` on real damaged files never crashes (issue 14): flipped bytes in database pages,
rows that vanish from the table while its index still names them, values of the wrong type, a
header copy stored as the wrong type. Each ends in a list of what is affected ("DAMAGE FOUND",
exit 1), or — when not even the header can be read — in a one-line reason (exit 2)."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from storage.errors import VaultError
from storage.vault import Vault
from storage.verify import verify_vault
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, VaultTemplates, run_cli_in_process

PAGE = 4096


_BASE_KEYS: dict[Path, bytes] = {}  # each base vault's key, to open its copies with (the
# password is the point of none of these tests; the command line run of each unlocks with it)


def _fill(vault: Vault) -> None:
    with vault.transaction():
        for i in range(300):
            vault.put("child", {"name": f"儿童{i}", "note": "x" * 200}, author=DIRECTOR)


@pytest.fixture(scope="module")
def damaged_base(tmp_path_factory: pytest.TempPathFactory, vault_templates: VaultTemplates) -> Path:
    """A real vault of a few dozen pages to damage (copied for each test; a copy of a template
    made once per test run)."""
    base = tmp_path_factory.mktemp("base") / "vault"
    vault = (
        VaultCopies(vault_templates).open(base, fill=("verify-damage-300-children", _fill)).vault
    )
    _BASE_KEYS[base] = vault.export_key()
    vault.lock()
    return base


def _copy(base: Path, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(base, target)
    return target


def _verify_cli(vault_dir: Path) -> tuple[int, str]:
    result = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    output = result.stdout + result.stderr
    assert "internal error" not in output and "Traceback" not in output, output
    return result.returncode, output


def _page_of(vault_dir: Path, seq: int) -> int:
    conn = sqlite3.connect(vault_dir / "vault.db")
    (ciphertext,) = conn.execute(
        "SELECT ciphertext FROM revisions WHERE seq = ?", (seq,)
    ).fetchone()
    conn.close()
    offset = (vault_dir / "vault.db").read_bytes().find(ciphertext)
    assert offset > 0
    return offset // PAGE


def test_rows_missing_from_a_damaged_table_page_are_listed(
    damaged_base: Path, tmp_path: Path
) -> None:
    """A table leaf page whose cell count is zeroed: the index still names its rows, the
    table has none of them (the old code crashed on the row that is None)."""
    vault_dir = _copy(damaged_base, tmp_path)
    page = _page_of(vault_dir, 150)
    raw = bytearray((vault_dir / "vault.db").read_bytes())
    assert raw[page * PAGE] == 0x0D  # a table b-tree leaf
    raw[page * PAGE + 3 : page * PAGE + 5] = b"\x00\x00"  # number of cells
    (vault_dir / "vault.db").write_bytes(bytes(raw))

    with Vault.open_with_key(vault_dir, _BASE_KEYS[damaged_base]) as vault:
        report = verify_vault(vault)
    assert not report.healthy
    assert any(item.item_id == "row 150" for item in report.damaged), report.damaged
    assert any(item.kind == "database" for item in report.damaged)  # SQLite's own check

    code, out = _verify_cli(vault_dir)
    assert code == 1 and "DAMAGE FOUND" in out and "row 150" in out, out


@pytest.mark.parametrize(
    "column, value",
    [("nonce", 12345), ("ciphertext", "text"), ("revision", "one"), ("record_type", 7)],
)
def test_values_of_the_wrong_type_are_damage(
    damaged_base: Path, tmp_path: Path, column: str, value: object
) -> None:
    vault_dir = _copy(damaged_base, tmp_path)
    conn = sqlite3.connect(vault_dir / "vault.db")
    (record_id,) = conn.execute("SELECT record_id FROM revisions WHERE seq = 40").fetchone()
    conn.execute(f"UPDATE revisions SET {column} = ? WHERE seq = 40", (value,))
    conn.commit()
    conn.close()
    with Vault.open_with_key(vault_dir, _BASE_KEYS[damaged_base]) as vault:
        report = verify_vault(vault)
        assert len(vault.load("child").revisions) >= 299  # the rest still load
    assert [d.item_id for d in report.damaged] in (["row 40"], [record_id]), report.damaged
    code, out = _verify_cli(vault_dir)
    assert code == 1 and "DAMAGE FOUND" in out, out


@pytest.mark.parametrize(
    "body",
    ["text", 42, 4.5, b"[1, 2, 3]", b'"a string"', b"\xff\xfe", "as-text"],
    ids=["text", "integer", "real", "json-list", "json-string", "not-utf8", "header-as-text"],
)
def test_header_copy_stored_with_the_wrong_type(
    damaged_base: Path, tmp_path: Path, body: object
) -> None:
    vault_dir = _copy(damaged_base, tmp_path)
    if body == "as-text":  # the right content, stored as TEXT instead of a BLOB
        body = (vault_dir / "vault.header").read_text()
    conn = sqlite3.connect(vault_dir / "vault.db")
    conn.execute("UPDATE header SET body = ? WHERE id = 1", (body,))
    conn.commit()
    conn.close()
    code, out = _verify_cli(vault_dir)
    assert code == 1, out
    assert "DAMAGE FOUND" in out and "header vault.db header copy" in out, out
    code, out = _verify_cli(vault_dir)  # rewritten from the intact copy by the first open
    assert code == 0 and "healthy" in out, out


def _checksummed(data: dict[str, object]) -> bytes:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    import hashlib

    data = {**data, "checksum": hashlib.sha256(canonical.encode()).hexdigest()}
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(slots="not a list"),
        lambda d: d.update(slots=[{"id": "password", "type": "password", "kdf": "argon2id"}]),
        lambda d: d.update(generation=[1]),
        lambda d: d.update(mac=5),
        lambda d: d.update(last_seq="7"),
        lambda d: d.update(database_id={"a": 1}),
    ],
    ids=["slots-string", "kdf-string", "generation-list", "mac-number", "seq-text", "id-object"],
)
def test_header_file_with_fields_of_the_wrong_type(
    damaged_base: Path, tmp_path: Path, edit: object
) -> None:
    """Checksums that match, contents of the wrong JSON types: damage, not a crash."""
    vault_dir = _copy(damaged_base, tmp_path)
    data = json.loads((vault_dir / "vault.header").read_text())
    data.pop("checksum")
    edit(data)  # type: ignore[operator]
    (vault_dir / "vault.header").write_bytes(_checksummed(data))
    code, out = _verify_cli(vault_dir)
    assert code == 1 and "header vault.header" in out, out


def test_both_header_copies_of_the_wrong_type_is_a_clear_refusal(
    damaged_base: Path, tmp_path: Path
) -> None:
    vault_dir = _copy(damaged_base, tmp_path)
    conn = sqlite3.connect(vault_dir / "vault.db")
    conn.execute("UPDATE header SET body = 42 WHERE id = 1")
    conn.commit()
    conn.close()
    (vault_dir / "vault.header").write_text("[]")
    code, out = _verify_cli(vault_dir)
    assert code == 2 and "damaged" in out, out


@pytest.mark.parametrize("seed", range(4))
def test_flipped_bytes_in_random_pages_never_crash_verify(
    damaged_base: Path, tmp_path: Path, seed: int
) -> None:
    """Bytes flipped in random pages (not the first): each copy either refuses to open with a
    VaultError or verifies to a report that lists damage; nothing else is ever raised."""
    rng = random.Random(seed)
    pages = (damaged_base / "vault.db").stat().st_size // PAGE
    outcomes = []
    for trial in range(25):
        vault_dir = tmp_path / f"t{trial}"
        shutil.copytree(damaged_base, vault_dir)
        raw = bytearray((vault_dir / "vault.db").read_bytes())
        page = rng.randrange(1, pages)
        for _ in range(rng.choice((1, 4, 32))):
            raw[page * PAGE + rng.randrange(PAGE)] ^= 1 << rng.randrange(8)
        (vault_dir / "vault.db").write_bytes(bytes(raw))
        try:  # as Vault.unlock, without deriving the password's key a hundred times
            vault = Vault.open_with_key(vault_dir, _BASE_KEYS[damaged_base])
        except VaultError:
            outcomes.append("refused")
            continue
        with vault:
            report = verify_vault(vault)
        outcomes.append("healthy" if report.healthy else "damage")
        shutil.rmtree(vault_dir)
    assert "damage" in outcomes or "refused" in outcomes


def test_a_damaged_index_page_does_not_make_the_vault_unopenable(
    damaged_base: Path, tmp_path: Path
) -> None:
    """The checks made before opening read a few pages only: a damaged index page is listed by
    verify (every record still readable), not a reason to refuse the whole vault."""
    vault_dir = _copy(damaged_base, tmp_path)
    conn = sqlite3.connect(vault_dir / "vault.db")
    pages = [
        r[0]
        for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'sqlite_autoindex_revisions_1' "
            "AND pagetype = 'leaf' ORDER BY pageno"
        )
    ]
    conn.close()
    assert len(pages) > 2
    page = pages[len(pages) // 2] - 1  # dbstat counts pages from 1
    raw = bytearray((vault_dir / "vault.db").read_bytes())
    raw[page * PAGE] = 0x00  # not a valid b-tree page type
    (vault_dir / "vault.db").write_bytes(bytes(raw))

    with Vault.open_with_key(vault_dir, _BASE_KEYS[damaged_base]) as vault:
        report = verify_vault(vault)
    assert not report.healthy
    assert any(item.kind == "database" for item in report.damaged), report.damaged
    code, out = _verify_cli(vault_dir)
    assert code == 1 and "DAMAGE FOUND" in out, out
