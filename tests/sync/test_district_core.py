"""The district server's core on both databases: batches from real vaults, receipts, replays,
idempotency, scope, revocation, merge and conflicts, the changes feed, enrollment rules."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from app.demo_caseload import fill_vault
from storage import outbox
from sync.documents import build_batch_plaintext, encrypt_batch, read_receipt
from sync.errors import (
    EnrollmentRefusedError,
    ReusedIdError,
    RevokedError,
    SyncError,
    TooManyAttemptsError,
)
from sync.server.district import District
from sync.wire import new_id
from tests.sync import laptop_device as device_side
from tests.sync.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C, revision_item

TODAY = date(2026, 11, 1)


def send_all(district: District, dev: Any) -> list[Any]:
    receipts = []
    for built in device_side.build_batches(dev.vault):
        result = district.ingest(built.data)
        receipts.append(device_side.apply_receipt(dev.vault, result.receipt))
    return receipts


def test_demo_vault_is_accepted_and_replays_change_nothing(
    district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    summary = fill_vault(
        dev.vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王秀英"
    )
    batches = device_side.build_batches(dev.vault, max_revisions=40)
    assert len(batches) > 1
    pending = outbox.pending_count(dev.vault)  # local-only records are no longer pending
    assert sum(len(b.revisions) for b in batches) == pending
    for built in batches:
        result = district.ingest(built.data)
        receipt = device_side.apply_receipt(dev.vault, result.receipt)
        assert receipt.batch_id == built.batch_id
        assert receipt.rejected == ()
    assert outbox.pending_count(dev.vault) == 0
    counts = district.counts()
    assert counts["revisions"] == pending == counts["distinct_revisions"]
    assert counts["batches"] == len(batches)
    # every batch again: the same receipt byte for byte, nothing stored twice
    for built in batches:
        again = district.ingest(built.data)
        assert again.replay
    assert district.counts() == counts
    stats = district.stats()["villages"][VILLAGE_A]
    assert stats["children"] == 6
    assert stats["visits"] == summary.visits
    assert sum(stats["children_by_level"].values()) == 6


def test_replayed_batch_returns_identical_receipt(district: District, make_device: Any) -> None:
    dev = make_device(district, [VILLAGE_A])
    item = revision_item(
        dev,
        record_id=new_id(),
        record_type="child",
        data={"village_code": VILLAGE_A, "name": "甲"},
        wall_ms=1_000,
    )
    batch_id = new_id()
    plaintext = build_batch_plaintext(
        batch_id=batch_id,
        device_id=dev.device_id,
        sequence=1,
        district_id=dev.enrollment.district_id,
        cursor="",
        items=[item],
        signer=dev.keys.signing,
    )
    data = encrypt_batch(plaintext, dev.enrollment.district)
    first = district.ingest(data).receipt
    assert district.ingest(data).receipt == first
    # the same batch re-encrypted (age is randomised): still the same batch, the same receipt
    again = encrypt_batch(plaintext, dev.enrollment.district)
    assert again != data
    result = district.ingest(again)
    assert result.replay and result.receipt == first
    other = revision_item(
        dev,
        record_id=new_id(),
        record_type="child",
        data={"village_code": VILLAGE_A},
        wall_ms=2_000,
    )
    with pytest.raises(ReusedIdError) as refused:
        district.ingest(dev.batch([other], batch_id=batch_id, sequence=2))
    assert refused.value.code == "batch_id_reused"
    with pytest.raises(ReusedIdError) as refused:
        district.ingest(dev.batch([other], sequence=1))
    assert refused.value.code == "sequence_reused"
    assert district.counts()["revisions"] == 1


def test_same_revision_in_a_new_batch_is_not_stored_twice(
    district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    dev.vault.put("child", {"village_code": VILLAGE_A, "name": "乙"}, author="王")
    first = device_side.build_batches(dev.vault)
    district.ingest(first[0].data)  # the receipt is "lost": the device never applies it
    # and the kept batch with it (a vault restored from a backup): its revisions go again
    device_side.forget_batch(dev.vault, first[0])
    rebuilt = device_side.build_batches(dev.vault)
    assert rebuilt[0].batch_id != first[0].batch_id
    result = district.ingest(rebuilt[0].data)
    receipt = device_side.apply_receipt(dev.vault, result.receipt)
    assert len(receipt.accepted) == len(rebuilt[0].revisions)
    assert district.counts()["revisions"] == district.counts()["distinct_revisions"]
    assert outbox.pending_count(dev.vault) == 0


def test_scope_is_checked_per_revision(district: District, make_device: Any) -> None:
    dev = make_device(district, [VILLAGE_A])
    other = make_device(district, [VILLAGE_C], name="c")
    foreign_child = new_id()
    district.ingest(
        other.batch(
            [
                revision_item(
                    other,
                    record_id=foreign_child,
                    record_type="child",
                    data={"village_code": VILLAGE_C},
                    wall_ms=500,
                )
            ]
        )
    )
    mine = new_id()
    items = [
        revision_item(
            dev,
            record_id=mine,
            record_type="child",
            data={"village_code": VILLAGE_A},
            wall_ms=1_000,
        ),
        revision_item(
            dev, record_id=new_id(), record_type="visit", data={"child_id": mine}, wall_ms=1_001
        ),
        revision_item(
            dev,
            record_id=new_id(),
            record_type="child",
            data={"village_code": VILLAGE_B},
            wall_ms=1_002,
        ),
        revision_item(
            dev, record_id=new_id(), record_type="visit", data={"child_id": new_id()}, wall_ms=1_003
        ),
        revision_item(
            dev,
            record_id=new_id(),
            record_type="visit",
            data={"child_id": foreign_child},
            wall_ms=1_004,
        ),
        revision_item(
            dev,
            record_id=foreign_child,
            record_type="child",
            revision=2,
            data={"village_code": VILLAGE_A},
            wall_ms=1_005,
        ),
        revision_item(dev, record_id=new_id(), record_type="secret_notes", data={}, wall_ms=1_006),
        revision_item(
            dev,
            record_id=new_id(),
            record_type="child",
            data={"village_code": VILLAGE_A},
            wall_ms=1_007,
            device_id="0123456789abcdef",
        ),
        {
            **revision_item(
                dev,
                record_id=new_id(),
                record_type="child",
                data={"village_code": VILLAGE_A},
                wall_ms=1_008,
            ),
            "revision": "x",
        },
        revision_item(
            dev, record_id=new_id(), record_type="child", data={}, wall_ms=1_009, deleted=True
        ),
    ]
    result = district.ingest(dev.batch(items))
    receipt = read_receipt(result.receipt, dev.enrollment.district, device_id=dev.device_id)
    assert len(receipt.accepted) == 2
    reasons = [r.reason for r in receipt.rejected]
    assert reasons == [
        "out_of_scope",
        "unknown_child",
        "out_of_scope",
        "out_of_scope",
        "unknown_record_type",
        "foreign_device",
        "malformed",
        "unknown_record",
    ]
    assert all(r.message for r in receipt.rejected)
    assert district.record(foreign_child)["data"]["village_code"] == VILLAGE_C  # type: ignore[index]
    assert district.counts()["revisions"] == 3


def test_revoked_device_is_refused_and_told(district: District, make_device: Any) -> None:
    dev = make_device(district, [VILLAGE_A])
    assert district.revoke(dev.device_id)
    assert not district.revoke(dev.device_id)
    item = revision_item(
        dev, record_id=new_id(), record_type="child", data={"village_code": VILLAGE_A}, wall_ms=1
    )
    with pytest.raises(RevokedError):
        district.ingest(dev.batch([item]))
    assert district.counts()["revisions"] == 0
    changes = device_side.read_response(
        dev.vault, district.changes(dev.device_id, ""), dev.keys, dev.enrollment
    )
    assert [n["notice"] for n in changes.notices] == ["revoked"]
    assert changes.revisions == ()


def test_field_level_merge_keeps_losing_values_as_conflicts(
    district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    child = new_id()
    create = revision_item(
        dev,
        record_id=child,
        record_type="child",
        wall_ms=1_000,
        data={"village_code": VILLAGE_A, "address": "一组", "school": "村小"},
    )
    district.ingest(dev.batch([create]))
    # the district corrects the school (it has seen the device's revision)
    district.write_revision(
        record_type="child",
        record_id=child,
        author="区民政局",
        data={"village_code": VILLAGE_A, "address": "一组", "school": "镇小"},
    )
    # the device, offline, edits the address and — concurrently — the school too
    edit = revision_item(
        dev,
        record_id=child,
        record_type="child",
        revision=2,
        wall_ms=int(time.time() * 1000) + 60_000,  # after the correction, within the skew bound
        base_hlc=create["hlc"],
        data={"village_code": VILLAGE_A, "address": "二组", "school": "县小"},
    )
    district.ingest(dev.batch([edit]))
    current = district.record(child)
    assert current is not None
    assert current["data"] == {"village_code": VILLAGE_A, "address": "二组", "school": "县小"}
    conflicts = district.conflicts(child)
    assert [(c["field"], c["losing_value"]["value"]) for c in conflicts] == [("school", "镇小")]
    # an older concurrent write arriving late loses, and its value is kept too
    late = revision_item(
        dev,
        record_id=child,
        record_type="child",
        revision=3,
        wall_ms=2_000,
        base_hlc=create["hlc"],
        data={"village_code": VILLAGE_A, "address": "三组", "school": "村小"},
    )
    district.ingest(dev.batch([late]))
    assert district.record(child)["data"]["address"] == "二组"  # type: ignore[index]
    assert ("address", "三组") in [
        (c["field"], c["losing_value"]["value"]) for c in district.conflicts(child)
    ]
    history = district.history(child)
    assert len(history) == 4  # append-only: every revision is kept
    # in clock order: the late write (wall 2,000) sorts before the district correction
    assert [h["data"]["school"] for h in history] == ["村小", "村小", "镇小", "县小"]


def test_changes_feed_scope_cursor_and_transfers(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], name="a")
    a2 = make_device(district, [VILLAGE_A], name="a2")
    c = make_device(district, [VILLAGE_C], name="c")
    child = new_id()
    visit = new_id()
    district.ingest(
        a.batch(
            [
                revision_item(
                    a,
                    record_id=child,
                    record_type="child",
                    wall_ms=1_000,
                    data={"village_code": VILLAGE_A, "name": "丙"},
                ),
                revision_item(
                    a, record_id=visit, record_type="visit", wall_ms=1_001, data={"child_id": child}
                ),
            ]
        )
    )
    first = device_side.read_response(
        a2.vault, district.changes(a2.device_id, ""), a2.keys, a2.enrollment
    )
    assert {r["record_id"] for r in first.revisions} == {child, visit}
    assert (
        device_side.read_response(
            a.vault, district.changes(a.device_id, ""), a.keys, a.enrollment
        ).revisions
        == ()
    )  # its own writes
    nothing = device_side.read_response(
        c.vault, district.changes(c.device_id, ""), c.keys, c.enrollment
    )
    assert nothing.revisions == ()
    again = device_side.read_response(
        a2.vault, district.changes(a2.device_id, first.next_cursor), a2.keys, a2.enrollment
    )
    assert again.revisions == ()
    # the child moves to village C: device C now sees its whole history
    district.ingest(
        a.batch(
            [
                revision_item(
                    a,
                    record_id=child,
                    record_type="child",
                    revision=2,
                    wall_ms=2_000,
                    base_hlc=first.revisions[0]["hlc"],
                    data={
                        "village_code": VILLAGE_A,
                        "name": "丙",
                        "status": "transferred",
                        "transfer": {"to_village_code": VILLAGE_C, "on": "2026-10-01"},
                    },
                ),
            ]
        )
    )
    moved = device_side.read_response(
        c.vault, district.changes(c.device_id, nothing.next_cursor), c.keys, c.enrollment
    )
    assert sorted(r["record_id"] for r in moved.revisions) == sorted([child, child, visit])
    with pytest.raises(SyncError) as bad:
        district.changes(c.device_id, "garbage")
    assert bad.value.code == "bad_cursor"


def test_attachment_blobs_travel_and_come_back(district: District, make_device: Any) -> None:
    import io

    a = make_device(district, [VILLAGE_A], name="a")
    b = make_device(district, [VILLAGE_A], name="b")
    child = a.vault.put("child", {"village_code": VILLAGE_A}, author="王").record_id
    photo = bytes(range(256)) * 300
    a.vault.add_attachment(
        io.BytesIO(photo), owner_id=child, filename="残疾证.jpg", mime="image/jpeg", author="王"
    )
    send_all(district, a)
    assert district.counts()["blobs"] == 1
    changes = device_side.read_response(
        b.vault, district.changes(b.device_id, ""), b.keys, b.enrollment
    )
    import base64

    assert [base64.b64decode(x["data"]) for x in changes.blobs] == [photo]


def test_enrollment_codes_are_single_use_and_rate_limited(
    district: District, make_device: Any, tmp_path: Any
) -> None:
    from tests.conftest import create_vault

    vault = create_vault(tmp_path / "late").vault
    try:
        code = district.create_enroll_code([VILLAGE_A], 3600)
        request = device_side.enrollment_request(vault, code)
        answer = district.enroll(request, source="10.0.0.1")
        assert district.enroll(request, source="10.0.0.1") == answer  # a retry: same answer
        other = create_vault(tmp_path / "other").vault
        try:
            with pytest.raises(EnrollmentRefusedError):
                district.enroll(device_side.enrollment_request(other, code), source="10.0.0.2")
            expired = district.create_enroll_code([VILLAGE_A], -1)
            with pytest.raises(EnrollmentRefusedError):
                district.enroll(device_side.enrollment_request(other, expired), source="10.0.0.2")
            for _ in range(3):
                with pytest.raises(EnrollmentRefusedError):
                    district.enroll(
                        device_side.enrollment_request(other, "AAAA-BBBB"), source="10.0.0.2"
                    )
            good = district.create_enroll_code([VILLAGE_A], 3600)
            with pytest.raises(TooManyAttemptsError):
                district.enroll(device_side.enrollment_request(other, good), source="10.0.0.2")
            # another source is not blocked by this one's failures
            district.enroll(device_side.enrollment_request(other, good), source="10.0.0.3")
        finally:
            other.lock()
    finally:
        vault.lock()
    assert len(district.devices()) == 2
