"""活动签到表 (issue 19): the invited children's names, gender and age on the activity's day, blank
rows for others, the activity's facts — and no ID number or address on a sheet everyone signs."""

from __future__ import annotations

from datetime import timedelta

from app.domain.activity import Activity, ActivityKind
from app.domain.ages import calendar_age
from app.printing.sign_in_sheet import BLANK_ROWS, load_sign_in_sheet, sign_in_sheet_pdf
from app.services.activities import ActivityService
from app.services.children import ChildService
from storage.vault import Vault
from tests.printing.conftest import TODAY, VILLAGE
from tests.printing.helpers import flat, page_count, pdf_text


def test_sign_in_sheet_lists_the_invited_children(filled_vault: Vault) -> None:
    children = [s for s in ChildService(filled_vault, author="").list_all()[0] if s.value.id_number]
    invited = children[:12]
    on = TODAY + timedelta(days=5)  # printed before the day
    stored = ActivityService(filled_vault, author="王", today=lambda: TODAY).record(
        Activity(
            on=on,
            kind=ActivityKind.PARENT_CLASS,
            title="红色监护课堂：亲子沟通",
            village_code=VILLAGE,
            organiser="罗云镇社工站",
            place="石岗村村委会",
            invited=[s.record_id for s in invited],
        )
    )
    pdf = sign_in_sheet_pdf(filled_vault, stored.record_id, printed_on=TODAY)
    text = flat(pdf_text(pdf))
    facts = ["活动签到表", "红色监护课堂：亲子沟通", "家长课堂", "罗云镇社工站", "石岗村村委会"]
    for fact in facts:
        assert fact in text
    assert "邀请儿童12名" in text
    for s in invited:
        assert flat(s.value.name) in text
        assert s.value.id_number not in text  # minimum necessary
        assert flat(s.value.address) not in text or not s.value.address
        assert f"{calendar_age(s.value.birth_date, on)}岁" in text
    assert str(len(invited) + BLANK_ROWS) in text  # numbered blank rows
    assert page_count(pdf) == 1
    data = load_sign_in_sheet(filled_vault, stored.record_id)
    assert [c.name for c in data.children] == [s.value.name for s in invited]
