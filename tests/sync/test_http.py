"""The real HTTP server (uvicorn on 127.0.0.1, a free port): enrollment, batches, receipts,
replays, changes, revocation, OpenAPI, size limits, and garbage to every endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.demo_caseload import fill_vault
from storage import outbox
from sync.documents import read_notice
from sync.errors import RevokedError, SyncError
from sync.server.district import District
from tests.sync import laptop_device as device_side
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_district_core import TODAY


@pytest.fixture
def server(district: District) -> Iterator[ServerThread]:
    running = ServerThread(district)
    yield running
    running.stop()


def test_enroll_sync_replay_and_pull_over_http(
    server: ServerThread, district: District, make_device: Any, tmp_path: Any
) -> None:
    from tests.conftest import create_vault

    client = device_side.DistrictClient(server.url)
    vault = create_vault(tmp_path / "laptop").vault
    try:
        assert client.info()["district_id"] == district.district_id
        code = district.create_enroll_code([VILLAGE_A], 3600)
        request = device_side.enrollment_request(vault, code, label="一村")
        answer = client.enroll(request)
        assert client.enroll(request) == answer  # a retry after a dropped connection
        pinned = device_side.accept_enrollment(vault, answer, request=request)
        keys = device_side.device_keys(vault)
        assert keys is not None and pinned.villages == (VILLAGE_A,)
        fill_vault(vault, children=3, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
        batches = device_side.build_batches(vault, max_revisions=25)
        for built in batches:
            receipt = device_side.apply_receipt(vault, client.send_batch(built.data))
            assert not receipt.rejected
            # a double click: the same file again, the same receipt, nothing stored twice
            assert client.send_batch(built.data) == receipt.raw
        assert outbox.pending_count(vault) == 0
        counts = district.counts()
        assert counts["revisions"] == counts["distinct_revisions"]
        # a colleague's laptop in the same village pulls the work
        other = make_device(district, [VILLAGE_A], name="colleague")
        changes = device_side.read_response(
            other.vault, client.changes(other.device_id, ""), other.keys, other.enrollment
        )
        assert len(changes.revisions) == counts["revisions"]
        # revocation: the next contact says so, with a notice signed by the district
        district.revoke(other.device_id)
        with pytest.raises(RevokedError):
            client.changes(other.device_id, changes.next_cursor)
        response = httpx.get(f"{server.url}/api/v1/devices/{other.device_id}/changes")
        assert response.status_code == 403
        notice = read_notice(
            response.json()["notice"].encode(),
            other.enrollment.district,
            device_id=other.device_id,
        )
        assert notice["notice"] == "revoked"
    finally:
        client.close()
        vault.lock()


def test_garbage_to_every_endpoint_is_refused_and_the_server_keeps_serving(
    server: ServerThread, district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    base = server.url
    cases: list[tuple[str, str, dict[str, Any], set[int]]] = [
        ("POST", "/api/v1/batches", {"content": b""}, {400}),
        ("POST", "/api/v1/batches", {"content": b"\x00" * 1000}, {400}),
        ("POST", "/api/v1/batches", {"content": "age-encryption.org/v1\n-> X25519 zz\n"}, {400}),
        ("POST", "/api/v1/batches", {"json": {"batch": 1}}, {400}),
        (
            "POST",
            "/api/v1/batches",
            {"content": b"x" * (district.limits.max_batch_bytes + 1)},
            {413},
        ),
        ("POST", "/api/v1/enroll", {"content": b""}, {400}),
        ("POST", "/api/v1/enroll", {"content": b"{}\n{}\n"}, {400}),
        ("POST", "/api/v1/enroll", {"content": b"a" * 20000}, {413}),
        # chunked, no Content-Length: counted as it arrives
        ("POST", "/api/v1/enroll", {"content": iter([b"a" * 10000, b"a" * 10000])}, {413}),
        ("GET", "/api/v1/devices/zzz/changes", {}, {403, 404}),
        ("GET", f"/api/v1/devices/{'0' * 16}/changes", {}, {404}),
        ("GET", f"/api/v1/devices/{dev.device_id}/changes?after=%00%ff", {}, {400}),
        ("GET", f"/api/v1/devices/{dev.device_id}/changes?after=c1.1.1.1", {}, {400}),
        ("DELETE", "/api/v1/batches", {}, {405}),
        ("GET", "/api/v1/nothing", {}, {404}),
        ("PUT", "/api/v1/info", {"content": b"x"}, {405}),
    ]
    with httpx.Client(timeout=30) as client:
        for method, path, kwargs, statuses in cases:
            response = client.request(method, base + path, **kwargs)
            assert response.status_code in statuses, (method, path, response.status_code)
            body = response.json()
            assert set(body) >= {"error", "message"}, path
            assert "Traceback" not in response.text
        assert client.get(base + "/health").json() == {"status": "ok"}
        spec = client.get(base + "/openapi.json").json()
        assert {
            "/api/v1/batches",
            "/api/v1/enroll",
            "/api/v1/devices/{device_id}/changes",
            "/api/v1/info",
        } <= set(spec["paths"])
    assert district.counts()["revisions"] == 0


def test_client_reports_server_refusals_with_codes(
    server: ServerThread, district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A])
    client = device_side.DistrictClient(server.url)
    try:
        with pytest.raises(SyncError) as refused:
            client.send_batch(b"not a batch")
        assert refused.value.code == "malformed"
        with pytest.raises(SyncError) as refused:
            client.enroll(device_side.enrollment_request(dev.vault, "WRONG-CODE"))
        assert refused.value.code in ("already_enrolled", "code_invalid")
    finally:
        client.close()
