"""典型案例 anonymised (issue 19, second pass): what the first anonymiser missed — a
one-character given name's pet forms (王丽: 丽丽, 小丽, 阿丽, 丽妹), the guardians' and the caring
mother's pet names, the village and the school named in the story — and what it must not do:
mangle everyday words that hold the name's character (美丽, 明天, 说明, 明明知道). Those are left
standing and listed for the director to review before printing; anything identifying that
still survives stops the print. Proven on a real vault, the PDF read back with pdftotext."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.categories import GuardianRelation
from app.domain.child_file import CaringMother, ChildFile, Gender, Guardian
from app.domain.id_number import fictional_sequence, make_id_number
from app.domain.typical_case import (
    TypicalCase,
    anonymise,
    house_in,
    identifying,
    identifying_data_in,
    mentions_to_review,
    name_variants,
    school_forms,
    split_name,
    split_names,
    villages_in,
)
from app.printing.year_summary import (
    IdentifyingDataError,
    printed_case,
    review_notes,
    year_summary_pdf,
    year_summary_review,
)
from app.services.children import ChildService
from app.services.stored import Stored
from app.services.typical_cases import TypicalCaseService, identifying_of
from app.services.year_summary import Period, SummaryRecords, year_summary
from storage.vault import Vault
from tests.printing.conftest import TODAY, VILLAGE
from tests.printing.helpers import flat, pdf_text

NAME = "王丽"
BORN = date(2015, 3, 8)
ID_NUMBER = make_id_number("500119", BORN, fictional_sequence(7, "female"))
ADDRESS = "罗云镇石岗村七组23号"
HUKOU = "重庆市南川区罗云镇石岗村"
SCHOOL = "南川区罗云镇中心小学"
GRANDMOTHER = Guardian(
    GuardianRelation.GRANDMOTHER,
    "陈秀英",
    make_id_number("500119", date(1956, 6, 1), fictional_sequence(8, "female")),
    "13912345678",
)
MOTHER = CaringMother("刘芳", "13698765432")

STORY = TypicalCase(
    child_id="",
    written_on=TODAY - timedelta(days=5),
    title=f"陪伴{NAME}走出阴霾",
    situation=(
        f"{NAME}（小名丽丽）今年11岁，住在石岗村七组，在罗云镇中心小学读五年级。"
        "父亲服刑在押，母亲失联，由奶奶陈秀英照料。奶奶常说：“小丽很懂事。”"
    ),
    actions=(
        "儿童主任每周入户，说明政策；爱心妈妈刘芳与阿丽结对，芳姐每月带丽妹去镇上。"
        "老师反映丽说她想妈妈，明天起学校安排心理老师谈话。"
    ),
    outcome="丽丽笑容多了，作文《美丽的石岗》在罗云中心小学获奖。",
    lessons="多方联动，明明白白把政策讲清楚。",
)


def _child() -> ChildFile:
    return ChildFile(
        name=NAME,
        gender=Gender.FEMALE,
        birth_date=BORN,
        village_code=VILLAGE,
        id_number=ID_NUMBER,
        address=ADDRESS,
        hukou=HUKOU,
        school=SCHOOL,
        guardians=[GRANDMOTHER],
        caring_mother=MOTHER,
    )


# ----- the pieces ---------------------------------------------------------------------------


def test_names_are_split_at_the_surname_and_their_written_forms_listed() -> None:
    assert split_name("王丽") == ("王", "丽")
    assert split_name("欧阳明月") == ("欧阳", "明月")
    assert split_name("龙 雨桐") == ("龙", "雨桐")
    assert set(name_variants("王丽")) == {"王丽", "丽丽", "小丽", "阿丽", "丽娃", "丽妹"}
    assert set(name_variants("龙雨桐")) == {"龙雨桐", "雨桐", "龙雨", "桐桐", "小桐", "阿桐"}
    # a compound surname is never replaced on its own (欧阳 is someone else's surname too)
    assert "欧阳" not in name_variants("欧阳明月") and "明月" in name_variants("欧阳明月")
    # pet forms that are everyday words are not replaced: 明明 (clearly), 小心, 天天
    assert set(name_variants("王明")) == {"王明", "小明", "阿明", "明娃", "明妹"}
    assert "小心" not in name_variants("李心") and "天天" not in name_variants("张天")
    # a name written with a middle dot: its parts, not a surname
    assert set(name_variants("阿依古丽·买买提")) == {"阿依古丽·买买提", "阿依古丽", "买买提"}
    assert name_variants("丽") == []  # a lone character is never a name to replace
    # an adult's pet names with a kinship word (not 帅哥: handsome guy)
    assert {"芳姐", "芳姨", "芳嫂"} <= set(name_variants("刘芳", adult=True))
    assert "芳姐" not in name_variants("刘芳") and "帅哥" not in name_variants("李帅", adult=True)


def test_villages_are_found_in_addresses_and_schools_in_their_short_forms() -> None:
    assert villages_in(ADDRESS) == ["石岗村"]
    assert villages_in(HUKOU) == ["石岗村"]
    assert villages_in("南川区东城街道金山社区3栋2单元") == ["金山社区"]
    assert villages_in("本村七组") == []  # 本村 (this village) is not a name
    assert villages_in("七组23号") == []
    # the house after the village is hidden like the whole address; a bare 组 is not a house
    assert house_in(ADDRESS) == "七组23号" and house_in("石岗村七组") == ""
    assert house_in("南川区东城街道金山社区3栋2单元") == "3栋2单元"
    assert house_in("石岗村23号") == ""  # 23号 alone is also a date: the whole address is hidden
    assert anonymise("搬到七组23号", identifying_of(_child())) == "搬到（住址已隐去）"
    assert school_forms(SCHOOL) == ["南川区罗云镇中心小学", "罗云镇中心小学", "罗云中心小学"]
    assert school_forms("镇中心小学") == ["镇中心小学"]


def test_one_character_given_name_pet_forms_village_and_school_are_replaced() -> None:
    who = identifying_of(_child())
    out = anonymise(STORY.situation + STORY.actions + STORY.outcome, who)
    for gone in ("王丽", "丽丽", "小丽", "阿丽", "丽妹", "刘芳", "陈秀英", "石岗村"):
        assert gone not in out, gone
    assert "罗云镇中心小学" not in out and "罗云中心小学" not in out
    assert "某某（小名某某）今年11岁，住在某村七组，在某小学读五年级" in out
    assert "在某小学获奖" in out and "某某每月带某某去镇上" in out
    # everyday words keep their character: 美丽, 说明, 明天 (the name 丽 is not 明, but 丽 in
    # 美丽 is the same character as the child's)
    assert "美丽" in out and "说明政策" in out and "明天起" in out
    assert identifying_data_in(out, who) == []


def test_what_is_left_is_listed_for_review_not_replaced() -> None:
    who = identifying_of(_child())
    parts = [anonymise(t, who) for t in (STORY.actions, STORY.outcome)]
    mentions = {m.word: m for m in mentions_to_review(parts, who)}
    assert set(mentions) == {"丽", "石岗"}
    name = mentions["丽"]
    assert name.kind == "name" and name.count == 2  # 丽说 and 美丽
    assert any("【丽】说她想妈妈" in c for c in name.contexts)
    assert any("美【丽】的" in c for c in name.contexts)
    assert mentions["石岗"].kind == "place"
    assert any("石岗】》" in c for c in mentions["石岗"].contexts)


def test_a_child_called_ming_keeps_everyday_words_and_is_asked_about() -> None:
    """王明: 明天, 说明, 明显, 明明知道 stay as written; 小明 and the full name go; every 明 left
    is shown to the director with its context."""
    who = identifying(name="王明")
    text = "王明说明天还来。小明明显开朗了，奶奶明明知道却不说。"
    out = anonymise(text, who)
    assert out == "某某说明天还来。某某明显开朗了，奶奶明明知道却不说。"
    (mention,) = mentions_to_review([out], who)
    assert mention.word == "明" and mention.count == 4  # 说明天, 明显, 明明
    assert len(mention.contexts) == 3  # the first three, with the count


def test_what_the_anonymiser_wrote_in_is_not_reported() -> None:
    """王小村 (given name 小村): 小 and 村 inside 某小学 and 某村 are ours, not the child's."""
    child = replace(_child(), name="王小村")
    who = identifying_of(child)
    out = anonymise("小村在石岗村上学，读罗云镇中心小学；村里人都认识他。", who)
    assert out == "某某在某村上学，读某小学；村里人都认识他。"
    (mention,) = mentions_to_review([out], who)
    assert mention.word == "村" and mention.count == 1 and "；【村】里人" in mention.contexts[0]


