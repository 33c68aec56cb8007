"""Categories of children followed (服务对象), several at once (DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class ChildCategory(StrEnum):
    ORPHAN_INSTITUTIONAL = "orphan_institutional"  # 孤儿（集中供养）
    ORPHAN_COMMUNITY = "orphan_community"  # 孤儿（社会散居）
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported"  # 事实无人抚养儿童
    AUTISM = "autism"  # 孤独症儿童
    DISABILITY = "disability"  # 残疾儿童
    LOW_INCOME = "low_income"  # 低保儿童
    EXTREME_POVERTY = "extreme_poverty"  # 特困
    LEFT_BEHIND = "left_behind"  # 留守儿童
    MIGRANT = "migrant"  # 流动儿童
    SERIOUS_ILLNESS = "serious_illness"  # 重病儿童
    OTHER_HARDSHIP = "other_hardship"  # 其他困境儿童


CATEGORY_LABELS_ZH: dict[ChildCategory, str] = {
    ChildCategory.ORPHAN_INSTITUTIONAL: "孤儿（集中供养）",
    ChildCategory.ORPHAN_COMMUNITY: "孤儿（社会散居）",
    ChildCategory.DE_FACTO_UNSUPPORTED: "事实无人抚养",
    ChildCategory.AUTISM: "孤独症",
    ChildCategory.DISABILITY: "残疾",
    ChildCategory.LOW_INCOME: "低保",
    ChildCategory.EXTREME_POVERTY: "特困",
    ChildCategory.LEFT_BEHIND: "留守",
    ChildCategory.MIGRANT: "流动",
    ChildCategory.SERIOUS_ILLNESS: "重病",
    ChildCategory.OTHER_HARDSHIP: "其他困境",
}


class GuardianRelation(StrEnum):
    FATHER = "father"
    MOTHER = "mother"
    GRANDFATHER = "grandfather"  # 祖父
    GRANDMOTHER = "grandmother"  # 祖母
    MATERNAL_GRANDFATHER = "maternal_grandfather"  # 外祖父
    MATERNAL_GRANDMOTHER = "maternal_grandmother"  # 外祖母
    SIBLING = "sibling"  # 兄姐
    OTHER_RELATIVE = "other_relative"  # 其他亲属
    OTHER = "other"  # 其他（如村委会、机构）


RELATION_LABELS_ZH: dict[GuardianRelation, str] = {
    GuardianRelation.FATHER: "父亲",
    GuardianRelation.MOTHER: "母亲",
    GuardianRelation.GRANDFATHER: "祖父",
    GuardianRelation.GRANDMOTHER: "祖母",
    GuardianRelation.MATERNAL_GRANDFATHER: "外祖父",
    GuardianRelation.MATERNAL_GRANDMOTHER: "外祖母",
    GuardianRelation.SIBLING: "兄姐",
    GuardianRelation.OTHER_RELATIVE: "其他亲属",
    GuardianRelation.OTHER: "其他",
}


class SupportKind(StrEnum):
    BASIC_LIVING_ALLOWANCE = "basic_living_allowance"  # 基本生活费
    DIBAO = "dibao"  # 低保
    EXTREME_POVERTY_SUPPORT = "extreme_poverty_support"  # 特困供养
    DISABILITY_SUBSIDY = "disability_subsidy"  # 残疾人两项补贴
    TEMPORARY_ASSISTANCE = "temporary_assistance"  # 临时救助
    EDUCATION_AID = "education_aid"  # 教育资助
    MEDICAL_AID = "medical_aid"  # 医疗救助
    CHARITY = "charity"  # 慈善帮扶
    OTHER = "other"


SUPPORT_LABELS_ZH: dict[SupportKind, str] = {
    SupportKind.BASIC_LIVING_ALLOWANCE: "基本生活费",
    SupportKind.DIBAO: "低保",
    SupportKind.EXTREME_POVERTY_SUPPORT: "特困供养",
    SupportKind.DISABILITY_SUBSIDY: "残疾人两项补贴",
    SupportKind.TEMPORARY_ASSISTANCE: "临时救助",
    SupportKind.EDUCATION_AID: "教育资助",
    SupportKind.MEDICAL_AID: "医疗救助",
    SupportKind.CHARITY: "慈善帮扶",
    SupportKind.OTHER: "其他",
}
