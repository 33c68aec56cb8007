"""The case dialog, put together from its parts (one module each): base.py lays it out,
showing.py loads and shows the case and its gates, editing.py tracks unsaved edits and keeps
them across an auto-lock, actions.py changes the case, workflows.py shows the district's 个案会商
and the case's 强制报告 (issue 17)."""

from __future__ import annotations

from ui.views.case_dialog.actions import ActionsPart
from ui.views.case_dialog.editing import EditingPart
from ui.views.case_dialog.showing import ShowingPart
from ui.views.case_dialog.workflows import WorkflowsPart


class CaseDialog(ShowingPart, EditingPart, ActionsPart, WorkflowsPart):
    """Open a new case for a child (kind, summary), or follow an existing one."""
