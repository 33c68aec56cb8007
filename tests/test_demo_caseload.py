"""The demo caseload looks like a real village's: valid files, fictional ID numbers, parents who
meet the recognition rule where the category says so, all four levels, a year of visits at the
schedule's pace, cases at every stage — and the same data for the same seed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo_caseload import DEMO_MARK, fill_vault
from app.domain.case import Case, CaseStage
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile
from app.domain.child_recognition import recognize
from app.domain.id_number import parse_id_number
from app.domain.recognition import Outcome
from app.domain.schedule import load_schedule
from app.domain.visit import Visit
from app.services.caseload import Caseload
from storage.vault import Vault
from tests.conftest import VaultCopies, VaultTemplates

TODAY = date(2026, 11, 22)


def _fill_vault(vault: Vault, children: int, seed: int) -> None:
    fill_vault(
        vault,
        children=children,
        seed=seed,
        village_code="500119104201",
        today=TODAY,
        author="演示主任",
    )


def _fill(copies: VaultCopies, path: Path, children: int, seed: int) -> Vault:
    vault = copies.open(path).vault
    _fill_vault(vault, children, seed)
    return vault


@pytest.fixture(scope="module")
def village(
    tmp_path_factory: pytest.TempPathFactory, vault_templates: VaultTemplates
) -> Iterator[Vault]:
    """The demo caseload of 200 children (a copy of a template made once per test run)."""
    copies = VaultCopies(vault_templates)
    fill = ("demo-caseload-200-seed-11", lambda vault: _fill_vault(vault, 200, 11))
    yield copies.open(tmp_path_factory.mktemp("demo") / "v", fill=fill).vault
    copies.lock_all()


def test_same_seed_same_caseload(tmp_path: Path, vault_copies: VaultCopies) -> None:
    def snapshot(vault: Vault) -> list[str]:
        return sorted(repr(sorted(r.data.items())) for r in vault.load("child").revisions)

    a = _fill(vault_copies, tmp_path / "a", 25, 3)
    b = _fill(vault_copies, tmp_path / "b", 25, 3)
    c = _fill(vault_copies, tmp_path / "c", 25, 4)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


def test_children_are_valid_fictional_and_marked(village: Vault) -> None:
    children = [ChildFile.from_json(r.data) for r in village.load("child").revisions]
    assert len(children) == 200
    for child in children:
        assert [p for p in child.problems(TODAY) if p.blocking] == []
        assert child.demo == DEMO_MARK
        if child.id_number:
            assert parse_id_number(child.id_number, today=TODAY).is_fictional
    assert sum(1 for c in children if not c.id_number) < 30  # a few without ID yet
    assert len({c.name for c in children}) > 150


def test_guardians_agree_with_categories(village: Vault) -> None:
    outcomes: dict[ChildCategory, Counter[Outcome]] = {}
    for revision in village.load("child").revisions:
        child = ChildFile.from_json(revision.data)
        primary = child.categories[0]
        outcomes.setdefault(primary, Counter())[recognize(child, TODAY).outcome] += 1
    assert set(outcomes[ChildCategory.DE_FACTO_UNSUPPORTED]) == {Outcome.ELIGIBLE}
    assert set(outcomes[ChildCategory.ORPHAN_COMMUNITY]) == {Outcome.ORPHAN}
    assert set(outcomes[ChildCategory.LEFT_BEHIND]) == {Outcome.NOT_ELIGIBLE}


def test_levels_visits_and_cases(village: Vault) -> None:
    caseload = Caseload.build(village)
    levels = Counter(s.level for s in caseload.summaries.values())
    assert set(levels) == {"green", "yellow", "orange", "red"}
    assert levels["green"] > levels["red"]
    births = {s.child_id: s.child.birth_date for s in caseload.summaries.values()}
    visits = [Visit.from_json(r.data) for r in village.load("visit").revisions]
    assert len(visits) > 200 * 4  # a year of visits
    for visit in visits:
        assert visit.problems_found(birth_date=births[visit.child_id], today=TODAY) == []
        assert visit.demo == DEMO_MARK
    due = caseload.due(load_schedule(), TODAY)
    assert 0.03 < len(due.overdue) / 200 < 0.3  # some children are behind, most are not
    cases = [Case.from_json(r.data) for r in village.load("case").revisions]
    stages = Counter(c.stage for c in cases)
    assert stages[CaseStage.CLOSED] and any(stages[s] for s in CaseStage if s != CaseStage.CLOSED)
    for case in cases:
        if case.stage == CaseStage.CLOSED:
            assert case.follow_ups and case.closure_reason
        if case.stage in (CaseStage.INTERVENING, CaseStage.FOLLOWING_UP, CaseStage.CLOSED):
            assert case.plan.gate_problems() == []
    assessments = village.load("assessment").revisions
    assert all(r.data["result"]["definition"]["id"] == r.data["definition_id"] for r in assessments)
