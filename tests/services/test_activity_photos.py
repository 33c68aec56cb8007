"""Activity photos (issue 19, "photos as encrypted attachments") through ActivityService on a
real vault file: added (JPEG and PNG), listed, read back byte for byte, removed with a reason;
other files, empty ones, ones too large and one photo too many refused in Chinese with nothing
written; correcting the activity keeps its photos, deleting it removes them; and the photo's
bytes are nowhere on disk in plaintext (the vault folder and the folder around it are searched
for a marker inside the image), while open and after locking.
Sync: tests/sync/test_activity_photos_sync.py."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from app.domain.activity import MAX_PHOTO_BYTES, MAX_PHOTOS, Activity, ActivityKind
from app.domain.problems import DomainValidationError
from app.services.activities import ActivityService
from storage.errors import RecordNotFoundError
from storage.records import ATTACHMENT_TYPE
from storage.vault import Vault
from tests.fixtures.photos import MARKER, jpeg_bytes, png_bytes

VILLAGE_A = "500119104201"
TODAY = date(2026, 11, 22)


def _service(vault: Vault) -> ActivityService:
    return ActivityService(vault, author="王", today=lambda: TODAY)


def _recorded(service: ActivityService, title: str = "红色监护课堂") -> str:
    activity = Activity(
        on=TODAY, kind=ActivityKind.PARENT_CLASS, title=title, village_code=VILLAGE_A
    )
    return service.record(activity).record_id


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _blob_count(vault: Vault) -> int:
    return len(list(vault.paths.attachments.rglob("*.cda")))


def test_add_list_read_back_and_remove_with_a_reason(vault: Vault, tmp_path: Path) -> None:
    service = _service(vault)
    activity_id = _recorded(service)
    jpeg, png = jpeg_bytes(), png_bytes()
    source = tmp_path / "picked" / "照片"
    source.mkdir(parents=True)
    (source / "合影.JPG").write_bytes(jpeg)
    with (source / "合影.JPG").open("rb") as f:
        first = service.add_photo(activity_id, f, filename=str(source / "合影.JPG"))
    second = service.add_photo(activity_id, io.BytesIO(png), filename=r"C:\Users\村委会\手工.png")
    assert (first.filename, first.mime, first.size) == ("合影.JPG", "image/jpeg", len(jpeg))
    assert (second.filename, second.mime) == ("手工.png", "image/png")  # a Windows path, too
    assert [p.photo_id for p in service.photos(activity_id)] == [first.photo_id, second.photo_id]
    assert service.photo_counts() == {activity_id: 2}
    assert service.photo_bytes(first.photo_id) == jpeg
    assert service.photo_bytes(second.photo_id) == png

    # encrypted: the marker inside the images is in no file of the vault folder, nor anywhere
    # around it but the picked file itself (no plaintext copy, no temporary file)
    (source / "合影.JPG").unlink()
    assert MARKER in jpeg and MARKER in png
    assert _files_holding(vault.paths.root, MARKER) == []
    assert _files_holding(tmp_path, MARKER) == []

    # removed with a reason (a blank one refused); the reason stays in the tombstone
    with pytest.raises(DomainValidationError) as blank:
        service.remove_photo(first.photo_id, reason="  ")
    assert blank.value.message_zh == "请写明删除的原因。"
    service.remove_photo(first.photo_id, reason="拍到了不该出镜的儿童")
    assert [p.photo_id for p in service.photos(activity_id)] == [second.photo_id]
    tombstone = vault.history(first.photo_id)[-1]
    assert tombstone.deleted and tombstone.data["deletion_reason"] == "拍到了不该出镜的儿童"
    assert tombstone.data["owner_id"] == activity_id
    with pytest.raises(RecordNotFoundError):
        service.photo_bytes(first.photo_id)

    vault.lock()
    assert _files_holding(tmp_path, MARKER) == []


def test_other_files_are_refused_in_words_and_nothing_is_written(vault: Vault) -> None:
    service = _service(vault)
    activity_id = _recorded(service)
    blobs, records = _blob_count(vault), len(vault.load(ATTACHMENT_TYPE).revisions)
    refused = {
        "签到表.pdf": b"%PDF-1.4 " + MARKER,
        "伪装.jpg": b"GIF89a" + MARKER,  # the name says JPEG, the content does not
        "空.png": b"",
        "太大.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES,
    }
    said = {}
    for name, content in refused.items():
        with pytest.raises(DomainValidationError) as caught:
            service.add_photo(activity_id, io.BytesIO(content), filename=name)
        said[name] = caught.value.message_zh
    assert "只能添加JPG或PNG格式的照片" in said["签到表.pdf"]
    assert "只能添加JPG或PNG格式的照片" in said["伪装.jpg"]
    assert "空的" in said["空.png"]
    assert "不能超过10MB" in said["太大.jpg"]
    # exactly the limit is accepted
    at_limit = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_PHOTO_BYTES - 4)
    service.add_photo(activity_id, io.BytesIO(at_limit), filename="刚好.jpg")
    assert _blob_count(vault) == blobs + 1
    assert len(vault.load(ATTACHMENT_TYPE).revisions) == records + 1
    assert _files_holding(vault.paths.root, MARKER) == []
    # one photo too many
    for n in range(MAX_PHOTOS - 1):
        service.add_photo(activity_id, io.BytesIO(png_bytes(4, 4)), filename=f"{n}.png")
    with pytest.raises(DomainValidationError) as caught:
        service.add_photo(activity_id, io.BytesIO(png_bytes(4, 4)), filename="多一张.png")
    assert f"最多保存{MAX_PHOTOS}张照片" in caught.value.message_zh
    assert len(service.photos(activity_id)) == MAX_PHOTOS
    # no activity, no photo
    with pytest.raises(RecordNotFoundError):
        service.add_photo("f" * 32, io.BytesIO(png_bytes()), filename="a.png")


def test_editing_keeps_the_photos_and_deleting_removes_them(vault: Vault) -> None:
    service = _service(vault)
    activity_id = _recorded(service)
    other_id = _recorded(service, "团体辅导")
    photo = service.add_photo(activity_id, io.BytesIO(jpeg_bytes()), filename="a.jpg")
    other = service.add_photo(other_id, io.BytesIO(png_bytes()), filename="b.png")
    stored = service.get(activity_id)
    changed = stored.value
    changed.title = "红色监护课堂（第二期）"
    changed.others_count = 4
    service.update(activity_id, changed, base_revision=stored.revision)
    assert [p.photo_id for p in service.photos(activity_id)] == [photo.photo_id]
    assert service.photo_bytes(photo.photo_id) == jpeg_bytes()

    service.delete(activity_id, reason="重复登记")
    assert service.photos(activity_id) == []
    tombstone = vault.history(photo.photo_id)[-1]
    assert tombstone.deleted and tombstone.data["deletion_reason"] == "活动已删除：重复登记"
    assert [p.photo_id for p in service.photos(other_id)] == [other.photo_id]  # untouched


def test_a_childs_attachment_is_not_an_activity_photo(vault: Vault) -> None:
    service = _service(vault)
    child = vault.put("child", {"village_code": VILLAGE_A, "name": "附件儿童"}, author="王")
    scan = vault.add_attachment(
        io.BytesIO(png_bytes()),
        owner_id=child.record_id,
        filename="残疾证.png",
        mime="image/png",
        author="王",
    )
    with pytest.raises(RecordNotFoundError):
        service.photo_bytes(scan.record_id)
    with pytest.raises(RecordNotFoundError):
        service.remove_photo(scan.record_id, reason="不是活动照片")
    assert not vault.get(scan.record_id).deleted
