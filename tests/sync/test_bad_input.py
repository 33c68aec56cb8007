"""Bad batches are refused whole with a clear reason and nothing stored (both databases), and
the batch reader survives arbitrary input (property-based)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import agefile
from sync.documents import build_batch_plaintext, read_batch
from sync.errors import SyncError
from sync.keys import KeyPair
from sync.server.district import District, Limits
from sync.wire import new_id
from tests.sync.conftest import VILLAGE_A, revision_item


def _plaintext(dev: Any, items: list[dict[str, Any]], **overrides: Any) -> bytes:
    kwargs: dict[str, Any] = {
        "batch_id": new_id(),
        "device_id": dev.device_id,
        "sequence": 1,
        "district_id": dev.enrollment.district_id,
        "cursor": "",
        "items": items,
        "signer": dev.keys.signing,
    }
    kwargs.update(overrides)
    return build_batch_plaintext(**kwargs)


def _child(dev: Any) -> dict[str, Any]:
    return revision_item(
        dev, record_id=new_id(), record_type="child", data={"village_code": VILLAGE_A}, wall_ms=1
    )


def bad_batches(dev: Any, district: District) -> dict[str, tuple[bytes, str]]:
    recipient = dev.enrollment.district.age_recipient
    good_plain = _plaintext(dev, [_child(dev), _child(dev)])
    good = agefile.encrypt(good_plain, recipient)
    lines = good_plain.split(b"\n")
    tampered_item = b"\n".join(
        [*lines[:2], lines[2].replace(b"500119104201", b"500119104202"), *lines[3:]]
    )
    tampered_body = b"\n".join([lines[0].replace(b'"sequence":1', b'"sequence":2'), *lines[1:]])
    unsigned = b"\n".join([lines[0], b"{}", *lines[2:]])
    stranger = KeyPair.generate()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x40
    return {
        "truncated": (good[: len(good) - 20], "not_for_this_district"),
        "truncated plaintext": (agefile.encrypt(good_plain[:-30], recipient), "malformed"),
        "flipped ciphertext byte": (bytes(flipped), "not_for_this_district"),
        "tampered item": (agefile.encrypt(tampered_item, recipient), "tampered"),
        "tampered body": (agefile.encrypt(tampered_body, recipient), "bad_signature"),
        "unsigned": (agefile.encrypt(unsigned, recipient), "bad_signature"),
        "signed by another key": (
            agefile.encrypt(_plaintext(dev, [_child(dev)], signer=stranger.signing), recipient),
            "bad_signature",
        ),
        "encrypted to another district": (
            agefile.encrypt(good_plain, stranger.public.age_recipient),
            "not_for_this_district",
        ),
        "addressed to another district id": (
            agefile.encrypt(_plaintext(dev, [_child(dev)], district_id="0" * 16), recipient),
            "not_for_this_district",
        ),
        "unknown device": (
            agefile.encrypt(_plaintext(dev, [_child(dev)], device_id="0" * 16), recipient),
            "unknown_device",
        ),
        "not age": (b"hello world\n", "malformed"),
        "empty": (b"", "malformed"),
        "age of garbage": (agefile.encrypt(b"\x00\xff garbage", recipient), "malformed"),
        "age of json list": (agefile.encrypt(b"[1,2]\n{}\n", recipient), "malformed"),
        "future protocol": (
            agefile.encrypt(
                lines[0].replace(b'"protocol":1', b'"protocol":9') + b"\n" + b"\n".join(lines[1:]),
                recipient,
            ),
            "unsupported_protocol",
        ),
        "oversized": (good + b"\x00" * (district.limits.max_batch_bytes), "too_large"),
    }


def test_bad_batches_are_refused_and_nothing_is_stored(
    district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    before = district.counts()
    for name, (data, code) in bad_batches(dev, district).items():
        with pytest.raises(SyncError) as refused:
            district.ingest(data)
        assert refused.value.code == code, name
        assert refused.value.message and "Traceback" not in refused.value.message
    assert district.counts() == before
    # and the server still takes a good batch afterwards
    assert (
        district.ingest(
            agefile.encrypt(_plaintext(dev, [_child(dev)]), dev.enrollment.district.age_recipient)
        ).accepted
        == 1
    )


def test_a_batch_over_a_configured_limit_is_refused(
    sqlite_district: District, make_device: Any
) -> None:
    small = District(
        sqlite_district.engine,
        sqlite_district.public,
        sqlite_district.keys,
        Limits(max_batch_bytes=2048),
    )
    dev = make_device(small, [VILLAGE_A])
    items = [_child(dev) for _ in range(30)]
    with pytest.raises(SyncError) as refused:
        small.ingest(agefile.encrypt(_plaintext(dev, items), dev.enrollment.district.age_recipient))
    assert refused.value.code == "too_large"
    assert small.counts()["revisions"] == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_reader_never_fails_unexpectedly(data: st.DataObject) -> None:
    keys, device, plaintext = _fuzz_material()
    mutated = bytearray(plaintext)
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "dup_line"]))
        if not mutated:
            break
        pos = data.draw(st.integers(0, len(mutated) - 1))
        if action == "flip":
            mutated[pos] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del mutated[pos : pos + data.draw(st.integers(1, 50))]
        elif action == "insert":
            mutated[pos:pos] = data.draw(st.binary(min_size=1, max_size=20))
        else:
            mutated += bytes(mutated[pos:]).split(b"\n", 1)[0] + b"\n"
    file = agefile.encrypt(bytes(mutated), keys.public.age_recipient)
    try:
        batch = read_batch(file, keys, lambda _d: device.signing.public_key())
    except SyncError as err:
        assert err.message
    else:
        assert batch.header.device_id == "0123456789abcdef"


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_batch_reader_refuses_random_bytes(raw: bytes) -> None:
    keys, device, _plain = _fuzz_material()
    for candidate in (raw, b"age-encryption.org/v1\n" + raw):
        with pytest.raises(SyncError):
            read_batch(candidate, keys, lambda _d: device.signing.public_key())


_MATERIAL: list[tuple[KeyPair, KeyPair, bytes]] = []


def _fuzz_material() -> tuple[KeyPair, KeyPair, bytes]:
    if not _MATERIAL:
        keys, device = KeyPair.generate(), KeyPair.generate()
        items = [
            {
                "kind": "revision",
                "record_id": "a" * 32,
                "record_type": "child",
                "revision": 1,
                "hlc": "0000000000001-000000-0123456789abcdef",
                "device_id": "0123456789abcdef",
                "author": "王",
                "deleted": False,
                "base_hlc": None,
                "data": {"village_code": VILLAGE_A, "guardians": [{"name": "李"}]},
            },
            {"kind": "blob", "sha256": "0" * 64, "size": 3, "data": "AAAA"},
        ]
        plaintext = build_batch_plaintext(
            batch_id="b" * 32,
            device_id="0123456789abcdef",
            sequence=1,
            district_id=keys.key_id,
            cursor="",
            items=items,
            signer=device.signing,
        )
        _MATERIAL.append((keys, device, plaintext))
    return _MATERIAL[0]
