"""What a console user may see: the whole district, some towns, or a given roster.

Plain Python with no web imports, so queries (and their tests) use it directly. Scope is enforced
in the query layer: every query that lists or counts children takes a :class:`Scope` and adds
:meth:`Scope.village_clause` to its WHERE clause.

Codes follow the 行政区划代码 structure: a village (村/社区) code has 12 digits
(省2 市2 县2 乡镇3 村3); a town (乡镇/街道) code is its first 9 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, false, or_, true

Role = Literal["district", "town", "partner"]
ROLES: tuple[Role, ...] = ("district", "town", "partner")

TOWN_CODE = re.compile(r"\A[0-9]{9}\Z")
VILLAGE_CODE = re.compile(r"\A[0-9]{12}\Z")


def valid_town_code(code: str) -> bool:
    """A town code: exactly 9 ASCII digits, with non-zero province, county and town parts."""
    if not TOWN_CODE.match(code):
        return False
    return code[0:2] != "00" and code[4:6] != "00" and code[6:9] != "000"


def town_of(village_code: str) -> str:
    """The town code of a 12-digit village code (its first 9 digits)."""
    return village_code[:9]


@dataclass(frozen=True)
class Scope:
    """The part of the district a signed-in user may see.

    - ``district``: everything;
    - ``town``: the villages whose code starts with one of ``towns``;
    - ``partner``: no village by code; a partner sees only the roster it was given, which the
      roster queries handle (``village_clause`` is false for it).
    """

    role: Role
    towns: tuple[str, ...]
    user_id: int

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        for town in self.towns:
            if not TOWN_CODE.match(town):
                raise ValueError(f"not a 9-digit town code: {town!r}")

    @property
    def is_district(self) -> bool:
        return self.role == "district"

    def allows_village(self, code: str | None) -> bool:
        """True when a record of this village may be shown to this user."""
        if self.role == "district":
            return True
        if self.role == "partner" or not code:
            return False
        return any(code.startswith(town) for town in self.towns)

    def allows_town(self, code: str) -> bool:
        if self.role == "district":
            return True
        return self.role == "town" and code in self.towns

    def village_clause(self, column: Any) -> ColumnElement[bool]:
        """An SQL condition on a village-code column restricting rows to this scope.

        ``district`` → true; ``town`` → ``column LIKE 'town%' OR …`` (town codes are digits
        only, so no LIKE escaping is needed); ``partner`` (and a town user with no towns) → false.
        """
        if self.role == "district":
            return true()
        if self.role == "partner" or not self.towns:
            return false()
        return or_(*(column.like(f"{town}%") for town in self.towns))
