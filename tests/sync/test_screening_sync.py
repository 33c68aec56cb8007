"""Screenings and referrals (issue 19) sync like other child-linked records: a 建议转介 screening
made on one laptop reaches a colleague in the same village through the real district server on
loopback with its referral, and the colleague's follow-up comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.domain.referral import REFERRAL_TYPE
from app.questionnaire.loader import load_screening_definition
from app.services.screening import ReferralService, ScreeningService
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.services.test_screening import TODAY, answers, children_of, screen
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_laptop_pulled_updates import district_dir, enrolled, publish  # noqa: F401


def _enrolled(district: District, url: str, vault: Vault, who: str) -> LaptopSync:
    engine = LaptopSync(vault, author=who, sleep=lambda _s: None)
    engine.enroll_network(url, district.create_enroll_code([VILLAGE_A], 3600), label=who)
    return engine


def test_screenings_and_referrals_reach_a_colleague(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    first, second = vaults("a"), vaults("b")
    one = _enrolled(sqlite_district, server.url, first, "王")
    two = _enrolled(sqlite_district, server.url, second, "李")
    kids = children_of(first, VILLAGE_A)
    screenings = ScreeningService(
        first, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    harm = screen(screenings, kids[0], sh_self_harm="talk")
    report = one.sync_now()
    assert not report.rejected, report
    two.sync_now()
    theirs = ScreeningService(
        second, [load_screening_definition()], author="李", today=lambda: TODAY
    )
    assert theirs.get(harm).value.level == "refer"
    (referral,) = ReferralService(second, author="李", today=lambda: TODAY).list_all()
    assert referral.value.screening_id == harm
    # the colleague records the referral; it comes back
    ReferralService(second, author="李", today=lambda: TODAY).record_referred(
        referral.record_id, "区精神卫生中心", TODAY
    )
    assert not two.sync_now().rejected
    one.sync_now()
    back = ReferralService(first, author="王", today=lambda: TODAY).get(referral.record_id)
    assert back.value.referred_to == "区精神卫生中心"
    assert first.load(REFERRAL_TYPE).revisions


def test_a_self_harm_screening_goes_first(vaults: Any, sqlite_district: District) -> None:
    from storage import outbox
    from sync.laptop.batches import urgent_children
    from tests.sync.conftest import enroll

    dev = enroll(sqlite_district, vaults("a"), [VILLAGE_A])
    vault = dev.vault
    kids = children_of(vault, VILLAGE_A)
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    screen(screenings, kids[0], mo_low="often", sl_sleep="often", be_withdrawn="often")
    assert kids[0][0] not in urgent_children(outbox.unsent(vault))  # refer, no self-harm
    screen(screenings, kids[1], sh_self_harm="talk")
    assert kids[1][0] in urgent_children(outbox.unsent(vault))


def test_the_district_publishes_its_own_screening_instrument(
    server: ServerThread,
    sqlite_district: District,
    district_dir: Path,  # noqa: F811 (the fixture imported above)
    vaults: Any,
) -> None:
    """``childdesk-district publish --kind questionnaire`` of its own psych_screening (a lower
    建议关注 threshold): after a sync new screenings use it, finished ones keep theirs, and the
    guardianship assessment is untouched."""
    import json

    from app.questionnaire.loader import SCREENING_DEFINITION_RESOURCE, load_default_definition
    from app.services.definitions import DefinitionService
    from app.services.screening import screening_definition
    from resources import resource_path

    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    kids = children_of(vault, VILLAGE_A)
    definitions = DefinitionService(vault)
    before = screening_definition(definitions)
    service = ScreeningService(
        vault, definitions.questionnaires(), author="王", today=lambda: TODAY
    )
    old = screen(service, kids[0], sl_sleep="sometimes", mo_low="sometimes")
    assert service.get(old).value.level == "clear"
    body = json.loads(resource_path(*SCREENING_DEFINITION_RESOURCE).read_text("utf-8"))
    body["version"] = "2.0"
    body["title"] = "儿童心理状况初步筛查表（区修订）"
    body["grading"]["thresholds"][1]["min"] = 2
    assert publish(district_dir, sqlite_district, "questionnaire", body) == 0
    assert laptop.sync_now().definitions_installed == 1
    current = screening_definition(definitions)
    assert (before.version, current.version) == ("1.0.0", "2.0")
    assert definitions.questionnaire() == load_default_definition()  # the default unchanged
    service = ScreeningService(
        vault, definitions.questionnaires(), author="王", today=lambda: TODAY
    )
    started = service.start(kids[1][0], current, ["王"])
    service.save_draft(
        started.record_id, answers(kids[1][1], sl_sleep="sometimes", mo_low="sometimes")
    )
    _stored, result = service.finish(started.record_id)
    assert (result.level, result.definition_version) == ("watch", "2.0")
    assert service.get(old).value.definition_version == "1.0.0"
    assert service.definition_for(service.get(old).value).version == "1.0.0"
