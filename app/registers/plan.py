"""The dry run: what importing a sheet would do, row by row, before anything is written.

Each row is matched to the vault's child files:

- by 身份证号: the file with that number is updated (only fields that differ);
- else by 姓名 + 出生日期: a file with no ID number (or a row with none) is the likely same
  child, shown for the user to confirm (:attr:`Action.CONFIRM`) — never merged silently;
- else a new file is created.

An import never erases: an empty cell leaves the file's value as it is, categories are added to
the file's own, a 备注 or a parent's 务工地点 already in the file is not written twice. So
importing the same file twice changes nothing (every row :attr:`Action.UNCHANGED`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.categories import GuardianRelation
from app.domain.child_file import FIELD_LABELS_ZH, ChildFile, Disability, Gender, Guardian
from app.domain.jsonable import jsonable
from app.registers.reader import Cell, RawRow, SheetData
from app.registers.rows import GuardianValues, RowProblem, RowValues, parse_row
from storage.gc_pause import gc_paused


class Action(StrEnum):
    CREATE = "create"  # a new child file
    UPDATE = "update"  # matched by 身份证号; these fields change
    UNCHANGED = "unchanged"  # matched; the file already says all this
    CONFIRM = "confirm"  # matched by 姓名 + 出生日期 only: the user confirms (else left alone)
    PROBLEM = "problem"  # blocking problems: fix the cell, or the row is left out
    SKIP = "skip"  # left out by the user


ACTION_LABELS_ZH = {
    Action.CREATE: "新建",
    Action.UPDATE: "更新",
    Action.UNCHANGED: "无变化",
    Action.CONFIRM: "待确认",
    Action.PROBLEM: "有问题",
    Action.SKIP: "跳过",
}


@dataclass
class RowPlan:
    row: int
    action: Action
    values: RowValues
    child: ChildFile | None = None  # the file as it would be stored
    record_id: str | None = None
    base_revision: int | None = None
    changed_fields: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    matched_by: str = ""  # "id_number" or "name_birth_date"

    def to_json(self) -> dict[str, Any]:
        """For the command line's report: no names or ID numbers, only what happens."""
        return {
            "row": self.row,
            "action": self.action.value,
            "matched_by": self.matched_by or None,
            "changed_fields": self.changed_fields,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class ImportPlan:
    sheet_name: str
    headers: list[str]
    mapping: list[str | None]
    rows: list[RowPlan]

    def count(self, action: Action) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def counts(self) -> dict[str, int]:
        found = Counter(r.action.value for r in self.rows)
        return {a.value: found.get(a.value, 0) for a in Action}

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet_name,
            "columns": [
                {"column": i + 1, "header": h, "field": k}
                for i, (h, k) in enumerate(zip(self.headers, self.mapping, strict=False))
            ],
            "counts": self.counts(),
            "rows": [r.to_json() for r in self.rows if r.action != Action.UNCHANGED],
        }


Override = Mapping[tuple[int, int], Cell]  # (row number, column index) → the fixed value


@dataclass
class Existing:
    """A child file in the vault as stored (its JSON); decoded only when a row matches it, so
    matching 2,000 rows against 10,000 files does not build 10,000 objects."""

    record_id: str
    revision: int
    data: dict[str, Any]
    _child: ChildFile | None = None

    @property
    def child(self) -> ChildFile:
        if self._child is None:
            self._child = ChildFile.from_json(self.data)
        return self._child


# What a field holds when an older record does not have the key at all.
_DEFAULT_JSON = ChildFile(
    name="", gender=Gender.MALE, birth_date=date(2000, 1, 1), village_code=""
).to_json()


