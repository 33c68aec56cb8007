"""儿童档案表 (一人一档): the child file sheet — identity, categories, guardians, support,
爱心妈妈, the current level and its history, open cases and recent visits."""

from __future__ import annotations

from datetime import date

from reportlab.platypus import Flowable, KeepTogether

from app.domain.case import STAGE_LABELS_ZH, PlanAction
from app.domain.categories import RELATION_LABELS_ZH, SUPPORT_LABELS_ZH
from app.domain.child_file import GENDER_LABELS_ZH, FileStatus
from app.domain.guardian_situation import SITUATION_LABELS_ZH
from app.domain.schedule import LEVELS
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.printing.child_blocks import categories_zh, guardian_roles
from app.printing.forms import (
    Label,
    form_table,
    gap,
    list_table,
    markup,
    section,
    signature_block,
    text,
)
from app.printing.labels import CASE_KIND_ZH, level_zh
from app.printing.markup import para_text, zh_date
from app.printing.page import build_pdf
from app.printing.sources import ChildSheetData

TITLE = "儿童档案表"
STATUS_ZH = {
    FileStatus.ACTIVE: "在册",
    FileStatus.TRANSFERRED: "已转出",
    FileStatus.CLOSED: "已关闭",
}
TRANSITION_ZH = {"approaching_18": "即将年满18周岁，请做好转衔准备", "turned_18": "已年满18周岁"}


def _money(amount: float | None) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"


def _action_line(action: PlanAction) -> str:
    """A plan action: what (who, by when), and 已完成 with its date once carried out."""
    done = f"，已完成 {zh_date(action.done_on)}" if action.done_on else ""
    return f"{action.what}（{action.who}，{zh_date(action.by_when, '未定')}前{done}）"


