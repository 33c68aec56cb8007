"""Property (issue 14): a well-signed, encrypted batch with arbitrary JSON content — any types,
huge numbers, lone surrogates, deep nesting, full-width and Arabic-Indic digits — is never
answered with a server error over HTTP; nothing malformed is stored (ids, clocks, data); and a
good batch afterwards is accepted. On SQLite and PostgreSQL (which refuses NUL in text)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sync.content_checks import CURSOR_RE, HEX16, HEX32, HLC_RE, MAX_CLOCK_SKEW_MS, VILLAGE_RE
from sync.documents import read_receipt
from sync.server import db
from sync.server.district import District
from tests.sync.conftest import VILLAGE_A, Device, ServerThread
from tests.sync.signed_content import MARKERS, child, forge, hlc_of, now_ms

ODD_DIGITS = "０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३"
SURROGATES = "\ud800\udbff\udc00\udc80\udfff"

odd_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("0123456789abcdef-.@c\n\x00 "),
        st.sampled_from(ODD_DIGITS),
        st.sampled_from(SURROGATES),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)
markers = st.sampled_from(sorted(m.strip('"') for m in MARKERS))
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64]),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text, markers)
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)
    ),
    max_leaves=20,
)


def _near(text: str) -> st.SearchStrategy[str]:
    """A well-formed value with one character swapped for an odd digit, or a suffix."""
    return st.one_of(
        st.just(text),
        st.builds(
            lambda i, c: text[:i] + c + text[i + 1 :],
            st.integers(0, len(text) - 1),
            st.sampled_from(ODD_DIGITS + SURROGATES),
        ),
        st.builds(lambda s: text + s, st.sampled_from(["\n", "\udc80", "0", " "])),
    )


@st.composite
def revision(draw: st.DrawFn, device_id: str) -> dict[str, Any]:
    """A good child, visit or attachment revision with 0–2 of its parts made arbitrary (so the
    checks after the first are reached too), or now and then a missing field."""
    record_id = draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    hlc = hlc_of(device_id, now_ms() - draw(st.integers(0, 10**6)))
    record_type = draw(st.sampled_from(["child", "visit", "attachment", "director_profile"]))
    data: dict[str, Any] = {"village_code": VILLAGE_A}
    if record_type in ("visit", "attachment"):
        data = {"child_id" if record_type == "visit" else "owner_id": record_id, "n": 1}
    item: dict[str, Any] = {
        "kind": "revision",
        "record_id": record_id,
        "record_type": record_type,
        "revision": 1,
        "hlc": hlc,
        "device_id": device_id,
        "author": "王",
        "deleted": False,
        "base_hlc": None,
        "data": data,
    }
    far = hlc_of(device_id, draw(st.sampled_from([9_999_999_999_999, now_ms() + 25 * 3_600_000])))
    mutations: dict[str, st.SearchStrategy[Any]] = {
        "record_id": st.one_of(_near(record_id), any_json),
        "record_type": any_json,
        "revision": st.one_of(numbers, any_json),
        "hlc": st.one_of(_near(hlc), st.just(far), any_json),
        "device_id": st.one_of(_near(device_id), any_json),
        "author": st.one_of(odd_text, any_json),
        "deleted": any_json,
        "base_hlc": st.one_of(_near(hlc), any_json),
        "data": st.one_of(any_json, st.dictionaries(odd_text, any_json, max_size=4)),
        "data.village_code": st.one_of(_near(VILLAGE_A), any_json),
        "data.transfer": st.one_of(
            st.fixed_dictionaries({"to_village_code": st.one_of(_near(VILLAGE_A), any_json)}),
            any_json,
        ),
        "data.child_id": st.one_of(_near(record_id), any_json),
        "data.owner_id": st.one_of(_near(record_id), any_json),
        "data.sha256": any_json,
        "data.notes": any_json,
        "data.key": st.tuples(odd_text, any_json),
        "extra": any_json,
    }
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(sorted(mutations)))
        value = draw(mutations[name])
        if name == "data.key":
            if isinstance(item.get("data"), dict):
                item["data"][value[0]] = value[1]
        elif name.startswith("data."):
            if isinstance(item.get("data"), dict):
                item["data"][name[5:]] = value
        elif draw(st.integers(0, 9)) == 0:
            item.pop(name, None)
        else:
            item[name] = value
    return item


@st.composite
def envelope(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly the body as built; now and then one field made arbitrary."""
    if draw(st.integers(0, 3)) > 0:
        return {}
    name = draw(st.sampled_from(["cursor", "created", "counts", "extra", "batch_id"]))
    good = {"cursor": "c1.12.3", "created": "2026-12-03T00:00:00Z", "batch_id": "a" * 32}
    value = draw(st.one_of(_near(good.get(name, "x")), any_json))
    return {name: value}


