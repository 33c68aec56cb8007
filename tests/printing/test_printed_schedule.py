"""Printed due dates follow the visit schedule in force — the district's published rules when
installed — not the bundled one: the 儿童档案表's next visit date and the 月度工作报表's visits
due, from the API (``schedule=``) and from ``childdesk print`` (which asks DefinitionService)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.demo_caseload import fill_vault
from app.domain.schedule import VisitSchedule, load_schedule, next_due, schedule_from_json
from app.printing import child_sheet_pdf, monthly_report_pdf
from app.printing.markup import zh_date
from app.services.caseload import Caseload
from app.services.monthly_report import (
    CaseloadRecords,
    MonthlyFigures,
    ReportMonth,
    monthly_figures,
)
from resources import resource_path
from storage import definitions_store
from storage.vault import Vault
from sync.wire import canonical_json, sha256_hex
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, VaultTemplates, run_cli_in_process
from tests.printing.conftest import TODAY, VILLAGE
from tests.printing.helpers import flat, pdf_text

MONTH = ReportMonth(2026, 11)


def green_every(days: int) -> dict[str, Any]:
    """The bundled schedule rules as the district would publish them, green every ``days``."""
    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    for rule in body["rules"]:
        if rule["id"] == "level_green":
            rule["max_interval_days"] = days
            rule["reason_zh"] = f"绿色（监护能力正常）：每 {days} 天至少走访1次"
    body["version"] = "2"
    return dict(body)


GREEN_60 = schedule_from_json(green_every(60))


def _green_child(vault: Vault, schedule: VisitSchedule) -> tuple[str, str, str]:
    """A green child whose next visit moves with ``schedule``: (id, due then, bundled due)."""
    caseload = Caseload.build(vault)
    bundled = load_schedule()
    for summary in sorted(caseload.summaries.values(), key=lambda s: s.child_id):
        if not summary.active or summary.level != "green" or summary.last_visit is None:
            continue
        due = next_due(summary.schedule_facts, schedule).due
        default = next_due(summary.schedule_facts, bundled).due
        if due != default:
            return summary.child_id, flat(zh_date(due)), flat(zh_date(default))
    raise AssertionError("the demo caseload has no green child the schedule changes")


def _due_line(figures: MonthlyFigures) -> str:
    return f"{figures.due_count}人（含上月结转逾期{figures.carried_over_count}人）"


def test_child_sheet_next_visit_follows_the_schedule(filled_vault: Vault) -> None:
    child_id, due, default = _green_child(filled_vault, GREEN_60)
    text = flat(pdf_text(child_sheet_pdf(filled_vault, child_id, printed_on=TODAY)))
    assert f"下次应走访日期：{default}" in text  # no schedule given: the bundled rules
    pdf = child_sheet_pdf(filled_vault, child_id, printed_on=TODAY, schedule=GREEN_60)
    text = flat(pdf_text(pdf))
    assert f"下次应走访日期：{due}" in text
    assert default not in text


def test_monthly_report_visits_due_follow_the_schedule(filled_vault: Vault) -> None:
    records = CaseloadRecords.from_vault(filled_vault)
    bundled = monthly_figures(records, MONTH, today=TODAY, village_code=VILLAGE)
    green_30 = schedule_from_json(green_every(30))
    figures = monthly_figures(records, MONTH, today=TODAY, village_code=VILLAGE, schedule=green_30)
    assert figures.due_count > bundled.due_count  # green children are due more often
    default_text = flat(pdf_text(monthly_report_pdf(filled_vault, MONTH, today=TODAY)))
    assert _due_line(bundled) in default_text
    text = flat(pdf_text(monthly_report_pdf(filled_vault, MONTH, today=TODAY, schedule=green_30)))
    assert _due_line(figures) in text and _due_line(bundled) not in text


@pytest.fixture(scope="module")
def installed_vault(
    tmp_path_factory: pytest.TempPathFactory, vault_templates: VaultTemplates
) -> Iterator[Path]:
    """A vault folder (locked) with the district's green-every-60-days rules installed."""
    folder = tmp_path_factory.mktemp("installed") / "vault"
    today = date.today()

    def fill(vault: Vault) -> None:  # once per test run: a template copied here
        fill_vault(vault, children=30, seed=7, village_code=VILLAGE, today=today, author=DIRECTOR)
        body = green_every(60)
        assert definitions_store.install(
            vault,
            kind="schedule",
            name="visit_schedule",
            version="2",
            sha256=sha256_hex(canonical_json(body)),
            body=body,
            district_seq=1,
        )

    copies = VaultCopies(vault_templates)
    copies.open(folder, fill=(f"printed-schedule-30-seed-7-green-60-{today}", fill)).vault.lock()
    yield folder


def test_print_commands_use_the_installed_schedule(installed_vault: Path, tmp_path: Path) -> None:
    today = date.today()  # what the command uses
    month = ReportMonth(today.year, today.month)
    vault = Vault.unlock(installed_vault, PASSWORD)
    try:
        child_id, due, default = _green_child(vault, GREEN_60)
        records = CaseloadRecords.from_vault(vault)
        figures = monthly_figures(
            records, month, today=today, village_code=VILLAGE, schedule=GREEN_60
        )
        bundled = monthly_figures(records, month, today=today, village_code=VILLAGE)
    finally:
        vault.lock()
    out = tmp_path / "child.pdf"
    stdin = PASSWORD + "\n"
    result = run_cli_in_process(
        "print", "child", child_id, "--out", str(out), "--password-stdin",
        stdin=stdin, data_dir=installed_vault,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = flat(pdf_text(out.read_bytes()))
    assert f"下次应走访日期：{due}" in text and default not in text

    out = tmp_path / "monthly.pdf"
    result = run_cli_in_process(
        "print", "monthly", "--month", str(month), "--out", str(out), "--password-stdin",
        stdin=stdin, data_dir=installed_vault,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert figures.due_count != bundled.due_count
    text = flat(pdf_text(out.read_bytes()))
    assert _due_line(figures) in text and _due_line(bundled) not in text