def test_a_guardians_pet_name_and_the_caring_mothers_are_replaced() -> None:
    who = identifying_of(_child())
    out = anonymise("秀英和英英、阿英，刘芳（电话13698765432），芳姐", who)
    assert out == "某某和某某、某某，某某（电话×××），某某"


def test_the_other_people_the_director_lists_are_replaced_too() -> None:
    """Siblings, a teacher, a neighbour: names the child's file does not hold, listed with the
    story (文中其他人名), replaced like the guardians' with their short forms; without the
    list they would print."""
    story = replace(
        STORY,
        outcome="姐姐王小燕常来看她，小燕说妹妹开朗了；班主任李建国说建国老师会一直关注。",
    )
    assert "王小燕" in printed_case(story, _child()).parts[2][1]  # not listed: printed
    listed = replace(story, other_names=["王小燕", "李建国"])
    outcome = printed_case(listed, _child()).parts[2][1]
    assert outcome == "姐姐某某常来看她，某某说妹妹开朗了；班主任某某说某某老师会一直关注。"
    neighbour = replace(listed, other_names=["张伟"], lessons="邻居张 伟也帮了忙。")
    with pytest.raises(IdentifyingDataError):  # a spaced name the replacement misses: refused
        printed_case(neighbour, _child())


def test_other_names_are_kept_with_the_story_and_checked() -> None:
    names = split_names("王小芳、李建国，张伟 王小芳；欧阳明月")
    assert names == ["王小芳", "李建国", "张伟", "欧阳明月"]
    story = replace(STORY, other_names=names)
    assert TypicalCase.from_json(story.to_json()) == story
    assert TypicalCase.from_json({**story.to_json(), "other_names": None}).other_names == []
    old = {k: v for k, v in story.to_json().items() if k != "other_names"}  # an older laptop's
    assert TypicalCase.from_json(old).other_names == []
    assert story.problems_found(today=TODAY) == []
    [short] = replace(story, other_names=["王小芳", "芳"]).problems_found(today=TODAY)
    assert short.field == "other_names" and "芳" in short.message_zh
    [many] = replace(story, other_names=[f"张{i:02d}" for i in range(31)]).problems_found(
        today=TODAY
    )
    assert many.field == "other_names"


