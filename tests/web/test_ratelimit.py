"""The per-token rate limit on a clock of the test's own: a sliding window of 60 seconds."""

from __future__ import annotations

import pytest

from xchange.web.ratelimit import RateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_keys_are_counted_apart() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 20
    assert limiter.hit("a") == pytest.approx(40.0)  # the first request leaves the window at +60
    assert limiter.hit("b") == 0.0  # another token: its own count
    clock.now += 40  # exactly 60 s after the first three: they are out of the window
    assert limiter.hit("a") == 0.0
    # The refused request at +20 did not count: the one at +60 and two more fill the window.
    clock.now += 59.5
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.5)]


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.9, "60")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after(wait) == header