def build_plan(
    sheet: SheetData,
    mapping: list[str | None],
    existing: Iterable[Existing],
    *,
    today: date,
    default_village: str,
    overrides: Override | None = None,
    skipped: Iterable[int] = (),
) -> ImportPlan:
    """Read every row through ``mapping`` and match it; nothing is written."""
    by_id: dict[str, Existing] = {}
    by_name_birth: dict[tuple[str, str], list[Existing]] = {}
    for stored in existing:
        number = str(stored.data.get("id_number") or "").upper()
        if number:
            by_id[number] = stored
        key = (str(stored.data.get("name", "")).replace(" ", ""), str(stored.data["birth_date"]))
        by_name_birth.setdefault(key, []).append(stored)
    skip = set(skipped)
    seen: dict[tuple[str, ...], int] = {}
    plans: list[RowPlan] = []
    with gc_paused():  # thousands of small objects: no collector passes meanwhile
        for raw in sheet.rows:
            if overrides:
                raw = _with_overrides(raw, overrides)
            if not _says_anything(raw, mapping):
                continue  # a footer (填表人：…) or a row of unmapped notes
            values = parse_row(
                raw, mapping, sheet.headers, today=today, formula_cells=sheet.formula_cells
            )
            if raw.number in skip:
                plans.append(RowPlan(raw.number, Action.SKIP, values, problems=values.problems))
                continue
            plan = _plan_row(values, by_id, by_name_birth, today=today, village=default_village)
            _mark_duplicate(plan, seen)
            plans.append(plan)
    return ImportPlan(sheet.sheet_name, list(sheet.headers), list(mapping), plans)


def _says_anything(raw: RawRow, mapping: list[str | None]) -> bool:
    return any(
        key is not None and col < len(raw.cells) and str(raw.cells[col] or "").strip()
        for col, key in enumerate(mapping)
    )


def _with_overrides(raw: RawRow, overrides: Override) -> RawRow:
    cells = list(raw.cells)
    for (row, col), value in overrides.items():
        if row == raw.number and 0 <= col < len(cells):
            cells[col] = value
    return RawRow(raw.number, cells)


def _mark_duplicate(plan: RowPlan, seen: dict[tuple[str, ...], int]) -> None:
    v = plan.values
    if v.id_number:
        key: tuple[str, ...] = ("id", v.id_number)
        why_zh, why_en = "身份证号相同", "same ID number"
    elif v.name and v.birth_date:
        key = ("nb", v.name, v.birth_date.isoformat())
        why_zh, why_en = "姓名和出生日期相同", "same name and birth date"
    else:
        return
    first = seen.get(key)
    if first is None:
        seen[key] = v.row
        return
    plan.problems.append(
        RowProblem(
            v.row,
            None,
            "duplicate",
            f"与第{first}行是同一个儿童（{why_zh}），表里重复了：这一行不导入，请核对后删掉一行。",
            f"duplicate of row {first} ({why_en})",
        )
    )
    plan.action = Action.PROBLEM


def _plan_row(
    v: RowValues,
    by_id: dict[str, Existing],
    by_name_birth: dict[tuple[str, str], list[Existing]],
    *,
    today: date,
    village: str,
) -> RowPlan:
    problems = list(v.problems)
    if v.blocking or v.birth_date is None or v.gender is None:
        return RowPlan(v.row, Action.PROBLEM, v, problems=problems)
    match: Existing | None = None
    matched_by = ""
    if v.id_number and v.id_number in by_id:
        match, matched_by = by_id[v.id_number], "id_number"
    else:
        candidates = [
            s
            for s in by_name_birth.get((v.name, v.birth_date.isoformat()), [])
            if not (v.id_number and s.data.get("id_number"))  # two numbers: two children
        ]
        if len(candidates) > 1:
            problems.append(
                RowProblem(
                    v.row,
                    None,
                    "match",
                    f"档案里有{len(candidates)}个同名、同出生日期的儿童，分不清是哪一个："
                    "请在表里填上身份证号再导入。",
                    f"{len(candidates)} files have this name and birth date",
                )
            )
            return RowPlan(v.row, Action.PROBLEM, v, problems=problems)
        if candidates:
            match, matched_by = candidates[0], "name_birth_date"
    child = merged_child(match.data if match else None, v, village)
    new_problems = [p for p in child.problems(today) if p.blocking]
    if new_problems and match is not None:  # only what this row brings in
        old = {(p.field, p.message_en) for p in match.child.problems(today)}
        new_problems = [p for p in new_problems if (p.field, p.message_en) not in old]
    if new_problems:
        problems += [
            RowProblem(v.row, None, p.field, f"{_label(p.field)}：{p.message_zh}", p.message_en)
            for p in new_problems
        ]
        return RowPlan(v.row, Action.PROBLEM, v, problems=problems)
    if match is None:
        return RowPlan(v.row, Action.CREATE, v, child=child, problems=problems)
    changed = changed_fields(match.data, child)
    if not changed:
        action = Action.UNCHANGED
    else:
        action = Action.UPDATE if matched_by == "id_number" else Action.CONFIRM
    return RowPlan(
        v.row,
        action,
        v,
        child=child,
        record_id=match.record_id,
        base_revision=match.revision,
        changed_fields=changed,
        problems=problems,
        matched_by=matched_by,
    )


