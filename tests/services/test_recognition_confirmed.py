"""A recognition the district confirmed (issue 17): the child's file gets the 事实无人抚养儿童
category and the confirmation date, and the monthly-visit rule counts from that date — in the
schedule itself, the caseload's due lists and the next visit proposed after a visit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain import recognition_application as ra
from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation
from app.domain.schedule import ScheduleFacts, load_schedule, next_due
from app.domain.visit import Visit, VisitForm
from app.domain.workflow import STEP_TYPE, Role, Transition
from app.printing.sources import load_child_sheet
from app.services.caseload import Caseload
from app.services.children import ChildService
from app.services.visits import VisitService
from app.services.workflows import WorkflowService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"
SCHEDULE = load_schedule()


def facts(**kw: object) -> ScheduleFacts:
    base: dict[str, object] = {
        "child_id": "c",
        "categories": frozenset({"de_facto_unsupported"}),
        "level": None,
        "last_visit": date(2026, 9, 1),
        "requested_next": None,
        "opened_on": date(2026, 1, 1),
    }
    base.update(kw)
    return ScheduleFacts(**base)  # type: ignore[arg-type]


def test_the_monthly_rule_counts_from_the_confirmation() -> None:
    # without a date: due by the end of the month after the last visit (overdue by November)
    assert next_due(facts(), SCHEDULE).due == date(2026, 10, 1)
    # confirmed on 20 November: the monthly cycle starts then — due within a month of it
    info = next_due(facts(recognized_on=date(2026, 11, 20)), SCHEDULE)
    assert info.due == date(2026, 12, 20)
    assert any("2026-11-20 认定之日起算" in r for r in info.reasons_zh)
    # a visit after the confirmation: the usual cycle from that visit
    later = facts(last_visit=date(2026, 11, 25), recognized_on=date(2026, 11, 20))
    assert next_due(later, SCHEDULE).due == date(2026, 12, 25)
    # another rule still counts from the last visit (red: weekly) and the earlier date wins
    red = facts(level="red", last_visit=date(2026, 11, 18), recognized_on=date(2026, 11, 20))
    assert next_due(red, SCHEDULE).due == date(2026, 11, 25)
    # a date the director agreed at the last visit that is earlier still is honoured
    agreed = facts(recognized_on=date(2026, 11, 20), requested_next=date(2026, 12, 1))
    assert next_due(agreed, SCHEDULE).due == date(2026, 12, 1)
    # never visited: the first visit is due soon after the file was opened, as before
    first = facts(last_visit=None, recognized_on=date(2026, 11, 20))
    assert next_due(first, SCHEDULE).due == date(2026, 1, 8)
    # a child not in the category (e.g. an orphan's monthly rule) ignores the date
    orphan = facts(categories=frozenset({"orphan_community"}), recognized_on=date(2026, 11, 20))
    assert next_due(orphan, SCHEDULE).due == date(2026, 10, 1)


def child_with_parents(vault: Vault) -> str:
    child = ChildFile(
        name="测试儿童",
        gender=Gender.MALE,
        birth_date=date(2016, 5, 1),
        village_code=VILLAGE,
        categories=[ChildCategory.OTHER_HARDSHIP],
        guardians=[
            Guardian(
                GuardianRelation.FATHER,
                situations=[GuardianSituation.IMPRISONED],
                facts={"restriction_months": 60},
            ),
            Guardian(GuardianRelation.MOTHER, situations=[GuardianSituation.LOST_CONTACT]),
        ],
    )
    return ChildService(vault, author="王", today=lambda: TODAY).create(child).record_id


def district_step(vault: Vault, app_id: str, child_id: str, action: str, role: Role) -> None:
    """A decision as it arrives from the district (a pulled ``workflow_step``)."""
    step = Transition(action, "区民政局张", role, "2026-11-20T02:00:00Z")
    vault.put(STEP_TYPE, step.to_data(app_id, ra.RECORD_TYPE, child_id), author="区民政局张")


def test_a_confirmation_reaches_the_file_and_the_due_list(vault: Vault) -> None:
    child_id = child_with_parents(vault)
    visits = VisitService(vault, author="王", today=lambda: TODAY)
    visits.record(Visit(child_id=child_id, on=date(2026, 9, 1), form=VisitForm.HOME))
    service = WorkflowService(
        vault,
        author="王",
        today=lambda: TODAY,
        now=lambda: datetime(2026, 11, 10, 2, tzinfo=UTC),
    )
    app_id = service.create_application(child_id)
    service.submit_application(app_id, guardian_signed=True)
    assert service.apply_confirmed_recognitions() == []  # nothing decided yet
    district_step(vault, app_id, child_id, ra.VERIFY, Role.TOWN)
    district_step(vault, app_id, child_id, ra.CONFIRM, Role.DISTRICT)

    assert service.apply_confirmed_recognitions() == [child_id]
    child = ChildService(vault, author="王").get(child_id).value
    assert ChildCategory.DE_FACTO_UNSUPPORTED in child.categories
    assert child.recognition_confirmed_on == date(2026, 11, 20)
    assert service.apply_confirmed_recognitions() == []  # once only

    caseload = Caseload.build(vault)
    due = caseload.due(SCHEDULE, TODAY + timedelta(days=25))
    [info] = [i for i in due.due_soon if i.child_id == child_id]
    assert info.due == date(2026, 12, 20)  # a month from the confirmation, not overdue
    assert not [i for i in caseload.due(SCHEDULE, TODAY).overdue if i.child_id == child_id]
    # the printed 儿童档案表 says the same next visit
    sheet = load_child_sheet(vault, child_id, schedule=SCHEDULE)
    assert sheet.next_visit is not None and sheet.next_visit.due == date(2026, 12, 20)
    proposed = visits.propose_next_visit(child_id, date(2026, 9, 15), level=None, schedule=SCHEDULE)
    assert proposed.due == date(2026, 12, 20)


def test_a_file_marked_by_hand_gets_the_date_too(vault: Vault) -> None:
    child_id = child_with_parents(vault)
    children = ChildService(vault, author="王", today=lambda: TODAY)
    marked = children.get(child_id).value
    marked.categories.append(ChildCategory.DE_FACTO_UNSUPPORTED)
    children.update(child_id, marked)
    service = WorkflowService(vault, author="王", today=lambda: TODAY)
    app_id = service.create_application(child_id)
    service.submit_application(app_id, guardian_signed=True)
    district_step(vault, app_id, child_id, ra.VERIFY, Role.TOWN)
    district_step(vault, app_id, child_id, ra.CONFIRM, Role.DISTRICT)
    assert service.apply_confirmed_recognitions() == [child_id]
    child = children.get(child_id).value
    assert child.categories.count(ChildCategory.DE_FACTO_UNSUPPORTED) == 1
    assert child.recognition_confirmed_on == date(2026, 11, 20)


def test_a_report_filed_after_an_assessment_answers_it(vault: Vault) -> None:
    """An assessment whose rules demand a report leaves 待办 once a report on the child is filed
    that day or later — from the child's file or a case too, not only from the assessment."""
    child_id = child_with_parents(vault)
    assessment = vault.put(
        "assessment",
        {"child_id": child_id, "finished_on": "2026-11-20", "result": {"mandatory_report": True}},
        author="王",
    ).record_id

    older = vault.put(
        "assessment",
        {"child_id": child_id, "finished_on": "2026-10-02", "result": {"mandatory_report": True}},
        author="王",
    ).record_id

    def service(at: datetime) -> WorkflowService:
        return WorkflowService(vault, author="王", today=lambda: TODAY, now=lambda: at)

    earlier = service(datetime(2026, 11, 18, 2, tzinfo=UTC))
    # two unanswered: 待办 has one line for the child, the newest assessment's
    assert sorted(earlier.assessments_needing_report()) == sorted([assessment, older])
    [item] = [i for i in earlier.todo() if i.child_id == child_id]
    assert item.record_id == assessment and item.urgent and "共 2 次" in item.text_zh
    earlier.file_report(
        child_id,
        source="child_file",
        seen="邻居说孩子常一个人在家",
        seen_at="2026-11-18",
        at_risk="孩子本人",
        immediate_danger=False,
        told={},
        concern="absence",
    )
    # before the newest assessment: not an answer to it (the older one is answered)
    assert earlier.assessments_needing_report() == [assessment]
    later = service(datetime(2026, 11, 20, 1, tzinfo=UTC))  # 09:00 in China, the same day
    later.file_report(
        child_id,
        source="child_file",
        seen="孩子手臂上有淤青",
        seen_at="2026-11-20",
        at_risk="孩子本人",
        immediate_danger=False,
        told={},
        concern="abuse",
    )
    assert later.assessments_needing_report() == []
    assert not [i for i in later.todo() if i.record_id == assessment]
