"""Correctly signed and encrypted batches with malformed content (issue 14): each answered with
a refusal — the revision alone in the receipt, or the batch with a 4xx — never a server error,
over real HTTP on loopback and through the district's import path, on SQLite and PostgreSQL.
A good batch afterwards is accepted, and nothing malformed is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sync.content_checks import HEX32, HLC_RE, MAX_CLOCK_SKEW_MS
from sync.documents import read_receipt
from sync.errors import SyncError
from sync.keys import KeyPair
from sync.server import db
from sync.server.district import District
from tests.conftest import VaultCopies, VaultTemplates
from tests.sync.conftest import (
    VILLAGE_A,
    Device,
    ServerThread,
    enroll,
    make_district,
    migrated_sqlite_url,
)
from tests.sync.signed_content import child, forge, hlc_of, now_ms


class Sender:
    """Sends a batch file over HTTP or through the import path; answers (status, payload)."""

    def __init__(self, district: District, server: SharedServer | None, devices: Devices) -> None:
        self.district = district
        self.server = server
        self.devices = devices
        self.how = "http" if server is not None else "import"

    @property
    def device(self) -> Device:
        """The device these tests send from (enrolled once per district)."""
        return self.devices.get("main")

    def send(self, data: bytes) -> tuple[int, bytes | dict[str, Any]]:
        if self.server is not None:
            response = self.server.client.post(f"{self.server.url}/api/v1/batches", content=data)
            if response.status_code == 200:
                return 200, response.content
            return response.status_code, response.json()
        try:
            return 200, self.district.ingest(data, via="usb").receipt
        except SyncError as err:
            return err.http_status, {"error": err.code, "message": err.message}


class SharedServer(ServerThread):
    """The real HTTP server over the module's district, with one client for its tests."""

    def __init__(self, district: District) -> None:
        super().__init__(district)
        self.client = httpx.Client(timeout=30)

    def stop(self) -> None:
        self.client.close()
        super().stop()


# For speed (issue 15): one district per database kind for the whole module, one HTTP server on
# it and one enrolled device sending every test's batches. Each test's records have fresh ids
# and its batches fresh sequence numbers, so the tests do not see each other's data (the
# nothing-malformed check then covers every earlier test's rows too); a refused envelope never
# moves the device's reported cursor, which stays "" as every accepted batch here reports.
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_district(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    district_keys: KeyPair,
) -> Iterator[District]:
    if request.param == "sqlite":
        url = migrated_sqlite_url(request, tmp_path_factory.mktemp("signed-content"))
    else:
        migrated = request.getfixturevalue("_migrated_postgres")
        migrated.fresh()
        url = migrated.url
    district = make_district(url, district_keys)
    yield district
    district.engine.dispose()


class Devices:
    """Devices enrolled in the module's district, by name, each on its own vault copy (copies
    of session templates: the n-th copy in the module is the n-th template, another device)."""

    def __init__(self, district: District, templates: VaultTemplates, folder: Path) -> None:
        self.district = district
        self.copies = VaultCopies(templates)
        self.folder = folder
        self.enrolled: dict[str, Device] = {}

    def get(self, name: str) -> Device:
        if name not in self.enrolled:
            opened = self.copies.open(self.folder / name, village_code=VILLAGE_A)
            self.enrolled[name] = enroll(self.district, opened.vault, [VILLAGE_A])
        return self.enrolled[name]


@pytest.fixture(scope="module")
def shared_devices(
    shared_district: District,
    vault_templates: VaultTemplates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Devices]:
    devices = Devices(shared_district, vault_templates, tmp_path_factory.mktemp("devices"))
    yield devices
    devices.copies.lock_all()


@pytest.fixture(scope="module")
def shared_server(shared_district: District) -> Iterator[SharedServer]:
    running = SharedServer(shared_district)
    yield running
    running.stop()


@pytest.fixture(params=["http", "import"])
def sender(
    request: pytest.FixtureRequest, shared_district: District, shared_devices: Devices
) -> Sender:
    server = request.getfixturevalue("shared_server") if request.param == "http" else None
    return Sender(shared_district, server, shared_devices)


def rejections(device: Device, status: int, answer: Any) -> dict[str, str]:
    assert status == 200, answer
    receipt = read_receipt(answer, device.enrollment.district, device_id=device.device_id)
    return {r.id: r.reason for r in receipt.rejected}


