"""Requests per minute per API token: a sliding window kept in the server process.

    limiter = RateLimiter(per_minute=60)
    wait = limiter.hit(token_id)     # 0.0: go ahead; else seconds until one more is allowed

Kept in memory, not in the database: a request that is refused should cost nothing, and the
limit protects this process's work. Several server processes behind one address each count
their own (docs/api.md says so).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    """At most `per_minute` calls of `hit(key)` per key in any 60 seconds; thread-safe (the
    API's endpoints run in a pool of threads)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[object, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: object) -> float:
        """Count one request for `key`; 0.0 when allowed, else the seconds to wait (not counted)."""
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - WINDOW_S:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return seen[0] + WINDOW_S - now
            seen.append(now)
            return 0.0


def retry_after(wait: float) -> str:
    """The `Retry-After` header's value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))