def test_a_surviving_village_name_stops_the_print() -> None:
    """石岗 村 with a space is not replaced, but the check (whitespace ignored) finds it."""
    leaking = replace(STORY, outcome="搬回了石岗 村。")
    with pytest.raises(IdentifyingDataError) as refused:
        printed_case(leaking, _child())
    assert "村名" in refused.value.message_zh and "石岗" not in refused.value.message_zh


def test_the_village_by_name_from_the_letterhead() -> None:
    """An address with no village in it (七组23号): the village comes from the director's
    profile, as the letterhead prints it; a code standing in for a missing name is not one."""
    child = replace(_child(), address="七组23号", hukou="本村")
    case = replace(STORY, outcome="回到石岗村。")
    assert "某村" in printed_case(case, child, villages=["石岗村"]).parts[-2][1]
    with pytest.raises(IdentifyingDataError):
        printed_case(replace(case, outcome="回到石岗 村。"), child, villages=["石岗村"])
    assert (
        printed_case(case, child, villages=["村代码 500119104201"]).parts[-2][1] == "回到石岗村。"
    )


# ----- the print, from a real vault ---------------------------------------------------------


def _story_child(vault: Vault) -> str:
    children = ChildService(vault, author="王", today=lambda: TODAY)
    base = children.list_all()[0][1]
    child = replace(
        base.value,
        name=NAME,
        gender=Gender.FEMALE,
        birth_date=BORN,
        id_number=ID_NUMBER,
        address=ADDRESS,
        hukou=HUKOU,
        school=SCHOOL,
        guardians=[GRANDMOTHER],
        caring_mother=MOTHER,
    )
    return children.update(base.record_id, child).record_id


