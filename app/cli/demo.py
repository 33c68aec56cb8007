"""``childdesk --demo`` before the desktop app exists: a temporary vault filled with the
synthetic caseload (演示数据), shown from the command line, then removed."""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

from app.demo_caseload import DEMO_MARK, fill_vault
from app.domain.categories import CATEGORY_LABELS_ZH
from app.domain.child_file import GENDER_LABELS_ZH
from app.domain.schedule import load_schedule
from app.services.caseload import Caseload
from storage.vault import Vault
from storage.verify import verify_vault

DEMO_PASSWORD = "demo-only-phrase-演示"  # noqa: S105 (a throwaway temporary vault)
DEMO_CHILDREN = 60
_LEVEL_ZH = {"green": "绿", "yellow": "黄", "orange": "橙", "red": "红", None: "未评"}


def run_demo(_args: argparse.Namespace) -> int:
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="childdesk-demo-") as tmp:
        created = Vault.create(
            Path(tmp) / "vault",
            DEMO_PASSWORD,
            director_name="演示主任",
            village_code="500119104201",
        )
        with created.vault as vault:
            summary = fill_vault(
                vault,
                children=DEMO_CHILDREN,
                seed=2026,
                village_code="500119104201",
                today=today,
                author="演示主任",
            )
            caseload = Caseload.open(vault)
            due = caseload.due(load_schedule(), today)
            print(f"儿童主任工作台 — {DEMO_MARK}（临时保险库：{vault.paths.root}）")
            print(f"{'姓名':<6}{'性别':<3}{'年龄':>4}  {'等级':<3}{'上次走访':<12}类别")
            rows = sorted(caseload.summaries.values(), key=lambda s: s.name)
            for row in rows[:15]:
                child = row.child
                last = row.last_visit.isoformat() if row.last_visit else "—"
                categories = "、".join(CATEGORY_LABELS_ZH[c] for c in child.categories)
                print(
                    f"{child.name:<6}{GENDER_LABELS_ZH[child.gender]:<3}{child.age_on(today):>4}  "
                    f"{_LEVEL_ZH[row.level]:<3}{last:<12}{categories}"
                )
            print(
                f"… 共 {summary.children} 名儿童，{summary.visits} 条走访记录，"
                f"{summary.assessments} 次评估，{summary.cases} 个个案"
            )
            print(f"待办：{len(due.overdue)} 名儿童走访已逾期，{len(due.due_soon)} 名一周内到期")
            report = verify_vault(vault)
            print(
                f"校验：{report.revisions_checked} 个修订、{report.attachments_checked} 个附件，"
                f"{'全部完好' if report.healthy else '发现损坏'}"
            )
    print("（桌面程序将在后续版本提供；演示保险库已删除。）")
    return 0
