"""The printed 事实无人抚养儿童认定申请表 (issue 17): the facts filled in from the application."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.printing.recognition_application import read_application_form, render_application_form
from app.printing.sources import PrintInputError
from app.services.workflows import WorkflowService
from tests.conftest import VaultCopies
from tests.printing.helpers import flat, pdf_text


def test_the_form_carries_the_facts_and_the_signatures(
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
        child_id = str(vault.load("child").revisions[0].record_id)
        service = WorkflowService(vault, author="王秀英", today=lambda: date(2026, 11, 1))
        app_id = service.create_application(child_id)
        data = read_application_form(vault, app_id)
        pdf = render_application_form(data, printed_on=date(2026, 11, 2))
        assert pdf.startswith(b"%PDF")
        words = flat(pdf_text(pdf))
        for expected in ("事实无人抚养儿童认定申请表", "父亲", "母亲", "监护人（申请人）", "查验"):
            assert expected in words
        assert data.child.name in words
        with pytest.raises(PrintInputError):
            read_application_form(vault, child_id)
    finally:
        vault.lock()
