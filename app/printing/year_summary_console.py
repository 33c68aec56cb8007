"""年度汇总 as printed from the district console: the year-end summary of a town or the district
(:mod:`app.printing.year_summary`, the same sections and the same anonymised typical cases),
plus two tables the console adds — activities summed by village, and youths turning 18 in the
next 12 months counted by town and plan status (counts only: no names on this paper)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable

from app.domain.child_file import ChildFile
from app.printing.forms import Label, gap, list_table, markup, section, text
from app.printing.markup import para_text, zh_date
from app.printing.page import Letterhead, build_pdf
from app.printing.year_summary import TITLE, printed_cases, year_summary_story
from app.services.year_summary import YearSummary


@dataclass(frozen=True)
class VillageRow:
    village: str  # code or name
    activities: int
    child_attendances: int
    children_reached: int
    all_attendances: int


@dataclass(frozen=True)
class TownRow:
    town: str
    youths: int
    no_plan: int
    started: int
    referred: int
    handed_over: int


def _c(value: int) -> Flowable:
    return markup(para_text(str(value)), "cell_centre")


def console_appendix(
    villages: Sequence[VillageRow], towns: Sequence[TownRow], window_end: date
) -> list[Flowable]:
    return [
        gap(3),
        section("附一、各村（社区）关爱服务活动"),
        list_table(
            ["村（社区）", "场次", "儿童人次", "覆盖儿童（人）", "参与总人次"],
            [
                [
                    v.village,
                    _c(v.activities),
                    _c(v.child_attendances),
                    _c(v.children_reached),
                    _c(v.all_attendances),
                ]
                for v in villages
            ]
            + [
                [
                    Label("合计"),
                    _c(sum(v.activities for v in villages)),
                    _c(sum(v.child_attendances for v in villages)),
                    _c(sum(v.children_reached for v in villages)),
                    _c(sum(v.all_attendances for v in villages)),
                ]
            ],
            [0.28, 0.12, 0.18, 0.22, 0.2],
        ),
        gap(1),
        text("说明：合计的覆盖儿童为各村之和；同一儿童在两个村参加活动时计两次。", "note"),
        gap(3),
        section(f"附二、今后12个月内（至{zh_date(window_end)}）年满18周岁的儿童及转衔计划"),
        list_table(
            ["乡镇（街道）", "人数", "未建立计划", "已建立未转介", "已转介人力社保", "已交接"],
            [
                [
                    t.town,
                    _c(t.youths),
                    _c(t.no_plan),
                    _c(t.started),
                    _c(t.referred),
                    _c(t.handed_over),
                ]
                for t in towns
            ],
            [0.24, 0.1, 0.16, 0.18, 0.18, 0.14],
        ),
    ]


def render_console_summary(
    summary: YearSummary,
    children: Mapping[str, ChildFile],
    *,
    villages: Sequence[VillageRow],
    towns: Sequence[TownRow],
    window_end: date,
    letterhead: Letterhead,
    place: str,
    printed_on: date,
) -> bytes:
    """The PDF; raises ``IdentifyingDataError`` for a typical case that would name its child."""
    story = year_summary_story(
        summary,
        letterhead,
        printed_cases(summary, children),
        place=place,
        extra=console_appendix(villages, towns, window_end),
    )
    return build_pdf(story, title=TITLE, letterhead=letterhead, printed_on=printed_on)
