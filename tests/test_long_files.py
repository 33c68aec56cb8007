"""Small files with names that say what they hold; a file past ~500 lines says at its top why
(issue 15): "Why one long file" (or "Why one file of about N lines") in its first 60 lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 500
PRODUCT = ("app/", "ui/", "storage/", "sync/", "resources/", "bench/", "build_installer.py")


def _product_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed if name.startswith(PRODUCT)]


def test_every_long_file_says_why_at_its_top() -> None:
    files = _product_files()
    assert len(files) > 100  # git listed the tree
    unexplained = []
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) <= LIMIT:
            continue
        head = "\n".join(lines[:60]).lower()
        if "why one long file" not in head and "why one file of" not in head:
            unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert not unexplained, "files over 500 lines without a reason at the top: " + ", ".join(
        unexplained
    )
