"""报表 → 导出表格: the monthly report's figures and its children as .xlsx, read back; the save
window writes off the GUI thread and atomically (a full disk, a pulled-out USB stick)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import msoffcrypto
import openpyxl
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.demo_caseload import fill_vault
from app.registers.headers import auto_mapping
from app.registers.monthly_export import SHEET_NAMES, export_monthly
from app.registers.reader import open_register_bytes
from app.services.monthly_report import (
    CaseloadRecords,
    MonthlyFigures,
    ReportMonth,
    monthly_figures,
)
from storage.vault import Vault
from tests.conftest import VaultCopies
from ui.tasks import InlineRunner
from ui.ui_settings import UiSettings
from ui.views.report_export import MonthlyExportDialog

TODAY = date(2026, 11, 20)
VILLAGE = "500119104201"


def _fill(vault: Vault) -> None:
    fill_vault(vault, children=40, seed=7, village_code=VILLAGE, today=TODAY, author="王秀英")


@pytest.fixture
def vault(vault_dir: Path, vault_copies: VaultCopies) -> Vault:
    """A copy of a vault filled with the demo caseload once per test session."""
    return vault_copies.open(vault_dir, fill=("registers-monthly-demo-40-seed-7", _fill)).vault


def _month(vault: Vault, month: str = "2026-10") -> tuple[MonthlyFigures, CaseloadRecords]:
    records = CaseloadRecords.from_vault(vault)
    figures = monthly_figures(records, ReportMonth.parse(month), today=TODAY, village_code=VILLAGE)
    return figures, records


def test_the_month_reads_back_with_its_figures_and_children(vault: Vault) -> None:
    figures, records = _month(vault)
    out = io.BytesIO()
    written = export_monthly(out, figures, records, village="汉场坝村")
    assert written == figures.children_followed > 0
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == list(SHEET_NAMES)
    summary = {r[0]: r[1] for r in book["月度报表"].iter_rows(min_row=3, values_only=True)}
    assert summary["在册儿童"] == figures.children_followed
    assert summary["本月应走访"] == figures.due_count
    assert summary["已走访"] == figures.done_count
    assert summary["逾期未走访"] == figures.overdue_count
    assert summary["本月走访记录（次）"] == figures.visit_count
    assert summary["村（社区）"] == "汉场坝村"
    due = list(book["应走访名单"].iter_rows(min_row=2, values_only=True))
    assert len(due) == figures.due_count
    assert all(isinstance(r[2], datetime) for r in due)  # dates as dates
    visits = list(book["本月走访"].iter_rows(min_row=2, values_only=True))
    assert len(visits) == figures.visit_count
    no_formula = [
        c for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"
    ]
    assert no_formula == []
    # the children sheet is the register layout the importer reads back, every column known
    workbook = open_register_bytes(out.getvalue())
    index = workbook.sheet_names.index("儿童名单")
    sheet = workbook.read_sheet(index)
    assert len(sheet.rows) == figures.children_followed
    assert None not in auto_mapping(sheet.headers)[1:]  # all but 序号
    ids = {child.id_number for child in records.children.values() if child.id_number}
    assert {str(r.cells[5]) for r in sheet.rows if r.cells[5]} <= ids


def _dialog(qtbot: QtBot, vault: Vault, tmp_path: Path) -> MonthlyExportDialog:
    figures, records = _month(vault)
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    dialog = MonthlyExportDialog(InlineRunner(), figures, records, VILLAGE, settings=settings)
    qtbot.addWidget(dialog)
    return dialog


def test_saved_encrypted_by_default(qtbot: QtBot, vault: Vault, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, vault, tmp_path)
    assert dialog.encrypt.isChecked() and "个人信息" in dialog.findChild(object, "warning").text()
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "月度工作报表.xlsx"
    dialog.save_to(out, "密码123")
    assert "已导出2026年10月的月度报表" in dialog.message.text()
    office = msoffcrypto.OfficeFile(out.open("rb"))
    assert office.is_encrypted()
    plain = io.BytesIO()
    office.load_key(password="密码123")
    office.decrypt(plain)
    assert openpyxl.load_workbook(plain).sheetnames == list(SHEET_NAMES)
    assert [p.name for p in folder.iterdir()] == ["月度工作报表.xlsx"]  # no partial file left


def test_a_pulled_out_stick_says_so_and_leaves_nothing(
    qtbot: QtBot, vault: Vault, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, vault, tmp_path)
    stick = tmp_path / "KINGSTON"  # chosen, then pulled out before 保存 finished
    dialog.save_to(stick / "报表.xlsx", None)
    assert "U盘可能已经拔出" in dialog.message.text()
    assert "没有导出" in dialog.message.text()
    assert not stick.exists()
    assert dialog.save_button.isEnabled()


def test_a_full_disk_keeps_the_old_file_and_leaves_no_half_file(
    qtbot: QtBot, vault: Vault, tmp_path: Path, small_disk: Path
) -> None:
    dialog = _dialog(qtbot, vault, tmp_path)
    target = small_disk / "报表.xlsx"
    target.write_bytes(b"the report of last month")
    ballast = small_disk / "ballast.bin"
    with ballast.open("wb", buffering=0) as fh:  # full, then 8 KiB freed: too little
        try:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        except OSError:
            pass
    ballast_size = ballast.stat().st_size
    with ballast.open("r+b") as fh:
        fh.truncate(ballast_size - 8192)
    dialog.save_to(target, None)
    assert "满了" in dialog.message.text(), dialog.message.text()
    assert target.read_bytes() == b"the report of last month"
    assert sorted(p.name for p in small_disk.iterdir()) == ["ballast.bin", "报表.xlsx"]
    ballast.unlink()
    dialog.save_to(target, None)  # space again: the same window carries on
    assert "已导出" in dialog.message.text()
    assert openpyxl.load_workbook(target).sheetnames == list(SHEET_NAMES)
