"""A growing delay after repeated wrong passwords, kept in memory only.

A failed unlock must write nothing to the vault, so the count lives in the running program:
the GUI keeps one throttle per vault for its session. Argon2id already makes each guess cost
about half a second; after three misses each further try waits 2, 4, 8 … up to 60 seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FREE_ATTEMPTS = 3
MAX_DELAY_S = 60.0


class UnlockThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures = 0
        self._not_before = 0.0

    @property
    def failures(self) -> int:
        return self._failures

    def seconds_to_wait(self) -> float:
        return max(0.0, self._not_before - self._clock())

    def record_failure(self) -> float:
        """Count a wrong password; return the delay before the next try is allowed."""
        self._failures += 1
        extra = self._failures - FREE_ATTEMPTS
        delay = 0.0 if extra <= 0 else min(MAX_DELAY_S, 2.0**extra)
        self._not_before = self._clock() + delay
        return delay

    def record_success(self) -> None:
        self._failures = 0
        self._not_before = 0.0
