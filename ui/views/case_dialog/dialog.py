"""The case dialog, put together from its parts (one module each): base.py lays it out,
showing.py loads and shows the case and its gates, editing.py tracks unsaved edits and keeps
them across an auto-lock, actions.py changes the case."""

from __future__ import annotations

from ui.views.case_dialog.actions import ActionsPart
from ui.views.case_dialog.editing import EditingPart
from ui.views.case_dialog.showing import ShowingPart


class CaseDialog(ShowingPart, EditingPart, ActionsPart):
    """Open a new case for a child (kind, summary), or follow an existing one."""
