"""What a new assessment can take from the child's file, for the director to confirm.

The child file already knows the child's birth date and each guardian's relation, situation,
ID number (so age) and whether they do the day-to-day care; the guardianship-capacity
questionnaire asks for them again. ``prefill_answers`` fills those answers into a draft that has
none yet, and says which answer paths it filled so the wizard can mark them "from the file".

Only answers whose question and choice exist in the definition are filled, so a newer version
of the questionnaire with other choices gets what still fits and asks for the rest. Nothing
is guessed where the file does not say it: a situation the questionnaire has no choice for
(被遣送出境, 离异后不履行抚养义务 …) leaves 目前的状况 for the director.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.ages import calendar_age
from app.domain.categories import GuardianRelation
from app.domain.child_file import ChildFile, Guardian
from app.domain.guardian_situation import GuardianSituation as GS
from app.domain.id_number import InvalidIdNumberError, parse_id_number
from app.questionnaire.model import Definition, Question, QuestionType, Repeat

BIRTH_DATE = "child_birth_date"
GUARDIANS = "guardians"
RELATION = "g_relation"
SITUATION = "g_situation"
CARE = "g_care"
AGE = "g_age"
HEALTH = "g_health"

# 与儿童的关系: the file's relations → the questionnaire's choices.
RELATION_CHOICES: dict[GuardianRelation, str] = {
    GuardianRelation.FATHER: "father",
    GuardianRelation.MOTHER: "mother",
    GuardianRelation.GRANDFATHER: "grandparent",
    GuardianRelation.GRANDMOTHER: "grandparent",
    GuardianRelation.MATERNAL_GRANDFATHER: "grandparent",
    GuardianRelation.MATERNAL_GRANDMOTHER: "grandparent",
    GuardianRelation.SIBLING: "other_relative",
    GuardianRelation.OTHER_RELATIVE: "other_relative",
    GuardianRelation.OTHER: "entrusted",  # 其他（如村委会、机构）→ 受委托照护人或其他人员
}

# 目前的状况: the questionnaire has one answer, the file may list several situations; the most
# serious one wins (first in this order).
SITUATION_ORDER: tuple[tuple[str, frozenset[GS]], ...] = (
    ("deceased", frozenset({GS.DECEASED})),  # 死亡或被宣告失踪 (MISSING: see below)
    ("revoked", frozenset({GS.GUARDIANSHIP_REVOKED})),
    ("detained", frozenset({GS.IMPRISONED, GS.COMPULSORY_REHAB, GS.OTHER_RESTRICTION})),
    ("lost_contact", frozenset({GS.LOST_CONTACT})),
    ("working_away", frozenset({GS.WORKING_AWAY})),
    ("at_home", frozenset({GS.PRESENT})),
)

# 重病 / 重残 in the file are the recognition rules' "cannot care for the child".
SEVERE_HEALTH: frozenset[GS] = frozenset({GS.SEVERE_DISABILITY, GS.SERIOUS_ILLNESS})


@dataclass(frozen=True)
class Prefill:
    answers: dict[str, Any]  # the draft's answers with the file's facts filled in
    paths: frozenset[str]  # what was filled: 'child_birth_date', 'guardians[0].g_relation', …

    @property
    def guardian_count(self) -> int:
        """How many guardian blocks were filled from the file."""
        return len({p.split("]", 1)[0] for p in self.paths if p.startswith(GUARDIANS + "[")})


def prefill_answers(
    definition: Definition, child: ChildFile, answers: dict[str, Any], today: date
) -> Prefill:
    """The answers with what the child file knows filled in where nothing is answered yet.

    The birth date is filled when unanswered; the guardian blocks only when no block has any
    answer (a new draft), one block per person the questionnaire asks about (``asked_about``),
    in the file's order."""
    filled = copy.deepcopy(answers)
    paths: set[str] = set()
    birth = definition.by_id.get(BIRTH_DATE)
    if (
        isinstance(birth, Question)
        and birth.type is QuestionType.DATE
        and not filled.get(BIRTH_DATE)
    ):
        filled[BIRTH_DATE] = child.birth_date.isoformat()
        paths.add(BIRTH_DATE)

    repeat = definition.by_id.get(GUARDIANS)
    existing = filled.get(GUARDIANS)
    untouched = not existing or (
        isinstance(existing, list) and all(isinstance(b, dict) and not b for b in existing)
    )
    people = [g for g in child.guardians if asked_about(g)]
    if isinstance(repeat, Repeat) and people and untouched:
        questions = {q.id: q for q in definition.questions if q.repeat is repeat}
        blocks: list[dict[str, Any]] = []
        limit = repeat.max_count if repeat.max_count is not None else len(people)
        for guardian in people[:limit]:
            block = _keep_known(guardian_answers(guardian, today), questions)
            for leaf in block:
                paths.add(f"{GUARDIANS}[{len(blocks)}].{leaf}")
            blocks.append(block)
        while len(blocks) < repeat.min_count:
            blocks.append({})
        filled[GUARDIANS] = blocks
    return Prefill(filled, frozenset(paths))


def asked_about(guardian: Guardian) -> bool:
    """The questionnaire asks about each guardian and caregiver, and about both parents even
    when they are away or dead (每位监护人（父母）和实际照料人各填一组，不在身边的父母也要填写);
    not about other people the file lists (a relative kept as a contact)."""
    parent = guardian.relation in (GuardianRelation.FATHER, GuardianRelation.MOTHER)
    return parent or guardian.is_guardian or guardian.is_caregiver


def guardian_answers(guardian: Guardian, today: date) -> dict[str, Any]:
    """One guardian from the file as answers of the guardianship-capacity questionnaire's
    guardian block (before checking them against a definition)."""
    block: dict[str, Any] = {RELATION: RELATION_CHOICES[guardian.relation]}
    situation = situation_choice(guardian)
    if situation is not None:
        block[SITUATION] = situation
    if situation == "deceased":
        return block  # nothing else is asked about someone who died
    if guardian.is_caregiver and situation in (None, "at_home"):
        block[CARE] = "daily"  # 共同生活，承担日常照料
    age = _age(guardian.id_number, today)
    if age is not None:
        block[AGE] = age
    if SEVERE_HEALTH & set(guardian.situations):
        block[HEALTH] = "severe"  # 重病或重残，无法照料儿童
    return block


def situation_choice(guardian: Guardian) -> str | None:
    """目前的状况 from the file's situations, or None when the file does not say."""
    situations = set(guardian.situations)
    if GS.MISSING in situations:
        # 失踪: declared missing by a court reads 死亡或被宣告失踪, only reported missing 失联
        declared = guardian.facts.get("missing_declared_by_court") is True
        situations.add(GS.DECEASED if declared else GS.LOST_CONTACT)
    for choice, members in SITUATION_ORDER:
        if members & situations:
            return choice
    return None


def _age(id_number: str, today: date) -> int | None:
    if not id_number.strip():
        return None
    try:
        born = parse_id_number(id_number, today=today).birth_date
    except InvalidIdNumberError:
        return None
    return calendar_age(born, today)


def _keep_known(block: dict[str, Any], questions: dict[str, Question]) -> dict[str, Any]:
    """Only answers the definition has a question (and, for choices, that choice) for."""
    kept: dict[str, Any] = {}
    for leaf, value in block.items():
        question = questions.get(leaf)
        if question is None:
            continue
        if question.type is QuestionType.SINGLE_CHOICE:
            if value in question.choice_by_value:
                kept[leaf] = value
        elif question.type is QuestionType.INTEGER and isinstance(value, int):
            kept[leaf] = value
    return kept