def test_the_printed_summary_holds_no_identifying_data_and_the_review_says_what_is_left(
    filled_vault: Vault, out_dir: Path
) -> None:
    child_id = _story_child(filled_vault)
    TypicalCaseService(filled_vault, author="王", today=lambda: TODAY).record(
        replace(STORY, child_id=child_id)
    )
    pdf = year_summary_pdf(filled_vault, Period.year(2026), today=TODAY)
    (out_dir / "year_summary_anonymised.pdf").write_bytes(pdf)
    text = flat(pdf_text(pdf))
    assert "陪伴某某走出阴霾" in text
    assert "某某（小名某某）今年11岁，住在某村七组，在某小学读五年级" in text
    assert "作文《美丽的石岗》在某小学获奖" in text  # 美丽 intact; 石岗 left for review
    start = text.index("陪伴某某走出阴霾")
    story = text[start:]
    searched = [
        NAME,
        "丽丽",
        "小丽",
        "阿丽",
        "丽妹",
        ID_NUMBER,
        ADDRESS,
        HUKOU,
        "石岗村",
        SCHOOL,
        "罗云镇中心小学",
        "罗云中心小学",
        GRANDMOTHER.name,
        GRANDMOTHER.id_number,
        GRANDMOTHER.phone,
        MOTHER.name,
        MOTHER.phone,
        "芳姐",
    ]
    assert [d for d in searched if d in story] == []
    child = SummaryRecords.from_vault(filled_vault).caseload.children[child_id]
    # the whole paper (the letterhead names the village: the story may not)
    assert [d for d in identifying_of(child).data() if d in text] == []
    assert identifying_data_in(story, identifying_of(child, villages=["石岗村"])) == []

    summary = year_summary(SummaryRecords.from_vault(filled_vault), Period.year(2026), today=TODAY)
    notes = year_summary_review(filled_vault, summary)
    mine = [n for n in notes if "陪伴某某走出阴霾" in n]
    assert len(mine) == 2, notes
    assert "名字中的“丽”出现 2 处" in mine[0] and "【丽】说她想妈妈" in mine[0]
    assert "村名“石岗”出现 1 处：" in mine[1] and "《美丽的【石岗】》" in mine[1]
    assert not any(NAME in n for n in notes)
    if os.environ.get("CHILDDESK_KEEP_PDF"):
        Path("/tmp/h6").mkdir(exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "70",
                "-png",
                str(out_dir / "year_summary_anonymised.pdf"),
                "/tmp/h6/anon",
            ],
            check=True,
        )


def test_a_case_that_would_stop_the_print_is_said_in_the_review() -> None:
    summary_case = replace(STORY, child_id="c1", outcome="搬回了石岗 村。")
    records = SummaryRecords.from_rows([])
    summary = year_summary(records, Period.year(2026), today=TODAY)
    stored = Stored(record_id="t1", revision=1, hlc="", author="", value=summary_case)
    notes = review_notes(replace(summary, typical_cases=(stored,)), {"c1": _child()})
    assert len(notes) == 1 and "已停止打印" in notes[0]
