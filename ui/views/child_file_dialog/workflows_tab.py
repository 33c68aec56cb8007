"""The child file's 报告与申请 tab (issue 17): the child's mandatory reports (强制报告: 待送达 /
已送达 / 已签收 / 处理中 / 已办结, filed when and by whom, the district's steps), recognition
applications (事实无人抚养儿童认定申请: state, the town's working-day deadline, a return or refusal
reason and the 兜底 alternatives) and case conferences (个案会商: decisions, actions with who and by
when). Buttons file a new report or apply for recognition; a double-click opens the record (a
conference opens its case, where its actions are followed up).

Read on the vault worker (``load``); only the finished rows come back to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.recognition import ALTERNATIVE_LABELS_ZH
from app.domain.workflow import ROLE_ZH, Role, Transition
from app.services.workflows import WorkflowService
from ui.theme import OVERDUE_COLOUR
from ui.views.workflow_common import china_time

KIND_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("事项", "状态", "时间", "说明")
REPORT, APPLICATION, CONFERENCE = mr.RECORD_TYPE, ra.RECORD_TYPE, cc.RECORD_TYPE
# the words the report's own window uses too (待送达: on this laptop, sent first at the next sync)
REPORT_STATE_ZH = mr.STATE_ZH
OPEN_APPLICATION_STATES = (ra.DRAFT, ra.SUBMITTED, ra.RETURNED, ra.VERIFIED)


def _step_line(step: Transition, actions: dict[str, str]) -> str:
    who = step.actor if step.role == Role.DIRECTOR else f"{ROLE_ZH[step.role]} {step.actor}"
    line = f"{china_time(step.at)}　{who}　{actions.get(step.action, step.action)}"
    assignee = step.details.get("assignee")
    if assignee:
        kind = mr.ASSIGNEE_KINDS.get(str(step.details.get("assignee_kind")), "")
        line += f"：交办{kind}（{assignee}）"
    return line + (f"：{step.reason}" if step.reason else "")


@dataclass(frozen=True)
class Row:
    """One line of the tab (plain data: made on the worker)."""

    kind: str  # REPORT, APPLICATION, CONFERENCE, or "action" (under its conference)
    record_id: str
    texts: tuple[str, str, str, str]
    detail: str  # the full story, shown below the list when selected
    alert: bool = False
    case_id: str = ""
    children: tuple[Row, ...] = ()


@dataclass(frozen=True)
class WorkflowRows:
    reports: tuple[Row, ...]
    applications: tuple[Row, ...]
    conferences: tuple[Row, ...]
    open_application: str | None  # one not yet decided: 申请 opens it rather than a second
    recognition_confirmed_on: str | None


def _report_row(data: dict[str, Any], status: mr.ReportStatus) -> Row:
    state = REPORT_STATE_ZH[status.state]
    concern = mr.CONCERNS.get(str(data.get("concern")), "")
    filed = china_time(str(data.get("filed_at", "")))
    by = str(data.get("filed_by", ""))
    note = [f"填报人：{by}"] if by else []
    if status.assignee:
        note.append(f"交办：{status.assignee}")
    if status.outcome:
        note.append(f"办理结果：{status.outcome}")
    if status.state == mr.FILED:
        note.append("下次同步时优先报送区民政局；情况紧急请直接电话报告")
    steps = [_step_line(t, mr.ACTION_ZH) for t in status.folded.effective if t.role != Role.SYSTEM]
    told = [label for key, label in mr.TOLD.items() if (data.get("told") or {}).get(key)]
    detail = "\n".join(
        [
            f"强制报告（{concern}）　{state}　{filed} 填报" + (f"，填报人 {by}" if by else ""),
            f"看到或听到：{data.get('seen', '')}",
            f"发现时间：{data.get('seen_at', '')}　处于危险的人：{data.get('at_risk', '')}"
            + ("　有紧迫危险" if data.get("immediate_danger") else ""),
            "已告知：" + ("、".join(told) or "无"),
            "区里的办理：" + ("\n  " + "\n  ".join(steps) if steps else "还没有"),
        ]
    )
    return Row(
        REPORT,
        status.report_id,
        (f"强制报告：{concern}", state, filed, "；".join(note)),
        detail,
        alert=status.state == mr.FILED,
    )


def _application_row(
    data: dict[str, Any], status: ra.ApplicationStatus, today: date, service: WorkflowService
) -> Row:
    when = china_time(str(data.get("created_at", "")))
    note: list[str] = []
    if status.state == ra.DRAFT:
        note.append("尚未提交：打印申请表请监护人签字后，确认提交乡镇查验")
    if status.state == ra.SUBMITTED and status.deadline is not None:
        left = service.days_left(status, today)
        approx = "（按周一至周五估算）" if status.deadline.approximate else ""
        note.append(f"乡镇查验期限 {status.deadline.due.isoformat()}{approx}")
        if left is not None:
            note.append(f"已超期 {-left} 个工作日" if left < 0 else f"还有 {left} 个工作日")
    if status.state in (ra.RETURNED, ra.REFUSED) and status.reason:
        note.append(
            ("退回原因：" if status.state == ra.RETURNED else "不予认定原因：") + status.reason
        )
    if status.state == ra.REFUSED:
        note.append("可考虑" + "、".join(ALTERNATIVE_LABELS_ZH.values()) + "等兜底保障")
    if status.state == ra.CONFIRMED and status.confirmed_on:
        note.append(f"{status.confirmed_on} 区民政局复核确认")
        when = status.confirmed_on
    elif status.submitted_on is not None:
        when = status.submitted_on.isoformat() + " 提交"
    steps = [_step_line(t, ra.ACTION_ZH) for t in status.folded.effective]
    void = [
        _step_line(t, ra.ACTION_ZH) + "（未生效：申请已撤回）" for t, _code in status.void_decisions
    ]
    detail = "\n".join(
        [
            f"事实无人抚养儿童认定申请　{status.state_zh}",
            f"认定助手的判断：{data.get('helper_summary', '')}",
            "需要的材料：" + ("、".join(str(m) for m in data.get("materials") or []) or "无"),
            *note,
            "办理经过：" + ("\n  " + "\n  ".join(steps + void) if steps or void else "还没有提交"),
        ]
    )
    return Row(
        APPLICATION,
        status.application_id,
        ("认定申请", status.state_zh, when, "；".join(note)),
        detail,
        alert=status.state in (ra.RETURNED, ra.REFUSED)
        or (status.state == ra.SUBMITTED and "已超期" in "".join(note)),
    )


def _conference_row(data: dict[str, Any], status: cc.ConferenceStatus, today: date) -> Row:
    held = str(data.get("held_on", ""))
    departments = "、".join(str(d) for d in data.get("departments") or [])
    actions = []
    for action in status.actions:
        overdue = action.overdue(today)
        state = "已过期" if overdue else action.state_zh
        notes = "；".join(n for n in action.notes if n)
        actions.append(
            Row(
                "action",
                status.conference_id,
                (action.what, state, f"{action.due} 前", f"负责：{action.who}"),
                f"落实事项：{action.what}\n负责：{action.who}　期限：{action.due}　{state}"
                + (f"\n进展：{notes}" if notes else ""),
                alert=overdue,
                case_id=str(data.get("case_id", "")),
            )
        )
    detail = "\n".join(
        [
            f"个案会商　{held}　{cc.STATE_ZH[status.state]}　参加部门：{departments}",
            f"会商发现：{data.get('findings', '')}",
            f"会商决定：{data.get('decisions', '')}",
            f"下次复查：{status.next_review}",
            "落实事项："
            + "".join(f"\n  {a.what}（{a.who}，{a.due}前，{a.state_zh}）" for a in status.actions),
        ]
    )
    return Row(
        CONFERENCE,
        status.conference_id,
        (
            f"个案会商 {held}",
            cc.STATE_ZH[status.state],
            f"复查 {status.next_review}",
            str(data.get("decisions", "")),
        ),
        detail,
        case_id=str(data.get("case_id", "")),
        children=tuple(actions),
    )


def load(
    service: WorkflowService, child_id: str, today: date, confirmed_on: str | None
) -> WorkflowRows:
    """Vault worker: the child's reports, applications and conferences as rows."""
    applications = service.applications(child_id)
    open_application = next(
        (s.application_id for _d, s in applications if s.state in OPEN_APPLICATION_STATES), None
    )
    return WorkflowRows(
        tuple(_report_row(d, s) for d, s in service.reports(child_id)),
        tuple(_application_row(d, s, today, service) for d, s in applications),
        tuple(_conference_row(d, s, today) for d, s in service.conferences(child_id)),
        open_application,
        confirmed_on,
    )