def assert_nothing_malformed_stored(district: District) -> None:
    limit = now_ms() + MAX_CLOCK_SKEW_MS
    with district.engine.connect() as conn:
        for row in conn.execute(select(db.revisions)):
            assert HEX32.fullmatch(row.record_id) and HLC_RE.fullmatch(row.hlc)
            assert int(row.hlc[:13]) <= limit
            json.loads(row.data)
        for row in conn.execute(select(db.records)):
            assert HEX32.fullmatch(row.record_id) and HLC_RE.fullmatch(row.head_hlc)
            assert int(row.head_hlc[:13]) <= limit


def assert_good_batch_accepted(device: Device, sender: Sender) -> None:
    good = child(device, {"village_code": VILLAGE_A, "address": "一组"})
    status, answer = sender.send(forge(device, [good]))
    assert rejections(device, status, answer) == {}
    assert sender.district.record(good["record_id"]) is not None
    assert_nothing_malformed_stored(sender.district)


# ----- one revision refused, the rest of the batch stored ---------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"village_code": ["500119104201"]},  # a list where the village code goes
        {"village_code": {"code": "500119104201"}},  # an object
        {"village_code": VILLAGE_A, "transfer": {"to_village_code": ["500119104202"]}},
        {"village_code": VILLAGE_A, "transfer": "500119104202"},
        {"village_code": VILLAGE_A, "height": "@@INF@@"},  # 1e400: infinity once parsed
        {"village_code": VILLAGE_A, "scores": [1, "@@NEGINF@@"]},
        {"village_code": VILLAGE_A, "address": "@@SURROGATE@@"},  # a lone \udc80
        {"village_code": VILLAGE_A, "notes": {"@@SURROGATE@@": 1}},
        {"village_code": VILLAGE_A, "deep": "@@DEEP@@"},  # 70 levels
        {"village_code": VILLAGE_A, "count": 2**64},
        {"village_code": VILLAGE_A, "a\u0000b": 1},  # a NUL in a field name
    ],
    ids=[
        "village-list",
        "village-object",
        "transfer-village-list",
        "transfer-text",
        "1e400",
        "-1e400",
        "lone-surrogate",
        "surrogate-key",
        "deep",
        "huge-int",
        "nul-field-name",
    ],
)
def test_malformed_data_is_refused_alone(sender: Sender, data: dict[str, Any]) -> None:
    device = sender.device
    bad = child(device, data)
    good = child(device, {"village_code": VILLAGE_A})
    status, answer = sender.send(forge(device, [bad, good]))
    refused = rejections(device, status, answer)
    assert list(refused.values()) == ["malformed"]
    assert sender.district.record(bad["record_id"]) is None
    assert sender.district.record(good["record_id"]) is not None
    assert_good_batch_accepted(device, sender)


@pytest.mark.parametrize(
    "fields",
    [
        {"record_id": "a" * 31 + "\udc80"},  # a lone surrogate in the record id
        {"record_id": "a" * 32 + "\n"},
        {"record_id": ["a" * 32]},
        {"hlc": "@@SURROGATE@@"},
        {"hlc": "１" * 13 + "-000000-0123456789abcdef"},  # full-width digits
        {"author": "王\udc80"},
        {"revision": 2**63},
        {"revision": "@@INF@@"},
        {"base_hlc": {"hlc": 1}},
        {"deleted": "@@BIGINT@@"},  # a number too long to read: the line is not readable
        {"device_id": None},
        {"data": "@@DEEP@@"},
    ],
    ids=lambda f: next(iter(f)) + ":" + ascii(next(iter(f.values())))[:24],
)
def test_malformed_fields_are_refused_alone(sender: Sender, fields: dict[str, Any]) -> None:
    device = sender.device
    bad = child(device, {"village_code": VILLAGE_A}, **fields)
    status, answer = sender.send(forge(device, [bad], ids=["bad-revision"]))
    assert list(rejections(device, status, answer).values()) == ["malformed"]
    assert_good_batch_accepted(device, sender)


