"""Register (台账) import and export benchmark.

    python bench/registers.py [--children 10000] [--rows 2000]
    python bench/registers.py --small        # 300 children, 100 rows (the smoke test)

Makes a real vault with ``--children`` synthetic child files (app/demo_caseload's generator,
fictional ID numbers), then a register .xlsx of ``--rows`` rows in the national layout (title
row, two-row merged header): half the rows are children already in the vault (a few fields
differ), the rest new, and 5 % of all rows have problems (ID check character, an ID number
Excel turned into 5.00119E+17, an impossible date, a child over 18, a duplicate row). Times:

- ``preview_s``: open the file, find the header, read and check every row, match against the
  vault (what the 预览 shows) — target ≤ 3 s;
- ``commit_s``: write the creates and updates in one transaction — target ≤ 10 s;
- ``export_s``: every child file to an .xlsx in the register layout — target ≤ 5 s;
  ``export_encrypted_s`` the same with a password.

Prints one JSON object with those figures and the counts.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.demo_caseload import synthetic_child  # noqa: E402
from app.domain.child_file import Gender  # noqa: E402
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number  # noqa: E402
from app.registers.headers import auto_mapping  # noqa: E402
from app.registers.plan import Action  # noqa: E402
from app.registers.reader import open_register  # noqa: E402
from app.registers.service import RegisterImport  # noqa: E402
from app.registers.xlsx_export import (  # noqa: E402
    REGISTER_COLUMNS,
    child_row,
    export_children,
    write_table,
)
from app.services.children import ChildService  # noqa: E402
from storage.vault import Vault  # noqa: E402

VILLAGE = "500119104201"
TODAY = date(2026, 11, 22)


def fill(vault: Vault, count: int, rng: random.Random) -> ChildService:
    service = ChildService(vault, author="基准测试", today=lambda: TODAY)
    used: set[str] = set()
    with vault.transaction():
        for n in range(count):
            child = synthetic_child(rng, VILLAGE, TODAY, rng.choice(["green", "yellow"]))
            sequence = (n % 500) * 2 + (1 if child.gender == Gender.MALE else 0)
            number = make_id_number(FICTIONAL_AREA_CODE, child.birth_date, sequence)
            if number in used:
                number = ""
            used.add(number)
            service.create(replace(child, id_number=number))
    return service


def make_register(path: Path, service: ChildService, rows: int, rng: random.Random) -> int:
    existing = [s.value for s in service.list_all()[0] if s.value.id_number]
    rng.shuffle(existing)
    half = rows // 2
    body: list[list[object]] = []
    for n, child in enumerate(existing[:half], start=1):
        row = child_row(child, n, "register")
        if n % 3 == 0:
            row[10] = "新学校"  # 就学情况 differs: an update
        body.append(row)
    made = 0
    while len(body) < rows:
        fresh = synthetic_child(rng, VILLAGE, TODAY, "green")
        sequence = (made % 500) * 2 + (1 if fresh.gender == Gender.MALE else 0)
        number = make_id_number("500198", fresh.birth_date, sequence)
        made += 1
        body.append(child_row(replace(fresh, id_number=number), len(body) + 1, "register"))
    bad = 0
    for index in range(0, rows, 20):  # 5 %
        row = body[index]
        kind = bad % 5
        if kind == 0 and row[5]:
            text = str(row[5])
            row[5] = text[:-1] + ("0" if text[-1] != "0" else "1")
        elif kind == 1:
            row[5] = "5.00119E+17"
        elif kind == 2:
            row[4] = "2015.2.30"
            row[5] = ""
        elif kind == 3:
            row[4] = date(2005, 1, 1)
            row[5] = ""
        else:
            body[index] = list(body[(index + 1) % rows])
        bad += 1
    with path.open("wb") as out:
        write_table(out, columns=REGISTER_COLUMNS, rows=body, title="农村留守儿童基本情况登记表")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    if args.small:
        args.children, args.rows = 300, 100
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        created = Vault.create(
            folder / "vault", "bench-register-2026", director_name="基准", village_code=VILLAGE,
            kdf_target_ms=0,
        )  # fmt: skip
        vault = created.vault
        start = time.perf_counter()
        service = fill(vault, args.children, rng)
        fill_s = time.perf_counter() - start
        register = folder / "register.xlsx"
        bad = make_register(register, service, args.rows, rng)

        importer = RegisterImport(vault, author="基准测试", today=lambda: TODAY)
        start = time.perf_counter()
        sheet = open_register(register).read_sheet(0)
        plan = importer.plan(sheet, auto_mapping(sheet.headers))
        preview_s = time.perf_counter() - start

        start = time.perf_counter()
        result = importer.commit(plan)
        commit_s = time.perf_counter() - start

        children = [s.value for s in service.list_all()[0]]
        start = time.perf_counter()
        out = io.BytesIO()
        export_children(out, children)
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        export_children(io.BytesIO(), children, password="bench")
        export_encrypted_s = time.perf_counter() - start
        vault.lock()
    figures = {
        "children": args.children,
        "rows": args.rows,
        "bad_rows_made": bad,
        "fill_s": round(fill_s, 2),
        "preview_s": round(preview_s, 3),
        "commit_s": round(commit_s, 3),
        "export_children": len(children),
        "export_s": round(export_s, 3),
        "export_encrypted_s": round(export_encrypted_s, 3),
        "export_mb": round(len(out.getvalue()) / 1e6, 2),
        "counts": plan.counts(),
        "problems": plan.count(Action.PROBLEM),
        "written": result.to_json(),
    }
    json.dump(figures, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
