"""Token buckets per key (a client address, a phone number, a kiosk): ``rate`` per second, ``burst`` at once.

Why buckets: a resident's phone or a kiosk makes a few requests in a burst (a page and its map, a form's
turns) then nothing for a while; a script hammers steadily. A bucket lets the burst through and holds the
script to the rate. In memory and per process: the office system is one process, and a restart forgetting
the counts costs an attacker nothing they could not get by waiting a minute.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    def __init__(self, rate: float, burst: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and room for at least one request")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one token for ``key``: ``None`` if allowed, else the seconds until one is there again."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:  # the longest-quiet key goes first (it would be full)
                self._buckets.popitem(last=False)
        return None if allowed else (1 - tokens) / self.rate
