"""Activity photos (issue 19) sync as the other attachments do: recorded on one laptop, the
activity and its photos reach the district (the blob stored there) and a colleague's laptop in
the same village through the real district server on loopback, stored there encrypted and read
back byte for byte; a photo removed with a reason is removed there too. Before the district
scoped an activity's attachment by its activity's village, the photo never reached the
colleague and its removal was refused as out of scope."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import select

from app.domain.activity import Activity, ActivityKind
from app.services.activities import ActivityService
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.server import db
from sync.server.district import District
from tests.fixtures.photos import MARKER, jpeg_bytes, png_bytes
from tests.sync.conftest import VILLAGE_A, ServerThread

TODAY = date(2026, 11, 22)


def _enrolled(district: District, url: str, vault: Vault) -> LaptopSync:
    engine = LaptopSync(vault, author="王", sleep=lambda _s: None)
    engine.enroll_network(url, district.create_enroll_code([VILLAGE_A], 3600), label="一村")
    return engine


def _vault_bytes(vault: Vault) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(vault.paths.root.rglob("*")) if p.is_file())


def test_photos_reach_the_district_and_a_colleague_and_their_removal_follows(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    first, second = vaults("a"), vaults("b")
    one = _enrolled(sqlite_district, server.url, first)
    two = _enrolled(sqlite_district, server.url, second)
    mine = ActivityService(first, author="王", today=lambda: TODAY)
    activity_id = mine.record(
        Activity(TODAY, ActivityKind.RED_PRACTICE, "红色实践：重走长征路", VILLAGE_A)
    ).record_id
    big = jpeg_bytes(900, 700) + bytes(range(256)) * 400  # more than one 64 KiB chunk
    photos = {
        mine.add_photo(activity_id, io.BytesIO(big), filename="出发.jpg").photo_id: big,
        mine.add_photo(activity_id, io.BytesIO(png_bytes()), filename="合影.png").photo_id: (
            png_bytes()
        ),
    }
    report = one.sync_now()
    assert report.rejected == 0 and one.status().pending == 0
    with sqlite_district.engine.connect() as conn:  # the district holds both files
        stored = {row.sha256 for row in conn.execute(select(db.blobs.c.sha256))}
    assert len(stored) == 2

    pulled = two.sync_now()
    assert pulled.attachments_received == 2 and pulled.attachments_refused == 0
    theirs = ActivityService(second, author="李", today=lambda: TODAY)
    assert {p.photo_id for p in theirs.photos(activity_id)} == set(photos)
    for photo_id, content in photos.items():
        assert theirs.photo_bytes(photo_id) == content
    assert [p.filename for p in theirs.photos(activity_id)] == ["出发.jpg", "合影.png"]
    assert MARKER not in _vault_bytes(second)

    # the colleague corrects the activity (photos kept) and removes one photo with a reason
    current = theirs.get(activity_id)
    value = current.value
    value.others_count = 12
    theirs.update(activity_id, value, base_revision=current.revision)
    removed = next(iter(photos))
    theirs.remove_photo(removed, reason="照片拍得不清楚")
    report = two.sync_now()
    assert report.rejected == 0 and two.status().pending == 0
    one.sync_now()
    assert [p.photo_id for p in mine.photos(activity_id)] == [p for p in photos if p != removed]
    assert mine.get(activity_id).value.others_count == 12
    history = first.history(removed)
    assert history[-1].deleted  # the reason is in the colleague's tombstone, kept here
    assert [r.author for r in history if r.data.get("deletion_reason") == "照片拍得不清楚"] == [
        "李"
    ]
