"""Questionnaire definitions and visit-schedule rules the district published, as this laptop
installed them (docs/sync-protocol.md §14, "Definitions").

Where they live, and why: each installed version is one encrypted vault record of the
local-only type ``district_definition`` (marked never to send when written). Not a
``local_cache`` entry: a cache may be thrown away and rebuilt from the vault, but a definition
cannot be rebuilt once the changes cursor has moved past it, and assessments started with it
must keep loading. As vault records they are encrypted under the record key, covered by
``verify_vault``, kept in backups, and every version stays (a new version is a new record).

This module stores and lists; it knows nothing about questionnaires or schedules. Checking a
body, and choosing which version is current, is ``app.services.definitions``.

Version order: the district's publication number (``district_seq``, its ``pub_seq``; 0 when a
response did not carry one), then the order this laptop installed them (``install_index``).
Responses list definitions in publication order, so both agree; the later one is newer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage import outbox
from storage.revision_log import RevisionLog
from storage.vault import Vault

DEFINITION_TYPE = "district_definition"


@dataclass(frozen=True)
class InstalledDefinition:
    record_id: str
    kind: str  # "questionnaire" or "schedule"
    name: str
    version: str
    sha256: str
    body: dict[str, Any]
    district_seq: int
    published_at: str
    installed_at: str
    install_index: int

    @property
    def order(self) -> tuple[int, int]:
        """Sort key: larger is newer (see the module's docstring)."""
        return (self.district_seq, self.install_index)


def _from_data(record_id: str, data: dict[str, Any]) -> InstalledDefinition | None:
    body = data.get("body")
    if not isinstance(body, dict):
        return None
    try:
        return InstalledDefinition(
            record_id=record_id,
            kind=str(data["kind"]),
            name=str(data["name"]),
            version=str(data["version"]),
            sha256=str(data.get("sha256", "")),
            body=body,
            district_seq=int(data.get("district_seq") or 0),
            published_at=str(data.get("published_at", "")),
            installed_at=str(data.get("installed_at", "")),
            install_index=int(data.get("install_index") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None


def installed(vault: Vault, kind: str | None = None) -> list[InstalledDefinition]:
    """Every installed version (of ``kind``, when given), oldest first."""
    found = []
    for revision in vault.load(DEFINITION_TYPE).revisions:
        item = _from_data(revision.record_id, revision.data)
        if item is not None and (kind is None or item.kind == kind):
            found.append(item)
    return sorted(found, key=lambda d: d.order)


def is_installed(vault: Vault, kind: str, name: str, version: str, sha256: str) -> bool:
    return any(
        d.name == name and d.version == version and d.sha256 == sha256
        for d in installed(vault, kind)
    )


def install(
    vault: Vault,
    *,
    kind: str,
    name: str,
    version: str,
    sha256: str,
    body: dict[str, Any],
    district_seq: int = 0,
    published_at: str = "",
    author: str = "",
) -> bool:
    """Store one published version (already checked by the caller). Returns False when the
    same kind, name, version and content is already installed (nothing is written)."""
    existing = installed(vault)
    if any(
        d.kind == kind and d.name == name and d.version == version and d.sha256 == sha256
        for d in existing
    ):
        return False
    data = {
        "kind": kind,
        "name": name,
        "version": version,
        "sha256": sha256,
        "body": body,
        "district_seq": int(district_seq),
        "published_at": published_at,
        "installed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "install_index": max((d.install_index for d in existing), default=0) + 1,
    }
    with vault.transaction():
        revision = vault.put(DEFINITION_TYPE, data, author=author)
        outbox.mark_local(vault, revision.record_id)
    return True


def _fingerprint(log: RevisionLog) -> tuple[int, int]:
    row = log.row(
        "SELECT count(*), max(seq) FROM revisions WHERE record_type = ? AND is_head = 1",
        (DEFINITION_TYPE,),
    )
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def changed_since(
    vault: Vault, known: tuple[int, int] | None, *, wait: bool = True
) -> tuple[tuple[int, int], list[InstalledDefinition]] | None:
    """The installed definitions and their fingerprint (count, newest local sequence), or None
    when they have not changed since ``known``. The check reads plaintext metadata only; the
    records are decrypted only when something changed. With ``wait=False`` it also returns
    None instead of waiting while another thread is using the vault, so a caller on the GUI
    thread never blocks on vault work (it keeps what it had and looks again next time)."""
    with vault.session() if wait else vault.try_session() as log:
        if log is None:
            return None
        current = _fingerprint(log)
        if current == known:
            return None
        return current, installed(vault)
