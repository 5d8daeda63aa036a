"""TokenBuckets: a burst, then the rate; keys apart; memory bounded."""

from __future__ import annotations

import pytest

from community_services.rate_limit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [None, None, None]
    wait = buckets.take("a")
    assert wait == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") is None and buckets.take("a") is not None
    assert buckets.take("b") is None  # another address has its own bucket


def test_a_refused_request_does_not_spend_a_token() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, clock=clock)
    assert buckets.take("a") is None
    for _ in range(10):
        assert buckets.take("a") is not None
    clock.now += 1.0
    assert buckets.take("a") is None


def test_the_quietest_keys_are_forgotten_first() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, max_keys=2, clock=clock)
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: it would have refilled anyway
    assert buckets.take("a") is None and buckets.take("c") is not None


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0.5)])
def test_nonsense_limits_are_refused(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBuckets(rate, burst)
