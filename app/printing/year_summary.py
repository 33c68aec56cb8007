"""年度工作总结: the year-end summary of a period (seed 004 四 3) — children by category and level
at start and end, level changes, visits, assessments, cases, mandatory reports and recognitions,
activities and children reached, screening, caring mothers, ageing out — and the typical cases
(典型案例), anonymised: the child's name is 某某, no ID number, address, guardian name or phone.

The figures come from :mod:`app.services.year_summary`. Before a PDF is made, every printed
story is checked with :func:`app.domain.typical_case.identifying_data_in`; a story that still
holds identifying data stops the print (:class:`IdentifyingDataError`) instead of leaking it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable

from app.domain.activity import ACTIVITY_KIND_LABELS_ZH
from app.domain.categories import CATEGORY_LABELS_ZH, ChildCategory
from app.domain.child_file import ChildFile
from app.domain.labels_zh import SCREENING_ZH
from app.domain.problems import DomainValidationError, FieldProblem
from app.domain.schedule import LEVELS, VisitSchedule
from app.domain.transition_plan import PLAN_STATUS_LABELS_ZH, PlanStatus
from app.domain.typical_case import (
    Identifying,
    Mention,
    TypicalCase,
    anonymise,
    identifying_data_in,
    mentions_to_review,
)
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
from app.printing.labels import CASE_KIND_ZH, LEVEL_SHORT_ZH, NOT_ASSESSED
from app.printing.markup import para_text, zh_date
from app.printing.page import Letterhead, build_pdf
from app.services.children import CHILD_TYPE
from app.services.typical_cases import identifying_of
from app.services.year_summary import Period, SummaryRecords, YearSummary, year_summary
from storage.errors import RecordNotFoundError
from storage.vault import Vault

TITLE = "年度工作总结"


class IdentifyingDataError(DomainValidationError):
    """A typical case would print data identifying its child; nothing is printed (the words
    name the case, never the datum found)."""

    def __init__(self, title: str, found: list[str]) -> None:
        super().__init__(
            [
                FieldProblem(
                    "typical_case",
                    f"典型案例“{title}”中仍有可识别儿童身份的信息（姓名、证件号、住址、"
                    "学校、村名或监护人），已停止打印。请修改案例后再打印。",
                    f"a typical case still holds {len(found)} identifying data",
                )
            ]
        )


@dataclass(frozen=True)
class PrintedCase:
    """A typical case as printed: anonymised title and parts, and what the director should
    look at before printing (shown on screen, never printed)."""

    title: str
    written_on: date
    parts: tuple[tuple[str, str], ...]
    review: tuple[Mention, ...] = ()


def village_names(names: Iterable[str]) -> list[str]:
    """The village names among a letterhead's (not the "村代码 …" that stands in for a name
    the profile does not have)."""
    return [n for n in names if n.strip() and "代码" not in n and not any(c.isdigit() for c in n)]


def printed_case(
    case: TypicalCase, child: ChildFile, *, villages: Sequence[str] = ()
) -> PrintedCase:
    """``case`` anonymised against ``child``'s file (and the village by name, where known).
    Raises :class:`IdentifyingDataError` when identifying data survives."""
    who: Identifying = identifying_of(
        child, villages=village_names(villages), others=case.other_names
    )
    title = anonymise(case.title, who)
    parts = tuple((label, anonymise(body, who)) for label, body in case.texts() if body.strip())
    found = identifying_data_in(title + "".join(b for _l, b in parts), who)
    if found:
        raise IdentifyingDataError(title, found)
    review = mentions_to_review([title, *(b for _l, b in parts)], who)
    return PrintedCase(title, case.written_on, parts, tuple(review))


def printed_cases(
    summary: YearSummary, children: Mapping[str, ChildFile], *, villages: Sequence[str] = ()
) -> list[PrintedCase]:
    """The summary's typical cases anonymised and checked. A case whose child's file is gone is
    anonymised against nothing it could name, so it is left out."""
    out = []
    for stored in summary.typical_cases:
        child = children.get(stored.value.child_id)
        if child is not None:
            out.append(printed_case(stored.value, child, villages=villages))
    return out


REVIEW_ADVICE = (
    "以下字词打印时不会自动隐去：若指的是孩子本人（如小名），请改写为“某某”；若指孩子所在的村，"
    "请改写为“某村”；普通字词（如“美丽”“明天”）不用修改。"
)


def _review_line(title: str, mention: Mention) -> str:
    where = "；".join(mention.contexts)
    more = "……" if mention.count > len(mention.contexts) else ""
    what = "村名" if mention.kind == "place" else "名字中的"
    return f"案例“{title}”：{what}“{mention.word}”出现 {mention.count} 处：{where}{more}"


def review_notes(
    summary: YearSummary, children: Mapping[str, ChildFile], *, villages: Sequence[str] = ()
) -> list[str]:
    """What the director should check before printing the summary, in words (after
    :data:`REVIEW_ADVICE`): a case that would stop the print, and in each other case the
    child's name characters and the village name the anonymiser left standing because they
    are also everyday words (明 in 明天, 丽 in 美丽) — it does not guess, the director reads
    them."""
    notes: list[str] = []
    for stored in summary.typical_cases:
        child = children.get(stored.value.child_id)
        if child is None:
            continue
        try:
            case = printed_case(stored.value, child, villages=villages)
        except IdentifyingDataError as refused:
            notes.append(refused.message_zh)
            continue
        notes += [_review_line(case.title, m) for m in case.review]
    return notes


def year_summary_review(
    vault: Vault, summary: YearSummary, *, village_code: str | None = None
) -> list[str]:
    """:func:`review_notes` for ``summary`` read from the vault (call on the vault worker):
    only the files of the summary's cases are read."""
    from app.printing import letterhead_for  # the package imports this module's neighbours

    village = village_code or str(vault.profile().get("village_code") or "") or None
    children: dict[str, ChildFile] = {}
    for stored in summary.typical_cases:
        child_id = stored.value.child_id
        try:
            revision = vault.get(child_id)
        except RecordNotFoundError:
            continue
        if revision.record_type == CHILD_TYPE and not revision.deleted:
            children[child_id] = ChildFile.from_json(revision.data)
    return review_notes(summary, children, villages=(letterhead_for(vault, village).village,))


