"""What a laptop pulls from the district besides record revisions, against the real district
server on loopback (uvicorn, SQLite) and real vaults: schedule rules and questionnaire versions
the district publishes (checked, installed, then used), attachments written by a colleague in
the same village (checked against their hash, stored encrypted), a tampered file, the same
changes applied twice, and the USB path."""

from __future__ import annotations

import io
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.demo_caseload import fill_vault
from app.domain.schedule import ScheduleFacts, load_schedule, next_due
from app.printing import assessment_report_pdf
from app.questionnaire import load_default_definition
from app.questionnaire.loader import bundled_definition_path
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import AssessmentService
from app.services.caseload import Caseload
from app.services.definitions import DefinitionService
from resources import resource_path
from storage import definitions_store
from storage.crypto import KdfParams
from storage.vault import Vault
from sync import district_cli
from sync.keys import KeyPair, write_keystore
from sync.laptop.engine import LaptopSync
from sync.laptop.state import SyncReport
from sync.server import db
from sync.server.district import District
from tests.conftest import PASSWORD, run_cli
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_district_cli import FAST_KDF, PASSPHRASE
from tests.sync.test_district_core import TODAY
from ui.sync_texts import messages_zh

MARKER = "隐私标记-MARKER-7f3a9c".encode()


def no_sleep(_s: float) -> None:
    return None


def enrolled(district: District, url: str, vault: Vault) -> LaptopSync:
    engine = LaptopSync(vault, author="王", sleep=no_sleep)
    engine.enroll_network(url, district.create_enroll_code([VILLAGE_A], 3600), label="一村")
    return engine


@pytest.fixture
def district_dir(tmp_path: Path, district_keys: KeyPair) -> Path:
    """An operator's data folder for ``childdesk-district`` holding the test district's keys
    (the database is the test server's, given with --db)."""
    folder = tmp_path / "district-admin"
    folder.mkdir()
    write_keystore(
        folder / district_cli.KEYSTORE_NAME,
        district_keys,
        PASSPHRASE,
        kdf=KdfParams.from_json(json.loads(FAST_KDF)),
    )
    return folder


def publish(
    district_dir: Path, district: District, kind: str, body: dict[str, Any], *extra: str
) -> int:
    """``childdesk-district publish`` in this process, on the test server's database."""
    path = district_dir / f"{kind}-{random.randrange(10**9)}.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    url = str(district.engine.url)
    return district_cli.main(
        ["publish", "--kind", kind, str(path), *extra, "--data-dir", str(district_dir), "--db", url]
    )


def schedule_body(green_days: int, version: str) -> dict[str, Any]:
    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    for rule in body["rules"]:
        if rule["id"] == "level_green":
            rule["max_interval_days"] = green_days
            rule["reason_zh"] = f"绿色（监护能力正常）：每 {green_days} 天至少走访1次"
    body["version"] = version
    return dict(body)


def questionnaire_body(version: str, title: str) -> dict[str, Any]:
    body = json.loads(bundled_definition_path().read_text("utf-8"))
    body["version"] = version
    body["title"] = title
    return dict(body)


def vault_bytes(vault: Vault) -> bytes:
    """Every file of the vault folder (database, WAL, blobs …), concatenated."""
    return b"".join(p.read_bytes() for p in sorted(vault.paths.root.rglob("*")) if p.is_file())


def blob_files(vault: Vault) -> list[Path]:
    return sorted(vault.paths.attachments.rglob("*.cda"))


def green(last_visit: date) -> ScheduleFacts:
    return ScheduleFacts("c", frozenset(), "green", last_visit, None, last_visit)


# ----- definitions ---------------------------------------------------------------------------


