"""Records can be corrected or removed without losing anyone's work: a stale save is refused
with both values per field, visits are edited and deleted with a reason, files are archived
and restored, and 历史 lists visits and assessments (issue 13)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest

from app.domain.categories import ChildCategory
from app.domain.child_file import ArchiveReason, ChildFile, Gender
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from app.domain.problems import DomainValidationError
from app.domain.schedule import load_schedule
from app.domain.visit import Visit, VisitForm
from app.questionnaire import load_default_definition
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import AssessmentService
from app.services.caseload import Caseload
from app.services.child_history import child_timeline
from app.services.children import ChildService
from app.services.stale import StaleRevisionError, resolve
from app.services.visits import VisitService
from storage.errors import RecordNotFoundError
from storage.vault import Vault

TODAY = date(2026, 11, 22)
BIRTH = date(2014, 6, 1)


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


@pytest.fixture
def visits(vault: Vault) -> VisitService:
    return VisitService(vault, author="王秀英", today=today)


def test_a_stale_save_is_refused_with_both_values(children: ChildService) -> None:
    stored = children.create(a_child())
    base = stored.revision
    # another window saves a new school and address
    newer = children.update(
        stored.record_id,
        replace(stored.value, school="镇中心小学", address="三组"),
        base_revision=base,
    )
    # the stale window changed the address too, and the notes (which nobody else touched)
    mine = replace(stored.value, address="五组", notes="冬季衣物不足")
    with pytest.raises(StaleRevisionError) as caught:
        children.update(stored.record_id, mine, base_revision=base)
    err = caught.value
    by_field = {d.field: d for d in err.differences}
    assert set(by_field) == {"school", "address"}  # notes: only mine changed it, no conflict
    assert (by_field["school"].theirs, by_field["school"].mine) == ("镇中心小学", "")
    assert not by_field["school"].mine_changed  # the stale form just never saw it
    assert (by_field["address"].theirs, by_field["address"].mine) == ("三组", "五组")
    assert by_field["address"].mine_changed
    assert err.current_revision == newer.revision and err.current_author == "王秀英"
    assert "没有保存" in err.message_zh()
    # nothing was stored
    assert children.get(stored.record_id).revision == newer.revision
    assert children.get(stored.record_id).value.school == "镇中心小学"

    # the person keeps the newer school, their own address; saved on top of the newer revision
    merged = ChildFile.from_json(resolve(mine.to_json(), err, take_theirs={"school"}))
    saved = children.update(stored.record_id, merged, base_revision=err.current_revision)
    assert (saved.value.school, saved.value.address, saved.value.notes) == (
        "镇中心小学",
        "五组",
        "冬季衣物不足",
    )


def test_a_save_from_the_current_revision_or_without_conflict_goes_through(
    children: ChildService,
) -> None:
    stored = children.create(a_child())
    saved = children.update(
        stored.record_id, replace(stored.value, school="一小"), base_revision=stored.revision
    )
    assert saved.value.school == "一小"
    # a stale form that made the same change as the newer revision: nothing to undo
    again = children.update(
        stored.record_id, replace(stored.value, school="一小"), base_revision=stored.revision
    )
    assert again.revision == saved.revision + 1


def test_a_stale_save_does_not_undo_an_archive(children: ChildService) -> None:
    stored = children.create(a_child())
    children.archive(stored.record_id, ArchiveReason.DUPLICATE)
    with pytest.raises(StaleRevisionError) as caught:
        children.update(
            stored.record_id, replace(stored.value, school="一小"), base_revision=stored.revision
        )
    assert [d.field for d in caught.value.differences] == ["archive"]
    assert children.get(stored.record_id).value.archived


def test_a_stale_visit_edit_is_refused(children: ChildService, visits: VisitService) -> None:
    child = children.create(a_child())
    first = visits.record(Visit(child.record_id, date(2026, 11, 1), VisitForm.HOME))
    visits.update(
        first.record_id, replace(first.value, problems="屋顶漏雨"), base_revision=first.revision
    )
    with pytest.raises(StaleRevisionError) as caught:
        visits.update(
            first.record_id, replace(first.value, met=["祖母"]), base_revision=first.revision
        )
    assert [(d.field, d.theirs, d.mine) for d in caught.value.differences] == [
        ("problems", "屋顶漏雨", "")
    ]
    assert visits.get(first.record_id).value.problems == "屋顶漏雨"


def test_a_visit_is_deleted_with_a_reason(
    vault: Vault, children: ChildService, visits: VisitService
) -> None:
    child = children.create(a_child())
    kept = visits.record(Visit(child.record_id, date(2026, 11, 1), VisitForm.HOME))
    wrong = visits.record(Visit(child.record_id, date(2026, 11, 2), VisitForm.PHONE))
    with pytest.raises(DomainValidationError):
        visits.delete(wrong.record_id, reason=" ")
    assert len(visits.list_all(child.record_id)) == 2
    visits.delete(wrong.record_id, reason="录错了儿童")
    assert [v.record_id for v in visits.list_all(child.record_id)] == [kept.record_id]
    with pytest.raises(RecordNotFoundError):
        visits.get(wrong.record_id)
    assert len(vault.history(wrong.record_id)) == 2  # kept in the vault
    caseload = Caseload.build(vault)
    assert caseload.summaries[child.record_id].last_visit == date(2026, 11, 1)


def test_an_archived_file_leaves_the_lists_and_can_be_restored(
    vault: Vault, children: ChildService
) -> None:
    stored = children.create(a_child())
    other = children.create(a_child(name="李小明"))
    schedule = load_schedule()
    assert stored.record_id in {
        i.child_id
        for i in Caseload.build(vault).due(schedule, TODAY).overdue
        + Caseload.build(vault).due(schedule, TODAY).due_soon
    }
    with pytest.raises(DomainValidationError):
        children.archive(stored.record_id, ArchiveReason.OTHER, note="")
    archived = children.archive(stored.record_id, ArchiveReason.MOVED_OUT, note="随父母去外省")
    assert archived.value.archive is not None
    assert archived.value.archive.on == TODAY
    caseload = Caseload.build(vault)
    summary = caseload.summaries[stored.record_id]  # still there, to show when asked for
    assert summary.archived and not summary.active
    due = caseload.due(schedule, TODAY)
    listed = {i.child_id for i in due.overdue + due.due_soon}
    assert stored.record_id not in listed and other.record_id in listed
    assert stored.record_id not in {s.child_id for s in caseload.active()}
    with pytest.raises(DomainValidationError):
        children.archive(stored.record_id, ArchiveReason.DIED)
    restored = children.restore(stored.record_id)
    assert not restored.value.archived
    assert Caseload.build(vault).summaries[stored.record_id].active


def test_history_lists_visits_and_assessments(
    vault: Vault, children: ChildService, visits: VisitService
) -> None:
    definition = load_default_definition()
    assessments = AssessmentService(vault, [definition], author="王秀英", today=today)
    child = children.create(a_child())
    children.update(child.record_id, replace(child.value, school="一小"))
    visit = visits.record(Visit(child.record_id, date(2026, 11, 1), VisitForm.HOME))
    visits.update(visit.record_id, replace(visit.value, problems="屋顶漏雨"))
    wrong = visits.record(Visit(child.record_id, date(2026, 11, 2), VisitForm.PHONE))
    visits.delete(wrong.record_id, reason="录错了儿童")
    started = assessments.start(child.record_id, definition, ["王秀英"])
    assessments.save_draft(started.record_id, sample_answers(definition, random.Random(3), TODAY))
    assessments.finish(started.record_id)
    children.archive(child.record_id, ArchiveReason.DUPLICATE)
    children.restore(child.record_id)
    other = children.create(a_child(name="李小明"))
    visits.record(Visit(other.record_id, date(2026, 11, 3), VisitForm.HOME))

    texts = [e.text_zh for e in child_timeline(vault, child.record_id, [definition])]
    assert texts[0] == "恢复了档案（取消归档）"
    assert texts[1] == "归档了档案（原因：重复建档）"
    assert any(t.startswith("完成了评估（") and "等级：" in t for t in texts)
    assert any(t.startswith("开始了评估（") and "guardianship" not in t for t in texts)
    assert "删除了 2026-11-02 的走访记录（原因：录错了儿童）" in texts
    assert "修改了 2026-11-01 的走访记录：发现的问题" in texts
    assert "记录了 2026-11-01 的走访（入户走访）" in texts
    assert "修改了 学校" in texts
    assert texts[-1] == "建立了档案"
    assert not any("11-03" in t for t in texts)  # another child's visit


def test_the_monthly_report_leaves_out_archived_and_duplicate_files(vault: Vault) -> None:
    from app.services.monthly_report import CaseloadRecords, ReportMonth, monthly_figures

    december = date(2026, 12, 20)
    service = ChildService(vault, author="王秀英", today=lambda: december)
    kept = service.create(a_child(opened_on=date(2026, 1, 1)))
    moved = service.create(a_child(name="李小明", opened_on=date(2026, 1, 1)))
    twin = service.create(a_child(name="陈雨桐", opened_on=date(2026, 1, 1)))
    service.archive(moved.record_id, ArchiveReason.MOVED_OUT)  # archived on 20 December
    service.archive(twin.record_id, ArchiveReason.DUPLICATE)

    def followed(month: str, today: date = december) -> int:
        records = CaseloadRecords.from_vault(vault)
        return monthly_figures(records, ReportMonth.parse(month), today=today).children_followed

    assert followed("2026-12") == 2  # moved out this month: still followed in December
    assert followed("2026-11") == 2  # (archived later; the duplicate never counts)
    assert followed("2027-01", date(2027, 1, 10)) == 1  # archived before January: only one
    assert kept.record_id


def test_the_printed_child_sheet_says_archived(vault: Vault, children: ChildService) -> None:
    from app.printing import child_sheet_pdf
    from tests.printing.helpers import flat, pdf_text

    stored = children.create(a_child())
    children.archive(stored.record_id, ArchiveReason.DIED)
    text = flat(pdf_text(child_sheet_pdf(vault, stored.record_id, printed_on=TODAY)))
    assert flat("已归档（死亡，2026年11月22日）") in text
