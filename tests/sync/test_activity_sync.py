"""Activities (活动, issue 19) sync like other records: one recorded on a laptop reaches a
colleague's laptop in the same village through the real district server on loopback, and the
attending child's 历史 there shows it."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.demo_caseload import fill_vault
from app.domain.activity import ACTIVITY_TYPE, Activity, ActivityKind
from app.services.activities import ActivityService
from app.services.child_history import ACTIVITY, child_timeline
from app.services.children import ChildService
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.sync.conftest import VILLAGE_A, ServerThread

TODAY = date(2026, 11, 22)


def _filled(vault: Vault) -> list[str]:
    fill_vault(vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    return [s.record_id for s in ChildService(vault, author="王").list_all()[0]]


def _activity(on: date, kind: ActivityKind, attended: list[str], title: str) -> Activity:
    return Activity(on=on, kind=kind, title=title, village_code=VILLAGE_A, attended=attended)


def _enrolled(district: District, url: str, vault: Vault) -> LaptopSync:
    engine = LaptopSync(vault, author="王", sleep=lambda _s: None)
    engine.enroll_network(url, district.create_enroll_code([VILLAGE_A], 3600), label="一村")
    return engine


def test_an_activity_reaches_a_colleague_in_the_same_village(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    first, second = vaults("a"), vaults("b")
    one, two = (
        _enrolled(sqlite_district, server.url, first),
        _enrolled(sqlite_district, server.url, second),
    )
    children = _filled(first)
    stored = ActivityService(first, author="王", today=lambda: TODAY).record(
        _activity(TODAY, ActivityKind.PARENT_CLASS, children[:2], "红色监护课堂")
    )
    report = one.sync_now()
    assert not report.rejected, report
    two.sync_now()
    got = ActivityService(second, author="李", today=lambda: TODAY).get(stored.record_id)
    assert got.value.title == "红色监护课堂" and got.value.attended == children[:2]
    assert [e.kind for e in child_timeline(second, children[0])].count(ACTIVITY) == 1
    assert second.load(ACTIVITY_TYPE).revisions
