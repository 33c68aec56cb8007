"""Hostile command-line input on the laptop (issue 14, "the laptop's own edges"): device nodes,
links and pipes as ``print --out``, passwords that are not UTF-8, definition files without
end. Passwords in another locale run the real ``childdesk`` console script (the locale is the
point); the rest run its ``main`` in-process (:func:`run_cli_in_process`)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from storage.atomic_file import NotARegularFileError, write_atomic
from tests.conftest import PASSWORD, VaultCopies, childdesk_executable, run_cli_in_process


def _run_bytes(*args: str, stdin: bytes, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run(
        [childdesk_executable(), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return result.returncode, result.stderr.decode("utf-8", "replace")


# ----- print --out --------------------------------------------------------------------------


def test_print_refuses_a_device_node_and_leaves_it_alone(tmp_path: Path) -> None:
    device = tmp_path / "null-device"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
    before = os.lstat(device)
    result = run_cli_in_process("print", "blank-questionnaire", "--out", str(device))
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr
    assert "internal error" not in result.stderr
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null-device"]  # no temp file left


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dangling_symlink"])
def test_print_refuses_pipes_and_links(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out.pdf"
    elsewhere = tmp_path / "elsewhere.txt"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        elsewhere.write_text("keep me")
        target.symlink_to(elsewhere)
    else:
        target.symlink_to(tmp_path / "missing")
    result = run_cli_in_process("print", "blank-questionnaire", "--out", str(target))
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr
    assert not stat.S_ISREG(os.lstat(target).st_mode)  # still the pipe or the link
    if kind == "symlink":
        assert elsewhere.read_text() == "keep me"
    assert not (tmp_path / "missing").exists()


def test_print_replaces_a_regular_file_with_a_private_one(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    result = run_cli_in_process("print", "blank-questionnaire", "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_write_atomic_temp_name_is_random_and_never_follows_a_planted_link(
    tmp_path: Path,
) -> None:
    target = tmp_path / "file.pdf"
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    # The old predictable name: a link planted there must not be written through.
    (tmp_path / f".file.pdf.tmp-{os.getpid()}").symlink_to(victim)
    write_atomic(target, b"new content")
    assert victim.read_bytes() == b"precious"
    assert target.read_bytes() == b"new content"
    assert not stat.S_ISLNK(os.lstat(target).st_mode)
    leftovers = {p.name for p in tmp_path.iterdir()} - {"file.pdf", "victim"}
    assert leftovers == {f".file.pdf.tmp-{os.getpid()}"}  # the planted link, untouched

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError):
        write_atomic(fifo, b"x")


# ----- passwords that are not UTF-8 ------------------------------------------------------------


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_password_that_is_not_utf8_gets_a_clear_message(
    tmp_path: Path, locale: str, vault_copies: VaultCopies
) -> None:
    vault_copies.open(tmp_path / "v").vault.lock()
    env = {"LC_ALL": locale, "LANG": locale, "PYTHONIOENCODING": ""}
    for argv, stdin, code in (
        (("verify", "--password-stdin"), b"river\xff\xfe-bridge\n", 2),
        (("passwd",), PASSWORD.encode() + b"\nnew-\xc3\x28-password-long\n", 1),
        (("recover",), b"1234\xff\nnew-password-long-enough\n", 1),
    ):
        rc, err = _run_bytes("--data-dir", str(tmp_path / "v"), *argv, stdin=stdin, env=env)
        assert rc == code, err
        assert "not valid UTF-8" in err, err
        assert "internal error" not in err


# ----- definition files without end ----------------------------------------------------------


def test_questionnaire_check_of_dev_zero_is_refused_quickly() -> None:
    result = run_cli_in_process("questionnaire", "check", "/dev/zero", timeout=30)
    assert result.returncode == 1, result.stderr
    assert "larger than 1024 KiB" in result.stderr
    assert "MemoryError" not in result.stderr and "internal error" not in result.stderr


def test_oversized_definition_and_answers_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * ((1 << 20) + 1) + b"{}")
    check = run_cli_in_process("questionnaire", "check", str(big))
    assert check.returncode == 1 and "larger than 1024 KiB" in check.stderr
    printed = run_cli_in_process(
        "print", "blank-questionnaire", "--definition", "/dev/zero", "--out", str(tmp_path / "x")
    )
    assert printed.returncode == 1 and "larger than 1024 KiB" in printed.stderr
    scored = run_cli_in_process("questionnaire", "score", "@default", "/dev/zero")
    assert scored.returncode == 1 and "larger than 1024 KiB" in scored.stderr
    assert not (tmp_path / "x").exists()