def test_a_lone_surrogate_in_the_listed_revision_id_is_refused_alone_or_whole(
    sender: Sender,
) -> None:
    """The record id and clock inside the item and the id the signed body lists: a surrogate
    in the item refuses the revision; in the signed body, the batch (400)."""
    device = sender.device
    bad = child(device, {"village_code": VILLAGE_A}, record_id="b" * 31 + "\udc80")
    status, answer = sender.send(forge(device, [bad]))  # listed id: record_id@hlc
    assert status == 400 and answer["error"] == "malformed"  # type: ignore[index]
    assert_good_batch_accepted(device, sender)


# ----- the batch refused as a whole (4xx) ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"sequence": 2**63},
        {"sequence": 2**63 + 5},
        {"sequence": 2**31},  # a 32-bit column: the largest is 2**31 - 1
        {"sequence": "@@INF@@"},
        {"sequence": True},
        {"cursor": "@@SURROGATE@@"},
        {"cursor": "c1.1.\udc80"},
        {"cursor": "c1.１.2"},
        {"cursor": ["c1.1.2"]},
        {"created": "@@SURROGATE@@"},
        {"batch_id": "a" * 32 + "\n"},
        {"batch_id": "a" * 32 + "\udc80"},
        {"counts": {"revisions": "@@INF@@", "blobs": 0}},
        {"extra": "@@SURROGATE@@"},
    ],
    ids=lambda b: next(iter(b)) + ":" + ascii(next(iter(b.values())))[:24],
)
def test_malformed_envelopes_are_refused_with_400(sender: Sender, body: dict[str, Any]) -> None:
    device = sender.device
    item = child(device, {"village_code": VILLAGE_A})
    status, answer = sender.send(forge(device, [item], body=body))
    assert status == 400, answer
    assert answer["error"] == "malformed"  # type: ignore[index]
    assert sender.district.record(item["record_id"]) is None
    assert_good_batch_accepted(device, sender)
    with sender.district.engine.connect() as conn:
        cursor = conn.execute(
            select(db.devices.c.reported_cursor).where(db.devices.c.device_id == device.device_id)
        ).scalar_one()
    assert cursor == ""


def test_the_largest_sequence_is_accepted(sender: Sender) -> None:
    # a device of its own: every later batch of the shared one would come below this sequence
    device = sender.devices.get(f"largest-sequence-{sender.how}")
    item = child(device, {"village_code": VILLAGE_A})
    status, answer = sender.send(forge(device, [item], sequence=2**31 - 1))
    assert rejections(device, status, answer) == {}


def test_malformed_blobs_and_unknown_kinds_are_refused_alone(sender: Sender) -> None:
    device = sender.device
    items = [
        {"kind": "blob", "sha256": "a" * 63 + "\udc80", "size": 1, "data": "AA=="},
        {"kind": "blob", "sha256": "a" * 64, "size": "@@INF@@", "data": "AA=="},
        {"kind": "blob", "sha256": "a" * 64, "size": 1, "data": "\udc80"},
        {"kind": "gadget", "id": "\udc80"},
        child(device, {"village_code": VILLAGE_A}),
    ]
    status, answer = sender.send(forge(device, items, ids=["b1", "b2", "b3", "g", "r"]))
    assert status == 200, answer
    receipt = read_receipt(answer, device.enrollment.district, device_id=device.device_id)
    assert [r.reason for r in receipt.rejected] == ["malformed"] * 4
    assert len(receipt.accepted) == 1
    assert_good_batch_accepted(device, sender)


# ----- the clock-skew bound ------------------------------------------------------------------


def test_a_far_future_clock_is_refused_and_wins_nothing(sender: Sender) -> None:
    device = sender.device
    created = child(device, {"village_code": VILLAGE_A, "school": "村小"})
    assert rejections(device, *sender.send(forge(device, [created]))) == {}
    # a laptop with a wrong date: 9999999999999 ms (the year 2286)
    future = child(
        device,
        {"village_code": VILLAGE_A, "school": "县小"},
        record_id=created["record_id"],
        revision=2,
        hlc=hlc_of(device.device_id, 9_999_999_999_999),
        base_hlc=created["hlc"],
    )
    refused = rejections(device, *sender.send(forge(device, [future])))
    assert refused == {f"{created['record_id']}@{future['hlc']}": "clock_skew"}
    record = sender.district.record(created["record_id"])
    assert record is not None and record["data"]["school"] == "村小"
    # a later edit with a true clock still wins
    later = child(
        device,
        {"village_code": VILLAGE_A, "school": "镇小"},
        record_id=created["record_id"],
        revision=3,
        hlc=hlc_of(device.device_id, counter=1),
        base_hlc=created["hlc"],
    )
    assert rejections(device, *sender.send(forge(device, [later]))) == {}
    record = sender.district.record(created["record_id"])
    assert record is not None and record["data"]["school"] == "镇小"
    assert_nothing_malformed_stored(sender.district)