class WorkflowsTab(QWidget):
    new_report = Signal()
    new_application = Signal(str)  # the undecided application to open, or "" for a new one
    open_report = Signal(str)  # report id
    open_application = Signal(str)  # application id
    open_case = Signal(str)  # case id (a conference's)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workflows_tab")
        self.rows: WorkflowRows | None = None
        self.recognition = QLabel("")
        self.recognition.setObjectName("recognition_confirmed")
        self.recognition.setWordWrap(True)
        self.recognition.setVisible(False)
        self.recognition.setStyleSheet("color: #1b5e20; font-weight: bold;")
        self.report_button = QPushButton(self.tr("填写强制报告"))
        self.report_button.setObjectName("file_mandatory_report")
        self.report_button.setToolTip(
            self.tr("发现监护侵害、监护缺失或监护不当时填写；情况紧急请先拨打 110。")
        )
        self.application_button = QPushButton(self.tr("申请事实无人抚养认定"))
        self.application_button.setObjectName("apply_recognition")
        self.tree = QTreeWidget()
        self.tree.setObjectName("workflows_tree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([self.tr(c) for c in COLUMNS])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setWordWrap(True)
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.detail = QLabel(self.tr("选中一行，这里显示详细情况；双击打开。"))
        self.detail.setObjectName("workflow_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setStyleSheet(
            "QLabel#workflow_detail { background: #f7f9fb; border: 1px solid #dde3ea;"
            " border-radius: 4px; padding: 6px 8px; }"
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.application_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.recognition)
        layout.addWidget(self.tree, 3)
        layout.addWidget(self.detail, 2)
        self._fit_columns()

        self.report_button.clicked.connect(self.new_report)
        self.application_button.clicked.connect(self._apply)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._selected)

    def _fit_columns(self) -> None:
        unit = self.fontMetrics().height() / 17
        for column, width in enumerate((190, 110, 130)):
            self.tree.setColumnWidth(column, round(width * unit))

    def _apply(self) -> None:
        open_id = self.rows.open_application if self.rows is not None else None
        self.new_application.emit(open_id or "")

    def show_rows(self, rows: WorkflowRows) -> None:
        self.rows = rows
        self._fit_columns()
        if rows.recognition_confirmed_on:
            self.recognition.setText(
                self.tr(
                    "已认定为事实无人抚养儿童（区民政局 {0} 复核确认）："
                    "每月至少入户走访1次，从认定之日起算。"
                ).format(rows.recognition_confirmed_on)
            )
        self.recognition.setVisible(bool(rows.recognition_confirmed_on))
        self.application_button.setText(
            self.tr("查看认定申请") if rows.open_application else self.tr("申请事实无人抚养认定")
        )
        # already recognized: no second application (the confirmed one is in the list)
        confirmed = bool(rows.recognition_confirmed_on) and not rows.open_application
        self.application_button.setEnabled(not confirmed)
        self.application_button.setToolTip(
            self.tr("已经认定，不需要再申请；认定申请在下面的列表中。") if confirmed else ""
        )
        tree = self.tree
        tree.clear()
        bold = QFont(tree.font())
        bold.setBold(True)
        for title, group in (
            (self.tr("强制报告"), rows.reports),
            (self.tr("事实无人抚养儿童认定申请"), rows.applications),
            (self.tr("个案会商"), rows.conferences),
        ):
            header = QTreeWidgetItem([f"{title}（{len(group)}）"])
            header.setFont(0, bold)
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for column in range(len(COLUMNS)):
                header.setBackground(column, QBrush(QColor("#eef2f6")))
            tree.addTopLevelItem(header)
            header.setFirstColumnSpanned(True)
            for row in group:
                header.addChild(self._item(row))
            if not group:
                empty = QTreeWidgetItem([self.tr("暂无")])
                empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
                empty.setForeground(0, QBrush(QColor("#757575")))
                header.addChild(empty)
            header.setExpanded(True)
        self.detail.setText(self.tr("选中一行，这里显示详细情况；双击打开。"))

    def _item(self, row: Row) -> QTreeWidgetItem:
        item = QTreeWidgetItem(list(row.texts))
        item.setData(0, KIND_ROLE, row.kind)
        item.setData(
            0, ID_ROLE, row.case_id if row.kind in (CONFERENCE, "action") else row.record_id
        )
        item.setData(0, DETAIL_ROLE, row.detail)
        item.setToolTip(3, row.texts[3])
        if row.alert:
            item.setForeground(1, QBrush(OVERDUE_COLOUR))
            bold = QFont(self.tree.font())
            bold.setBold(True)
            item.setFont(1, bold)
        for child in row.children:
            item.addChild(self._item(child))
        item.setExpanded(True)
        return item

    def items(self, kind: str) -> list[QTreeWidgetItem]:
        """The rows of one kind, in order (for tests)."""
        found = []
        for top in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(top)
            if header is None:
                continue
            stack = [header.child(i) for i in range(header.childCount())]
            while stack:
                item = stack.pop(0)
                if item is None:
                    continue
                if item.data(0, KIND_ROLE) == kind:
                    found.append(item)
                stack[0:0] = [item.child(i) for i in range(item.childCount())]
        return found

    def _selected(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        detail = current.data(0, DETAIL_ROLE) if current is not None else None
        self.detail.setText(
            str(detail) if detail else self.tr("选中一行，这里显示详细情况；双击打开。")
        )

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        kind, key = item.data(0, KIND_ROLE), str(item.data(0, ID_ROLE) or "")
        if kind == REPORT:
            self.open_report.emit(key)
        elif kind == APPLICATION:
            self.open_application.emit(key)
        elif kind in (CONFERENCE, "action") and key:
            self.open_case.emit(key)
