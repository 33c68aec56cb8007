# ruff: noqa: F811 - fixtures imported from tests/sync/conftest.py and test_queries.py
"""Exports: the register and the figures as .xlsx within the user's scope, formula-like text
neutralised, read back with openpyxl."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl

from sync.server.console import queries as q
from sync.server.console import queries_export as qx
from sync.server.console import queries_overview as qo
from tests.console.test_queries import (  # noqa: F401 - fixtures
    DISTRICT,
    TOWN,
    Synced,
    synced,
)
from tests.console.test_query_tables import TODAY


def test_register_and_figures_exports(synced: Synced, tmp_path: Path) -> None:
    engine = synced.district.engine
    with engine.connect() as conn:
        child = conn.execute(
            q.q_children.update()
            .where(q.q_children.c.child_id == synced.dup_a)
            .values(name='=HYPERLINK("http://x")')
        )
        conn.commit()
        assert child.rowcount == 1
        work = qx.new_work_dir(tmp_path / "export-work")
        town_file = work / "town.xlsx"
        written = qx.write_register(
            q.register_rows(conn, TOWN, q.RegisterFilter(), TODAY), town_file, work
        )
        full_file = work / "full.xlsx"
        total = qx.write_register(
            q.register_rows(conn, DISTRICT, q.RegisterFilter(), TODAY, chunk=3), full_file, work
        )
        figures = qo.overview(conn, TOWN, date(2026, 1, 1), TODAY, TODAY)
    assert written == len(synced.a_ids) and total == len(synced.a_ids | synced.c_ids)
    book = openpyxl.load_workbook(town_file)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == qx.REGISTER_HEADER and len(rows) == written + 1
    villages = {r[4] for r in rows[1:]}
    assert villages == {synced_village(synced)}
    names = [r[1] for r in rows[1:]]
    assert '=HYPERLINK("http://x")' in names
    cell = next(c for c in book.active.iter_rows() if c[1].value and c[1].value.startswith("="))
    assert cell[1].data_type == "s" and cell[1].quotePrefix  # text, never a formula
    assert all(isinstance(r[3], datetime) for r in rows[1:] if r[3])  # dates as dates
    assert sum(1 for r in rows[1:] if r[14] == "是") == 1  # the duplicate across villages
    figures_file = work / "figures.xlsx"
    qx.write_figures(figures, figures_file, work, "乡镇 500119104")
    book = openpyxl.load_workbook(figures_file)
    assert book.sheetnames[:3] == ["总览", "按等级", "按类别"]
    head = {r[0]: r[1] for r in book["总览"].iter_rows(values_only=True)}
    assert head["在册儿童"] == figures.active == len(synced.a_ids)


def synced_village(synced: Synced) -> str:
    from tests.sync.conftest import VILLAGE_A

    return VILLAGE_A


def test_streamed_file_goes_with_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "export-work"
    work = qx.new_work_dir(root)
    assert oct(root.stat().st_mode & 0o777) == "0o700"
    assert oct(work.stat().st_mode & 0o777) == "0o700"
    path = work / "x.xlsx"
    path.write_bytes(b"x" * (qx.CHUNK * 2 + 5))
    assert sum(len(c) for c in qx.stream_file(path, work)) == qx.CHUNK * 2 + 5
    assert not work.exists() and list(root.iterdir()) == []
    abandoned = qx.new_work_dir(root)
    (abandoned / "y.xlsx").write_bytes(b"y" * (qx.CHUNK * 3))
    chunks = qx.stream_file(abandoned / "y.xlsx", abandoned)
    next(chunks)
    chunks.close()  # the client went away after the first chunk
    assert list(root.iterdir()) == []
