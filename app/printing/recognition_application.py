"""事实无人抚养儿童认定申请表: the application as the guardian signs it on paper (issue 17) —
the child, each parent's situation as the recognition helper read it, the helper's reasoning,
the materials to attach, the guardian's and the director's signatures, and space for the town's
查验 and the district's 复核确认."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.platypus import Flowable

from app.domain import recognition_application as ra
from app.domain.child_file import ChildFile
from app.domain.recognition_application import RECORD_TYPE
from app.printing.child_blocks import child_identity_table
from app.printing.forms import (
    Label,
    WritingLines,
    form_table,
    gap,
    markup,
    section,
    signature_block,
    text,
    tick_boxes,
)
from app.printing.markup import para_text
from app.printing.page import Letterhead, build_pdf
from app.printing.sources import PrintInputError
from storage.errors import RecordNotFoundError
from storage.vault import Vault

TITLE = "事实无人抚养儿童认定申请表"
TOWN_CHOICES = [("查验通过", False), ("退回补充材料", False), ("查验不通过", False)]
DISTRICT_CHOICES = [("予以认定", False), ("不予认定", False)]


@dataclass(frozen=True)
class ApplicationFormData:
    application_id: str
    application: dict[str, Any]
    child: ChildFile
    letterhead: Letterhead
    attached: tuple[str, ...] = ()  # the material files kept with it (names)


def read_application_form(vault: Vault, application_id: str) -> ApplicationFormData:
    try:
        record = vault.get(application_id)
    except RecordNotFoundError:
        raise PrintInputError(
            f"application {application_id} does not exist", "找不到这份认定申请。"
        ) from None
    if record.record_type != RECORD_TYPE:
        raise PrintInputError(f"{application_id} is not an application", "这不是认定申请。")
    child = ChildFile.from_json(vault.get(str(record.data["child_id"])).data)
    letterhead = Letterhead.from_profile(vault.profile(), child.village_code)
    attached = tuple(
        str(r.data.get("filename", ""))
        for r in vault.load("attachment").revisions
        if r.data.get("owner_id") == application_id
    )
    return ApplicationFormData(application_id, dict(record.data), child, letterhead, attached)


def application_form_story(data: ApplicationFormData, *, on: date) -> list[Flowable]:
    app = data.application
    facts = app.get("facts") or {}
    parent_rows: list[list[Any]] = [
        [Label(ra.PARENTS_ZH[key]), ra.parent_situations_zh(facts.get(key) or {})]
        for key in ("father", "mother")
    ]
    reasons = [str(r) for r in app.get("helper_reasons") or []]
    materials = [str(m) for m in app.get("materials") or []]
    attached = (
        [
            text(
                f"已随申请报送的材料文件（{len(data.attached)}份）：" + "、".join(data.attached),
                "small",
            )
        ]
        if data.attached
        else []
    )
    return [
        markup(TITLE, "title"),
        markup(f"申请编号：{para_text(data.application_id)}", "small_right"),
        gap(2),
        section("一、儿童基本情况"),
        child_identity_table(data.child, on=on, level=None),
        gap(4),
        section("二、父母情况"),
        form_table(parent_rows, [0.16, 0.84]),
        gap(4),
        section("三、情况说明（认定助手的判断，仅供参考）"),
        text(str(app.get("helper_summary") or "—"), "body"),
        *[text(f"· {r}", "body") for r in reasons],
        gap(4),
        section("四、所附材料"),
        *[markup(tick_boxes([(m, False)]), "body") for m in materials],
        markup(tick_boxes([("其他材料：", False)]) + "________________________________", "body"),
        *attached,
        gap(4),
        section("五、申请人声明"),
        text("以上情况属实，申请认定为事实无人抚养儿童。", "body"),
        signature_block(["监护人（申请人）", "村（社区）儿童主任"]),
        gap(6),
        section("六、乡镇（街道）查验意见（10个工作日内）"),
        markup(tick_boxes(TOWN_CHOICES, "　　"), "body"),
        text("意见或理由：", "body"),
        WritingLines(2),
        signature_block(["查验人"]),
        gap(6),
        section("七、区民政局复核确认意见"),
        markup(tick_boxes(DISTRICT_CHOICES, "　　"), "body"),
        text("意见或理由：", "body"),
        WritingLines(2),
        signature_block(["复核人"]),
    ]


def render_application_form(data: ApplicationFormData, *, printed_on: date) -> bytes:
    """事实无人抚养儿童认定申请表 as PDF bytes (in memory)."""
    return build_pdf(
        application_form_story(data, on=printed_on),
        title=TITLE,
        letterhead=data.letterhead,
        printed_on=printed_on,
    )


def recognition_application_pdf(vault: Vault, application_id: str, *, printed_on: date) -> bytes:
    """The 申请表 of one application, with the file name to suggest
    (认定申请表-<child>-<printed on>.pdf). Call on the vault worker."""
    from app.printing.file_names import PrintedPdf, suggested_file_name

    data = read_application_form(vault, application_id)
    name = suggested_file_name("认定申请表", child_name=data.child.name, on=printed_on)
    return PrintedPdf(render_application_form(data, printed_on=printed_on), name)
