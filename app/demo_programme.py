"""The demo's activities, transition plans and a typical case (issue 19), added to the demo
caseload (:func:`app.demo_caseload.fill_vault` with ``programme=True``) so the demo shows them:

- about one activity a month over the past year, of every kind (团体辅导, 主题活动, 家长课堂,
  红色实践, 培训 …), attended by some of the children whose files were open by then, a few
  caregivers and others; and one planned for next week with its invited children (签到表);
- a transition plan for every youth of 16 or more: made at 16 (or when the file was opened),
  referred to 人力社保 from 17, handed over for every other one of those who turned 18 — whose
  files are then archived with reason 年满18, as the rule wants (app/domain/transition_plan.py);
- one 典型案例 about a red or orange child, written with the child's name (the print replaces it);
- psychological screenings (app/demo_screening.py) and the mandatory reports a director would
  have filed for the assessments that demand one (app/demo_reports.py).

Deterministic with its own random stream (the caseload's stays as it was). Every record is
marked 演示数据 where the record type has a mark.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from app.domain.activity import ACTIVITY_TYPE, Activity, ActivityKind
from app.domain.ages import calendar_age
from app.domain.child_file import Archive, ArchiveReason, ChildFile
from app.domain.transition_plan import (
    PLAN_FROM_AGE,
    SUBSIDY_CHOICES_ZH,
    TRANSITION_PLAN_TYPE,
    Intention,
    TransitionPlan,
    handed_over_note,
)
from app.domain.typical_case import TYPICAL_CASE_TYPE, TypicalCase
from app.services.children import CHILD_TYPE
from storage.vault import Vault

_TITLES = {
    ActivityKind.GROUP_COUNSELLING: ["团体辅导：认识我的情绪", "团体辅导：学会与人相处"],
    ActivityKind.THEMED: ["“六一”关爱主题活动", "防溺水安全主题活动", "中秋送温暖"],
    ActivityKind.PARENT_CLASS: ["红色监护课堂：亲子沟通", "家长课堂：科学育儿"],
    ActivityKind.RED_PRACTICE: ["红色实践：重走红军路", "红色实践：参观革命纪念馆"],
    ActivityKind.TRAINING: ["儿童主任业务培训", "防范性侵害安全教育培训"],
    ActivityKind.OTHER: ["暑期托管开班", "爱心妈妈结对见面会"],
}
_ORGANISERS = ["镇社工站", "村委会", "镇妇联", "区民政局", "镇中心校"]
_PLACES = ["村委会会议室", "村儿童之家", "镇中心小学", "镇文化站"]
_TRAINING = ["电工", "汽修", "电商直播", "家政服务", "烹饪", "计算机操作"]


def fill_programme(
    vault: Vault,
    children: list[tuple[str, ChildFile, str]],
    *,
    seed: int,
    village_code: str,
    today: date,
    author: str,
    mark: str,
) -> dict[str, int]:
    """Add the activities, plans and typical case for ``children`` (id, file, level)."""
    rng = random.Random(seed * 7919 + 19)
    counts = {"activities": 0, "transition_plans": 0, "archived_18": 0, "typical_cases": 0}
    with vault.transaction():
        counts["activities"] = _activities(vault, rng, children, village_code, today, author, mark)
        plans, archived = _plans(vault, rng, children, today, author)
        counts["transition_plans"], counts["archived_18"] = plans, archived
        counts["typical_cases"] = _typical_case(vault, rng, children, today, author)
        from app.demo_screening import fill_screenings  # 心理状况筛查 (issue 19)

        counts |= fill_screenings(vault, children, seed=seed, today=today, author=author, mark=mark)
        from app.demo_reports import file_demo_reports  # 强制报告 filed, as a director would

        counts |= file_demo_reports(vault, seed=seed, today=today, author=author)
    return counts


def _activities(
    vault: Vault,
    rng: random.Random,
    children: list[tuple[str, ChildFile, str]],
    village_code: str,
    today: date,
    author: str,
    mark: str,
) -> int:
    kinds = list(ActivityKind)
    made = 0
    for months_back in range(11, -1, -1):
        on = today - timedelta(days=months_back * 30 + rng.randrange(0, 20))
        kind = kinds[(11 - months_back) % len(kinds)]
        open_then = [
            (cid, c)
            for cid, c, _level in children
            if (c.opened_on or today) <= on and calendar_age(c.birth_date, on) >= 3
        ]
        share = rng.uniform(0.15, 0.5)
        came = rng.sample(open_then, k=min(len(open_then), max(1, round(len(open_then) * share))))
        caregivers = [
            g.name
            for _cid, c in came[: rng.randrange(0, 6)]
            for g in c.guardians[:1]
            if g.name and kind in (ActivityKind.PARENT_CLASS, ActivityKind.RED_PRACTICE)
        ]
        activity = Activity(
            on=on,
            kind=kind,
            title=rng.choice(_TITLES[kind]),
            village_code=village_code,
            organiser=rng.choice(_ORGANISERS),
            place=rng.choice(_PLACES),
            invited=[cid for cid, _c in came],
            attended=[cid for cid, _c in came],
            guardians=caregivers,
            others_count=rng.randrange(0, 12),
            demo=mark,
        )
        vault.put(ACTIVITY_TYPE, activity.to_json(), author=author)
        made += 1
    # one planned for next week: invited children only, for the 签到表
    ahead = today + timedelta(days=7)
    invited = [cid for cid, c, _l in children if calendar_age(c.birth_date, today) >= 6][:15]
    planned = Activity(
        on=ahead,
        kind=ActivityKind.PARENT_CLASS,
        title="红色监护课堂：陪伴与沟通",
        village_code=village_code,
        organiser="镇社工站",
        place="村儿童之家",
        invited=invited,
        demo=mark,
    )
    vault.put(ACTIVITY_TYPE, planned.to_json(), author=author)
    return made + 1


def _sixteenth(born: date) -> date:
    try:
        return born.replace(year=born.year + PLAN_FROM_AGE)
    except ValueError:  # 29 February
        return date(born.year + PLAN_FROM_AGE, 3, 1)


def _plans(
    vault: Vault,
    rng: random.Random,
    children: list[tuple[str, ChildFile, str]],
    today: date,
    author: str,
) -> tuple[int, int]:
    plans = archived = adults = 0
    for child_id, child, _level in children:
        age = calendar_age(child.birth_date, today)
        if age < PLAN_FROM_AGE:
            continue
        made_on = max(_sixteenth(child.birth_date), child.opened_on or today)
        made_on = min(made_on, today)
        plan = TransitionPlan(
            child_id=child_id,
            made_on=made_on,
            intention=rng.choice(list(Intention)),
            training_wanted=rng.choice(_TRAINING),
        )
        if age >= 17 or rng.random() < 0.3:
            referred = min(today, made_on + timedelta(days=rng.randrange(20, 90)))
            plan = replace(
                plan,
                referred_on=referred,
                referral_outcome="已登记区人力社保局就业服务，推荐参加招聘会",
                subsidies=rng.sample(list(SUBSIDY_CHOICES_ZH), k=2),
            )
        if age >= 18:
            adults += 1
        if age >= 18 and plan.referred_on is not None and adults % 2 == 1:  # every other one
            plan = replace(plan, handed_over_on=today - timedelta(days=rng.randrange(0, 5)))
        vault.put(TRANSITION_PLAN_TYPE, plan.to_json(), author=author)
        plans += 1
        if plan.handed_over_on is not None:  # the rule: archived at 18 after the hand-over
            closed = replace(
                child,
                archive=Archive(ArchiveReason.TURNED_18, today, handed_over_note(plan)),
            )
            vault.put(CHILD_TYPE, closed.to_json(), author=author, record_id=child_id)
            archived += 1
    return plans, archived


def _typical_case(
    vault: Vault,
    rng: random.Random,
    children: list[tuple[str, ChildFile, str]],
    today: date,
    author: str,
) -> int:
    heavy = [(cid, c) for cid, c, level in children if level in ("red", "orange")]
    if not heavy:
        return 0
    child_id, child = rng.choice(heavy)
    given = child.name[1:] if len(child.name) > 2 else child.name  # 小名 as directors write
    carer = next((g for g in child.guardians if g.is_caregiver), None)
    carer_text = f"由{carer.name}照料，" if carer and carer.name else ""
    case = TypicalCase(
        child_id=child_id,
        written_on=today - timedelta(days=2),
        title=f"多方联动守护{child.name}",
        situation=(
            f"{child.name}，{calendar_age(child.birth_date, today)}岁，{carer_text}"
            "家庭监护能力评估为高风险等级，孩子性格内向、学习吃力。"
        ),
        actions=(
            f"儿童主任按周期入户走访{given}家；联系镇社工站开展心理疏导；"
            "为其结对爱心妈妈；协助家庭申请临时救助；与学校建立每月沟通。"
        ),
        outcome=f"{given}按时上学，情绪明显好转，家庭监护等级降低。",
        lessons="发现早、跟得紧、多部门联动，是困境儿童降码的关键。",
    )
    vault.put(TYPICAL_CASE_TYPE, case.to_json(), author=author)
    return 1