def _label(key: str) -> str:
    top = key.split(".")[0].split("[")[0]
    return FIELD_LABELS_ZH.get(top, top)


# The fields an import can change (merged_child sets no others).
IMPORTED_FIELDS = (
    "name", "gender", "birth_date", "id_number", "ethnicity", "hukou", "address", "health",
    "school", "grade", "village_code", "notes", "disability", "categories", "guardians",
)  # fmt: skip


def changed_fields(before: dict[str, Any], after: ChildFile) -> list[str]:
    """The stored fields whose JSON differs (``before`` as stored); only the fields an import
    sets are turned into JSON, which keeps matching 2,000 rows quick."""
    changed = []
    for key in IMPORTED_FIELDS:
        new = jsonable(getattr(after, key))
        if before.get(key, _DEFAULT_JSON.get(key)) != new:
            changed.append(key)
    return changed


def _append_once(existing: str, addition: str) -> str:
    if not addition or addition in existing:
        return existing
    return f"{existing}\n{addition}" if existing else addition


def merged_child(before: dict[str, Any] | None, v: RowValues, village: str) -> ChildFile:
    """The file as it would be after this row: ``before`` (the stored JSON, not changed) with
    what the row says laid over."""
    assert v.gender is not None and v.birth_date is not None  # checked by the caller
    if before is None:
        child = ChildFile(
            name=v.name,
            gender=v.gender,
            birth_date=v.birth_date,
            village_code=v.village_code or village,
        )
    else:
        child = ChildFile.from_json(before)  # new objects; ``before`` stays as it was
    scalars: dict[str, Any] = {
        "name": v.name,
        "gender": v.gender,
        "birth_date": v.birth_date,
        "id_number": v.id_number,
        "ethnicity": v.ethnicity,
        "hukou": v.hukou,
        "address": v.address,
        "health": v.health,
        "school": v.school,
        "grade": v.grade,
        "village_code": v.village_code,
    }
    child = replace(child, **{k: val for k, val in scalars.items() if val})
    child.notes = _append_once(child.notes, v.notes)
    if v.disability_kind:
        cert = child.disability.certificate_number if child.disability else ""
        child.disability = Disability(v.disability_kind, v.disability_grade, cert)
    for category in v.categories:
        if category not in child.categories:
            child.categories.append(category)
    for g in v.guardians:
        _merge_guardian(child, g)
    return child


def _merge_guardian(child: ChildFile, g: GuardianValues) -> None:
    parent = g.relation in (GuardianRelation.FATHER, GuardianRelation.MOTHER)
    target: Guardian | None = None
    for existing in child.guardians:
        if existing.relation != g.relation:
            continue
        if parent or not existing.name or not g.name or existing.name == g.name:
            target = existing
            break
    if target is None:
        target = Guardian(g.relation, is_guardian=True, is_caregiver=not parent)
        child.guardians.append(target)
    if g.name:
        target.name = g.name
    if g.id_number:
        target.id_number = g.id_number
    if g.phone:
        target.phone = g.phone
    if g.work_place:
        target.notes = _append_once(target.notes, f"务工地点：{g.work_place}")
