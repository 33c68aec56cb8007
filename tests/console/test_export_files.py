# ruff: noqa: F811 - the world fixture is imported from test_pages_data.py
"""The console's exports on a real ``childdesk-district serve``: the figures as a printed PDF
(read back as text), and the export files — written in a private folder beside the district
database, never in the system's temporary folder, gone after the download, after a client
that goes away half-way, and after a crash (a dead process's folder)."""

from __future__ import annotations

import io
import random
import socket
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import insert

from sync.server.console import queries_export as qx
from sync.server.console.auth import COOKIE
from sync.server.console.queries import RegisterRow
from sync.server.console.query_tables import q_children
from tests.console.site import Site
from tests.console.test_pages_data import World, log_rows, world  # noqa: F401 - fixture

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-export-files")

TODAY = date(2026, 11, 1)
ROWS = 12_000
NAME_LENGTH = 200  # long names: the bytes of 50,000 children in a quarter of the rows
HAN = "".join(map(chr, range(0x4E00, 0x9FA6)))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "figures.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def test_the_figures_as_a_printed_pdf(world: World, tmp_path: Path) -> None:
    town, partner = world.clients["town"], world.clients["partner"]
    query = "start=2026-01-01&end=2026-11-01"
    answer = town.get(f"/console/exports/figures.pdf?{query}")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    book = openpyxl.load_workbook(
        io.BytesIO(town.get(f"/console/exports/figures.xlsx?{query}").content)
    )
    head = {r[0]: r[1] for r in book["总览"].iter_rows(values_only=True)}
    levels = {r[0]: r[1] for r in book["按等级"].iter_rows(values_only=True)}
    text = pdf_text(answer.content, tmp_path)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "统计数据" in text and "2026年1月1日 至 2026年11月1日" in text
    assert "内部资料 注意保密" in text  # the laptop's page: letterhead and footer
    assert any(f"在册儿童 {head['在册儿童']}" in line for line in lines), text
    assert any(f"降码 {head['降码']}" in line for line in lines)
    for level in ("红", "橙", "黄", "绿"):
        assert any(line.startswith(f"{level} {levels[level]}") for line in lines), (level, text)
    assert f"乡镇 {world.town.towns[0]}" in text
    exports = [x for x, outcome in log_rows(world.site, "export") if outcome == "ok"]
    assert any(x.startswith("figures-pdf ") and '"start":"2026-01-01"' in x for x in exports)
    assert partner.get(f"/console/exports/figures.pdf?{query}").status_code == 403


def _work(site: Site) -> Path:
    return site.data_dir / "export-work"


def _wait_empty(folder: Path, seconds: float = 20) -> list[Path]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = list(folder.iterdir())
        if not left:
            return []
        time.sleep(0.1)
    return list(folder.iterdir())


def test_a_download_abandoned_half_way_leaves_nothing(fresh_site: Site) -> None:
    """A register of about 6 MB (more than the kernel's socket buffers hold) is asked for by
    a client with a tiny receive window that reads the first bytes and hangs up: the file is
    being streamed from the private folder, then the folder goes. The bytes come from 12,000
    children with 200-character names rather than 50,000 with 24: the same size, written by
    the server (cell by cell) in about a third of the CPU."""
    rng = random.Random(7)
    with fresh_site.engine.begin() as conn:
        conn.execute(
            insert(q_children),
            [
                {
                    "child_id": f"{i:032x}",
                    "village_code": "500119104201",
                    "town_code": "500119104",
                    "name": "".join(rng.choices(HAN, k=NAME_LENGTH)),
                    "initials": "et",
                    "gender": "male" if i % 2 else "female",
                    "birth_date": f"20{10 + i % 8}-0{1 + i % 9}-1{i % 10}",
                    "eighteenth": f"20{28 + i % 8}-0{1 + i % 9}-1{i % 10}",
                    "categories": "|left_behind|",
                    "level": ("red", "orange", "yellow", "green")[i % 4],
                    "last_visit": "2026-10-0" + str(1 + i % 9),
                    "next_due": "2026-11-0" + str(1 + i % 9),
                    "urgent": False,
                    "caring_mother": bool(i % 3),
                    "active": True,
                    "status": "active",
                }
                for i in range(ROWS)
            ],
        )
    account = fresh_site.add("区民政局-导出", "district")
    client = fresh_site.sign_in(account)
    cookie = client.cookies.get(COOKIE)
    assert cookie
    work = _work(fresh_site)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", fresh_site.serve.port))
    sock.sendall(
        b"GET /console/exports/register.xlsx HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Cookie: {COOKIE}={cookie}\r\n\r\n".encode()
    )
    sock.settimeout(120)
    received = b""
    while len(received) < 64 * 1024:
        chunk = sock.recv(4096)
        assert chunk, received[:300]
        received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode()
    assert " 200 " in head.splitlines()[0], head
    length = next(h for h in head.splitlines() if h.lower().startswith("content-length"))
    size = int(length.split(":")[1])
    assert size > 5_000_000
    time.sleep(0.5)
    streaming = list(work.iterdir())
    assert len(streaming) == 1  # the export's own folder, the file still being sent
    assert oct(streaming[0].stat().st_mode & 0o777) == "0o700"
    sock.close()  # the client goes away half-way
    assert _wait_empty(work) == []
    # and a whole download leaves nothing either
    whole = client.get("/console/exports/register.xlsx?level=red")
    assert whole.status_code == 200 and len(whole.content) > 100_000
    assert _wait_empty(work) == []
    client.close()


