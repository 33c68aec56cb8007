"""What the desk session asks of every editor window it opens (a child's file with any visit
typed over it, a case, a mandatory report, a transition plan, an assessment): a typed contract instead of ``hasattr`` checks, so an editor cannot quietly opt out
of keeping its unsaved input across an auto-lock.
"""

from __future__ import annotations

from typing import Any, Protocol


class Editor(Protocol):
    def unsaved_draft(self) -> dict[str, Any] | None:
        """The whole unsaved input as a draft payload (``{"kind": "child" | "case" |
        "mandatory_report" | "transition_plan", ...}``; a visit rides in its child's) to
        keep encrypted across a lock or crash, or None when nothing is unsaved (or the editor
        keeps its own drafts, as the assessment wizard does)."""
        ...

    def discard_changes(self) -> None:
        """Forget unsaved input without asking (the lock has kept it as a draft)."""
        ...

    def reload(self) -> None:
        """Show the stored record again (something it shows changed elsewhere)."""
        ...
