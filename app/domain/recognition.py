"""Recognition helper for 事实无人抚养儿童 (``de_facto_unsupported``): from what the child
director knows about the father and the mother, say whether the child meets the recognition rule,
**why**, and what is still to be found out.

The helper advises; it does not recognise. The town (乡镇/街道) verifies within 10 working days and
the district civil affairs bureau confirms (seed 000, 一).

Sources
-------
Seed 000 (南川区民政局, 南川民函〔2026〕41号, section 一) states the rule as it is applied in
南川/重庆: a child qualifies when

1. **both parents** are each in one of eight situations — 重残, 重病, 服刑在押, 强制隔离戒毒,
   失联, 被撤销监护资格, 被执行其他限制人身自由的措施, 被遣送（驱逐）出境; or
2. **one parent is dead or missing** (死亡或失踪) **and the other** is in one of them;

and children in real hardship outside the rule are helped through 低保, 临时救助 and 慈善帮扶
("政策有边界、关爱无盲区"). The seed gives no definitions of the situations.

The definitions come from the national documents the seed refers to ("国家及市级政策"), read here
through provincial texts that quote them (福建 闽民童〔2021〕31号, 吉林 2021 notice, and district
pages), not from the originals:

- 民政部等12部门《关于进一步加强事实无人抚养儿童保障工作的意见》(民发〔2019〕62号), 一:
  six situations (without 被撤销监护资格 and 被遣送出境). 重残 = 一级、二级残疾, or 三级、四级
  精神、智力残疾; 重病 = as defined locally (大病/重特大疾病 lists); 失联 = lost contact **and**
  not fulfilling guardianship/support duties for 6 months or more; 服刑在押, 强制隔离戒毒 and
  被执行其他限制人身自由的措施 = for a term of 6 months or more; 死亡 = natural death or death
  declared by a court; 失踪 = declared missing by a court (人民法院宣告失踪).
- 民政部 公安部 财政部《关于进一步做好事实无人抚养儿童保障有关工作的通知》(民发〔2020〕125号):
  adds 被撤销监护资格 (a court judgment revoking the guardianship) and 被遣送（驱逐）出境 (a
  foreign national who had a child with a mainland resident, was deported, **and does not
  support the child**); and makes 失联 verifiable: the family or the village committee reports the
  parent to the police, and when the parent is still not found **more than 6 months after the
  police registered the report**, the police issue a receipt that serves as proof.
- "6个月以上" includes 6 months exactly (民法典 第1259条: 以上 includes the number itself).
- Both parents dead or declared missing is not 事实无人抚养 but 孤儿 ("失去父母、查找不到生父母的
  未满18周岁的未成年人", 国办发〔2010〕54号), with its own route (孤儿基本生活保障).

Choices made here, where the texts leave room (see :class:`RecognitionPolicy`):

- 失联: by default the 6 months run from the date the police accepted the report (民发〔2020〕125号
  as provinces apply it); ``RecognitionPolicy(lost_contact_from_police_report=False)`` counts
  from the last contact instead (the literal 62号 wording).
- 失踪 counts as "missing" only when declared by a court. A parent who disappeared but was not
  declared missing is checked as 失联 instead, which is how such cases are handled in practice.
- The 6-month term of 服刑在押 / 强制隔离戒毒 / 其他限制措施 is the term of the measure (刑期,
  戒毒期限, 羁押期限) as the director reads it from the documents; the texts do not say whether a
  remaining term is meant.
- Some 重庆 summaries list 被遣送出境 only for one of the two parents (a foreign parent); the seed
  and 民发〔2020〕125号 list it like the others, and so does this helper.
- Other conditions of the scheme (age under 18, 户籍) belong to the child file and are not
  checked here.

Why one long file: the rule, its sources and the explanation of every branch are read
together when the policy changes; splitting them would separate a sentence from its source.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum

from app.domain.guardian_situation import (
    ABSENT_SITUATIONS,
    QUALIFYING_SITUATIONS,
    SITUATION_LABELS_ZH,
    GuardianSituation,
)

GS = GuardianSituation

__all__ = [
    "ALTERNATIVE_LABELS_ZH",
    "NATIONAL_POLICY",
    "PARENT_LABELS_ZH",
    "Alternative",
    "Message",
    "MissingFact",
    "Outcome",
    "Parent",
    "ParentAssessment",
    "ParentFacts",
    "ParentStatus",
    "RecognitionPolicy",
    "RecognitionResult",
    "RecognitionRule",
    "SituationFinding",
    "assess_recognition",
]


# ----- vocabulary ---------------------------------------------------------------------------


class Parent(StrEnum):
    FATHER = "father"
    MOTHER = "mother"


PARENT_LABELS_ZH: dict[Parent, str] = {Parent.FATHER: "父亲", Parent.MOTHER: "母亲"}


class ParentStatus(IntEnum):
    """What one parent counts as for the rule. Ordered: a parent in several situations counts as
    the highest of them (dead beats listed beats not listed)."""

    NOT_LISTED = 0  # present, working away, … or a listed situation whose conditions are not met
    LISTED = 1  # in one of the eight situations, conditions met
    ABSENT = 2  # dead, or declared missing by a court


class Outcome(StrEnum):
    ELIGIBLE = "eligible"  # 符合事实无人抚养儿童认定条件
    NOT_ELIGIBLE = "not_eligible"  # 不符合
    ORPHAN = "orphan"  # 父母双方死亡或失踪: 孤儿, not 事实无人抚养
    UNDETERMINED = "undetermined"  # facts missing: ask the director


class RecognitionRule(StrEnum):
    BOTH_PARENTS_LISTED = "both_parents_listed"  # 父母双方均符合所列情形之一
    ONE_ABSENT_OTHER_LISTED = "one_absent_other_listed"  # 一方死亡或失踪，另一方符合所列情形之一


RULE_LABELS_ZH: dict[RecognitionRule, str] = {
    RecognitionRule.BOTH_PARENTS_LISTED: "父母双方均符合规定情形之一",
    RecognitionRule.ONE_ABSENT_OTHER_LISTED: "父母一方死亡或失踪、另一方符合规定情形之一",
}
_RULE_LABELS_EN: dict[RecognitionRule, str] = {
    RecognitionRule.BOTH_PARENTS_LISTED: "both parents are each in a listed situation",
    RecognitionRule.ONE_ABSENT_OTHER_LISTED: (
        "one parent is dead or missing and the other is in a listed situation"
    ),
}


class Alternative(StrEnum):
    """Help outside the recognition rule (seed 000, 一: 低保、临时救助、慈善帮扶)."""

    DIBAO = "dibao"
    TEMPORARY_ASSISTANCE = "temporary_assistance"
    CHARITY = "charity"


ALTERNATIVE_LABELS_ZH: dict[Alternative, str] = {
    Alternative.DIBAO: "低保（最低生活保障）",
    Alternative.TEMPORARY_ASSISTANCE: "临时救助",
    Alternative.CHARITY: "慈善帮扶",
}


@dataclass(frozen=True)
class Message:
    """One sentence for people: Chinese for the GUI and print, English for the command line."""

    zh: str
    en: str


@dataclass(frozen=True)
class RecognitionPolicy:
    """The parameters the national texts fix, kept as data so a district can follow its own."""

    min_months: int = 6
    lost_contact_from_police_report: bool = True


NATIONAL_POLICY = RecognitionPolicy()


# ----- input --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParentFacts:
    """What the director knows about one parent. ``None`` means "not known yet"; the helper asks
    for a fact only when the answer would change the decision. The field names are the
    :attr:`MissingFact.key` values."""

    situations: frozenset[GuardianSituation] = frozenset()  # empty: not known
    # 重残: grade on the 残疾人证 (1–4) and whether it is a 精神 or 智力 disability
    disability_grade: int | None = None
    disability_mental_or_intellectual: bool | None = None
    # 重病: whether the illness is on the local 大病/重特大疾病 list
    illness_on_local_list: bool | None = None
    # 服刑在押 / 强制隔离戒毒 / 其他限制人身自由的措施: the term of the measure, in months
    restriction_months: int | None = None
    # 失联: since when the parent has had no contact and not supported the child …
    lost_contact_since: date | None = None
    # … and when the police accepted the report (报警受理日期)
    police_report_accepted_on: date | None = None
    # 失踪: whether a court declared the parent missing (宣告失踪判决书)
    missing_declared_by_court: bool | None = None
    # 被遣送（驱逐）出境: deported and not supporting the child
    deported_without_support: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "situations", frozenset(GS(s) for s in self.situations))
        if self.disability_grade is not None and not 1 <= self.disability_grade <= 4:
            raise ValueError(f"disability grade must be 1-4, got {self.disability_grade}")
        if self.restriction_months is not None and self.restriction_months < 0:
            raise ValueError(f"restriction term must be >= 0 months, got {self.restriction_months}")

    @classmethod
    def of(cls, *situations: GuardianSituation, **facts: object) -> ParentFacts:
        """``ParentFacts.of(GS.IMPRISONED, restriction_months=36)``."""
        return cls(frozenset(situations), **facts)  # type: ignore[arg-type]


# ----- output -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingFact:
    parent: Parent
    key: str  # a ParentFacts field name
    question: Message


@dataclass(frozen=True)
class SituationFinding:
    """What one situation of one parent counts as, and why."""

    situation: GuardianSituation | None  # None: the parent's situation is not known
    possible: frozenset[ParentStatus]
    message: Message
    missing: tuple[MissingFact, ...] = ()


@dataclass(frozen=True)
class ParentAssessment:
    parent: Parent
    possible: frozenset[ParentStatus]  # one element when known
    findings: tuple[SituationFinding, ...]

    @property
    def status(self) -> ParentStatus | None:
        return next(iter(self.possible)) if len(self.possible) == 1 else None

    @property
    def missing(self) -> tuple[MissingFact, ...]:
        if self.status is not None:
            return ()
        return tuple(m for f in self.findings if len(f.possible) > 1 for m in f.missing)


@dataclass(frozen=True)
class RecognitionResult:
    outcome: Outcome
    eligible: bool
    rule: RecognitionRule | None
    summary: Message
    reasons: tuple[Message, ...]
    missing_facts: tuple[MissingFact, ...]
    alternatives: tuple[Alternative, ...]
    next_steps: tuple[Message, ...]
    father: ParentAssessment
    mother: ParentAssessment
    policy: RecognitionPolicy = field(default=NATIONAL_POLICY)

    def text_zh(self) -> str:
        """The whole explanation as plain Chinese text, for the screen or a printed page."""
        lines = [self.summary.zh, *(f"· {r.zh}" for r in self.reasons)]
        if self.missing_facts:
            lines.append("需要补充了解：")
            lines += [f"{i}. {m.question.zh}" for i, m in enumerate(self.missing_facts, 1)]
        lines += [s.zh for s in self.next_steps]
        return "\n".join(lines)

    def text_en(self) -> str:
        lines = [self.summary.en, *(f"- {r.en}" for r in self.reasons)]
        if self.missing_facts:
            lines.append("to find out:")
            lines += [f"{i}. {m.question.en}" for i, m in enumerate(self.missing_facts, 1)]
        lines += [s.en for s in self.next_steps]
        return "\n".join(lines)


# ----- per situation ------------------------------------------------------------------------

_L = frozenset({ParentStatus.LISTED})
_N = frozenset({ParentStatus.NOT_LISTED})
_A = frozenset({ParentStatus.ABSENT})
_LN = _L | _N
_ANY = _A | _L | _N


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class _Evaluator:
    def __init__(self, parent: Parent, facts: ParentFacts, today: date, policy: RecognitionPolicy):
        self.parent = parent
        self.facts = facts
        self.today = today
        self.policy = policy
        self.who = PARENT_LABELS_ZH[parent]

    def ask(self, key: str, zh: str, en: str) -> MissingFact:
        return MissingFact(self.parent, key, Message(f"{self.who}：{zh}", f"{self.parent}: {en}"))

    def finding(
        self,
        situation: GuardianSituation | None,
        possible: frozenset[ParentStatus],
        zh: str,
        en: str,
        *missing: MissingFact,
    ) -> SituationFinding:
        return SituationFinding(
            situation, possible, Message(f"{self.who}{zh}", f"{self.parent} {en}"), missing
        )

    def assess(self) -> ParentAssessment:
        situations = sorted(self.facts.situations, key=list(GS).index)
        if not situations:
            findings: tuple[SituationFinding, ...] = (self.unknown(),)
        else:
            findings = tuple(self.situation(s) for s in situations)
        possible = frozenset(max(c) for c in itertools.product(*(f.possible for f in findings)))
        return ParentAssessment(self.parent, possible, findings)

    def unknown(self) -> SituationFinding:
        question = self.ask(
            "situations",
            "目前是什么情况？（死亡、失踪、重残、重病、服刑在押、强制隔离戒毒、失联、"
            "被撤销监护资格、被执行其他限制人身自由的措施、被遣送（驱逐）出境，或在家、"
            "外出务工等；身份不明、查找不到的也请说明）",
            "what is this parent's situation (dead, missing, one of the eight listed "
            "situations, at home, working away, unknown identity…)?",
        )
        message = Message(
            f"{self.who}的情况还不清楚，无法判断。", f"the {self.parent}'s situation is not known"
        )
        return SituationFinding(None, _ANY, message, (question,))

    def situation(self, s: GuardianSituation) -> SituationFinding:
        label = SITUATION_LABELS_ZH[s]
        if s == GS.DECEASED:
            return self.finding(s, _A, "已死亡（自然死亡或人民法院宣告死亡）。", "is dead")
        if s == GS.MISSING:
            return self.missing_person()
        if s == GS.SEVERE_DISABILITY:
            return self.disability()
        if s == GS.SERIOUS_ILLNESS:
            return self.illness()
        if s in (GS.IMPRISONED, GS.COMPULSORY_REHAB, GS.OTHER_RESTRICTION):
            return self.restriction(s)
        if s == GS.LOST_CONTACT:
            return self.lost_contact()
        if s == GS.GUARDIANSHIP_REVOKED:
            return self.finding(
                s,
                _L,
                "被人民法院判决撤销监护资格，属于规定情形（材料：法院判决书）。",
                "had guardianship revoked by a court: a listed situation",
            )
        if s == GS.DEPORTED:
            return self.deported()
        assert s not in QUALIFYING_SITUATIONS | ABSENT_SITUATIONS
        return self.not_listed(s, label)

    def not_listed(self, s: GuardianSituation, label: str) -> SituationFinding:
        n = self.policy.min_months
        if s == GS.PRESENT:
            zh, en = (
                "在家，正常履行监护职责，不属于规定情形。",
                "is at home and caring for the child",
            )
        elif s == GS.WORKING_AWAY:
            zh = "外出务工，不属于规定情形（可按留守儿童关爱帮扶）。"
            en = "works away from home: not a listed situation (left-behind child support applies)"
        elif s in (GS.DIVORCED_ABSENT, GS.REMARRIED_ABSENT):
            zh = (
                f"{label}，这本身不属于规定情形。如已失去联系且未履行抚养责任满{n}个月，"
                "可按“失联”核实；也可依法追索抚养费。"
            )
            en = (
                f"{s.value.replace('_', ' ')}: not by itself a listed situation; if out of "
                f"contact and not supporting the child for {n} months, check it as lost contact"
            )
        else:
            zh = "的情况为“其他”，不在认定口径内。请核实是否实际属于所列情形之一。"
            en = "is in an 'other' situation, not a listed one; check whether a listed one applies"
            return self.finding(s, _N, zh, en)
        return self.finding(s, _N, zh, en)

    def missing_person(self) -> SituationFinding:
        declared = self.facts.missing_declared_by_court
        if declared:
            return self.finding(
                GS.MISSING,
                _A,
                "已被人民法院宣告失踪（材料：宣告失踪判决书）。",
                "was declared missing by a court",
            )
        as_lost = self.lost_contact(situation=GS.MISSING)
        if declared is False:
            return SituationFinding(
                GS.MISSING,
                as_lost.possible,
                Message(
                    f"{self.who}失踪但未经人民法院宣告失踪，按“失联”核实："
                    + as_lost.message.zh.removeprefix(self.who).removeprefix("失联："),
                    f"{self.parent} is missing but not declared so by a court; checked as lost "
                    "contact: "
                    + as_lost.message.en.removeprefix(f"{self.parent} ").removeprefix(
                        "lost contact: "
                    ),
                ),
                as_lost.missing,
            )
        return SituationFinding(
            GS.MISSING,
            _A | as_lost.possible,
            Message(
                f"{self.who}失踪：经人民法院宣告失踪的按“失踪”认定；未经宣告的按“失联”核实。",
                f"{self.parent} is missing: counts as missing only if declared by a court, "
                "otherwise as lost contact",
            ),
            (
                self.ask(
                    "missing_declared_by_court",
                    "是否已被人民法院宣告失踪（有宣告失踪判决书）？",
                    "has a court declared this parent missing?",
                ),
                *as_lost.missing,
            ),
        )

    def disability(self) -> SituationFinding:
        s, grade = GS.SEVERE_DISABILITY, self.facts.disability_grade
        mental = self.facts.disability_mental_or_intellectual
        ask_grade = self.ask(
            "disability_grade",
            "残疾人证上的残疾等级是几级？",
            "what grade is on the disability certificate (1-4)?",
        )
        ask_kind = self.ask(
            "disability_mental_or_intellectual",
            "残疾类别是否为精神残疾或智力残疾？",
            "is it a mental or intellectual disability?",
        )
        if grade is None:
            return self.finding(
                s,
                _LN,
                "重残：需看残疾人证——一级、二级残疾，或三级、四级精神、智力残疾，才算重残。",
                "has a disability: severe only at grade 1-2, or grade 3-4 mental/intellectual",
                ask_grade,
                ask_kind,
            )
        if grade <= 2:
            return self.finding(
                s,
                _L,
                f"{grade}级残疾，属于“重残”（材料：残疾人证）。",
                f"has a grade {grade} disability: severe",
            )
        if mental:
            return self.finding(
                s,
                _L,
                f"{grade}级精神或智力残疾，属于“重残”（材料：残疾人证）。",
                f"has a grade {grade} mental/intellectual disability: severe",
            )
        if mental is None:
            return self.finding(
                s,
                _LN,
                f"{grade}级残疾：只有精神、智力残疾三、四级才算重残，需确认残疾类别。",
                f"has a grade {grade} disability: severe only if mental or intellectual",
                ask_kind,
            )
        return self.finding(
            s,
            _N,
            f"{grade}级残疾且不是精神、智力残疾，不属于“重残”（重残为一级、二级，"
            "或三级、四级精神、智力残疾）。",
            f"has a grade {grade} disability that is not mental/intellectual: not severe",
        )

    def illness(self) -> SituationFinding:
        s, on_list = GS.SERIOUS_ILLNESS, self.facts.illness_on_local_list
        if on_list:
            return self.finding(
                s,
                _L,
                "所患疾病属于当地重特大疾病范围，属于“重病”（材料：诊断证明、病历）。",
                "has an illness on the local serious-illness list",
            )
        if on_list is False:
            return self.finding(
                s,
                _N,
                "所患疾病不在当地重特大疾病范围内，不属于“重病”。",
                "has an illness that is not on the local serious-illness list",
            )
        return self.finding(
            s,
            _LN,
            "重病：需确认所患疾病是否属于当地规定的大病、重特大疾病范围。",
            "is ill: serious only if the illness is on the local list",
            self.ask(
                "illness_on_local_list",
                "所患疾病是否属于当地医疗救助规定的大病、重特大疾病范围？（请向乡镇或医保部门核实）",
                "is the illness on the local serious-illness (医疗救助) list?",
            ),
        )

    def restriction(self, s: GuardianSituation) -> SituationFinding:
        label, months, n = (
            SITUATION_LABELS_ZH[s],
            self.facts.restriction_months,
            self.policy.min_months,
        )
        en_label = s.value.replace("_", " ")
        if months is None:
            return self.finding(
                s,
                _LN,
                f"{label}：期限满{n}个月（含）才属于规定情形，需确认期限。",
                f"{en_label}: counts only for a term of {n} months or more",
                self.ask(
                    "restriction_months",
                    f"{label}的期限是多少个月？（以判决书、决定书等材料为准）",
                    f"how many months is the term ({en_label})?",
                ),
            )
        if months >= n:
            return self.finding(
                s,
                _L,
                f"{label}，期限{months}个月，满{n}个月，属于规定情形（材料：判决书、决定书等）。",
                f"{en_label} for {months} months (>= {n}): a listed situation",
            )
        return self.finding(
            s,
            _N,
            f"{label}，但期限只有{months}个月，不满{n}个月，不属于规定情形。",
            f"{en_label} for only {months} months (< {n}): not a listed situation",
        )

    def lost_contact(self, situation: GuardianSituation = GS.LOST_CONTACT) -> SituationFinding:
        n, today = self.policy.min_months, self.today
        if self.policy.lost_contact_from_police_report:
            reported = self.facts.police_report_accepted_on
            if reported is None:
                return self.finding(
                    situation,
                    _LN,
                    f"失联：需向公安机关报警查找，报警受理满{n}个月仍下落不明的，才属于“失联”。",
                    f"lost contact: counts once the police registered a report and the parent is "
                    f"still not found {n} months later",
                    self.ask(
                        "police_report_accepted_on",
                        "是否已向户籍地公安机关报警查找？公安机关受理的日期是哪天？"
                        "（还没报警的，请协助监护人或村委会报警）",
                        "has the disappearance been reported to the police, and on what date was "
                        "the report accepted?",
                    ),
                )
            met_on = _add_months(reported, n)
            if met_on <= today:
                return self.finding(
                    situation,
                    _L,
                    f"失联：{_zh_date(reported)}报警受理，至今已满{n}个月仍下落不明，"
                    "属于规定情形（材料：公安机关出具的查找情况回执）。",
                    f"lost contact: reported to the police on {reported.isoformat()}, still not "
                    f"found after {n} months",
                )
            return self.finding(
                situation,
                _N,
                f"失联：{_zh_date(reported)}才报警受理，还不满{n}个月，暂不属于规定情形；"
                f"到{_zh_date(met_on)}仍下落不明的，可再提出申请。",
                f"lost contact: reported on {reported.isoformat()}, less than {n} months ago; "
                f"counts from {met_on.isoformat()} if still not found",
            )
        since = self.facts.lost_contact_since
        if since is None:
            return self.finding(
                situation,
                _LN,
                f"失联：失去联系且未履行抚养责任满{n}个月才属于规定情形，需确认从何时起。",
                f"lost contact: counts after {n} months without contact or support",
                self.ask(
                    "lost_contact_since",
                    "从哪天起失去联系、不再履行抚养责任？",
                    "since what date has this parent had no contact and given no support?",
                ),
            )
        met_on = _add_months(since, n)
        if met_on <= today:
            return self.finding(
                situation,
                _L,
                f"自{_zh_date(since)}起失去联系且未履行抚养责任，已满{n}个月，属于“失联”。",
                f"no contact or support since {since.isoformat()} ({n}+ months): lost contact",
            )
        return self.finding(
            situation,
            _N,
            f"自{_zh_date(since)}起失去联系，还不满{n}个月，暂不属于“失联”；"
            f"到{_zh_date(met_on)}仍无联系的，可再提出申请。",
            f"no contact since {since.isoformat()}, less than {n} months; counts from "
            f"{met_on.isoformat()}",
        )

    def deported(self) -> SituationFinding:
        s, without_support = GS.DEPORTED, self.facts.deported_without_support
        if without_support:
            return self.finding(
                s,
                _L,
                "被遣送（驱逐）出境且未履行抚养义务，属于规定情形（材料：法院判决书或公安机关"
                "遣送（驱逐）出境材料）。",
                "was deported and does not support the child: a listed situation",
            )
        if without_support is False:
            return self.finding(
                s,
                _N,
                "虽被遣送（驱逐）出境，但仍在履行抚养义务，不属于规定情形。",
                "was deported but still supports the child: not a listed situation",
            )
        return self.finding(
            s,
            _LN,
            "被遣送（驱逐）出境：出境后未履行抚养义务的才属于规定情形。",
            "was deported: counts only if not supporting the child",
            self.ask(
                "deported_without_support",
                "被遣送（驱逐）出境后是否还在抚养孩子（寄钱、联系）？",
                "does this parent still support the child after deportation?",
            ),
        )


# ----- combining both parents ---------------------------------------------------------------


def _combine(father: ParentStatus, mother: ParentStatus) -> tuple[Outcome, RecognitionRule | None]:
    if ParentStatus.NOT_LISTED in (father, mother):
        return Outcome.NOT_ELIGIBLE, None
    if father == mother == ParentStatus.ABSENT:
        return Outcome.ORPHAN, None
    if father == mother == ParentStatus.LISTED:
        return Outcome.ELIGIBLE, RecognitionRule.BOTH_PARENTS_LISTED
    return Outcome.ELIGIBLE, RecognitionRule.ONE_ABSENT_OTHER_LISTED


def _uncertainty_matters(this: ParentAssessment, other: ParentAssessment) -> bool:
    """Whether learning more about ``this`` parent could change the outcome."""
    for o in other.possible:
        outcomes = {
            _combine(t, o)[0] if this.parent == Parent.FATHER else _combine(o, t)[0]
            for t in this.possible
        }
        if len(outcomes) > 1:
            return True
    return False


def assess_recognition(
    father: ParentFacts,
    mother: ParentFacts,
    *,
    today: date,
    policy: RecognitionPolicy = NATIONAL_POLICY,
) -> RecognitionResult:
    """Decide, from what is known about both parents, whether the child meets the rule."""
    fa = _Evaluator(Parent.FATHER, father, today, policy).assess()
    mo = _Evaluator(Parent.MOTHER, mother, today, policy).assess()
    combos = {_combine(f, m) for f in fa.possible for m in mo.possible}
    outcomes = {o for o, _ in combos}
    rule: RecognitionRule | None = None
    if len(outcomes) == 1:
        outcome = outcomes.pop()
        rules = {r for _, r in combos if r is not None}
        if rules:
            # Several readings can all be eligible (a parent who may be declared missing but
            # certainly meets 失联): the reading with both parents listed rests on known facts.
            rule = (
                RecognitionRule.BOTH_PARENTS_LISTED
                if RecognitionRule.BOTH_PARENTS_LISTED in rules
                else RecognitionRule.ONE_ABSENT_OTHER_LISTED
            )
    else:
        outcome = Outcome.UNDETERMINED
    missing: tuple[MissingFact, ...] = ()
    if outcome == Outcome.UNDETERMINED:
        missing = tuple(
            m
            for this, other in ((fa, mo), (mo, fa))
            if _uncertainty_matters(this, other)
            for m in this.missing
        )
    return _explain(outcome, rule, fa, mo, missing, policy)


def _relevant_findings(p: ParentAssessment) -> Iterable[SituationFinding]:
    """The findings that decide this parent's status (all of them when it is not known)."""
    if p.status is None:
        return p.findings
    deciding = [f for f in p.findings if f.possible == frozenset({p.status})]
    return deciding or p.findings


