"""The file name suggested when a printed record is saved as PDF.

Two children's records of one day must not collide, so a record's name carries the child's
name and the record's date: ``走访记录-张小明-2026-11-20.pdf``. The name is only *suggested*
in the save dialog the user answers (a file the user chose to write); the PDF's own metadata
still carries no names (see :func:`app.printing.page.build_pdf`).
"""

from __future__ import annotations

import re
from datetime import date

# Characters no file system on Windows, macOS or Linux accepts in a name, and control characters.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_PART = 40


class PrintedPdf(bytes):
    """The PDF bytes of a printed record, with the file name to suggest when it is saved.

    A ``bytes`` subclass, so every caller that wants the bytes keeps working; the preview
    reads :attr:`file_name` when it is there.
    """

    file_name: str

    def __new__(cls, pdf: bytes, file_name: str) -> PrintedPdf:
        made = super().__new__(cls, pdf)
        made.file_name = file_name
        return made


def safe_part(text: str) -> str:
    """``text`` usable inside a file name: unsafe characters and runs of spaces become one
    ``_``, no leading or trailing dots or spaces, at most 40 characters."""
    cleaned = _UNSAFE.sub("_", text)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ._")
    return cleaned[:_MAX_PART].strip(" ._")


def suggested_file_name(kind: str, *, child_name: str | None = None, on: date | str) -> str:
    """``{kind}-{child_name}-{on}.pdf`` (the child part left out when there is none)."""
    day = on.isoformat() if isinstance(on, date) else str(on)
    parts = [safe_part(kind), safe_part(child_name or ""), safe_part(day)]
    return "-".join(part for part in parts if part) + ".pdf"
