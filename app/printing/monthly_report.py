"""月度工作报表: one month of one village — visits due / done / overdue, children by level and
changes of level, new and closed cases, mandatory reports, children turning 18, and the
month's visits. The figures come from :mod:`app.services.monthly_report`, the same the GUI's
报表 screen shows."""

from __future__ import annotations

from datetime import date

from reportlab.platypus import Flowable

from app.domain.case import STAGE_LABELS_ZH
from app.domain.schedule import LEVELS
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.printing.forms import (
    Label,
    form_table,
    gap,
    list_table,
    markup,
    section,
    signature_block,
    subheading,
    text,
)
from app.printing.labels import CASE_KIND_ZH, LEVEL_SHORT_ZH, NOT_ASSESSED, level_zh
from app.printing.markup import para_text, zh_date
from app.printing.page import Letterhead, build_pdf
from app.services.monthly_report import MonthlyFigures

TITLE = "月度工作报表"
DIRECTION_ZH = {"first": "首次评估", "down": "降码（好转）", "up": "升级（加重）", "same": "不变"}
STATUS_ZH = {
    "on_time": "按时走访",
    "late": "逾期后已走访",
    "overdue": "逾期未走访",
    "pending": "待走访",
}


def _short_level(level: str | None) -> str:
    return level_zh(level, meaning=False) if level else NOT_ASSESSED


