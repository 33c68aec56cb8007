"""A mandatory report filed on a laptop from a psychological screening that found self-harm
(issue 19) reaches the district console over a real sync, and the console's report page says
its source is 心理状况筛查 — not 监护能力评估, as it said before the screening source existed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.demo_caseload import fill_vault
from app.questionnaire.loader import load_screening_definition
from app.services.screening import ScreeningService
from app.services.workflows import WorkflowService
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.site import Site
from tests.console.test_query_tables import TODAY
from tests.services.test_screening import answers
from tests.sync.conftest import VILLAGE_A


def test_the_console_shows_a_screening_as_the_reports_source(
    site: Site, vault_templates: object, tmp_path: Path
) -> None:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    vault = copies.open(tmp_path / "a", village_code=VILLAGE_A).vault
    try:
        fill_vault(vault, children=2, seed=7, village_code=VILLAGE_A, today=TODAY, author="王")
        child = next(r for r in vault.load("child").revisions)
        facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
        sync = LaptopSync(vault, author="王", sleep=lambda _s: None)
        sync.enroll_network(site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600))
        screenings = ScreeningService(
            vault, [load_screening_definition()], author="王", today=lambda: TODAY
        )
        started = screenings.start(child.record_id, load_screening_definition(), ["王"])
        birth = date.fromisoformat(child.data["birth_date"])
        screenings.save_draft(started.record_id, answers(birth, sh_self_harm="talk"))
        screenings.finish(started.record_id)
        flows = WorkflowService(vault, author="王", today=lambda: TODAY)
        draft = flows.report_draft(assessment_id=started.record_id)
        report_id = flows.file_report(
            child.record_id,
            source="assessment",  # what the laptop's form sends for any result
            source_id=started.record_id,
            seen=draft["seen"],
            seen_at=TODAY.isoformat(),
            at_risk="孩子本人",
            immediate_danger=False,
            told=draft["told"],
            concern=draft["concern"],
        )
        assert sync.sync_now().rejected == 0

        client = site.sign_in(site.add("镇督导-筛查", "town", (VILLAGE_A[:9],)))
        try:
            page = client.get(f"/console/reports/{report_id}")
            assert page.status_code == 200, page.text[:300]
            assert "<dt>来源</dt><dd>心理状况筛查</dd>" in page.text
            assert "监护能力评估" not in page.text
        finally:
            client.close()
    finally:
        copies.lock_all()
