"""The console's queries over data synced from real laptop vaults in two towns, as a district
user, a town supervisor and a partner — SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.demo_caseload import fill_vault
from sync.server.console import queries as q
from sync.server.console import queries_child as qc
from sync.server.console import queries_overview as qo
from sync.server.console import query_tables as qt
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.console.test_query_tables import TODAY, send_all
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

TOWN_A = VILLAGE_A[:9]
TOWN_C = VILLAGE_C[:9]
DISTRICT = Scope("district", (), 1)
TOWN = Scope("town", (TOWN_A,), 2)
PARTNER = Scope("partner", (), 3)
SHARED_ID = "50011920120315002X"


@dataclass
class Synced:
    district: District
    a_ids: set[str]
    c_ids: set[str]
    dup_a: str
    dup_c: str
    downgraded: str


def _sync(district: District, make_device: Any) -> Synced:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=10, seed=11, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=6, seed=12, village_code=VILLAGE_C, today=TODAY, author="李")
    child_a = a.vault.load("child").revisions[0]
    child_c = c.vault.load("child").revisions[0]
    a.vault.put(
        "child",
        {**child_a.data, "id_number": SHARED_ID, "name": "张小明"},
        author="王",
        record_id=child_a.record_id,
    )
    c.vault.put(
        "child", {**child_c.data, "id_number": SHARED_ID}, author="李", record_id=child_c.record_id
    )
    for on, level in (("2026-09-01", "red"), ("2026-10-15", "yellow")):
        a.vault.put(
            "assessment",
            {
                "child_id": child_a.record_id,
                "status": "finished",
                "finished_on": on,
                "result": {"level": level},
            },
            author="王",
        )
    send_all(district, a)
    send_all(district, c)
    return Synced(
        district,
        {r.record_id for r in a.vault.load("child").revisions},
        {r.record_id for r in c.vault.load("child").revisions},
        child_a.record_id,
        child_c.record_id,
        child_a.record_id,
    )


@pytest.fixture
def synced(district: District, make_device: Any) -> Synced:
    return _sync(district, make_device)


def test_scope_in_every_query(synced: Synced) -> None:
    everything = synced.a_ids | synced.c_ids
    with synced.district.engine.connect() as conn:
        full = q.register(conn, DISTRICT, q.RegisterFilter(per_page=200), TODAY)
        town = q.register(conn, TOWN, q.RegisterFilter(per_page=200), TODAY)
        partner = q.register(conn, PARTNER, q.RegisterFilter(per_page=200), TODAY)
        assert {r.child_id for r in full.rows} == everything
        assert {r.child_id for r in town.rows} == synced.a_ids and town.total == len(synced.a_ids)
        assert partner.rows == [] and partner.total == 0
        # another town's village asked for by filter: nothing, not an error
        other = q.parse_register_filter({"village": VILLAGE_C})
        assert q.register(conn, TOWN, other, TODAY).total == 0
        assert {r.child_id for r in q.register_rows(conn, TOWN, q.RegisterFilter(), TODAY)} == (
            synced.a_ids
        )
        # a child's page by id
        page = qc.child_page(conn, TOWN, synced.dup_a)
        assert page.data["name"] == "张小明" and page.visits and page.assessments
        assert page.duplicates_elsewhere == 1 and page.duplicates_in_scope == []
        with pytest.raises(q.OutOfScopeError):
            qc.child_page(conn, TOWN, synced.dup_c)
        with pytest.raises(q.OutOfScopeError):
            qc.child_page(conn, PARTNER, synced.dup_a)
        with pytest.raises(q.NotFoundError):
            qc.child_page(conn, DISTRICT, "0" * 32)
        with pytest.raises(q.NotFoundError):
            qc.child_page(conn, DISTRICT, "../etc")
        assert qc.child_page(conn, DISTRICT, synced.dup_c).duplicates_in_scope == [
            (synced.dup_a, VILLAGE_A)
        ]
        # overview and villages
        ov_full = qo.overview(conn, DISTRICT, date(2026, 1, 1), TODAY, TODAY)
        ov_town = qo.overview(conn, TOWN, date(2026, 1, 1), TODAY, TODAY)
        ov_partner = qo.overview(conn, PARTNER, date(2026, 1, 1), TODAY, TODAY)
        assert ov_full.active == len(everything)
        assert ov_town.active == len(synced.a_ids)
        assert {v for v, _n, _t in ov_town.overdue_by_village} == {VILLAGE_A}
        assert ov_partner.active == 0 and ov_partner.overdue_by_village == []
        assert sum(m[2] for m in ov_town.months) < sum(m[2] for m in ov_full.months)
        assert [v.village_code for v in qc.villages(conn, TOWN, TODAY)] == [VILLAGE_A]
        assert [v.village_code for v in qc.villages(conn, DISTRICT, TODAY)] == [
            VILLAGE_A,
            VILLAGE_C,
        ]
        assert qc.villages(conn, PARTNER, TODAY) == []
        with pytest.raises(q.OutOfScopeError):
            qc.village_overdue(conn, TOWN, VILLAGE_C, TODAY)


def test_overview_figures(synced: Synced) -> None:
    with synced.district.engine.connect() as conn:
        ov = qo.overview(conn, DISTRICT, date(2026, 1, 1), TODAY, TODAY)
        rows = conn.execute(select(q_children)).all()
    active = [r for r in rows if r.active]
    assert sum(ov.by_level.values()) == ov.active == len(active)
    assert ov.by_level.get("yellow", 0) == sum(1 for r in active if r.level == "yellow")
    assert ov.by_category["left_behind"] == sum(
        1 for r in active if "|left_behind|" in r.categories
    )
    assert synced.downgraded in {ref.child_id for ref in ov.downgraded_from_red}
    assert ov.downgrades >= 1
    overdue = sum(n for _v, n, _t in ov.overdue_by_village)
    assert overdue == sum(1 for r in active if r.next_due and r.next_due < TODAY.isoformat())
    assert ov.cases_by_stage == {
        s: sum(1 for r in active if r.case_stage == s)
        for s in {r.case_stage for r in active if r.case_stage}
    }
    assert ov.caring_mother == sum(1 for r in active if r.caring_mother)
    assert [m[0] for m in ov.months][:2] == ["2026-01", "2026-02"] and len(ov.months) == 11
    done = sum(m[2] for m in ov.months)
    assert done > 0 and all(m[3] <= m[2] for m in ov.months)
    # devices: both synced today, none stale; thirty days on, both are
    assert ov.stale_devices == []
    later = date(2027, 3, 1)
    with synced.district.engine.connect() as conn:
        assert len(qo.overview(conn, DISTRICT, later, later, later).stale_devices) == 2
        assert len(qo.overview(conn, TOWN, later, later, later).stale_devices) == 1


def test_register_filters_search_sort_and_paging(synced: Synced) -> None:
    today = TODAY
    with synced.district.engine.connect() as conn:
        all_rows = conn.execute(select(q_children).where(q_children.c.active)).all()

        def ids(scope: Scope = DISTRICT, **params: str) -> set[str]:
            flt = q.parse_register_filter({"per_page": "200", **params})
            return {r.child_id for r in q.register(conn, scope, flt, today).rows}

        assert ids(level="yellow") == {r.child_id for r in all_rows if r.level == "yellow"}
        assert ids(overdue="1") == {
            r.child_id for r in all_rows if r.next_due and r.next_due < today.isoformat()
        }
        assert ids(caring_mother="1") == {r.child_id for r in all_rows if r.caring_mother}
        assert ids(category="left_behind") == {
            r.child_id for r in all_rows if "|left_behind|" in r.categories
        }
        assert ids(case_stage="any") == {r.child_id for r in all_rows if r.case_stage}
        assert ids(town=TOWN_C) == synced.c_ids
        band = ids(age_band="6-11")
        for r in all_rows:
            age = q.years_before(today, 0).year - int(r.birth_date[:4])
            if r.child_id in band:
                assert 5 <= age <= 12
        assert band | ids(age_band="0-2") | ids(age_band="3-5") | ids(age_band="12-15") | ids(
            age_band="16-17"
        ) | ids(age_band="18+") == {r.child_id for r in all_rows}
        # search: pinyin initials, name, ID number (in scope only)
        assert synced.dup_a in ids(q="zxm") and synced.dup_a in ids(q="ZX")
        assert synced.dup_a in ids(q="小明")
        assert ids(q=SHARED_ID) == {synced.dup_a, synced.dup_c}
        assert ids(TOWN, q=SHARED_ID) == {synced.dup_a}
        assert ids(q="%") == set() and ids(q="_") == set()
        # duplicates across villages flagged, and as a filter
        assert ids(duplicates="1") == {synced.dup_a, synced.dup_c}
        page = q.register(conn, TOWN, q.parse_register_filter({"duplicates": "1"}), today)
        assert [r.duplicate for r in page.rows] == [True]
        # sorting and paging
        flt = q.parse_register_filter({"sort": "level", "desc": "1", "per_page": "10"})
        first = q.register(conn, DISTRICT, flt, today)
        assert first.pages == 2 and len(first.rows) == 10
        severity = [qt.SEVERITY.get(r.level or "", -1) for r in first.rows]
        assert severity == sorted(severity, reverse=True)
        huge = q.parse_register_filter(
            {"sort": "level", "desc": "1", "page": "99999999999999999999", "per_page": "10"}
        )
        last = q.register(conn, DISTRICT, huge, today)
        assert last.page == 2 and len(last.rows) == len(all_rows) - 10
        seen = [r.child_id for r in first.rows] + [r.child_id for r in last.rows]
        assert len(set(seen)) == len(all_rows)


@pytest.mark.parametrize(
    "params",
    [
        {"level": "purple", "page": "-3", "per_page": "1e9", "sort": "name; DROP TABLE x"},
        {"village": "'; --", "town": "5001191041", "age_band": "99", "overdue": "maybe"},
        {"q": "\x00<script>{{7*7}}", "case_stage": "closed", "category": "x" * 500},
        {"page": "１２", "desc": "yes", "duplicates": "\ud800"},
    ],
)
def test_malformed_filters_are_dropped(params: dict[str, str]) -> None:
    flt = q.parse_register_filter(params)
    assert flt.level == "" and flt.village == "" and flt.town == "" and flt.category == ""
    assert flt.sort in q.SORTS and flt.page >= 1 and 10 <= flt.per_page <= q.PER_PAGE_MAX
    assert flt.case_stage == "" and flt.age_band == ""
    assert "\x00" not in flt.q and len(flt.q) <= 40
    assert q.parse_register_filter(flt.as_params()) == flt  # links keep the filter
