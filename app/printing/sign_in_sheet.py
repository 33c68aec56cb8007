"""活动签到表: printed before an activity with the invited children's names, signed on the day by
each child (or a guardian for the little ones), with blank rows for others who come.

Only what a sign-in sheet needs: name, gender, age — no ID number, no address, no category
(a sheet lies on a table where everyone signs; minimum necessary, PIPL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable

from app.domain.activity import ACTIVITY_TYPE, Activity
from app.domain.ages import calendar_age
from app.domain.child_file import GENDER_LABELS_ZH, ChildFile
from app.printing.forms import Label, form_table, gap, list_table, markup, signature_block, text
from app.printing.markup import para_text, zh_date
from app.printing.page import Letterhead, build_pdf
from app.services.children import CHILD_TYPE
from storage.errors import RecordNotFoundError
from storage.vault import Vault

TITLE = "活动签到表"
BLANK_ROWS = 5  # for children and guardians who come without being invited


@dataclass(frozen=True)
class SignInSheetData:
    activity_id: str
    activity: Activity
    children: list[ChildFile]  # the invited (else the attending) children, in the order listed
    letterhead: Letterhead


def load_sign_in_sheet(vault: Vault, activity_id: str) -> SignInSheetData:
    revision = vault.get(activity_id)
    if revision.record_type != ACTIVITY_TYPE or revision.deleted:
        raise RecordNotFoundError(activity_id)
    activity = Activity.from_json(revision.data)
    children = []
    for child_id in activity.invited or activity.attended:
        try:
            child = vault.get(child_id)
        except RecordNotFoundError:
            continue
        if child.record_type == CHILD_TYPE and not child.deleted:
            children.append(ChildFile.from_json(child.data))
    return SignInSheetData(
        activity_id=activity_id,
        activity=activity,
        children=children,
        letterhead=Letterhead.from_profile(vault.profile(), activity.village_code or None),
    )


def sign_in_story(data: SignInSheetData) -> list[Flowable]:
    activity = data.activity
    about = form_table(
        [
            [Label("活动名称"), activity.title, None, None],
            [Label("活动类型"), activity.kind_zh, Label("活动日期"), zh_date(activity.on)],
            [
                Label("组织单位"),
                activity.organiser or "—",
                Label("活动地点"),
                activity.place or "—",
            ],
        ],
        [0.16, 0.34, 0.16, 0.34],
        spans=[((1, 0), (3, 0))],
    )
    rows: list[list[object]] = []
    for index, child in enumerate(data.children, start=1):
        rows.append(
            [
                str(index),
                child.name,
                GENDER_LABELS_ZH.get(child.gender, ""),
                f"{calendar_age(child.birth_date, activity.on)}岁",
                "",
                "",
            ]
        )
    for index in range(len(rows) + 1, len(rows) + 1 + BLANK_ROWS):
        rows.append([str(index), "", "", "", "", ""])
    table = list_table(
        ["序号", "儿童姓名", "性别", "年龄", "本人或监护人签名", "备注"],
        rows,
        [0.08, 0.20, 0.08, 0.09, 0.35, 0.20],
    )
    invited = len(data.children)
    return [
        markup(TITLE, "title"),
        markup(f"活动编号：{para_text(data.activity_id)}", "small_right"),
        gap(2),
        about,
        gap(3),
        text(
            f"邀请儿童{invited}名。请参加的儿童本人签名，年幼儿童由监护人代签；"
            "未在名单上的参加者请写在空白行。",
            "body",
        ),
        gap(1),
        table,
        gap(3),
        text("其他参加人员（志愿者、家长等）人数：________ 人", "body"),
        signature_block(["活动组织人", "儿童主任"]),
    ]


def render_sign_in_sheet(data: SignInSheetData, *, printed_on: date) -> bytes:
    """活动签到表 as PDF bytes (in memory)."""
    return build_pdf(
        sign_in_story(data), title=TITLE, letterhead=data.letterhead, printed_on=printed_on
    )


def sign_in_sheet_pdf(vault: Vault, activity_id: str, *, printed_on: date) -> bytes:
    return render_sign_in_sheet(load_sign_in_sheet(vault, activity_id), printed_on=printed_on)
