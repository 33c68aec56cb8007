"""The laptop's sync engine against the real district server on loopback (uvicorn, SQLite):
enrollment, send and receipt, urgent changes first, a dropped connection mid-upload, 500s,
merge and conflicts, quarantine, revocation."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import httpx
import pytest

from app.demo_caseload import fill_vault
from storage import outbox
from storage.vault import Vault
from sync.laptop.batches import urgent_children
from sync.laptop.client import ssl_context
from sync.laptop.engine import LaptopSync
from sync.laptop.errors import UnverifiedRevocationError
from sync.server.district import District
from tests.sync.conftest import VILLAGE_A, VILLAGE_B, ServerThread, impostor_server
from tests.sync.test_district_core import TODAY


def no_sleep(_s: float) -> None:
    return None


def enrolled(district: District, url: str, vault: Vault, villages: list[str]) -> LaptopSync:
    engine = LaptopSync(vault, author="王", sleep=no_sleep, max_revisions=40)
    engine.enroll_network(url, district.create_enroll_code(villages, 3600), label="一村")
    return engine


def server_counts(district: District) -> dict[str, int]:
    counts = district.counts()
    assert counts["revisions"] == counts["distinct_revisions"], "duplicates on the server"
    return counts


def test_send_receipts_and_pull_to_a_colleague(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    status = laptop.status()
    assert status.enrolled and status.pending == 1 and status.district_id  # the profile
    fill_vault(laptop.vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    pending = laptop.status().pending
    assert pending > 40  # more than one batch
    report = laptop.sync_now()
    assert report.batches_sent >= 2 and report.accepted == pending and report.rejected == 0
    assert laptop.status().pending == 0 and laptop.status().pending_batches == 0
    assert laptop.status().last_via == "network"
    assert server_counts(sqlite_district)["revisions"] == pending
    assert not list(laptop.outgoing_dir.glob("*.cdbatch"))  # kept batches go after receipts
    # local-only records never left: keys, enrollment, recovery code
    assert outbox.pending_count(laptop.vault) == 0
    # a second sync sends nothing
    assert laptop.sync_now().batches_sent == 0
    colleague = enrolled(sqlite_district, server.url, vaults("b"), [VILLAGE_A])
    pulled = colleague.sync_now()
    assert pulled.pulled == pending  # everything, the other director's profile included
    children = colleague.vault.load("child").revisions
    assert len(children) == 6
    # the colleague pulls again: nothing doubles
    assert colleague.sync_now().pulled == 0
    assert colleague.status().pending == 0  # its own profile went
    assert server_counts(sqlite_district)["revisions"] == pending + 1


def test_mandatory_report_and_red_level_go_first(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    fill_vault(laptop.vault, children=5, seed=4, village_code=VILLAGE_A, today=TODAY, author="王")
    vault = laptop.vault
    child = vault.load("child").revisions[-1]
    case = vault.put(
        "case",
        {"child_id": child.record_id, "stage": "open", "mandatory_report": True},
        author="王",
    )
    batches = laptop.build_pending()
    ids = [r for b in batches for r, _h in b.revisions]
    # the child file before its case, so the district knows the child
    assert ids.index(child.record_id) < ids.index(case.record_id)
    urgent = urgent_children(outbox.unsent(vault))
    assert child.record_id in urgent
    others = {c.record_id for c in vault.load("child").revisions} - urgent
    assert others
    first_other = min(ids.index(o) for o in others)
    assert ids.index(case.record_id) < first_other
    report = laptop.sync_now()
    assert report.rejected == 0


def test_urgent_by_red_assessment(vaults: Any, sqlite_district: District) -> None:
    from tests.sync.conftest import enroll

    dev = enroll(sqlite_district, vaults("a"), [VILLAGE_A])
    laptop = LaptopSync(dev.vault, author="王", max_revisions=3)
    vault = dev.vault
    for i in range(4):
        vault.put("child", {"village_code": VILLAGE_A, "name": f"孩子{i}"}, author="王")
    red_child = vault.load("child").revisions[2]
    vault.put(
        "assessment",
        {"child_id": red_child.record_id, "status": "finished", "result": {"level": "red"}},
        author="王",
    )
    batches = laptop.build_pending()
    assert batches[0].revisions[0][0] == red_child.record_id
    assert all(len(b.revisions) <= 3 for b in batches)


class DroppingProxy:
    """A TCP proxy in front of the server that, while armed, forwards the request and then
    cuts both sockets before the answer reaches the laptop: the server stored the batch but
    the laptop never saw the receipt."""

    def __init__(self, target_port: int, drops: int) -> None:
        self.target = target_port
        self.drops = drops
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target))
        with self.lock:
            drop = self.drops > 0
        if not drop:
            # Both directions at once: relaying the answer only after each chunk of the
            # request deadlocked when a request arrived in several chunks (the proxy waited
            # for an answer the server could not give before the rest of the body).
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            _pump(client, upstream)
            back.join(timeout=10)
            client.close()
            upstream.close()
            return
        request = b""
        client.settimeout(10)
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                upstream.sendall(chunk)
                request += chunk
                if drop and b"POST /api/v1/batches" in request:
                    head, _, body = request.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    if len(body) >= length:
                        answer = upstream.recv(65536)  # the server has processed it
                        assert answer
                        with self.lock:
                            self.drops -= 1
                        client.close()
                        upstream.close()
                        return
                if not drop:
                    client.settimeout(0.05)
                    try:
                        while True:
                            more = upstream.recv(65536)
                            if not more:
                                break
                            client.sendall(more)
                            client.settimeout(0.2)
                            upstream.settimeout(0.2)
                    except (TimeoutError, OSError):
                        pass
                    client.settimeout(10)
                    upstream.settimeout(None)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction until it ends, then end both (the other direction's pump stops)."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def test_dropped_connection_mid_upload_resumes_without_loss_or_duplicates(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    fill_vault(laptop.vault, children=4, seed=8, village_code=VILLAGE_A, today=TODAY, author="王")
    pending = laptop.status().pending
    proxy = DroppingProxy(server.port, drops=100)
    laptop.set_server_url(proxy.url)
    laptop.attempts = 2
    try:
        with pytest.raises(Exception, match="connection"):
            laptop.sync_now()
        kept = laptop.pending_batches()
        assert kept and laptop.status().pending == pending  # nothing marked sent
        stored_first = server_counts(sqlite_district)["revisions"]
        assert stored_first > 0  # the server did store the first batch
        files = {b.file: laptop.batch_bytes(b) for b in kept}
        proxy.drops = 0
        report = laptop.sync_now()
    finally:
        proxy.close()
    assert {b.file for b in kept} >= set(files)  # the same batches were resent
    assert report.accepted == pending
    assert laptop.status().pending == 0
    assert server_counts(sqlite_district)["revisions"] == pending


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    from sync.laptop.backoff import Backoff

    low, high = Backoff(rng=lambda: 0.0), Backoff(rng=lambda: 1.0)
    assert [high.delay(i) for i in range(4)] == [2.0, 4.0, 8.0, 16.0]
    assert high.delay(40) == 900.0 and low.delay(3) == 1.6  # a tenth of the ceiling at least
    b = Backoff()
    assert all(0 < b.next_delay() <= 900 for _ in range(20)) and b.failures == 20
    b.reset()
    assert b.failures == 0


def test_server_down_then_up(sqlite_district: District, vaults: Any) -> None:
    running = ServerThread(sqlite_district)
    laptop = enrolled(sqlite_district, running.url, vaults("a"), [VILLAGE_A])
    fill_vault(laptop.vault, children=2, seed=9, village_code=VILLAGE_A, today=TODAY, author="王")
    pending = laptop.status().pending
    port = running.port
    running.stop()
    assert not laptop.probe(timeout=1)
    waits: list[float] = []
    laptop.sleep = waits.append
    with pytest.raises(Exception, match="connection"):
        laptop.sync_now()
    assert len(waits) == laptop.attempts - 1 and all(w > 0 for w in waits)
    assert laptop.status().pending == pending and laptop.pending_batches()
    # back up on the same address
    import uvicorn

    from sync.server.app import create_app

    config = uvicorn.Config(create_app(sqlite_district), host="127.0.0.1", port=port)
    again = uvicorn.Server(config)
    thread = threading.Thread(target=again.run, daemon=True)
    thread.start()
    try:
        import time

        deadline = time.monotonic() + 20
        while not again.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert laptop.probe()
        assert laptop.sync_now().accepted == pending
    finally:
        again.should_exit = True
        thread.join(timeout=20)
    assert server_counts(sqlite_district)["revisions"] == pending


def test_500_responses_are_retried(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    import httpx

    from sync.laptop.client import DistrictClient

    failures = {"left": 2}

    def handler(request: httpx.Request) -> httpx.Response:
        if failures["left"] and request.url.path.endswith("/batches"):
            failures["left"] -= 1
            return httpx.Response(500, json={"error": "internal", "message": "boom"})
        with httpx.Client(verify=ssl_context()) as real:
            answer = real.request(
                request.method, str(request.url), content=request.content, params=None
            )
            return httpx.Response(answer.status_code, content=answer.content)

    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    laptop.client_factory = lambda url: DistrictClient(
        url, client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    fill_vault(laptop.vault, children=1, seed=1, village_code=VILLAGE_A, today=TODAY, author="王")
    pending = laptop.status().pending
    assert laptop.sync_now().accepted == pending
    assert failures["left"] == 0
    assert server_counts(sqlite_district)["revisions"] == pending


def test_both_sides_edit_merge_and_conflicts(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    a = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    b = enrolled(sqlite_district, server.url, vaults("b"), [VILLAGE_A])
    child = a.vault.put(
        "child",
        {"village_code": VILLAGE_A, "name": "李小花", "school": "一小", "notes": ""},
        author="王",
    )
    a.sync_now()
    b.sync_now()
    # both edit offline: a different field each, and the same field differently
    base = a.vault.get(child.record_id).data
    a.vault.put(
        "child", {**base, "school": "二小", "notes": "甲"}, author="王", record_id=child.record_id
    )
    bdata = b.vault.get(child.record_id).data
    b.vault.put(
        "child", {**bdata, "name": "李晓花", "notes": "乙"}, author="李", record_id=child.record_id
    )
    a.sync_now()
    report = b.sync_now()
    assert report.pulled == 1 and report.conflicts == 1
    merged = b.vault.get(child.record_id).data
    assert merged["school"] == "二小" and merged["name"] == "李晓花"
    conflicts = b.conflicts()
    assert len(conflicts) == 1
    c = conflicts[0]
    assert c.field == "notes" and c.child_id == child.record_id
    assert {c.mine, c.theirs} == {"甲", "乙"}
    kept_value = merged["notes"]
    assert kept_value == (c.mine if c.kept == "mine" else c.theirs)
    # the losing value is in the history too
    assert {"甲", "乙"} <= {r.data.get("notes") for r in b.vault.history(child.record_id)}
    # the director keeps the other value: it becomes current and goes to the district
    other = "theirs" if c.kept == "mine" else "mine"
    b.resolve_conflict(c.conflict_id, other)
    assert b.vault.get(child.record_id).data["notes"] == (c.theirs if other == "theirs" else c.mine)
    assert b.conflicts() == []
    assert len(b.conflicts(include_resolved=True)) == 1
    b.sync_now()
    a.sync_now()
    assert a.vault.get(child.record_id).data == b.vault.get(child.record_id).data
    server_counts(sqlite_district)
    # edit resolution
    a.vault.put(
        "child",
        {**a.vault.get(child.record_id).data, "school": "三小"},
        author="王",
        record_id=child.record_id,
    )
    b.vault.put(
        "child",
        {**b.vault.get(child.record_id).data, "school": "四小"},
        author="李",
        record_id=child.record_id,
    )
    a.sync_now()
    b.sync_now()
    (c2,) = b.conflicts()
    b.resolve_conflict(c2.conflict_id, "edit", "五小")
    assert b.vault.get(child.record_id).data["school"] == "五小"


def test_rejected_revisions_are_quarantined_not_lost(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    good = laptop.vault.put("child", {"village_code": VILLAGE_A, "name": "甲"}, author="王")
    bad = laptop.vault.put("child", {"village_code": VILLAGE_B, "name": "乙"}, author="王")
    report = laptop.sync_now()
    assert report.rejected == 1
    (entry,) = laptop.quarantine()
    assert entry.record_id == bad.record_id and entry.reason == "out_of_scope"
    assert entry.record_type == "child"
    status = laptop.status()
    assert status.quarantined == 1 and status.pending == 0
    # kept in the vault, unsent; not resent in every batch
    assert laptop.vault.get(bad.record_id).data["name"] == "乙"
    assert laptop.sync_now().batches_sent == 0
    assert good.record_id not in {q.record_id for q in laptop.quarantine()}
    # the district widens the scope? the director tries again: rejected again, still kept
    assert laptop.release_quarantine() == 1
    assert laptop.status().pending == 1
    laptop.sync_now()
    assert len(laptop.quarantine()) == 1


def test_revocation_stops_syncing_and_keeps_the_vault(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    fill_vault(laptop.vault, children=2, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    laptop.sync_now()
    sqlite_district.revoke(laptop.vault.device_id)
    laptop.vault.put("child", {"village_code": VILLAGE_A, "name": "新"}, author="王")
    before = laptop.vault.last_seq()
    report = laptop.sync_now()
    assert report.revoked
    status = laptop.status()
    assert status.revoked and status.pending == 1
    assert laptop.vault.last_seq() == before
    assert len(laptop.vault.load("child").revisions) == 3
    # later attempts do not even contact the server
    laptop.set_server_url("http://127.0.0.1:9")
    assert laptop.sync_now().revoked


def test_slow_responses_time_out_and_are_retried(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    """A server slower than the client's timeout: the request is retried with the same batch;
    the batch the slow server did store is not stored twice."""
    import time

    import httpx

    from sync.laptop.client import DistrictClient

    slow = {"left": 1}

    def handler(request: httpx.Request) -> httpx.Response:
        with httpx.Client(verify=ssl_context()) as real:
            answer = real.request(request.method, str(request.url), content=request.content)
        if slow["left"] and request.url.path.endswith("/batches"):
            slow["left"] -= 1
            time.sleep(0.2)  # the server answered, too late: the client gave up
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(answer.status_code, content=answer.content)

    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    laptop.client_factory = lambda url: DistrictClient(
        url, client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    fill_vault(laptop.vault, children=1, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    pending = laptop.status().pending
    assert laptop.sync_now().accepted == pending
    assert slow["left"] == 0
    assert server_counts(sqlite_district)["revisions"] == pending


def test_an_unsigned_revocation_claim_changes_nothing(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    """Something that is not the district (a proxy, an impostor) answers 403 "revoked" without
    the district's signed notice: the laptop keeps syncing later and loses nothing."""
    with impostor_server() as impostor_url:
        laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
        laptop.vault.put("child", {"village_code": VILLAGE_A, "name": "甲"}, author="王")
        laptop.set_server_url(impostor_url)
        pending = laptop.status().pending
        with pytest.raises(UnverifiedRevocationError):
            laptop.sync_now()
        status = laptop.status()
        assert not status.revoked and status.pending == pending > 0
        # the real district again: everything goes through
        laptop.set_server_url(server.url)
        report = laptop.sync_now()
        assert not report.revoked and laptop.status().pending == 0


