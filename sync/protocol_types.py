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
    "activity",
    "transition_plan",  # 成年后就业帮扶 (issue 19), one per child
    "typical_case",  # 典型案例 for the year-end summary (issue 19)
    "screening",  # 心理状况筛查 (issue 19): a questionnaire of result kind 'screening'
    "referral",  # a 建议转介 screening's referral to a professional body, followed up
)
# Records held by a village in their own ``village_code`` (not through a child): the director's
# profile and activities (活动, issue 19: one activity names many children).
VILLAGE_HELD = ("director_profile", "activity")
CHILD_LINKED = (
    "visit",
    "assessment",
    "case",
    *WORKFLOW_TYPES,
    "transition_plan",
    "typical_case",
    "screening",
    "referral",
)
