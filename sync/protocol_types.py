"""Which record types sync (docs/sync-protocol.md §4, §9): a whitelist, so a local-only type
added to the vault later (like the vault's copy of its recovery code) never leaves a laptop."""

from __future__ import annotations

SYNCED_TYPES = ("director_profile", "child", "visit", "assessment", "case", "attachment")
CHILD_LINKED = ("visit", "assessment", "case")
