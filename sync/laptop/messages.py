"""What a sync has to tell the director beyond its counts, as codes with parameters. The
words are the caller's: Chinese in ``ui/sync_texts.py``, English ids and counts on the
command line."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MessageCode(StrEnum):
    DISTRICT_NOTICE = "district_notice"  # text: the district's own words (a signed notice)
    ATTACHMENTS_REFUSED = "attachments_refused"  # count: files that did not match; asked again
    ATTACHMENTS_WAITING = "attachments_waiting"  # count: files not at the district yet
    DEFINITION_INSTALLED = "definition_installed"  # kind, title, version
    DEFINITION_REFUSED = "definition_refused"  # kind, title, version: the previous one stays


@dataclass(frozen=True)
class SyncMessage:
    code: MessageCode
    count: int = 0
    text: str = ""  # DISTRICT_NOTICE only
    kind: str = ""  # definitions: "questionnaire" or "schedule_rules"
    title: str = ""  # definitions: the body's title, "" when it has none
    version: str = ""  # definitions: the published version string