def child_sheet_story(data: ChildSheetData, *, today: date) -> list[Flowable]:
    child = data.child
    current = data.level_history[-1] if data.level_history else None
    disability = child.disability
    disability_text = "—"
    if disability is not None:
        grade = f"{'一二三四'[disability.grade - 1]}级" if disability.grade in (1, 2, 3, 4) else ""
        cert = (
            f"，残疾证号 {disability.certificate_number}" if disability.certificate_number else ""
        )
        disability_text = f"{disability.kind}{grade}{cert}"
    screenings = "；".join(
        f"{zh_date(s.on)} {s.result}{'（已转介）' if s.referred else ''}"
        for s in child.psych_screenings
    )
    status = STATUS_ZH[child.status]
    if child.archive is not None:  # 归档: said first, with the reason and the day
        status = f"已归档（{child.archive.text_zh()}，{zh_date(child.archive.on)}）；{status}"
    if child.transfer is not None:
        status += f"（{zh_date(child.transfer.on)} 转至 {child.transfer.to_village_code}）"
    if child.status == FileStatus.CLOSED and child.closure_reason:
        status += f"（{child.closure_reason}）"
    flag = child.transition_flag(today)
    if flag and child.status == FileStatus.ACTIVE:
        status += f"；{TRANSITION_ZH[flag]}（{zh_date(child.eighteenth_birthday())}）"
    identity = form_table(
        [
            [
                Label("姓名"),
                child.name,
                Label("性别"),
                GENDER_LABELS_ZH[child.gender],
                Label("民族"),
                child.ethnicity,
            ],
            [
                Label("出生日期"),
                zh_date(child.birth_date),
                Label("年龄"),
                f"{child.age_on(today)} 周岁",
                Label("建档日期"),
                zh_date(child.opened_on, "—"),
            ],
            [
                Label("身份证号"),
                child.id_number or "（未登记）",
                None,
                None,
                Label("户籍"),
                child.hukou or "—",
            ],
            [
                Label("现住址"),
                child.address or "—",
                None,
                None,
                Label("村代码"),
                child.village_code,
            ],
            [
                Label("就读学校"),
                " ".join(p for p in (child.school, child.grade) if p) or "—",
                None,
                None,
                Label("健康状况"),
                child.health or "—",
            ],
            [Label("儿童类别"), categories_zh(child), None, None, None, None],
            [Label("残疾情况"), disability_text, None, None, None, None],
            [Label("心理筛查"), screenings or "—", None, None, None, None],
            [Label("档案状态"), status, None, None, None, None],
        ],
        [0.13, 0.22, 0.11, 0.18, 0.13, 0.23],
        spans=[
            ((1, 2), (3, 2)),
            ((1, 3), (3, 3)),
            ((1, 4), (3, 4)),
            *[((1, r), (5, r)) for r in range(5, 9)],
        ],
    )
    guardians = list_table(
        ["关系", "姓名", "身份", "联系电话", "身份证号", "目前情况"],
        [
            [
                RELATION_LABELS_ZH[g.relation],
                g.name or "—",
                guardian_roles(g) or "—",
                g.phone or "—",
                g.id_number or "—",
                "、".join(SITUATION_LABELS_ZH[s] for s in g.situations) or "—",
            ]
            for g in child.guardians
        ],
        [0.09, 0.12, 0.16, 0.17, 0.22, 0.24],
    )
    support = list_table(
        ["保障类型", "金额（元/月）", "起始日期", "备注"],
        [
            [
                SUPPORT_LABELS_ZH[s.kind],
                _money(s.amount_yuan_per_month),
                zh_date(s.since, "—"),
                s.notes or "—",
            ]
            for s in child.support
        ],
        [0.25, 0.18, 0.2, 0.37],
    )
    mother = child.caring_mother
    caring = form_table(
        [
            [
                Label("爱心妈妈"),
                mother.name if mother else "未结对",
                Label("联系电话"),
                (mother.phone or "—") if mother else "—",
                Label("结对日期"),
                zh_date(mother.since, "—") if mother else "—",
            ]
        ],
        [0.13, 0.2, 0.13, 0.2, 0.13, 0.21],
    )
    history_rows = []
    previous: str | None = None
    for change in data.level_history:
        if previous is None:
            direction = "首次评估"
        elif LEVELS.index(change.level) < LEVELS.index(previous):
            direction = "降码（好转）"
        elif LEVELS.index(change.level) > LEVELS.index(previous):
            direction = "升级（加重）"
        else:
            direction = "不变"
        history_rows.append(
            [zh_date(change.on), level_zh(change.level), direction, change.assessment_id[:8]]
        )
        previous = change.level
    level_line = (
        f"当前监护等级：<b>{level_zh(current.level)}</b>（{zh_date(current.on)} 评估）"
        if current
        else "当前监护等级：未评估"
    )
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(f"档案编号：{para_text(data.child_id)}", "small_right"),
        gap(2),
        section("一、基本信息"),
        identity,
        gap(3),
        section("二、监护人及实际抚养人"),
        guardians,
        gap(3),
        section("三、保障与关爱"),
        support,
        gap(1.5),
        caring,
        gap(3),
        section("四、监护能力等级"),
        markup(level_line, "body"),
        gap(1.5),
        list_table(
            ["评估日期", "等级", "变化", "评估编号"],
            history_rows,
            [0.2, 0.4, 0.2, 0.2],
            empty="尚无已完成的评估",
        ),
        gap(3),
        section("五、个案"),
    ]
    if not data.open_cases:
        story.append(text("无在办个案。", "body"))
    for stored in data.open_cases:
        case = stored.value
        plan = "；".join(_action_line(a) for a in case.plan.actions)
        report = ""
        if case.mandatory_report:
            report = f"已强制报告（{zh_date(case.mandatory_report_on, '—')}）"
        if case.escalated_on:
            report += f"{'；' if report else ''}已上报区民政局（{zh_date(case.escalated_on)}）"
        story.append(
            KeepTogether(
                form_table(
                    [
                        [
                            Label("个案类型"),
                            CASE_KIND_ZH[case.kind],
                            Label("当前阶段"),
                            STAGE_LABELS_ZH[case.stage],
                            Label("开案日期"),
                            zh_date(case.opened_on),
                        ],
                        [Label("个案概况"), case.summary or "—", None, None, None, None],
                        [
                            Label("帮扶目标"),
                            "；".join(case.plan.goals) or "—",
                            None,
                            None,
                            None,
                            None,
                        ],
                        [Label("帮扶措施"), plan or "—", None, None, None, None],
                        [Label("报告情况"), report or "—", None, None, None, None],
                    ],
                    [0.13, 0.2, 0.13, 0.2, 0.13, 0.21],
                    spans=[((1, r), (5, r)) for r in range(1, 5)],
                )
            )
        )
        story.append(gap(1.5))
    next_visit = (
        f"共有走访记录 {data.visit_count} 次；下次应走访日期：{zh_date(data.next_visit.due)}"
        if data.next_visit
        else f"共有走访记录 {data.visit_count} 次。"
    )
    story += [
        gap(1.5),
        section(f"六、近期走访（最近 {len(data.recent_visits)} 次）"),
        list_table(
            ["走访日期", "形式", "见到的人", "发现的问题", "提供的帮助"],
            [
                [
                    zh_date(s.value.on),
                    VISIT_FORM_LABELS_ZH[s.value.form],
                    "、".join(s.value.met) or "—",
                    s.value.problems or "—",
                    s.value.help_given or "—",
                ]
                for s in data.recent_visits
            ],
            [0.18, 0.13, 0.15, 0.27, 0.27],
            empty="尚无走访记录",
        ),
        gap(1.5),
        text(next_visit, "body"),
        signature_block(["填表人（儿童主任）", "审核人（儿童督导员）"]),
    ]
    return story


def render_child_sheet(data: ChildSheetData, *, printed_on: date) -> bytes:
    """儿童档案表 as PDF bytes (in memory)."""
    return build_pdf(
        child_sheet_story(data, today=printed_on),
        title=TITLE,
        letterhead=data.letterhead,
        printed_on=printed_on,
    )
