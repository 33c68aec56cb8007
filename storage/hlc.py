"""Hybrid logical clock (Kulkarni et al. 2014): wall-clock milliseconds plus a counter, so
timestamps follow real time when clocks are sane and still order causally when a laptop's
clock is wrong. Encoded as fixed-width text that sorts like the timestamp."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class HlcTimestamp:
    wall_ms: int
    counter: int
    device_id: str

    def encode(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:06d}-{self.device_id}"

    @classmethod
    def decode(cls, text: str) -> HlcTimestamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)


class HybridLogicalClock:
    def __init__(
        self,
        device_id: str,
        last: HlcTimestamp | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.device_id = device_id
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0
        self.now_ms = now_ms  # the wall-clock source; a test may set a wrong date here

    def tick(self) -> HlcTimestamp:
        """Timestamp for a local change."""
        now = self.now_ms()
        if now > self._wall:
            self._wall, self._counter = now, 0
        else:
            self._counter += 1
        return HlcTimestamp(self._wall, self._counter, self.device_id)

    def observe(self, remote: HlcTimestamp) -> HlcTimestamp:
        """Advance past a timestamp received from another device."""
        now = self.now_ms()
        wall = max(now, self._wall, remote.wall_ms)
        if wall == self._wall == remote.wall_ms:
            counter = max(self._counter, remote.counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        self._wall, self._counter = wall, counter
        return HlcTimestamp(wall, counter, self.device_id)