def test_published_schedule_rules_change_due_dates(
    server: ServerThread,
    sqlite_district: District,
    district_dir: Path,
    vaults: Any,
    tmp_path: Path,
) -> None:
    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    fill_vault(vault, children=12, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    definitions = DefinitionService(vault)
    bundled = definitions.schedule()
    assert bundled == load_schedule()
    day = date(2026, 9, 1)
    assert next_due(green(day), bundled).due == day + timedelta(days=90)

    assert publish(district_dir, sqlite_district, "schedule", schedule_body(60, "2")) == 0
    report = laptop.sync_now()
    assert report.definitions_installed == 1 and report.definitions_refused == 0
    said = messages_zh(report.messages)
    assert any("走访频次规则「走访频次默认规则」（第2版）" in m for m in said)
    assert not any("visit_schedule" in m for m in said)  # never the id

    # the same service object notices the installed rules without being rebuilt
    current = definitions.schedule()
    assert current.version == "2"
    assert next_due(green(day), current).due == day + timedelta(days=60)
    assert DefinitionService(vault).schedule() == current
    # kept encrypted, local-only: never sent back, nothing pending
    assert laptop.status().pending == 0
    assert b"level_green" not in vault_bytes(vault)

    # a second sync installs nothing again; a newer publication wins
    assert laptop.sync_now().definitions_installed == 0
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(45, "3")) == 0
    assert laptop.sync_now().definitions_installed == 1
    assert next_due(green(day), definitions.schedule()).due == day + timedelta(days=45)
    versions = [d.version for d in definitions_store.installed(vault, "schedule")]
    assert versions == ["2", "3"]  # every version kept, in publication order

    # the command line uses them too: `childdesk children list` with the vault open
    caseload = Caseload.open(vault)
    expected = {
        s.child_id: next_due(s.schedule_facts, definitions.schedule()).due.isoformat()
        for s in caseload.summaries.values()
        if s.active
    }
    old = {
        s.child_id: next_due(s.schedule_facts, bundled).due.isoformat()
        for s in caseload.summaries.values()
        if s.active
    }
    assert expected != old  # some child's due date moved with the rules
    root = vault.paths.root
    vault.lock()
    result = run_cli(
        "children", "list", "--json", "--password-stdin", stdin=PASSWORD + "\n", data_dir=root
    )
    assert result.returncode == 0, result.stderr
    listed = {c["id"]: c["next_due"] for c in json.loads(result.stdout)["children"]}
    assert {k: v for k, v in listed.items() if k in expected} == expected


def test_desk_services_follow_installed_definitions(
    server: ServerThread, sqlite_district: District, district_dir: Path, vaults: Any
) -> None:
    pytest.importorskip("PySide6")
    from ui.desk_services import DeskServices
    from ui.tasks import InlineRunner

    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    desk = DeskServices.for_vault(vault, InlineRunner(), today=lambda: TODAY)
    assert desk.schedule == load_schedule()
    assert desk.definition == load_default_definition()
    before = desk.assessments
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(60, "2")) == 0
    body = questionnaire_body("2.0.0", "困境儿童家庭监护能力评估表（新版）")
    assert publish(district_dir, sqlite_district, "questionnaire", body) == 0
    assert laptop.sync_now().definitions_installed == 2
    assert desk.schedule.version == "1"  # the GUI's desk reads memory only, never the vault
    assert desk.refresh_definitions()  # the 同步 page runs this on the vault worker after a sync
    assert desk.schedule.version == "2"
    assert desk.definition.version == "2.0.0"
    assert desk.assessments is not before  # rebuilt: knows the new version
    child = vault.put("child", {"village_code": VILLAGE_A, "name": "测试"}, author="王")
    started = desk.assessments.start(child.record_id, desk.definition, ["王"])
    assert desk.assessments.definition_for(started.value).version == "2.0.0"


def test_published_questionnaire_for_new_assessments_old_ones_keep_theirs(
    server: ServerThread, sqlite_district: District, district_dir: Path, vaults: Any
) -> None:
    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    fill_vault(vault, children=3, seed=8, village_code=VILLAGE_A, today=TODAY, author="王")
    definitions = DefinitionService(vault)
    bundled = definitions.questionnaire()
    service = AssessmentService(
        vault, definitions.questionnaires(), author="王", today=lambda: TODAY
    )
    old = next(a for a in service.list_all() if a.value.status == "finished")
    assert old.value.definition_version == bundled.version

    title = "困境儿童家庭监护能力评估表（2027年修订）"
    assert (
        publish(district_dir, sqlite_district, "questionnaire", questionnaire_body("2.0.0", title))
        == 0
    )
    report = laptop.sync_now()
    assert report.definitions_installed == 1

    newest = definitions.questionnaire()
    assert (newest.id, newest.version, newest.title) == (bundled.id, "2.0.0", title)
    service = AssessmentService(
        vault, definitions.questionnaires(), author="王", today=lambda: TODAY
    )
    # the old assessment still loads with the version it was made with
    assert service.definition_for(service.get(old.record_id).value).version == bundled.version
    # a new one uses the district's version, is finished and printed with it
    child_id = old.value.child_id
    started = service.start(child_id, newest, ["王"])
    assert started.value.definition_version == "2.0.0"
    answers = sample_answers(newest, random.Random(3), TODAY)
    service.save_draft(started.record_id, answers)
    finished, _result = service.finish(started.record_id)
    assert finished.value.definition_version == "2.0.0"
    pdf = assessment_report_pdf(
        vault, started.record_id, printed_on=TODAY, definitions=definitions.questionnaires()
    )
    assert pdf.startswith(b"%PDF")
    # it also prints where only the bundled version is known (the version is not bundled)
    assert assessment_report_pdf(vault, started.record_id, printed_on=TODAY).startswith(b"%PDF")
    assert assessment_report_pdf(vault, old.record_id, printed_on=TODAY).startswith(b"%PDF")
    # a laptop without the new version still loads the assessment itself
    bundled_only = AssessmentService(vault, [bundled], author="王", today=lambda: TODAY)
    assert bundled_only.get(started.record_id).value.definition_version == "2.0.0"