def _n(value: int, unit: str = "人") -> str:
    return f"{value} {unit}"


def _rate(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def _centre(value: object) -> Flowable:
    return markup(para_text(str(value)), "cell_centre")


def year_summary_story(
    summary: YearSummary,
    letterhead: Letterhead,
    cases: list[PrintedCase],
    *,
    place: str = "",
    extra: Sequence[Flowable] = (),
) -> list[Flowable]:
    """The summary's sections; ``extra`` (the console's tables) goes before the typical
    cases, which end the document."""
    s = summary
    period = f"{zh_date(s.period.first_day)} 至 {zh_date(s.as_of)}"
    if s.as_of < s.period.last_day:
        period += "（统计期间尚未结束，截至今天）"
    where = place or letterhead.village or letterhead.town or letterhead.village_code
    categories = [c for c in ChildCategory if s.categories_start[c] or s.categories_end[c]]
    category_table = list_table(
        ["儿童类别", "期初人数", "期末人数", "增减"],
        [
            [
                CATEGORY_LABELS_ZH[c],
                _centre(s.categories_start[c]),
                _centre(s.categories_end[c]),
                _centre(f"{s.categories_end[c] - s.categories_start[c]:+d}"),
            ]
            for c in categories
        ]
        + [
            [
                Label("在册儿童合计"),
                _centre(s.children_start),
                _centre(s.children_end),
                _centre(f"{s.children_end - s.children_start:+d}"),
            ]
        ],
        [0.4, 0.2, 0.2, 0.2],
        empty="无在册儿童",
    )
    level_keys = [*LEVELS, "none"]
    level_names = [f"{LEVEL_SHORT_ZH[lv]}色" for lv in LEVELS] + [NOT_ASSESSED]
    level_table = form_table(
        [
            [Label("监护等级"), *(Label(n) for n in level_names)],
            [Label("期初"), *(_centre(s.levels_start[k]) for k in level_keys)],
            [Label("期末"), *(_centre(s.levels_end[k]) for k in level_keys)],
        ],
        [0.2, 0.16, 0.16, 0.16, 0.16, 0.16],
    )
    ch = s.changes
    visit_table = form_table(
        [
            [
                Label("应走访（人次）"),
                _n(s.visits_due, "人次"),
                Label("已走访（人次）"),
                f"{s.visits_done} 人次（按时 {s.visits_on_time}）",
            ],
            [
                Label("逾期未走访"),
                _n(s.visits_overdue, "人次"),
                Label("完成率"),
                _rate(s.visits_done, s.visits_due),
            ],
            [
                Label("走访记录"),
                f"{s.visit_records} 次，涉及 {s.children_visited} 名儿童："
                + (
                    "，".join(
                        f"{VISIT_FORM_LABELS_ZH[k]} {v} 次"
                        for k, v in s.visits_by_form.items()
                        if v
                    )
                    or "无"
                ),
                None,
                None,
            ],
        ],
        [0.18, 0.32, 0.18, 0.32],
        spans=[((1, 2), (3, 2))],
    )
    case_table = list_table(
        ["个案类型", "新开个案", "结案"],
        [[CASE_KIND_ZH[k.kind], _centre(k.opened), _centre(k.closed)] for k in s.cases_by_kind]
        + [[Label("合计"), _centre(s.cases_opened), _centre(s.cases_closed)]],
        [0.4, 0.3, 0.3],
    )
    a = s.activities
    activity_table = list_table(
        ["活动类型", "场次", "儿童人次", "覆盖儿童（人）", "参与总人次"],
        [
            [
                ACTIVITY_KIND_LABELS_ZH[k.kind],
                _centre(k.activities),
                _centre(k.child_attendances),
                _centre(k.children_reached),
                _centre(k.all_attendances),
            ]
            for k in a.by_kind
            if k.activities
        ]
        + [
            [
                Label("合计"),
                _centre(a.activities),
                _centre(a.child_attendances),
                _centre(a.children_reached),
                _centre(a.all_attendances),
            ]
        ],
        [0.24, 0.14, 0.18, 0.22, 0.22],
    )
    paired_heavy, heavy = s.caring_mother_red_orange
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(f"{para_text(s.period.label_zh)}　{para_text(where)}", "subtitle"),
        text(f"统计期间：{period}", "body"),
        gap(2),
        section("一、服务对象基本情况"),
        category_table,
        gap(1),
        text("说明：一名儿童可同时属于多个类别；合计为在册儿童人数。", "note"),
        gap(2),
        subheading("监护等级（期初、期末）"),
        level_table,
        gap(3),
        section("二、监护等级变化"),
        text(
            f"本期完成评估后等级降低（降码）{ch['down']} 人次，升级（加重）{ch['up']} 人次，"
            f"等级不变 {ch['same']} 人次，首次评估 {ch['first']} 人次；"
            f"其中红色等级降码 {s.red_downgraded} 人。",
            "body",
        ),
        gap(3),
        section("三、走访情况"),
        visit_table,
        gap(1),
        text("说明：应走访人次为各月按走访周期应走访儿童数之和。", "note"),
        gap(3),
        section("四、监护能力评估"),
        text(f"本期完成评估 {s.assessments} 次，涉及 {s.children_assessed} 名儿童。", "body"),
        gap(3),
        section("五、个案管理"),
        case_table,
        gap(1),
        text(f"期末在办个案 {s.cases_open_at_end} 件。", "body"),
        gap(3),
        section("六、强制报告与认定"),
        text(
            f"强制报告 {s.reports_filed} 件（另有个案记录中标注强制报告 {s.case_reports} 件），"
            f"上报区民政局 {s.escalations} 件。事实无人抚养儿童认定申请：提交 "
            f"{s.recognitions_submitted} 件，认定 {s.recognitions_confirmed} 件，不予认定 "
            f"{s.recognitions_refused} 件；期末在册事实无人抚养儿童 {s.de_facto_at_end} 人。",
            "body",
        ),
        gap(3),
        section("七、关爱服务活动"),
        activity_table,
        gap(1),
        text(
            f"共开展活动 {a.activities} 场，服务儿童 {a.child_attendances} 人次，"
            f"覆盖儿童 {a.children_reached} 人（同一儿童参加多次只计一人）。",
            "body",
        ),
        gap(3),
        section("八、心理状况初筛与转介"),
    ]
    story.append(
        text(
            "，".join(f"{SCREENING_ZH.get(k, k)} {v} 人" for k, v in s.screening.items())
            + "。（心理状况初筛是儿童主任的初步观察，不是诊断。）",
            "body",
        )
    )
    story += [
        gap(3),
        section("九、爱心妈妈结对"),
        text(
            f"期末在册儿童 {s.children_end} 人，已结对爱心妈妈 {s.caring_mother_paired} 人"
            f"（覆盖率 {_rate(s.caring_mother_paired, s.children_end)}）；"
            f"其中红色、橙色等级儿童 {heavy} 人，已结对 {paired_heavy} 人"
            f"（{_rate(paired_heavy, heavy)}）。",
            "body",
        ),
        gap(3),
        section("十、年满18周岁与转衔交接"),
        list_table(
            ["转衔计划情况", "人数"],
            [
                [PLAN_STATUS_LABELS_ZH[status], _centre(s.turned_18_by_status[status])]
                for status in PlanStatus
            ]
            + [[Label("本期年满18周岁合计"), _centre(s.turned_18)]],
            [0.7, 0.3],
        ),
        gap(1),
        text(
            f"本期因年满18周岁归档 {s.archived_18} 人，其中转衔计划已记录交接 "
            f"{s.archived_18_handed_over} 人。",
            "body",
        ),
        *extra,
        gap(3),
        section(f"十一、典型案例（{len(cases)} 篇）"),
        text(
            "典型案例中的儿童姓名以“某某”代替，村名、学校名以“某村”“某学校”代替，"
            "不含身份证号、住址及监护人信息。",
            "note",
        ),
    ]
    if not cases:
        story.append(text("本期未选入典型案例。", "body"))
    for number, case in enumerate(cases, start=1):
        story += [gap(2), subheading(f"案例{number}：{case.title}")]
        for label, body in case.parts:
            story.append(markup(f"<b>{para_text(label)}：</b>{para_text(body)}", "body"))
            story.append(gap(1))
    if s.damaged:
        story += [gap(2), text(f"注意：有 {s.damaged} 条记录已损坏，未计入本总结。", "note")]
    story.append(signature_block(["填报人", "审核人"]))
    return story