def monthly_report_story(figures: MonthlyFigures, letterhead: Letterhead) -> list[Flowable]:
    f = figures
    period = f"{zh_date(f.month.first_day)} 至 {zh_date(f.as_of)}"
    if not f.complete:
        period += "（本月尚未结束，统计截至今天）"
    forms = f.visits_by_form
    visit_summary = form_table(
        [
            [
                Label("在册儿童"),
                f"{f.children_followed} 人",
                Label("本月应走访"),
                f"{f.due_count} 人（含上月结转逾期 {f.carried_over_count} 人）",
            ],
            [
                Label("已走访"),
                f"{f.done_count} 人（按时 {f.on_time_count}，逾期后完成 {f.late_count}）",
                Label("逾期未走访"),
                f"{f.overdue_count} 人",
            ],
            [
                Label("待走访"),
                f"{f.pending_count} 人",
                Label("完成率"),
                _rate(f.done_count, f.due_count),
            ],
            [
                Label("本月走访记录"),
                f"{f.visit_count} 次，涉及 {f.children_visited} 名儿童："
                + "，".join(f"{VISIT_FORM_LABELS_ZH[k]} {v} 次" for k, v in forms.items() if v)
                if f.visit_count
                else "0 次",
                None,
                None,
            ],
        ],
        [0.16, 0.34, 0.16, 0.34],
        spans=[((1, 3), (3, 3))],
    )
    level_table = form_table(
        [
            [
                Label(h)
                for h in (
                    "等级",
                    *(f"{LEVEL_SHORT_ZH[lv]}色" for lv in LEVELS),
                    NOT_ASSESSED,
                    "合计",
                )
            ],
            [
                Label("人数"),
                *(markup(str(f.levels_at_end[lv]), "cell_centre") for lv in LEVELS),
                markup(str(f.levels_at_end["none"]), "cell_centre"),
                markup(str(sum(f.levels_at_end.values())), "cell_centre"),
            ],
        ],
        [0.16, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14],
    )
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(
            f"{para_text(f.month.label_zh)}　"
            f"{para_text(letterhead.village or letterhead.village_code)}",
            "subtitle",
        ),
        text(f"统计期间：{period}", "body"),
        gap(2),
        section("一、走访情况"),
        visit_summary,
        gap(1),
        text(
            "说明：应走访指按走访周期规则（依据月初前的走访记录、监护等级和儿童类别计算）"
            "本月底前应走访的儿童；逾期未走访指截至统计日已过应走访日期而本月尚未走访的儿童。",
            "note",
        ),
        gap(3),
        section(f"二、儿童监护等级（截至{zh_date(f.as_of)}）"),
        level_table,
        gap(2),
        subheading("本月等级变化"),
        list_table(
            ["儿童姓名", "评估日期", "原等级", "新等级", "变化"],
            [
                [
                    c.name,
                    zh_date(c.on),
                    _short_level(c.before),
                    _short_level(c.after),
                    DIRECTION_ZH[c.direction],
                ]
                for c in f.level_changes
            ],
            [0.2, 0.22, 0.16, 0.16, 0.26],
            empty="本月无评估",
        ),
        gap(3),
        section("三、个案"),
        text(
            f"本月新开个案 {len(f.new_cases)} 件，结案 {len(f.closed_cases)} 件，"
            f"月末在办个案 {f.open_cases_at_end} 件。",
            "body",
        ),
        gap(1.5),
        subheading("新开个案"),
        list_table(
            ["儿童姓名", "个案类型", "开案日期", "当前阶段", "概况"],
            [
                [
                    c.name,
                    CASE_KIND_ZH[c.kind],
                    zh_date(c.opened_on),
                    STAGE_LABELS_ZH[c.stage],
                    c.summary or "—",
                ]
                for c in f.new_cases
            ],
            [0.16, 0.14, 0.2, 0.12, 0.38],
        ),
        gap(1.5),
        subheading("结案"),
        list_table(
            ["儿童姓名", "个案类型", "开案日期", "结案日期", "结案原因"],
            [
                [
                    c.name,
                    CASE_KIND_ZH[c.kind],
                    zh_date(c.opened_on),
                    zh_date(c.closed_on),
                    c.closure_reason or "—",
                ]
                for c in f.closed_cases
            ],
            [0.16, 0.14, 0.2, 0.2, 0.3],
        ),
        gap(3),
        section("四、强制报告与上报"),
        list_table(
            ["儿童姓名", "个案类型", "强制报告日期", "上报区民政局日期", "情况"],
            [
                [
                    r.name,
                    CASE_KIND_ZH[r.kind],
                    zh_date(r.reported_on, "—"),
                    zh_date(r.escalated_on, "—"),
                    r.notes or "—",
                ]
                for r in f.reports
            ],
            [0.16, 0.14, 0.2, 0.2, 0.3],
        ),
        gap(2),
        text(_screening_line(f), "body"),
        gap(3),
        section("五、年满18周岁（转衔）"),
        list_table(
            ["儿童姓名", "出生日期", "年满18周岁日期", "说明"],
            [
                [t.name, zh_date(t.birth_date), zh_date(t.eighteenth_birthday), "本月年满18周岁"]
                for t in f.turning_18
            ]
            + [
                [t.name, zh_date(t.birth_date), zh_date(t.eighteenth_birthday), "6个月内年满18周岁"]
                for t in f.approaching_18
            ],
            [0.2, 0.25, 0.25, 0.3],
        ),
        gap(3),
        section(f"六、逾期未走访名单（{f.overdue_count} 人）"),
        list_table(
            ["儿童姓名", "监护等级", "应走访日期", "逾期天数", "上次走访"],
            [
                [
                    d.name,
                    _short_level(d.level),
                    zh_date(d.due),
                    f"{d.days_overdue(f.as_of)} 天",
                    zh_date(d.last_visit_before, "从未走访"),
                ]
                for d in f.overdue
            ],
            [0.2, 0.16, 0.22, 0.16, 0.26],
        ),
        gap(3),
        section(f"七、本月走访明细（{f.visit_count} 次）"),
        list_table(
            ["序号", "走访日期", "儿童姓名", "形式", "见到的人", "发现的问题", "提供的帮助"],
            [
                [
                    str(i),
                    zh_date(v.on),
                    v.name,
                    VISIT_FORM_LABELS_ZH[v.form],
                    "、".join(v.met) or "—",
                    v.problems or "—",
                    v.help_given or "—",
                ]
                for i, v in enumerate(f.visits, start=1)
            ],
            [0.06, 0.19, 0.12, 0.11, 0.12, 0.2, 0.2],
            empty="本月无走访记录",
        ),
    ]
    if f.damaged_ids:
        story += [gap(2), text(f"注意：有 {len(f.damaged_ids)} 条记录已损坏，未计入本表。", "note")]
    story.append(signature_block(["填报人（儿童主任）", "审核人（镇儿童督导员）"]))
    return story


def _screening_line(f: MonthlyFigures) -> str:
    """心理状况筛查 of the month (issue 19): counts only, never names."""
    s = f.screening
    return (
        f"心理状况筛查（初步筛查，不是诊断）：本月筛查 {s.screened} 名儿童，"
        f"需关注或建议转介 {s.flagged} 名，转介专业机构 {s.referred} 名，"
        f"完成评估 {s.evaluated} 名。"
    )


def _rate(done: int, due: int) -> str:
    return f"{done * 100 / due:.1f}%" if due else "—"


def render_monthly_report(
    figures: MonthlyFigures, *, letterhead: Letterhead, printed_on: date
) -> bytes:
    """月度工作报表 as PDF bytes (in memory)."""
    return build_pdf(
        monthly_report_story(figures, letterhead),
        title=TITLE,
        letterhead=letterhead,
        printed_on=printed_on,
    )
