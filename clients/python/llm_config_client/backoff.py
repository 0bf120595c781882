"""Reconnect delays: exponential, with jitter, so that clients do not come back in lockstep."""
from __future__ import annotations

import random
from typing import Callable


class Backoff:
    """Delays base, 2·base, 4·base … up to cap, each drawn uniformly from its upper half.

    "Equal jitter" (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
    a thousand clients whose service restarts spread over half of each window, and no client
    retries in a hot loop (the delay never falls under half its step).
    """

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: Callable[[], float] = random.random) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base, self.cap, self._rng = base, cap, rng
        self.attempt = 0

    def next_delay(self) -> float:
        step = min(self.cap, self.base * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return step / 2 + self._rng() * step / 2

    def reset(self) -> None:
        self.attempt = 0
