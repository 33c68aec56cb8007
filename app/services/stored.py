"""A domain value together with the vault record that holds it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from app.domain.problems import DomainValidationError, FieldProblem
from storage.hlc import HlcTimestamp
from storage.records import Revision

T = TypeVar("T")

Today = Callable[[], date]


@dataclass(frozen=True)
class Stored(Generic[T]):
    record_id: str
    revision: int
    author: str
    hlc: str
    value: T

    @property
    def changed_at_ms(self) -> int:
        return HlcTimestamp.decode(self.hlc).wall_ms

    @classmethod
    def of(cls, revision: Revision, value: T) -> Stored[T]:
        return cls(revision.record_id, revision.revision, revision.author, revision.meta.hlc, value)


def deletion_reason(reason: str) -> str:
    """Why a record recorded by mistake is deleted (kept in its tombstone), stripped; an empty
    reason is refused."""
    reason = reason.strip()
    if not reason:
        raise DomainValidationError(
            [FieldProblem("reason", "请写明删除的原因。", "a reason is required")]
        )
    return reason
