"""The 申请表 through the desk's PrintService (issue 17): the name to save it under, the
materials the helper listed and the files attached, and room for the town's and the district's
decisions."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from app.printing.file_names import PrintedPdf
from app.services.printouts import PrintService
from app.services.workflows import WorkflowService
from tests.conftest import VaultCopies
from tests.printing.helpers import flat, pdf_text


def test_the_printed_form_names_its_materials_and_files(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    from app.demo_caseload import fill_vault

    vault = vault_copies.open(tmp_path / "v").vault
    try:
        fill_vault(
            vault,
            children=2,
            seed=3,
            village_code="500119104201",
            today=date(2026, 11, 1),
            author="王",
        )
        child = vault.load("child").revisions[0]
        service = WorkflowService(vault, author="王秀英", today=lambda: date(2026, 11, 1))
        app_id = service.create_application(child.record_id)
        service.attach_material(
            app_id,
            io.BytesIO(b"%PDF-1.4 scan"),
            filename="派出所失联证明.pdf",
            mime="application/pdf",
        )
        pdf = PrintService(vault).recognition_application(app_id, printed_on=date(2026, 11, 2))
        assert isinstance(pdf, PrintedPdf)
        assert pdf.file_name == f"认定申请表-{child.data['name']}-2026-11-02.pdf"
        words = flat(pdf_text(pdf))
        for expected in (
            "派出所失联证明.pdf",
            "其他材料",
            "查验通过",
            "退回补充材料",
            "查验不通过",
            "予以认定",
            "不予认定",
            "查验人",
            "复核人",
        ):
            assert expected in words, expected
        for material in vault.get(app_id).data["materials"]:
            assert material in words
    finally:
        vault.lock()
