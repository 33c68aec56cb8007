"""A domain value together with the vault record that holds it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

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
