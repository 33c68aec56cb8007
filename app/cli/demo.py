"""``childdesk --demo`` before the desktop app exists: a temporary vault filled with synthetic
data (演示数据), shown from the command line, then removed."""

from __future__ import annotations

import argparse
import io
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from app.demo_data import DEMO_MARK, synthetic_child, synthetic_visit
from storage.vault import Vault
from storage.verify import verify_vault

DEMO_PASSWORD = "demo-only-phrase-演示"  # noqa: S105 (a throwaway temporary vault)
_LEVEL_ZH = {"green": "绿", "yellow": "黄", "orange": "橙", "red": "红"}


def run_demo(_args: argparse.Namespace) -> int:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="childdesk-demo-") as tmp:
        created = Vault.create(
            Path(tmp) / "vault",
            DEMO_PASSWORD,
            director_name="演示主任",
            village_code="500119104201",
        )
        with created.vault as vault:
            with vault.transaction():
                children = [
                    vault.put("child", synthetic_child(rng), author="演示主任") for _ in range(30)
                ]
                for child in children:
                    for months in range(3):
                        on = date.today() - timedelta(days=30 * months + rng.randrange(0, 20))
                        vault.put(
                            "visit", synthetic_visit(rng, child.record_id, on), author="演示主任"
                        )
            vault.add_attachment(
                io.BytesIO(rng.randbytes(300_000)),
                owner_id=children[0].record_id,
                filename="残疾证.jpg",
                mime="image/jpeg",
                author="演示主任",
            )
            print(f"儿童主任工作台 — {DEMO_MARK}（临时保险库：{vault.paths.root}）")
            print(f"{'姓名':<6}{'性别':<4}{'出生日期':<12}{'等级':<4}类别")
            for child in sorted(vault.load("child").revisions, key=lambda r: r.data["name"])[:12]:
                d = child.data
                print(
                    f"{d['name']:<6}{d['gender']:<4}{d['birth_date']:<12}"
                    f"{_LEVEL_ZH[d['level']]:<4}{'、'.join(d['categories'])}"
                )
            print(f"… 共 {len(children)} 名儿童，{len(vault.load('visit').revisions)} 条走访记录")
            report = verify_vault(vault)
            print(
                f"校验：{report.revisions_checked} 个修订、{report.attachments_checked} 个附件，"
                f"{'全部完好' if report.healthy else '发现损坏'}"
            )
    print("（桌面程序将在后续版本提供；演示保险库已删除。）")
    return 0