def render_year_summary(
    summary: YearSummary,
    children: Mapping[str, ChildFile],
    *,
    letterhead: Letterhead,
    printed_on: date,
    place: str = "",
) -> bytes:
    """年度工作总结 as PDF bytes (in memory). Raises :class:`IdentifyingDataError` when a
    typical case would name its child."""
    cases = printed_cases(summary, children, villages=(letterhead.village,))
    return build_pdf(
        year_summary_story(summary, letterhead, cases, place=place),
        title=TITLE,
        letterhead=letterhead,
        printed_on=printed_on,
    )


def year_summary_pdf(
    vault: Vault,
    period: Period,
    *,
    today: date,
    village_code: str | None = None,
    schedule: VisitSchedule | None = None,
) -> bytes:
    """年度工作总结 of ``period`` for ``village_code`` (default: the director's village), read
    from the vault (call on the vault worker). Raises ``MonthError`` for a period that has
    not begun and :class:`IdentifyingDataError` for a typical case that would name its child."""
    from app.printing import letterhead_for  # the package imports this module's neighbours

    village = village_code or str(vault.profile().get("village_code") or "") or None
    records = SummaryRecords.from_vault(vault)
    summary = year_summary(records, period, today=today, village_code=village, schedule=schedule)
    return render_year_summary(
        summary,
        records.caseload.children,
        letterhead=letterhead_for(vault, village),
        printed_on=today,
    )
