"""Synthetic children for the demo and benchmarks. Every record is marked 演示数据; names are
drawn from common characters and ID numbers are generated with a valid check character, so
nothing here is a real person."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from app.domain.id_number import check_character as id_check_char

DEMO_MARK = "演示数据"
__all__ = ["DEMO_MARK", "id_check_char", "synthetic_child", "synthetic_visit"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = "子涵欣怡梓轩浩宇一诺雨桐思远佳怡俊杰嘉琪明轩雅琳晨阳诗涵睿泽可馨宇航文博"
_CATEGORIES = ["事实无人抚养", "留守", "流动", "低保", "残疾", "孤儿（社会散居）", "重病", "孤独症"]
_LEVELS = ["green", "yellow", "orange", "red"]


def synthetic_child(rng: random.Random, village_code: str = "500119104201") -> dict[str, Any]:
    birth = date(2009, 1, 1) + timedelta(days=rng.randrange(0, 365 * 16))
    gender = rng.choice(["男", "女"])
    sequence = rng.randrange(100, 999)
    if (sequence % 2 == 1) != (gender == "男"):
        sequence += 1 if sequence < 998 else -1
    first17 = f"{village_code[:6]}{birth:%Y%m%d}{sequence:03d}"
    name = rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice([1, 2])))
    return {
        "demo": DEMO_MARK,
        "name": name,
        "gender": gender,
        "birth_date": birth.isoformat(),
        "id_number": first17 + id_check_char(first17),
        "village_code": village_code,
        "address": f"{rng.choice(['青龙', '白马', '石桥', '大观'])}村{rng.randrange(1, 12)}组"
        f"{rng.randrange(1, 80)}号",
        "categories": rng.sample(_CATEGORIES, rng.choice([1, 1, 2])),
        "level": rng.choices(_LEVELS, weights=[50, 30, 15, 5])[0],
        "guardians": [
            {
                "relation": rng.choice(["祖父", "祖母", "外祖母", "父亲", "母亲"]),
                "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                "phone": f"13{rng.randrange(100000000, 999999999)}",
                "situation": rng.choice(["外出务工", "重病", "服刑在押", "失联", "在家"]),
            }
        ],
        "notes": f"{DEMO_MARK}：仅用于演示，不是真实儿童。",
    }


def synthetic_visit(rng: random.Random, child_id: str, on: date) -> dict[str, Any]:
    return {
        "demo": DEMO_MARK,
        "child_id": child_id,
        "date": on.isoformat(),
        "form": rng.choice(["入户", "电话", "学校"]),
        "met": rng.choice(["祖母", "儿童本人", "班主任"]),
        "observations": "孩子精神状态良好，家中卫生一般，按时上学。",
        "problems": rng.choice(["无", "冬季衣物不足", "作业无人辅导"]),
        "help_given": rng.choice(["讲解政策", "联系爱心妈妈", "送去学习用品"]),
        "next_steps": "下月再次入户走访。",
    }
