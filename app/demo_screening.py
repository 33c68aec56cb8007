"""Demo psychological screenings (心理状况筛查, issue 19) for the demo caseload: about a third of
the children screened once in the last year with the bundled checklist (seed 000 四 counts 813
screened of some 2,700 children followed), most 未见异常, some 建议关注 and a few 建议转介 — one of
them for self-harm talk, so the 待办 asks for the mandatory report — each 建议转介 with its
referral at a different point of the follow-up (waiting, referred, evaluated), so every figure
of the monthly report and the console can be produced from the demo for a period."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from app.domain.ages import calendar_age
from app.domain.child_file import ChildFile
from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, Referral
from app.questionnaire import score
from app.questionnaire.loader import load_screening_definition
from app.services.assessments import FINISHED, Assessment
from storage.vault import Vault

SIGNS = (
    "sl_sleep",
    "sl_appetite",
    "sl_body",
    "mo_low",
    "mo_irritable",
    "mo_worry",
    "be_withdrawn",
    "be_interest",
    "be_aggressive",
)
SCHOOL_SIGNS = ("be_school_refusal", "be_school_drop")
SCREENED_SHARE = 0.33


def _answers(rng: random.Random, born: date, on: date, profile: str) -> dict[str, Any]:
    school = calendar_age(born, on) >= 6
    signs = SIGNS + (SCHOOL_SIGNS if school else ())
    answers: dict[str, Any] = {
        "child_birth_date": born.isoformat(),
        "sources": rng.sample(["observation", "child_talk", "guardian", "teacher"], 2),
        **dict.fromkeys(signs, "never"),
        "sh_self_harm": "none",
        "sh_runaway": "no",
        "life_events": ["none"],
    }
    if profile == "watch":
        for sign in rng.sample(signs, 4):
            answers[sign] = "sometimes"
        answers["life_events"] = [rng.choice(["parent_left", "moved", "bereavement"])]
    elif profile == "refer":
        for sign in rng.sample(signs, 3):
            answers[sign] = "often"
    elif profile == "self_harm":
        answers["mo_low"] = "often"
        answers["sh_self_harm"] = "talk"
    elif rng.random() < 0.3:
        answers[rng.choice(signs)] = "sometimes"
    return answers


def fill_screenings(
    vault: Vault,
    children: list[tuple[str, ChildFile, str]],
    *,
    seed: int,
    today: date,
    author: str,
    mark: str,
) -> dict[str, int]:
    """Screen about a third of ``children`` (id, file, level) once in the last year; returns
    the counts made (screenings, referrals)."""
    rng = random.Random(seed * 104729 + 4)
    definition = load_screening_definition()
    eligible = [c for c in children if calendar_age(c[1].birth_date, today) >= 4]
    chosen = rng.sample(eligible, min(len(eligible), round(len(children) * SCREENED_SHARE)))
    made = referrals = 0
    for index, (child_id, child, _level) in enumerate(chosen):
        on = today - timedelta(days=rng.randint(0, 330))
        if calendar_age(child.birth_date, on) < 3 or on < child.birth_date:
            continue
        if index == 0:
            profile = "self_harm"  # one: the urgent path shows in 待办
        else:
            draw = rng.random()
            profile = "refer" if draw < 0.05 else "watch" if draw < 0.25 else "clear"
        answers = _answers(rng, child.birth_date, on, profile)
        result = score(definition, answers, today=on)
        screening = Assessment(
            child_id=child_id,
            definition_id=definition.id,
            definition_version=definition.version,
            started_on=on,
            status=FINISHED,
            answers=answers,
            assessors=[author],
            finished_on=on,
            result=result.to_json(),
            demo=mark,
        )
        record = vault.put(SCREENING_TYPE, screening.to_json(), author=author)
        made += 1
        if result.level != "refer":
            continue
        referral = Referral(child_id, on, screening_id=record.record_id, demo=mark)
        stage = referrals % 3  # waiting, referred, evaluated in turn
        if stage >= 1:
            referral.referred_to = "区精神卫生中心"
            referral.referred_on = min(today, on + timedelta(days=rng.randint(2, 10)))
        if stage == 2 and referral.referred_on is not None:
            referral.evaluated = True
            referral.evaluated_on = min(today, referral.referred_on + timedelta(days=14))
            referral.outcome = "建议定期随访，家校共同关注"
        vault.put(REFERRAL_TYPE, referral.to_json(), author=author)
        referrals += 1
    return {"screenings": made, "referrals": referrals}
