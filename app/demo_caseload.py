"""Realistic synthetic caseload for the demo, tests and benchmarks — deterministic with a seed.

Every record is marked 演示数据. Names are drawn from common characters; ID numbers carry a valid
check character, a real-looking area code that GB/T 2260 never gave (``FICTIONAL_AREA_CODE``) and
a sequence from the reserved demo range (``FICTIONAL_SEQUENCES``), so no generated number can
belong to a real person and each one is recognisably fictional. Guardians' situations agree with
the child's categories (a 事实无人抚养 child's parents meet the recognition rule; a left-behind
child's parents work away), assessments are scored with the real instrument and spread over all four
levels, visits follow the schedule over the past year (some children are overdue), and red or
orange families have cases at every stage of the loop.

Why one long file: the caseload is one deterministic draw from one seeded generator — the
children, guardians, assessments, visits and cases are drawn in an order that fixes every
later value, so splitting it would spread one sequence of draws over several modules.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain.ages import calendar_age
from app.domain.case import (
    ALLOWED_TRANSITIONS,
    Case,
    CaseKind,
    CaseStage,
    FollowUp,
    Plan,
    PlanAction,
)
from app.domain.categories import ChildCategory, GuardianRelation, SupportKind
from app.domain.child_file import (
    CaringMother,
    ChildFile,
    Disability,
    Gender,
    Guardian,
    PsychScreening,
    Support,
)
from app.domain.guardian_situation import GuardianSituation as S
from app.domain.id_number import FICTIONAL_AREA_CODE, fictional_sequence, make_id_number
from app.domain.schedule import ScheduleFacts, VisitSchedule, load_schedule, next_due
from app.domain.visit import Observations, Visit, VisitForm
from app.questionnaire import AnswerError, Definition, load_default_definition, score
from app.questionnaire.loader import bundled_definition_path
from app.questionnaire.model import QuestionType
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import ASSESSMENT_TYPE, FINISHED, Assessment
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.visits import VISIT_TYPE
from storage.vault import Vault

DEMO_MARK = "演示数据"
LEVEL_WEIGHTS = {"green": 45, "yellow": 30, "orange": 17, "red": 8}

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
    "韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_BOY = "浩宇 子轩 俊杰 明轩 睿泽 宇航 文博 家豪 晨阳 一鸣 天佑 思远 梓豪 浩然 子墨 明 杰 涛 磊 鹏"
_GIRL = "欣怡 梓涵 雨桐 佳怡 诗涵 可馨 雅琳 思琪 婉婷 紫萱 语嫣 梦瑶 晓雪 静怡 丽 敏 静 婷 娟 芳"
_ADULT_MALE = "国强 建华 志明 德明 永红 卫东 海军 建军 文斌 光荣 大勇 小平"
_ADULT_FEMALE = "秀英 桂英 玉兰 秀兰 凤英 淑珍 丽华 春梅 小红 翠花 素芬 桂芳"
_HAMLETS = ["一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组"]
_SCHOOLS = ["村小学", "镇中心小学", "镇初级中学", "县第二中学", "县职业教育中心"]

_OBSERVATIONS = {
    "living_conditions": [
        "房屋为砖混结构，家中整洁",
        "住房老旧，屋顶有渗漏",
        "家中卫生一般，床铺干净",
    ],
    "safety": ["无明显安全隐患", "电线裸露，已提醒整改", "家门口临近水塘，已讲解防溺水"],
    "health": ["身体健康，按时接种疫苗", "近期感冒已痊愈", "需定期复查，已提醒监护人"],
    "schooling": ["按时上学，成绩中等", "作业无人辅导，成绩下滑", "与班主任沟通，表现良好"],
    "emotional_state": [
        "情绪稳定，愿意交流",
        "较为内向，想念外出务工的父母",
        "偶有哭闹，需持续关注",
    ],
}
_PROBLEMS = ["无", "冬季衣物不足", "作业无人辅导", "祖母年迈，照料吃力", "医疗费用负担重"]
_HELP = ["讲解救助政策", "联系爱心妈妈结对", "送去学习用品", "协助申请临时救助", "联系学校加强关注"]


@dataclass(frozen=True)
class DemoSummary:
    children: int
    visits: int
    assessments: int
    cases: int
    levels: dict[str, int]
    programme: dict[str, int] = field(default_factory=dict)  # activities, plans … (programme)


def _name(rng: random.Random, given_names: str, surname: str | None = None) -> str:
    return (surname or rng.choice(_SURNAMES)) + rng.choice(given_names.split())


def _categories(rng: random.Random, level: str) -> list[ChildCategory]:
    roll = rng.random()
    severe = level in ("orange", "red")
    if roll < (0.30 if severe else 0.06):
        primary = ChildCategory.DE_FACTO_UNSUPPORTED
    elif roll < (0.36 if severe else 0.09):
        primary = ChildCategory.ORPHAN_COMMUNITY
    elif roll < 0.50:
        primary = ChildCategory.LEFT_BEHIND
    elif roll < 0.62:
        primary = ChildCategory.MIGRANT
    elif roll < 0.78:
        primary = ChildCategory.LOW_INCOME
    elif roll < 0.87:
        primary = ChildCategory.DISABILITY
    elif roll < 0.90:
        primary = ChildCategory.AUTISM
    elif roll < 0.95:
        primary = ChildCategory.SERIOUS_ILLNESS
    else:
        primary = rng.choice([ChildCategory.EXTREME_POVERTY, ChildCategory.OTHER_HARDSHIP])
    extra = {
        ChildCategory.DE_FACTO_UNSUPPORTED: ChildCategory.LOW_INCOME,
        ChildCategory.DISABILITY: ChildCategory.LOW_INCOME,
        ChildCategory.AUTISM: ChildCategory.DISABILITY,
        ChildCategory.LEFT_BEHIND: ChildCategory.LOW_INCOME,
    }.get(primary)
    return [primary, extra] if extra and rng.random() < 0.3 else [primary]


def _parent_situations(rng: random.Random, primary: ChildCategory) -> tuple[list[S], list[S]]:
    listed = [
        S.SEVERE_DISABILITY,
        S.SERIOUS_ILLNESS,
        S.IMPRISONED,
        S.COMPULSORY_REHAB,
        S.LOST_CONTACT,
        S.GUARDIANSHIP_REVOKED,
        S.DEPORTED,
    ]
    if primary == ChildCategory.DE_FACTO_UNSUPPORTED:
        if rng.random() < 0.5:
            return [rng.choice(listed)], [rng.choice(listed)]
        absent = [rng.choice([S.DECEASED, S.MISSING])]
        other = [rng.choice(listed)]
        return (absent, other) if rng.random() < 0.5 else (other, absent)
    if primary in (ChildCategory.ORPHAN_COMMUNITY, ChildCategory.ORPHAN_INSTITUTIONAL):
        return [S.DECEASED], [S.DECEASED]
    if primary == ChildCategory.LEFT_BEHIND:
        return [S.WORKING_AWAY], [rng.choice([S.WORKING_AWAY, S.WORKING_AWAY, S.DIVORCED_ABSENT])]
    if primary == ChildCategory.SERIOUS_ILLNESS:
        return [S.PRESENT], [S.PRESENT]
    return [rng.choice([S.PRESENT, S.PRESENT, S.WORKING_AWAY, S.SERIOUS_ILLNESS])], [
        rng.choice([S.PRESENT, S.PRESENT, S.DIVORCED_ABSENT, S.REMARRIED_ABSENT])
    ]


_FACTS_MAKING_IT_COUNT: dict[S, dict[str, Any]] = {
    S.SEVERE_DISABILITY: {"disability_grade": 1, "disability_mental_or_intellectual": False},
    S.SERIOUS_ILLNESS: {"illness_on_local_list": True},
    S.IMPRISONED: {"restriction_months": 36},
    S.COMPULSORY_REHAB: {"restriction_months": 24},
    S.OTHER_RESTRICTION: {"restriction_months": 12},
    S.DEPORTED: {"deported_without_support": True},
    S.MISSING: {"missing_declared_by_court": True},
}


def _parent_facts(situations: list[S], today: date) -> dict[str, Any]:
    """What a director would have recorded from the documents (判决书, 残疾人证, 报警回执)."""
    facts: dict[str, Any] = {}
    for situation in situations:
        facts.update(_FACTS_MAKING_IT_COUNT.get(situation, {}))
        if situation == S.LOST_CONTACT:
            facts["lost_contact_since"] = (today - timedelta(days=420)).isoformat()
            facts["police_report_accepted_on"] = (today - timedelta(days=300)).isoformat()
    return facts


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}"


def synthetic_child(rng: random.Random, village_code: str, today: date, level: str) -> ChildFile:
    gender = rng.choice([Gender.MALE, Gender.FEMALE])
    birth = today - timedelta(days=rng.randrange(200, 18 * 365 + 20))
    sequence = fictional_sequence(
        rng.randrange(0, 500) % 50, "male" if gender == Gender.MALE else "female"
    )
    categories = _categories(rng, level)
    father_s, mother_s = _parent_situations(rng, categories[0])
    surname_child = _name(rng, _BOY if gender == Gender.MALE else _GIRL)
    father = Guardian(
        GuardianRelation.FATHER,
        name=_name(rng, _ADULT_MALE, surname=surname_child[0]),
        phone=_phone(rng) if S.DECEASED not in father_s else "",
        situations=father_s,
        facts=_parent_facts(father_s, today),
        is_guardian=S.DECEASED not in father_s,
        is_caregiver=father_s == [S.PRESENT],
    )
    mother = Guardian(
        GuardianRelation.MOTHER,
        name=_name(rng, _ADULT_FEMALE),
        phone=_phone(rng) if S.DECEASED not in mother_s else "",
        situations=mother_s,
        facts=_parent_facts(mother_s, today),
        is_guardian=S.DECEASED not in mother_s,
        is_caregiver=mother_s == [S.PRESENT],
    )
    guardians = [father, mother]
    if not (father.is_caregiver or mother.is_caregiver):
        relation = rng.choice(
            [
                GuardianRelation.GRANDMOTHER,
                GuardianRelation.GRANDFATHER,
                GuardianRelation.MATERNAL_GRANDMOTHER,
            ]
        )
        guardians.append(
            Guardian(
                relation,
                name=_name(rng, _ADULT_FEMALE if "mother" in relation else _ADULT_MALE),
                phone=_phone(rng),
                situations=[S.PRESENT],
                is_caregiver=True,
            )
        )
    support = []
    if (
        ChildCategory.DE_FACTO_UNSUPPORTED in categories
        or ChildCategory.ORPHAN_COMMUNITY in categories
    ):
        support.append(
            Support(SupportKind.BASIC_LIVING_ALLOWANCE, 1300.0, birth + timedelta(days=400))
        )
    if ChildCategory.LOW_INCOME in categories:
        support.append(Support(SupportKind.DIBAO, float(rng.choice([450, 520, 600]))))
    disability = None
    if ChildCategory.DISABILITY in categories or ChildCategory.AUTISM in categories:
        kind = (
            "精神"
            if ChildCategory.AUTISM in categories
            else rng.choice(["肢体", "听力", "智力", "视力"])
        )
        disability = Disability(
            kind, rng.randint(1, 4), f"{FICTIONAL_AREA_CODE}{rng.randrange(10**11):011d}"
        )
        support.append(Support(SupportKind.DISABILITY_SUBSIDY, 100.0))
    caring_mother = None
    paired = level in ("orange", "red") or ChildCategory.DE_FACTO_UNSUPPORTED in categories
    if paired and rng.random() < 0.4:
        caring_mother = CaringMother(
            _name(rng, _ADULT_FEMALE),
            _phone(rng),
            today - timedelta(days=rng.randrange(30, 700)),
        )
    age = calendar_age(birth, today)
    screenings = []
    if age >= 6 and rng.random() < 0.3:
        screenings.append(
            PsychScreening(
                today - timedelta(days=rng.randrange(10, 300)),
                rng.choice(["未见异常", "轻度焦虑倾向", "建议进一步评估"]),
                referred=rng.random() < 0.05,
            )
        )
    return ChildFile(
        name=surname_child,
        gender=gender,
        birth_date=birth,
        village_code=village_code,
        town_code=village_code[:9],
        id_number=make_id_number(FICTIONAL_AREA_CODE, birth, sequence)
        if rng.random() > 0.04
        else "",
        hukou="本村",
        address=f"{rng.choice(_HAMLETS)}{rng.randrange(1, 90)}号",
        school="" if age < 6 else rng.choice(_SCHOOLS),
        grade="" if age < 6 else f"{min(age - 5, 12)}年级",
        health=rng.choice(["良好", "良好", "体弱多病", "哮喘，需随身带药"]),
        disability=disability,
        psych_screenings=screenings,
        categories=categories,
        guardians=guardians,
        support=support,
        caring_mother=caring_mother,
        opened_on=today - timedelta(days=rng.randrange(60, 900)),
        notes=f"{DEMO_MARK}：不是真实儿童。",
        demo=DEMO_MARK,
    )


def _biased_answers(
    definition: Definition, rng: random.Random, today: date, quality: float
) -> dict[str, Any]:
    """A complete answer set, tilted towards the best (quality 1) or worst (0) choices."""
    answers = sample_answers(definition, rng, today)
    for question in definition.questions:
        if question.repeat is not None or question.id not in answers:
            continue
        if question.type is QuestionType.SINGLE_CHOICE:
            scored = sorted(
                (c for c in question.choices if c.score is not None), key=lambda c: c.score or 0.0
            )
            if scored and rng.random() < abs(quality - 0.5) * 2:
                answers[question.id] = (scored[-1] if quality > 0.5 else scored[0]).value
        elif question.type is QuestionType.YES_NO and question.yes_no_scores:
            ranked = sorted(question.yes_no_scores.items(), key=lambda kv: kv[1])
            if rng.random() < abs(quality - 0.5) * 2:
                answers[question.id] = (ranked[-1] if quality > 0.5 else ranked[0])[0]
    return answers


_Pools = dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]
# Drawn pools of the bundled questionnaire by (generator state, day, size), with the state the
# drawing leaves: ~0.23 CPU-s of sampling and scoring each (0.5-0.8 before the engine's
# per-definition plan), and tests fill many vaults from a handful of seeds (issue 15). Bounded;
# only the bundled definition, whose file does not change.
_DRAWN: dict[tuple[Any, ...], tuple[_Pools, Any]] = {}
_DRAWN_MAX = 64


def answer_pools(
    definition: Definition, rng: random.Random, today: date, per_level: int = 8
) -> _Pools:
    """(answers, result JSON) pairs grouped by the level the real instrument gives them — the
    same pools, and the same generator state afterwards, as :func:`draw_answer_pools`."""
    if type(rng) is not random.Random or definition.source != str(bundled_definition_path()):
        return draw_answer_pools(definition, rng, today, per_level)
    key = (definition.id, definition.version, rng.getstate(), today, per_level)
    if key not in _DRAWN:
        pools = draw_answer_pools(definition, rng, today, per_level)
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.clear()
        _DRAWN[key] = (copy.deepcopy(pools), rng.getstate())
        return pools
    pools, state = _DRAWN[key]
    rng.setstate(state)
    return copy.deepcopy(pools)


def draw_answer_pools(
    definition: Definition, rng: random.Random, today: date, per_level: int = 8
) -> _Pools:
    """Draw the pools: biased random answers scored by the real instrument."""
    pools: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {lv: [] for lv in LEVEL_WEIGHTS}
    for attempt in range(1500):
        if all(len(p) >= per_level for p in pools.values()):
            break
        quality = [0.97, 0.8, 0.6, 0.4, 0.15, 0.0][attempt % 6]
        answers = _biased_answers(definition, rng, today, quality)
        try:
            result = score(definition, answers, today=today)
        except AnswerError:
            continue
        if result.level and len(pools[result.level]) < per_level:
            pools[result.level].append((answers, result.to_json()))
    return pools


def _visit_dates(
    rng: random.Random, child: ChildFile, level: str, schedule: VisitSchedule, today: date
) -> list[tuple[date, date]]:
    """A year of (visit date, next due date) at roughly the schedule's pace; about one child
    in eight has fallen behind and is overdue."""
    start = max(child.opened_on or today, today - timedelta(days=365), child.birth_date)
    categories = frozenset(c.value for c in child.categories)
    visits: list[tuple[date, date]] = []
    current = start + timedelta(days=rng.randrange(0, 7))
    lagging = rng.random() < 0.12
    while current <= today:
        due = next_due(ScheduleFacts("", categories, level, current, None, start), schedule).due
        visits.append((current, due))
        span = (due - current).days
        current = current + timedelta(days=max(1, span - rng.randrange(0, max(1, span // 3))))
        if lagging and current > today - timedelta(days=2 * span):
            break
    return visits


def synthetic_visit(rng: random.Random, child_id: str, on: date, next_on: date) -> Visit:
    form = rng.choices([VisitForm.HOME, VisitForm.PHONE, VisitForm.SCHOOL], [70, 20, 10])[0]
    return Visit(
        child_id=child_id,
        on=on,
        form=form,
        met=[rng.choice(["祖母", "祖父", "母亲", "父亲", "儿童本人", "班主任"])],
        observations=Observations(**{k: rng.choice(v) for k, v in _OBSERVATIONS.items()}),
        problems=rng.choice(_PROBLEMS),
        help_given=rng.choice(_HELP),
        follow_up="下次走访继续关注学习和生活情况。",
        next_visit_on=next_on,
        demo=DEMO_MARK,
    )


def _case(
    rng: random.Random, child_id: str, level: str, today: date, leave_overdue: bool = False
) -> Case:
    opened = today - timedelta(days=rng.randrange(20, 300))
    kind = CaseKind.ABSENCE if level == "red" else rng.choice([CaseKind.IMPROPER, CaseKind.ABUSE])
    case = Case(child_id, kind, opened, summary="监护能力评估后识别为重点个案。", demo=DEMO_MARK)
    target = rng.choice(list(CaseStage))
    path = [CaseStage.ASSESSED, CaseStage.INTERVENING, CaseStage.FOLLOWING_UP, CaseStage.CLOSED]
    for stage in path[: path.index(target) + 1] if target != CaseStage.IDENTIFIED else []:
        if stage == CaseStage.ASSESSED:
            case.assessment_notes = "入户评估：监护人照料能力不足。"
        elif stage == CaseStage.INTERVENING:
            case.plan = Plan(
                goals=["落实兜底监护" if level == "red" else "提升监护人照料能力"],
                actions=[
                    PlanAction("联系爱心妈妈一对一结对", "村儿童主任", opened + timedelta(days=30)),
                    PlanAction("申请临时救助", "镇社会事务办", opened + timedelta(days=20)),
                ],
            )
        elif stage == CaseStage.FOLLOWING_UP:
            case.follow_ups = [
                FollowUp(
                    opened + timedelta(days=rng.randrange(10, 19)),
                    "措施已落实，儿童情况好转。",
                    "村儿童主任",
                )
            ]
        elif stage == CaseStage.CLOSED:
            case.closure_reason = "帮扶目标已达成，监护能力恢复正常。"
            case.closed_on = opened + timedelta(days=19)
        assert stage in ALLOWED_TRANSITIONS[case.stage] and not case.gate_problems(stage)
        case.stage = stage
    if kind == CaseKind.ABUSE and case.is_open and rng.random() < 0.5:
        case.mandatory_report = True
        case.mandatory_report_on = opened
        case.escalated_on = opened
        case.escalation_notes = "疑似监护侵害，已强制报告并上报区民政局。"
    _record_done(case, today, leave_overdue)
    return case


def _record_done(case: Case, today: date, leave_overdue: bool) -> None:
    """As a working director records them: an action whose date has passed was carried out
    (完成日期 on the day or a few days before it); once a follow-up said 措施已落实, every action
    was done by then. With ``leave_overdue`` a case in 介入 keeps its passed actions open, so
    待办 still shows a red 措施已过期 line. No draw from ``rng``: the rest of the demo stays as
    it was for the same seed."""
    if leave_overdue and case.stage == CaseStage.INTERVENING:
        return
    followed = case.follow_ups[0].on if case.follow_ups else None
    for action in case.plan.actions:
        if action.by_when is None:
            continue
        if followed is not None:
            done = min(action.by_when, followed)
        elif action.by_when < today:
            done = action.by_when - timedelta(days=case.opened_on.toordinal() % 4)
        else:
            continue  # not due yet: still to do
        action.done_on = max(case.opened_on, min(done, today))


def fill_vault(
    vault: Vault,
    *,
    children: int,
    seed: int,
    village_code: str,
    today: date,
    author: str,
    definition: Definition | None = None,
    schedule: VisitSchedule | None = None,
    programme: bool = False,
) -> DemoSummary:
    """Add ``children`` synthetic children with their assessments, visits and cases; with
    ``programme`` also activities, transition plans and a typical case
    (app/demo_programme.py: the demo shows them; tests that count records leave it off)."""
    rng = random.Random(seed)
    definition = definition or load_default_definition()
    schedule = schedule or load_schedule()
    pools = answer_pools(definition, rng, today)
    levels_available = [lv for lv in LEVEL_WEIGHTS if pools[lv]]
    weights = [LEVEL_WEIGHTS[lv] for lv in levels_available]
    counts = {"visits": 0, "assessments": 0, "cases": 0}
    levels: dict[str, int] = {lv: 0 for lv in LEVEL_WEIGHTS}
    made: list[tuple[str, ChildFile, str]] = []
    overdue_left = 0  # cases left with an action past its date and not done
    for batch_start in range(0, children, 500):
        with vault.transaction():
            for _ in range(min(500, children - batch_start)):
                level = rng.choices(levels_available, weights)[0]
                levels[level] += 1
                child = synthetic_child(rng, village_code, today, level)
                child_id = vault.put(CHILD_TYPE, child.to_json(), author=author).record_id
                made.append((child_id, child, level))
                counts["assessments"] += _store_assessments(
                    vault, rng, pools, child_id, child, level, today, author, definition
                )
                dates = _visit_dates(rng, child, level, schedule, today)
                for on, next_on in dates:  # the next date the app proposed at each visit
                    vault.put(
                        VISIT_TYPE,
                        synthetic_visit(rng, child_id, on, next_on).to_json(),
                        author=author,
                    )
                counts["visits"] += len(dates)
                if level in ("orange", "red") and rng.random() < 0.7:
                    case = _case(rng, child_id, level, today, leave_overdue=overdue_left < 2)
                    if case.is_open and case.plan.open_actions_due(today - timedelta(days=1)):
                        overdue_left += 1  # 待办 shows one or two 措施已过期 lines
                    vault.put(CASE_TYPE, case.to_json(), author=author)
                    counts["cases"] += 1
    extra: dict[str, int] = {}
    if programme:
        from app.demo_programme import fill_programme

        extra = fill_programme(
            vault,
            made,
            seed=seed,
            village_code=village_code,
            today=today,
            author=author,
            mark=DEMO_MARK,
        )
    return DemoSummary(
        children, counts["visits"], counts["assessments"], counts["cases"], levels, extra
    )


def _store_assessments(
    vault: Vault,
    rng: random.Random,
    pools: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]],
    child_id: str,
    child: ChildFile,
    level: str,
    today: date,
    author: str,
    definition: Definition,
) -> int:
    """The current level's assessment, after an earlier, more severe one for some (降码)."""
    sequence = [level]
    worse = {"green": "yellow", "yellow": "orange", "orange": "red"}.get(level)
    if worse and pools.get(worse) and rng.random() < 0.25:
        sequence.insert(0, worse)
    opened = child.opened_on or today
    span = max(1, (today - opened).days)
    for index, lv in enumerate(sequence):
        answers, result = rng.choice(pools[lv])
        finished = opened + timedelta(days=span * (index + 1) // (len(sequence) + 1))
        assessment = Assessment(
            child_id=child_id,
            definition_id=definition.id,
            definition_version=definition.version,
            started_on=finished,
            status=FINISHED,
            answers=answers,
            assessors=[author, "镇儿童督导员"],
            finished_on=finished,
            result={**result, "assessed_on": finished.isoformat()},
            demo=DEMO_MARK,
        )
        vault.put(ASSESSMENT_TYPE, assessment.to_json(), author=author)
    return len(sequence)