def test_invalid_definitions_are_refused_at_publish_and_on_the_laptop(
    server: ServerThread,
    sqlite_district: District,
    district_dir: Path,
    vaults: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    bad_schedule = schedule_body(60, "2")
    bad_schedule["rules"][0]["max_interval_days"] = 0
    bad_questionnaire = questionnaire_body("2.0.0", "坏的评估表")
    bad_questionnaire["items"][0]["items"][1]["constraint"] = ". <= today( and"
    # the command refuses them, one English line, nothing published
    assert publish(district_dir, sqlite_district, "schedule", bad_schedule) == 1
    assert publish(district_dir, sqlite_district, "questionnaire", bad_questionnaire) == 1
    assert "not published" in capsys.readouterr().err
    assert laptop.sync_now().definitions_installed == 0
    # published anyway (an older server, a hand-edited database): the laptop refuses them too
    sqlite_district.publish("schedule", "visit_schedule", "2", bad_schedule)
    sqlite_district.publish("questionnaire", "guardianship_capacity", "2.0.0", bad_questionnaire)
    sqlite_district.publish("schedule", "visit_schedule", "9", schedule_body(60, "8"))  # mismatch
    report = laptop.sync_now()
    assert report.definitions_installed == 0 and report.definitions_refused == 3
    refused = [m for m in messages_zh(report.messages) if "没有通过检查" in m]
    assert len(refused) == 3 and any("评估表「坏的评估表」（第2版）" in m for m in refused)
    assert not any("visit_schedule" in m or "guardianship_capacity" in m for m in refused)
    assert definitions_store.installed(vault) == []
    definitions = DefinitionService(vault)
    assert definitions.schedule() == load_schedule()
    assert definitions.questionnaire() == load_default_definition()
    # a version already published cannot be published again with other content
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(60, "5")) == 0
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(61, "5")) == 1
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(60, "5")) == 0
    # --version publishes the file as that version
    assert (
        publish(district_dir, sqlite_district, "schedule", schedule_body(30, "5"), "--version", "6")
        == 0
    )
    assert laptop.sync_now().definitions_installed == 2
    assert definitions.schedule().version == "6"


def test_installed_definition_that_stops_passing_is_skipped(vaults: Any) -> None:
    vault = vaults("a")
    good = schedule_body(60, "2")
    definitions_store.install(
        vault, kind="schedule", name="visit_schedule", version="2", sha256="x", body=good
    )
    broken = schedule_body(60, "3")
    del broken["rules"]
    definitions_store.install(
        vault, kind="schedule", name="visit_schedule", version="3", sha256="y", body=broken
    )
    assert DefinitionService(vault).schedule().version == "2"


# ----- attachments ---------------------------------------------------------------------------


def _colleagues_with_attachment(
    sqlite_district: District, server: ServerThread, vaults: Any
) -> tuple[LaptopSync, LaptopSync, str, bytes]:
    a = enrolled(sqlite_district, server.url, vaults("a"))
    child = a.vault.put("child", {"village_code": VILLAGE_A, "name": "附件儿童"}, author="王")
    content = b"%PDF-1.4 scanned " + MARKER + bytes(range(256)) * 700  # > two 64 KiB chunks
    attachment = a.vault.add_attachment(
        io.BytesIO(content),
        owner_id=child.record_id,
        filename="残疾证.pdf",
        mime="application/pdf",
        author="王",
    )
    report = a.sync_now()
    assert report.rejected == 0 and a.status().pending == 0
    b = enrolled(sqlite_district, server.url, vaults("b"))
    return a, b, attachment.record_id, content


