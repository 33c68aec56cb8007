"""个案: a case along the loop 识别 → 评估 → 介入 → 跟踪 → 结案.

The stage is shown along the loop; for each stage the case can move to, its gate is a checklist
(✓ met / ✗ with the domain's own Chinese message). The plan editor (goals; actions with what,
who, by when), follow-ups, closure and reopening reasons, escalation to the district (上报区民政局)
and mandatory reporting (强制报告) — the last two each after a confirmation. Every change goes
through the serial runner and is a new revision of the case record.

The dialog is a package of parts: plan_editor.py (the plan widget), base.py (layout and shared
state), showing.py, editing.py, actions.py and demo.py (the screenshot factory). Its rules are
plain Python in app/domain/case_gates.py (gates, next stages, road ahead) and
app/domain/case_editing.py (kind of move, reasons, the case with the edits on screen,
what a new case and an escalation must say).
"""

from ui.views.case_dialog.demo import demo_case_dialog
from ui.views.case_dialog.dialog import CaseDialog
from ui.views.case_dialog.editing import ask_unsaved
from ui.views.case_dialog.plan_editor import PlanEditor
from ui.views.case_dialog.showing import NO_MARK, OK_MARK

__all__ = ["NO_MARK", "OK_MARK", "CaseDialog", "PlanEditor", "ask_unsaved", "demo_case_dialog"]
