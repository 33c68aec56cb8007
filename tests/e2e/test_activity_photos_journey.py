"""活动照片 (issue 19) in the real program on a real X display (1366×768 with a taskbar), real
worker threads, strict vault threading, real X input: from the 活动 page a director opens an
activity's photos, adds one through Qt's file dialog (it is decrypted, decoded on the worker and
shown: the preview's pixels are the photo's colour), is told in words that a PDF is not a photo,
removes one with a reason, and the windows fit — at the default text and at 特大. Afterwards the
vault holds the photo, and no file of the vault folder holds its bytes in plaintext."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from app.domain.activity import Activity, ActivityKind
from app.services.activities import ActivityService
from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from tests.e2e.conftest import locked_copy
from tests.e2e.harness import Desk, Display, write_settings
from tests.e2e.test_director_journeys import DIRECTOR, VILLAGE, go_to
from tests.e2e.test_journeys import LARGEST, assert_fits, unlock
from tests.fixtures.photos import MARKER, jpeg_bytes, png_bytes

TITLE = "红色实践：重走长征路"
BLUE = QColor(30, 140, 200)  # jpeg_bytes' colour


def fill_with_a_photo(vault: Vault) -> None:
    """12 demo children and one activity with one photo already."""
    from app.demo_caseload import fill_vault

    fill_vault(
        vault, children=12, seed=5, village_code=VILLAGE, today=date.today(), author=DIRECTOR
    )
    service = ActivityService(vault, author=DIRECTOR)
    activity = Activity(date.today(), ActivityKind.RED_PRACTICE, TITLE, VILLAGE)
    activity_id = service.record(activity).record_id
    service.add_photo(activity_id, io.BytesIO(png_bytes(400, 300)), filename="已有的.png")


@pytest.fixture
def vault_dir(workdir: Path, vault_copies: VaultCopies) -> Path:
    return locked_copy(vault_copies, workdir / "vault", "e2e-12-seed-5-photo", fill_with_a_photo)


@pytest.fixture
def photo_files(workdir: Path) -> Iterator[tuple[Path, Path]]:
    folder = workdir / "home" / "照片"
    folder.mkdir(parents=True)
    photo, pdf = folder / "合影.jpg", folder / "签到表.png"
    photo.write_bytes(jpeg_bytes(1600, 1200))
    pdf.write_bytes(b"%PDF-1.4 not a photo " + MARKER)
    yield photo, pdf


def _pick(desk: Desk, path: Path) -> None:
    desk.click(name="activity_photo_add")
    desk.window("选择活动照片")
    desk.one(name="fileNameEdit", timeout=15)  # Qt's own file dialog's name field
    desk.fill(str(path), name="fileNameEdit")
    desk.key("Return")
    desk.no_window("选择活动照片")


def _photo_rows(desk: Desk) -> list[str]:
    return list(desk.one(name="activity_photo_list").get("items") or [])


def _preview_colour(desk: Desk, shot: Path) -> QColor:
    x, y, width, height = desk.one(name="activity_photo_preview")["rect"]
    image = QImage(str(shot))
    return image.pixelColor(x + width // 2, y + height // 2)


def _near(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) < 24


def _shows_blue(desk: Desk, name: str) -> bool:
    return _near(_preview_colour(desk, desk.screenshot(name)), BLUE)


@pytest.mark.parametrize("scale", [1.0, LARGEST], ids=["default", "largest"])
def test_add_see_refuse_and_remove_an_activity_photo(
    display: Display,
    workdir: Path,
    vault_dir: Path,
    photo_files: tuple[Path, Path],
    scale: float,
) -> None:
    photo, pdf = photo_files
    write_settings(workdir, text_scale=scale)
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        unlock(desk)
        go_to(desk, "活动")
        desk.wait(lambda: desk.one(name="activity_table").get("items"), "the activities")
        desk.click_item(name="activity_table", row=0)
        desk.click(name="activity_photos")
        desk.window("活动照片")
        desk.wait(lambda: len(_photo_rows(desk)) == 1, "the photo already there")

        _pick(desk, photo)
        desk.wait(lambda: len(_photo_rows(desk)) == 2, "the added photo listed")
        assert _photo_rows(desk)[1].startswith("合影.jpg")
        desk.wait(
            lambda: desk.one(name="activity_photo_preview").get("text") == "",
            "the photo shown",
            timeout=20,
        )
        # the file dialog's leftover pixels can take a moment to be repainted
        desk.wait(lambda: _shows_blue(desk, f"photo-shown-{scale}"), "the photo's pixels")
        assert_fits(desk)

        _pick(desk, pdf)
        desk.wait(
            lambda: "只能添加JPG或PNG格式的照片" in desk.one(name="activity_photo_message")["text"],
            "the refusal in words",
        )
        desk.screenshot(f"pdf-refused-{scale}")
        assert len(_photo_rows(desk)) == 2
        assert_fits(desk)

        if scale == 1.0:  # removing once is enough
            desk.click_item(name="activity_photo_list", row=0)
            desk.click(name="activity_photo_remove")
            desk.window("删除照片")
            desk.fill("拍错了", cls="QLineEdit", window="删除照片")
            desk.key("Return")
            desk.wait(lambda: len(_photo_rows(desk)) == 1, "the photo removed")
            assert _photo_rows(desk)[0].startswith("合影.jpg")
        desk.click(name="activity_photo_close")
        desk.no_window("活动照片")
        desk.wait(
            lambda: any(
                row.endswith(" | 1张" if scale == 1.0 else " | 2张")
                for row in desk.one(name="activity_table").get("items") or []
            ),
            "the 照片 column counts them",
        )
    finally:
        desk.stop()
    assert not desk.stderr_problems(), desk.stderr_problems()
    vault = Vault.unlock(vault_dir, PASSWORD)
    try:
        service = ActivityService(vault, author=DIRECTOR)
        (stored,) = service.list_all()
        photos = service.photos(stored.record_id)
        assert "合影.jpg" in [p.filename for p in photos]
        added = next(p for p in photos if p.filename == "合影.jpg")
        assert service.photo_bytes(added.photo_id) == photo.read_bytes()
    finally:
        vault.lock()
    photo.unlink()
    pdf.unlink()
    leaked = [p for p in workdir.rglob("*") if p.is_file() and MARKER in p.read_bytes()]
    assert leaked == [], leaked
