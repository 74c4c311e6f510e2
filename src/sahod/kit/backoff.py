"""Capped exponential backoff, the one schedule for waiting on something that is away."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Backoff:
    """``first``, doubling up to ``cap``; each wait jittered by up to ``jitter`` of itself."""

    first: float = 0.5
    cap: float = 10.0
    jitter: float = 0.2
    tries: int = 0

    def next_wait(self) -> float:
        wait = min(self.cap, self.first * (2.0**self.tries))
        self.tries += 1
        spread = wait * self.jitter
        return max(0.0, wait + random.uniform(-spread, spread))  # noqa: S311 (not security)

    def reset(self) -> None:
        self.tries = 0
