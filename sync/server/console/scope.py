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

from sqlalchemy import ColumnElement, and_, false, or_, true

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
class Roster:
    """What a ``partner`` account (e.g. the 妇联, for 爱心妈妈 pairing) is given to see: the
    children of some towns (or of the whole district) in some categories (empty: any)."""

    towns: tuple[str, ...] = ()
    whole_district: bool = False
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for town in self.towns:
            if not TOWN_CODE.match(town):
                raise ValueError(f"not a 9-digit town code: {town!r}")

    @property
    def empty(self) -> bool:
        return not self.whole_district and not self.towns

    def as_json(self) -> dict[str, Any]:
        return {
            "towns": list(self.towns),
            "whole_district": self.whole_district,
            "categories": list(self.categories),
        }

    @classmethod
    def from_json(cls, data: Any) -> Roster:
        """A stored roster; anything malformed is an empty roster (nobody), never an error."""
        if not isinstance(data, dict):
            return cls()
        towns = data.get("towns")
        categories = data.get("categories")
        try:
            return cls(
                towns=tuple(str(t) for t in towns) if isinstance(towns, list) else (),
                whole_district=data.get("whole_district") is True,
                categories=(
                    tuple(str(c) for c in categories) if isinstance(categories, list) else ()
                ),
            )
        except ValueError:
            return cls()


@dataclass(frozen=True)
class Scope:
    """The part of the district a signed-in user may see.

    - ``district``: everything;
    - ``town``: the villages whose code starts with one of ``towns``;
    - ``partner``: no village by code; a partner sees only the roster it was given (``roster``),
      on the register and its export alone (:meth:`roster_clause`); ``village_clause`` is false
      for it, so every other query shows it nothing.
    """

    role: Role
    towns: tuple[str, ...]
    user_id: int
    roster: Roster | None = None

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

    def roster_clause(self, village: Any, categories: Any) -> ColumnElement[bool]:
        """A partner's roster as an SQL condition on a village-code column and a categories
        column (``|code|code|``); false for every other role and for an empty roster."""
        roster = self.roster
        if self.role != "partner" or roster is None or roster.empty:
            return false()
        parts: list[ColumnElement[bool]] = []
        if not roster.whole_district:
            parts.append(or_(*(village.like(f"{town}%") for town in roster.towns)))
        if roster.categories:
            parts.append(
                or_(*(categories.contains(f"|{c}|", autoescape=True) for c in roster.categories))
            )
        return and_(*parts) if parts else true()