def _explain(
    outcome: Outcome,
    rule: RecognitionRule | None,
    fa: ParentAssessment,
    mo: ParentAssessment,
    missing: tuple[MissingFact, ...],
    policy: RecognitionPolicy,
) -> RecognitionResult:
    parents = (fa, mo)
    reasons = tuple(f.message for p in parents for f in _relevant_findings(p))
    next_steps: tuple[Message, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    if outcome == Outcome.ELIGIBLE:
        assert rule is not None
        summary = Message(
            f"符合事实无人抚养儿童认定条件：{RULE_LABELS_ZH[rule]}。",
            f"meets the rule for 事实无人抚养儿童: {_RULE_LABELS_EN[rule]}",
        )
        next_steps = (
            Message(
                "下一步：通过“渝悦·救助通”在线申请，乡镇（街道）受理后10个工作日内完成查验，"
                "区民政局复核确认。纳入保障后，儿童主任每月至少上门探访1次。",
                "next: apply online (渝悦·救助通); the town verifies within 10 working days and "
                "the district confirms; once recognised, visit at least once a month",
            ),
        )
    elif outcome == Outcome.ORPHAN:
        summary = Message(
            "父母双方均已死亡或被宣告失踪：孩子属于孤儿，不按事实无人抚养儿童认定。",
            "both parents are dead or declared missing: the child is an orphan (孤儿), not "
            "事实无人抚养",
        )
        next_steps = (
            Message(
                "下一步：按孤儿申请认定和孤儿基本生活保障（向乡镇（街道）提出，材料：死亡证明"
                "或宣告死亡、宣告失踪判决书）。",
                "next: apply for orphan recognition and the orphan basic living allowance at the "
                "town office",
            ),
        )
    elif outcome == Outcome.NOT_ELIGIBLE:
        failing = [p for p in parents if p.status == ParentStatus.NOT_LISTED]
        who_zh = "、".join(PARENT_LABELS_ZH[p.parent] for p in failing)
        who_en = " and ".join(p.parent.value for p in failing)
        summary = Message(
            f"不符合事实无人抚养儿童认定条件：{who_zh}不属于规定情形"
            "（需父母双方均符合规定情形，或一方死亡、失踪而另一方符合）。",
            f"does not meet the rule: the {who_en} {'is' if len(failing) == 1 else 'are'} not in "
            "a listed situation (both parents "
            "must be, or one dead/missing and the other in one)",
        )
        reasons = tuple(f.message for p in failing for f in _relevant_findings(p)) + tuple(
            f.message for p in parents if p not in failing for f in _relevant_findings(p)
        )
        alternatives = (Alternative.DIBAO, Alternative.TEMPORARY_ASSISTANCE, Alternative.CHARITY)
        next_steps = (
            Message(
                "政策有边界、关爱无盲区：如孩子生活确有特殊困难，可通过低保、临时救助、"
                "慈善帮扶等渠道帮扶；情况变化后可重新判断。",
                "if the child is in real hardship, help through 低保 (minimum living allowance), "
                "临时救助 (temporary assistance) or charity; reassess when things change",
            ),
        )
    else:
        summary = Message(
            "还不能判断是否符合事实无人抚养儿童认定条件，需要先补充下面的信息。",
            "cannot decide yet: the facts below are needed",
        )
        alternatives = (Alternative.TEMPORARY_ASSISTANCE,)
        next_steps = (
            Message(
                "核实期间如孩子生活确有困难，可先申请临时救助。",
                "while checking, temporary assistance (临时救助) can help a child in hardship",
            ),
        )
    return RecognitionResult(
        outcome=outcome,
        eligible=outcome == Outcome.ELIGIBLE,
        rule=rule,
        summary=summary,
        reasons=reasons,
        missing_facts=missing,
        alternatives=alternatives,
        next_steps=next_steps,
        father=fa,
        mother=mo,
        policy=policy,
    )
