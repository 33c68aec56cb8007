"""Retry delays: exponential backoff with full jitter (AWS architecture blog, "Exponential
Backoff And Jitter"), so a district full of laptops coming back online does not retry in step."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 2.0
    factor: float = 2.0
    cap_s: float = 900.0
    rng: Callable[[], float] = field(default=random.random)
    failures: int = 0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): uniform in
        [0, min(cap, base * factor**attempt)], never less than a tenth of the ceiling."""
        ceiling = min(self.cap_s, self.base_s * self.factor ** min(attempt, 60))
        return max(ceiling * 0.1, ceiling * self.rng())

    def next_delay(self) -> float:
        """After one more failure in a row: the wait before trying again."""
        delay = self.delay(self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0