def test_a_crashed_process_leaves_no_export_behind(tmp_path: Path) -> None:
    root = tmp_path / "export-work"
    dead = subprocess.Popen(["true"])
    dead.wait()
    crashed = root / f"{dead.pid}-abc"
    crashed.mkdir(parents=True)
    (crashed / "register.xlsx").write_bytes(b"PK leftover")
    mine = qx.new_work_dir(root)  # this process is alive: its folder stays
    assert qx.clean_leftovers(root) == 1
    assert list(root.iterdir()) == [mine]
    qx.remove_work_dir(mine)


def test_the_writer_uses_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    root = tmp_path / "export-work"
    work = qx.new_work_dir(root)
    rows = (
        RegisterRow(
            f"{i:032x}",
            f"=儿童{i}",
            "male",
            "2015-03-12",
            "500119104201",
            "500119104",
            ("left_behind",),
            "red",
            "2026-10-01",
            "2026-11-01",
            i % 30,
            None,
            False,
            True,
            "2033-03-12",
        )
        for i in range(3000)
    )
    path = work / "register.xlsx"
    assert qx.write_register(rows, path, work) == 3000
    assert [p.name for p in work.iterdir()] == ["register.xlsx"]  # the row files went
    sheet = openpyxl.load_workbook(path).active
    assert (
        sheet["B2"].value == "=儿童0" and sheet["B2"].data_type == "s" and sheet["B2"].quotePrefix
    )
    assert sheet["D2"].is_date and sheet["D2"].value.date() == date(2015, 3, 12)
    assert sum(len(c) for c in qx.stream_file(path, work)) > 0
    assert list(root.iterdir()) == [] and list(temporary.iterdir()) == []


@pytest.mark.parametrize("streamed", [False, True])
def test_one_neutralisation_for_both_modes(tmp_path: Path, streamed: bool) -> None:
    """The laptop (in memory) and the console (streamed) write through the same code: text
    that a spreadsheet could take for a formula gets the quote prefix and stays whole."""
    from app.registers.xlsx_export import Column, Table, write_workbook

    texts = ["=1+1", "+86 138", "-5", "@SUM(A1)", "\t=cmd", "张三", "a\x00b\x1bc"]
    table = Table([Column("文字"), Column("日期", "date")], [[t, date(2015, 3, 12)] for t in texts])
    path = tmp_path / "t.xlsx"
    if streamed:
        work = qx.new_work_dir(tmp_path / "export-work")
        write_workbook(path, [table], work_dir=work)
    else:
        with path.open("wb") as out:
            write_workbook(out, [table])
    sheet = openpyxl.load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*texts[:6], "ab" + "c"]
    assert all(c.data_type == "s" for c in cells)
    assert [bool(c.quotePrefix) for c in cells] == [True] * 5 + [False, False]
    assert all(row[1].is_date for row in sheet.iter_rows(min_row=2))
