"""How a questionnaire (评估表) is named to people: its Chinese title and 第X版.

A stored assessment or result names its definition by id and version
(``guardianship_capacity``, ``1.0.0``); those are for programs. Every screen and printout that
shows which questionnaire was used goes through these functions, so a director reads
"困境儿童家庭监护能力评估表（第1版）", never the id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.questionnaire.model import Definition  # annotations only: no expression parser

UNKNOWN_TITLE = "评估表"


def version_zh(version: str) -> str:
    """``1.0.0`` → ``第1版``, ``1.2.0`` → ``第1.2版``, ``1.0.1`` → ``第1.0.1版``: trailing ``.0``
    parts are dropped (versions look like 1, 1.2 or 1.2.3)."""
    text = version.strip()
    parts = text.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return f"第{'.'.join(parts) or text}版"


def definition_title(definition_id: str, version: str, definitions: Iterable[Definition]) -> str:
    """The questionnaire's Chinese title: that of the same id and version when installed here,
    else that of another version of the same id, else a plain 评估表 (never the id)."""
    same_id = [d for d in definitions if d.id == definition_id]
    for definition in same_id:
        if definition.version == version and definition.title.strip():
            return definition.title.strip()
    for definition in reversed(same_id):
        if definition.title.strip():
            return definition.title.strip()
    return UNKNOWN_TITLE


def definition_label(definition_id: str, version: str, definitions: Iterable[Definition]) -> str:
    """``困境儿童家庭监护能力评估表（第1版）``."""
    return f"{definition_title(definition_id, version, definitions)}（{version_zh(version)}）"


def label_of(definition: Definition) -> str:
    """The label of a loaded definition: ``困境儿童家庭监护能力评估表（第1版）``."""
    return definition_label(definition.id, definition.version, [definition])
