"""Services on real vaults: child files, visits, cases, assessments and the caseload."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, FileStatus, Gender
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from app.domain.problems import DomainValidationError
from app.domain.schedule import load_schedule
from app.domain.visit import Visit, VisitForm
from app.questionnaire import AnswerError, load_default_definition
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import AssessmentImmutableError, AssessmentService
from app.services.caseload import Caseload
from app.services.cases import CaseService
from app.services.children import ChildService
from app.services.visits import VisitService
from storage.errors import RecordNotFoundError
from storage.vault import Vault

TODAY = date(2026, 11, 22)
BIRTH = date(2014, 6, 1)
DEFINITION = load_default_definition()


def today() -> date:
    return TODAY


def a_child(**overrides: object) -> ChildFile:
    values: dict[str, object] = {
        "name": "陈雨桐",
        "gender": Gender.FEMALE,
        "birth_date": BIRTH,
        "village_code": "500119104201",
        "id_number": make_id_number(FICTIONAL_AREA_CODE, BIRTH, 22),
        "categories": [ChildCategory.DE_FACTO_UNSUPPORTED],
    }
    values.update(overrides)
    return ChildFile(**values)  # type: ignore[arg-type]


@pytest.fixture
def children(vault: Vault) -> ChildService:
    return ChildService(vault, author="王秀英", today=today)


def test_child_file_lifecycle(vault: Vault, children: ChildService) -> None:
    stored = children.create(a_child())
    assert stored.value.opened_on == TODAY
    updated = children.update(stored.record_id, replace(stored.value, school="镇中心小学"))
    assert updated.revision == 2 and updated.value.opened_on == TODAY
    moved = children.transfer(
        stored.record_id, to_village_code="500119104202", on=TODAY, reason="随祖母迁居"
    )
    assert moved.value.status == FileStatus.TRANSFERRED
    assert children.get(stored.record_id).value.transfer is not None  # kept, not deleted
    history = children.history(stored.record_id)
    assert [h.revision for h in history] == [1, 2, 3]
    assert {c.field for c in history[1].changes} == {"school"}
    assert {c.field for c in history[2].changes} == {"status", "transfer"}
    assert all(h.author == "王秀英" for h in history)
    children.delete(stored.record_id)
    with pytest.raises(RecordNotFoundError):
        children.get(stored.record_id)
    assert len(vault.history(stored.record_id)) == 4  # the tombstone keeps the history


def test_invalid_child_is_refused_and_nothing_is_stored(
    vault: Vault, children: ChildService
) -> None:
    with pytest.raises(DomainValidationError) as err:
        children.create(a_child(birth_date=date(2030, 1, 1)))
    assert "出生日期" in err.value.message_zh
    with pytest.raises(DomainValidationError):
        children.create(a_child(id_number="500119201406010221"))
    assert children.list_all() == ([], [])
    with pytest.raises(DomainValidationError):
        children.close(children.create(a_child()).record_id, reason=" ")


def test_attachments_belong_to_the_child(children: ChildService) -> None:
    stored = children.create(a_child())
    children.add_attachment(
        stored.record_id, io.BytesIO(b"scan"), filename="低保证.jpg", mime="image/jpeg"
    )
    assert [a.data["filename"] for a in children.attachments(stored.record_id)] == ["低保证.jpg"]


def test_visits_are_checked_against_the_child(vault: Vault, children: ChildService) -> None:
    child_id = children.create(a_child()).record_id
    visits = VisitService(vault, author="王秀英", today=today)
    for bad in (
        Visit(child_id, date(2013, 1, 1), VisitForm.HOME),  # before birth
        Visit(child_id, date(2026, 12, 1), VisitForm.HOME),  # in the future
        Visit(child_id, date(2026, 11, 1), VisitForm.HOME, next_visit_on=date(2026, 10, 1)),
    ):
        with pytest.raises(DomainValidationError):
            visits.record(bad)
    assert visits.list_all() == []
    visits.record(Visit(child_id, date(2026, 10, 20), VisitForm.PHONE))
    visits.record(Visit(child_id, date(2026, 11, 20), VisitForm.HOME, met=["祖母"]))
    assert [v.value.on for v in visits.list_all(child_id)] == [
        date(2026, 11, 20),
        date(2026, 10, 20),
    ]
    proposal = visits.propose_next_visit(child_id, TODAY, level="green", schedule=load_schedule())
    assert proposal.due == date(2026, 12, 22)  # 事实无人抚养: monthly


def test_case_loop_with_gates(vault: Vault, children: ChildService) -> None:
    child_id = children.create(a_child()).record_id
    cases = CaseService(vault, author="王秀英", today=today)
    case = cases.open(child_id, CaseKind.ABSENCE, "祖母住院，无人照料")
    with pytest.raises(DomainValidationError):
        cases.move(case.record_id, CaseStage.INTERVENING)  # skipping 评估
    with pytest.raises(DomainValidationError):
        cases.move(case.record_id, CaseStage.ASSESSED)  # no assessment yet
    cases.link_assessment(case.record_id, notes="入户评估：红色")
    cases.move(case.record_id, CaseStage.ASSESSED)
    with pytest.raises(DomainValidationError):
        cases.move(case.record_id, CaseStage.INTERVENING)
    cases.update_plan(
        case.record_id,
        Plan(
            ["落实临时监护"], [PlanAction("联系村委会临时照料", "村儿童主任", date(2026, 11, 25))]
        ),
    )
    cases.move(case.record_id, CaseStage.INTERVENING)
    cases.escalate(case.record_id, "上报区民政局召开个案会商")
    cases.mark_mandatory_report(case.record_id)
    assert cases.urgent_child_ids() == {child_id}
    cases.move(case.record_id, CaseStage.FOLLOWING_UP)
    with pytest.raises(DomainValidationError) as err:
        cases.move(case.record_id, CaseStage.CLOSED, closure_reason="已好转")
    assert "跟踪" in err.value.message_zh
    stage_before = cases.get(case.record_id).value.stage
    assert stage_before == CaseStage.FOLLOWING_UP  # nothing partial stored
    cases.add_follow_up(case.record_id, "祖母出院，照料恢复")
    closed = cases.move(case.record_id, CaseStage.CLOSED, closure_reason="监护恢复正常")
    assert closed.value.closed_on == TODAY
    reopened = cases.move(case.record_id, CaseStage.ASSESSED, reopen_reason="祖母再次住院")
    assert reopened.value.is_open
    history = vault.history(case.record_id)
    assert [r.data["stage"] for r in history][-3:] == ["following_up", "closed", "assessed"]
    assert all(r.author == "王秀英" for r in history)


def test_assessment_drafts_finish_and_corrections(vault: Vault, children: ChildService) -> None:
    import random

    child_id = children.create(a_child()).record_id
    service = AssessmentService(vault, [DEFINITION], author="王秀英", today=today)
    draft = service.start(child_id, DEFINITION, ["王秀英", "镇督导员"])
    answers = sample_answers(DEFINITION, random.Random(3), TODAY)
    partial = dict(list(answers.items())[:5])
    _stored, state = service.save_draft(draft.record_id, partial)
    assert not state.complete and state.missing
    with pytest.raises(AnswerError):
        service.finish(draft.record_id)  # incomplete: refused, nothing frozen
    assert service.get(draft.record_id).value.status == "draft"
    # Resume: the saved answers come back from the vault.
    assert service.get(draft.record_id).value.answers == partial
    service.save_draft(draft.record_id, answers)
    finished, result = service.finish(draft.record_id)
    assert finished.value.result and finished.value.definition_version == DEFINITION.version
    assert service.current_level(child_id) == result.level
    with pytest.raises(AssessmentImmutableError):
        service.save_draft(draft.record_id, {})
    with pytest.raises(AssessmentImmutableError):
        service.finish(draft.record_id)
    correction = service.start_correction(draft.record_id)
    assert correction.value.corrects == draft.record_id
    assert correction.value.answers == answers
    service.finish(correction.record_id)
    history = service.level_history(child_id)
    assert len(history) == 2


def test_caseload_lists(vault: Vault, children: ChildService) -> None:
    visits = VisitService(vault, author="王秀英", today=today)
    late = children.create(a_child(name="甲")).record_id
    visits.record(Visit(late, date(2026, 9, 1), VisitForm.HOME))
    fine = children.create(a_child(name="乙")).record_id
    visits.record(Visit(fine, date(2026, 11, 20), VisitForm.HOME))
    new = children.create(a_child(name="丙", categories=[])).record_id
    adult = children.create(
        a_child(
            name="丁",
            birth_date=date(2008, 12, 1),
            id_number=make_id_number(FICTIONAL_AREA_CODE, date(2008, 12, 1), 22),
        )
    ).record_id
    moved = children.create(a_child(name="戊")).record_id
    children.transfer(moved, to_village_code="500119104209", on=TODAY)
    caseload = Caseload.build(vault)
    lists = caseload.due(load_schedule(), TODAY)
    assert [i.child_id for i in lists.overdue] == [late]
    assert {i.child_id for i in lists.due_soon} == {new, adult}  # first visits due in 7 days
    assert moved not in {i.child_id for i in lists.overdue + lists.due_soon}
    assert [(s.child_id, flag) for s, flag in caseload.transitions(TODAY)] == [
        (adult, "approaching_18")
    ]
    assert fine in caseload.summaries


def test_caseload_cache_is_incremental_and_matches_a_full_build(vault: Vault) -> None:
    from app.demo_caseload import fill_vault
    from storage.local_cache import read_cache

    fill_vault(
        vault, children=30, seed=2, village_code="500119104201", today=TODAY, author="演示主任"
    )
    first = Caseload.open(vault)  # no cache yet: built, then cached
    assert read_cache(vault, "caseload") is not None
    child_id = next(iter(first.summaries))
    visits = VisitService(vault, author="王秀英", today=today)
    visits.record(Visit(child_id, TODAY, VisitForm.HOME, next_visit_on=date(2026, 11, 29)))
    other = list(first.summaries)[1]
    ChildService(vault, author="王秀英", today=today).delete(other)
    cases = CaseService(vault, author="王秀英", today=today)
    case = cases.open(child_id, CaseKind.ABUSE, "疑似监护侵害")
    cases.mark_mandatory_report(case.record_id)
    refreshed = first.refreshed(vault)
    incremental = Caseload.open(vault)
    full = Caseload.build(vault)
    assert incremental.summaries == full.summaries
    assert refreshed.summaries == full.summaries
    assert incremental.summaries[child_id].last_visit == TODAY
    assert incremental.summaries[child_id].urgent
    assert other not in incremental.summaries
    # A damaged cache is rebuilt, not trusted.
    cache_file = vault.paths.root / "cache" / "caseload.cache"
    cache_file.write_bytes(b"garbage" * 10)
    assert Caseload.open(vault).summaries == full.summaries
