"""Reading printed PDFs back: text (pdftotext) and fonts (pdffonts), from poppler-utils."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path


def _with_file(pdf: bytes, argv: list[str]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            [*argv, str(path), *(["-"] if argv[0] == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    argv = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        argv += ["-f", str(page), "-l", str(page)]
    return _with_file(pdf, argv)


def flat(text: str) -> str:
    """Text without any whitespace, so a label wrapped over two lines still matches."""
    return re.sub(r"\s+", "", text)


def page_count(pdf: bytes) -> int:
    info = _with_file(pdf, ["pdfinfo"])
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts rows: name, type, emb (yes/no)."""
    lines = _with_file(pdf, ["pdffonts"]).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object id
        rows.append({"name": parts[0], "emb": parts[-5], "type": " ".join(parts[1:-6])})
    return rows
