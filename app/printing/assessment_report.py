"""监护能力评估报告: one finished assessment — section scores, the rules that fired, the level,
the recommended layered support (分层赋能), assessors and signature lines."""

from __future__ import annotations

from datetime import date

from reportlab.lib.colors import white
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from app.domain.schedule import LEVELS
from app.domain.visit_advice import without_superseded_visit_advice
from app.printing.child_blocks import child_identity_table
from app.printing.fonts import MAIN_FONT
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
from app.printing.labels import RULE_EFFECT_ZH, level_zh
from app.printing.markup import para_text, zh_date
from app.printing.page import FRAME_WIDTH, build_pdf
from app.printing.sources import AssessmentReportData
from app.printing.styles import LABEL_BACKGROUND, LEVEL_COLOURS, styles

TITLE = "监护能力评估报告"


def _number(value: float) -> str:
    return f"{value:g}"


def _level_banner(level: str | None, label: str | None) -> Table:
    words = level_zh(level) if level else "未分级"
    if label and level:
        words = f"{level_zh(level, meaning=False)}（{label}）"
    style = styles().heading.clone("banner", textColor=white, fontSize=14, leading=20)
    banner = Paragraph(f"评估结果：{para_text(words)}", style)
    table = Table([[banner]], colWidths=[FRAME_WIDTH])
    colour = LEVEL_COLOURS.get(level or "", None)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),
                ("BACKGROUND", (0, 0), (-1, -1), colour if colour is not None else white),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _change(previous: str | None, level: str | None) -> str:
    if level is None:
        return "—"
    if previous is None:
        return "首次评估"
    if LEVELS.index(level) < LEVELS.index(previous):
        return f"由{level_zh(previous, meaning=False)}降为{level_zh(level, meaning=False)}（降码）"
    if LEVELS.index(level) > LEVELS.index(previous):
        return f"由{level_zh(previous, meaning=False)}升为{level_zh(level, meaning=False)}"
    return f"与上次相同（{level_zh(level, meaning=False)}）"


def assessment_report_story(data: AssessmentReportData) -> list[Flowable]:
    result = data.result
    assessment = data.assessment
    total = f"{_number(result.total_score)} / {_number(result.total_max)}"
    if result.total_percent is not None:
        total += f"（得分率 {result.total_percent:g}%）"
    score_only = level_zh(result.score_level) if result.score_level else "—"
    info = form_table(
        [
            [
                Label("评估日期"),
                zh_date(result.assessed_on),
                Label("评估表"),
                data.definition_label,
            ],
            [
                Label("评估人员"),
                "、".join(assessment.assessors) or "—",
                Label("等级变化"),
                _change(data.previous_level, result.level),
            ],
            [Label("总分"), total, Label("按得分定级"), score_only],
        ],
        [0.14, 0.3, 0.14, 0.42],
    )
    section_rows: list[list[object]] = []
    top_rows = []
    by_id = {s.id: s for s in result.sections}
    for sec in result.sections:
        depth = 0
        parent = sec.parent
        while parent is not None and parent in by_id:
            depth += 1
            parent = by_id[parent].parent
        name = sec.label if sec.relevant else f"{sec.label}（不适用）"
        style = styles().cell.clone(f"section{depth}", leftIndent=14 * depth)
        percent = f"{sec.percent:g}%" if sec.percent is not None and sec.relevant else "—"
        if depth == 0:
            top_rows.append(len(section_rows) + 1)
        section_rows.append(
            [
                Paragraph(para_text(name), style),
                _number(sec.score) if sec.relevant else "—",
                _number(sec.max_score) if sec.relevant else "—",
                percent,
            ]
        )
    scores = list_table(["指标", "得分", "满分", "得分率"], section_rows, [0.55, 0.15, 0.15, 0.15])
    scores.setStyle(
        TableStyle([("BACKGROUND", (0, r), (-1, r), LABEL_BACKGROUND) for r in top_rows])
    )
    rules = list_table(
        ["触发的规则（原因）", "对等级的作用", "强制报告"],
        [
            [
                r.reason,
                f"{RULE_EFFECT_ZH.get(r.effect, r.effect)}{level_zh(r.level, meaning=False)}",
                "是" if r.mandatory_report else "否",
            ]
            for r in result.fired_rules
        ],
        [0.64, 0.22, 0.14],
        empty="无（等级按得分确定）",
    )
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(f"评估编号：{para_text(data.assessment_id)}", "small_right"),
        gap(2),
        section("一、儿童基本情况"),
        child_identity_table(data.child, on=result.assessed_on, level=result.level),
        gap(3),
        section("二、评估概况"),
        info,
        gap(3),
        _level_banner(result.level, result.level_label),
        gap(3),
        section("三、各项得分"),
        scores,
        gap(3),
        section("四、触发的规则"),
        rules,
    ]
    if result.mandatory_report:
        story += [
            gap(2),
            markup(
                '<font color="#b00000"><b>须强制报告：</b>本次评估触发了强制报告情形，'
                "请立即报告镇（街道）和区民政局，涉及侵害的依法向公安机关报案。</font>",
                "body",
            ),
        ]
    story += [gap(3), section("五、分层帮扶建议")]
    advice = without_superseded_visit_advice(result.recommendations)
    if data.visit_advice:
        advice.append(data.visit_advice)
    for index, recommendation in enumerate(advice, start=1):
        story.append(text(f"{index}. {recommendation}", "body"))
    if not advice:
        story.append(text("无。", "body"))
    if assessment.corrects:
        corrected = f"{zh_date(data.corrects_on)}的评估" if data.corrects_on else "此前的一次评估"
        story += [gap(2), text(f"本次评估更正了{corrected}。", "note")]
    story.append(signature_block(["评估人员", "评估人员", "儿童主任", "监护人（知情确认）"]))
    return story


def render_assessment_report(data: AssessmentReportData, *, printed_on: date) -> bytes:
    """监护能力评估报告 as PDF bytes (in memory)."""
    return build_pdf(
        assessment_report_story(data),
        title=TITLE,
        letterhead=data.letterhead,
        printed_on=printed_on,
    )