def test_a_revoked_laptop_is_told_with_the_signed_notice_on_upload(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    laptop = enrolled(sqlite_district, server.url, vaults("a"), [VILLAGE_A])
    sqlite_district.revoke(laptop.vault.device_id)
    laptop.vault.put("child", {"village_code": VILLAGE_A, "name": "甲"}, author="王")
    response = httpx.post(
        f"{server.url}/api/v1/batches", content=laptop.batch_bytes(laptop.build_pending()[0])
    )
    assert response.status_code == 403 and response.json()["error"] == "device_revoked"
    assert "notice" in response.json()  # signed: the laptop can verify it
    pending = laptop.status().pending
    assert laptop.sync_now().revoked
    assert laptop.status().revoked and laptop.status().pending == pending > 0


def test_status_only_reads(vaults: Any) -> None:
    """The 同步 page asks for the status every minute: asking writes nothing to the vault (it
    used to mark every unsent revision of a local type as local-only)."""
    vault = vaults("a")
    vault.put("local_note", {"text": "只在本机"}, author="王")
    before = outbox.pending_count(vault)
    assert before >= 1
    status = LaptopSync(vault, author="王").status()
    assert not status.enrolled and status.pending == 1  # the profile; the note never syncs
    assert outbox.pending_count(vault) == before


def test_the_engine_speaks_in_codes() -> None:
    """Nothing under sync/laptop/ says a sentence to the director: reports carry message
    codes, errors carry protocol codes, and the Chinese words live in ui/sync_texts.py. The
    only Chinese value is the merge's author name, stored in records."""
    import ast
    import re
    from pathlib import Path

    import sync.laptop
    from sync.laptop.merging import MERGE_AUTHOR

    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    found = []
    for path in sorted(Path(sync.laptop.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value != MERGE_AUTHOR
                and cjk.search(node.value)
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value[:30]}")
    assert found == []
