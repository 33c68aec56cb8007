"""The checked-in register files (tests/fixtures/registers/README.md)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from app.domain.categories import ChildCategory, GuardianRelation
from app.registers.headers import auto_mapping
from app.registers.plan import Action
from app.registers.reader import open_register
from app.registers.service import RegisterImport
from app.services.children import ChildService
from storage.vault import Vault
from tests.registers.workbooks import TODAY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "registers"


def test_an_excel_97_register_with_a_two_row_header(vault: Vault, tmp_path: Path) -> None:
    book = open_register(FIXTURES / "national_two_row_header.xls")
    assert book.kind == "xls"
    sheet = book.read_sheet(0)
    assert sheet.header_depth == 2
    mapping = auto_mapping(sheet.headers)
    assert mapping == [None, "name", "gender", "birth_date", "id_number", "father_name",
                       "father_phone", "guardian_name", "guardian_relation"]  # fmt: skip
    plan = RegisterImport(vault, author="x", today=lambda: TODAY).plan(sheet, mapping)
    first, second = plan.rows
    assert first.action == Action.CREATE and first.child is not None
    assert first.child.birth_date == date(2015, 3, 12)
    assert first.child.guardians[1].relation == GuardianRelation.GRANDFATHER  # 爷爷
    assert second.action == Action.PROBLEM
    assert "E+17" in second.problems[0].message_zh

    # WPS saves .et files in this format too: the content decides, not the name
    renamed = tmp_path / "台账.et"
    shutil.copy(FIXTURES / "national_two_row_header.xls", renamed)
    assert open_register(renamed).read_sheet(0).headers == sheet.headers


def test_a_gb18030_csv_with_a_title_line(vault: Vault) -> None:
    sheet = open_register(FIXTURES / "distress_register_gb18030.csv").read_sheet(0)
    assert sheet.header_row == 2
    importer = RegisterImport(vault, author="x", today=lambda: TODAY)
    plan = importer.plan(sheet, auto_mapping(sheet.headers))
    assert [r.action for r in plan.rows] == [Action.CREATE, Action.CREATE], plan.to_json()
    importer.commit(plan)
    files = {s.value.name: s.value for s in ChildService(vault, author="").list_all()[0]}
    assert files["陈雨桐"].categories == [
        ChildCategory.DE_FACTO_UNSUPPORTED,
        ChildCategory.LOW_INCOME,
    ]
    assert files["刘子轩"].guardians[0].relation == GuardianRelation.MATERNAL_GRANDMOTHER
