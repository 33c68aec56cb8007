"""Sync starting by itself (ui/sync_controller.py): a laptop that works offline probes on its
timer, and when the district server becomes reachable again it sends everything without a
click; an impostor's unsigned "revoked" changes nothing and says so in Chinese."""

from __future__ import annotations

from typing import Any

from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.sync.conftest import (  # noqa: F401 (fixtures)
    VILLAGE_A,
    ServerThread,
    district_keys,
    free_port,
    impostor_server,
    sqlite_district,
)
from ui.desk_services import DeskServices
from ui.sync_controller import SyncController
from ui.tasks import InlineRunner, VaultRunner


def _enrolled(desk: DeskServices, district: District, port: int) -> LaptopSync:
    engine = LaptopSync(desk.vault, author=desk.author, sleep=lambda _s: None, attempts=1)
    server = ServerThread(district, port)
    try:
        engine.enroll_network(server.url, district.create_enroll_code([VILLAGE_A], 3600))
    finally:
        server.stop()
    return engine


def test_sync_starts_by_itself_when_the_server_is_back(
    desk: DeskServices,
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
) -> None:
    port = free_port()
    engine = _enrolled(desk, sqlite_district, port)
    desk.vault.put("child", {"name": "离线时登记", "village_code": VILLAGE_A}, author=desk.author)
    pending = engine.status().pending
    assert pending > 0
    net = VaultRunner(lambda _e: None)  # network work on a thread of its own, as in the app
    controller = SyncController(engine, desk.runner, net=net, probe_interval_ms=200)
    finished: list[tuple[Any, str]] = []
    controller.finished.connect(lambda report, message: finished.append((report, message)))
    probes: list[bool] = []  # what each of the controller's probes found
    real_probe = engine.probe

    def probe(*args: Any, **kwargs: Any) -> bool:
        reachable = real_probe(*args, **kwargs)
        probes.append(reachable)
        return reachable

    engine.probe = probe  # type: ignore[method-assign]
    controller.start_auto()
    try:
        # offline: probes fail quietly, nothing is sent, nothing is lost
        qtbot.waitUntil(lambda: len(probes) >= 2, timeout=10_000)
        assert not any(probes)
        assert not any(r is not None for r, _m in finished)
        assert sqlite_district.counts()["revisions"] == 0
        assert engine.status().pending == pending
        server = ServerThread(sqlite_district, port)  # connectivity returns
        try:
            qtbot.waitUntil(lambda: any(r is not None for r, _m in finished), timeout=20_000)
            report = next(r for r, _m in finished if r is not None)
            assert report.accepted == pending and report.rejected == 0
            assert engine.status().pending == 0
            counts = sqlite_district.counts()
            assert counts["revisions"] == counts["distinct_revisions"] == pending
        finally:
            server.stop()
    finally:
        controller.stop()
        net.shutdown()


def test_an_unsigned_revocation_is_retried_not_obeyed(
    desk: DeskServices,
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
) -> None:
    engine = _enrolled(desk, sqlite_district, free_port())
    controller = SyncController(engine, desk.runner, net=InlineRunner())
    messages: list[str] = []
    controller.finished.connect(lambda _report, message: messages.append(message))
    with impostor_server() as url:
        engine.set_server_url(url)
        controller.sync_now()
        qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    assert "没有区民政局签名" in messages[-1]
    assert not engine.status().revoked
    assert controller._timer.isActive()  # tried again later, like after a network failure
    controller.stop()