def test_attachment_from_a_colleague_is_pulled_and_stored_encrypted(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    _a, b, attachment_id, content = _colleagues_with_attachment(sqlite_district, server, vaults)
    report = b.sync_now()
    assert report.attachments_received == 1 and report.attachments_refused == 0
    assert b"".join(b.vault.read_attachment(attachment_id)) == content
    record = b.vault.get(attachment_id)
    assert record.data["filename"] == "残疾证.pdf"
    assert len(blob_files(b.vault)) == 1
    assert MARKER not in vault_bytes(b.vault)  # encrypted on disk, records and blob alike
    # nothing to send back, nothing twice
    assert b.status().pending == 0
    again = b.sync_now()
    assert again.pulled == 0 and again.attachments_received == 0
    assert len(blob_files(b.vault)) == 1
    from storage.verify import verify_vault

    checked = verify_vault(b.vault)
    assert checked.healthy and checked.attachments_checked == 1 and not checked.orphan_blobs


def test_tampered_attachment_is_not_stored_and_a_later_pull_applies_it(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    _a, b, attachment_id, content = _colleagues_with_attachment(sqlite_district, server, vaults)
    with sqlite_district.engine.begin() as conn:
        conn.execute(update(db.blobs).values(data=content[:-1] + b"X"))
    report = b.sync_now()
    assert report.attachments_refused == 1 and report.attachments_received == 0
    assert any("附件" in m and "没有保存" in m for m in messages_zh(report.messages))
    assert b.vault.load("child").revisions  # the rest of the response was applied
    assert not b.vault.load("attachment").revisions
    assert blob_files(b.vault) == []
    # still refused while the district's copy is bad; nothing partial is left behind
    assert b.sync_now().attachments_refused == 1
    assert blob_files(b.vault) == []
    # the district's copy is repaired: the next pull applies it
    with sqlite_district.engine.begin() as conn:
        conn.execute(update(db.blobs).values(data=content))
    report = b.sync_now()
    assert report.attachments_received == 1 and report.attachments_refused == 0
    assert b"".join(b.vault.read_attachment(attachment_id)) == content
    assert report.pulled == 1  # only the attachment: the child was not applied twice
    assert b.sync_now().pulled == 0


def test_usb_response_applies_definitions_and_attachments_once(
    server: ServerThread,
    sqlite_district: District,
    district_dir: Path,
    vaults: Any,
    tmp_path: Path,
) -> None:
    _a, b, attachment_id, content = _colleagues_with_attachment(sqlite_district, server, vaults)
    assert publish(district_dir, sqlite_district, "schedule", schedule_body(60, "2")) == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    response = sqlite_district.changes(b.vault.device_id, "", with_receipts=True)
    (stick / f"{b.vault.device_id}.cdresponse").write_bytes(response)
    report, problems = b.import_folder(stick)
    assert problems == []
    assert report.attachments_received == 1 and report.definitions_installed == 1
    assert b"".join(b.vault.read_attachment(attachment_id)) == content
    assert DefinitionService(b.vault).schedule().version == "2"
    counts = (len(b.vault.load("child").revisions), len(blob_files(b.vault)), b.vault.last_seq())
    # the same stick again, and the same file through `childdesk import-response` logic
    again, problems = b.import_folder(stick)
    assert problems == [] and again.pulled == 0
    assert again.attachments_received == 0 and again.definitions_installed == 0
    replay = SyncReport(via="usb")
    b.apply_changes(response, replay)
    assert replay.pulled == 0 and replay.definitions_installed == 0
    after = (len(b.vault.load("child").revisions), len(blob_files(b.vault)), b.vault.last_seq())
    assert after == counts
    assert len(definitions_store.installed(b.vault)) == 1


def test_usb_response_with_a_tampered_attachment_leaves_the_cursor_to_ask_again(
    server: ServerThread, sqlite_district: District, vaults: Any, tmp_path: Path
) -> None:
    _a, b, attachment_id, content = _colleagues_with_attachment(sqlite_district, server, vaults)
    with sqlite_district.engine.begin() as conn:
        conn.execute(update(db.blobs).values(data=b"not the file"))
    response = sqlite_district.changes(b.vault.device_id, "", with_receipts=True)
    report = SyncReport(via="usb")
    b.apply_changes(response, report)
    assert report.attachments_refused == 1
    assert b.cursor() == ""  # the next response starts where this one did
    with sqlite_district.engine.begin() as conn:
        conn.execute(update(db.blobs).values(data=content))
    fixed = sqlite_district.changes(b.vault.device_id, b.cursor(), with_receipts=True)
    report = SyncReport(via="usb")
    b.apply_changes(fixed, report)
    assert report.attachments_received == 1
    assert b"".join(b.vault.read_attachment(attachment_id)) == content
    assert b.cursor() != ""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
