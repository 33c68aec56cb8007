"""Importing registers into a real vault: create, re-import, update, confirm, all or nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest

from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import ChildFile, Gender
from app.registers.headers import auto_mapping
from app.registers.plan import Action
from app.registers.reader import ImportCancelledError, open_register
from app.registers.service import RegisterImport
from app.services.children import ChildService
from storage.vault import Vault
from tests.conftest import PASSWORD
from tests.registers.workbooks import TODAY, child_id, national_row, write_national

B1, B2, B3 = date(2015, 3, 12), date(2016, 7, 1), date(2013, 1, 30)


def today() -> date:
    return TODAY


def register_rows() -> list[list[object]]:
    return [
        national_row(
            1, "陈雨桐", "女", B1, child_id(B1, 102), father="陈建国", father_phone="13800000001",
            work="广东东莞", mother="李芳", carer="陈大山", relation="祖父",
            carer_phone="13800000003", categories="留守、低保",
        ),
        national_row(2, "刘子轩", "男", "2016.7.1", child_id(B2, 111), categories="事实无人抚养"),
        national_row(3, "张小花", "女", B3, "", carer="张奶奶", relation="奶奶"),
    ]  # fmt: skip


def importer(vault: Vault) -> RegisterImport:
    return RegisterImport(vault, author="王秀英", today=today)


def plan_file(vault: Vault, path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    book = open_register(path)
    sheet = book.read_sheet(len(book.sheet_names) - 1)
    return importer(vault).plan(sheet, auto_mapping(sheet.headers), **kwargs)  # type: ignore[arg-type]


def test_a_national_register_creates_files_and_a_second_import_changes_nothing(
    vault: Vault, tmp_path: Path
) -> None:
    path = write_national(tmp_path / "登记表.xlsx", register_rows(), sheets_before=["说明"])
    plan = plan_file(vault, path)
    assert plan.counts()["create"] == 3, plan.to_json()
    result = importer(vault).commit(plan)
    assert len(result.created) == 3
    children = {s.value.name: s.value for s in ChildService(vault, author="").list_all()[0]}
    chen = children["陈雨桐"]
    assert chen.birth_date == B1 and chen.gender == Gender.FEMALE
    assert chen.categories == [ChildCategory.LEFT_BEHIND, ChildCategory.LOW_INCOME]
    father = chen.parent(GuardianRelation.FATHER)
    assert father is not None and father.phone == "13800000001"
    assert "务工地点：广东东莞" in father.notes
    carer = next(g for g in chen.guardians if g.relation == GuardianRelation.GRANDFATHER)
    assert carer.name == "陈大山" and carer.is_caregiver
    assert children["刘子轩"].birth_date == B2  # "2016.7.1" as text
    assert children["张小花"].id_number == ""
    assert all(c.village_code == "500119104201" for c in children.values())

    seq_before = vault.last_seq()
    again = plan_file(vault, path)
    assert again.counts()["unchanged"] == 3, again.to_json()
    importer(vault).commit(again)
    assert vault.last_seq() == seq_before  # nothing written at all


def test_an_update_changes_only_differing_fields_as_one_ordinary_revision(
    vault: Vault, tmp_path: Path
) -> None:
    service = ChildService(vault, author="王秀英", today=today)
    stored = service.create(
        ChildFile(
            name="刘子轩",
            gender=Gender.MALE,
            birth_date=B2,
            village_code="500119104201",
            id_number=child_id(B2, 111),
            school="旧学校",
            notes="家访记录见纸质档案",
            categories=[ChildCategory.MIGRANT],
        )
    )
    rows = [national_row(1, "刘子轩", "男", B2, child_id(B2, 111), categories="事实无人抚养")]
    plan = plan_file(vault, write_national(tmp_path / "r.xlsx", rows))
    (row,) = plan.rows
    assert row.action == Action.UPDATE and row.matched_by == "id_number"
    assert set(row.changed_fields) == {"school", "address", "hukou", "health", "categories"}
    importer(vault).commit(plan)
    after = service.get(stored.record_id).value
    assert after.school == "汉场坝小学"
    assert after.notes == "家访记录见纸质档案"  # not erased
    assert after.categories == [ChildCategory.MIGRANT, ChildCategory.DE_FACTO_UNSUPPORTED]
    history = service.history(stored.record_id)
    assert len(history) == 2
    assert history[-1].author == "王秀英"
    assert {c.field for c in history[-1].changes} == set(row.changed_fields)


def test_a_row_without_id_matching_name_and_birth_date_waits_for_confirmation(
    vault: Vault, tmp_path: Path
) -> None:
    service = ChildService(vault, author="王秀英", today=today)
    stored = service.create(
        ChildFile(name="张小花", gender=Gender.FEMALE, birth_date=B3, village_code="500119104201")
    )
    rows = [national_row(1, "张小花", "女", B3, "", carer="张奶奶", relation="奶奶")]
    path = write_national(tmp_path / "r.xlsx", rows)
    plan = plan_file(vault, path)
    (row,) = plan.rows
    assert row.action == Action.CONFIRM and row.record_id == stored.record_id
    importer(vault).commit(plan)  # not confirmed: left alone
    assert service.get(stored.record_id).revision == stored.revision
    importer(vault).commit(plan_file(vault, path), confirmed=[row.row])
    assert service.get(stored.record_id).value.guardians[0].name == "张奶奶"


def test_duplicates_within_the_file_are_refused_with_the_first_row_named(
    vault: Vault, tmp_path: Path
) -> None:
    rows = [
        national_row(1, "陈雨桐", "女", B1, child_id(B1, 102)),
        national_row(2, "陈雨桐", "女", B1, child_id(B1, 102)),
    ]
    plan = plan_file(vault, write_national(tmp_path / "r.xlsx", rows))
    first, second = plan.rows
    assert first.action == Action.CREATE
    assert second.action == Action.PROBLEM
    assert f"与第{first.row}行是同一个儿童" in second.problems[0].message_zh


def test_a_fixed_cell_in_the_preview_and_a_skipped_row(vault: Vault, tmp_path: Path) -> None:
    bad = child_id(B1, 102)[:-1] + ("0" if child_id(B1, 102)[-1] != "0" else "1")
    rows = [
        national_row(1, "陈雨桐", "女", B1, bad),
        national_row(2, "刘子轩", "男", B2, child_id(B2, 111)),
    ]
    path = write_national(tmp_path / "r.xlsx", rows)
    plan = plan_file(vault, path)
    assert [r.action for r in plan.rows] == [Action.PROBLEM, Action.CREATE]
    assert "校验" in plan.rows[0].problems[0].message_zh
    first_row = plan.rows[0].row
    fixed = plan_file(vault, path, overrides={(first_row, 5): child_id(B1, 102)})
    assert [r.action for r in fixed.rows] == [Action.CREATE, Action.CREATE]
    skipped = plan_file(vault, path, skipped=[plan.rows[1].row])
    assert skipped.rows[1].action == Action.SKIP


def test_cancel_half_way_leaves_the_vault_as_before(vault: Vault, tmp_path: Path) -> None:
    rows = [national_row(n, f"儿童{n:03d}", "女", B1, child_id(B1, 2 * n)) for n in range(1, 121)]
    plan = plan_file(vault, write_national(tmp_path / "r.xlsx", rows))
    seq = vault.last_seq()
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(ImportCancelledError):
        importer(vault).commit(plan, cancelled=cancelled)
    assert vault.last_seq() == seq
    assert ChildService(vault, author="").list_all()[0] == []


def test_kill_9_half_way_leaves_the_vault_as_before(
    created, vault_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = [national_row(n, f"儿童{n:03d}", "女", B1, child_id(B1, 2 * n)) for n in range(1, 201)]
    path = write_national(tmp_path / "r.xlsx", rows)
    created.vault.lock()
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from datetime import date
        from app.registers.headers import auto_mapping
        from app.registers.reader import open_register
        from app.registers.service import RegisterImport
        from storage.vault import Vault
        vault = Vault.unlock({str(vault_dir)!r}, sys.stdin.readline().strip())
        sheet = open_register(__import__("pathlib").Path({str(path)!r})).read_sheet(0)
        imp = RegisterImport(vault, author="x", today=lambda: date(2026, 11, 22))
        plan = imp.plan(sheet, auto_mapping(sheet.headers))
        def progress(done, total):
            if done >= 100:
                print("HALF", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
        imp.commit(plan, progress=progress)
        print("FINISHED", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "HALF" in done.stdout and "FINISHED" not in done.stdout
    with Vault.unlock(vault_dir, PASSWORD) as vault:
        assert ChildService(vault, author="").list_all()[0] == []
        assert vault.database_integrity() == []


def test_dates_of_every_written_form_import_to_the_same_day(vault: Vault, tmp_path: Path) -> None:
    forms = [B1, datetime(2015, 3, 12), 42075, "2015.3.12", "2015/03/12", "2015年3月12日",
             "２０１５年３月１２日", "20150312", "2015-03-12"]  # fmt: skip
    rows = [
        national_row(n, f"儿童{n}", "女", form, child_id(B1, 2 * n))
        for n, form in enumerate(forms, start=1)
    ]
    plan = plan_file(vault, write_national(tmp_path / "r.xlsx", rows))
    assert [r.action for r in plan.rows] == [Action.CREATE] * len(forms), plan.to_json()
    assert {r.child.birth_date for r in plan.rows if r.child} == {B1}
