"""Which record types sync (docs/sync-protocol.md §4, §9): a whitelist, so a local-only type
added to the vault later (like the vault's copy of its recovery code) never leaves a laptop."""

from __future__ import annotations

# The cross-level workflows (issue 17, docs/sync-protocol.md §16): mandatory reports,
# recognition applications, case conferences and their transitions (workflow_step).
WORKFLOW_TYPES = ("mandatory_report", "recognition_application", "case_conference", "workflow_step")
SYNCED_TYPES = (
    "director_profile",
    "child",
    "visit",
    "assessment",
    "case",
    "attachment",
    *WORKFLOW_TYPES,
)
CHILD_LINKED = ("visit", "assessment", "case", *WORKFLOW_TYPES)
