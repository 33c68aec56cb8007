"""Situations of a guardian or parent, as the recognition rules for 事实无人抚养儿童 and the
child file name them (seed 000, 一; DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class GuardianSituation(StrEnum):
    DECEASED = "deceased"  # 死亡
    MISSING = "missing"  # 失踪 (宣告失踪 or reported missing)
    SEVERE_DISABILITY = "severe_disability"  # 重残
    SERIOUS_ILLNESS = "serious_illness"  # 重病
    IMPRISONED = "imprisoned"  # 服刑在押
    COMPULSORY_REHAB = "compulsory_rehab"  # 强制隔离戒毒
    LOST_CONTACT = "lost_contact"  # 失联
    GUARDIANSHIP_REVOKED = "guardianship_revoked"  # 被撤销监护资格
    OTHER_RESTRICTION = "other_restriction"  # 被执行其他限制人身自由的措施
    DEPORTED = "deported"  # 被遣送（驱逐）出境
    WORKING_AWAY = "working_away"  # 外出务工
    DIVORCED_ABSENT = "divorced_absent"  # 离异后不履行抚养义务
    REMARRIED_ABSENT = "remarried_absent"  # 再婚后不履行抚养义务
    PRESENT = "present"  # 在家，正常履行监护职责
    OTHER = "other"  # 其他


SITUATION_LABELS_ZH: dict[GuardianSituation, str] = {
    GuardianSituation.DECEASED: "死亡",
    GuardianSituation.MISSING: "失踪",
    GuardianSituation.SEVERE_DISABILITY: "重残",
    GuardianSituation.SERIOUS_ILLNESS: "重病",
    GuardianSituation.IMPRISONED: "服刑在押",
    GuardianSituation.COMPULSORY_REHAB: "强制隔离戒毒",
    GuardianSituation.LOST_CONTACT: "失联",
    GuardianSituation.GUARDIANSHIP_REVOKED: "被撤销监护资格",
    GuardianSituation.OTHER_RESTRICTION: "被执行其他限制人身自由的措施",
    GuardianSituation.DEPORTED: "被遣送（驱逐）出境",
    GuardianSituation.WORKING_AWAY: "外出务工",
    GuardianSituation.DIVORCED_ABSENT: "离异后不履行抚养义务",
    GuardianSituation.REMARRIED_ABSENT: "再婚后不履行抚养义务",
    GuardianSituation.PRESENT: "在家，正常履行监护职责",
    GuardianSituation.OTHER: "其他",
}

# The eight situations that, for both parents (or for one when the other is dead or missing),
# make a child 事实无人抚养 (民发〔2019〕62号; seed 000).
QUALIFYING_SITUATIONS: frozenset[GuardianSituation] = frozenset(
    {
        GuardianSituation.SEVERE_DISABILITY,
        GuardianSituation.SERIOUS_ILLNESS,
        GuardianSituation.IMPRISONED,
        GuardianSituation.COMPULSORY_REHAB,
        GuardianSituation.LOST_CONTACT,
        GuardianSituation.GUARDIANSHIP_REVOKED,
        GuardianSituation.OTHER_RESTRICTION,
        GuardianSituation.DEPORTED,
    }
)
ABSENT_SITUATIONS: frozenset[GuardianSituation] = frozenset(
    {GuardianSituation.DECEASED, GuardianSituation.MISSING}
)
