"""入户走访记录表: one visit, printed for the child's file and the town office, signed by the
child director and the guardian."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from app.domain.visit import VISIT_FORM_LABELS_ZH, VisitForm
from app.printing.child_blocks import child_identity_table
from app.printing.forms import (
    Label,
    form_table,
    gap,
    markup,
    section,
    signature_block,
    text,
    tick_boxes,
)
from app.printing.markup import para_text, zh_date
from app.printing.page import build_pdf
from app.printing.sources import VisitRecordData

TITLE = "入户走访记录表"


def visit_record_story(data: VisitRecordData) -> list[Flowable]:
    visit = data.visit
    obs = visit.observations
    form_boxes = tick_boxes([(VISIT_FORM_LABELS_ZH[f], f == visit.form) for f in VisitForm])
    tall = 13 * mm
    rows = [
        [Label("走访日期"), zh_date(visit.on), Label("走访形式"), markup(form_boxes), None],
        [Label("见到的人"), "、".join(visit.met) or "—", None, None, None],
        [Label("观察情况"), Label("居住生活"), obs.living_conditions, None, None],
        [None, Label("安全"), obs.safety, None, None],
        [None, Label("健康"), obs.health, None, None],
        [None, Label("上学"), obs.schooling, None, None],
        [None, Label("情绪心理"), obs.emotional_state, None, None],
        [Label("发现的问题"), visit.problems, None, None, None],
        [Label("提供的帮助"), visit.help_given, None, None, None],
        [Label("后续跟进"), visit.follow_up, None, None, None],
        [
            Label("下次走访日期"),
            zh_date(visit.next_visit_on, "—"),
            None,
            Label("记录人"),
            data.recorded_by or "—",
        ],
    ]
    spans = [
        ((3, 0), (4, 0)),
        ((1, 1), (4, 1)),
        ((0, 2), (0, 6)),
        *[((2, r), (4, r)) for r in range(2, 7)],
        *[((1, r), (4, r)) for r in range(7, 10)],
        ((1, 10), (2, 10)),
    ]
    heights: list[float | None] = [None, None, *[None] * 5, tall, tall, tall, None]
    visit_table = form_table(rows, [0.16, 0.17, 0.18, 0.13, 0.36], spans=spans, min_heights=heights)
    return [
        markup(TITLE, "title"),
        markup(f"记录编号：{para_text(data.visit_id)}", "small_right"),
        gap(2),
        section("一、儿童及家庭基本情况"),
        child_identity_table(data.child, on=visit.on, level=data.level),
        gap(4),
        section("二、走访情况"),
        visit_table,
        gap(3),
        text("以上情况属实。", "body"),
        signature_block(["儿童主任", "监护人（实际抚养人）"]),
    ]


def render_visit_record(data: VisitRecordData, *, printed_on: date) -> bytes:
    """入户走访记录表 as PDF bytes (in memory)."""
    return build_pdf(
        visit_record_story(data), title=TITLE, letterhead=data.letterhead, printed_on=printed_on
    )
