"""The director's own profile (姓名, village) through the vault's public API.

The profile is an ordinary encrypted record (``director_profile``, written when the vault is
created); a change is a new revision, so the history shows who renamed whom and when, and it
syncs like any record. Only the name and the village code can change here; other keys the
profile holds (names of the district, town and village for printing) are kept as they are.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app.domain.child_file import VILLAGE_CODE_RE
from app.domain.problems import FieldProblem, raise_if_blocking
from storage.records import PROFILE_TYPE
from storage.vault import Vault

MAX_NAME_LENGTH = 20


def normalize_name(name: str) -> str:
    """Trim, and fold full-width spaces typed by a Chinese input method."""
    return " ".join(name.replace("\u3000", " ").split())


def name_problems(name: str) -> list[FieldProblem]:
    """What is wrong with a director's name (already normalised)."""
    if not name:
        return [FieldProblem("name", "请填写您的姓名。", "the name is empty")]
    if len(name) > MAX_NAME_LENGTH:
        return [
            FieldProblem(
                "name",
                f"姓名最多 {MAX_NAME_LENGTH} 个字。",
                f"the name is longer than {MAX_NAME_LENGTH} characters",
            )
        ]
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return [FieldProblem("name", "姓名里有无法显示的字符，请重新输入。", "control characters")]
    return []


def village_problems(code: str) -> list[FieldProblem]:
    if not VILLAGE_CODE_RE.match(code):
        return [
            FieldProblem(
                "village_code",
                "村（社区）代码应为 12 位数字，可向乡镇询问。",
                "the village code is 12 digits",
            )
        ]
    return []


class ProfileService:
    """Read and change the director's profile. Call on the vault worker."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _current(self) -> tuple[str | None, dict[str, Any]]:
        revisions = self._vault.load(PROFILE_TYPE).revisions
        if not revisions:
            return None, {}
        return revisions[0].record_id, dict(revisions[0].data)

    def profile(self) -> dict[str, Any]:
        return self._current()[1]

    def update(self, *, name: str | None = None, village_code: str | None = None) -> dict[str, Any]:
        """Change the name and/or the village code; returns the profile as stored. A change to
        nothing writes nothing. The new revision is authored by the (new) name."""
        record_id, data = self._current()
        changed = dict(data)
        problems: list[FieldProblem] = []
        if name is not None:
            name = normalize_name(name)
            problems += name_problems(name)
            changed["name"] = name
        if village_code is not None:
            village_code = village_code.strip()
            problems += village_problems(village_code)
            changed["village_code"] = village_code
        raise_if_blocking(problems)
        if changed == data and record_id is not None:
            return data
        author = str(changed.get("name") or "")
        self._vault.put(PROFILE_TYPE, changed, author=author, record_id=record_id)
        return changed

    def rename(self, name: str) -> str:
        """The director's new name, as stored."""
        return str(self.update(name=name)["name"])
