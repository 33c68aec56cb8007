"""Pulled questionnaire definitions and schedule rules: checked (content hash, the loader or
the schedule parser) and kept in the vault (``storage.definitions_store``, every version);
``app.services.definitions`` picks the current one. One that fails the checks is not
installed and the report says so; the previous one stays. Vault work."""

from __future__ import annotations

import logging
from typing import Any

from app.services.definitions import check_published
from storage import definitions_store
from sync.laptop.messages import MessageCode, SyncMessage
from sync.laptop.state import SyncReport, SyncState
from sync.wire import canonical_json, sha256_hex

log = logging.getLogger("childdesk.sync")


def install_definition(state: SyncState, item: dict[str, Any], report: SyncReport) -> None:
    kind = str(item.get("definition_kind", ""))[:40]
    name = str(item.get("name", ""))[:100]
    version = str(item.get("version", ""))[:100]
    body = item.get("body")
    title = body.get("title") if isinstance(body, dict) else None
    # what the director reads names the kind, the title and the version, never the id
    title_text = title.strip()[:60] if isinstance(title, str) else ""
    if not isinstance(body, dict) or sha256_hex(canonical_json(body)) != item.get("sha256"):
        problem: str | None = "its content does not match its hash"
    else:
        problem = check_published(kind, name, version, body)
    if problem is not None:
        log.warning(
            "published %s %s version %s not installed: %s", kind, name, version, problem[:300]
        )
        report.definitions_refused += 1
        report.messages.append(
            SyncMessage(
                MessageCode.DEFINITION_REFUSED, kind=kind, title=title_text, version=version[:20]
            )
        )
        return
    assert isinstance(body, dict)
    seq = item.get("seq")
    installed = definitions_store.install(
        state.vault,
        kind=kind,
        name=name,
        version=version,
        sha256=str(item["sha256"]),
        body=body,
        district_seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
        published_at=str(item.get("published_at", ""))[:40],
        author=state.author,
    )
    if installed:
        log.info("installed published %s %s version %s", kind, name, version)
        report.definitions_installed += 1
        report.messages.append(
            SyncMessage(
                MessageCode.DEFINITION_INSTALLED, kind=kind, title=title_text, version=version[:20]
            )
        )
