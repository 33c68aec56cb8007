"""Pieces several documents print about a child: identification and guardians."""

from __future__ import annotations

from datetime import date

from reportlab.platypus import Table

from app.domain.categories import CATEGORY_LABELS_ZH, RELATION_LABELS_ZH
from app.domain.child_file import GENDER_LABELS_ZH, ChildFile, Guardian
from app.domain.guardian_situation import SITUATION_LABELS_ZH
from app.printing.forms import Label, form_table
from app.printing.labels import level_zh
from app.printing.markup import zh_date


def categories_zh(child: ChildFile) -> str:
    return "、".join(CATEGORY_LABELS_ZH[c] for c in child.categories) or "—"


def guardian_roles(guardian: Guardian) -> str:
    roles = [
        r
        for r, on in (("监护人", guardian.is_guardian), ("实际抚养人", guardian.is_caregiver))
        if on
    ]
    return "、".join(roles)


def guardian_line(guardian: Guardian) -> str:
    """``祖母 张秀英（实际抚养人）13812345678；在家，正常履行监护职责``."""
    parts = [f"{RELATION_LABELS_ZH[guardian.relation]} {guardian.name or '（未填姓名）'}"]
    roles = guardian_roles(guardian)
    if roles:
        parts[0] += f"（{roles}）"
    if guardian.phone:
        parts.append(guardian.phone)
    situation = "、".join(SITUATION_LABELS_ZH[s] for s in guardian.situations)
    line = " ".join(parts)
    return f"{line}；{situation}" if situation else line


def child_identity_table(child: ChildFile, *, on: date, level: str | None) -> Table:
    """Name, gender, birth date, ID, categories, address, level and guardians of a child."""
    guardians = "\n".join(guardian_line(g) for g in child.guardians) or "—"
    rows = [
        [
            Label("儿童姓名"),
            child.name,
            Label("性别"),
            GENDER_LABELS_ZH[child.gender],
            Label("出生日期"),
            zh_date(child.birth_date),
        ],
        [
            Label("身份证号"),
            child.id_number or "（未登记）",
            None,
            None,
            Label("年龄"),
            f"{child.age_on(on)} 周岁",
        ],
        [Label("儿童类别"), categories_zh(child), None, None, Label("监护等级"), level_zh(level)],
        [Label("家庭住址"), child.address or "—", None, None, Label("就读学校"), _school(child)],
        [Label("监护人及\n实际抚养人"), guardians, None, None, None, None],
    ]
    spans = [
        ((1, 1), (3, 1)),
        ((1, 2), (3, 2)),
        ((1, 3), (3, 3)),
        ((1, 4), (5, 4)),
    ]
    return form_table(rows, [0.14, 0.22, 0.09, 0.17, 0.14, 0.24], spans=spans)


def _school(child: ChildFile) -> str:
    return " ".join(p for p in (child.school, child.grade) if p) or "—"