@pytest.fixture
def running(district: District) -> Iterator[ServerThread]:
    server = ServerThread(district)
    yield server
    server.stop()


def _stored_is_well_formed(district: District) -> None:
    limit = now_ms() + MAX_CLOCK_SKEW_MS
    with district.engine.connect() as conn:
        for row in conn.execute(select(db.revisions)):
            assert HEX32.fullmatch(row.record_id), row.record_id
            assert HLC_RE.fullmatch(row.hlc) and int(row.hlc[:13]) <= limit, row.hlc
            assert HEX16.fullmatch(row.device_id) and row.hlc.endswith(row.device_id)
            assert row.base_hlc is None or HLC_RE.fullmatch(row.base_hlc)
            assert isinstance(json.loads(row.data), dict)
            row.author.encode("utf-8")
        for row in conn.execute(select(db.records)):
            assert HEX32.fullmatch(row.record_id) and HLC_RE.fullmatch(row.head_hlc)
            assert int(row.head_hlc[:13]) <= limit
            assert row.village_code is None or VILLAGE_RE.fullmatch(row.village_code)
            assert row.transfer_to is None or VILLAGE_RE.fullmatch(row.transfer_to)
            json.loads(row.data).keys()
        for row in conn.execute(select(db.devices)):
            cursor = row.reported_cursor
            assert cursor in ("", "0") or CURSOR_RE.fullmatch(cursor), cursor
        for row in conn.execute(select(db.rejections)):
            row.item_id.encode("utf-8")


def test_arbitrary_signed_content_never_breaks_the_server(
    running: ServerThread, district: District, make_device: Any
) -> None:
    device: Device = make_device(district, [VILLAGE_A])
    client = httpx.Client(timeout=30)
    sequences = iter(range(1, 10_000))
    statuses: dict[int, int] = {}

    def send(data: bytes) -> httpx.Response:
        response = client.post(f"{running.url}/api/v1/batches", content=data)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return response

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        items=st.lists(
            st.one_of(
                revision(device.device_id),
                revision(device.device_id),
                revision(device.device_id),
                st.fixed_dictionaries(
                    {"kind": st.sampled_from(["blob", "gadget"])},
                    optional={"sha256": any_json, "size": any_json, "data": any_json},
                ),
                any_json,
            ),
            min_size=1,
            max_size=4,
        ),
        sequence=st.one_of(st.none(), st.none(), st.none(), numbers, any_json),
        body=envelope(),
        listed=st.one_of(
            st.none(), st.none(), st.none(), st.lists(odd_text, min_size=4, max_size=4)
        ),
    )
    def check(
        items: list[Any], sequence: Any, body: dict[str, Any], listed: list[str] | None
    ) -> None:
        seq = next(sequences) if sequence is None else sequence
        ids = None if listed is None else listed[: len(items)]
        batch = forge(device, items, sequence=seq, body=body, ids=ids)
        response = send(batch)
        assert response.status_code < 500, response.text
        if response.status_code != 200:
            assert response.json()["error"]  # a refusal with a code, never "internal"
        # a good batch afterwards is accepted
        good = child(device, {"village_code": VILLAGE_A, "address": "一组"})
        answer = send(forge(device, [good], sequence=1_500_000_000 + next(sequences)))
        assert answer.status_code == 200, answer.text
        receipt = read_receipt(
            answer.content, device.enrollment.district, device_id=device.device_id
        )
        assert not receipt.rejected and len(receipt.accepted) == 1

    try:
        check()
        _stored_is_well_formed(district)
    finally:
        client.close()
    # the good batches and some arbitrary ones stored; some refused whole; none failed
    assert statuses.get(200, 0) > 100 and statuses.get(400, 0) > 0, statuses