def test_the_skew_bound_is_24_hours(sender: Sender) -> None:
    device = sender.device
    hour = 3_600_000
    inside = child(
        device, {"village_code": VILLAGE_A}, hlc=hlc_of(device.device_id, now_ms() + 23 * hour)
    )
    outside = child(
        device, {"village_code": VILLAGE_A}, hlc=hlc_of(device.device_id, now_ms() + 25 * hour)
    )
    refused = rejections(device, *sender.send(forge(device, [inside, outside])))
    assert list(refused.values()) == ["clock_skew"]
    assert sender.district.record(inside["record_id"]) is not None
    assert sender.district.record(outside["record_id"]) is None


def test_the_laptop_says_the_date_is_wrong() -> None:
    from ui.sync_controller import reason_zh

    assert reason_zh("clock_skew").startswith("电脑日期不对：请把电脑的日期和时间改正后再同步")


# ----- the district's import command --------------------------------------------------------


def test_import_of_a_stick_of_poisoned_batches_refuses_each_and_stores_the_good(
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    """``childdesk-district import`` over a folder (in this process: the command's own runs as
    a process are in test_district_cli.py): each poisoned file gets a receipt with its
    refusals or is reported refused; no unexpected error; the good batch after them goes in."""
    from tests.sync.test_district_cli import district_cli_in_process as district_cli

    data_dir = tmp_path / "district"
    assert district_cli("init", "--passphrase-stdin", data_dir=data_dir).returncode == 0
    result = district_cli(
        "enroll-code", "--village", VILLAGE_A, "--expires", "7d", data_dir=data_dir
    )
    code = result.stdout.strip().splitlines()[-1]
    stick = tmp_path / "stick"
    stick.mkdir()
    from tests.sync import laptop_device as device_side

    vault = vault_copies.open(tmp_path / "laptop").vault
    try:
        request = device_side.enrollment_request(vault, code, label="一村")
        (stick / f"{vault.device_id}.cdenroll").write_bytes(request)
        assert (
            district_cli("import", str(stick), "--passphrase-stdin", data_dir=data_dir).returncode
            == 0
        )
        answer = (stick / f"{vault.device_id}.cdenrolled").read_bytes()
        pinned = device_side.accept_enrollment(vault, answer, request=request)
        keys = device_side.device_keys(vault)
        assert keys is not None
        device = Device(vault, keys, pinned)
        poisoned = [
            forge(device, [child(device, {"village_code": ["500119104201"]})]),
            forge(device, [child(device, {"village_code": VILLAGE_A, "x": "@@INF@@"})]),
            forge(device, [child(device, {"village_code": VILLAGE_A, "x": "@@SURROGATE@@"})]),
            forge(device, [child(device, {"village_code": VILLAGE_A})], sequence=2**63),
            forge(device, [child(device, {"village_code": VILLAGE_A})], body={"cursor": "\udc80"}),
            forge(
                device,
                [child(device, {"village_code": VILLAGE_A}, record_id="c" * 31 + "\udc80")],
                ids=["x"],
            ),
            forge(
                device,
                [
                    child(
                        device,
                        {"village_code": VILLAGE_A},
                        hlc=hlc_of(device.device_id, 9_999_999_999_999),
                    )
                ],
            ),
        ]
        for index, data in enumerate(poisoned):
            (stick / f"{vault.device_id}-{index + 1}.cdbatch").write_bytes(data)
        good = child(device, {"village_code": VILLAGE_A, "address": "一组"})
        (stick / f"{vault.device_id}-99.cdbatch").write_bytes(forge(device, [good]))
        result = district_cli("import", str(stick), "--passphrase-stdin", data_dir=data_dir)
        output = result.stdout + result.stderr
        assert "unexpected" not in output and "internal" not in output, output
        assert result.returncode in (0, 1), output
        receipts = [
            read_receipt(p.read_bytes(), pinned.district, device_id=vault.device_id)
            for p in stick.glob("*.cdreceipt")
        ]
        assert len(receipts) == 6  # every batch but the 2**63 sequence and the bad cursor
        reasons = sorted(r.reason for receipt in receipts for r in receipt.rejected)
        assert reasons == ["clock_skew"] + ["malformed"] * 4
        assert sum(len(r.accepted) for r in receipts) == 1
    finally:
        vault.lock()


# ----- enrollment requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw"),
    [("label", b'"\\udc80"'), ("label", b'"a\\u0000b"'), ("code", b'"\\udc80"')],
)
def test_enrollment_requests_with_bad_text_are_refused(
    shared_district: District, shared_server: SharedServer, field: str, raw: bytes
) -> None:
    """The label is stored and the code hashed as UTF-8: a lone surrogate or NUL in either, in
    a correctly self-signed request, is refused with 400, not a server error."""
    from sync.documents import build_enrollment_request
    from sync.keys import KeyPair
    from sync.wire import b64e, key_id, public_raw

    keys = KeyPair.generate()
    code = shared_district.create_enroll_code([VILLAGE_A], 3600)
    values = {"code": code, "label": "一村"}
    values[field] = "PLACEHOLDER"
    document = build_enrollment_request(
        code=values["code"], device_id="0123456789abcdef", keys=keys, label=values["label"]
    )
    body = document.split(b"\n", 1)[0].replace(b'"PLACEHOLDER"', raw)
    signature = json.dumps(
        {
            "alg": "ed25519",
            "key": key_id(public_raw(keys.signing.public_key())),
            "sig": b64e(keys.signing.sign(body)),
        }
    ).encode()
    response = shared_server.client.post(
        f"{shared_server.url}/api/v1/enroll", content=body + b"\n" + signature + b"\n"
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "malformed"


# ----- a laptop with a wrong date, end to end -------------------------------------------------


def test_a_laptop_with_a_wrong_date_is_told_and_nothing_is_held_up(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    """The laptop's system date a year ahead (its clock's time source; the system's date cannot
    be changed in a test): its edits are refused as clock_skew, quarantined with 电脑日期不对,
    kept, and hold up no batch; the district's record keeps the true value, and a colleague's
    later edit wins."""
    from tests.sync.test_laptop_sync import enrolled
    from ui.sync_controller import reason_zh

    laptop = enrolled(sqlite_district, server.url, vaults("wrong-date"), [VILLAGE_A])
    created = laptop.vault.put("child", {"village_code": VILLAGE_A, "school": "村小"}, author="王")
    assert laptop.sync_now().rejected == 0
    year_ahead = now_ms() + 400 * 24 * 3_600_000
    laptop.vault.clock.now_ms = lambda: year_ahead
    edit = laptop.vault.put(
        "child",
        {"village_code": VILLAGE_A, "school": "县小"},
        author="王",
        record_id=created.record_id,
    )
    laptop.vault.put("child", {"village_code": VILLAGE_A, "school": "镇小"}, author="王")
    report = laptop.sync_now()
    assert report.rejected == 2 and report.batches_sent == 1
    entries = laptop.quarantine()
    assert {e.reason for e in entries} == {"clock_skew"}
    assert created.record_id in {e.record_id for e in entries}
    assert reason_zh(entries[0].reason) == "电脑日期不对：请把电脑的日期和时间改正后再同步。"
    status = laptop.status()
    assert status.pending_batches == 0 and status.pending == 0  # nothing stuck
    assert laptop.vault.get(created.record_id).data["school"] == "县小"  # kept on the laptop
    record = sqlite_district.record(created.record_id)
    assert record is not None and record["data"]["school"] == "村小"
    assert edit.meta.hlc.startswith(str(year_ahead)[:8])
    assert edit.meta.hlc not in {h["hlc"] for h in sqlite_district.history(created.record_id)}
    # a colleague with a true date edits the child later: accepted, and it wins
    colleague = enrolled(sqlite_district, server.url, vaults("colleague"), [VILLAGE_A])
    colleague.sync_now()
    colleague.vault.put(
        "child",
        {"village_code": VILLAGE_A, "school": "中心小学"},
        author="李",
        record_id=created.record_id,
    )
    assert colleague.sync_now().rejected == 0
    record = sqlite_district.record(created.record_id)
    assert record is not None and record["data"]["school"] == "中心小学"
