"""Group commit (sync/server/ingest.py): batches waiting at the same time are stored in one
transaction, yet each keeps its own outcome — receipts, replays, refusals — on both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sync.documents import read_batch, read_receipt
from sync.errors import ReusedIdError
from sync.server import db, ingest
from sync.server.district import District
from sync.server.ingest import GroupCommit, IngestResult, PreparedBatch
from sync.server.prepare import content_hash, malformed
from sync.wire import canonical_json, new_id, sha256_hex
from tests.sync.conftest import VILLAGE_A, VILLAGE_B, Device, revision_item


def _child(dev: Device, village: str, wall_ms: int, **data: Any) -> dict[str, Any]:
    return revision_item(
        dev,
        record_id=new_id(),
        record_type="child",
        data={"village_code": village, **data},
        wall_ms=wall_ms,
    )


class Outcomes:
    """Submit batches from threads while the district's write lock is held, so they all queue
    and the first request through stores them as one group."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.results: dict[int, IngestResult | Exception] = {}
        self.threads: list[threading.Thread] = []

    def _queued(self) -> int:
        return len(self.district._group_commit._queue)

    def submit_all(self, batches: Sequence[bytes]) -> None:
        with self.district._write_lock:
            for index, data in enumerate(batches):
                before = self._queued()
                thread = threading.Thread(target=self._one, args=(index, data))
                thread.start()
                self.threads.append(thread)
                deadline = time.monotonic() + 30
                while self._queued() == before and index not in self.results:
                    assert time.monotonic() < deadline, "a batch never reached the queue"
                    time.sleep(0.005)
        for thread in self.threads:
            thread.join(60)

    def _one(self, index: int, data: bytes) -> None:
        try:
            self.results[index] = self.district.ingest(data)
        except Exception as err:
            self.results[index] = err


def _receipt(district: District, result: IngestResult | Exception, dev: Device) -> Any:
    assert isinstance(result, IngestResult), result
    return read_receipt(result.receipt, district.public, device_id=dev.device_id)


