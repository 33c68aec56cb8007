"""A partner's roster (for the 妇联's 爱心妈妈 pairing): which towns and which child categories
a ``partner`` account sees on the register and its export (scope.Roster). Set by a district
user on 用户与设备 → 设置名单; stored as JSON in ``console_users.roster`` (migration 0005).
Plain Python, no web imports."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select, update

from sync.server import db
from sync.server.console import tables as t
from sync.server.console.accounts import AccountError, User, user_of_row
from sync.server.console.scope import Roster, valid_town_code


def check_roster(towns: list[str], whole_district: bool, categories: list[str]) -> Roster:
    """A partner's roster from the form (or the command line), or :class:`AccountError`."""
    from sync.server.console.queries import CATEGORIES

    codes = tuple(sorted({code.strip() for code in towns if code.strip()}))
    for code in codes:
        if not valid_town_code(code):
            raise AccountError(
                f"乡镇代码 {code!r} 不对：应为村代码（12 位行政区划代码）的前 9 位数字。",
                f"{code!r} is not a town code (the first 9 digits of a 12-digit village code)",
            )
    if whole_district and codes:
        raise AccountError("选了“全区”就不用再填乡镇代码。", "whole district or towns, not both")
    if not whole_district and not codes:
        raise AccountError(
            "请填写至少一个乡镇代码，或选择“全区”。", "a roster needs towns or the whole district"
        )
    picked = tuple(c for c in CATEGORIES if c in set(categories))
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise AccountError("儿童类别不对。", f"unknown categories: {sorted(unknown)}")
    return Roster(towns=codes, whole_district=whole_district, categories=picked)


def set_roster(engine: Engine, user_id: int, roster: Roster | None) -> User:
    """Give a partner account its roster (``None`` takes it away: it sees nobody)."""
    stored = json.dumps(roster.as_json(), ensure_ascii=False) if roster is not None else None
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(t.users).where(t.users.c.user_id == user_id)).first()
        if row is None:
            raise AccountError("没有这个用户。", f"no user with id {user_id}")
        if row.role != "partner":
            raise AccountError("只有合作单位账号才有名单。", "only partner accounts have a roster")
        conn.execute(update(t.users).where(t.users.c.user_id == user_id).values(roster=stored))
        row = conn.execute(select(t.users).where(t.users.c.user_id == user_id)).one()
    return user_of_row(row)
