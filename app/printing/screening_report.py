"""心理状况筛查结果: one finished psychological screening, printed like the assessment report —
the child, the result (未见异常 / 建议关注 / 建议转介), the observed signs by part, the rules that
fired, the advice and the referral — under the label 初步筛查，不是诊断 on every page's body.

Only what the director needs on paper: no ID number, no address (a screening is sensitive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import HexColor, white
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from app.domain.child_file import GENDER_LABELS_ZH, ChildFile
from app.domain.referral import (
    NOT_A_DIAGNOSIS_ZH,
    REFERRAL_STATUS_ZH,
    REFERRAL_TYPE,
    SCREENING_LEVEL_WORDS_ZH,
    SCREENING_TYPE,
    Referral,
)
from app.printing.file_names import PrintedPdf, suggested_file_name
from app.printing.fonts import MAIN_FONT
from app.printing.forms import Label, form_table, gap, list_table, markup, section, signature_block
from app.printing.forms import text as body_text
from app.printing.markup import para_text, zh_date
from app.printing.page import FRAME_WIDTH, Letterhead, build_pdf
from app.printing.sources import PrintInputError, letterhead_for
from app.printing.styles import styles
from app.questionnaire import AssessmentResult, Definition
from app.questionnaire.loader import load_bundled_definitions
from app.questionnaire.naming import definition_label
from app.services.assessments import FINISHED, Assessment
from storage.vault import Vault

TITLE = "儿童心理状况初步筛查结果"
# the result's colour on paper: never alarming red for a first screen
SCREENING_COLOURS = {"clear": "#2e7d32", "watch": "#b28704", "refer": "#ef6c00"}
EFFECT_ZH = {"force": "定为", "at_least": "至少为"}


@dataclass(frozen=True)
class ScreeningReportData:
    screening_id: str
    screening: Assessment
    result: AssessmentResult
    definition_label: str
    child: ChildFile
    referral: Referral | None
    letterhead: Letterhead


def load_screening_report(
    vault: Vault, screening_id: str, definitions: list[Definition] | None = None
) -> ScreeningReportData:
    revision = vault.get(screening_id)
    if revision.record_type != SCREENING_TYPE:
        raise PrintInputError(f"{screening_id} is not a screening", "这不是一份心理状况筛查。")
    screening = Assessment.from_json(revision.data)
    if screening.status != FINISHED or screening.result is None:
        raise PrintInputError(
            f"screening {screening_id} is a draft",
            "这份筛查还没有完成，没有结果可以打印；请先完成筛查。",
        )
    result = AssessmentResult.from_json(screening.result)
    child = ChildFile.from_json(vault.get(screening.child_id).data)
    referrals = [
        Referral.from_json(r.data)
        for r in vault.load(REFERRAL_TYPE).revisions
        if r.data.get("screening_id") in (screening_id, screening.corrects or None)
    ]
    return ScreeningReportData(
        screening_id=screening_id,
        screening=screening,
        result=result,
        definition_label=definition_label(
            screening.definition_id,
            screening.definition_version,
            definitions or load_bundled_definitions(),
        ),
        child=child,
        referral=referrals[-1] if referrals else None,
        letterhead=letterhead_for(vault, child.village_code),
    )


def _number(value: float) -> str:
    return f"{value:g}"


def _colour(level: str | None) -> str:
    return SCREENING_COLOURS.get(level or "", "#616161")


def _banner(level: str | None) -> Table:
    words = SCREENING_LEVEL_WORDS_ZH.get(level or "", "未得出结果")
    style_ = styles().heading.clone("screen_banner", textColor=white, fontSize=14, leading=20)
    banner = Paragraph(f"筛查结果：{para_text(words)}（{NOT_A_DIAGNOSIS_ZH}）", style_)
    table = Table([[banner]], colWidths=[FRAME_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(_colour(level))),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def screening_report_story(data: ScreeningReportData) -> list[Flowable]:
    result, child = data.result, data.child
    on = result.assessed_on
    identity = form_table(
        [
            [
                Label("儿童姓名"),
                child.name,
                Label("性别"),
                GENDER_LABELS_ZH[child.gender],
                Label("年龄"),
                f"{child.age_on(on)} 周岁",
            ],
            [
                Label("筛查日期"),
                zh_date(on),
                Label("筛查人"),
                "、".join(data.screening.assessors) or "—",
                Label("筛查表"),
                data.definition_label,
            ],
        ],
        [0.11, 0.2, 0.09, 0.14, 0.09, 0.37],
    )
    score_level = SCREENING_LEVEL_WORDS_ZH.get(result.score_level or "", "—")
    parts = list_table(
        ["观察的方面", "得分", "满分"],
        [[s.label, _number(s.score), _number(s.max_score)] for s in result.sections if s.relevant]
        + [["合计", _number(result.total_score), _number(result.total_max)]],
        [0.6, 0.2, 0.2],
    )
    rules = list_table(
        ["发现的情况", "对结果的作用", "强制报告"],
        [
            [
                r.reason,
                EFFECT_ZH.get(r.effect, r.effect) + SCREENING_LEVEL_WORDS_ZH.get(r.level, r.level),
                "是" if r.mandatory_report else "否",
            ]
            for r in result.fired_rules
        ],
        [0.6, 0.26, 0.14],
        empty=f"无（结果按得分确定：{score_level}）",
    )
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(
            f'<font color="#b00000"><b>{NOT_A_DIAGNOSIS_ZH}。</b></font>'
            "本表是儿童主任的观察清单，不是心理量表；结果只说明是否需要关注或转介专业机构评估，"
            "不能据此认定儿童患有任何心理疾病。请妥善保管，不得公开或在村里传播。",
            "body",
        ),
        gap(2),
        section("一、儿童基本情况"),
        identity,
        gap(2),
        _banner(result.level),
        gap(2),
        section("二、观察到的情况"),
        parts,
        gap(2),
        section("三、需要特别注意的情况"),
        rules,
    ]
    if result.mandatory_report:
        story += [
            gap(2),
            markup(
                '<font color="#b00000"><b>须强制报告：</b>儿童有自伤或自杀的言语、行为。'
                "请立即告知监护人加强看护，报告镇（街道）和区民政局；"
                "情况紧急拨打 120 或 110。</font>",
                "body",
            ),
        ]
    story += [gap(2), section("四、建议")]
    for index, recommendation in enumerate(result.recommendations, start=1):
        story.append(body_text(f"{index}. {recommendation}", "body"))
    if not result.recommendations:
        story.append(body_text("无。", "body"))
    referral = data.referral
    if referral is not None:
        story += [gap(2), section("五、转介")]
        story.append(
            form_table(
                [
                    [
                        Label("状态"),
                        REFERRAL_STATUS_ZH[referral.status],
                        Label("转介机构"),
                        referral.referred_to or "—",
                    ],
                    [
                        Label("转介日期"),
                        zh_date(referral.referred_on, "—"),
                        Label("评估日期"),
                        zh_date(referral.evaluated_on, "—") if referral.evaluated else "未评估",
                    ],
                    [Label("评估结果"), referral.outcome or "—", None, None],
                ],
                [0.14, 0.3, 0.14, 0.42],
                spans=[((1, 2), (3, 2))],
            )
        )
    story.append(signature_block(["筛查人", "儿童主任", "监护人（知情确认）"]))
    return story


def render_screening_report(data: ScreeningReportData, *, printed_on: date) -> bytes:
    return build_pdf(
        screening_report_story(data),
        title=TITLE,
        letterhead=data.letterhead,
        printed_on=printed_on,
    )


def screening_report_pdf(
    vault: Vault,
    screening_id: str,
    *,
    printed_on: date,
    definitions: list[Definition] | None = None,
) -> PrintedPdf:
    """The printed result of one finished screening. Suggested file:
    心理筛查-<child>-<finished on>.pdf."""
    data = load_screening_report(vault, screening_id, definitions)
    on = data.screening.finished_on or data.screening.started_on
    name = suggested_file_name("心理筛查", child_name=data.child.name, on=on)
    return PrintedPdf(render_screening_report(data, printed_on=printed_on), name)