def test_a_group_keeps_every_batch_outcome_apart(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    b = make_device(district, [VILLAGE_B], "b")
    child_a = _child(a, VILLAGE_A, 1_000, name="甲")
    x_id = new_id()
    batch_x = a.batch([child_a], batch_id=x_id, sequence=1)
    visit = revision_item(
        a,
        record_id=new_id(),
        record_type="visit",
        data={"child_id": child_a["record_id"], "note": "在家"},
        wall_ms=2_000,
    )
    edit = revision_item(
        a,
        record_id=child_a["record_id"],
        record_type="child",
        data={"village_code": VILLAGE_A, "name": "甲改"},
        wall_ms=3_000,
        revision=2,
        base_hlc=child_a["hlc"],
    )
    batch_builds_on_x = a.batch([visit, edit], sequence=2)  # needs x's child, in the same group
    other_under_x_id = a.batch([_child(a, VILLAGE_A, 4_000)], batch_id=x_id, sequence=3)
    reused_sequence = a.batch([_child(a, VILLAGE_A, 5_000)], sequence=2)
    out_of_scope = b.batch([_child(b, VILLAGE_A, 6_000)], sequence=1)
    b_ok = b.batch([_child(b, VILLAGE_B, 7_000, name="乙")], sequence=2)

    groups: list[int] = []
    store = district._group_commit._store

    def recording_store(group: Sequence[PreparedBatch]) -> None:
        groups.append(len(group))
        store(group)

    district._group_commit._store = recording_store
    outcomes = Outcomes(district)
    outcomes.submit_all(
        [batch_x, batch_x, batch_builds_on_x, other_under_x_id, reused_sequence, out_of_scope, b_ok]
    )
    r = outcomes.results
    assert groups == [7]  # one transaction for all of them

    first, twice = r[0], r[1]
    assert isinstance(first, IngestResult) and isinstance(twice, IngestResult)
    assert not first.replay and twice.replay and twice.receipt == first.receipt
    assert set(_receipt(district, r[2], a).accepted) == {
        f"{visit['record_id']}@{visit['hlc']}",
        f"{edit['record_id']}@{edit['hlc']}",
    }
    assert isinstance(r[3], ReusedIdError) and r[3].code == "batch_id_reused"
    assert isinstance(r[4], ReusedIdError) and r[4].code == "sequence_reused"
    refused = _receipt(district, r[5], b)
    assert not refused.accepted
    assert [x.reason for x in refused.rejected] == ["out_of_scope"]
    assert len(_receipt(district, r[6], b).accepted) == 1

    counts = district.counts()
    assert counts["revisions"] == counts["distinct_revisions"] == 4  # x, visit, edit, b's child
    record = district.record(child_a["record_id"])
    assert record is not None and record["data"]["name"] == "甲改"
    with district.engine.connect() as conn:
        batches = conn.execute(select(db.batches.c.batch_id)).scalars().all()
        devices = {
            row.device_id: row
            for row in conn.execute(select(db.devices.c.device_id, db.devices.c.last_sequence))
        }
    assert len(batches) == len(set(batches)) == 4  # x, builds-on-x, b's two
    assert devices[a.device_id].last_sequence == 2
    assert devices[b.device_id].last_sequence == 2
    # Everything stored in the group replays to the same receipts afterwards.
    assert district.ingest(batch_x).receipt == first.receipt
    again = district.ingest(batch_builds_on_x)
    assert again.replay and again.receipt == r[2].receipt  # type: ignore[union-attr]


def test_a_failing_group_stores_the_others_one_by_one(district: District, make_device: Any) -> None:
    dev = make_device(district, [VILLAGE_A])
    batches = [dev.batch([_child(dev, VILLAGE_A, 1_000 * (i + 1))]) for i in range(4)]
    bad = read_batch(batches[2], district.keys, lambda d: district.device_public(d).verifier())

    def failing_store(group: Sequence[PreparedBatch]) -> None:
        # The real writes, then an unexpected failure (say the disk) before the commit whenever
        # the third batch is in the transaction: the whole transaction rolls back.
        with db.write_transaction(district.engine) as conn:
            ingest._GroupWriter(conn, district.district_id, district.keys.signing).run(group)
            if any(w.batch.manifest_sha256 == bad.manifest_sha256 for w in group):
                raise OSError("simulated failure")

    working = district._group_commit
    district._group_commit = GroupCommit(district._write_lock, failing_store)
    outcomes = Outcomes(district)
    outcomes.submit_all(batches)
    r = outcomes.results
    assert isinstance(r[2], OSError)
    for i in (0, 1, 3):
        result = r[i]
        assert isinstance(result, IngestResult) and not result.replay
    counts = district.counts()
    assert counts["revisions"] == counts["distinct_revisions"] == 3  # nothing of the third
    # The device sends the third again later (the failure has passed): it is stored once.
    district._group_commit = working
    assert not district.ingest(batches[2]).replay
    assert district.ingest(batches[0]).replay
    counts = district.counts()
    assert counts["revisions"] == counts["distinct_revisions"] == 4


text = st.text(max_size=20)
scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    author=st.text(max_size=30),
    base=st.none() | st.just("1763840000000-000002-0123456789abcdef"),
    deleted=st.booleans(),
    revision=st.integers(1, 2**31 - 1),
    record_type=st.sampled_from(["child", "visit", "case", "assessment"]),
    data=st.dictionaries(text, values, max_size=6),
)
def test_content_hash_is_the_canonical_json_of_the_content(
    author: str, base: str | None, deleted: bool, revision: int, record_type: str, data: Any
) -> None:
    rev = {
        "author": author,
        "base_hlc": base,
        "deleted": deleted,
        "revision": revision,
        "record_type": record_type,
        "data": data,
    }
    expected = sha256_hex(canonical_json(rev))  # the definition in docs/sync-protocol.md
    assert content_hash(rev) == expected
    assert content_hash(rev, canonical_json(data)) == expected


def test_an_author_with_control_characters_is_malformed() -> None:
    rev = {
        "record_id": new_id(),
        "record_type": "child",
        "revision": 1,
        "hlc": "1763840000000-000002-0123456789abcdef",
        "device_id": "0123456789abcdef",
        "author": "王秀英",
        "deleted": False,
        "base_hlc": None,
        "data": {},
    }
    assert malformed(rev) is None
    assert (
        malformed({**rev, "author": "王\x00秀英"})
        == "the revision's author is missing or malformed"
    )
    assert malformed({**rev, "author": "王\n"}) is not None
