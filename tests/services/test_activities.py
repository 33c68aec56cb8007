"""Activities (活动) with attendance (issue 19): the record, its checks, the figures (人次 and
distinct children by kind and period) and the child's 历史.
Sync: tests/sync/test_activity_sync.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.demo_caseload import fill_vault
from app.domain.activity import Activity, ActivityKind, activity_figures
from app.domain.problems import DomainValidationError
from app.services.activities import ActivityService
from app.services.child_history import ACTIVITY, child_timeline
from app.services.children import ChildService
from storage.vault import Vault

VILLAGE_A = "500119104201"

TODAY = date(2026, 11, 22)


def _activity(on: date, kind: ActivityKind, attended: list[str], **extra: Any) -> Activity:
    return Activity(
        on=on, kind=kind, title=extra.pop("title", "亲子沟通"), village_code=VILLAGE_A,
        attended=attended, **extra,
    )  # fmt: skip


def test_figures_count_attendances_and_distinct_children_by_kind_and_period() -> None:
    a, b, c = "a" * 32, "b" * 32, "c" * 32
    held = [
        _activity(date(2026, 3, 1), ActivityKind.GROUP_COUNSELLING, [a, b], guardians=["甲"]),
        _activity(date(2026, 4, 1), ActivityKind.GROUP_COUNSELLING, [a, c], others_count=5),
        _activity(date(2026, 4, 2), ActivityKind.PARENT_CLASS, [b], guardians=["乙", "丙"]),
        _activity(date(2025, 12, 31), ActivityKind.THEMED, [a, b, c]),  # before the period
    ]
    figures = activity_figures(held, date(2026, 1, 1), date(2026, 12, 31))
    rows = {r.kind: r for r in figures.by_kind}
    group = rows[ActivityKind.GROUP_COUNSELLING]
    assert (group.activities, group.child_attendances, group.children_reached) == (2, 4, 3)
    assert group.all_attendances == 4 + 1 + 5
    parent = rows[ActivityKind.PARENT_CLASS]
    assert (parent.activities, parent.child_attendances, parent.all_attendances) == (1, 1, 3)
    assert rows[ActivityKind.THEMED].activities == 0
    assert (figures.activities, figures.child_attendances, figures.children_reached) == (3, 5, 3)
    assert [r.kind_zh for r in figures.by_kind] == [
        "团体辅导", "主题活动", "家长课堂", "红色实践", "培训", "其他",
    ]  # fmt: skip
    # the period's ends are included
    assert activity_figures(held, date(2026, 4, 1), date(2026, 4, 1)).activities == 1


def test_checks() -> None:
    ok = _activity(TODAY, ActivityKind.THEMED, ["a" * 32])
    assert ok.problems_found(today=TODAY) == []
    untitled = _activity(TODAY, ActivityKind.THEMED, [], title=" ")
    assert {p.field for p in untitled.problems_found(today=TODAY)} == {"title"}
    twice = _activity(TODAY, ActivityKind.THEMED, ["a" * 32, "a" * 32])
    assert [p.field for p in twice.problems_found(today=TODAY)] == ["attended"]
    # planned ahead: invited children (for the 签到表) yes, attendance no
    planned = _activity(TODAY + timedelta(days=3), ActivityKind.THEMED, [], invited=["a" * 32])
    assert planned.problems_found(today=TODAY) == []
    early = _activity(TODAY + timedelta(days=3), ActivityKind.THEMED, ["a" * 32])
    assert [p.field for p in early.problems_found(today=TODAY)] == ["attended"]
    assert Activity.from_json(ok.to_json()) == ok
    # a kind a newer program added reads as 其他 instead of failing
    assert Activity.from_json({**ok.to_json(), "kind": "future_kind"}).kind == ActivityKind.OTHER


def _filled(vault: Vault) -> list[str]:
    fill_vault(vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    return [s.record_id for s in ChildService(vault, author="王").list_all()[0]]


def test_service_records_lists_and_the_child_file_shows_it(vault: Vault) -> None:
    children = _filled(vault)
    service = ActivityService(vault, author="王", today=lambda: TODAY)
    stored = service.record(
        _activity(
            TODAY - timedelta(days=2), ActivityKind.RED_PRACTICE, children[:3],
            title="红色实践：重走长征路", place="村委会", invited=children[:4], guardians=["李某"],
        )
    )  # fmt: skip
    service.record(_activity(TODAY - timedelta(days=40), ActivityKind.THEMED, children[2:4]))
    assert [s.value.kind for s in service.list_all()] == [
        ActivityKind.RED_PRACTICE,
        ActivityKind.THEMED,
    ]
    assert [s.record_id for s in service.of_child(children[0])] == [stored.record_id]
    figures = service.figures(TODAY - timedelta(days=30), TODAY)
    assert (figures.activities, figures.child_attendances, figures.children_reached) == (1, 3, 3)
    timeline = child_timeline(vault, children[0])
    shown = [e for e in timeline if e.kind == ACTIVITY]
    assert len(shown) == 1
    assert "参加了红色实践“红色实践：重走长征路”" in shown[0].text_zh
    assert not [e for e in child_timeline(vault, children[5]) if e.kind == ACTIVITY]
    assert [n for _, n in service.names(children[:4])] == [
        ChildService(vault, author="").get(c).value.name for c in children[:4]
    ]
    # a child not in this vault is refused; nothing is stored
    with pytest.raises(DomainValidationError) as caught:
        service.record(_activity(TODAY, ActivityKind.THEMED, ["f" * 32]))
    assert "找不到" in caught.value.message_zh
    # corrected, then deleted with a reason
    value = stored.value
    value.attended = children[:2]
    service.update(stored.record_id, value, base_revision=stored.revision)
    assert not [e for e in child_timeline(vault, children[2]) if "重走长征路" in e.text_zh]
    with pytest.raises(DomainValidationError):
        service.delete(stored.record_id, reason=" ")
    service.delete(stored.record_id, reason="重复登记")
    assert len(service.list_all()) == 1
    assert not [e for e in child_timeline(vault, children[0]) if e.kind == ACTIVITY]
